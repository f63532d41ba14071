# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Backup and restore test on an Aurora estate (db_shape AURORA_GLOBAL): the plans, refusals and reports of
module_utils/backup_runbook.py and the cluster restore window / restore point of module_utils/backup.py."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import backup_runbook as br

STARTED = "2026-01-31T12:00:00.250000Z"
NOW = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)
AURORA = {"engine": "aurora-postgresql", "global_cluster_id": "shop-global",
          "primary": {"region": "us-east-1", "cluster_id": "shop-aurora", "instance_ids": ["shop-aurora-1"]},
          "secondary": {"region": "us-west-2", "cluster_id": "shop-aurora-dr"}}
REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}
CHECK = {"name": "orders", "row_count": {"table": "orders", "min": 1}}
SETTINGS = {
    "tags": {"managed-by": "cloudops.runbooks"}, "copy": {"kms_key_id": "alias/aws/rds"},
    "retention": {"tag_filters": {"managed-by": "cloudops.runbooks"}, "primary": {"keep_last": 3}, "dr": {"keep_last": 2}},
    "restore": {"instance_prefix": "shop-aurora-restore", "instance_class": "db.r6g.large", "checks": [CHECK]},
}


def backup_plan(settings=None, rds=None, request=None):
    return br.backup_plan(SETTINGS if settings is None else settings, AURORA if rds is None else rds, REGIONS,
                          request or {}, STARTED, local_user="alice")


def restore_plan(request=None, action="restore_test"):
    return br.restore_plan(SETTINGS, action, AURORA, {}, "sandbox-aurora", request or {}, STARTED, local_user="alice")


# -- backup.yml ---------------------------------------------------------------------------------------------------------
def test_the_backup_of_an_aurora_estate_is_a_cluster_snapshot_of_the_primary_cluster_copied_to_dr():
    plan = backup_plan()
    assert (plan["kind"], plan["cluster_id"], plan["instance_id"], plan["region"]) == ("cluster", "shop-aurora", "", "us-east-1")
    assert plan["snapshot_id"] == "shop-aurora-20260131-120000" and plan["copy_region"] == "us-west-2"
    assert [t["region"] for t in plan["retention_targets"]] == ["us-east-1", "us-west-2"] and plan["problems"] == []


def test_cloudops_backup_cluster_id_overrides_the_primary_cluster_and_a_missing_one_is_refused():
    assert backup_plan(dict(SETTINGS, cluster_id="orders-aurora"))["cluster_id"] == "orders-aurora"
    rds = dict(AURORA, primary={"region": "us-east-1"})
    assert any("cluster_id" in p for p in backup_plan(rds=rds)["problems"])


def test_an_rds_estate_keeps_its_instance_plan():
    plan = backup_plan(rds={"primary": {"instance_id": "shop-db", "region": "us-east-1"}})
    assert (plan["kind"], plan["instance_id"], plan["cluster_id"]) == ("instance", "shop-db", "")


def test_the_aurora_backup_report_names_the_cluster():
    plan = backup_plan()
    snap = {"snapshot": {"id": plan["snapshot_id"], "changed": True, "status": "available", "region": "us-east-1"}, "copy": None}
    report = br.backup_report(plan, "sandbox-aurora", False, snap, [], STARTED, STARTED)
    assert report["cluster"] == {"id": "shop-aurora", "region": "us-east-1"} and "instance" not in report
    assert br.backup_lines(report)[0].startswith("BACKUP of cluster shop-aurora (sandbox-aurora): backed_up")


