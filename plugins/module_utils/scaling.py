# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scaling decisions: an EKS managed node group's scaling configuration, and Kubernetes workloads' replicas.

Plain Python over describe_nodegroup data (camelCase, as boto3 returns it) and Kubernetes objects as the API serves
them (camelCase dicts, api.sanitize_for_serialization). Unit-tested in tests/unit.
"""

from __future__ import annotations

DONE, WAITING, FAILED = "done", "waiting", "failed"

# Node group statuses after which waiting cannot help (DEGRADED: see the node group's health issues).
NODEGROUP_FAILED = frozenset(["CREATE_FAILED", "DELETE_FAILED", "DEGRADED", "DELETING"])

WORKLOAD_KINDS = ("Deployment", "StatefulSet")


class ScalingError(Exception):
    """A refusal whose message says what to change."""


# ------------------------------------------------------------------------------------------------------ node groups


def scaling_from_boto(config):
    """{min_size, desired_size, max_size} of a node group's scalingConfig."""
    config = config or {}
    return {"min_size": config.get("minSize"), "desired_size": config.get("desiredSize"), "max_size": config.get("maxSize")}


def scaling_to_boto(scaling):
    return {"minSize": scaling["min_size"], "desiredSize": scaling["desired_size"], "maxSize": scaling["max_size"]}


def target_scaling(current, min_size=None, desired_size=None, max_size=None):
    """The scaling configuration to set: the current one with the given sizes replaced, validated as EKS does
    (0 <= min <= desired <= max, max >= 1), so a bad request fails before the API call with all three numbers."""
    target = dict(current)
    for key, value in (("min_size", min_size), ("desired_size", desired_size), ("max_size", max_size)):
        if value is not None:
            target[key] = int(value)
    low, want, high = target["min_size"], target["desired_size"], target["max_size"]
    if None in (low, want, high):
        raise ScalingError("the node group has no complete scaling configuration (%s): give min_size, desired_size and max_size" % current)
    problems = []
    if low < 0:
        problems.append("min_size must be 0 or more")
    if high < 1:
        problems.append("max_size must be 1 or more")
    if not low <= want <= high:
        problems.append("min_size <= desired_size <= max_size must hold")
    if problems:
        raise ScalingError("invalid scaling min_size=%s desired_size=%s max_size=%s (given values override the current %s/%s/%s): %s"
                           % (low, want, high, current["min_size"], current["desired_size"], current["max_size"], "; ".join(problems)))
    return target


def nodegroup_outcome(nodegroup, target):
    """done when the node group is ACTIVE with the target scaling, failed in a status waiting cannot fix, else waiting."""
    if nodegroup is None:
        return FAILED
    status = nodegroup.get("status")
    if status in NODEGROUP_FAILED:
        return FAILED
    if status == "ACTIVE" and (target is None or scaling_from_boto(nodegroup.get("scalingConfig")) == target):
        return DONE
    return WAITING


def health_issues(nodegroup):
    """The node group's health issues as short strings (code: message)."""
    issues = ((nodegroup or {}).get("health") or {}).get("issues") or []
    return ["%s: %s" % (issue.get("code"), issue.get("message")) for issue in issues]


# -------------------------------------------------------------------------------------------------------- workloads


def workload_options():
    """The argument spec of one item of a module's `workloads` (k8s_workload_scale, eks_capacity)."""
    return dict(
        kind=dict(type="str", default="Deployment", choices=list(WORKLOAD_KINDS)),
        name=dict(type="str", required=True),
        namespace=dict(type="str"),
        replicas=dict(type="int", required=True),
        autoscaler=dict(type="dict", options=dict(min_replicas=dict(type="int", required=True),
                                                  max_replicas=dict(type="int", required=True))),
        keep_autoscaler=dict(type="bool", default=False),
    )


