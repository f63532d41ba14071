"""Simulated controllers: Deployment -> ReplicaSets -> Pods, StatefulSet, DaemonSet, Job, and a tiny "kubelet".

Event driven: every store write enqueues the affected object (and its owner); one background thread reconciles
the queue under the store lock (so a reconcile is atomic with respect to API requests), plus a 1 s resync tick.
Pods become Ready `ready_delay` seconds after they are created, so clients really have to wait.

Rollout knob: annotation `sandbox.cloudops.io/never-ready: "true"` on a workload (or its owner chain), or an admin
rule for namespace/name, keeps its pods not ready (Jobs never complete).

HorizontalPodAutoscalers (autoscaling/v2) act as on a cluster whose metrics say the load needs
`sandbox.cloudops.io/load-replicas` pods (annotation on the HPA; none: an idle estate, which needs minReplicas): at
each sync their target's spec.replicas is set to that need clamped to [minReplicas, maxReplicas] - so a plain
`kubectl scale` above minReplicas is undone at the next sync, as a real HPA whose recommendations over its
stabilization window were all lower does. A target scaled to 0 is left alone (the HPA is then inactive, as on Kubernetes).
"""
import logging
import threading
import time

from . import resources
from .errors import ApiError
from .store import clone, now_iso, safe_hash

log = logging.getLogger("sandbox.k8s.controller")
KNOB_ANNOTATION = "sandbox.cloudops.io/never-ready"
REVISION = "deployment.kubernetes.io/revision"
NODE_NAME = "sandbox-node-1"

R = {r.kind: r for r in resources.RESOURCES}
WORKLOADS = ("Deployment", "ReplicaSet", "StatefulSet", "DaemonSet", "Job")
HPA = "HorizontalPodAutoscaler"
LOAD_ANNOTATION = "sandbox.cloudops.io/load-replicas"
SCALABLE = ("Deployment", "StatefulSet")


def controller_ref(obj):
    for ref in obj["metadata"].get("ownerReferences") or []:
        if ref.get("controller"):
            return ref
    return None


def owner_ref(obj):
    meta = obj["metadata"]
    return {"apiVersion": obj["apiVersion"], "kind": obj["kind"], "name": meta["name"], "uid": meta["uid"],
            "controller": True, "blockOwnerDeletion": True}


def is_ready(pod):
    return any(c.get("type") == "Ready" and c.get("status") == "True"
               for c in (pod.get("status") or {}).get("conditions") or [])


def _prune(status):
    """Drop zero/empty counters like the real API (omitempty), keeping the required ones."""
    return {k: v for k, v in status.items() if v not in (0, None, []) or k in ("replicas",)}


