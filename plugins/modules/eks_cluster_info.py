#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_cluster_info
version_added: 1.0.0
short_description: Describe an EKS cluster and its managed node groups
description:
  - Reads the status, Kubernetes version and endpoint of one EKS cluster and the status and scaling
    configuration of each of its managed node groups.
  - Read-only; runs the same in check mode.
options:
  cluster_name:
    description:
      - Name of the EKS cluster.
    type: str
    required: true
    aliases: [name]
  fail_when_missing:
    description:
      - Fail when the cluster does not exist. With V(false) the module returns RV(exists=false) instead.
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
- name: Read the primary cluster
  cloudops.runbooks.eks_cluster_info:
    cluster_name: shop-primary
    region: us-east-1
  register: primary_cluster

- name: Stop when a node group cannot hold the desired nodes
  ansible.builtin.assert:
    that: item.status == 'ACTIVE'
  loop: "{{ primary_cluster.nodegroups }}"
"""

RETURN = r"""
region:
  description: Region the module read.
  returned: success
  type: str
  sample: us-east-1
exists:
  description: Whether the cluster exists.
  returned: always
  type: bool
  sample: true
cluster:
  description: The cluster; empty when it does not exist.
  returned: always
  type: dict
  contains:
    name:
      description: Cluster name.
      type: str
      returned: success
      sample: shop-primary
    arn:
      description: Cluster ARN.
      type: str
      returned: success
      sample: arn:aws:eks:us-east-1:123456789012:cluster/shop-primary
    status:
      description: 'Cluster status: C(ACTIVE), C(CREATING), C(UPDATING), ...'
      type: str
      returned: success
      sample: ACTIVE
    version:
      description: Kubernetes version.
      type: str
      returned: success
      sample: '1.29'
    endpoint:
      description: API server endpoint.
      type: str
      returned: success
      sample: https://ABC.gr7.us-east-1.eks.amazonaws.com
nodegroups:
  description: Managed node groups of the cluster, sorted by name.
  returned: always
  type: list
  elements: dict
  contains:
    name:
      description: Node group name.
      type: str
      returned: success
      sample: shop-primary-workers
    status:
      description: Node group status.
      type: str
      returned: success
      sample: ACTIVE
    scaling_config:
      description: Scaling configuration.
      type: dict
      returned: success
      sample:
        min_size: 3
        max_size: 6
        desired_size: 3
    instance_types:
      description: EC2 instance types.
      type: list
      elements: str
      returned: success
      sample:
      - m5.large
    capacity_type:
      description: C(ON_DEMAND) or C(SPOT).
      type: str
      returned: success
      sample: ON_DEMAND
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_name=dict(type="str", required=True, aliases=["name"]),
            fail_when_missing=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    info = eks.cluster_info(module, client(module, "eks"), module.params["cluster_name"], module.region, module.params["fail_when_missing"])
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
