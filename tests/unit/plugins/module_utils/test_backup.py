# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)


def at(days=0, hours=0, minutes=0, seconds=0):
    """NOW minus the given age."""
    return NOW - datetime.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds)


INSTANCE = {
    "DBInstanceIdentifier": "shop-db",
    "DBInstanceStatus": "available",
    "BackupRetentionPeriod": 7,
    "InstanceCreateTime": at(days=30),
    "LatestRestorableTime": at(minutes=5),
}


# ----------------------------------------------------------------------------------------------------------- time


@pytest.mark.parametrize("text, expected", [
    ("2026-01-31T12:00:00Z", NOW),
    ("2026-01-31T12:00:00", NOW),                      # no offset: UTC
    ("2026-01-31 14:00:00+02:00", NOW),
    ("2026-01-31T12:00:00.250000z", NOW.replace(microsecond=250000)),
])
def test_parse_time_accepts_iso_8601_and_returns_utc(text, expected):
    parsed = backup.parse_time(text)
    assert parsed == expected and parsed.tzinfo == UTC


def test_parse_time_refuses_garbage_with_an_example():
    with pytest.raises(backup.BackupError, match=r"restore_time 'yesterday' is not an ISO 8601 time: write it like"):
        backup.parse_time("yesterday")


def test_label_time_is_compact_utc():
    assert backup.label_time("2026-01-31T14:00:00+02:00") == "2026-01-31T12:00:00Z"
    assert backup.label_time(NOW.replace(microsecond=5)) == "2026-01-31T12:00:00.000005Z"


# --------------------------------------------------------------------------------------------------------- window


def test_window_is_computed_from_the_instance_when_the_api_has_none():
    window = backup.restore_window(INSTANCE, None, NOW)
    assert window == {"earliest": at(days=7).isoformat(), "latest": at(minutes=5).isoformat(), "source": "instance"}


def test_window_of_a_young_instance_starts_at_its_creation():
    young = dict(INSTANCE, InstanceCreateTime=at(hours=2))
    assert backup.restore_window(young, [], NOW)["earliest"] == at(hours=2).isoformat()


def test_window_prefers_the_automated_backups_restore_window():
    backups = [
        {"DBInstanceIdentifier": "other-db", "RestoreWindow": {"EarliestTime": at(days=1), "LatestTime": NOW}},
        {"DBInstanceIdentifier": "SHOP-DB", "Status": "active",
         "RestoreWindow": {"EarliestTime": at(days=6, hours=23), "LatestTime": at(minutes=4)}},
    ]
    assert backup.restore_window(INSTANCE, backups, NOW) == {
        "earliest": at(days=6, hours=23).isoformat(), "latest": at(minutes=4).isoformat(), "source": "automated_backups"}


def test_an_automated_backup_without_restore_window_falls_back_to_the_instance():
    # moto 5.2.5 answers DescribeDBInstanceAutomatedBackups with only DBInstanceIdentifier and Status.
    backups = [{"DBInstanceIdentifier": "shop-db", "Status": "active"}]
    assert backup.restore_window(INSTANCE, backups, NOW)["source"] == "instance"


def test_no_window_without_automated_backups():
    with pytest.raises(backup.BackupError, match=r"shop-db keeps no automated backups \(BackupRetentionPeriod 0\).*restore from a snapshot"):
        backup.restore_window(dict(INSTANCE, BackupRetentionPeriod=0), None, NOW)


def test_no_window_without_latest_restorable_time():
    replica = dict(INSTANCE, LatestRestorableTime=None)
    with pytest.raises(backup.BackupError, match="reports no LatestRestorableTime"):
        backup.restore_window(replica, None, NOW)


@pytest.mark.parametrize("when, side", [(at(days=8), "before the earliest"), (at(minutes=1), "after the latest")])
def test_a_time_outside_the_window_names_both_bounds(when, side):
    window = backup.restore_window(INSTANCE, None, NOW)
    with pytest.raises(backup.BackupError) as caught:
        backup.check_in_window(when.isoformat(), window, "shop-db")
    message = str(caught.value)
    assert "outside the restorable window of shop-db (%s restorable time)" % side in message
    assert "earliest %s, latest %s" % (at(days=7).isoformat(), at(minutes=5).isoformat()) in message


def test_the_bounds_themselves_are_inside():
    window = backup.restore_window(INSTANCE, None, NOW)
    assert backup.check_in_window(window["earliest"], window, "shop-db") == at(days=7)
    assert backup.check_in_window(window["latest"], window, "shop-db") == at(minutes=5)


# -------------------------------------------------------------------------------------------------- restore point


def snap(name, age_hours, kind="manual", status="available", original=None, tags=None):
    return {"DBSnapshotIdentifier": name, "DBSnapshotArn": "arn:aws:rds:us-east-1:123456789012:snapshot:" + name,
            "DBInstanceIdentifier": "shop-db", "SnapshotType": kind, "Status": status,
            "SnapshotCreateTime": at(hours=age_hours), "OriginalSnapshotCreateTime": original or at(hours=age_hours),
            "TagList": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}


