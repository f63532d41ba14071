#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: k8s_workload_scale
version_added: 1.0.0
short_description: Scale several Deployments and StatefulSets in one task and wait until all their pods are ready
description:
  - Sets C(spec.replicas) of each listed workload through its C(scale) subresource (a plain patch when the API
    serves no C(scale) subresource), then waits until every one runs exactly that many pods, all ready, and
    its controller has seen the change (C(status.observedGeneration)).
  - All workloads are scaled first and then waited for together, so the wait takes as long as the slowest one, not the
    sum. The wait polls adaptively (0.5 s growing to 1.5 s). At O(timeout) the task fails and says, per workload, how many
    pods are ready.
  - Every listed workload must exist. A missing one fails the task before anything is scaled.
  - Idempotent. A workload that already has the requested replicas is not patched, but is still waited for.
  - Check mode reads the workloads and predicts; C(--diff) shows the replicas before and after.
  - A workload scaled by a HorizontalPodAutoscaler (C(autoscaling/v2)) is scaled through it - its bounds are set
    first (O(workloads[].autoscaler)), so the HPA holds the new replicas rather than undoing them at its next sync.
    HPAs that cannot be listed (RBAC) are a warning.
  - Workloads managed by Helm keep their release revision. A later C(helm upgrade) sets the chart's replica count
    again.
options:
  workloads:
    description:
      - The workloads to scale.
    type: list
    elements: dict
    required: true
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
  wait:
    description: Wait until every workload has its replicas ready.
    type: bool
    default: true
  timeout:
    description: Seconds to wait for all the workloads together.
    type: int
    default: 300
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
"""

EXAMPLES = r"""
- name: Scale the DR side of the application up for a failover
  cloudops.runbooks.k8s_workload_scale:
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    namespace: shop
    workloads:
      - {name: shop-blue, replicas: 3}
      - {name: shop-worker, replicas: 2}
      - {kind: StatefulSet, name: shop-cache, replicas: 3}
    timeout: 600
  register: dr_scale

- name: Back to warm standby after the drill
  cloudops.runbooks.k8s_workload_scale:
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    workloads: "{{ dr_scale.restore }}"
"""

RETURN = r"""
workloads:
  description: One entry per listed workload, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    kind:
      description: V(Deployment) or V(StatefulSet).
      type: str
      sample: Deployment
    name:
      description: Workload name.
      type: str
      sample: shop-blue
    namespace:
      description: Workload namespace.
      type: str
      sample: shop
    before:
      description: C(spec.replicas) before the run (what scales it back).
      type: int
      sample: 1
    replicas:
      description: C(spec.replicas) requested.
      type: int
      sample: 3
    ready_replicas:
      description: Ready pods when the module finished (before, in check mode).
      type: int
      sample: 3
    ready:
      description: Whether the workload runs exactly RV(workloads[].replicas) ready pods.
      type: bool
      sample: true
    changed:
      description: Whether its replicas were (or would be) changed.
      type: bool
      sample: true
    ready_seconds:
      description: Seconds from the start of the wait until it was seen ready; null when not waited for or not ready.
      type: float
      sample: 4.25
    autoscaler:
      description: For a workload with a HorizontalPodAutoscaler only - its C(name) and its bounds C(before) and
        C(after) (C(min_replicas), C(max_replicas)).
      type: dict
      returned: when the workload has an HPA
      sample: {name: shop-blue, before: {min_replicas: 1, max_replicas: 6}, after: {min_replicas: 3, max_replicas: 6}}
restore:
  description: The O(workloads) list that scales every workload back to its replicas before the run (and its HPA to
    its bounds before, C(autoscaler), for a workload with one).
  returned: always
  type: list
  elements: dict
  sample: [{kind: Deployment, name: shop-blue, namespace: shop, replicas: 1, autoscaler: {min_replicas: 1, max_replicas: 6}}]
started_at:
  description: UTC time the scaling started (ISO 8601).
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time every workload was seen ready (or the module returned without waiting).
  returned: always
  type: str
  sample: '2026-01-31T12:00:20.000000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) from RV(started_at) to RV(finished_at).
  returned: always
  type: float
  sample: 19.875
step_summary:
  description: The call as a runbook step - C(detail), C(measures), C(gates) (none).
  returned: success
  type: dict
  version_added: 1.0.0
  sample: {detail: "shop-blue 1 -> 3", measures: {duration_seconds: 12.5}, gates: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import capacity
from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s.workloads import Workloads, scale_workloads


def main():
    module = AnsibleModule(
        argument_spec=dict(
            workloads=dict(type="list", elements="dict", required=True, options=scaling.workload_options()),
            namespace=dict(type="str"),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
            kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
            context=dict(type="str", aliases=["kube_context"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        wanted = scaling.normalise_workloads(params["workloads"], params["namespace"])
    except scaling.ScalingError as e:
        module.fail_json(msg=str(e))
    if params["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 or more seconds")
    api = k8s_retry.module_api_client(module, params["kubeconfig"], params["context"])
    result = scale_workloads(module, Workloads(module, api), wanted, params["wait"], params["timeout"])
    module.exit_json(step_summary=capacity.workloads_step_summary(result), **result)


if __name__ == "__main__":
    main()
