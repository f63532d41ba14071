#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_nodegroup_scale
version_added: 0.4.0
short_description: Set an EKS managed node group's minimum, desired and maximum size and wait until it is ACTIVE
description:
  - Sets the scaling configuration of one managed node group (C(UpdateNodegroupConfig)) and waits until the node group
    is C(ACTIVE) with that configuration. Used to scale a warm-standby DR cluster up for a failover and back down
    after a drill.
  - Any subset of O(min_size), O(desired_size) and O(max_size) may be given; the others keep their current values.
    The result must satisfy 0 <= min <= desired <= max and max >= 1, checked before any call with the three
    numbers in the message.
  - A node group that is still C(UPDATING) (an earlier run was interrupted) is waited for before the update, so a
    re-run converges. C(CREATE_FAILED), C(DELETE_FAILED), C(DEGRADED) and C(DELETING) fail the task with the node
    group's health issues.
  - Idempotent. When the scaling already is as requested, nothing is changed.
  - Check mode predicts the scaling; C(--diff) shows it before and after.
  - The wait ends when EKS reports the node group ACTIVE. The EC2 instances may still be joining the cluster then.
    Wait for the workloads with M(cloudops.runbooks.k8s_workload_scale).
options:
  cluster_name:
    description:
      - Name of the EKS cluster.
    type: str
    required: true
  nodegroup_name:
    description:
      - Name of the managed node group.
    type: str
    required: true
    aliases: [name]
  min_size:
    description:
      - Minimum number of nodes.
    type: int
  desired_size:
    description:
      - Desired number of nodes.
    type: int
  max_size:
    description:
      - Maximum number of nodes.
    type: int
  wait:
    description:
      - Wait until the node group is C(ACTIVE) with the new scaling.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait (for an earlier update to finish, then for this one).
    type: int
    default: 1800
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Scale the DR workers up to production size
  cloudops.runbooks.eks_nodegroup_scale:
    cluster_name: shop-dr
    nodegroup_name: shop-dr-workers
    region: us-west-2
    min_size: 3
    desired_size: 3
  register: dr_nodes

- name: Back to warm standby after the drill
  cloudops.runbooks.eks_nodegroup_scale:
    cluster_name: shop-dr
    nodegroup_name: shop-dr-workers
    region: us-west-2
    min_size: "{{ dr_nodes.before.min_size }}"
    desired_size: "{{ dr_nodes.before.desired_size }}"
    max_size: "{{ dr_nodes.before.max_size }}"
"""

RETURN = r"""
before:
  description: Scaling configuration before the run.
  returned: always
  type: dict
  sample: {min_size: 1, desired_size: 1, max_size: 6}
after:
  description: Scaling configuration after the run (in check mode, the prediction).
  returned: always
  type: dict
  sample: {min_size: 3, desired_size: 3, max_size: 6}
status:
  description: Node group status after the run.
  returned: always
  type: str
  sample: ACTIVE
update_id:
  description: ID of the EKS update; null when nothing was changed.
  returned: always
  type: str
  sample: 560d36de-5ecc-483b-a76a-3e042f55dba3