SNAPSHOTS = [
    snap("nightly-1", 30),
    snap("rds:shop-db-2026-01-31-02-00", 10, kind="automated"),
    snap("nightly-2", 6),
    snap("being-made", 1, status="creating"),
]


def test_latest_snapshot_is_the_newest_available_one_of_the_types():
    point = backup.choose_restore_point("latest_snapshot", INSTANCE, None, SNAPSHOTS, now=NOW)
    assert point == {"kind": "snapshot", "snapshot_id": "nightly-2", "snapshot_type": "manual",
                     "snapshot_arn": "arn:aws:rds:us-east-1:123456789012:snapshot:nightly-2",
                     "time": at(hours=6).isoformat(), "source_instance": "shop-db"}
    automated = backup.choose_restore_point("latest_snapshot", INSTANCE, None, SNAPSHOTS, snapshot_types=["automated"])
    assert automated["snapshot_id"] == "rds:shop-db-2026-01-31-02-00"


def test_a_copy_counts_from_its_source_snapshot_time():
    copy = snap("old-data-copied-now", 0, original=at(hours=40))
    assert backup.choose_restore_point("latest_snapshot", INSTANCE, None, SNAPSHOTS[:1] + [copy])["snapshot_id"] == "nightly-1"


def test_no_snapshot_is_a_clear_error():
    with pytest.raises(backup.BackupError, match="shop-db has no available snapshot of type manual: take one"):
        backup.choose_restore_point("latest_snapshot", INSTANCE, None, [SNAPSHOTS[1], SNAPSHOTS[3]], snapshot_types=["manual"])


def test_time_points():
    window = backup.restore_window(INSTANCE, None, NOW)
    latest = backup.choose_restore_point("latest_restorable_time", INSTANCE, window)
    assert (latest["kind"], latest["time"], latest["snapshot_id"]) == ("time", at(minutes=5).isoformat(), None)
    chosen = backup.choose_restore_point("time", INSTANCE, window, restore_time="2026-01-31T10:00:00Z")
    assert chosen["time"] == "2026-01-31T10:00:00+00:00"
    with pytest.raises(backup.BackupError, match="outside the restorable window"):
        backup.choose_restore_point("time", INSTANCE, window, restore_time="2026-01-01T00:00:00Z")
    with pytest.raises(backup.BackupError, match="mode time needs restore_time"):
        backup.choose_restore_point("time", INSTANCE, window)


def test_gap_is_now_minus_the_data_time():
    assert backup.seconds_between(at(minutes=5).isoformat(), NOW) == 300.0


# ----------------------------------------------------------------------------------------------------- summaries


def test_snapshot_summary_of_an_instance_and_a_cluster_snapshot():
    summary = backup.snapshot_summary(dict(snap("nightly-2", 6, tags={"reason": "nightly"}), Encrypted=True, Engine="postgres"))
    assert (summary["id"], summary["kind"], summary["source"], summary["type"]) == ("nightly-2", "instance", "shop-db", "manual")
    assert summary["encrypted"] is True and summary["tags"] == {"reason": "nightly"}
    cluster = backup.snapshot_summary({"DBClusterSnapshotIdentifier": "orders-1", "DBClusterIdentifier": "orders",
                                       "DBClusterSnapshotArn": "arn:c", "SnapshotType": "manual", "StorageEncrypted": True,
                                       "SnapshotCreateTime": NOW})
    assert (cluster["id"], cluster["kind"], cluster["source"], cluster["arn"], cluster["encrypted"]) == (
        "orders-1", "cluster", "orders", "arn:c", True)
    assert cluster["data_time"] == NOW.isoformat()


def test_tags_are_only_added_never_purged():
    assert backup.tags_to_add({"a": "1", "b": "2"}, {"a": "1", "b": 3, "c": None}) == {"b": "3", "c": ""}
    assert backup.tags_to_add({"a": "1", "extra": "x"}, {"a": "1"}) == {}
    assert backup.dict_to_tags({"b": 1, "a": "x"}) == [{"Key": "a", "Value": "x"}, {"Key": "b", "Value": "1"}]


def test_restored_from_labels_and_matching():
    assert backup.restored_from_label(snapshot_id="Nightly-2") == "Nightly-2"
    assert backup.restored_from_label(source_instance_id="shop-db", restore_time="2026-01-31T13:00:00+01:00") == "shop-db@2026-01-31T12:00:00Z"
    assert backup.restored_from_label(source_instance_id="shop-db", use_latest=True) == "shop-db@latest"
    restored = {"TagList": [{"Key": "cloudops:restored-from", "Value": "nightly-2"}]}
    assert backup.restored_from_matches(restored, "Nightly-2")       # RDS ids are case-insensitive
    assert not backup.restored_from_matches(restored, "nightly-1")
    assert not backup.restored_from_matches({"TagList": []}, "nightly-2")


