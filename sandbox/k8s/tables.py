"""Server-side printing: the meta.k8s.io/v1 Table that `kubectl get` asks for (Accept: ...;as=Table;...).

The columns of the kinds the runbooks and their users look at follow the API server's own printers (NAME READY
UP-TO-DATE AVAILABLE AGE for Deployments, ...; the priority-1 columns are what `-o wide` adds). Other kinds get
NAME and AGE, as a server without a printer for them would give.
"""
import datetime

from .selectors import selector_string


def _col(name, kind="string", priority=0, fmt="", description=""):
    return {"name": name, "type": kind, "format": fmt, "description": description or name, "priority": priority}


NAME, AGE = _col("Name", fmt="name"), _col("Age")


def human_duration(seconds):
    """k8s.io/apimachinery/pkg/util/duration.HumanDuration."""
    s = int(seconds)
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 120:
        return f"{s}s"
    minutes = s // 60
    if minutes < 10:
        return f"{minutes}m{s % 60}s" if s % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = s // 3600
    if hours < 8:
        return f"{hours}h{minutes % 60}m" if minutes % 60 else f"{hours}h"
    if hours < 48:
        return f"{hours}h"
    days = hours // 24
    if hours < 24 * 8:
        return f"{days}d{hours % 24}h" if hours % 24 else f"{days}d"
    if days < 365 * 2:
        return f"{days}d"
    return f"{days // 365}y{days % 365}d" if days < 365 * 8 else f"{days // 365}y"


def _age(obj, now):
    created = obj.get("metadata", {}).get("creationTimestamp")
    if not created:
        return "<unknown>"
    when = datetime.datetime.strptime(created, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=datetime.timezone.utc)
    return human_duration((now - when).total_seconds())


def _containers(obj):
    spec = ((obj.get("spec") or {}).get("template") or {}).get("spec") or {}
    containers = spec.get("containers") or []
    return ",".join(c.get("name", "") for c in containers), ",".join(c.get("image", "") for c in containers)


def _workload(obj):
    names, images = _containers(obj)
    return [names, images, selector_string((obj.get("spec") or {}).get("selector")) or "<none>"]


def _deployment(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [f"{status.get('readyReplicas', 0)}/{spec.get('replicas', 0)}", status.get("updatedReplicas", 0),
            status.get("availableReplicas", 0)]


def _replicaset(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [spec.get("replicas", 0), status.get("replicas", 0), status.get("readyReplicas", 0)]


def _pod(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    statuses = status.get("containerStatuses") or []
    ready = sum(1 for c in statuses if c.get("ready"))
    restarts = sum(int(c.get("restartCount") or 0) for c in statuses)
    phase = status.get("reason") or status.get("phase") or "Unknown"
    if obj.get("metadata", {}).get("deletionTimestamp"):
        phase = "Terminating"
    return [f"{ready}/{len(spec.get('containers') or [])}", phase, restarts]


def _pod_wide(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    return [status.get("podIP") or "<none>", spec.get("nodeName") or "<none>", "<none>", "<none>"]


def _service(obj):
    spec = obj.get("spec") or {}
    ingress = ((obj.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    external = ",".join(i.get("hostname") or i.get("ip") or "" for i in ingress)
    if not external:
        external = "<pending>" if spec.get("type") == "LoadBalancer" else "<none>"
    ports = ",".join(f"{p.get('port')}{':' + str(p['nodePort']) if p.get('nodePort') else ''}/"
                     f"{p.get('protocol', 'TCP')}" for p in spec.get("ports") or []) or "<none>"
    return [spec.get("type", "ClusterIP"), spec.get("clusterIP") or "<none>", external, ports]


def _service_wide(obj):
    selector = (obj.get("spec") or {}).get("selector") or {}
    return [",".join(f"{k}={v}" for k, v in sorted(selector.items())) or "<none>"]


def _job(obj):
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    conditions = {c.get("type"): c.get("status") for c in status.get("conditions") or []}
    state = ("Complete" if conditions.get("Complete") == "True" else
             "Failed" if conditions.get("Failed") == "True" else "Running")
    return [state, f"{status.get('succeeded', 0)}/{spec.get('completions', 1)}"]


# kind -> (columns before AGE, their cells, wide columns, their cells)
PRINTERS = {
    "Deployment": ([_col("Ready"), _col("Up-to-date", "integer"), _col("Available", "integer")], _deployment,
                   [_col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)],
                   _workload),
    "ReplicaSet": ([_col("Desired", "integer"), _col("Current", "integer"), _col("Ready", "integer")], _replicaset,
                   [_col("Containers", priority=1), _col("Images", priority=1), _col("Selector", priority=1)],
                   _workload),
    "StatefulSet": ([_col("Ready")], lambda o: [f"{(o.get('status') or {}).get('readyReplicas', 0)}/"
                                                f"{(o.get('spec') or {}).get('replicas', 0)}"],
                    [_col("Containers", priority=1), _col("Images", priority=1)], lambda o: list(_containers(o))),
    "Pod": ([_col("Ready"), _col("Status"), _col("Restarts", "integer")], _pod,
            [_col("IP", priority=1), _col("Node", priority=1), _col("Nominated Node", priority=1),
             _col("Readiness Gates", priority=1)], _pod_wide),
    "Service": ([_col("Type"), _col("Cluster-IP"), _col("External-IP"), _col("Port(s)")], _service,
                [_col("Selector", priority=1)], _service_wide),
    "ConfigMap": ([_col("Data", "integer")], lambda o: [len(o.get("data") or {}) + len(o.get("binaryData") or {})],
                  [], None),
    "Secret": ([_col("Type"), _col("Data", "integer")], lambda o: [o.get("type", "Opaque"), len(o.get("data") or {})],
               [], None),
    "Namespace": ([_col("Status")], lambda o: [(o.get("status") or {}).get("phase", "Active")], [], None),
    "Job": ([_col("Status"), _col("Completions")], _job, [], None),
}


def wants_table(accept):
    return "as=Table" in (accept or "")


def table(res, items, resource_version, include_object="Metadata"):
    """The Table of items (objects of resource res)."""
    before, cells, wide, wide_cells = PRINTERS.get(res.kind, ([], None, [], None))
    now = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for obj in items:
        row = [obj["metadata"]["name"]] + (cells(obj) if cells else []) + [_age(obj, now)]
        row += wide_cells(obj) if wide_cells else []
        if include_object == "None":
            embedded = None
        elif include_object == "Object":
            embedded = obj
        else:
            embedded = {"kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1", "metadata": obj["metadata"]}
        rows.append({"cells": row, "object": embedded})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {"resourceVersion": resource_version},
            "columnDefinitions": [NAME] + before + [AGE] + wide, "rows": rows}