@pytest.mark.parametrize("described, copy_region, kms, expected", [
    (None, "us-west-2", "alias/aws/rds", "No Aurora DB cluster shop-aurora in us-east-1"),
    ({"status": "backtracking"}, "us-west-2", "alias/aws/rds", "Cluster shop-aurora is backtracking"),
    ({"status": "available", "storage_encrypted": True}, "us-west-2", "", "Cluster shop-aurora is encrypted"),
    ({"status": "available"}, "us-east-1", "", "the cluster region us-east-1"),
])
def test_the_cluster_snapshot_refusals(described, copy_region, kms, expected):
    problems = br.snapshot_problems(described, "", "us-east-1", "shop-aurora-1", copy_region=copy_region, copy_kms_key_id=kms,
                                    cluster_id="shop-aurora")
    assert any(expected in p for p in problems), problems


def test_an_available_cluster_with_a_key_for_its_copy_passes():
    assert br.snapshot_problems({"status": "available", "storage_encrypted": True}, "", "us-east-1", "s-1", copy_region="us-west-2",
                                copy_kms_key_id="alias/aws/rds", cluster_id="shop-aurora") == []


# -- restore_test.yml -----------------------------------------------------------------------------------------------------
def test_the_restore_test_of_an_aurora_estate_restores_the_primary_cluster_into_a_new_cluster_and_one_instance():
    plan = restore_plan()
    assert (plan["kind"], plan["source_cluster_id"], plan["source_instance_id"]) == ("cluster", "shop-aurora", "shop-aurora")
    assert plan["cluster_id"] == "shop-aurora-restore-20260131-120000"
    assert plan["instance_id"] == "shop-aurora-restore-20260131-120000-1" and plan["problems"] == []


def test_restore_instance_id_names_the_cluster_and_the_cleanup_deletes_the_cluster():
    assert restore_plan({"restore_instance_id": "shop-aurora-restore-x"})["cluster_id"] == "shop-aurora-restore-x"
    cleanup = restore_plan({"restore_cleanup_instance": "shop-aurora-restore-x"}, action="cleanup")
    assert cleanup["cluster_id"] == "shop-aurora-restore-x"


def test_the_restore_clusters_interrupted_runs_left_behind_are_found_by_prefix_and_keep_tag():
    plan = restore_plan()
    clusters = [{"db_cluster_identifier": "shop-aurora-restore-20260130-010000", "tags": {"cloudops:keep": "false"}},
                {"db_cluster_identifier": "shop-aurora-restore-20260130-020000", "tags": {"cloudops:keep": "true"}},
                {"db_cluster_identifier": plan["cluster_id"], "tags": {"cloudops:keep": "false"}},
                {"db_cluster_identifier": "shop-aurora", "tags": {}}]
    assert br.left_behind(clusters, plan) == ["shop-aurora-restore-20260130-010000"]


def test_the_resume_steps_and_the_report_name_the_restored_cluster():
    plan = restore_plan()
    steps = br.resume_steps(plan, {"kind": "time", "time": "2026-01-31T11:59:00+00:00"})
    assert "restore_cleanup_instance=%s`" % plan["cluster_id"] in steps[0] and "that cluster" in steps[1]
    restore = {"instance": {"id": plan["instance_id"], "status": "available"}, "restored_from": "shop-aurora@latest",
               "cluster": {"id": plan["cluster_id"], "status": "available", "members": [plan["instance_id"]]}}
    report = br.restore_report(plan, "sandbox-aurora", False, STARTED, restore=restore, owned=True,
                               verify={"passed": True, "checks": []}, delete={"changed": True})
    assert report["source"] == {"cluster_id": "shop-aurora", "region": "us-east-1"}
    assert report["cluster"]["members"] == [plan["instance_id"]] and report["cleanup"]["cluster_id"] == plan["cluster_id"]
    lines = br.restore_lines(report, plan)
    assert lines[0].startswith("RESTORE TEST of cluster shop-aurora") and plan["cluster_id"] in lines[-1]


def test_the_restore_target_matches_the_restore_point():
    point = {"kind": "time", "time": "2026-01-31T11:59:00+00:00", "source_instance": "shop-aurora", "source_cluster": True}
    assert br.restore_target_problems("c-1", point, cluster_id="c") == []
    assert any("do not match" in p for p in br.restore_target_problems("c-1", point))
    assert any("do not match" in p for p in br.restore_target_problems("c-1", dict(point, source_cluster=False), cluster_id="c"))
    assert any("Cluster id c--x" in p for p in br.restore_target_problems("c-1", point, cluster_id="c--x"))