def normalise_workloads(workloads, default_namespace=None):
    """[{kind, name, namespace, replicas, autoscaler}] from the module's list; every problem in one message.
    autoscaler: the {min_replicas, max_replicas} to give the workload's HorizontalPodAutoscaler (a restore puts the
    bounds read before back), None to derive them from replicas (autoscaler_target)."""
    out, problems, seen = [], [], set()
    for index, item in enumerate(workloads or []):
        item = item or {}
        kind = item.get("kind") or "Deployment"
        name = item.get("name")
        namespace = item.get("namespace") or default_namespace
        replicas = item.get("replicas")
        label = "workloads[%s]" % index
        if kind not in WORKLOAD_KINDS:
            problems.append("%s: kind must be one of %s, not %r" % (label, ", ".join(WORKLOAD_KINDS), kind))
        if not name:
            problems.append("%s: name is required" % label)
        if not namespace:
            problems.append("%s: no namespace (set namespace on the item or the module)" % label)
        try:
            replicas = int(replicas)
            if replicas < 0 or str(item.get("replicas")).strip() != str(replicas):
                raise ValueError()
        except (TypeError, ValueError):
            problems.append("%s: replicas must be a whole number of 0 or more, not %r" % (label, item.get("replicas")))
        bounds = item.get("autoscaler")
        if bounds:
            low, high = bounds.get("min_replicas"), bounds.get("max_replicas")
            if not (isinstance(low, int) and isinstance(high, int) and 1 <= low <= high):
                problems.append("%s: autoscaler needs 1 <= min_replicas <= max_replicas, not %r" % (label, bounds))
            bounds = {"min_replicas": low, "max_replicas": high}
        if bounds and item.get("keep_autoscaler"):
            problems.append("%s: autoscaler and keep_autoscaler are exclusive (give the bounds, or keep the HPA's)" % label)
        key = (kind, namespace, name)
        if key in seen:
            problems.append("%s: %s %s/%s is listed twice" % (label, kind, namespace, name))
        seen.add(key)
        out.append({"kind": kind, "name": name, "namespace": namespace, "replicas": replicas, "autoscaler": bounds or None})
        if item.get("keep_autoscaler"):
            out[-1]["keep_autoscaler"] = True
    if not out:
        problems.append("workloads is empty: list the Deployments and StatefulSets to scale")
    if problems:
        raise ScalingError("; ".join(problems))
    return out


# -- HorizontalPodAutoscalers -------------------------------------------------------------------------------------------
# A workload with an HPA is scaled through it: a plain scale above minReplicas is undone at the HPA's next sync (its
# recommendations, from the load before, are lower), so the failover's scale-up raises minReplicas to the replicas it
# wants (maxReplicas with it when lower), and a restore puts the bounds read before back.
def autoscaler_targets(hpa, workload):
    """Whether the HPA (autoscaling/v2, camelCase dict) scales this workload."""
    ref = ((hpa or {}).get("spec") or {}).get("scaleTargetRef") or {}
    return ref.get("kind") == workload["kind"] and ref.get("name") == workload["name"]


def autoscaler_bounds(hpa):
    """{name, min_replicas, max_replicas} of an HPA, None without one."""
    if not hpa:
        return None
    spec = hpa.get("spec") or {}
    return {"name": (hpa.get("metadata") or {}).get("name"), "min_replicas": int(spec.get("minReplicas") or 1),
            "max_replicas": int(spec.get("maxReplicas") or 1)}


def autoscaler_target(bounds, workload):
    """The bounds the workload's HPA must have for the scale to hold (bounds: autoscaler_bounds of it, None: no HPA,
    nothing to do): the workload's `autoscaler` when given (a restore), its own bounds with `keep_autoscaler` (maxReplicas
    raised to the replicas when lower), else minReplicas = replicas and maxReplicas at least that; unchanged for 0
    replicas (an HPA whose target runs no pod is inactive)."""
    if bounds is None:
        return None
    if workload.get("autoscaler"):
        wanted = workload["autoscaler"]
    elif workload.get("keep_autoscaler"):
        wanted = {"min_replicas": bounds["min_replicas"], "max_replicas": max(bounds["max_replicas"], workload["replicas"])}
    elif workload["replicas"] == 0:
        wanted = bounds
    else:
        wanted = {"min_replicas": workload["replicas"], "max_replicas": max(bounds["max_replicas"], workload["replicas"])}
    return {"name": bounds["name"], "min_replicas": wanted["min_replicas"], "max_replicas": wanted["max_replicas"]}


def bounds_text(bounds):
    return "%s-%s" % (bounds["min_replicas"], bounds["max_replicas"]) if bounds else "-"


def workload_progress(obj):
    """{replicas (spec), current, ready, updated, generation, observed_generation} of a Deployment or StatefulSet."""
    obj = obj or {}
    spec, status, meta = obj.get("spec") or {}, obj.get("status") or {}, obj.get("metadata") or {}
    return {
        "replicas": spec.get("replicas", 1),
        "current": status.get("replicas") or 0,
        "ready": status.get("readyReplicas") or 0,
        "updated": status.get("updatedReplicas") or 0,
        "generation": meta.get("generation"),
        "observed_generation": status.get("observedGeneration"),
    }


def workload_ready(obj, replicas):
    """Whether the workload runs exactly `replicas` pods, all ready, and its controller saw the latest spec."""
    progress = workload_progress(obj)
    observed = progress["generation"] is None or (progress["observed_generation"] or 0) >= progress["generation"]
    return (observed and progress["replicas"] == replicas and progress["current"] == replicas
            and progress["ready"] == replicas)


def describe_progress(workload, obj):
    """'Deployment shop/web: 1 of 3 ready (3 pods)' for timeout messages."""
    progress = workload_progress(obj)
    return "%s %s/%s: %s of %s ready (%s pods%s)" % (
        workload["kind"], workload["namespace"], workload["name"], progress["ready"], workload["replicas"], progress["current"],
        "" if (progress["observed_generation"] or 0) >= (progress["generation"] or 0) else ", controller has not seen the change yet")
