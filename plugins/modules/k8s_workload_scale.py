#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: k8s_workload_scale
version_added: 0.4.0
short_description: Scale several Deployments and StatefulSets in one task and wait until all their pods are ready
description:
  - Sets C(spec.replicas) of each listed workload through its C(scale) subresource (a plain patch when the API
    serves no C(scale) subresource), then waits until every one runs exactly that many pods, all ready, and
    its controller has seen the change (C(status.observedGeneration)).
  - All workloads are scaled first and then waited for together, so the wait takes as long as the slowest one, not the
    sum. The wait polls adaptively (0.5 s growing to 5 s). At O(timeout) the task fails and says, per workload, how many
    pods are ready.
  - Every listed workload must exist. A missing one fails the task before anything is scaled.
  - Idempotent. A workload that already has the requested replicas is not patched, but is still waited for.
  - Check mode reads the workloads and predicts; C(--diff) shows the replicas before and after.
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
  kubeconfig:
    description: Path to the kubeconfig; default the client's usual lookup (C(KUBECONFIG), C(~/.kube/config)).
    type: path
    aliases: [kubeconfig_path]
  context:
    description: Kubeconfig context to use.
    type: str
    aliases: [kube_context]
requirements:
  - kubernetes >= 24.2.0 (the official Python client)
author:
  - cloudops platform team (@cloudops)
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
restore:
  description: The O(workloads) list that scales every workload back to its replicas before the run.
  returned: always
  type: list
  elements: dict
  sample: [{kind: Deployment, name: shop-blue, namespace: shop, replicas: 1}]
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
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils.waiting import poll_until
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry

try:
    from kubernetes import client as k8s_client
    from kubernetes.client.rest import ApiException
except ImportError:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None


class Workloads(object):
    """Reads and scales Deployments and StatefulSets through the apps/v1 API (camelCase dicts out)."""

    def __init__(self, module, api):
        self.module, self.api, self.apps = module, api, k8s_client.AppsV1Api(api)

    def _fail(self, exc, what, **context):
        self.module.fail_json(msg="%s failed: %s %s %s" % (what, getattr(exc, "status", ""), getattr(exc, "reason", ""),
                                                           str(getattr(exc, "body", None) or "")[:500]), **context)

    def _call(self, kind, verb):
        suffix = "deployment" if kind == "Deployment" else "stateful_set"
        return getattr(self.apps, "%s_namespaced_%s" % (verb, suffix))

    def read(self, workload):
        """The workload, or None when it does not exist."""
        try:
            return self.api.sanitize_for_serialization(self._call(workload["kind"], "read")(workload["name"], workload["namespace"]))
        except ApiException as exc:
            if exc.status == 404:
                return None
            self._fail(exc, "reading %s %s/%s" % (workload["kind"], workload["namespace"], workload["name"]))

    def scale(self, workload, **context):
        """Set spec.replicas: the scale subresource, else (an API without it) a merge patch of the workload."""
        body = {"spec": {"replicas": workload["replicas"]}}
        what = "scaling %s %s/%s to %s" % (workload["kind"], workload["namespace"], workload["name"], workload["replicas"])
        suffix = "deployment_scale" if workload["kind"] == "Deployment" else "stateful_set_scale"
        try:
            getattr(self.apps, "patch_namespaced_%s" % suffix)(workload["name"], workload["namespace"], body)
            return
        except ApiException as exc:
            if exc.status not in (404, 405):
                self._fail(exc, what, **context)
        try:
            self._call(workload["kind"], "patch")(workload["name"], workload["namespace"], body)
        except ApiException as exc:
            self._fail(exc, what, **context)


def entry(workload, before, obj, changed, ready_seconds=None):
    progress = scaling.workload_progress(obj)
    return {"kind": workload["kind"], "name": workload["name"], "namespace": workload["namespace"], "before": before,
            "replicas": workload["replicas"], "ready_replicas": progress["ready"],
            "ready": scaling.workload_ready(obj, workload["replicas"]), "changed": changed, "ready_seconds": ready_seconds}


