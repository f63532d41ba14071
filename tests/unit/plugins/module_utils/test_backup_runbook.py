# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup and restore runbooks' plans, refusals, reports and summaries (module_utils/backup_runbook.py)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup_runbook as br

STARTED = "2026-01-31T12:00:00.250000Z"
RDS = {"primary": {"instance_id": "shop-db", "region": "us-east-1"}}
REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}
EKS = {"primary": {"kubeconfig": "/k/primary", "context": "p"}, "dr": {"kubeconfig": "/k/dr", "context": "d"}}
CHECK = {"name": "orders", "row_count": {"table": "orders", "min": 1}}
BACKUP = {
    "tags": {"managed-by": "cloudops.runbooks", "team": "shop"},
    "copy": {"region": "us-west-2", "kms_key_id": "alias/aws/rds"},
    "retention": {"tag_filters": {"managed-by": "cloudops.runbooks"}, "primary": {"keep_days": 14, "keep_last": 3},
                  "dr": {"keep_last": 5}},
    "restore": {"point": "latest_restorable_time", "instance_prefix": "shop-db-restore", "instance_class": "db.t3.micro",
                "checks": [CHECK]},
    "cutover": {"namespace": "shop", "secret_name": "shop-db", "restart_deployments": ["shop-blue"]},
}


# -- helpers -------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("value, expected", [(None, False), (True, True), ("true", True), ("False", False), ("yes", True),
                                             (1, True), (0, False), ("no", False)])
def test_to_bool_reads_extra_vars_as_ansible_does(value, expected):
    assert br.to_bool(value) is expected


def test_tag_values_keep_only_what_rds_allows():
    assert br.tag_value("alice (ops) <a@b>") == "alice -ops- -a@b-"
    assert len(br.tag_value("x" * 300)) == 256


def test_requested_by_prefers_the_request_then_awx_then_the_local_user():
    assert br.requested_by(" bob ", {"user": "alice"}, "root") == "bob"
    assert br.requested_by("", {"user": "alice"}, "root") == "alice"
    assert br.requested_by(None, {"schedule": "nightly"}, "root") == "awx schedule nightly"
    assert br.requested_by(None, {}, "root") == "root"


def test_id_stamp_and_seconds():
    assert br.id_stamp(STARTED) == "20260131-120000"
    assert br.seconds(STARTED, "2026-01-31T12:01:00.250000Z") == 60.0


# -- backup --------------------------------------------------------------------------------------------------------------
def test_the_backup_plan_names_and_tags_the_snapshot_and_targets_both_regions():
    plan = br.backup_plan(BACKUP, RDS, REGIONS, {"backup_helm_revision": 7, "backup_reason": "before web 1.2.0"}, STARTED,
                          {"user": "alice"})
    assert plan["snapshot_id"] == "shop-db-20260131-120000" and plan["copy_region"] == "us-west-2"
    assert plan["tags"] == {"managed-by": "cloudops.runbooks", "team": "shop", "reason": "before web 1.2.0",
                            "requested_by": "alice", "helm_revision": "7"}
    assert plan["retention_targets"] == [{"name": "primary", "region": "us-east-1", "keep_days": 14, "keep_last": 3},
                                         {"name": "dr", "region": "us-west-2", "keep_last": 5}]
    assert plan["problems"] == [] and plan["wait_timeout"] == 1800


def test_the_backup_plan_without_copy_or_prune():
    plan = br.backup_plan(BACKUP, RDS, REGIONS, {"backup_copy": "false", "backup_prune": False, "backup_snapshot_id": "Mine-1"}, STARTED)
    assert plan["copy_region"] == "" and plan["retention_targets"] == [] and plan["snapshot_id"] == "mine-1"
    assert plan["tags"]["reason"] == "on demand"


def test_the_backup_plan_refuses_a_retention_that_would_never_prune_its_own_snapshots():
    settings = copy.deepcopy(BACKUP)
    settings["retention"]["tag_filters"] = {"team": "payments"}
    del settings["retention"]["dr"]
    problems = br.backup_plan(settings, RDS, REGIONS, {}, STARTED)["problems"]
    assert "retention.tag_filters team=payments is not among the tags" in problems[0]
    assert problems[1].startswith("No retention for the dr region")


