#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: eks_capacity
version_added: 1.0.0
short_description: Scale an EKS node group and the Kubernetes workloads on it in one step, in the safe order, and wait
description:
  - What M(cloudops.runbooks.eks_nodegroup_scale) and M(cloudops.runbooks.k8s_workload_scale) do, in one process - a
    failover's scale-up of the DR side, or its failback's scale-down, is one runbook step.
  - O(direction=up) scales the node group first (waits until it is C(ACTIVE) with the new sizes, unless
    O(nodegroup_wait=false)), then the workloads (waits until every pod is ready), so the pods have nodes to run on.
    O(direction=down) scales the workloads first, then the node group, so the pods leave before their nodes.
  - Either part may be left out - no O(nodegroup) (or no O(nodegroup_name)), no node group change; no O(workloads),
    no workload change.
  - Idempotent. Check mode reads both and predicts (RV(restore) is what puts the capacity back, so a check-mode run is
    how a runbook records the sizes before it scales); C(--diff) shows the sizes and replicas before and after.
  - The waits, refusals and failure messages are those of the two modules. A failure of the second part returns what
    the first did.
options:
  direction:
    description: V(up) - node group, then workloads; V(down) - workloads, then node group.
    type: str
    default: up
    choices: [up, down]
  cluster_name:
    description: The EKS cluster of the node group.
    type: str
  nodegroup_name:
    description: The managed node group; empty, no node group is scaled.
    type: str
  nodegroup:
    description: Sizes for the node group (any of them; the others keep their value). Omitted or null, it is not scaled.
    type: dict
    suboptions:
      min_size: {description: Minimum size., type: int}
      desired_size: {description: Desired size., type: int}
      max_size: {description: Maximum size., type: int}
  nodegroup_wait:
    description: Wait until the node group is C(ACTIVE) with its new sizes (V(false) returns once EKS took the update).
    type: bool
    default: true
  nodegroup_wait_timeout:
    description: Seconds to wait for the node group.
    type: int
    default: 1800
  workloads:
    description: The workloads to scale (as M(cloudops.runbooks.k8s_workload_scale)'s O(cloudops.runbooks.k8s_workload_scale#module:workloads)).
    type: list
    elements: dict
    default: []
    suboptions:
      kind:
        description: V(Deployment) or V(StatefulSet).
        type: str
        default: Deployment
        choices: [Deployment, StatefulSet]
      name:
        description: Name of the workload.
        type: str
        required: true
      namespace:
        description: Namespace of the workload; default O(namespace).
        type: str
      replicas:
        description: Number of pods to run (0 stops it).
        type: int
        required: true
      autoscaler:
        description:
          - The bounds to give the workload's HorizontalPodAutoscaler (C(autoscaling/v2), the one whose
            C(scaleTargetRef) is this workload), as RV(restore) returns them to put back the bounds read before.
          - Without it, a workload with an HPA gets C(minReplicas) = O(workloads[].replicas) (C(maxReplicas) raised to
            that when lower), so the HPA holds the scale instead of undoing it; for 0 replicas the HPA is left as it is
            (an HPA whose target runs no pod is inactive). Ignored for a workload without an HPA.
        type: dict
        version_added: 1.0.0
        suboptions:
          min_replicas: {description: C(spec.minReplicas)., type: int, required: true}
          max_replicas: {description: C(spec.maxReplicas)., type: int, required: true}
      keep_autoscaler:
        description:
          - Leave the workload's HorizontalPodAutoscaler's bounds as they are (C(maxReplicas) raised to
            O(workloads[].replicas) when lower), so the replicas are set and the HPA goes on from there. For a scale-up
            right before traffic arrives (a failback's primary region), where the HPA's scale-down stabilization (5
            minutes by default) holds the pods until the load comes, and its minimum must not stay raised afterwards.
          - Exclusive with O(workloads[].autoscaler).
        type: bool
        default: false
        version_added: 1.0.0
  namespace:
    description: Namespace of the workloads that do not name one.
    type: str
  workloads_wait:
    description: Wait until every workload has its replicas ready.
    type: bool
    default: true
  workloads_timeout:
    description: Seconds to wait for all the workloads together.
    type: int
    default: 600
notes:
  - The Kubernetes client (O(kubeconfig), O(context)) is only needed with O(workloads).
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.kubernetes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Record the DR sizes before the failover (check mode reads and predicts)
  cloudops.runbooks.eks_capacity:
    region: us-west-2
    cluster_name: shop-dr
    nodegroup_name: workers
    nodegroup: {min_size: 3, desired_size: 3, max_size: 6}
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    namespace: shop
    workloads: [{name: shop-blue, replicas: 2}]
  check_mode: true
  register: dr_before

- name: Scale the DR side up and wait until it serves
  cloudops.runbooks.eks_capacity:
    region: us-west-2
    cluster_name: shop-dr
    nodegroup_name: workers
    nodegroup: {min_size: 3, desired_size: 3, max_size: 6}
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    namespace: shop
    workloads: [{name: shop-blue, replicas: 2}]

- name: Failback - put it back, pods first, without waiting for the nodes to go
  cloudops.runbooks.eks_capacity:
    direction: down
    region: us-west-2
    cluster_name: shop-dr
    nodegroup_name: workers
    nodegroup: "{{ dr_before.restore.nodegroup }}"
    nodegroup_wait: false
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    workloads: "{{ dr_before.restore.workloads }}"
"""

RETURN = r"""
nodegroup:
  description:
    - The node group's part - C(name), C(before), C(after) (sizes), C(changed), C(status), C(duration_seconds) (null
      without a wait) - or null when it was not scaled.
  returned: always
  type: dict
  sample: {name: workers, before: {min_size: 1, desired_size: 1, max_size: 6}, after: {min_size: 3, desired_size: 3, max_size: 6},
           changed: true, status: ACTIVE, duration_seconds: 42.5}
