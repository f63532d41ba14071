# -*- coding: utf-8 -*-
from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr

UTC = datetime.timezone.utc
NOW = datetime.datetime(2026, 1, 31, 12, 0, 0, tzinfo=UTC)
SRC_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"


def ago(seconds):
    return NOW - datetime.timedelta(seconds=seconds)


def snap(sid, age, source="shop-db", status="available", kind="manual", original=True):
    out = {"DBSnapshotIdentifier": sid, "DBSnapshotArn": "arn:aws:rds:us-west-2:1:snapshot:" + sid,
           "DBInstanceIdentifier": source, "Status": status, "SnapshotType": kind,
           "SnapshotCreateTime": ago(age - 30 if original else age)}  # a copy is younger than its data
    if original:
        out["OriginalSnapshotCreateTime"] = ago(age)
    return out


def backups(latest_age, arn=SRC_ARN, status="replicating", earliest_age=86400):
    return {"DBInstanceArn": arn, "DBInstanceIdentifier": "shop-db", "Region": "us-east-1", "Status": status,
            "DBInstanceAutomatedBackupsArn": "arn:aws:rds:us-west-2:1:auto-backup:ab-1",
            "RestoreWindow": {"EarliestTime": ago(earliest_age), "LatestTime": ago(latest_age)}}


def found(snapshots=(), entries=(), source="newest"):
    return restore_dr.restore_point(list(snapshots), list(entries), "shop-db", SRC_ARN, "us-west-2", source, NOW)


def test_newest_takes_the_replicated_backups_when_they_are_newer_than_every_copy():
    got = found([snap("copy-1", 3600), snap("copy-2", 600)], [backups(90)])
    assert got["point"]["kind"] == restore_dr.AUTOMATED_BACKUPS
    assert got["age_seconds"] == 90
    assert got["candidates"] == {"snapshot_copy": 2, "automated_backups": 1}


def test_newest_takes_a_copy_newer_than_the_backups_and_its_data_time_is_the_original_one():
    got = found([snap("copy-2", 60)], [backups(300)])
    assert got["point"]["snapshot_id"] == "copy-2"
    assert got["age_seconds"] == 60  # OriginalSnapshotCreateTime, not the copy's own time


@pytest.mark.parametrize("source, kind", [("snapshot_copy", "snapshot_copy"), ("automated_backups", "automated_backups")])
def test_a_declared_source_restricts_the_kind(source, kind):
    assert found([snap("copy-1", 10)], [backups(5)], source)["point"]["kind"] == kind


def test_copies_of_other_instances_failed_or_automated_snapshots_and_other_backups_do_not_count():
    got = found([snap("other", 10, source="other-db"), snap("bad", 10, status="failed"),
                 snap("auto", 10, kind="automated")],
                [backups(5, arn="arn:aws:rds:us-east-1:1:db:other"), backups(5, status="pending"),
                 dict(backups(5), RestoreWindow={})])
    assert got["point"] is None and got["candidates"] == {"snapshot_copy": 0, "automated_backups": 0}


def test_the_gate_passes_within_the_budget_and_refuses_past_it_naming_the_override():
    ok = restore_dr.gate(found([], [backups(30)]), 60)
    assert ok["allowed"] and ok["verdict"] == "ok" and "within the RPO budget of 60 s" in ok["reason"]
    stale = found([snap("copy-1", 7200)], [])
    over = restore_dr.gate(stale, 300, source_id="shop-db", dr_region="us-west-2")
    assert not over["allowed"] and over["verdict"] == "over"
    assert "7200 s old" in over["reason"] and "-e failover_max_lag_override=true" in over["reason"]
    forced = restore_dr.gate(stale, 300, override=True)
    assert forced["allowed"] and forced["overridden"] and forced["reason"].startswith("overridden (failover_max_lag_override)")


def test_nothing_restorable_refuses_even_with_the_override():
    verdict = restore_dr.gate(found(), 60, override=True, source_id="shop-db", dr_region="us-west-2")
    assert not verdict["allowed"] and verdict["verdict"] == "none"
    assert "no snapshot copy and no replicated automated backups of shop-db in us-west-2" in verdict["reason"]


