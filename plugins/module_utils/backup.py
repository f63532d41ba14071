# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup and restore decisions, apart from any AWS call.

The restorable window of an instance and whether a time lies in it, which restore point to use (the newest
snapshot, the latest restorable time, a requested time) and how far back its data is, how a restored instance
records where it came from, which manual snapshots a retention policy deletes, and the plain-dict summaries the
modules return. No boto3: the I/O lives in module_utils/_aws/rds_snapshots.py. Inputs are boto3-shaped dicts
(CamelCase, datetimes); times are returned as ISO 8601 strings in UTC.
"""

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

UTC = datetime.timezone.utc

# The tag rds_restore puts on every instance it restores: the snapshot id, or "<source>@<time>" / "<source>@latest".
RESTORED_FROM_TAG = "cloudops:restored-from"
LATEST = "latest"

SNAPSHOT = "snapshot"
TIME = "time"

MODE_LATEST_SNAPSHOT = "latest_snapshot"
MODE_LATEST_RESTORABLE_TIME = "latest_restorable_time"
MODE_TIME = "time"

MANUAL = "manual"
AUTOMATED = "automated"

# The tag every snapshot this collection takes (rds_snapshot) or copies (rds_snapshot_copy) carries from its creation
# call on. A snapshot without it was not taken by the runbook: rds_snapshot and rds_snapshot_copy refuse to adopt (or
# tag) it, and retention never deletes it, whatever tag_filters say.
OWNER_TAG_KEY = "managed-by"
OWNER_TAG_VALUE = "cloudops.runbooks"
OWNER_TAGS = {OWNER_TAG_KEY: OWNER_TAG_VALUE}

# Statuses after which waiting longer cannot help.
SNAPSHOT_FAILED = frozenset(["failed", "error", "incompatible-restore", "incompatible-parameters"])
INSTANCE_FAILED = frozenset([
    "failed", "incompatible-restore", "incompatible-parameters", "incompatible-network", "incompatible-option-group",
    "inaccessible-encryption-credentials", "inaccessible-encryption-credentials-recoverable", "restore-error",
    "storage-full",
])
AVAILABLE = "available"


class BackupError(Exception):
    """A refusal whose message says what to change."""


# ------------------------------------------------------------------------------------------------------- time


def parse_time(value, what="restore_time"):
    """An aware UTC datetime from a datetime or an ISO 8601 string ('Z', an offset, or none = UTC)."""
    if isinstance(value, datetime.datetime):
        parsed = value
    elif isinstance(value, datetime.date):
        parsed = datetime.datetime(value.year, value.month, value.day)
    else:
        text = str(value or "").strip()
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            parsed = datetime.datetime.fromisoformat(text)
        except ValueError:
            raise BackupError("%s %r is not an ISO 8601 time: write it like 2026-01-31T12:00:00Z" % (what, value)) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def iso(value):
    """ISO 8601 in UTC ('2026-01-31T12:00:00.250000+00:00'), None for None."""
    if value is None:
        return None
    return parse_time(value).isoformat()


def label_time(value):
    """A compact UTC form for tags: 2026-01-31T12:00:00Z, with microseconds only when there are some."""
    value = parse_time(value)
    return value.strftime("%Y-%m-%dT%H:%M:%S.%fZ" if value.microsecond else "%Y-%m-%dT%H:%M:%SZ")


def seconds_between(earlier, later):
    """later - earlier in seconds (float, rounded to milliseconds)."""
    return round((parse_time(later) - parse_time(earlier)).total_seconds(), 3)


def same_id(first, second):
    """RDS identifiers are case-insensitive (RDS stores them in lower case)."""
    return (first or "").lower() == (second or "").lower()


# ------------------------------------------------------------------------------------------------------ window


def restore_window(instance, automated_backups=None, now=None):
    """The point-in-time restore window of an instance: {earliest, latest, source} (earliest/latest ISO strings).

    automated_backups: the instance's DBInstanceAutomatedBackups entries, or None when the API gave none. An
    entry with a RestoreWindow (EarliestTime and LatestTime) is used as is (source "automated_backups"). Otherwise
    the window is computed from the instance (source "instance"): earliest = the later of InstanceCreateTime and
    now - BackupRetentionPeriod days, latest = LatestRestorableTime.
    """
    name = instance.get("DBInstanceIdentifier", "?")
    for backup in automated_backups or []:
        window = backup.get("RestoreWindow") or {}
        if same_id(backup.get("DBInstanceIdentifier"), name) and window.get("EarliestTime") and window.get("LatestTime"):
            return {"earliest": iso(window["EarliestTime"]), "latest": iso(window["LatestTime"]), "source": "automated_backups"}

    now = parse_time(now or datetime.datetime.now(UTC))
    retention = instance.get("BackupRetentionPeriod") or 0
    if not retention:
        raise BackupError(
            "RDS instance %s keeps no automated backups (BackupRetentionPeriod 0), so it has no point-in-time restore "
            "window: restore from a snapshot instead, or enable automated backups" % name)
    if not instance.get("LatestRestorableTime"):
        raise BackupError(
            "RDS instance %s reports no LatestRestorableTime (status %s; a read replica or an instance whose first "
            "backup has not finished has none): restore from a snapshot, or retry later"
            % (name, instance.get("DBInstanceStatus", "unknown")))
    latest = parse_time(instance["LatestRestorableTime"])
    earliest = now - datetime.timedelta(days=retention)
    if instance.get("InstanceCreateTime"):
        earliest = max(earliest, parse_time(instance["InstanceCreateTime"]))
    if earliest > latest:
        earliest = latest
    return {"earliest": earliest.isoformat(), "latest": latest.isoformat(), "source": "instance"}


def cluster_restore_window(cluster, now=None):
    """The point-in-time restore window of an Aurora DB cluster: {earliest, latest, source: "cluster"} from its
    EarliestRestorableTime (no earlier than now - BackupRetentionPeriod days) and LatestRestorableTime. A secondary
    cluster of a global database reports none: restore from its primary."""
    name = cluster.get("DBClusterIdentifier", "?")
    if not cluster.get("EarliestRestorableTime") or not cluster.get("LatestRestorableTime"):
        raise BackupError(
            "Aurora DB cluster %s reports no restorable window (status %s; a secondary cluster of a global database has "
            "none): restore from a cluster snapshot, or from the primary cluster" % (name, cluster.get("Status", "unknown")))
    now = parse_time(now or datetime.datetime.now(UTC))
    latest = parse_time(cluster["LatestRestorableTime"])
    earliest = parse_time(cluster["EarliestRestorableTime"])
    if cluster.get("BackupRetentionPeriod"):
        earliest = max(earliest, now - datetime.timedelta(days=cluster["BackupRetentionPeriod"]))
    return {"earliest": min(earliest, latest).isoformat(), "latest": latest.isoformat(), "source": "cluster"}


def check_in_window(when, window, instance_id):
    """when (a datetime or ISO string) as a UTC datetime, or a BackupError naming both bounds."""
    when = parse_time(when)
    earliest, latest = parse_time(window["earliest"]), parse_time(window["latest"])
    if when < earliest or when > latest:
        side = "before the earliest" if when < earliest else "after the latest"
        raise BackupError(
            "restore_time %s is outside the restorable window of %s (%s restorable time): earliest %s, latest %s. "
            "Pick a time within the window, or use the latest restorable time"
            % (when.isoformat(), instance_id, side, earliest.isoformat(), latest.isoformat()))
    return when


# ----------------------------------------------------------------------------------------------- restore point


def snapshot_data_time(snapshot):
    """When the snapshot's data is from: OriginalSnapshotCreateTime (kept by copies), else SnapshotCreateTime."""
    return snapshot.get("OriginalSnapshotCreateTime") or snapshot.get("SnapshotCreateTime")