workloads:
  description: One entry per workload, as M(cloudops.runbooks.k8s_workload_scale) returns them.
  returned: always
  type: list
  elements: dict
  sample: [{kind: Deployment, name: shop-blue, namespace: shop, before: 0, replicas: 2, ready_replicas: 2, ready: true,
            changed: true, ready_seconds: 4.25}]
workloads_duration_seconds:
  description: Seconds the workloads part took; null when there was none.
  returned: always
  type: float
  sample: 4.5
restore:
  description: What puts the capacity back - C(nodegroup) (the sizes before, or null) and C(workloads) (the replicas
    before, and the HPA bounds before as C(autoscaler) for a workload with one).
  returned: always
  type: dict
  sample: {nodegroup: {min_size: 1, desired_size: 1, max_size: 6}, workloads: [{kind: Deployment, name: shop-blue, namespace: shop, replicas: 0}]}
started_at:
  description: UTC time the module started (ISO 8601).
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time it finished.
  returned: always
  type: str
  sample: '2026-01-31T12:00:47.000000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) the whole step took.
  returned: always
  type: float
  sample: 46.875
step_summary:
  description: The call as a runbook step - C(detail), C(measures) (C(nodegroup_seconds), C(workloads_seconds),
    C(duration_seconds), C(workloads), C(workloads_ready)) and C(gates) (none).
  returned: always
  type: dict
  sample: {detail: "node group workers 1/1/6 -> 3/3/6 (ACTIVE); shop-blue 0 -> 2", measures: {workloads: 1, workloads_ready: 1}, gates: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import capacity
from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.nodegroup_scaling import scale_nodegroup
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s.workloads import Workloads, scale_workloads

SIZES = ("min_size", "desired_size", "max_size")


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            direction=dict(type="str", default=capacity.UP, choices=[capacity.UP, capacity.DOWN]),
            cluster_name=dict(type="str"),
            nodegroup_name=dict(type="str"),
            nodegroup=dict(type="dict", options=dict((size, dict(type="int")) for size in SIZES)),
            nodegroup_wait=dict(type="bool", default=True),
            nodegroup_wait_timeout=dict(type="int", default=1800),
            workloads=dict(type="list", elements="dict", default=[], options=scaling.workload_options()),
            namespace=dict(type="str"),
            workloads_wait=dict(type="bool", default=True),
            workloads_timeout=dict(type="int", default=600),
            kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
            context=dict(type="str", aliases=["kube_context"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    sizes = dict((size, (params["nodegroup"] or {}).get(size)) for size in SIZES)
    scale_group = bool(params["nodegroup_name"]) and params["nodegroup"] is not None and any(v is not None for v in sizes.values())
    if scale_group and not params["cluster_name"]:
        module.fail_json(msg="cluster_name is required to scale node group %s" % params["nodegroup_name"])
    try:
        wanted = scaling.normalise_workloads(params["workloads"], params["namespace"]) if params["workloads"] else []
    except scaling.ScalingError as e:
        module.fail_json(msg=str(e))
    if params["workloads_timeout"] < 0:
        module.fail_json(msg="workloads_timeout must be 0 or more seconds")
    io = None
    if wanted:
        io = Workloads(module, k8s_retry.module_api_client(module, params["kubeconfig"], params["context"]))

    watch = timing.Stopwatch()
    done = {capacity.NODEGROUP: None, capacity.WORKLOADS: None}
    diffs = {"before": {}, "after": {}}
    for part in capacity.order(params["direction"]):
        context = dict(changed=any((result or {}).get("changed") for result in done.values()),
                       nodegroup=capacity.nodegroup_part(params["nodegroup_name"], done[capacity.NODEGROUP]),
                       workloads=(done[capacity.WORKLOADS] or {}).get("workloads", []))
        if part == capacity.NODEGROUP and scale_group:
            done[part] = scale_nodegroup(module, client(module, "eks"), params["cluster_name"], params["nodegroup_name"], sizes,
                                         params["nodegroup_wait"], params["nodegroup_wait_timeout"], context=context)
        elif part == capacity.WORKLOADS and wanted:
            io.context = context
            done[part] = scale_workloads(module, io, wanted, params["workloads_wait"], params["workloads_timeout"])
        for side in ("before", "after"):
            diffs[side].update(((done[part] or {}).get("diff") or {}).get(side) or {})
    result = capacity.capacity_result(params["nodegroup_name"], done[capacity.NODEGROUP], done[capacity.WORKLOADS], watch.stop())
    result["step_summary"] = capacity.step_summary(result, module.check_mode)
    if module._diff and result["changed"]:
        result["diff"] = diffs
    module.exit_json(**result)


if __name__ == "__main__":
    main()
