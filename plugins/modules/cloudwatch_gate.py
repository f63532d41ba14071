#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: cloudwatch_gate
version_added: 1.0.0
short_description: Pass or fail a deployment gate on a CloudWatch metric or alarm, with the numbers that decided
description:
  - "Metric gate: reads the datapoints of one metric over the last O(window_seconds) and compares the worst of them
    with O(threshold). O(comparison) is the breach condition, as in CloudWatch alarms: with
    V(GreaterThanThreshold) the gate fails when the highest datapoint is above the threshold."
  - "Alarm gate: passes when the alarm's state is one of O(ok_states)."
  - A failed gate is a result, not an error (RV(passed=false) with RV(reason)), so a runbook can roll back;
    set O(fail_on_breach=true) to fail the task instead.
  - Read-only; runs the same in check mode.
options:
  alarm_name:
    description: Name of a metric or composite alarm to gate on (instead of a metric).
    type: str
  ok_states:
    description: Alarm states that pass the gate.
    type: list
    elements: str
    choices: [OK, ALARM, INSUFFICIENT_DATA]
    default: [OK]
  namespace:
    description: Namespace of the metric, for example V(AWS/ApplicationELB).
    type: str
  metric_name:
    description: Name of the metric, for example V(HTTPCode_Target_5XX_Count) or V(TargetResponseTime).
    type: str
  dimensions:
    description:
      - "Dimensions of the metric, for example C({LoadBalancer: app/shop-primary-alb/50dc6c495c0c9188,
        TargetGroup: targetgroup/shop-primary-green/a2d6a5397f597b93})."
    type: dict
    default: {}
  statistic:
    description:
      - V(Sum), V(Average), V(Maximum), V(Minimum), V(SampleCount), or a percentile such as V(p99).
      - No default, because the right one depends on the metric (V(Sum) for counts, V(Average) or V(p99) for latency).
    type: str
  period:
    description: Seconds per datapoint (a multiple of 60 for standard-resolution metrics).
    type: int
    default: 60
  window_seconds:
    description: How far back from now the datapoints are read.
    type: int
    default: 300
  threshold:
    description: The value the datapoints are compared with.
    type: float
  comparison:
    description: The breach condition, as in CloudWatch alarms.
    type: str
    choices: [GreaterThanThreshold, GreaterThanOrEqualToThreshold, LessThanThreshold, LessThanOrEqualToThreshold]
    default: GreaterThanThreshold
  treat_missing_data:
    description: How a window without datapoints counts (an idle service may send no 5XX datapoints at all).
    type: str
    choices: [pass, fail]
    default: pass
  fail_on_breach:
    description: Fail the task when the gate does not pass (the result still carries the numbers).
    type: bool
    default: false
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: No more than 10 target 5XX per minute on the green group over the last 5 minutes
  cloudops.runbooks.cloudwatch_gate:
    namespace: AWS/ApplicationELB
    metric_name: HTTPCode_Target_5XX_Count
    dimensions:
      LoadBalancer: app/shop-primary-alb/50dc6c495c0c9188
      TargetGroup: targetgroup/shop-primary-green/a2d6a5397f597b93
    statistic: Sum
    threshold: 10
    region: us-east-1
  register: gate

- name: Roll back when the gate failed
  ansible.builtin.debug:
    msg: "Rolling back: {{ gate.reason }}"
  when: not gate.passed

- name: p99 latency under half a second
  cloudops.runbooks.cloudwatch_gate:
    namespace: AWS/ApplicationELB
    metric_name: TargetResponseTime
    dimensions:
      LoadBalancer: app/shop-primary-alb/50dc6c495c0c9188
    statistic: p99
    threshold: 0.5
    window_seconds: 600
    fail_on_breach: true

- name: The 5XX alarm must be OK
  cloudops.runbooks.cloudwatch_gate:
    alarm_name: shop-primary-5xx
"""

RETURN = r"""
passed:
  description: Whether the gate passed.
  returned: always
  type: bool
  sample: false
value:
  description:
    - The window's aggregate, the worst datapoint for the comparison (the highest for V(GreaterThan*), the lowest
      for V(LessThan*)); null without datapoints and for an alarm gate.
  returned: always
  type: float
  sample: 42.0
datapoints:
  description: The window's datapoints, oldest first; empty for an alarm gate.
  returned: always
  type: list
  elements: dict
  sample: [{"timestamp": "2026-01-01T12:00:00+00:00", "value": 42.0}]
threshold:
  description: The threshold (an alarm gate returns the alarm's, null for a composite alarm).
  returned: always
  type: float
  sample: 10.0
comparison:
  description: The breach condition (an alarm gate returns the alarm's, null for a composite alarm).
  returned: always
  type: str
  sample: GreaterThanThreshold
reason:
  description: A sentence with the numbers that decided.
  returned: always
  type: str
  sample: "HTTPCode_Target_5XX_Count (Sum per 60 s, LoadBalancer=app/shop-primary-alb/50dc6c495c0c9188) over the last 300 s:
    worst of 5 datapoints is 42 at 2026-01-01T12:00:00+00:00, > threshold 10: breach"
statistic:
  description: The statistic read (metric gate).
  returned: when a metric gate
  type: str
  sample: Sum
window:
  description: The window read, ISO 8601 (metric gate).
  returned: when a metric gate
  type: dict
  sample: {"start": "2026-01-01T11:55:00+00:00", "end": "2026-01-01T12:00:00+00:00"}
alarm:
  description: The alarm's name, state, state reason and when it last changed (alarm gate).
  returned: when an alarm gate
  type: dict
  sample: {"name": "shop-primary-5xx", "state": "OK", "state_reason": "Threshold Crossed", "state_updated": "2026-01-01T12:00:00+00:00"}
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here the metric's or alarm's verdict (one
      gate, named after the alarm or the statistic, with the value, threshold and comparison)."
  returned: always
  type: dict
  version_added: 1.0.0
  sample:
    detail: p99 0.21 <= 0.5
    measures: {value: 0.21, threshold: 0.5}
    gates:
    - name: p99
      passed: true
      detail: p99 0.21 <= 0.5
      numbers: {value: 0.21, threshold: 0.5, comparison: GreaterThanThreshold, statistic: p99}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import gates
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import gate_checks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            alarm_name=dict(type="str"),
            ok_states=dict(type="list", elements="str", choices=["OK", "ALARM", "INSUFFICIENT_DATA"], default=["OK"]),
            namespace=dict(type="str"),
            metric_name=dict(type="str"),
            dimensions=dict(type="dict", default={}),
            statistic=dict(type="str"),
            period=dict(type="int", default=60),
            window_seconds=dict(type="int", default=300),
            threshold=dict(type="float"),
            comparison=dict(type="str", default="GreaterThanThreshold", choices=list(gates.COMPARISONS)),
            treat_missing_data=dict(type="str", default="pass", choices=["pass", "fail"]),
            fail_on_breach=dict(type="bool", default=False),
        ),
        mutually_exclusive=[("alarm_name", "metric_name")],
        required_one_of=[("alarm_name", "metric_name")],
        required_by={"metric_name": ("namespace", "statistic", "threshold")},
        supports_check_mode=True,
    )
    result = gate_checks.evaluate(module, client(module, "cloudwatch"), module.params, module.region)
    if not result["passed"] and module.params["fail_on_breach"]:
        module.fail_json(msg="Gate failed: %s" % result["reason"], changed=False, **result)
    module.exit_json(changed=False, **result)


if __name__ == "__main__":
    main()