def latest_snapshot(snapshots, types=(MANUAL, AUTOMATED)):
    """The available snapshot of one of types whose data is newest, or None."""
    wanted = set(types)
    usable = [s for s in snapshots if s.get("SnapshotType") in wanted and s.get("Status") == AVAILABLE
              and snapshot_data_time(s)]
    if not usable:
        return None
    return max(usable, key=lambda s: (parse_time(snapshot_data_time(s)), _snapshot_id(s)))


def _snapshot_id(snapshot):
    return snapshot.get("DBSnapshotIdentifier") or snapshot.get("DBClusterSnapshotIdentifier") or ""


def choose_restore_point(mode, instance, window=None, snapshots=None, restore_time=None,
                         snapshot_types=(MANUAL, AUTOMATED), now=None):
    """The restore point of mode: {kind, snapshot_id, snapshot_arn, time, source_instance}; time is the data's.

    mode latest_snapshot needs snapshots (the instance's, any type); latest_restorable_time and time need window;
    time needs restore_time, which must lie in window. instance may be an Aurora DBClusters entry (snapshots then
    its cluster snapshots): source_instance is then the cluster's id, and the point says `source_cluster: true`.
    """
    cluster = "DBClusterIdentifier" in instance and "DBInstanceIdentifier" not in instance
    source = instance.get("DBClusterIdentifier") if cluster else instance.get("DBInstanceIdentifier")
    point = _choose_point(mode, source, cluster, window, snapshots, restore_time, snapshot_types)
    if cluster:
        point["source_cluster"] = True
    return point


