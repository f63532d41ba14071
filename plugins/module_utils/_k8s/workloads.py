# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale Deployments and StatefulSets and wait until all their pods are ready: the work of k8s_workload_scale, shared
with eks_capacity (node group and workloads in one process). A workload with a HorizontalPodAutoscaler is scaled
through it (its bounds first, so the HPA does not undo the scale). Decisions in module_utils/scaling.py; the API
client and its retry policy in _k8s/client.py.

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
        self.autoscaling = k8s_client.AutoscalingV2Api(api)
        self.context = dict(context or {})
        self._autoscalers = {}  # namespace -> its HPAs, listed once

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

    def autoscaler(self, workload):
        """The HorizontalPodAutoscaler (autoscaling/v2) that scales the workload, None when there is none. HPAs that
        cannot be listed (no RBAC, no autoscaling/v2 API) are reported as a warning and taken as none."""
        namespace = workload["namespace"]
        if namespace not in self._autoscalers:
            try:
                listed = self.autoscaling.list_namespaced_horizontal_pod_autoscaler(namespace)
                self._autoscalers[namespace] = self.api.sanitize_for_serialization(listed).get("items") or []
            except ApiException as exc:
                if exc.status not in (403, 404):
                    self._fail(exc, "listing the HorizontalPodAutoscalers of namespace %s" % namespace)
                self.module.warn("could not list the HorizontalPodAutoscalers of namespace %s (%s %s): an HPA there may undo "
                                 "this scale; grant list and patch on horizontalpodautoscalers (autoscaling)"
                                 % (namespace, exc.status, exc.reason))
                self._autoscalers[namespace] = []
        return next((hpa for hpa in self._autoscalers[namespace] if scaling.autoscaler_targets(hpa, workload)), None)

    def bound(self, workload, bounds, **context):
        """Give the workload's HPA these bounds ({name, min_replicas, max_replicas})."""
        body = {"spec": {"minReplicas": bounds["min_replicas"], "maxReplicas": bounds["max_replicas"]}}
        try:
            self.autoscaling.patch_namespaced_horizontal_pod_autoscaler(bounds["name"], workload["namespace"], body)
        except ApiException as exc:
            self._fail(exc, "setting HorizontalPodAutoscaler %s/%s to %s-%s replicas" % (
                workload["namespace"], bounds["name"], bounds["min_replicas"], bounds["max_replicas"]), **context)

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


def entry(workload, before, obj, changed, ready_seconds=None, bounds=(None, None)):
    """One workload of the result; `autoscaler` ({name, before, after} bounds) only for a workload with an HPA."""
    progress = scaling.workload_progress(obj)
    out = {"kind": workload["kind"], "name": workload["name"], "namespace": workload["namespace"], "before": before,
           "replicas": workload["replicas"], "ready_replicas": progress["ready"],
           "ready": scaling.workload_ready(obj, workload["replicas"]), "changed": changed, "ready_seconds": ready_seconds}
    if bounds[0]:
        out["autoscaler"] = {"name": bounds[0]["name"], "before": _bounds(bounds[0]), "after": _bounds(bounds[1])}
    return out


def _bounds(bounds):
    return {"min_replicas": bounds["min_replicas"], "max_replicas": bounds["max_replicas"]} if bounds else None


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
    bounds_before = [scaling.autoscaler_bounds(io.autoscaler(workload)) for workload in wanted]
    bounds_after = [scaling.autoscaler_target(bounds, workload) for bounds, workload in zip(bounds_before, wanted)]
    bounds = list(zip(bounds_before, bounds_after))
    rebound = [before != after for before, after in bounds]
    changes = [before != workload["replicas"] or moved for workload, before, moved in zip(wanted, befores, rebound)]
    changed = any(changes)
    restore = [dict(kind=w["kind"], name=w["name"], namespace=w["namespace"], replicas=before, **({"autoscaler": _bounds(hpa)} if hpa else {}))
               for w, before, hpa in zip(wanted, befores, bounds_before)]
    labels = ["%s/%s/%s" % (w["namespace"], w["kind"], w["name"]) for w in wanted]
    extra = {}
    if module._diff and changed:
        extra["diff"] = {"before": dict((label, before) for label, before in zip(labels, befores)),
                         "after": dict((label, w["replicas"]) for label, w in zip(labels, wanted))}
        for label, (before, after) in zip(labels, bounds):
            if before != after:
                extra["diff"]["before"][label + " (HPA %s)" % before["name"]] = scaling.bounds_text(before)
                extra["diff"]["after"][label + " (HPA %s)" % before["name"]] = scaling.bounds_text(after)

    if module.check_mode:
        times = watch.stop()
        return dict(times, changed=changed, restore=restore, **extra,
                    workloads=[entry(w, b, obj, c, None, hpa) for w, b, obj, c, hpa in zip(wanted, befores, found, changes, bounds)])

    # The HPA first: its bounds changed after the scale would have it undo the scale at its next sync.
    for workload, moved, (dummy, after) in zip(wanted, rebound, bounds):
        if moved:
            io.bound(workload, after, changed=True)
    for workload, before in zip(wanted, befores):
        if before != workload["replicas"]:
            io.scale(workload, changed=True)
    if not wait:
        latest = [io.read(workload) or {} for workload in wanted]
        times = watch.stop()
        return dict(times, changed=changed, restore=restore, **extra,
                    workloads=[entry(w, b, obj, c, None, hpa) for w, b, obj, c, hpa in zip(wanted, befores, latest, changes, bounds)])

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
    results = [entry(w, b, obj, c, r, hpa) for w, b, obj, c, r, hpa in zip(wanted, befores, latest, changes, ready_at, bounds)]
    if not waited["done"]:
        late = [scaling.describe_progress(w, obj) for w, obj, r in zip(wanted, latest, ready_at) if r is None]
        fail(msg="not ready within %s s: %s" % (timeout, "; ".join(late)),
             **dict(io.context, changed=changed, workloads=results, restore=restore, **times))
    return dict(times, changed=changed, workloads=results, restore=restore, **extra)
