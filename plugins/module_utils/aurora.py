# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""An Aurora global database (db_shape.AURORA_GLOBAL) as the runbooks see it: each cluster's role in the global
cluster, its status report entry, the RPO lag gate (AuroraGlobalDBRPOLag against the RPO budget) and the readiness
findings of the secondary cluster.

Plain Python over boto3-shaped describes (DescribeGlobalClusters, DescribeDBClusters) and CloudWatch figures; the
reads are in _aws/aurora.py.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

WRITER = "writer"
SECONDARY = "secondary"
NOT_MEMBER = "not_member"
MISSING = "missing"

CONNECTED = "connected"

# Readiness checks of the Aurora shape (the replica shape's replica_role / replica_lag / source_backups).
GLOBAL_SECONDARY = "global_secondary"
GLOBAL_RPO_LAG = "global_rpo_lag"
GLOBAL_BACKUPS = "global_backups"
CHECKS = (GLOBAL_SECONDARY, GLOBAL_RPO_LAG, GLOBAL_BACKUPS)

RPO_LAG_METRIC = "AuroraGlobalDBRPOLag"
REPLICATION_LAG_METRIC = "AuroraGlobalDBReplicationLag"

# The two sides of the estate's database, as cloudops_rds names them.
SIDES = ("primary", "secondary")


def _members(global_cluster):
    return list((global_cluster or {}).get("GlobalClusterMembers") or [])


def cluster_id_of_arn(arn):
    """The cluster identifier of a cluster ARN (arn:aws:rds:REGION:ACCOUNT:cluster:NAME); the value itself otherwise."""
    return str(arn or "").rsplit(":", maxsplit=1)[-1] or None


def member(global_cluster, cluster_arn):
    """The GlobalClusterMembers entry of cluster_arn, or None when it is not a member."""
    return next((item for item in _members(global_cluster) if item.get("DBClusterArn") == cluster_arn), None)


def writer_arn(global_cluster):
    """The ARN of the global cluster's writer (None: no writer, or no global cluster)."""
    return next((item.get("DBClusterArn") for item in _members(global_cluster) if item.get("IsWriter")), None)


def role(global_cluster, cluster):
    """A cluster's role in the global database: writer, secondary, not_member (exists, not in it) or missing."""
    if not cluster:
        return MISSING
    found = member(global_cluster, cluster.get("DBClusterArn"))
    if found is None:
        return NOT_MEMBER
    return WRITER if found.get("IsWriter") else SECONDARY


def failover_state(global_cluster):
    """FailoverState as {status, from_cluster_id, to_cluster_id, data_loss_allowed}, or None when none is reported."""
    state = (global_cluster or {}).get("FailoverState") or {}
    if not state.get("Status"):
        return None
    return {"status": state.get("Status"), "from_cluster_id": cluster_id_of_arn(state.get("FromDbClusterArn")),
            "to_cluster_id": cluster_id_of_arn(state.get("ToDbClusterArn")), "data_loss_allowed": state.get("IsDataLossAllowed")}


def ms_to_seconds(value):
    """A CloudWatch Milliseconds figure in seconds (None stays None)."""
    return None if value is None else round(float(value) / 1000.0, 3)


def global_report(global_cluster_id, global_cluster):
    """The status report's rds.global_cluster entry."""
    if not global_cluster:
        return {"global_cluster_id": global_cluster_id, "exists": False, "status": None, "writer": None, "failover_state": None}
    return {"global_cluster_id": global_cluster_id, "exists": True, "status": global_cluster.get("Status"),
            "engine": global_cluster.get("Engine"), "engine_version": global_cluster.get("EngineVersion"),
            "writer": cluster_id_of_arn(writer_arn(global_cluster)), "failover_state": failover_state(global_cluster)}