class Controller:
    def __init__(self, store, ready_delay=0.2, resync=1.0):
        self.store, self.ready_delay, self.resync = store, ready_delay, resync
        self.cond = threading.Condition()
        self.queue = {}  # (kind, namespace, name) -> due time (monotonic)
        self._rules = {}  # (namespace, name) -> ready bool
        self._born = {}  # pod uid -> monotonic time first seen
        self._stop = threading.Event()
        store.listeners.append(self._on_event)
        self.thread = threading.Thread(target=self._run, name="k8s-emulator-controller", daemon=True)

    # ------------------------------------------------------------ queue
    def start(self):
        self.thread.start()

    def stop(self):
        self._stop.set()
        with self.cond:
            self.cond.notify_all()
        self.thread.join(timeout=5)

    def enqueue(self, kind, namespace, name, delay=0.0):
        due = time.monotonic() + delay
        with self.cond:
            key = (kind, namespace, name)
            if key not in self.queue or self.queue[key] > due:
                self.queue[key] = due
            self.cond.notify_all()

    def _on_event(self, res, etype, obj):
        kind, meta = res.kind, obj["metadata"]
        if kind == HPA and etype != "DELETED":
            self.enqueue(kind, meta.get("namespace"), meta["name"])
        if kind in WORKLOADS or kind == "Pod":
            if etype != "DELETED":
                self.enqueue(kind, meta.get("namespace"), meta["name"])
            ref = controller_ref(obj)
            if ref and ref.get("kind") in WORKLOADS:
                self.enqueue(ref["kind"], meta.get("namespace"), ref["name"])
            if etype == "DELETED" and kind == "Pod":
                self._born.pop(meta.get("uid"), None)

    def _run(self):
        next_resync = time.monotonic() + self.resync
        while not self._stop.is_set():
            with self.cond:
                now = time.monotonic()
                due = [k for k, t in self.queue.items() if t <= now]
                for k in due:
                    del self.queue[k]
                if not due:
                    wake = min([next_resync] + list(self.queue.values()))
                    self.cond.wait(max(0.0, min(wake - now, 0.5)))
            for key in sorted(due, key=lambda k: -1 if k[0] == HPA else WORKLOADS.index(k[0]) if k[0] in WORKLOADS else 9):
                self._reconcile(*key)
            if time.monotonic() >= next_resync:
                next_resync = time.monotonic() + self.resync
                self.resync_all()

    def resync_all(self):
        with self.store.lock:
            for kind in (HPA,) + WORKLOADS + ("Pod",):
                for (ns, name) in list(self.store.objects[R[kind]]):
                    self.enqueue(kind, ns, name)

    def _reconcile(self, kind, namespace, name):
        try:
            with self.store.lock:
                obj = self.store.find(R[kind], namespace, name)
                if obj is not None:
                    getattr(self, "_reconcile_" + kind.lower())(obj)
        except ApiError as exc:  # e.g. the namespace went away mid-reconcile
            log.debug("reconcile %s %s/%s: %s", kind, namespace, name, exc.message)
        except Exception:  # noqa: BLE001 - keep the controller alive
            log.exception("reconcile %s %s/%s failed", kind, namespace, name)

    # ------------------------------------------------------------ knobs
    def rules(self):
        with self.cond:
            return [{"namespace": ns, "name": n, "ready": r} for (ns, n), r in sorted(self._rules.items())]

    def set_rule(self, namespace, name, ready):
        """ready False: never ready; True: ready even with the annotation; "fail": a Job's pods exit 1 (the Job
        fails, as a failing smoke test does); None: remove the rule."""
        with self.cond:
            if ready is None:
                self._rules.pop((namespace, name), None)
            else:
                self._rules[(namespace, name)] = ready if ready == "fail" else bool(ready)
        self.resync_all()

    def reset(self):
        with self.cond:
            self._rules.clear()
            self.queue.clear()
            self._born.clear()

    def adopt(self, pods):
        """Pods put back by Store.restore: started long ago (a ready pod stays ready, not Pending again)."""
        with self.cond:
            for pod in pods:
                self._born[pod["metadata"]["uid"]] = float("-inf")

    def never_ready(self, obj):
        """Walk the owner chain (pod -> RS -> Deployment); the first level with a rule or annotation decides."""
        for _ in range(4):
            meta = obj["metadata"]
            rule = self._rules.get((meta.get("namespace"), meta["name"]))
            if rule is not None:
                return rule is False
            if str((meta.get("annotations") or {}).get(KNOB_ANNOTATION, "")).lower() == "true":
                return True
            ref = controller_ref(obj)
            if not ref or ref.get("kind") not in R:
                return False
            obj = self.store.find(R[ref["kind"]], meta.get("namespace"), ref["name"])
            if obj is None:
                return False
        return False

    def must_fail(self, pod):
        """A Job pod whose Job has the "fail" rule."""
        ref = controller_ref(pod) or {}
        return ref.get("kind") == "Job" and self._rules.get((pod["metadata"].get("namespace"), ref.get("name"))) == "fail"

    # ------------------------------------------------------------ helpers
    def _owned(self, kind, owner):
        return self._owned_by(kind, owner["metadata"]["namespace"], {owner["metadata"]["uid"]})

    def _owned_by(self, kind, namespace, uids):
        """Copies of the objects of `kind` in `namespace` whose controller has one of `uids`, by name. Only those are
        copied: a namespace of 50 services holds hundreds of pods and replica sets, and copying them all in every
        reconcile made each resync quadratic (seeding 200 releases in one namespace took minutes)."""
        with self.store.lock:
            owned = [(key, o) for key, o in self.store.objects[R[kind]].items()
                     if key[0] == namespace and (controller_ref(o) or {}).get("uid") in uids]
            return [clone(o) for _, o in sorted(owned, key=lambda item: item[0])]

    def _write_status(self, obj, status):
        res = R[obj["kind"]]
        if obj.get("status") != status:
            self.store.mutate(res, obj["metadata"]["namespace"], obj["metadata"]["name"],
                              lambda cur: {**cur, "status": status}, subresource="status")

    def _set_metadata(self, obj, fn):
        res = R[obj["kind"]]

        def change(cur):
            fn(cur["metadata"])
            return cur
        return self.store.mutate(res, obj["metadata"]["namespace"], obj["metadata"]["name"], change)

    @staticmethod
    def _conditions(old, new):
        """Keep timestamps of unchanged conditions so reconciles are idempotent (no resourceVersion churn)."""
        previous = {c.get("type"): c for c in old or []}
        out, ts = [], now_iso()
        for cond in new:
            prev = previous.get(cond["type"])
            if prev and all(prev.get(k) == cond.get(k) for k in ("status", "reason", "message")):
                out.append(prev)
            else:
                out.append({**cond, "lastUpdateTime": ts, "lastTransitionTime": ts})
        return out

    def _new_pod(self, owner, template, name=None, extra_labels=None):
        tmeta = clone((template or {}).get("metadata") or {})
        meta = {"namespace": owner["metadata"]["namespace"],
                "labels": {**(tmeta.get("labels") or {}), **(extra_labels or {})},
                "ownerReferences": [owner_ref(owner)]}
        if tmeta.get("annotations"):
            meta["annotations"] = tmeta["annotations"]
        if name:
            meta["name"] = name
        else:
            meta["generateName"] = owner["metadata"]["name"] + "-"
        spec = clone((template or {}).get("spec") or {})
        spec.setdefault("containers", [])
        spec["nodeName"] = NODE_NAME
        spec.setdefault("restartPolicy", "Always")
        return self.store.create(R["Pod"], meta["namespace"], {"metadata": meta, "spec": spec})

    # ------------------------------------------------------------ kubelet: pod status
    def _reconcile_pod(self, pod):
        meta, spec = pod["metadata"], pod.get("spec") or {}
        if (pod.get("status") or {}).get("phase") in ("Succeeded", "Failed"):
            return
        born = self._born.setdefault(meta["uid"], time.monotonic())
        created = meta.get("creationTimestamp")
        containers = spec.get("containers") or []
        ip = "10.0.%d.%d" % (int(meta["uid"][:2], 16), int(meta["uid"][2:4], 16) % 250 + 2)
        base = {"hostIP": "10.0.0.10", "podIP": ip, "podIPs": [{"ip": ip}], "startTime": created,
                "qosClass": "BestEffort"}
        remaining = born + self.ready_delay - time.monotonic()
        job_pod = (controller_ref(pod) or {}).get("kind") == "Job"

        def cond(t, s, reason=None):
            c = {"type": t, "status": s, "lastProbeTime": None, "lastTransitionTime": created}
            if reason:
                c["reason"] = reason
            return c

        def cstatus(c, ready, state):
            return {"name": c.get("name"), "image": c.get("image", ""), "imageID": "", "ready": ready,
                    "started": "running" in state, "restartCount": 0, "state": state,
                    "containerID": f"containerd://{meta['uid'][:12]}{c.get('name', '')}"}

        if remaining > 0:
            status = {**base, "phase": "Pending",
                      "conditions": [cond("PodScheduled", "True"), cond("Ready", "False", "ContainersNotReady")],
                      "containerStatuses": [cstatus(c, False, {"waiting": {"reason": "ContainerCreating"}})
                                            for c in containers]}
            self.enqueue("Pod", meta["namespace"], meta["name"], remaining)
        elif self.never_ready(pod):
            status = {**base, "phase": "Running",
                      "conditions": [cond("PodScheduled", "True"), cond("Initialized", "True"),
                                     cond("ContainersReady", "False", "ContainersNotReady"),
                                     cond("Ready", "False", "ContainersNotReady")],
                      "containerStatuses": [cstatus(c, False, {"running": {"startedAt": created}})
                                            for c in containers]}
        elif job_pod:
            failed = self.must_fail(pod)
            term = {"terminated": {"exitCode": 1 if failed else 0, "reason": "Error" if failed else "Completed",
                                   "startedAt": created, "finishedAt": now_iso()}}
            status = {**base, "phase": "Failed" if failed else "Succeeded",
                      "conditions": [cond("PodScheduled", "True"), cond("Initialized", "True"),
                                     cond("ContainersReady", "False", "PodCompleted"),
                                     cond("Ready", "False", "PodCompleted")],
                      "containerStatuses": [cstatus(c, False, term) for c in containers]}
        else:
            status = {**base, "phase": "Running",
                      "conditions": [cond("PodReadyToStartContainers", "True"), cond("Initialized", "True"),
                                     cond("Ready", "True"), cond("ContainersReady", "True"),
                                     cond("PodScheduled", "True")],
                      "containerStatuses": [cstatus(c, True, {"running": {"startedAt": created}})
                                            for c in containers]}
        self._write_status(pod, status)

    # ------------------------------------------------------------ ReplicaSet
    def _reconcile_replicaset(self, rs):
        spec = rs.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        pods = self._owned("Pod", rs)
        for _ in range(len(pods), desired):
            pods.append(self._new_pod(rs, spec.get("template")))
        for extra in sorted(pods, key=lambda p: p["metadata"]["name"])[desired:]:
            self.store.delete(R["Pod"], extra["metadata"]["namespace"], extra["metadata"]["name"])
        pods = self._owned("Pod", rs)
        ready = sum(1 for p in pods if is_ready(p))
        self._write_status(rs, _prune({
            "replicas": len(pods), "fullyLabeledReplicas": len(pods), "readyReplicas": ready,
            "availableReplicas": ready, "observedGeneration": rs["metadata"].get("generation", 1)}))

    # ------------------------------------------------------------ HorizontalPodAutoscaler
    def _reconcile_horizontalpodautoscaler(self, hpa):
        meta, spec = hpa["metadata"], hpa.get("spec") or {}
        ref = spec.get("scaleTargetRef") or {}
        target = self.store.find(R[ref["kind"]], meta["namespace"], ref.get("name")) if ref.get("kind") in SCALABLE else None
        low, high = int(spec.get("minReplicas") or 1), int(spec.get("maxReplicas") or 1)
        status = dict(hpa.get("status") or {})
        if target is None:
            self._write_status(hpa, {**status, "currentReplicas": 0, "desiredReplicas": 0})
            return
        current = int((target.get("spec") or {}).get("replicas", 1))
        if current == 0:  # scaled to zero: the HPA is inactive
            self._write_status(hpa, {**status, "currentReplicas": 0, "desiredReplicas": 0})
            return
        try:
            load = int((meta.get("annotations") or {}).get(LOAD_ANNOTATION, low))
        except ValueError:
            load = low
        desired = max(low, min(high, load))
        if desired != current:
            def scale(cur):
                cur["spec"]["replicas"] = desired
                return cur
            self.store.mutate(R[ref["kind"]], meta["namespace"], ref["name"], scale)
            status["lastScaleTime"] = now_iso()
        self._write_status(hpa, {**status, "currentReplicas": current, "desiredReplicas": desired})

    # ------------------------------------------------------------ Deployment
    def _reconcile_deployment(self, d):
        meta, spec = d["metadata"], d.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        template = clone(spec.get("template") or {})
        labels = (template.setdefault("metadata", {}).get("labels") or {})
        labels.pop("pod-template-hash", None)
        template["metadata"]["labels"] = labels
        pth = safe_hash(template)
        owned = self._owned("ReplicaSet", d)

        def rev(rs):
            try:
                return int((rs["metadata"].get("annotations") or {}).get(REVISION, "0"))
            except ValueError:
                return 0
        max_rev = max([rev(rs) for rs in owned] or [0])
        new = next((rs for rs in owned if (rs["metadata"].get("labels") or {}).get("pod-template-hash") == pth),
                   None)
        annotations = {"deployment.kubernetes.io/desired-replicas": str(desired),
                       "deployment.kubernetes.io/max-replicas": str(desired + 1)}
        if spec.get("paused"):
            pass
        elif new is None:
            selector = clone(spec.get("selector") or {})
            selector.setdefault("matchLabels", {})["pod-template-hash"] = pth
            rs_template = clone(template)
            rs_template["metadata"]["labels"] = {**labels, "pod-template-hash": pth}
            new = self.store.create(R["ReplicaSet"], meta["namespace"], {
                "metadata": {"name": f"{meta['name']}-{pth}", "namespace": meta["namespace"],
                             "labels": {**labels, "pod-template-hash": pth},
                             "annotations": {**annotations, REVISION: str(max_rev + 1)},
                             "ownerReferences": [owner_ref(d)]},
                "spec": {"replicas": desired, "minReadySeconds": spec.get("minReadySeconds", 0),
                         "selector": selector, "template": rs_template}})
        else:
            new_rev = rev(new) if rev(new) == max_rev else max_rev + 1  # rollback: the old RS becomes newest

            def update_new(cur):
                cur["metadata"].setdefault("annotations", {}).update({**annotations, REVISION: str(new_rev)})
                cur["spec"]["replicas"] = desired
                return cur
            new = self.store.mutate(R["ReplicaSet"], meta["namespace"], new["metadata"]["name"], update_new)
        if not spec.get("paused"):
            old = sorted((rs for rs in owned if rs["metadata"]["uid"] != new["metadata"]["uid"]), key=rev)
            for rs in old:
                if (rs.get("spec") or {}).get("replicas", 0) != 0:
                    self.store.mutate(R["ReplicaSet"], meta["namespace"], rs["metadata"]["name"],
                                      lambda cur: {**cur, "spec": {**cur["spec"], "replicas": 0}})
            limit = int(spec.get("revisionHistoryLimit", 10))
            for rs in old[:max(0, len(old) - limit)]:
                self.store.delete(R["ReplicaSet"], meta["namespace"], rs["metadata"]["name"])
            revision = (new["metadata"].get("annotations") or {}).get(REVISION)
            if (meta.get("annotations") or {}).get(REVISION) != revision:
                d = self._set_metadata(d, lambda m: m.setdefault("annotations", {}).__setitem__(REVISION, revision))

        owned_uids = {rs["metadata"]["uid"] for rs in self._owned("ReplicaSet", d)}
        pods = self._owned_by("Pod", meta["namespace"], owned_uids)
        new_pods = [p for p in pods if (controller_ref(p) or {}).get("uid") == (new or {}).get("metadata", {})
                    .get("uid")]
        ready = sum(1 for p in pods if is_ready(p))
        updated_ready = sum(1 for p in new_pods if is_ready(p))
        complete = len(new_pods) == desired == len(pods) and updated_ready == desired
        rs_name = (new or {}).get("metadata", {}).get("name", meta["name"])
        conditions = [
            {"type": "Available", "status": "True" if ready >= desired else "False",
             "reason": "MinimumReplicasAvailable" if ready >= desired else "MinimumReplicasUnavailable",
             "message": "Deployment has minimum availability." if ready >= desired
             else "Deployment does not have minimum availability."},
            {"type": "Progressing", "status": "True",
             "reason": "NewReplicaSetAvailable" if complete else "ReplicaSetUpdated",
             "message": f'ReplicaSet "{rs_name}" has successfully progressed.' if complete
             else f'ReplicaSet "{rs_name}" is progressing.'},
        ]
        status = _prune({"observedGeneration": meta.get("generation", 1), "replicas": len(pods),
                         "updatedReplicas": len(new_pods), "readyReplicas": ready, "availableReplicas": ready,
                         "unavailableReplicas": max(0, desired - ready)})
        status["conditions"] = self._conditions((d.get("status") or {}).get("conditions"), conditions)
        self._write_status(d, status)

    # ------------------------------------------------------------ StatefulSet
    def _reconcile_statefulset(self, sts):
        meta, spec = sts["metadata"], sts.get("spec") or {}
        desired = int(spec.get("replicas", 1))
        revision = f"{meta['name']}-{safe_hash(spec.get('template') or {})}"
        revisions = self._owned("ControllerRevision", sts)
        if not any(r["metadata"]["name"] == revision for r in revisions):
            self.store.create(R["ControllerRevision"], meta["namespace"], {
                "metadata": {"name": revision, "namespace": meta["namespace"],
                             "labels": {**((spec.get("selector") or {}).get("matchLabels") or {}),
                                        "controller.kubernetes.io/hash": revision.rsplit("-", 1)[1]},
                             "ownerReferences": [owner_ref(sts)]},
                "data": {"spec": {"template": spec.get("template") or {}}},
                "revision": len(revisions) + 1})
        pods = {p["metadata"]["name"]: p for p in self._owned("Pod", sts)}
        for name, pod in list(pods.items()):
            index = name.rsplit("-", 1)[-1]
            stale = (pod["metadata"].get("labels") or {}).get("controller-revision-hash") != revision
            if not index.isdigit() or int(index) >= desired or stale:
                self.store.delete(R["Pod"], meta["namespace"], name)
                del pods[name]
        for i in range(desired):
            name = f"{meta['name']}-{i}"
            if name not in pods:
                pods[name] = self._new_pod(sts, spec.get("template"), name=name, extra_labels={
                    "controller-revision-hash": revision, "statefulset.kubernetes.io/pod-name": name,
                    "apps.kubernetes.io/pod-index": str(i)})
        ready = sum(1 for p in pods.values() if is_ready(p))
        old_status = sts.get("status") or {}
        current = old_status.get("currentRevision") or revision
        if ready == desired and len(pods) == desired:
            current = revision
        self._write_status(sts, _prune({
            "observedGeneration": meta.get("generation", 1), "replicas": len(pods), "readyReplicas": ready,
            "currentReplicas": len(pods) if current == revision else 0, "updatedReplicas": len(pods),
            "availableReplicas": ready, "currentRevision": current, "updateRevision": revision,
            "collisionCount": 0}))

    # ------------------------------------------------------------ DaemonSet (one simulated node)
    def _reconcile_daemonset(self, ds):
        meta, spec = ds["metadata"], ds.get("spec") or {}
        revision = safe_hash(spec.get("template") or {})
        pods = self._owned("Pod", ds)
        for pod in pods:
            if (pod["metadata"].get("labels") or {}).get("controller-revision-hash") != revision:
                self.store.delete(R["Pod"], meta["namespace"], pod["metadata"]["name"])
        pods = [p for p in pods if (p["metadata"].get("labels") or {}).get("controller-revision-hash") == revision]
        if not pods:
            pods = [self._new_pod(ds, spec.get("template"), extra_labels={"controller-revision-hash": revision})]
        ready = sum(1 for p in pods if is_ready(p))
        self._write_status(ds, {
            "currentNumberScheduled": 1, "desiredNumberScheduled": 1, "numberMisscheduled": 0,
            "numberReady": ready, "numberAvailable": ready, "updatedNumberScheduled": 1,
            "observedGeneration": meta.get("generation", 1), **({"numberUnavailable": 1} if not ready else {})})

    # ------------------------------------------------------------ Job (one pod stands for all completions)
    def _reconcile_job(self, job):
        meta, spec = job["metadata"], job.get("spec") or {}
        status = clone(job.get("status") or {})
        if any(c.get("type") in ("Complete", "Failed") and c.get("status") == "True"
               for c in status.get("conditions") or []):
            return
        if spec.get("suspend"):
            return
        pods = self._owned("Pod", job)
        if not pods:
            pods = [self._new_pod(job, spec.get("template"))]
        succeeded = any((p.get("status") or {}).get("phase") == "Succeeded" for p in pods)
        failed = sum(1 for p in pods if (p.get("status") or {}).get("phase") == "Failed")
        new = {"startTime": status.get("startTime") or meta.get("creationTimestamp"), "uncountedTerminatedPods": {}}
        if failed and not succeeded:  # one pod stands for all attempts: backoffLimit is spent at once
            ts = now_iso()
            new.update({"failed": failed, "ready": 0, "conditions": [
                {"type": "FailureTarget", "status": "True", "reason": "BackoffLimitExceeded",
                 "message": "Job has reached the specified backoff limit", "lastProbeTime": ts,
                 "lastTransitionTime": ts},
                {"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded",
                 "message": "Job has reached the specified backoff limit", "lastProbeTime": ts,
                 "lastTransitionTime": ts}]})
        elif succeeded:
            ts = now_iso()
            new.update({"succeeded": int(spec.get("completions", 1) or 1), "ready": 0, "completionTime": ts,
                        "conditions": [
                            {"type": "SuccessCriteriaMet", "status": "True", "reason": "CompletionsReached",
                             "message": "Reached expected number of succeeded pods",
                             "lastProbeTime": ts, "lastTransitionTime": ts},
                            {"type": "Complete", "status": "True", "reason": "CompletionsReached",
                             "message": "Reached expected number of succeeded pods",
                             "lastProbeTime": ts, "lastTransitionTime": ts}]})
        else:
            new.update({"active": len(pods), "ready": sum(1 for p in pods if is_ready(p))})
        self._write_status(job, new)
