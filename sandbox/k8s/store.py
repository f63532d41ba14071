"""In-memory object store: server-managed metadata, resourceVersions, ownership cascade and watch fan-out.

One global resourceVersion counter (like etcd's revision) orders every write; a bounded event history lets watches
start from a given resourceVersion. All methods are thread-safe (one re-entrant lock).
"""
import base64
import collections
import datetime
import hashlib
import json
import random
import threading
import uuid

from . import ownership, patch as patchlib, resources
from .errors import ApiError, already_exists, conflict, invalid, not_found
from .selectors import match_fields, match_labels

DEFAULT_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")
HISTORY = 10000
INITIAL_STATUS = {
    "StatefulSet": {"replicas": 0, "availableReplicas": 0},
    "ReplicaSet": {"replicas": 0},
    "DaemonSet": {"currentNumberScheduled": 0, "desiredNumberScheduled": 0, "numberMisscheduled": 0,
                  "numberReady": 0},
    "HorizontalPodAutoscaler": {"currentReplicas": 0, "desiredReplicas": 0},
    "Pod": {"phase": "Pending", "qosClass": "BestEffort"},
    "PersistentVolumeClaim": {"phase": "Pending"},
    "Service": {"loadBalancer": {}},
}
_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def clone(value):
    """A copy of a JSON-shaped value (dicts, lists, scalars: what the store holds). ~5x faster than copy.deepcopy,
    which dominated the emulator's CPU: objects carry server-side apply's managedFields trees, and the store and
    the controller copy them on every read and reconcile."""
    if isinstance(value, dict):
        return {k: clone(v) for k, v in value.items()}
    if isinstance(value, list):
        return [clone(v) for v in value]
    return value


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def random_suffix(n=5):
    return "".join(random.choice(_NAME_CHARS) for _ in range(n))


def safe_hash(value, n=10):
    digest = hashlib.sha256(json.dumps(value, sort_keys=True).encode()).digest()
    return "".join(_NAME_CHARS[b % len(_NAME_CHARS)] for b in digest[:n])


def _spec_part(obj):
    """Everything that counts for metadata.generation: the object minus metadata and status."""
    return {k: v for k, v in obj.items() if k not in ("metadata", "status", "kind", "apiVersion")}


class Watcher:
    def __init__(self, res, namespace, label_reqs, field_reqs):
        self.res, self.namespace = res, namespace
        self.label_reqs, self.field_reqs = label_reqs, field_reqs
        self.queue = collections.deque()
        self.closed = False

    def wants(self, res, obj):
        meta = obj["metadata"]
        return (res is self.res and (self.namespace is None or meta.get("namespace") == self.namespace)
                and match_labels(self.label_reqs, meta.get("labels")) and match_fields(self.field_reqs, obj))


