# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS replication decisions: the replication role of an instance and replica lag against an RPO budget.

Pure functions over describe_db_instances data (CamelCase, as boto3 returns it) and plain numbers.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

PRIMARY = "primary"
REPLICA = "replica"
STANDALONE = "standalone"

LAG_OK = "ok"
LAG_OVER = "over"
LAG_UNKNOWN = "unknown"


def _replicating(instance):
    """True/False when StatusInfos says so, None when it does not mention read replication."""
    for info in instance.get("StatusInfos") or []:
        if info.get("StatusType") == "read replication":
            # "replicating", "error", "stopped", "terminated": all still mean the instance is a replica;
            # only "terminated" means the link is gone for good.
            return info.get("Status") != "terminated"
    return None


def replication_role(instance, source=None):
    """Decide whether an instance is a primary, a read replica or standalone.

    instance: one DBInstances entry of describe_db_instances.
    source: the DBInstances entry of the instance named by ReadReplicaSourceDBInstanceIdentifier, {} when
      that source no longer exists, None when the caller did not look it up.

    Returns (role, evidence) where evidence says which field decided, for the operator.

    Why not just ReadReplicaSourceDBInstanceIdentifier: real RDS clears it when a replica is promoted, but
    the moto emulator (sandbox) keeps it after promote_read_replica and never reports StatusInfos. So, in
    order: the StatusInfos "read replication" entry (authoritative on real RDS); then the source pointer,
    overruled when the source is gone (RDS promotes replicas whose source is deleted) or no longer lists
    this instance among its replicas; finally the instance's own replica list. Known limit: in moto a
    promoted replica whose source still exists keeps looking like a replica.
    """
    replicating = _replicating(instance)
    if replicating is True:
        return REPLICA, "StatusInfos read replication"
    source_id = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if source_id and replicating is None:
        if source == {}:
            return STANDALONE, "source %s no longer exists" % source_id
        if source is not None and not _lists_replica(source, instance):
            return STANDALONE, "source %s does not list this instance as a replica" % source_id
        return REPLICA, "ReadReplicaSourceDBInstanceIdentifier=%s" % source_id
    if instance.get("ReadReplicaDBInstanceIdentifiers"):
        return PRIMARY, "has read replicas"
    return STANDALONE, "no replication link"


def _lists_replica(source, instance):
    """Whether source's replica list names instance (by identifier, or by ARN for cross-region replicas)."""
    names = set(source.get("ReadReplicaDBInstanceIdentifiers") or [])
    return bool(names & set([instance.get("DBInstanceIdentifier"), instance.get("DBInstanceArn")]))


def lag_verdict(lag_seconds, budget_seconds):
    """Compare replica lag with an RPO budget.

    Returns "ok" (lag <= budget), "over" (lag > budget), "unknown" (no datapoint: the replica may be broken,
    so a failover must not assume it is current), or None when no budget was given.
    """
    if budget_seconds is None:
        return None
    if lag_seconds is None:
        return LAG_UNKNOWN
    return LAG_OK if float(lag_seconds) <= float(budget_seconds) else LAG_OVER


def latest_datapoint(datapoints, statistic="Maximum"):
    """The value of the newest CloudWatch datapoint (get_metric_statistics), or None when there is none."""
    if not datapoints:
        return None
    newest = max(datapoints, key=lambda point: point["Timestamp"])
    return newest.get(statistic)


# ------------------------------------------------------------------------------------------------ promotion (rds_promote)


def replication_status(instance):
    """The StatusInfos "read replication" entry as {status, normal, message}, or None when RDS reports none."""
    for info in instance.get("StatusInfos") or []:
        if info.get("StatusType") == "read replication":
            return {"status": info.get("Status"), "normal": info.get("Normal"), "message": info.get("Message")}
    return None


def detached(instance):
    """Whether the instance no longer replicates from a source: no source pointer and no StatusInfos replication
    entry other than "terminated". This is what a finished promotion looks like on RDS (and in the sandbox)."""
    return not instance.get("ReadReplicaSourceDBInstanceIdentifier") and _replicating(instance) is not True


def promotion_gate(lag_seconds, budget_seconds, override=False, replication=None, lookback_seconds=None):
    """Decide whether a replica may be promoted now.

    lag_seconds: the latest ReplicaLag datapoint (None when there is none).
    budget_seconds: the RPO budget.
    override: the operator accepts a lag over the budget (or an unknown one): the gate passes but says so.
    replication: replication_status(instance); an "error" or "stopped" link means the lag figure cannot be
      trusted (the replica stopped receiving), so it closes the gate like an unknown lag.

    Returns {"allowed": bool, "verdict": ok|over|unknown, "overridden": bool, "problem": str|None, "reason": str}:
    problem is what is wrong with the numbers (None when nothing is), reason the sentence for the operator (with,
    for a refusal, what to do).
    """
    verdict = lag_verdict(lag_seconds, budget_seconds)
    broken = replication is not None and replication.get("status") in ("error", "stopped")
    if verdict == LAG_OK and not broken:
        reason = "replica lag %s s is within the RPO budget of %s s" % (_num(lag_seconds), _num(budget_seconds))
        return {"allowed": True, "verdict": verdict, "overridden": False, "problem": None, "reason": reason}
    if broken:
        problem = "read replication is %s (%s): the replica is not receiving changes, so its lag (%s) understates the loss" % (
            replication.get("status"), replication.get("message") or "no message", "%s s" % _num(lag_seconds) if lag_seconds is not None else "unknown")
        if verdict == LAG_OK:
            verdict = LAG_UNKNOWN
    elif verdict == LAG_OVER:
        problem = ("replica lag %s s is over the RPO budget of %s s: promoting now loses about %s s of committed writes"
                   % (_num(lag_seconds), _num(budget_seconds), _num(lag_seconds)))
    else:
        problem = ("no ReplicaLag datapoint%s: the replica may be broken or not publishing, so the data loss of a "
                   "promotion is unknown" % (" in the last %s s" % lookback_seconds if lookback_seconds else ""))
    if override:
        return {"allowed": True, "verdict": verdict, "overridden": True, "problem": problem,
                "reason": "overridden (max_lag_override): " + problem}
    return {"allowed": False, "verdict": verdict, "overridden": False, "problem": problem,
            "reason": problem + "; wait until the replica catches up (check it with rds_replication_info), or set "
                                "max_lag_override: true to accept the loss"}