def test_the_backup_report_and_its_lines():
    plan = br.backup_plan(BACKUP, RDS, REGIONS, {}, STARTED, local_user="alice")
    snap = {"id": "s1", "region": "us-east-1", "status": "available", "changed": True, "waited_seconds": 3.2, "tags": {"a": "b"},
            "engine": "postgres"}
    result = {"snapshot": snap, "copy": dict(snap, region="us-west-2", source_arn="arn:s1")}
    retention = [{"name": "primary", "region": "us-east-1", "keep_days": 14, "keep_last": None, "deleted": [{"id": "old"}],
                  "kept": [{"id": "s1"}], "changed": True}]
    report = br.backup_report(plan, "sandbox", False, result, retention, "2026-01-31T12:00:10.250000Z", "2026-01-31T12:00:20.250000Z")
    assert report["outcome"] == "backed_up" and report["duration_seconds"] == 20.0 and report["snapshot_seconds"] == 10.0
    assert "engine" not in report["snapshot"] and report["copy"]["source_arn"] == "arn:s1"
    assert report["retention"] == [{"side": "primary", "region": "us-east-1", "keep_days": 14, "keep_last": None,
                                    "deleted": [{"id": "old"}], "kept_count": 1}]
    lines = br.backup_lines(report)
    assert lines[0] == "BACKUP of shop-db (sandbox): backed_up in 20.0 s"
    assert lines[1] == "snapshot s1 in us-east-1: available, taken, waited 3.2 s"
    assert lines[2] == "copy     s1 in us-west-2: available, copied, waited 3.2 s"
    assert lines[3] == 'tags     {"a": "b"}'
    assert lines[4] == "pruned primary (us-east-1, keep_days 14): old; 1 kept"


def test_a_backup_that_changed_nothing_is_unchanged():
    plan = br.backup_plan(BACKUP, RDS, REGIONS, {"backup_copy": False, "backup_prune": False}, STARTED)
    report = br.backup_report(plan, "sandbox", True, {"snapshot": {"id": "s1", "changed": False, "status": "available"}, "copy": None},
                              None, STARTED, STARTED)
    assert report["outcome"] == "unchanged" and report["copy"] is None and report["retention"] == []
    assert "copy     none (backup_copy=false)" in br.backup_lines(report)


# -- restore plan --------------------------------------------------------------------------------------------------------
def plan(action="restore_test", **request):
    return br.restore_plan(BACKUP, action, RDS, EKS, "sandbox", request, STARTED, local_user="alice")


def test_the_restore_plan_of_a_default_restore_test():
    p = plan()
    assert p["instance_id"] == "shop-db-restore-20260131-120000" and p["prefix"] == "shop-db-restore-"
    assert p["mode"] == "latest_restorable_time" and p["time"] == "" and p["checks"] == [CHECK]
    assert p["tags"] == {"requested_by": "alice", "cloudops:keep": "false"} and p["problems"] == []
    assert p["cutover_target"]["kubeconfig"] == "/k/primary" and p["cutover_target"]["host_key"] == "DB_HOST"


def test_a_time_means_mode_time_and_a_cutover_keeps_the_instance():
    p = plan(restore_time="2026-01-31T11:00:00Z", restore_cutover="true", restore_extra_checks=[{"name": "x", "sql": "SELECT 1", "expect": 1}])
    assert p["mode"] == "time" and p["cutover"] and p["tags"]["cloudops:keep"] == "true" and len(p["checks"]) == 2


def test_restore_checks_replace_the_inventorys_even_when_empty():
    assert plan(restore_checks=[])["checks"] == []
    assert "No checks: a restore test must prove the data" in plan(restore_checks=[])["problems"][0]


@pytest.mark.parametrize("request_, message", [
    ({"restore_point": "latest_snapshot", "restore_time": "2026-01-01T00:00:00Z"}, "restore_time is given but restore_point is latest_snapshot"),
    ({"restore_point": "yesterday"}, "restore_point yesterday is not one of"),
    ({"restore_instance_id": "Shop--db"}, "Instance id shop--db is not valid"),
    ({"restore_instance_id": "db-"}, "Instance id db- is not valid"),
    ({"restore_cutover": True, "restore_cutover_rollback": True}, "exclude each other"),
])
def test_bad_restore_requests(request_, message):
    assert any(message in problem for problem in plan("cutover_rollback" if request_.get("restore_cutover_rollback") else "restore_test",
                                                      **request_)["problems"])