def cluster_report(spec, cluster, global_cluster, rpo_lag_ms=None, replication_lag_ms=None, budget=None):
    """A cluster's status report entry (rds.primary / rds.secondary). spec: the inventory's {region, cluster_id,
    instance_ids}; cluster: its DBClusters entry (None: missing); the lags: the latest AuroraGlobalDBRPOLag /
    AuroraGlobalDBReplicationLag datapoints in milliseconds (read for a secondary only). replica_lag_seconds is the
    RPO lag, the figure the lag verdict judges against the RPO budget (the replica shape's key, so a drill's diff
    ignores it the same way)."""
    out = {"cluster_id": spec.get("cluster_id"), "region": spec.get("region"), "exists": bool(cluster)}
    if not cluster:
        out.update(role=MISSING, status=None, replica_lag_seconds=None, replication_lag_seconds=None,
                   rpo_budget_seconds=budget, lag_verdict=None)
        return out
    found_role = role(global_cluster, cluster)
    entry = member(global_cluster, cluster.get("DBClusterArn")) or {}
    lag = ms_to_seconds(rpo_lag_ms) if found_role == SECONDARY else None
    instances = sorted(({"instance_id": item.get("DBInstanceIdentifier"), "writer": bool(item.get("IsClusterWriter"))}
                        for item in cluster.get("DBClusterMembers") or []), key=lambda item: item["instance_id"] or "")
    out.update({
        "arn": cluster.get("DBClusterArn"),
        "role": found_role,
        "status": cluster.get("Status"),
        "engine": cluster.get("Engine"),
        "engine_version": cluster.get("EngineVersion"),
        "endpoint": {"address": cluster.get("Endpoint"), "port": cluster.get("Port")},
        "reader_endpoint": cluster.get("ReaderEndpoint"),
        "instances": instances,
        "synchronization_status": entry.get("SynchronizationStatus") if found_role == SECONDARY else None,
        "backup_retention_period": cluster.get("BackupRetentionPeriod"),
        "replica_lag_seconds": lag,
        "replication_lag_seconds": ms_to_seconds(replication_lag_ms) if found_role == SECONDARY else None,
        "rpo_budget_seconds": budget if found_role == SECONDARY else None,
        "lag_verdict": replication.lag_verdict(lag, budget) if found_role == SECONDARY else None,
    })
    return out


def rpo_gate(lag_seconds, budget_seconds, override=False, synchronization_status=CONNECTED, lookback_seconds=None):
    """Whether the global database may fail over to its secondary now, from AuroraGlobalDBRPOLag (seconds) against
    the RPO budget. A secondary that is not `connected` (pending-resync, resyncing) has no trustworthy lag: closed
    like an unknown lag. override (failover_max_lag_override) opens it and says so.
    {allowed, verdict, overridden, problem, reason} as replication.promotion_gate."""
    verdict = replication.lag_verdict(lag_seconds, budget_seconds)
    unsynced = synchronization_status not in (None, CONNECTED)
    if verdict == replication.LAG_OK and not unsynced:
        reason = "RPO lag %s s is within the RPO budget of %s s" % (_num(lag_seconds), _num(budget_seconds))
        return {"allowed": True, "verdict": verdict, "overridden": False, "problem": None, "reason": reason}
    if unsynced:
        problem = ("the secondary cluster's synchronization status is %s, not connected: it is not receiving the writer's "
                   "changes, so its lag (%s) understates the loss" % (synchronization_status,
                                                                      "unknown" if lag_seconds is None else "%s s" % _num(lag_seconds)))
        if verdict == replication.LAG_OK:
            verdict = replication.LAG_UNKNOWN
    elif verdict == replication.LAG_OVER:
        problem = ("RPO lag (%s) %s s is over the RPO budget of %s s: failing over now loses about %s s of committed writes"
                   % (RPO_LAG_METRIC, _num(lag_seconds), _num(budget_seconds), _num(lag_seconds)))
    else:
        problem = ("no %s datapoint%s: the secondary may be broken or not publishing, so the data loss of a failover is "
                   "unknown" % (RPO_LAG_METRIC, " in the last %s s" % lookback_seconds if lookback_seconds else ""))
    if override:
        return {"allowed": True, "verdict": verdict, "overridden": True, "problem": problem,
                "reason": "overridden (failover_max_lag_override): " + problem}
    return {"allowed": False, "verdict": verdict, "overridden": False, "problem": problem,
            "reason": problem + "; wait until the secondary catches up, or set failover_max_lag_override=true to accept the loss"}