class Store:
    def __init__(self):
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)  # notified on every event (watchers wait on it)
        self.rv = 0
        self.objects = {r: {} for r in resources.RESOURCES}  # res -> {(ns, name): obj}
        self.history = collections.deque(maxlen=HISTORY)  # (rv, res, type, obj)
        self.watchers = set()
        self.listeners = []  # callables(res, event_type, obj) run under the lock; must be quick
        self._cluster_ip = 0
        self.seed_namespaces()

    # ------------------------------------------------------------ helpers
    def _next_rv(self):
        self.rv += 1
        return str(self.rv)

    def _emit(self, res, etype, obj):
        snapshot = clone(obj)
        self.history.append((int(obj["metadata"]["resourceVersion"]), res, etype, snapshot))
        for w in self.watchers:
            if w.wants(res, snapshot):
                w.queue.append((etype, snapshot))
        for listener in self.listeners:
            listener(res, etype, snapshot)
        self.changed.notify_all()

    def seed_namespaces(self):
        for ns in DEFAULT_NAMESPACES:
            if ("", ns) not in self.objects[resources.lookup("", "v1", "namespaces")]:
                self.create(resources.lookup("", "v1", "namespaces"), None, {"metadata": {"name": ns}})

    def _check_namespace(self, res, namespace):
        if res.namespaced:
            ns_res = resources.lookup("", "v1", "namespaces")
            if ("", namespace) not in self.objects[ns_res]:
                raise not_found(ns_res, namespace)

    # ------------------------------------------------------------ reads
    def get(self, res, namespace, name):
        with self.lock:
            obj = self.objects[res].get((namespace or "", name))
            if obj is None:
                raise not_found(res, name)
            return clone(obj)

    def find(self, res, namespace, name):
        with self.lock:
            obj = self.objects[res].get((namespace or "", name))
            return clone(obj) if obj is not None else None

    def list(self, res, namespace=None, label_reqs=(), field_reqs=()):
        with self.lock:
            items = [clone(o) for (ns, _), o in sorted(self.objects[res].items())
                     if (namespace is None or ns == namespace)
                     and match_labels(label_reqs, o["metadata"].get("labels"))
                     and match_fields(field_reqs, o)]
            return items, str(self.rv)

    # ------------------------------------------------------------ writes
    def _normalise(self, res, obj):
        obj["apiVersion"], obj["kind"] = res.api_version, res.kind
        if res.kind == "Secret":
            # stringData is write-only: fold it into base64 data.
            for key, value in (obj.pop("stringData", None) or {}).items():
                obj.setdefault("data", {})[key] = base64.b64encode(str(value).encode()).decode()
            obj.setdefault("type", "Opaque")
        return obj

    def create(self, res, namespace, obj, dry_run=False, managed_fields=None):
        with self.lock:
            obj = self._normalise(res, clone(obj))
            meta = obj.setdefault("metadata", {})
            if res.namespaced:
                if meta.get("namespace") and namespace and meta["namespace"] != namespace:
                    raise ApiError(400, "BadRequest", "the namespace of the provided object does not match "
                                   "the namespace sent on the request")
                namespace = namespace or meta.get("namespace") or "default"
                meta["namespace"] = namespace
                self._check_namespace(res, namespace)
            else:
                meta.pop("namespace", None)
                namespace = ""
            if not meta.get("name"):
                if not meta.get("generateName"):
                    raise invalid(res, "", "metadata.name: Required value: name or generateName is required")
                for _ in range(100):
                    meta["name"] = meta["generateName"] + random_suffix()
                    if (namespace, meta["name"]) not in self.objects[res]:
                        break
            key = (namespace, meta["name"])
            if key in self.objects[res]:
                raise already_exists(res, meta["name"])
            if meta.get("resourceVersion"):
                raise ApiError(500, "InternalError", "resourceVersion should not be set on objects to be created")
            meta["uid"] = str(uuid.uuid4())
            meta["creationTimestamp"] = now_iso()
            if res.has_generation:
                meta["generation"] = 1
            else:
                meta.pop("generation", None)
            for k in ("deletionTimestamp", "managedFields", "selfLink"):
                meta.pop(k, None)  # clients cannot set managedFields (only apply records ownership)
            if managed_fields:
                meta["managedFields"] = managed_fields
            self._defaults(res, obj)
            if dry_run:
                meta["resourceVersion"] = str(self.rv)
                return clone(obj)
            meta["resourceVersion"] = self._next_rv()
            self.objects[res][key] = obj
            self._emit(res, "ADDED", obj)
            return clone(obj)

    def _defaults(self, res, obj):
        """Server-side defaults that clients (waiters, Helm kstatus) look at."""
        meta, spec = obj["metadata"], obj.get("spec")
        if "status" in res.subresources and res.kind != "Namespace":
            # status is not writable on create; start with the fields the typed clients require
            obj["status"] = clone(INITIAL_STATUS.get(res.kind, {}))
        if res.kind == "Namespace":
            meta.setdefault("labels", {})["kubernetes.io/metadata.name"] = meta["name"]
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif res.kind in ("Deployment", "StatefulSet", "ReplicaSet") and isinstance(spec, dict):
            spec.setdefault("replicas", 1)
            spec.setdefault("revisionHistoryLimit", 10)
            if res.kind == "Deployment":
                spec.setdefault("progressDeadlineSeconds", 600)
                spec.setdefault("strategy", {"type": "RollingUpdate",
                                             "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}})
            if res.kind == "StatefulSet":
                spec.setdefault("podManagementPolicy", "OrderedReady")
                spec.setdefault("updateStrategy", {"type": "RollingUpdate", "rollingUpdate": {"partition": 0}})
        elif res.kind == "Job" and isinstance(spec, dict):
            spec.setdefault("completions", 1)
            spec.setdefault("parallelism", 1)
            spec.setdefault("backoffLimit", 6)
            if not spec.get("selector"):
                uid = meta["uid"]
                spec["selector"] = {"matchLabels": {"batch.kubernetes.io/controller-uid": uid}}
                labels = spec.setdefault("template", {}).setdefault("metadata", {}).setdefault("labels", {})
                labels.update({"batch.kubernetes.io/controller-uid": uid, "controller-uid": uid,
                               "batch.kubernetes.io/job-name": meta["name"], "job-name": meta["name"]})
        elif res.kind == "Service" and isinstance(spec, dict):
            spec.setdefault("type", "ClusterIP")
            spec.setdefault("sessionAffinity", "None")
            if spec.get("clusterIP") != "None" and not spec.get("clusterIP"):
                self._cluster_ip += 1
                spec["clusterIP"] = f"10.100.{self._cluster_ip // 250}.{self._cluster_ip % 250 + 1}"
                spec["clusterIPs"] = [spec["clusterIP"]]
            for port in spec.get("ports") or []:
                port.setdefault("protocol", "TCP")
                port.setdefault("targetPort", port.get("port"))
            if spec.get("type") == "LoadBalancer":  # a cloud LB "provisions" instantly
                obj["status"] = {"loadBalancer": {"ingress": [
                    {"hostname": f"{meta['name']}-{meta['namespace']}.elb.sandbox.local"}]}}
        elif res.kind == "PersistentVolumeClaim" and isinstance(spec, dict):
            # dynamic provisioning is instant: the claim is Bound at creation
            spec.setdefault("volumeName", f"pvc-{meta['uid']}")
            spec.setdefault("storageClassName", "gp3")
            spec.setdefault("volumeMode", "Filesystem")
            obj["status"] = {"phase": "Bound", "accessModes": spec.get("accessModes") or ["ReadWriteOnce"],
                             "capacity": ((spec.get("resources") or {}).get("requests") or {"storage": "1Gi"})}

    def update(self, res, namespace, name, obj, subresource=None, dry_run=False, check_rv=True,
               managed_fields=None):
        """PUT semantics. subresource 'status' only changes status; the main resource keeps the stored status.

        Incoming metadata.managedFields are ignored: the stored ones are kept unless managed_fields (from apply)
        is given.
        """
        with self.lock:
            key = (namespace or "", name)
            current = self.objects[res].get(key)
            if current is None:
                raise not_found(res, name)
            obj = self._normalise(res, clone(obj))
            meta = obj.setdefault("metadata", {})
            if meta.get("name") and meta["name"] != name:
                raise ApiError(400, "BadRequest", "the name of the object does not match the name on the URL")
            if res.namespaced and meta.get("namespace") and meta["namespace"] != namespace:
                raise ApiError(400, "BadRequest", "the namespace of the provided object does not match "
                               "the namespace sent on the request")
            rv = meta.get("resourceVersion")
            if check_rv and rv and rv != current["metadata"]["resourceVersion"]:
                raise conflict(res, name)
            if subresource == "status":
                new = clone(current)
                new["status"] = obj.get("status", {})
            else:
                new = obj
                for k in ("uid", "creationTimestamp", "generation", "namespace"):
                    if k in current["metadata"]:
                        meta[k] = current["metadata"][k]
                    else:
                        meta.pop(k, None)
                meta["name"] = name
                if "status" in res.subresources:
                    if "status" in current:
                        new["status"] = current["status"]
                    else:
                        new.pop("status", None)
                if res.has_generation and _spec_part(new) != _spec_part(current):
                    meta["generation"] = current["metadata"].get("generation", 1) + 1
                if res.kind == "Namespace":
                    new["spec"] = current.get("spec", {})
            if managed_fields is None:
                managed_fields = current["metadata"].get("managedFields")
            if managed_fields:
                new["metadata"]["managedFields"] = managed_fields
            else:
                new["metadata"].pop("managedFields", None)
            new["metadata"]["resourceVersion"] = current["metadata"]["resourceVersion"]
            if new == current:
                return clone(current)  # no-op writes do not bump the resourceVersion
            if dry_run:
                return clone(new)
            new["metadata"]["resourceVersion"] = self._next_rv()
            self.objects[res][key] = new
            self._emit(res, "MODIFIED", new)
            return clone(new)

    def mutate(self, res, namespace, name, fn, subresource=None, dry_run=False):
        """Read-modify-write under the lock (patches, controller status updates)."""
        with self.lock:
            current = self.get(res, namespace, name)
            new = fn(clone(current))
            meta = new.setdefault("metadata", {})
            meta.setdefault("resourceVersion", current["metadata"]["resourceVersion"])
            return self.update(res, namespace, name, new, subresource=subresource, dry_run=dry_run)

    def apply(self, res, namespace, name, body, manager, force=False, subresource=None, dry_run=False):
        """Server-side apply: create or merge, then drop the fields manager owned before and no longer applies.

        Returns (created, obj). Ownership lives in metadata.managedFields (Apply entries only, see ownership.py),
        so delete and reset drop it with the object.
        """
        with self.lock:
            body = clone(body)
            sub_key = subresource or ""
            paths, leaves = ownership.field_set(body, res.kind, subresource)
            entry = {"manager": manager, "operation": "Apply", "apiVersion": body.get("apiVersion") or res.api_version,
                     "time": now_iso(), "fieldsType": "FieldsV1", "fieldsV1": ownership.to_fields_v1(paths)}
            if subresource:
                entry["subresource"] = subresource
            current = self.find(res, namespace, name)
            if current is None:
                if subresource is not None:
                    raise not_found(res, name)
                body.setdefault("metadata", {})["name"] = name
                body["metadata"].pop("resourceVersion", None)
                return True, self.create(res, namespace, body, dry_run=dry_run, managed_fields=[entry])
            meta = current["metadata"]
            rv = (body.get("metadata") or {}).get("resourceVersion")
            if rv and rv != meta["resourceVersion"]:
                raise conflict(res, name)
            entries = ownership.apply_entries(meta)
            others = {k: ownership.entry_paths(e) for k, e in entries.items() if k != (manager, sub_key)}
            # conflicts: a leaf another apply manager owns, applied with a different value
            conflicts = []
            for path, value in leaves.items():
                owners = [k for k, owned in others.items() if path in owned]
                found, existing = ownership.get_path(current, path)
                if owners and found and existing != value:
                    conflicts.extend((k[0], path) for k in owners)
            if conflicts and not force:
                causes = [{"type": "FieldManagerConflict", "message": f'conflict with "{m}"',
                           "field": ownership.format_path(p)} for m, p in conflicts]
                lines = "\n".join(f'- conflict with "{m}": {ownership.format_path(p)}' for m, p in conflicts)
                raise ApiError(409, "Conflict", f"Apply failed with {len(conflicts)} conflict"
                               f"{'s' if len(conflicts) > 1 else ''}: {lines}",
                               {"name": name, "group": res.group, "kind": res.plural, "causes": causes})
            for m, path in conflicts:  # force: the applier takes the field over
                for k, owned in others.items():
                    if k[0] == m:
                        owned.discard(path)
            new = patchlib.strategic_merge(current, body)
            new["metadata"].pop("managedFields", None)
            previous = ownership.entry_paths(entries[(manager, sub_key)]) if (manager, sub_key) in entries else set()
            protected = set(paths).union(*others.values()) if others else set(paths)
            for path in sorted(previous - paths, key=len):  # parents first: removing one takes its subtree
                if any(ownership.is_under(p, path) for p in protected):
                    continue  # still applied (deeper) or owned by another apply manager
                ownership.remove_path(new, path, protected)
            stripped = {k: v for k, v in current.items()}
            stripped["metadata"] = {k: v for k, v in meta.items() if k != "managedFields"}
            unchanged = new == stripped and previous == paths
            managed = []
            for e in meta.get("managedFields") or []:
                key = (e.get("manager"), e.get("subresource", "")) if e.get("operation") == "Apply" else None
                if key == (manager, sub_key):
                    managed.append(e if unchanged else entry)
                    entry = None
                elif key in others:
                    if others[key]:
                        managed.append({**e, "fieldsV1": ownership.to_fields_v1(others[key])}
                                       if others[key] != ownership.entry_paths(e) else e)
                else:
                    managed.append(e)
            if entry is not None:
                managed.append(entry)
            return False, self.update(res, namespace, name, new, subresource=subresource, dry_run=dry_run,
                                      managed_fields=managed)

    def delete(self, res, namespace, name, propagation="Background", dry_run=False):
        with self.lock:
            key = (namespace or "", name)
            obj = self.objects[res].get(key)
            if obj is None:
                raise not_found(res, name)
            if dry_run:
                return clone(obj)
            del self.objects[res][key]
            obj["metadata"]["resourceVersion"] = self._next_rv()
            self._emit(res, "DELETED", obj)
            if propagation != "Orphan":
                self._cascade(res, obj)
            return clone(obj)

    def _cascade(self, res, obj):
        """Garbage collection: delete dependents (ownerReferences) and, for namespaces, their content."""
        uid = obj["metadata"]["uid"]
        for other in resources.RESOURCES:
            for (ns, name), dep in list(self.objects[other].items()):
                if res.kind == "Namespace" and other.namespaced and ns == obj["metadata"]["name"]:
                    self.delete(other, ns, name)
                elif any(ref.get("uid") == uid for ref in dep["metadata"].get("ownerReferences") or []):
                    if (ns, name) in self.objects[other]:
                        self.delete(other, ns, name)

    def reset(self):
        """Delete everything (with DELETED events) and recreate the default namespaces."""
        with self.lock:
            self._delete_all()
            self.seed_namespaces()

    def _delete_all(self):
        for res in resources.RESOURCES:
            for (ns, name) in list(self.objects[res]):
                if (ns, name) in self.objects[res]:
                    self.delete(res, ns, name, propagation="Orphan")

    def snapshot(self):
        """Copies of every object (and the Service IP counter), for restore()."""
        with self.lock:
            return {"objects": {res: [clone(obj) for obj in objs.values()] for res, objs in self.objects.items()},
                    "cluster_ip": self._cluster_ip}

    def restore(self, snapshot):
        """Back to a snapshot(): everything deleted (DELETED events, as reset does), then the snapshot's objects put
        back as they were (uids, timestamps, generations, managed fields), each with a new resourceVersion - they only
        grow - and an ADDED event."""
        with self.lock:
            self._delete_all()
            for res, objs in snapshot["objects"].items():
                for obj in objs:
                    obj = clone(obj)
                    obj["metadata"]["resourceVersion"] = self._next_rv()
                    self.objects[res][(obj["metadata"].get("namespace") or "", obj["metadata"]["name"])] = obj
                    self._emit(res, "ADDED", obj)
            self._cluster_ip = snapshot["cluster_ip"]

    # ------------------------------------------------------------ watch
    def open_watch(self, res, namespace, label_reqs, field_reqs, since=None, initial=False):
        """Register a watcher. Returns (watcher, initial events list, rv at registration).

        since=None/0 -> synthetic ADDED events for current objects; since=N -> history events with rv > N.
        Raises ApiError 410 when the requested resourceVersion is older than the retained history.
        """
        with self.lock:
            w = Watcher(res, namespace, label_reqs, field_reqs)
            events = []
            if initial or not since:
                items, _ = self.list(res, namespace, label_reqs, field_reqs)
                events = [("ADDED", o) for o in items]
            else:
                if self.history and since < self.history[0][0] - 1 and len(self.history) == HISTORY:
                    raise ApiError(410, "Expired", f"too old resource version: {since} ({self.history[0][0]})")
                events = [(etype, clone(o)) for rv, r, etype, o in self.history
                          if rv > since and w.wants(r, o)]
            self.watchers.add(w)
            return w, events, str(self.rv)

    def close_watch(self, w):
        with self.lock:
            w.closed = True
            self.watchers.discard(w)
            self.changed.notify_all()

    def next_events(self, w, timeout):
        """Block up to timeout for events on watcher w; returns a list (possibly empty)."""
        with self.lock:
            if not w.queue and not w.closed:
                self.changed.wait(timeout)
            events = list(w.queue)
            w.queue.clear()
            return events