def _choose_point(mode, source, cluster, window, snapshots, restore_time, snapshot_types):
    if mode == MODE_LATEST_SNAPSHOT:
        chosen = latest_snapshot(snapshots or [], snapshot_types)
        if chosen is None:
            raise BackupError("RDS %s %s has no available %s of type %s: take one (rds_snapshot) or restore to a point "
                              "in time" % ("cluster" if cluster else "instance", source,
                                           "cluster snapshot" if cluster else "snapshot", " or ".join(snapshot_types)))
        return {"kind": SNAPSHOT, "snapshot_id": _snapshot_id(chosen),
                "snapshot_arn": chosen.get("DBClusterSnapshotArn" if cluster else "DBSnapshotArn"),
                "snapshot_type": chosen.get("SnapshotType"), "time": iso(snapshot_data_time(chosen)), "source_instance": source}
    if mode == MODE_LATEST_RESTORABLE_TIME:
        return {"kind": TIME, "snapshot_id": None, "snapshot_arn": None, "snapshot_type": None,
                "time": window["latest"], "source_instance": source}
    if mode == MODE_TIME:
        if restore_time in (None, ""):
            raise BackupError("mode time needs restore_time (ISO 8601, for example 2026-01-31T12:00:00Z)")
        when = check_in_window(restore_time, window, source)
        return {"kind": TIME, "snapshot_id": None, "snapshot_arn": None, "snapshot_type": None,
                "time": when.isoformat(), "source_instance": source}
    raise BackupError("unknown mode %r: use latest_snapshot, latest_restorable_time or time" % mode)


# --------------------------------------------------------------------------------------------------- summaries


def tags_to_dict(tag_list):
    """{Key: Value} from RDS's [{Key, Value}]."""
    return dict((tag["Key"], tag.get("Value", "")) for tag in tag_list or [])


def dict_to_tags(tags):
    """RDS's [{Key, Value}] (sorted by key) from a dict; values become strings (None becomes '')."""
    return [{"Key": str(key), "Value": "" if value is None else str(value)} for key, value in sorted((tags or {}).items())]


def normalise_tags(tags):
    """A user's tags dict with string values, as RDS will store them."""
    return tags_to_dict(dict_to_tags(tags))


def tags_to_add(current, wanted):
    """The part of wanted that current lacks or holds with another value (tags are only added, never purged)."""
    return dict((key, value) for key, value in normalise_tags(wanted).items() if current.get(key) != value)


def owned(snapshot):
    """Whether a DBSnapshots/DBClusterSnapshots entry was taken (or copied) by this collection: a manual snapshot
    carrying managed-by=cloudops.runbooks."""
    return (snapshot.get("SnapshotType") == MANUAL
            and tags_to_dict(snapshot.get("TagList")).get(OWNER_TAG_KEY) == OWNER_TAG_VALUE)


def not_owned_reason(snapshot):
    """Why a snapshot is not this collection's, in words (None when it is)."""
    if owned(snapshot):
        return None
    kind = snapshot.get("SnapshotType")
    if kind != MANUAL:
        return "it is an %s snapshot" % kind if kind and kind[0] in "aeiou" else "it is a %s snapshot" % kind
    found = tags_to_dict(snapshot.get("TagList")).get(OWNER_TAG_KEY)
    if found is None:
        return "it has no %s=%s tag (taken by hand or by another tool)" % (OWNER_TAG_KEY, OWNER_TAG_VALUE)
    return "its %s tag is %s, not %s" % (OWNER_TAG_KEY, found, OWNER_TAG_VALUE)


def with_owner_tags(tags):
    """A user's tags plus managed-by=cloudops.runbooks; refuses another value for managed-by."""
    tags = normalise_tags(tags)
    if tags.get(OWNER_TAG_KEY, OWNER_TAG_VALUE) != OWNER_TAG_VALUE:
        raise BackupError("tags set %s=%s: the module tags what it creates %s=%s (retention and resumed runs rely on it); "
                          "drop that tag" % (OWNER_TAG_KEY, tags[OWNER_TAG_KEY], OWNER_TAG_KEY, OWNER_TAG_VALUE))
    return dict(tags, **OWNER_TAGS)