# -- module_utils/backup.py: the cluster's window and restore point -------------------------------------------------------
CLUSTER = {"DBClusterIdentifier": "shop-aurora", "Status": "available", "BackupRetentionPeriod": 7,
           "EarliestRestorableTime": NOW - datetime.timedelta(days=30), "LatestRestorableTime": NOW - datetime.timedelta(minutes=5)}


def test_the_cluster_window_is_earliest_to_latest_restorable_time_within_the_retention():
    window = backup.cluster_restore_window(CLUSTER, NOW)
    assert window == {"earliest": (NOW - datetime.timedelta(days=7)).isoformat(),
                      "latest": (NOW - datetime.timedelta(minutes=5)).isoformat(), "source": "cluster"}


def test_a_secondary_cluster_has_no_window():
    with pytest.raises(backup.BackupError, match="secondary cluster"):
        backup.cluster_restore_window({"DBClusterIdentifier": "shop-aurora-dr", "Status": "available"}, NOW)


def test_the_restore_points_of_a_cluster():
    window = backup.cluster_restore_window(CLUSTER, NOW)
    snaps = [{"DBClusterSnapshotIdentifier": "old", "DBClusterSnapshotArn": "arn:old", "SnapshotType": "manual", "Status": "available",
              "SnapshotCreateTime": NOW - datetime.timedelta(days=2)},
             {"DBClusterSnapshotIdentifier": "new", "DBClusterSnapshotArn": "arn:new", "SnapshotType": "manual", "Status": "available",
              "SnapshotCreateTime": NOW - datetime.timedelta(days=1)}]
    point = backup.choose_restore_point(backup.MODE_LATEST_SNAPSHOT, CLUSTER, window, snaps, now=NOW)
    assert (point["snapshot_id"], point["snapshot_arn"], point["source_instance"], point["source_cluster"]) == ("new", "arn:new", "shop-aurora", True)
    latest = backup.choose_restore_point(backup.MODE_LATEST_RESTORABLE_TIME, CLUSTER, window, now=NOW)
    assert latest["kind"] == "time" and latest["time"] == window["latest"] and latest["source_cluster"] is True
    with pytest.raises(backup.BackupError, match="outside the restorable window of shop-aurora"):
        backup.choose_restore_point(backup.MODE_TIME, CLUSTER, window, restore_time="2020-01-01T00:00:00Z", now=NOW)
    with pytest.raises(backup.BackupError, match="cluster shop-aurora has no available cluster snapshot"):
        backup.choose_restore_point(backup.MODE_LATEST_SNAPSHOT, CLUSTER, window, [], now=NOW)


def test_an_instance_restore_point_is_unchanged():
    instance = {"DBInstanceIdentifier": "shop-db"}
    point = backup.choose_restore_point(backup.MODE_LATEST_RESTORABLE_TIME, instance, {"latest": "x"}, now=NOW)
    assert point == {"kind": "time", "snapshot_id": None, "snapshot_arn": None, "snapshot_type": None, "time": "x",
                     "source_instance": "shop-db"}


def test_the_cluster_summary():
    summary = backup.cluster_summary({"DBClusterIdentifier": "c", "Status": "available", "Port": 5432, "Endpoint": "c.cluster",
                                      "DBClusterMembers": [{"DBInstanceIdentifier": "c-1"}],
                                      "TagList": [{"Key": backup.RESTORED_FROM_TAG, "Value": "s"}]})
    assert summary["members"] == ["c-1"] and summary["endpoint"] == {"address": "c.cluster", "port": 5432}
    assert summary["tags"] == {backup.RESTORED_FROM_TAG: "s"}
