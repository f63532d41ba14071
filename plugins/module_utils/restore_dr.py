# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore-based DR (db_shape.RESTORE): which restorable point in the DR region a failover restores from, how old it
is against the RPO budget, whether that blocks, and the restore request.

An estate with nothing warm in DR declares `cloudops_rds.dr_restore` {region, instance_id, source, instance_class,
subnet_group, vpc_security_group_ids, parameter_group, wait_timeout}. The restorable points in DR are:

- snapshot copies (`snapshot_copy`): available manual snapshots in the DR region whose data is the primary's
  (backup.yml's cross-region copies); their data time is OriginalSnapshotCreateTime (kept by copies);
- replicated automated backups (`automated_backups`): the primary's DBInstanceAutomatedBackups replicated to DR
  (StartDBInstanceAutomatedBackupsReplication); their point is the RestoreWindow's LatestTime.

`source` newest (default) takes the newest of both. The point's age (now - its data time) is the RPO a failover
would accept; past the budget it is refused unless `failover_max_lag_override` (the same override as a replica's
lag: the operator accepts the loss). Pure: no AWS call.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

SNAPSHOT_COPY = "snapshot_copy"
AUTOMATED_BACKUPS = "automated_backups"
NEWEST = "newest"
SOURCES = (NEWEST, SNAPSHOT_COPY, AUTOMATED_BACKUPS)
USABLE_BACKUP_STATUS = ("replicating", "active", "retained")
FINDING = "dr_restore_point"
TARGET_FINDING = "dr_restore_target"
OVERRIDE_VAR = "failover_max_lag_override"
KEYS = ("region", "instance_id", "source", "instance_class", "subnet_group", "vpc_security_group_ids",
        "parameter_group", "kms_key_id", "multi_az", "wait_timeout")


class RestoreDrError(ValueError):
    pass


def spec_problems(dr_restore, var="cloudops_rds.dr_restore"):
    """What is wrong with the `dr_restore` block (a list of sentences naming the key), [] when nothing is."""
    if not isinstance(dr_restore, dict) or not dr_restore:
        return ["%s must be a mapping with at least region and instance_id" % var]
    problems = []
    for key in ("region", "instance_id"):
        if not isinstance(dr_restore.get(key), str) or not dr_restore.get(key).strip():
            problems.append("%s.%s is required (the DR %s the database is restored %s)" % (
                var, key, "region" if key == "region" else "instance identifier", "in" if key == "region" else "as"))
    source = dr_restore.get("source", NEWEST)
    if source not in SOURCES:
        problems.append("%s.source %r must be one of %s" % (var, source, ", ".join(SOURCES)))
    groups = dr_restore.get("vpc_security_group_ids")
    if groups not in (None, "") and not (isinstance(groups, list) and all(isinstance(g, str) for g in groups)):
        problems.append("%s.vpc_security_group_ids must be a list of security group ids" % var)
    unknown = sorted(set(dr_restore) - set(KEYS))
    if unknown:
        problems.append("%s has unknown key(s) %s (known: %s)" % (var, ", ".join(unknown), ", ".join(KEYS)))
    return problems


def snapshot_points(snapshots, source_id):
    """Restore points of the DR region's snapshot copies of `source_id` (available, manual: copies are manual)."""
    out = []
    for snap in snapshots or []:
        if not backup.same_id(snap.get("DBInstanceIdentifier"), source_id):
            continue
        if snap.get("Status") != backup.AVAILABLE or snap.get("SnapshotType") != backup.MANUAL:
            continue
        when = backup.snapshot_data_time(snap)
        if not when:
            continue
        out.append({"kind": SNAPSHOT_COPY, "time": backup.iso(when), "snapshot_id": snap.get("DBSnapshotIdentifier"),
                    "snapshot_arn": snap.get("DBSnapshotArn"), "backups_arn": None, "earliest": None,
                    "port": snap.get("Port")})
    return out


def backup_points(backups, source_id, source_arn=None, dr_region=None):
    """Restore points of the replicated automated backups of the source in DR (their RestoreWindow's LatestTime).
    An entry counts when its DBInstanceArn is the source's (or, without an ARN to compare, its identifier is and it
    comes from another region than DR)."""
    out = []
    for entry in backups or []:
        if source_arn and entry.get("DBInstanceArn"):
            if entry.get("DBInstanceArn") != source_arn:
                continue
        elif not backup.same_id(entry.get("DBInstanceIdentifier"), source_id) or (dr_region and entry.get("Region") == dr_region):
            continue
        if not entry.get("DBInstanceAutomatedBackupsArn") or entry.get("Status") not in USABLE_BACKUP_STATUS:
            continue
        window = entry.get("RestoreWindow") or {}
        if not window.get("LatestTime"):
            continue
        out.append({"kind": AUTOMATED_BACKUPS, "time": backup.iso(window["LatestTime"]), "snapshot_id": None,
                    "snapshot_arn": None, "backups_arn": entry["DBInstanceAutomatedBackupsArn"],
                    "earliest": backup.iso(window.get("EarliestTime")), "status": entry.get("Status"),
                    "port": entry.get("Port")})
    return out


def choose(points, source=NEWEST):
    """The newest point of the wanted kind(s), or None."""
    usable = [p for p in points or [] if source == NEWEST or p["kind"] == source]
    if not usable:
        return None
    return max(usable, key=lambda p: (backup.parse_time(p["time"]), p["kind"] == AUTOMATED_BACKUPS))


def restore_point(snapshots, backups, source_id, source_arn=None, dr_region=None, source=NEWEST, now=None):
    """{point (None: nothing restorable), age_seconds, candidates: how many of each kind, source}."""
    points = snapshot_points(snapshots, source_id) + backup_points(backups, source_id, source_arn, dr_region)
    chosen = choose(points, source)
    now = backup.parse_time(now) if now is not None else None
    age = backup.seconds_between(chosen["time"], now) if chosen and now is not None else None
    counts = {SNAPSHOT_COPY: len([p for p in points if p["kind"] == SNAPSHOT_COPY]),
              AUTOMATED_BACKUPS: len([p for p in points if p["kind"] == AUTOMATED_BACKUPS])}
    return {"point": chosen, "age_seconds": age, "candidates": counts, "source": source}


def _num(value):
    value = float(value)
    return int(value) if value.is_integer() else round(value, 1)


def _what(point):
    if point["kind"] == SNAPSHOT_COPY:
        return "snapshot copy %s" % point["snapshot_id"]
    return "replicated automated backups (latest restorable time)"


def nothing_restorable(found, source_id, dr_region):
    kinds = {NEWEST: "no snapshot copy and no replicated automated backups",
             SNAPSHOT_COPY: "no snapshot copy", AUTOMATED_BACKUPS: "no replicated automated backups"}[found["source"]]
    return ("%s of %s in %s (dr_restore.source %s): a restore in DR has nothing to start from; copy a snapshot there "
            "(backup.yml with cloudops_backup.copy) or replicate the automated backups "
            "(StartDBInstanceAutomatedBackupsReplication in %s)" % (kinds, source_id, dr_region, found["source"], dr_region))


def gate(found, budget_seconds, override=False, source_id="the primary", dr_region="DR"):
    """Whether a failover may restore from the chosen point: {allowed, verdict (ok|over|none), overridden, problem,
    reason}. No point at all refuses even with the override (there is nothing to restore)."""
    point, age = found.get("point"), found.get("age_seconds")
    if point is None:
        problem = nothing_restorable(found, source_id, dr_region)
        return {"allowed": False, "verdict": "none", "overridden": False, "problem": problem, "reason": problem}
    what = "%s from %s, %s s old" % (_what(point), point["time"], _num(age))
    if budget_seconds is None or age <= float(budget_seconds):
        return {"allowed": True, "verdict": "ok", "overridden": False, "problem": None,
                "reason": "newest restorable point in %s: %s, within the RPO budget of %s s" % (
                    dr_region, what, "?" if budget_seconds is None else _num(budget_seconds))}
    problem = ("newest restorable point in %s: %s, over the RPO budget of %s s: a restore from it loses about %s s of "
               "committed writes" % (dr_region, what, _num(budget_seconds), _num(age)))
    if override:
        return {"allowed": True, "verdict": "over", "overridden": True, "problem": problem,
                "reason": "overridden (%s): %s" % (OVERRIDE_VAR, problem)}
    return {"allowed": False, "verdict": "over", "overridden": False, "problem": problem,
            "reason": problem + "; check the copies/replication to %s, or set -e %s=true to accept the loss"
            % (dr_region, OVERRIDE_VAR)}


def readiness_finding(found, budget_seconds, source_id, dr_region):
    """The readiness audit's finding `dr_restore_point` (readiness.finding's shape)."""
    verdict = gate(found, budget_seconds, False, source_id, dr_region)
    point = found.get("point") or {}
    return {"check": FINDING, "passed": verdict["allowed"], "detail": verdict["problem"] or verdict["reason"],
            "numbers": {"restore_point_age_seconds": found.get("age_seconds"), "rpo_budget_seconds": budget_seconds,
                        "kind": point.get("kind"), "restore_point_time": point.get("time"),
                        "snapshot_copies": found["candidates"][SNAPSHOT_COPY],
                        "replicated_backups": found["candidates"][AUTOMATED_BACKUPS]}}


def target_finding(instance, instance_id, region):
    """The readiness finding `dr_restore_target`: the name a restore in DR takes is free (`instance`: its
    DBInstances entry, None when there is none). A drill needs it free; a failover resumes on one it restored."""
    if instance is None:
        return {"check": TARGET_FINDING, "passed": True, "numbers": {"exists": False},
                "detail": "%s is free in %s: a restore there can take it" % (instance_id, region)}
    label = backup.tags_to_dict(instance.get("TagList")).get(backup.RESTORED_FROM_TAG)
    return {"check": TARGET_FINDING, "passed": False, "numbers": {"exists": True, "restored_from": label},
            "detail": "%s already exists in %s (%s, %s): a restore in DR needs the name; %s" % (
                instance_id, region, instance.get("DBInstanceStatus"),
                "restored from %s" % label if label else "not restored by rds_restore",
                "finish or clean up the run that restored it (the failover resumes on it)" if label
                else "rename or delete it, or change cloudops_rds.dr_restore.instance_id")}


def restore_args(dr_restore, point, tags=None):
    """rds_restore's arguments restoring dr_restore.instance_id in DR from `point` (at the replicated backups'
    latest restorable time, or from the snapshot copy)."""
    if not point:
        raise RestoreDrError("no restore point to restore from")
    args = {"instance_id": dr_restore["instance_id"], "region": dr_restore["region"], "state": "present",
            "db_instance_class": dr_restore.get("instance_class") or None,
            "db_subnet_group_name": dr_restore.get("subnet_group") or None,
            "vpc_security_group_ids": list(dr_restore.get("vpc_security_group_ids") or []) or None,
            "db_parameter_group_name": dr_restore.get("parameter_group") or None,
            "multi_az": dr_restore.get("multi_az"), "tags": dict(tags or {}),
            "wait_timeout": int(dr_restore.get("wait_timeout") or 3600)}
    if point["kind"] == SNAPSHOT_COPY:
        args["snapshot_id"] = point["snapshot_id"]
    else:
        args["source_automated_backups_arn"] = point["backups_arn"]
        args["use_latest_restorable_time"] = True
    return dict((k, v) for k, v in args.items() if v is not None)


def predicted_endpoint(instance_id, point):
    """What a check-mode restore from `point` predicts as the instance's endpoint (the address exists once RDS
    creates the instance; the port is the source's): the application's Secret shows what it would point at."""
    return {"address": "(%s once restored)" % instance_id, "port": (point or {}).get("port") or 5432}


def point_result(found, label=None):
    """rds_restore's `restore_point`: {kind, time, age_seconds, snapshot_id, backups_arn, candidates, verdict}. For an
    instance restored already (no point chosen) only the time its cloudops:restored-from label names, if any."""
    point = found.get("point") or {}
    when = point.get("time")
    if not when and "@" in (label or ""):
        when = label.partition("@")[2]
        when = None if when == backup.LATEST else when
    return {"kind": point.get("kind"), "time": when, "age_seconds": found.get("age_seconds"),
            "snapshot_id": point.get("snapshot_id") or (label if label and "@" not in label else None),
            "backups_arn": point.get("backups_arn"), "candidates": found.get("candidates"),
            "verdict": found.get("verdict")}


def restore_step_summary(found, verdict, restored=None, duration_seconds=None, check_mode=False):
    """step_summary of a restore in DR: the restore point gate (`verdict`: gate()'s answer) with its numbers, and
    the restore's duration."""
    point = found.get("point") or {}
    gates = [steps.gate(FINDING, verdict.get("allowed"), verdict.get("reason"),
                        {"restore_point_age_seconds": found.get("age_seconds"), "kind": point.get("kind"),
                         "overridden": verdict.get("overridden")})]
    if restored and point:
        detail = "%s %s from %s (%s)" % ("would restore" if check_mode else "restored", (restored or {}).get("id"), _what(point),
                                         point.get("time"))
    else:
        detail = verdict.get("reason")
    return steps.summary(detail, {"restore_point_age_seconds": found.get("age_seconds"),
                                  "restore_seconds": duration_seconds}, gates)


# What the failback runbook says on a restore-based DR estate (runbook_request, before any call).
FAILBACK_MANUAL = ("cloudops_rds declares restore-based DR (cloudops_rds.dr_restore): the failback runbook does not fail "
                   "back a restore-based failover. It ends with DR as a warm read replica of the primary, which this "
                   "estate does not have (its DR is backups only), and it does not move the backups' replication back; "
                   "the old primary also holds writes after the cut that the restored database lacks, which only you can "
                   "reconcile. The manual way: create a cross-region read replica of the restored DR instance in the primary region "
                   "(rds_read_replica), wait until it replicates, stop the writes, promote it (rds_promote), point the "
                   "application's Secret and Route 53 back at the primary (db_cutover, route53_failover_switch), scale DR "
                   "down (eks_capacity), delete the DR instance once the primary is verified (rds_restore state=absent) and "
                   "replicate the new primary's automated backups to DR again (StartDBInstanceAutomatedBackupsReplication). "
                   "Nothing was changed.")


def runbook_refusal(runbook, cloudops_rds):
    """The refusal of a runbook on a restore-based DR estate (db_shape.RESTORE), else None: the failback refuses with
    the manual way; failover and failover_drill run it."""
    if db_shape.shape(cloudops_rds) != db_shape.RESTORE:
        return None
    if runbook == "failback":
        return FAILBACK_MANUAL
    return None  # failover and failover_drill run it
