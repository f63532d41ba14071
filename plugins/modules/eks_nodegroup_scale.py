#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_nodegroup_scale
version_added: 1.0.0
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
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
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
step_summary:
  description: The call as a runbook step - C(detail), C(measures), C(gates) (none).
  returned: success
  type: dict
  version_added: 1.0.0
  sample: {detail: "node group workers 1/1/6 -> 3/3/6 (ACTIVE)", measures: {duration_seconds: 12.5}, gates: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import capacity
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.nodegroup_scaling import scale_nodegroup


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
    sizes = dict((key, params[key]) for key in ("min_size", "desired_size", "max_size"))
    result = scale_nodegroup(module, client(module, "eks"), params["cluster_name"], params["nodegroup_name"], sizes,
                             params["wait"], params["wait_timeout"])
    module.exit_json(step_summary=capacity.nodegroup_step_summary(params["nodegroup_name"], result), **result)


if __name__ == "__main__":
    main()