def test_wait_outcome():
    assert backup.wait_outcome("available", "available", backup.INSTANCE_FAILED) == "done"
    assert backup.wait_outcome("incompatible-restore", "available", backup.INSTANCE_FAILED) == "failed"
    assert backup.wait_outcome("creating", "available", backup.INSTANCE_FAILED) == "waiting"


# ------------------------------------------------------------------------------------------------------ retention

MANAGED = {"managed-by": "cloudops.runbooks"}


def estate():
    return [
        snap("daily-%02d" % day, day * 24 + 1, tags=MANAGED) for day in range(6)        # 1 h, 25 h, ... 121 h old
    ] + [
        snap("by-hand", 200, tags={"reason": "before upgrade"}),
        snap("rds:shop-db-auto", 300, kind="automated", tags=MANAGED),
        snap("copying-now", 400, status="copying", tags=MANAGED),
        snap("awsbackup:job-1", 500, kind="awsbackup", tags=MANAGED),
    ]


def ids(items):
    return [item["id"] for item in items]


def reasons(items):
    return dict((item["id"], item["reason"]) for item in items)


def test_keep_last_deletes_beyond_the_newest_k_and_nothing_else():
    delete, keep = backup.retention_plan(estate(), keep_last=2, tag_filters=MANAGED, now=NOW)
    assert ids(delete) == ["daily-02", "daily-03", "daily-04", "daily-05"]
    assert reasons(delete)["daily-05"] == "beyond the newest 2 (#6)"
    why = reasons(keep)
    assert why["daily-00"] == "among the newest 2 (#1)"
    assert why["by-hand"] == ("not taken by this runbook (it has no managed-by=cloudops.runbooks tag (taken by hand or by "
                              "another tool)): retention never deletes it")
    assert why["rds:shop-db-auto"].startswith("automated snapshot: retention never touches")
    assert why["awsbackup:job-1"].startswith("awsbackup snapshot")
    assert why["copying-now"] == "status copying: in use, skipped"


def test_keep_days_deletes_what_is_older():
    delete, keep = backup.retention_plan(estate(), keep_days=3, tag_filters=MANAGED, now=NOW)
    assert ids(delete) == ["daily-03", "daily-04", "daily-05"]
    assert reasons(delete)["daily-03"] == "3.0 days old, older than keep_days 3"
    assert reasons(keep)["daily-02"] == "2.0 days old, not older than keep_days 3"


def test_with_both_the_newest_k_stay_even_when_old():
    # Backups stopped a week ago: keep_days alone would delete them all, keep_last keeps the newest 2.
    stale = [snap("old-%d" % n, 24 * (8 + n), tags=MANAGED) for n in range(4)]
    delete, keep = backup.retention_plan(stale, keep_days=7, keep_last=2, tag_filters=MANAGED, now=NOW)
    assert ids(delete) == ["old-2", "old-3"]
    assert reasons(delete)["old-3"] == "11.0 days old, older than keep_days 7 and beyond the newest 2 (#4)"
    assert ids(keep) == ["old-0", "old-1"]


def test_without_tag_filters_every_snapshot_the_runbook_took_is_a_candidate_and_no_other():
    delete, keep = backup.retention_plan(estate(), keep_last=5, now=NOW)
    assert ids(delete) == ["daily-05"] and "by-hand" in ids(keep)


def test_a_snapshot_taken_by_hand_is_never_deleted_whatever_the_tag_filters():
    # Issue 14 defect 1: retention pruned a hand-made snapshot once it carried the filter's tags. Ownership is the
    # managed-by=cloudops.runbooks tag the snapshot modules put on what they create, required on top of tag_filters.
    by_hand = [snap("hand-made-before-migration", 500, tags={"reason": "before migration"}),
               snap("theirs", 400, tags={"managed-by": "terraform", "reason": "before migration"})]
    for filters in ({}, {"reason": "before migration"}):
        delete, keep = backup.retention_plan(by_hand, keep_last=1, keep_days=1, tag_filters=filters, now=NOW)
        assert delete == [] and all(item["reason"].startswith("not taken by this runbook") for item in keep)


def test_ownership():
    assert backup.owned(snap("a", 1, tags=MANAGED))
    assert not backup.owned(snap("a", 1)) and not backup.owned(snap("rds:a", 1, kind="automated", tags=MANAGED))
    assert backup.with_owner_tags({"reason": "x"}) == dict(MANAGED, reason="x")
    assert backup.with_owner_tags(MANAGED) == MANAGED
    with pytest.raises(backup.BackupError, match="tags set managed-by=other"):
        backup.with_owner_tags({"managed-by": "other"})


@pytest.mark.parametrize("kwargs, message", [
    ({}, "give keep_days, keep_last or both"),
    ({"keep_last": 0}, "keep_last must be 1 or more"),
    ({"keep_days": -1}, "keep_days must be 0 or more"),
])
def test_retention_refuses_policies_that_say_nothing_or_delete_everything(kwargs, message):
    with pytest.raises(backup.BackupError, match=message):
        backup.retention_plan(estate(), now=NOW, **kwargs)