def test_a_cutover_needs_a_target_on_a_known_side():
    settings = dict(BACKUP, cutover={})
    p = br.restore_plan(settings, "restore_test", RDS, EKS, "sandbox", {"restore_cutover": True}, STARTED)
    assert p["problems"][0].startswith("No cutover target in this inventory")
    settings = dict(BACKUP, cutover={"namespace": "shop", "secret_name": "db", "side": "eu"})
    p = br.restore_plan(settings, "cutover_rollback", RDS, EKS, "sandbox", {}, STARTED)
    assert p["problems"] == ["cloudops_backup.cutover.side eu is not in cloudops_eks."]


def test_each_operation_refuses_extra_vars_that_ask_for_another():
    assert br.requested_action({"restore_cleanup_instance": "x"}) == "cleanup"
    assert br.requested_action({"restore_cutover_rollback": "true"}) == "cutover_rollback"
    assert br.requested_action({}) == "restore_test"
    assert br.restore_playbook({"restore_cleanup_instance": "x"}) == "restore_cleanup.yml"
    assert "playbooks/restore_cleanup.yml runs" in plan(restore_cleanup_instance="shop-db-restore-1")["problems"][0]
    assert plan("cleanup")["problems"] == ["Name the restored instance to delete: -e restore_cleanup_instance=<id>."]
    p = plan("cleanup", restore_cleanup_instance="Shop-DB-Restore-1")
    assert p["problems"] == [] and p["instance_id"] == "shop-db-restore-1"
    assert plan("cutover_rollback")["problems"] == []  # run directly, without the flag
    assert "run it on its own" in plan("cleanup", restore_cleanup_instance="x", restore_cutover=True)["problems"][0]


def test_left_behind_instances_are_this_runbooks_unkept_ones_other_than_this_runs():
    p = plan(restore_instance_id="shop-db-restore-resumed")
    found = [{"db_instance_identifier": "shop-db-restore-1", "tags": {"cloudops:keep": "false"}},
             {"db_instance_identifier": "shop-db-restore-2", "tags": {"cloudops:keep": "true"}},
             {"db_instance_identifier": "shop-db-restore-resumed", "tags": {"cloudops:keep": "false"}},
             {"db_instance_identifier": "shop-db", "tags": {"cloudops:keep": "false"}},
             {"db_instance_identifier": "shop-db-restore-3"}]
    assert br.left_behind(found, p) == ["shop-db-restore-1"]


def test_resume_steps_name_the_cleanup_and_the_resume_commands():
    p = plan()
    steps = br.resume_steps(p, {"kind": "time", "time": "2026-01-31T11:00:00+00:00"})
    assert "-e restore_cleanup_instance=shop-db-restore-20260131-120000" in steps[0]
    assert "-e restore_instance_id=shop-db-restore-20260131-120000 -e restore_time=2026-01-31T11:00:00+00:00" in steps[1]
    assert "-e restore_point=latest_snapshot" in br.resume_steps(p, {"kind": "snapshot"})[1]


# -- restore report ------------------------------------------------------------------------------------------------------
POINT = {"restore_point": {"kind": "snapshot", "snapshot_id": "snap-1", "time": "2026-01-31T11:00:00+00:00", "source_instance": "shop-db"},
         "window": None, "gap_seconds": 3725.44}
RESTORED = {"instance": {"status": "available", "endpoint": {"address": "h", "port": 5432}, "instance_class": "db.t3.micro"},
            "restored_from": "snap-1", "duration_seconds": 12.5, "changed": True}
VERIFIED = {"passed": True, "failed_count": 0, "checks": [{"name": "orders", "passed": True, "message": "3000 rows"}]}
FINISHED = "2026-01-31T12:01:00.250000Z"


