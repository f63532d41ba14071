"""Discovery table of the emulated Kubernetes API (built-in resources only).

Each Resource describes one REST resource: where it lives (group/version), how it is named, whether it is namespaced,
its verbs and subresources. server.py renders /api, /apis and the per-group-version APIResourceLists from it.
"""
from dataclasses import dataclass

ALL_VERBS = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"]


@dataclass(frozen=True)
class Resource:
    group: str  # "" for the core group
    version: str
    plural: str
    kind: str
    namespaced: bool
    short_names: tuple = ()
    subresources: tuple = ()  # e.g. ("status", "scale")
    categories: tuple = ()
    # Kubernetes does not track metadata.generation for plain data objects.
    has_generation: bool = True

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def singular(self) -> str:
        return self.kind.lower()


def _r(group, version, plural, kind, namespaced=True, short=(), sub=(), cats=("all",), gen=True):
    return Resource(group, version, plural, kind, namespaced, tuple(short), tuple(sub), tuple(cats), gen)


RESOURCES = [
    # core/v1
    _r("", "v1", "namespaces", "Namespace", False, ["ns"], ["status", "finalize"], (), gen=False),
    _r("", "v1", "pods", "Pod", True, ["po"], ["status", "log"]),
    _r("", "v1", "services", "Service", True, ["svc"], ["status"]),
    _r("", "v1", "configmaps", "ConfigMap", True, ["cm"], (), (), gen=False),
    _r("", "v1", "secrets", "Secret", True, (), (), (), gen=False),
    _r("", "v1", "serviceaccounts", "ServiceAccount", True, ["sa"], (), (), gen=False),
    _r("", "v1", "endpoints", "Endpoints", True, ["ep"], (), (), gen=False),
    _r("", "v1", "events", "Event", True, ["ev"], (), (), gen=False),
    _r("", "v1", "persistentvolumeclaims", "PersistentVolumeClaim", True, ["pvc"], ["status"], ()),
    # apps/v1
    _r("apps", "v1", "deployments", "Deployment", True, ["deploy"], ["status", "scale"]),
    _r("apps", "v1", "statefulsets", "StatefulSet", True, ["sts"], ["status", "scale"]),
    _r("apps", "v1", "daemonsets", "DaemonSet", True, ["ds"], ["status"]),
    _r("apps", "v1", "replicasets", "ReplicaSet", True, ["rs"], ["status", "scale"]),
    _r("apps", "v1", "controllerrevisions", "ControllerRevision", True, (), (), (), gen=False),
    # batch/v1
    _r("batch", "v1", "jobs", "Job", True, (), ["status"]),
    _r("batch", "v1", "cronjobs", "CronJob", True, ["cj"], ["status"]),
    # others
    _r("networking.k8s.io", "v1", "ingresses", "Ingress", True, ["ing"], ["status"], ()),
    _r("policy", "v1", "poddisruptionbudgets", "PodDisruptionBudget", True, ["pdb"], ["status"], ()),
    _r("autoscaling", "v2", "horizontalpodautoscalers", "HorizontalPodAutoscaler", True, ["hpa"], ["status"]),
    _r("rbac.authorization.k8s.io", "v1", "roles", "Role", True, (), (), (), gen=False),
    _r("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", True, (), (), (), gen=False),
]

BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND = {(r.group, r.kind): r for r in RESOURCES}


def lookup(group: str, version: str, plural: str):
    return BY_PATH.get((group, version, plural))


def by_kind(group: str, kind: str):
    return BY_KIND.get((group, kind))


def groups():
    """Ordered {group: [versions]} of the non-core groups."""
    out = {}
    for r in RESOURCES:
        if r.group and r.version not in out.setdefault(r.group, []):
            out[r.group].append(r.version)
    return out


def resource_list(group: str, version: str):
    """APIResourceList for one group version, or None if it is not served."""
    items = []
    for r in RESOURCES:
        if (r.group, r.version) != (group, version):
            continue
        entry = {
            "name": r.plural, "singularName": r.singular, "namespaced": r.namespaced, "kind": r.kind,
            "verbs": ALL_VERBS if r.plural != "namespaces" else [v for v in ALL_VERBS if v != "deletecollection"],
        }
        if r.short_names:
            entry["shortNames"] = list(r.short_names)
        if r.categories:
            entry["categories"] = list(r.categories)
        items.append(entry)
        for sub in r.subresources:
            if sub == "scale":
                items.append({"name": f"{r.plural}/scale", "singularName": "", "namespaced": r.namespaced,
                              "group": "autoscaling", "version": "v1", "kind": "Scale",
                              "verbs": ["get", "patch", "update"]})
            elif sub == "log":
                items.append({"name": f"{r.plural}/log", "singularName": "", "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": ["get"]})
            elif sub == "finalize":
                items.append({"name": f"{r.plural}/finalize", "singularName": "", "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": ["update"]})
            else:
                items.append({"name": f"{r.plural}/{sub}", "singularName": "", "namespaced": r.namespaced,
                              "kind": r.kind, "verbs": ["get", "patch", "update"]})
    if not items:
        return None
    gv = f"{group}/{version}" if group else version
    return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv, "resources": items}