def _num(value):
    value = float(value)
    return int(value) if value.is_integer() else round(value, 3)


def _finding(check, passed, detail, **numbers):
    return {"check": check, "passed": bool(passed), "detail": detail, "numbers": numbers}


def secondary_findings(global_cluster_id, spec, global_cluster, cluster, rpo_lag_ms, budget, lookback_seconds=None):
    """The readiness findings of the secondary cluster (what a failover to it needs): it exists, is a member of the
    global cluster, not its writer, `connected` and available (GLOBAL_SECONDARY); its RPO lag within the budget
    (GLOBAL_RPO_LAG). spec: cloudops_rds.secondary."""
    name = spec.get("cluster_id")
    no_point = _finding(GLOBAL_RPO_LAG, False, "no secondary cluster replicating, so no recovery point", rpo_budget_seconds=budget)
    if not global_cluster:
        return [_finding(GLOBAL_SECONDARY, False, "global cluster %s not found: check cloudops_rds.global_cluster_id and that "
                                                  "the global database exists" % global_cluster_id), no_point]
    if not cluster:
        return [_finding(GLOBAL_SECONDARY, False, "secondary cluster %s not found in %s: create it in the global cluster %s "
                                                  "(or fix cloudops_rds.secondary)" % (name, spec.get("region"), global_cluster_id)),
                no_point]
    found_role = role(global_cluster, cluster)
    if found_role == NOT_MEMBER:
        return [_finding(GLOBAL_SECONDARY, False, "cluster %s is not a member of the global cluster %s: a failover has nothing "
                                                  "to move the writer to; add it as a secondary cluster" % (name, global_cluster_id),
                         status=cluster.get("Status")), no_point]
    if found_role == WRITER:
        return [_finding(GLOBAL_SECONDARY, False, "cluster %s is the writer of %s, not its secondary: the estate is already "
                                                  "running on DR (fail back first)" % (name, global_cluster_id)), no_point]
    entry = member(global_cluster, cluster.get("DBClusterArn")) or {}
    sync, status = entry.get("SynchronizationStatus"), cluster.get("Status")
    # Not `connected` fails the lag finding (the lag cannot be trusted), which failover_max_lag_override may accept.
    ok = status == "available"
    detail = "%s is the secondary cluster of %s, status %s, synchronization %s" % (name, global_cluster_id, status, sync or "not reported")
    if not ok:
        detail += ": it must be available to take over the writer"
    lag = ms_to_seconds(rpo_lag_ms)
    gate = rpo_gate(lag, budget, False, sync, lookback_seconds)
    return [_finding(GLOBAL_SECONDARY, ok, detail, status=status, synchronization_status=sync),
            _finding(GLOBAL_RPO_LAG, gate["allowed"], gate["problem"] or gate["reason"], replica_lag_seconds=lag,
                     rpo_budget_seconds=budget)]


def backups_finding(spec, cluster):
    """The writer cluster keeps automated backups (BackupRetentionPeriod > 0): restores and the failback need them."""
    name = spec.get("cluster_id")
    if not cluster:
        return _finding(GLOBAL_BACKUPS, False, "primary cluster %s could not be read (missing, or its region unreachable)" % name)
    days = cluster.get("BackupRetentionPeriod") or 0
    if days > 0:
        return _finding(GLOBAL_BACKUPS, True, "primary cluster %s keeps automated backups for %s days" % (name, days),
                        backup_retention_days=days)
    return _finding(GLOBAL_BACKUPS, False, "primary cluster %s has automated backups off: turn them on" % name,
                    backup_retention_days=days)