def _num(value):
    """A number without a useless '.0' (2 rather than 2.0), for messages."""
    value = float(value)
    return int(value) if value.is_integer() else round(value, 3)


# ------------------------------------------------------------------------------------- read replicas (rds_read_replica)

CREATE = "create"
KEEP = "keep"
WAIT_DELETED = "wait_deleted"
REFUSE = "refuse"


def instance_key(identifier, default_region):
    """(region, lower-case name) of an RDS instance named by ARN (arn:aws:rds:REGION:ACCOUNT:db:NAME) or by identifier
    (then in default_region). RDS shows a same-region source by identifier and a cross-region one by ARN; both
    spellings of one instance have the same key (identifiers are case-insensitive)."""
    parts = (identifier or "").split(":")
    if len(parts) >= 7 and parts[0] == "arn":
        return parts[3], parts[-1].lower()
    return default_region, (identifier or "").lower()


def replica_plan(existing, wanted_source, region):
    """What rds_read_replica does about the instance that should be a read replica of wanted_source.

    existing: the DBInstances entry of the replica's identifier in its region, or None.
    wanted_source: instance_key() of the requested source.
    region: the replica's region (a source shown by identifier lives there).

    Returns {"action", "reason"}: "create" (no such instance), "wait_deleted" (it is being deleted: wait until it is
    gone, then create), "keep" (it already replicates from that source), or "refuse" (it is standalone, a primary, or
    replicates from another source: it holds other data, so the module does not delete it; the reason says what to do).
    """
    if existing is None:
        return {"action": CREATE, "reason": "no instance of that name"}
    name = existing.get("DBInstanceIdentifier")
    if existing.get("DBInstanceStatus") == "deleting":
        return {"action": WAIT_DELETED, "reason": "%s is being deleted" % name}
    wanted = "%s in %s" % (wanted_source[1], wanted_source[0])
    role, evidence = replication_role(existing)
    found_source = existing.get("ReadReplicaSourceDBInstanceIdentifier")
    if role == REPLICA and found_source and instance_key(found_source, region) == tuple(wanted_source):
        return {"action": KEEP, "reason": "%s already replicates from %s" % (name, found_source)}
    if role == REPLICA and found_source:
        return {"action": REFUSE, "reason": "%s exists and replicates from %s, not from %s: delete it first (state: absent) "
                                            "or pick another instance_id" % (name, found_source, wanted)}
    return {"action": REFUSE, "reason": "%s exists as a %s instance (%s), not as a replica of %s: a promoted replica or another "
                                        "database; delete it first (state: absent) or pick another instance_id"
                                        % (name, role, evidence, wanted)}


def replicating(instance, wanted_source, region):
    """Whether a replica is done being created: available, pointing at wanted_source, and (where RDS reports it)
    its read replication status is "replicating"."""
    if instance.get("DBInstanceStatus") != "available":
        return False
    found = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if not found or instance_key(found, region) != tuple(wanted_source):
        return False
    state = replication_status(instance)
    return state is None or state.get("status") == "replicating"


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def promotion_step_summary(result):
    """step_summary of rds_promote: the lag gate with the lag at promotion, the RPO budget and whether it promoted."""
    lag_gate = result.get("lag_gate") if isinstance(result.get("lag_gate"), dict) else {}
    numbers = steps.numbers_of(result, ("lag_at_promotion_seconds", "rpo_budget_seconds", "duration_seconds", "lag_verdict",
                                        "promoted"))
    numbers.update(steps.numbers_of(lag_gate, ("overridden",)))
    reason = lag_gate.get("reason") or result.get("lag_verdict")
    if lag_gate.get("allowed") is False:
        detail = "not promoted: %s" % reason
    elif result.get("promoted"):
        detail = "promoted: %s" % reason if reason else "promoted"
    else:
        detail = reason
    measures = steps.numbers_of(result, ("lag_at_promotion_seconds", "rpo_budget_seconds", "duration_seconds"))
    return steps.summary(detail, measures, [steps.gate("lag at promotion", lag_gate.get("allowed"), reason, numbers)])


def replication_step_summary(result):
    """step_summary of rds_replication_info: the replication state of an instance (a gate with no pass/fail: the lag
    and its verdict against the RPO budget, when it is a replica)."""
    if not result.get("exists", True):
        return steps.summary("%s does not exist" % result.get("instance_id"))
    detail = "%s is %s" % (result.get("instance_id"), result.get("role"))
    if result.get("replica_lag_seconds") is not None:
        detail += ", lag %s s (%s)" % (result["replica_lag_seconds"], result.get("lag_verdict"))
    gates = []
    if result.get("replica_lag_seconds") is not None or result.get("lag_verdict") is not None:
        gates.append(steps.gate("replication %s" % result.get("instance_id"), None, result.get("lag_verdict"),
                                steps.numbers_of(result, ("role", "replica_lag_seconds", "rpo_budget_seconds", "lag_verdict"))))
    return steps.summary(detail, steps.numbers_of(result, ("replica_lag_seconds", "rpo_budget_seconds")), gates)