def test_a_verified_restore_test_deleted_its_instance():
    p = plan()
    report = br.restore_report(p, "sandbox", False, FINISHED, point=POINT, restore=RESTORED, owned=True, verify=VERIFIED,
                               verified_at="2026-01-31T12:00:30.250000Z", delete={"changed": True, "duration_seconds": 4.0})
    assert report["outcome"] == "verified" and report["error"] is None
    assert report["restore_point"]["gap"] == "1h 02m 05s" and report["restore_point"]["gap_seconds"] == 3725.4
    assert report["durations"] == {"restore_seconds": 12.5, "to_verified_seconds": 30.0, "cleanup_seconds": 4.0, "total_seconds": 60.0}
    assert report["cleanup"] == {"instance_id": p["instance_id"], "deleted": True, "left_behind": False,
                                 "reason": "deleted with its automated backups, no final snapshot"}
    assert report["next_steps"] == [] and report["instance"]["restored_now"] is True
    lines = br.restore_lines(report, p)
    assert lines[0] == "RESTORE TEST of shop-db (sandbox): VERIFIED in 60.0 s"
    assert lines[1] == "restore point  snapshot snap-1 of 2026-01-31T11:00:00+00:00: data 1h 02m 05s old (3725.4 s)"
    assert lines[2] == "restored into  %s (db.t3.micro) in 12.5 s, data proven 30.0 s after the start" % p["instance_id"]
    assert lines[3] == "check PASS orders: 3000 rows"
    assert lines[4] == "cleanup        %s: deleted with its automated backups, no final snapshot in 4.0 s" % p["instance_id"]


def test_a_refused_restore_point_created_nothing():
    p = plan(restore_time="2020-01-01T00:00:00Z")
    report = br.restore_report(p, "sandbox", False, FINISHED, error="Choose the restore point: outside the window")
    assert report["outcome"] == "refused" and report["restore_point"] == {"mode": "time", "requested_time": "2020-01-01T00:00:00Z"}
    assert report["cleanup"]["reason"] == "nothing was created" and not report["cleanup"]["left_behind"]


def test_a_failed_verification_and_a_kept_instance():
    p = plan(restore_keep=True)
    failed = dict(VERIFIED, passed=False, failed_count=1)
    report = br.restore_report(p, "sandbox", False, FINISHED, error="Data checks: 1 of 1", point=POINT, restore=RESTORED, owned=True,
                               verify=failed, verified_at=None)
    assert report["outcome"] == "verification_failed" and report["cleanup"]["reason"] == "kept (restore_keep)"
    assert report["cleanup"]["left_behind"] and "-e restore_cleanup_instance=%s" % p["instance_id"] in report["next_steps"][0]
    assert report["durations"]["to_verified_seconds"] is None


def test_a_cut_over_restore_says_how_to_go_back():
    p = plan(restore_cutover=True)
    cutover = {"secret": "shop/shop-db", "previous": {"existed": True, "host": "old", "port": "5432"},
               "current": {"host": "new", "port": "5432"}, "restarted": ["shop-blue"]}
    report = br.restore_report(p, "sandbox", False, FINISHED, point=POINT, restore=RESTORED, owned=True, verify=VERIFIED,
                               verified_at=FINISHED, cutover_attempted=True, cutover=cutover)
    assert report["outcome"] == "verified_and_cut_over" and report["cleanup"]["reason"] == "kept for the cutover"
    assert "-e restore_cutover_rollback=true" in report["next_steps"][0]
    assert "cutover        Secret shop/shop-db: old:5432 -> new:5432, restarted shop-blue" in br.restore_lines(report, p)


def test_check_mode_predicts_the_restore():
    p = plan(restore_cutover=True)
    restore = dict(RESTORED, instance={"status": None, "endpoint": None, "instance_class": "db.t3.micro"}, duration_seconds=None)
    report = br.restore_report(p, "sandbox", True, FINISHED, point=POINT, restore=restore, owned=False)
    assert report["outcome"] == "would_restore" and report["cleanup"]["reason"] == "check mode: nothing was created"
    assert ("would restore  into %s (db.t3.micro), verify 1 check(s), cut over Secret shop/shop-db, keep it" % p["instance_id"]
            in br.restore_lines(report, p))