def status_step_gates(rds_report):
    """The status step's gates of an Aurora estate: the secondary's RPO lag (no pass/fail: the status judges nothing)."""
    gates = []
    for side in SIDES:
        entry = (rds_report or {}).get(side) or {}
        if entry.get("lag_verdict") is not None:
            gates.append(steps.gate("replication %s" % entry.get("cluster_id"), None, entry.get("lag_verdict"),
                                    steps.numbers_of(entry, ("role", "replica_lag_seconds", "rpo_budget_seconds", "lag_verdict",
                                                             "synchronization_status"))))
    return gates


def secondary_of(rds_report):
    """The report entry of the cluster that is the secondary now (after a switchover it is the inventory's primary)."""
    for side in SIDES:
        entry = (rds_report or {}).get(side) or {}
        if entry.get("role") == SECONDARY:
            return entry
    return (rds_report or {}).get("secondary") or {}


def switch_summary(result):
    """What a drill's way back did to the global database (rds_global_cluster_failover's result), as the drill report
    shows it; None when it did not run (the replica shape, or a skipped task)."""
    if not isinstance(result, dict) or "writer_after" not in result:
        return None
    return {"mode": result.get("mode"), "writer_before": cluster_id_of_arn(result.get("writer_before")),
            "writer_after": cluster_id_of_arn(result.get("writer_after")), "changed": result.get("changed"),
            "duration_seconds": result.get("duration_seconds")}


RPO_FAILOVER = ("estimated as the secondary cluster's RPO lag (CloudWatch AuroraGlobalDBRPOLag) before FailoverGlobalCluster; "
                "the drill measures it by data")


def switch_change(result):
    """The change line of a failover report for a global switch (rds_global_cluster_failover's result)."""
    lossy = result.get("mode") == "failover"
    return "Aurora global database %s: writer %s -> %s (%s)" % (
        result.get("global_cluster_id"), cluster_id_of_arn(result.get("writer_before")), cluster_id_of_arn(result.get("writer_after")),
        "FailoverGlobalCluster, the writes it had not received are lost" if lossy else "SwitchoverGlobalCluster, nothing lost")


def failover_next_step(dr_region, plan):
    """What to do after a real failover of a global database (plan: failover_plan's `aurora`)."""
    return ("Production runs on %s (cluster %s writes). The old primary cluster %s rejoins the global database %s as a secondary once "
            "its region answers (nothing to rebuild): fail back with playbooks/failback.yml, a planned switchover. What it had not "
            "replicated at the failover is in its snapshot rds:unplanned-global-failover-*; the DNS records before the failover are in "
            "the report (dns_before)." % (dr_region, plan["secondary"]["cluster_id"], plan["primary"]["cluster_id"],
                                          plan["global_cluster_id"]))


def failback_refusal(report, global_database):
    """Why a failback of the global database cannot start (None when it can), from the status report's rds part:
    the DR cluster must be the writer and the primary cluster its available, `connected` secondary (it rejoins by itself
    once its region answers after a FailoverGlobalCluster)."""
    rds = report or {}
    found = rds.get("global_cluster") or {}
    primary, secondary = rds.get("primary") or {}, rds.get("secondary") or {}
    name = global_database.get("global_cluster_id")
    if not found.get("exists"):
        return "the global cluster %s was not found: check cloudops_rds.global_cluster_id" % name
    if secondary.get("role") != WRITER:
        return ("the DR cluster %s is %s, not the writer of %s: there is nothing to fail back (the estate runs on the primary "
                "region)" % (secondary.get("cluster_id"), secondary.get("role"), name))
    if primary.get("role") != SECONDARY or primary.get("synchronization_status") != CONNECTED or primary.get("status") != "available":
        return ("the primary cluster %s is %s (status %s, synchronization %s), not an available, connected secondary of %s: wait until it "
                "has rejoined the global database and caught up (it does by itself once its region answers), then run the failback "
                "again" % (primary.get("cluster_id"), primary.get("role"), primary.get("status"),
                           primary.get("synchronization_status") or "not reported", name))
    return None


RPO_FAILBACK = ("a planned switchover (SwitchoverGlobalCluster): the primary cluster takes the writes only once it has every commit "
                "of the DR cluster, after the writes stopped on DR (0 lost)")
