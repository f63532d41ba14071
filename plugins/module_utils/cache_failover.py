# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of elasticache_global_failover (moving the primary of an ElastiCache Global Datastore to one of its
members): who is primary, whether the target can take over (the refusals, each naming the resource), the lag gate
and the planned failback's catch-up, when the datastore has settled, the diff and the step summary.

Plain Python over boto3-shaped answers (DescribeGlobalReplicationGroups with ShowMemberInfo, DescribeReplicationGroups);
the calls are in _aws/elasticache.py and _aws/elasticache_failover.py.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

PRIMARY, SECONDARY = "PRIMARY", "SECONDARY"
AVAILABLE, ASSOCIATED = "available", "associated"
LAG_METRIC = state_stores.LAG_METRIC


def _num(value):
    if value is None:
        return "unknown"
    value = float(value)
    return ("%d" % value) if value == int(value) else ("%s" % round(value, 3))


def members(global_group):
    """The datastore's members as [{region, replication_group_id, role, status}], in the API's order."""
    return [{"region": m.get("ReplicationGroupRegion"), "replication_group_id": m.get("ReplicationGroupId"),
             "role": m.get("Role"), "status": m.get("Status")} for m in (global_group or {}).get("Members") or []]


def member(global_group, region, group_id):
    return next((m for m in members(global_group) if m["replication_group_id"] == group_id and m["region"] == region), None)


def primary_of(global_group):
    """{region, replication_group_id} of the PRIMARY member, None when none is (a datastore mid-operation)."""
    found = next((m for m in members(global_group) if m["role"] == PRIMARY), None)
    return {"region": found["region"], "replication_group_id": found["replication_group_id"]} if found else None


def is_primary(global_group, region, group_id):
    found = member(global_group, region, group_id)
    return found is not None and found["role"] == PRIMARY


def settled(global_group, region, group_id):
    """The failover's end: the datastore available with the target its primary."""
    return bool(global_group) and global_group.get("Status") == AVAILABLE and is_primary(global_group, region, group_id)


def describe_members(global_group):
    return ", ".join("%s (%s, %s)" % (m["replication_group_id"], m["region"], (m["role"] or "?").lower())
                     for m in members(global_group)) or "none"


def target_problem(global_id, region, group_id, global_group, group):
    """Why group_id in region cannot become the primary of global_id (one sentence naming the resource and the fix),
    None when it can. global_group: the datastore (None: not found); group: the target's ReplicationGroups entry in
    region (None: not found)."""
    if global_group is None:
        return ("Global Datastore %s not found (asked in %s): check global_datastore_id (the full id, with its region prefix) "
                "and elasticache:DescribeGlobalReplicationGroups permission" % (global_id, region))
    found = member(global_group, region, group_id)
    listed = describe_members(global_group)
    if found is None:
        if group is None:
            return ("replication group %s not found in %s, and not a member of Global Datastore %s (members: %s): check "
                    "replication_group_id and region" % (group_id, region, global_id, listed))
        info = group.get("GlobalReplicationGroupInfo") or {}
        other = info.get("GlobalReplicationGroupId")
        if other and other != global_id:
            return ("replication group %s in %s is a member of Global Datastore %s, not of %s (members: %s): check "
                    "global_datastore_id" % (group_id, region, other, global_id, listed))
        return ("replication group %s in %s is not a member of Global Datastore %s (members: %s): it is a standalone group - "
                "it left the datastore (disassociated, e.g. after the loss of its region) or never joined it. It must be "
                "re-added as a secondary first: create a new secondary group of %s in %s (CreateReplicationGroup with "
                "GlobalReplicationGroupId; a group holding data cannot join) and fail over to that one"
                % (group_id, region, global_id, listed, global_id, region))
    if found["role"] != PRIMARY and found["status"] not in (None, ASSOCIATED):
        role = (found["role"] or "?").lower()
        return ("replication group %s in %s is a %s member of Global Datastore %s whose membership is %s, not associated: wait "
                "for the running operation to end and run again" % (group_id, region, role, global_id, found["status"]))
    return None


