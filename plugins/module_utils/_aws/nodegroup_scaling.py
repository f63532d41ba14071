# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Scale an EKS managed node group and wait until it is ACTIVE with the new sizes: the work of eks_nodegroup_scale,
shared with eks_capacity (node group and workloads in one process). Decisions in module_utils/scaling.py.

scale_nodegroup() returns the module result ({changed, before, after, status, update_id, started_at, finished_at,
duration_seconds} and a diff in --diff mode) or fails the module with what it found (context: more keys for that
failure, e.g. what the caller did before).
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks


def scale_nodegroup(module, conn, cluster, name, sizes, wait=True, wait_timeout=1800, context=None):
    """sizes: {min_size, desired_size, max_size} (None: keep the current one)."""
    context = dict(context or {})
    label = "node group %s of %s" % (name, cluster)
    wanted = (sizes.get("min_size"), sizes.get("desired_size"), sizes.get("max_size"))

    def fail(msg, **keys):
        if "changed" in keys or "changed" in context:  # what the caller changed before stays changed
            keys["changed"] = bool(keys.get("changed") or context.get("changed"))
        module.fail_json(msg=msg, **dict(context, **keys))

    def describe():
        return eks.describe_nodegroup(module, conn, cluster, name)

    def wait_until(target, what, **keys):
        outcome = waiting.poll_until(describe, lambda found: scaling.nodegroup_outcome(found, target) != scaling.WAITING,
                                     wait_timeout, delays=waiting.operation_pauses())
        found = outcome["result"]
        if scaling.nodegroup_outcome(found, target) != scaling.DONE:
            status = (found or {}).get("status", "gone")
            issues = scaling.health_issues(found)
            fail("%s is %s with scaling %s after %s s, not %s%s" % (
                label, status, scaling.scaling_from_boto((found or {}).get("scalingConfig")), outcome["elapsed"], what,
                ": health issues %s" % "; ".join(issues) if issues else
                ": raise wait_timeout or run again" if status not in scaling.NODEGROUP_FAILED else ""), **keys)
        return found

    nodegroup = describe()
    if nodegroup is None:
        fail("%s not found in %s: check cluster_name, nodegroup_name and region" % (label, module.region))
    before = scaling.scaling_from_boto(nodegroup.get("scalingConfig"))
    try:
        target = scaling.target_scaling(before, *wanted)
    except scaling.ScalingError as e:
        fail("%s: %s" % (label, e), before=before)
    result = dict(before=before, update_id=None, started_at=None, finished_at=None, duration_seconds=None)
    if nodegroup.get("status") in scaling.NODEGROUP_FAILED:
        fail("%s is %s: fix it first%s" % (label, nodegroup.get("status"), "; health issues: %s" % "; ".join(
            scaling.health_issues(nodegroup)) if scaling.health_issues(nodegroup) else ""), changed=False, **result)

    if target == before:
        if wait and not module.check_mode and nodegroup.get("status") != "ACTIVE":
            nodegroup = wait_until(target, "ACTIVE", changed=False, **result)
        return dict(result, changed=False, after=before, status=nodegroup.get("status"))

    def diff(before, target):
        return {"diff": {"before": dict(before, nodegroup=name), "after": dict(target, nodegroup=name)}} if module._diff else {}

    if module.check_mode:
        return dict(result, changed=True, after=target, status=nodegroup.get("status"), **diff(before, target))
    if nodegroup.get("status") != "ACTIVE":
        if not wait:
            fail("%s is %s: EKS updates only an ACTIVE node group; run with wait: true to wait for it"
                 % (label, nodegroup.get("status")), changed=False, **result)
        nodegroup = wait_until(None, "ACTIVE before the update", changed=False, **result)
        before = result["before"] = scaling.scaling_from_boto(nodegroup.get("scalingConfig"))
        try:
            target = scaling.target_scaling(before, *wanted)
        except scaling.ScalingError as e:
            fail("%s: %s" % (label, e), changed=False, **result)
        if target == before:
            return dict(result, changed=False, after=before, status=nodegroup.get("status"))

    extra = diff(before, target)
    watch = timing.Stopwatch()
    update = eks.update_nodegroup_scaling(module, conn, cluster, name, scaling.scaling_to_boto(target),
                                          **dict(context, changed=bool(context.get("changed")), **result))
    result.update(update_id=update.get("id"), started_at=watch.started_at)
    if not wait:
        return dict(result, changed=True, after=target, status=update.get("status"), **extra)
    found = wait_until(target, "ACTIVE with %s" % target, changed=True, **result)
    times = watch.stop()
    result.update(finished_at=times["finished_at"], duration_seconds=times["duration_seconds"])
    return dict(result, changed=True, after=scaling.scaling_from_boto(found.get("scalingConfig")), status=found.get("status"), **extra)