def main():
    module = AnsibleModule(
        argument_spec=dict(
            workloads=dict(type="list", elements="dict", required=True, options=dict(
                kind=dict(type="str", default="Deployment", choices=list(scaling.WORKLOAD_KINDS)),
                name=dict(type="str", required=True),
                namespace=dict(type="str"),
                replicas=dict(type="int", required=True),
            )),
            namespace=dict(type="str"),
            wait=dict(type="bool", default=True),
            timeout=dict(type="int", default=300),
            kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
            context=dict(type="str", aliases=["kube_context"]),
        ),
        supports_check_mode=True,
    )
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    params = module.params
    try:
        wanted = scaling.normalise_workloads(params["workloads"], params["namespace"])
    except scaling.ScalingError as e:
        module.fail_json(msg=str(e))
    if params["timeout"] < 0:
        module.fail_json(msg="timeout must be 0 or more seconds")
    try:
        api = k8s_retry.api_client(params["kubeconfig"], params["context"])
    except Exception as exc:  # the client raises ConfigException, IOError, ... for an unusable kubeconfig
        module.fail_json(msg="cannot load kubeconfig %s: %s" % (params["kubeconfig"] or "(default)", exc))
    io = Workloads(module, api)

    watch = timing.Stopwatch()
    found = [io.read(workload) for workload in wanted]
    missing = ["%s %s/%s" % (w["kind"], w["namespace"], w["name"]) for w, obj in zip(wanted, found) if obj is None]
    if missing:
        module.fail_json(msg="not found, nothing was scaled: %s (check the names, namespaces and kubeconfig/context)" % ", ".join(missing))
    befores = [scaling.workload_progress(obj)["replicas"] for obj in found]
    changes = [before != workload["replicas"] for workload, before in zip(wanted, befores)]
    changed = any(changes)
    restore = [dict(kind=w["kind"], name=w["name"], namespace=w["namespace"], replicas=before) for w, before in zip(wanted, befores)]
    labels = ["%s/%s/%s" % (w["namespace"], w["kind"], w["name"]) for w in wanted]
    extra = {"diff": {"before": dict((label, before) for label, before in zip(labels, befores)),
                      "after": dict((label, w["replicas"]) for label, w in zip(labels, wanted))}} if module._diff and changed else {}

    if module.check_mode:
        times = watch.stop()
        module.exit_json(changed=changed, workloads=[entry(w, b, obj, c) for w, b, obj, c in zip(wanted, befores, found, changes)],
                         **dict(times, restore=restore, **extra))

    for workload, change in zip(wanted, changes):
        if change:
            io.scale(workload, changed=True)
    if not params["wait"]:
        latest = [io.read(workload) or {} for workload in wanted]
        times = watch.stop()
        module.exit_json(changed=changed, workloads=[entry(w, b, obj, c) for w, b, obj, c in zip(wanted, befores, latest, changes)],
                         **dict(times, restore=restore, **extra))

    latest = list(found)
    ready_at = [None] * len(wanted)

    def probe():
        for index, workload in enumerate(wanted):
            if ready_at[index] is None:
                latest[index] = io.read(workload) or {}
                if scaling.workload_ready(latest[index], workload["replicas"]):
                    ready_at[index] = watch.elapsed()
        return ready_at

    waited = poll_until(probe, lambda marks: all(mark is not None for mark in marks), params["timeout"])
    times = watch.stop()
    results = [entry(w, b, obj, c, r) for w, b, obj, c, r in zip(wanted, befores, latest, changes, ready_at)]
    if not waited["done"]:
        late = [scaling.describe_progress(w, obj) for w, obj, r in zip(wanted, latest, ready_at) if r is None]
        module.fail_json(msg="not ready within %s s: %s" % (params["timeout"], "; ".join(late)), changed=changed, workloads=results,
                         restore=restore, **times)
    module.exit_json(changed=changed, workloads=results, **dict(times, restore=restore, **extra))


if __name__ == "__main__":
    main()
