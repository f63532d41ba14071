# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale Deployments and StatefulSets and wait until all their pods are ready: the work of k8s_workload_scale, shared
with eks_capacity (node group and workloads in one process). Decisions in module_utils/scaling.py; the API client
and its retry policy in _k8s/client.py.

scale_workloads() returns the module result ({changed, workloads, restore, started_at, finished_at, duration_seconds}
and a diff in --diff mode) or fails the module with what it found (context: more keys for that failure).
"""

from __future__ import annotations

try:
    from kubernetes import client as k8s_client
    from kubernetes.client.rest import ApiException
except ImportError:
    pass  # the modules report the missing kubernetes library

from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils.waiting import poll_until


class Workloads(object):
    """Reads and scales Deployments and StatefulSets through the apps/v1 API (camelCase dicts out)."""

    def __init__(self, module, api, context=None):
        self.module, self.api, self.apps = module, api, k8s_client.AppsV1Api(api)
        self.context = dict(context or {})

    def _fail(self, exc, what, **context):
        self.module.fail_json(msg="%s failed: %s %s %s" % (what, getattr(exc, "status", ""), getattr(exc, "reason", ""),
                                                           str(getattr(exc, "body", None) or "")[:500]),
                              **dict(self.context, **context))

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


def scale_workloads(module, io, wanted, wait=True, timeout=300):
    """wanted: scaling.normalise_workloads() of the request; io: Workloads."""
    fail = io.module.fail_json
    watch = timing.Stopwatch()
    found = [io.read(workload) for workload in wanted]
    missing = ["%s %s/%s" % (w["kind"], w["namespace"], w["name"]) for w, obj in zip(wanted, found) if obj is None]
    if missing:
        fail(msg="not found, nothing was scaled: %s (check the names, namespaces and kubeconfig/context)" % ", ".join(missing),
             **io.context)
    befores = [scaling.workload_progress(obj)["replicas"] for obj in found]
    changes = [before != workload["replicas"] for workload, before in zip(wanted, befores)]
    changed = any(changes)
    restore = [dict(kind=w["kind"], name=w["name"], namespace=w["namespace"], replicas=before) for w, before in zip(wanted, befores)]
    labels = ["%s/%s/%s" % (w["namespace"], w["kind"], w["name"]) for w in wanted]
    extra = {"diff": {"before": dict((label, before) for label, before in zip(labels, befores)),
                      "after": dict((label, w["replicas"]) for label, w in zip(labels, wanted))}} if module._diff and changed else {}

    if module.check_mode:
        times = watch.stop()
        return dict(times, changed=changed, workloads=[entry(w, b, obj, c) for w, b, obj, c in zip(wanted, befores, found, changes)],
                    restore=restore, **extra)

    for workload, change in zip(wanted, changes):
        if change:
            io.scale(workload, changed=True)
    if not wait:
        latest = [io.read(workload) or {} for workload in wanted]
        times = watch.stop()
        return dict(times, changed=changed, workloads=[entry(w, b, obj, c) for w, b, obj, c in zip(wanted, befores, latest, changes)],
                    restore=restore, **extra)

    latest = list(found)
    ready_at = [None] * len(wanted)

    def probe():
        for index, workload in enumerate(wanted):
            if ready_at[index] is None:
                latest[index] = io.read(workload) or {}
                if scaling.workload_ready(latest[index], workload["replicas"]):
                    ready_at[index] = watch.elapsed()
        return ready_at

    waited = poll_until(probe, lambda marks: all(mark is not None for mark in marks), timeout)
    times = watch.stop()
    results = [entry(w, b, obj, c, r) for w, b, obj, c, r in zip(wanted, befores, latest, changes, ready_at)]
    if not waited["done"]:
        late = [scaling.describe_progress(w, obj) for w, obj, r in zip(wanted, latest, ready_at) if r is None]
        fail(msg="not ready within %s s: %s" % (timeout, "; ".join(late)),
             **dict(io.context, changed=changed, workloads=results, restore=restore, **times))
    return dict(times, changed=changed, workloads=results, restore=restore, **extra)