started_at:
  description: UTC time of the update call (ISO 8601); null when nothing was changed.
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time the node group was seen ACTIVE with the new scaling; null without a wait or a change.
  returned: always
  type: str
  sample: '2026-01-31T12:03:00.000000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) from the update call to RV(finished_at); null without a wait or a change.
  returned: always
  type: float
  sample: 179.875
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True),
            nodegroup_name=dict(type="str", required=True, aliases=["name"]),
            min_size=dict(type="int"),
            desired_size=dict(type="int"),
            max_size=dict(type="int"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        required_one_of=[["min_size", "desired_size", "max_size"]],
        supports_check_mode=True,
    )
    params = module.params
    cluster, name = params["cluster_name"], params["nodegroup_name"]
    conn = client(module, "eks")
    label = "node group %s of %s" % (name, cluster)

    def describe():
        return eks.describe_nodegroup(module, conn, cluster, name)

    def wait_until(target, what, **context):
        outcome = waiting.poll_until(describe, lambda found: scaling.nodegroup_outcome(found, target) != scaling.WAITING,
                                     params["wait_timeout"])
        found = outcome["result"]
        if scaling.nodegroup_outcome(found, target) != scaling.DONE:
            status = (found or {}).get("status", "gone")
            issues = scaling.health_issues(found)
            module.fail_json(msg="%s is %s with scaling %s after %s s, not %s%s" % (
                label, status, scaling.scaling_from_boto((found or {}).get("scalingConfig")), outcome["elapsed"], what,
                ": health issues %s" % "; ".join(issues) if issues else
                ": raise wait_timeout or run again" if status not in scaling.NODEGROUP_FAILED else ""), **context)
        return found

    nodegroup = describe()
    if nodegroup is None:
        module.fail_json(msg="%s not found in %s: check cluster_name, nodegroup_name and region" % (label, module.region))
    before = scaling.scaling_from_boto(nodegroup.get("scalingConfig"))
    try:
        target = scaling.target_scaling(before, params["min_size"], params["desired_size"], params["max_size"])
    except scaling.ScalingError as e:
        module.fail_json(msg="%s: %s" % (label, e), before=before)
    result = dict(before=before, update_id=None, started_at=None, finished_at=None, duration_seconds=None)
    if nodegroup.get("status") in scaling.NODEGROUP_FAILED:
        module.fail_json(msg="%s is %s: fix it first%s" % (label, nodegroup.get("status"), "; health issues: %s" % "; ".join(
            scaling.health_issues(nodegroup)) if scaling.health_issues(nodegroup) else ""), changed=False, **result)

    if target == before:
        if params["wait"] and not module.check_mode and nodegroup.get("status") != "ACTIVE":
            nodegroup = wait_until(target, "ACTIVE", changed=False, **result)
        module.exit_json(changed=False, after=before, status=nodegroup.get("status"), **result)

    def diff(before, target):
        return {"diff": {"before": dict(before, nodegroup=name), "after": dict(target, nodegroup=name)}} if module._diff else {}

    if module.check_mode:
        module.exit_json(changed=True, after=target, status=nodegroup.get("status"), **dict(result, **diff(before, target)))
    if nodegroup.get("status") != "ACTIVE":
        if not params["wait"]:
            module.fail_json(msg="%s is %s: EKS updates only an ACTIVE node group; run with wait: true to wait for it"
                             % (label, nodegroup.get("status")), changed=False, **result)
        nodegroup = wait_until(None, "ACTIVE before the update", changed=False, **result)
        before = result["before"] = scaling.scaling_from_boto(nodegroup.get("scalingConfig"))
        try:
            target = scaling.target_scaling(before, params["min_size"], params["desired_size"], params["max_size"])
        except scaling.ScalingError as e:
            module.fail_json(msg="%s: %s" % (label, e), changed=False, **result)
        if target == before:
            module.exit_json(changed=False, after=before, status=nodegroup.get("status"), **result)

    extra = diff(before, target)
    watch = timing.Stopwatch()
    update = eks.update_nodegroup_scaling(module, conn, cluster, name, scaling.scaling_to_boto(target), changed=False, **result)
    result.update(update_id=update.get("id"), started_at=watch.started_at)
    if not params["wait"]:
        module.exit_json(changed=True, after=target, status=update.get("status"), **dict(result, **extra))
    found = wait_until(target, "ACTIVE with %s" % target, changed=True, **result)
    times = watch.stop()
    result.update(finished_at=times["finished_at"], duration_seconds=times["duration_seconds"])
    module.exit_json(changed=True, after=scaling.scaling_from_boto(found.get("scalingConfig")), status=found.get("status"),
                     **dict(result, **extra))


if __name__ == "__main__":
    main()