def test_the_cleanup_and_rollback_reports():
    p = plan("cleanup", restore_cleanup_instance="shop-db-restore-1")
    report = br.cleanup_report(p, "sandbox", False, FINISHED, {"changed": True, "restored_from": "snap-1", "duration_seconds": 3.0})
    assert report["outcome"] == "deleted" and report["cleanup"]["deleted"] and report["action"] == "cleanup"
    assert br.cleanup_report(p, "sandbox", False, FINISHED, {"changed": False})["outcome"] == "already_gone"
    assert br.cleanup_problems(p, {"instance": "shop-db-restore-1", "at": "t"})[0].startswith(
        "Cleanup refused, nothing changed: Secret shop/shop-db points the application at shop-db-restore-1 (cut over t).")
    assert br.cleanup_problems(p, None) == [] and br.cleanup_problems(p, {"instance": "other"}) == []
    r = plan("cutover_rollback")
    done = br.rollback_report(r, "sandbox", False, FINISHED, {"rolled_back": True, "secret": "shop/shop-db", "instance": "i-1",
                                                              "previous": {"existed": False}})
    assert done["outcome"] == "rolled_back" and done["next_steps"][0].startswith("Secret shop/shop-db (created by the cutover) is deleted.")
    assert br.rollback_report(r, "sandbox", True, FINISHED, {"rolled_back": False})["outcome"] == "nothing_to_roll_back"


# -- the roles' refusals -------------------------------------------------------------------------------------------------
def test_snapshot_problems():
    ok = {"db_instance_status": "available", "storage_encrypted": True}
    assert br.snapshot_problems(ok, "shop-db", "us-east-1", "shop-db-1", copy_region="us-west-2", copy_kms_key_id="k") == []
    found = br.snapshot_problems(ok, "shop-db", "us-east-1", "1bad--", copy_region="us-west-2")
    assert found[0].startswith("Snapshot id 1bad-- is not valid") and "needs a KMS key" in found[1]
    assert "is stopped" in br.snapshot_problems({"db_instance_status": "stopped"}, "shop-db", "r", "s")[0]
    assert br.snapshot_problems(None, "shop-db", "r", "s", copy_region="r")[0].startswith("No DB instance shop-db in r")


def test_retention_problems_targets_and_results():
    targets = [{"name": "primary", "region": "r1", "keep_last": 0}, {"name": "dr", "region": "r2"}]
    problems = br.retention_problems({}, targets)
    assert problems[0].startswith("No tag filter") and "primary (r1): keep_last must be 1 or more" in problems[1]
    assert problems[2] == "dr (r2): give keep_days, keep_last or both."
    assert br.retention_targets(targets)[1] == {"name": "dr", "region": "r2", "keep_days": None, "keep_last": None}
    runs = [{"item": {"name": "dr", "region": "r2", "keep_days": None, "keep_last": 2}, "deleted": [], "kept": [], "changed": False}]
    assert br.retention_results(runs) == [{"name": "dr", "region": "r2", "keep_days": None, "keep_last": 2, "deleted": [], "kept": [],
                                           "changed": False}]


def test_restore_target_and_point_problems():
    assert br.restore_target_problems("ok-id", {"kind": "snapshot", "snapshot_id": "s"}) == []
    assert br.restore_target_problems("Bad_id", {"kind": "time"}) == [
        br.restore_target_problems("Bad_id", {})[0], "A point-in-time restore point needs time and source_instance."]
    assert br.restore_point_problems("latest_snapshot", "") == [] and br.restore_point_problems("time", "2026-01-31T12:00:00Z") == []
    assert "needs the time" in br.restore_point_problems("time", "")[0]
    assert "A point-in-time restore needs the time" in plan(restore_point="time")["problems"][0]


def test_verify_problems_resolved_checks_and_the_failure_message():
    relative = {"name": "recent", "newest": {"table": "orders", "column": "placed_at", "max_age_seconds": 90}}
    creds = {"credentials": {"source": "secretsmanager", "secret_id": "s"}}
    assert br.verify_problems([relative], "2026-01-31T12:00:00+00:00", creds) == []
    assert "needs a reference time" in br.verify_problems([relative], "", creds)[0]
    assert "give secret_id" in br.verify_problems([CHECK], "", {"credentials": {"source": "secretsmanager"}})[0]
    assert br.resolve_checks([relative, CHECK], "2026-01-31T12:00:00.5+00:00") == [
        {"name": "recent", "newest": {"table": "orders", "column": "placed_at", "not_before": "2026-01-31T11:58:30Z"}}, CHECK]
    result = {"failed_count": 1, "checks": [{"name": "a", "passed": True}, {"name": "b", "passed": False, "message": "m"}]}
    assert br.verify_failure(result, "i-1") == "1 of 2 checks failed on i-1: b (m)"