def test_the_readiness_finding_carries_the_age_and_the_candidates():
    finding = restore_dr.readiness_finding(found([snap("copy-1", 100)], [backups(20)]), 60, "shop-db", "us-west-2")
    assert finding["check"] == "dr_restore_point" and finding["passed"]
    assert finding["numbers"]["restore_point_age_seconds"] == 20
    assert finding["numbers"]["kind"] == "automated_backups"
    assert finding["numbers"]["snapshot_copies"] == 1
    stale = restore_dr.readiness_finding(found([snap("copy-1", 100)], []), 60, "shop-db", "us-west-2")
    assert not stale["passed"] and "over the RPO budget of 60 s" in stale["detail"]


def test_restore_args_for_each_kind():
    spec = {"region": "us-west-2", "instance_id": "shop-db-dr", "instance_class": "db.t3.medium",
            "subnet_group": "shop-dr-db-subnets", "vpc_security_group_ids": [], "parameter_group": ""}
    by_backups = restore_dr.restore_args(spec, found([], [backups(20)])["point"], {"purpose": "dr"})
    assert by_backups == {"instance_id": "shop-db-dr", "region": "us-west-2", "state": "present",
                          "db_instance_class": "db.t3.medium", "db_subnet_group_name": "shop-dr-db-subnets",
                          "tags": {"purpose": "dr"}, "wait_timeout": 3600,
                          "source_automated_backups_arn": "arn:aws:rds:us-west-2:1:auto-backup:ab-1",
                          "use_latest_restorable_time": True}
    by_copy = restore_dr.restore_args(spec, found([snap("copy-1", 10)], [])["point"])
    assert by_copy["snapshot_id"] == "copy-1" and "use_latest_restorable_time" not in by_copy
    with pytest.raises(restore_dr.RestoreDrError):
        restore_dr.restore_args(spec, None)


@pytest.mark.parametrize("spec, words", [
    ({}, "must be a mapping"),
    ({"region": "us-west-2"}, "cloudops_rds.dr_restore.instance_id is required"),
    ({"region": "us-west-2", "instance_id": "x", "source": "tape"}, "source 'tape' must be one of newest"),
    ({"region": "us-west-2", "instance_id": "x", "vpc_security_group_ids": "sg-1"}, "must be a list"),
    ({"region": "us-west-2", "instance_id": "x", "replica": {}}, "unknown key(s) replica"),
])
def test_spec_problems_name_the_key(spec, words):
    assert any(words in p for p in restore_dr.spec_problems(spec))


def test_a_complete_spec_has_no_problem():
    assert restore_dr.spec_problems({"region": "us-west-2", "instance_id": "shop-db-dr", "source": "newest",
                                     "vpc_security_group_ids": ["sg-1"]}) == []


def test_point_result_of_a_chosen_point_and_of_an_instance_restored_already():
    chosen = found([], [backups(20)])
    got = restore_dr.point_result(dict(chosen, verdict={"allowed": True}))
    assert got["kind"] == "automated_backups" and got["age_seconds"] == 20 and got["verdict"] == {"allowed": True}
    resumed = {"point": None, "age_seconds": None, "candidates": None, "verdict": None}
    assert restore_dr.point_result(resumed, "shop-db@latest")["time"] is None
    assert restore_dr.point_result(resumed, "shop-db@2026-01-31T11:59:00Z")["time"] == "2026-01-31T11:59:00Z"
    assert restore_dr.point_result(resumed, "copy-1")["snapshot_id"] == "copy-1"


RESTORE_RDS = {"primary": {"region": "us-east-1", "instance_id": "shop-db"},
               "dr_restore": {"region": "us-west-2", "instance_id": "shop-db-dr"}}


@pytest.mark.parametrize("runbook", ["failover", "failover_drill", "status", "backup"])
def test_failover_and_drill_run_a_restore_based_estate(runbook):
    assert restore_dr.runbook_refusal(runbook, RESTORE_RDS) is None


def test_failback_refuses_a_restore_based_estate_with_the_manual_way():
    found = restore_dr.runbook_refusal("failback", RESTORE_RDS)
    assert "The manual way: create a cross-region read replica of the restored DR instance" in found