def snapshot_summary(snapshot):
    """What the snapshot modules return for one DBSnapshots or DBClusterSnapshots entry."""
    cluster = "DBClusterSnapshotIdentifier" in snapshot
    return {
        "id": snapshot.get("DBClusterSnapshotIdentifier") if cluster else snapshot.get("DBSnapshotIdentifier"),
        "arn": snapshot.get("DBClusterSnapshotArn") if cluster else snapshot.get("DBSnapshotArn"),
        "status": snapshot.get("Status"),
        "kind": "cluster" if cluster else "instance",
        "source": snapshot_source(snapshot),
        "type": snapshot.get("SnapshotType"),
        "created": iso(snapshot.get("SnapshotCreateTime")),
        "data_time": iso(snapshot_data_time(snapshot)),
        "engine": snapshot.get("Engine"),
        "engine_version": snapshot.get("EngineVersion"),
        "allocated_storage": snapshot.get("AllocatedStorage"),
        "encrypted": bool(snapshot.get("StorageEncrypted") if cluster else snapshot.get("Encrypted")),
        "kms_key_id": snapshot.get("KmsKeyId"),
        "source_snapshot": snapshot.get("SourceDBClusterSnapshotArn") if cluster else snapshot.get("SourceDBSnapshotIdentifier"),
        "tags": tags_to_dict(snapshot.get("TagList")),
    }


def snapshot_source(snapshot):
    """The instance or cluster a snapshot was taken of."""
    if "DBClusterSnapshotIdentifier" in snapshot:
        return snapshot.get("DBClusterIdentifier")
    return snapshot.get("DBInstanceIdentifier")


def cluster_summary(cluster):
    """What rds_restore returns for a restored Aurora DBClusters entry (under `cluster`)."""
    return {
        "id": cluster.get("DBClusterIdentifier"),
        "arn": cluster.get("DBClusterArn"),
        "status": cluster.get("Status"),
        "endpoint": {"address": cluster.get("Endpoint"), "port": cluster.get("Port")},
        "reader_endpoint": cluster.get("ReaderEndpoint"),
        "engine": cluster.get("Engine"),
        "engine_version": cluster.get("EngineVersion"),
        "db_name": cluster.get("DatabaseName"),
        "members": sorted(m.get("DBInstanceIdentifier") for m in cluster.get("DBClusterMembers") or []),
        "deletion_protection": cluster.get("DeletionProtection"),
        "created": iso(cluster.get("ClusterCreateTime")),
        "tags": tags_to_dict(cluster.get("TagList")),
    }


def instance_summary(instance):
    """What rds_restore returns for one DBInstances entry."""
    endpoint = instance.get("Endpoint") or {}
    return {
        "id": instance.get("DBInstanceIdentifier"),
        "arn": instance.get("DBInstanceArn"),
        "status": instance.get("DBInstanceStatus"),
        "endpoint": {"address": endpoint.get("Address"), "port": endpoint.get("Port")},
        "engine": instance.get("Engine"),
        "engine_version": instance.get("EngineVersion"),
        "instance_class": instance.get("DBInstanceClass"),
        "db_name": instance.get("DBName"),
        "multi_az": instance.get("MultiAZ"),
        "deletion_protection": instance.get("DeletionProtection"),
        "created": iso(instance.get("InstanceCreateTime")),
        "tags": tags_to_dict(instance.get("TagList")),
    }


# ------------------------------------------------------------------------------------------------------ restore


def restored_from_label(snapshot_id=None, source_instance_id=None, restore_time=None, use_latest=False):
    """The cloudops:restored-from tag value: the snapshot id, or '<source>@<UTC time>' / '<source>@latest'."""
    if snapshot_id:
        return snapshot_id
    if use_latest:
        return "%s@%s" % (source_instance_id, LATEST)
    return "%s@%s" % (source_instance_id, label_time(restore_time))


def restored_from_matches(instance, label):
    """Whether an existing instance carries the restored-from tag of this request (ids compared case-insensitively)."""
    found = tags_to_dict(instance.get("TagList")).get(RESTORED_FROM_TAG)
    return found is not None and found.lower() == label.lower()


def wait_outcome(status, wanted, failed):
    """'done' when status is wanted, 'failed' when it is one of failed (waiting cannot help), else 'waiting'."""
    if status == wanted:
        return "done"
    if status in failed:
        return "failed"
    return "waiting"


