#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: alb_target_health
version_added: 1.0.0
short_description: Wait until the targets of ALB target groups are healthy
description:
  - Reads the target health of each target group and, with O(wait=true), polls until every group is ready or
    O(timeout) passes. Polls start 0.5 s apart and the pauses grow to 1.5 s, so a group that is already healthy
    returns at once and a long wait does not flood the API.
  - A group is ready when at least O(min_healthy) of its targets are healthy; by default when every registered
    target is healthy and there is at least one. Draining targets are not counted as registered.
  - Read-only; runs the same in check mode.
options:
  target_groups:
    description:
      - Names or ARNs of the target groups. Names are looked up in O(region); an ARN's own region is used.
    type: list
    elements: str
    required: true
  min_healthy:
    description:
      - Healthy targets each group needs to be ready. Default is all registered targets, and at least one.
    type: int
  wait:
    description:
      - Poll until every group is ready or O(timeout) passes. With V(false) the module reads once and reports.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for every group to be ready.
    type: int
    default: 300
  fail_on_timeout:
    description:
      - Fail when the groups are not ready after O(timeout), with the numbers of each group that is not.
        With V(false) the module returns RV(all_ready=false) instead.
    type: bool
    default: true
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
- name: Wait until the green side is healthy before moving traffic to it
  cloudops.runbooks.alb_target_health:
    target_groups:
      - shop-primary-green
    timeout: 600
    region: us-east-1

- name: Need at least two healthy targets, and report instead of failing
  cloudops.runbooks.alb_target_health:
    target_groups: [shop-primary-green, shop-primary-catalog-green]
    min_healthy: 2
    timeout: 120
    fail_on_timeout: false
  register: health
"""

RETURN = r"""
target_groups:
  description: Readiness of each target group, in the order given, as last read.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Name of the target group.
      type: str
      sample: shop-primary-green
    arn:
      description: ARN of the target group.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-primary-green/a2d6a5397f597b93
    registered:
      description: Targets registered (draining ones excluded).
      type: int
      sample: 2
    healthy:
      description: Healthy targets.
      type: int
      sample: 2
    unhealthy:
      description: Unhealthy targets.
      type: int
      sample: 0
    states:
      description: Number of targets per state (healthy, unhealthy, initial, draining, unused, unavailable).
      type: dict
      sample: {"healthy": 2}
    reasons:
      description: Number of targets per reason code, for targets that are not healthy.
      type: dict
      sample: {}
    need:
      description: Healthy targets the group needs to be ready.
      type: int
      sample: 2
    ready:
      description: Whether the group is ready.
      type: bool
      sample: true
    targets:
      description: The targets, with state and reason.
      type: list
      elements: dict
      sample: [{"id": "i-0123", "port": 8080, "state": "healthy", "reason": null, "description": null}]
all_ready:
  description: Whether every group is ready.
  returned: always
  type: bool
  sample: true
elapsed_seconds:
  description: Seconds spent reading and waiting.
  returned: always
  type: float
  sample: 1.27
polls:
  description: How many times the target health was read.
  returned: always
  type: int
  sample: 3
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here one gate per target group (C(targets
      <name>): ready or not, with its healthy, unhealthy, registered and needed counts)."
  returned: always
  type: dict
  version_added: 1.0.0
  sample:
    detail: 1 of 1 target group(s) ready after 0.4 s
    measures: {elapsed_seconds: 0.4, polls: 1}
    gates:
    - name: targets shop-green
      passed: true
      detail: null
      numbers: {healthy: 2, unhealthy: 0, registered: 2, need: 2}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import target_health


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            target_groups=dict(type="list", elements="str", required=True),
            min_healthy=dict(type="int"),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
            fail_on_timeout=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    wanted = [str(group) for group in module.params["target_groups"]]
    min_healthy = module.params["min_healthy"]
    if not wanted:
        module.fail_json(msg="target_groups is empty: name at least one target group")
    if min_healthy is not None and min_healthy < 0:
        module.fail_json(msg="min_healthy must be 0 or more, got %s" % min_healthy)
    if module.params["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 or more seconds, got %s" % module.params["timeout"])

    result = target_health.wait_ready(module, wanted, module.region, min_healthy, module.params["wait"], module.params["timeout"],
                                      module.params["fail_on_timeout"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