def test_other_shapes_are_not_refused_here():
    assert restore_dr.runbook_refusal("failover", {"primary": {}, "replica": {"instance_id": "x"}}) is None


def test_the_request_check_refuses_the_failback_before_any_call():
    from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request

    assert runbook_request.restore_dr_problems("failback", {"cloudops_rds": RESTORE_RDS})[0].startswith(
        "cloudops_rds declares restore-based DR")
    assert runbook_request.restore_dr_problems("failover", {"cloudops_rds": RESTORE_RDS}) == []


def test_the_target_finding_passes_on_a_free_name_and_says_what_to_do_otherwise():
    assert restore_dr.target_finding(None, "shop-db-dr", "us-west-2")["passed"]
    foreign = restore_dr.target_finding({"DBInstanceStatus": "available", "TagList": []}, "shop-db-dr", "us-west-2")
    assert not foreign["passed"] and "not restored by rds_restore" in foreign["detail"] and "rename or delete it" in foreign["detail"]
    ours = restore_dr.target_finding({"DBInstanceStatus": "available",
                                      "TagList": [{"Key": "cloudops:restored-from", "Value": "shop-db@latest"}]},
                                     "shop-db-dr", "us-west-2")
    assert not ours["passed"] and "restored from shop-db@latest" in ours["detail"]


def test_the_reports_keep_the_restore_point_and_estimate_the_failover_rpo_by_its_age():
    from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_reports

    result = {"changed": True, "instance": {"id": "shop-db-dr"},
              "restore_point": {"kind": "automated_backups", "time": "2026-01-31T11:59:55+00:00", "age_seconds": 5.0,
                                "snapshot_id": None, "verdict": {"allowed": True, "overridden": False}}}
    kept = runbook_reports.restore_measure(result)
    assert kept["instance_id"] == "shop-db-dr" and kept["age_seconds"] == 5.0 and kept["overridden"] is False
    assert runbook_reports.restore_measure({"restore_point": {"kind": None}}) is None  # found restored already
    assert runbook_reports.restore_measure({"skipped": True}) is None
    facts = {"environment": "sandbox", "run_id": "failover-1", "check_mode": False, "started_at": "2026-01-31T12:00:00Z",
             "first_started_at": "2026-01-31T12:00:00Z", "cut_at": "2026-01-31T12:00:01Z",
             "smoke_passed_at": "2026-01-31T12:00:21Z", "dns_insync_at": "2026-01-31T12:00:20Z",
             "budgets": {"rpo_seconds": 60, "rto_seconds": 900}, "restore": kept, "dr_region": "us-west-2",
             "replica_instance_id": "shop-db-dr", "steps": []}
    report = runbook_reports.failover_report(facts)
    assert report["rpo"]["estimated_seconds"] == 5.0 and report["rpo"]["within_budget"] is True
    assert report["rpo"]["definition"].startswith("estimated as the age of the restore point")
    assert "does not fail back a restore-based failover" in report["next_steps"][0]
    changes = runbook_reports.failover_changes({"restore_result": result, "dr_region": "us-west-2"})
    assert changes == ["RDS shop-db-dr restored in us-west-2 from replicated automated backups (2026-01-31T11:59:55+00:00)"]


def test_a_check_mode_restore_predicts_an_endpoint_the_secret_can_show():
    point = found([], [dict(backups(20), Port=5432)])["point"]
    assert restore_dr.predicted_endpoint("shop-db-dr", point) == {"address": "(shop-db-dr once restored)", "port": 5432}


def test_the_restore_step_says_what_it_did_or_would_do():
    chosen = found([], [backups(20)])
    verdict = restore_dr.gate(chosen, 60)
    done = restore_dr.restore_step_summary(chosen, verdict, {"id": "shop-db-dr"}, 3.2)
    assert done["detail"].startswith("restored shop-db-dr from replicated automated backups")
    assert done["measures"] == {"restore_point_age_seconds": 20, "restore_seconds": 3.2}
    assert done["gates"][0]["name"] == "dr_restore_point" and done["gates"][0]["passed"] is True
    assert restore_dr.restore_step_summary(chosen, verdict, {"id": "shop-db-dr"}, None, True)["detail"].startswith("would restore")