# ---------------------------------------------------------------------------------------------------- retention


def _age_days(created, now):
    return (now - parse_time(created)).total_seconds() / 86400.0


def retention_plan(snapshots, keep_days=None, keep_last=None, tag_filters=None, now=None):
    """Which snapshots a retention policy deletes: (delete, keep), each a list of {id, created, reason}.

    snapshots: DBSnapshots or DBClusterSnapshots entries of one source, any type.
    Only manual snapshots taken by this collection (owned: managed-by=cloudops.runbooks) that also carry every tag of
    tag_filters and are available are candidates; automated (and AWS Backup, shared, public) snapshots and snapshots
    taken by hand are never touched, whatever tag_filters say; a snapshot being created, copied or deleted is skipped.
    The age of a snapshot is the age of its data (snapshot_data_time, kept by copies).
    keep_last K keeps the newest K candidates; keep_days N keeps the candidates younger than N days. With both, a
    candidate goes only when neither keeps it (the newest K stay even when old). At least one must be given.
    """
    if keep_days is None and keep_last is None:
        raise BackupError("give keep_days, keep_last or both: without either nothing says what to keep")
    if keep_days is not None and keep_days < 0:
        raise BackupError("keep_days must be 0 or more days")
    if keep_last is not None and keep_last < 1:
        raise BackupError("keep_last must be 1 or more; leave it out to prune by age (keep_days) alone")
    now = parse_time(now or datetime.datetime.now(UTC))
    wanted_tags = normalise_tags(tag_filters)
    delete, keep, candidates = [], [], []

    def entry(snapshot, reason):
        summary = snapshot_summary(snapshot)
        return {"id": summary["id"], "created": summary["data_time"], "reason": reason}

    for snapshot in snapshots:
        kind = snapshot.get("SnapshotType")
        tags = tags_to_dict(snapshot.get("TagList"))
        missing = dict((k, v) for k, v in wanted_tags.items() if tags.get(k) != v)
        if kind != MANUAL:
            keep.append(entry(snapshot, "%s snapshot: retention never touches snapshots that are not manual" % kind))
        elif not owned(snapshot):
            keep.append(entry(snapshot, "not taken by this runbook (%s): retention never deletes it"
                              % not_owned_reason(snapshot)))
        elif missing:
            keep.append(entry(snapshot, "does not carry the tag_filters tags %s" % ", ".join(
                "%s=%s" % item for item in sorted(missing.items()))))
        elif snapshot.get("Status") != AVAILABLE:
            keep.append(entry(snapshot, "status %s: in use, skipped" % snapshot.get("Status")))
        elif not snapshot_data_time(snapshot):
            keep.append(entry(snapshot, "no creation time yet: skipped"))
        else:
            candidates.append(snapshot)

    candidates.sort(key=lambda s: (parse_time(snapshot_data_time(s)), snapshot_summary(s)["id"]), reverse=True)
    for rank, snapshot in enumerate(candidates, 1):
        age = _age_days(snapshot_data_time(snapshot), now)
        if keep_last is not None and rank <= keep_last:
            keep.append(entry(snapshot, "among the newest %d (#%d)" % (keep_last, rank)))
        elif keep_days is not None and age <= keep_days:
            keep.append(entry(snapshot, "%.1f days old, not older than keep_days %d" % (age, keep_days)))
        else:
            reasons = []
            if keep_days is not None:
                reasons.append("%.1f days old, older than keep_days %d" % (age, keep_days))
            if keep_last is not None:
                reasons.append("beyond the newest %d (#%d)" % (keep_last, rank))
            delete.append(entry(snapshot, " and ".join(reasons)))

    def newest_first(items):
        return sorted(items, key=lambda item: (item["created"] or "", item["id"] or ""), reverse=True)

    return newest_first(delete), newest_first(keep)


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def restore_point_step_summary(point, gap_seconds):
    """step_summary of rds_restore_point: the restore point and how far back it is (a gate with no pass/fail)."""
    point = point if isinstance(point, dict) else {}
    numbers = {"gap_seconds": gap_seconds}
    numbers.update(steps.numbers_of(point, ("kind", "time")))
    detail = "restore point %s at %s, %s s back" % (point.get("kind"), point.get("time"), gap_seconds)
    return steps.summary(detail, {"gap_seconds": gap_seconds}, [steps.gate("restore point", None, point.get("kind"), numbers)])
