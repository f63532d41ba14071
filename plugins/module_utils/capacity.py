# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR capacity of a failover as one step (eks_capacity): the order of the node group and the workloads, the
result the failover_scale role keeps (failover_scale_result / failover_scale_restore), and the step summary.
Pure functions over the results of _aws/nodegroup_scaling.scale_nodegroup and _k8s/workloads.scale_workloads.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

UP, DOWN = "up", "down"
NODEGROUP, WORKLOADS = "nodegroup", "workloads"


def order(direction):
    """Up: the nodes before the pods that need them; down: the pods leave before their nodes do."""
    return (NODEGROUP, WORKLOADS) if direction == UP else (WORKLOADS, NODEGROUP)


def nodegroup_part(name, result):
    """The node group's entry of the result (None when it was not scaled)."""
    if result is None:
        return None
    return {"name": name, "before": result["before"], "after": result["after"], "changed": result["changed"],
            "status": result["status"], "duration_seconds": result["duration_seconds"]}


def capacity_result(name, nodegroup, workloads, times):
    """{nodegroup, workloads, workloads_duration_seconds, changed, restore, started_at, finished_at, duration_seconds}:
    failover_scale_result's shape. nodegroup / workloads: the parts' results, None when not scaled."""
    return {"nodegroup": nodegroup_part(name, nodegroup),
            "workloads": workloads["workloads"] if workloads else [],
            "workloads_duration_seconds": workloads["duration_seconds"] if workloads else None,
            "changed": bool((nodegroup or {}).get("changed") or (workloads or {}).get("changed")),
            "restore": restore_of(nodegroup, workloads),
            "started_at": times["started_at"], "finished_at": times["finished_at"], "duration_seconds": times["duration_seconds"]}


def restore_of(nodegroup, workloads):
    """What puts the capacity back: {nodegroup: the sizes before or None, workloads: the replicas before}."""
    return {"nodegroup": nodegroup["before"] if nodegroup else None, "workloads": workloads["restore"] if workloads else []}


def _sizes(sizes):
    return "%s/%s/%s" % (sizes.get("min_size"), sizes.get("desired_size"), sizes.get("max_size")) if sizes else "-"


def step_summary(result, check_mode=False):
    """step_summary of eks_capacity."""
    parts = []
    group = result["nodegroup"]
    if group:
        parts.append("node group %s %s -> %s (%s)" % (group["name"], _sizes(group["before"]), _sizes(group["after"]), group["status"]))
    for workload in result["workloads"]:
        parts.append(workload_change(workload))
    detail = "; ".join(parts) or "nothing to scale"
    if check_mode:
        detail += " (check mode)"
    measures = {"nodegroup_seconds": group["duration_seconds"] if group else None,
                "workloads_seconds": result["workloads_duration_seconds"], "duration_seconds": result["duration_seconds"],
                "workloads": len(result["workloads"]), "workloads_ready": sum(1 for w in result["workloads"] if w.get("ready"))}
    return steps.summary(detail, dict((key, value) for key, value in measures.items() if value is not None))


def nodegroup_step_summary(name, result):
    """step_summary of eks_nodegroup_scale (the node group part alone)."""
    group = nodegroup_part(name, result)
    detail = "node group %s %s -> %s (%s)" % (name, _sizes(group["before"]), _sizes(group["after"]), group["status"])
    return steps.summary(detail, {"duration_seconds": group["duration_seconds"]} if group["duration_seconds"] is not None else {})


def workloads_step_summary(result):
    """step_summary of k8s_workload_scale (the workloads part alone)."""
    workloads = result.get("workloads") or []
    detail = "; ".join(workload_change(w) for w in workloads) or "no workload"
    return steps.summary(detail, {"duration_seconds": result.get("duration_seconds"), "workloads": len(workloads),
                                  "workloads_ready": sum(1 for w in workloads if w.get("ready"))})


def workload_change(workload):
    """'shop-blue 1 -> 3' (with ' (HPA min-max 1-6 -> 3-6)' when its autoscaler's bounds changed)."""
    text = "%s %s -> %s" % (workload["name"], workload["before"], workload["replicas"])
    bounds = workload.get("autoscaler")
    if bounds and bounds.get("before") != bounds.get("after"):
        text += " (HPA min-max %s -> %s)" % (scaling.bounds_text(bounds["before"]), scaling.bounds_text(bounds["after"]))
    return text


def restore_read(nodegroup, workloads, objects, autoscalers=None):
    """What puts the DR capacity back, from reads alone (eks_capacity's `restore` in check mode, read by estate_status):
    {nodegroup: the node group's sizes (None: no node group), workloads: [{kind, name, namespace, replicas} and, for
    a workload with an HPA, autoscaler: its {min_replicas, max_replicas}]}. nodegroup: the node group (boto3 shape) or
    None; workloads: [{kind, name, namespace}]; objects: each one as read; autoscalers: each one's HPA or None."""
    sizes = None
    if nodegroup is not None:
        sizes = scaling.scaling_from_boto(nodegroup.get("scalingConfig"))
    out = []
    for workload, obj, hpa in zip(workloads, objects, autoscalers or [None] * len(workloads)):
        item = {"kind": workload["kind"], "name": workload["name"], "namespace": workload["namespace"],
                "replicas": scaling.workload_progress(obj)["replicas"]}
        bounds = scaling.autoscaler_bounds(hpa)
        if bounds:
            item["autoscaler"] = {"min_replicas": bounds["min_replicas"], "max_replicas": bounds["max_replicas"]}
        out.append(item)
    return {"nodegroup": sizes, "workloads": out}