def lag_gate(group_id, lag_seconds, max_lag_seconds, lookback_seconds=None):
    """The lag gate: the target's GlobalDatastoreReplicationLag against max_lag_seconds. None without a maximum;
    else {allowed, verdict (ok|over|unknown), problem, reason, lag_seconds, max_lag_seconds}. An unknown lag closes it."""
    if max_lag_seconds is None:
        return None
    verdict = replication.lag_verdict(lag_seconds, max_lag_seconds)
    out = {"verdict": verdict, "lag_seconds": lag_seconds, "max_lag_seconds": max_lag_seconds}
    if verdict == replication.LAG_OK:
        return dict(out, allowed=True, problem=None, reason="%s of %s %s s is within max_lag_seconds %s s"
                    % (LAG_METRIC, group_id, _num(lag_seconds), _num(max_lag_seconds)))
    if verdict == replication.LAG_OVER:
        problem = ("%s of %s is %s s, over max_lag_seconds %s s: failing over now loses about %s s of cache writes"
                   % (LAG_METRIC, group_id, _num(lag_seconds), _num(max_lag_seconds), _num(lag_seconds)))
    else:
        problem = ("no %s datapoint of %s%s: the link may be broken, so the loss of a failover is unknown"
                   % (LAG_METRIC, group_id, " in the last %s s" % _num(lookback_seconds) if lookback_seconds else ""))
    return dict(out, allowed=False, problem=problem,
                reason=problem + "; wait until it catches up (catch_up), or raise max_lag_seconds to accept the loss")


def caught_up(lag_seconds, max_lag_seconds):
    return lag_seconds is not None and float(lag_seconds) <= float(max_lag_seconds)


def catch_up_timeout_message(global_id, group_id, region, lag_seconds, max_lag_seconds, waited, reads, lookback_seconds=None):
    now = ("still %s s" % _num(lag_seconds) if lag_seconds is not None else
           "unknown (no datapoint%s)" % (" in the last %s s" % _num(lookback_seconds) if lookback_seconds else ""))
    return ("%s of %s (%s) is %s after %s s (%d reads), not within catch_up.max_lag_seconds %s s: it has not caught up "
            "with the primary of %s. Nothing was changed: check the link (a paused or broken replication), raise "
            "catch_up.timeout, or fail over without catch_up to accept the loss"
            % (LAG_METRIC, group_id, region, now, _num(waited), reads, _num(max_lag_seconds), global_id))


def option_problems(params):
    """The options' own problems (sentences naming the option), checked before any call."""
    problems = []
    for name in ("max_lag_seconds", "wait_timeout"):
        if params.get(name) is not None and params[name] < 0:
            problems.append("%s must be 0 or more, got %s" % (name, params[name]))
    if params.get("lag_lookback_seconds") is not None and params["lag_lookback_seconds"] <= 0:
        problems.append("lag_lookback_seconds must be more than 0, got %s" % params["lag_lookback_seconds"])
    catch_up = params.get("catch_up")
    if catch_up:
        if catch_up.get("max_lag_seconds") is None or catch_up["max_lag_seconds"] < 0:
            problems.append("catch_up.max_lag_seconds must be 0 or more, got %s" % catch_up.get("max_lag_seconds"))
        if catch_up.get("timeout") is not None and catch_up["timeout"] < 0:
            problems.append("catch_up.timeout must be 0 or more, got %s" % catch_up["timeout"])
    return problems


def diff(global_id, before, after):
    def name(primary):
        return "%s (%s)" % (primary["replication_group_id"], primary["region"]) if primary else None

    return {"before": {"global_datastore_id": global_id, "primary": name(before)},
            "after": {"global_datastore_id": global_id, "primary": name(after)}}


def step_summary(result):
    """step_summary of elasticache_global_failover: what moved, the lag at the call, the lag gate and the catch-up."""
    primary = result.get("primary") or {}
    target = "%s (%s)" % (primary.get("replication_group_id"), primary.get("region"))
    gate = result.get("lag_gate") if isinstance(result.get("lag_gate"), dict) else None
    catch_up = result.get("catch_up") if isinstance(result.get("catch_up"), dict) else None
    if result.get("refused"):
        detail = "not failed over: %s" % result["refused"]
    elif result.get("failed_over"):
        detail = "failed %s over to %s" % (result.get("global_datastore_id"), target)
        detail += (": " + gate["reason"]) if gate else (", lag %s s" % _num(result["lag_seconds"]) if result.get("lag_seconds") is not None else "")
    else:
        detail = "%s already the primary of %s" % (target, result.get("global_datastore_id"))
    gates = []
    if catch_up:
        gates.append(steps.gate("cache catch-up", catch_up.get("caught_up"), "%s s of lag allowed, %s after %s s" % (
            _num(catch_up.get("max_lag_seconds")), "caught up" if catch_up.get("caught_up") else "not caught up",
            _num(catch_up.get("waited_seconds") or 0)), steps.numbers_of(catch_up, ("max_lag_seconds", "lag_seconds", "waited_seconds", "reads"))))
    if gate:
        gates.append(steps.gate("cache lag", gate.get("allowed"), gate.get("reason"),
                                steps.numbers_of(gate, ("lag_seconds", "max_lag_seconds", "verdict"))))
    measures = steps.numbers_of(result, ("lag_seconds", "waited_seconds"))
    if gate:
        measures["max_lag_seconds"] = gate.get("max_lag_seconds")
    if catch_up:
        measures["catch_up_seconds"] = catch_up.get("waited_seconds")
    return steps.summary(detail, measures, gates)
