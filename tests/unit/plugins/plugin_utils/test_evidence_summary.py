# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.filter.run_summary import run_summary
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_summary import build_summary, report_key, run_status

DRILL = {"kind": "drill", "environment": "sandbox", "run_id": "drill-sandbox-20260131T120000", "check_mode": False, "outcome": "passed",
         "started_at": "2026-01-31T12:00:00.000000Z", "rto": {"seconds": 23.4, "budget_seconds": 900},
         "rpo": {"seconds": 3.1, "rows": 2, "budget_seconds": 60}, "status": {"compared": True, "equal": True, "differences": []}}


def test_a_passed_drill_keeps_its_run_id_and_reports_its_measures():
    summary = build_summary(DRILL, "failover_drill", root="runs", project_dir="/srv/project")
    assert summary == {"schema_version": 1, "runbook": "failover_drill", "environment": "sandbox", "run_id": "drill-sandbox-20260131T120000",
                       "outcome": "passed", "status": "succeeded", "rto_seconds": 23.4, "rpo_seconds": 3.1, "rpo_rows": 2, "changes": [],
                       "run_dir": "/srv/project/runs/drill-sandbox-20260131T120000"}


@pytest.mark.parametrize("outcome, fails, status", [
    ("passed", True, "succeeded"), ("failed_back", True, "succeeded"), ("over_budget", True, "failed"), ("over_budget", False, "succeeded"),
    ("failed", True, "failed"), ("estate_changed", True, "failed"), ("failback_failed", True, "failed"), ("would_drill", True, "check"),
])
def test_drill_outcomes_map_to_a_run_status(outcome, fails, status):
    assert run_status("failover_drill", dict(DRILL, outcome=outcome), over_budget_fails=fails) == status


def test_an_absolute_root_is_kept_and_an_empty_root_means_no_files():
    assert build_summary(DRILL, "failover_drill", root="/var/runs", project_dir="/srv/p")["run_dir"] == "/var/runs/drill-sandbox-20260131T120000"
    assert build_summary(DRILL, "failover_drill", root="", project_dir="/srv/p")["run_dir"] == ""


def test_a_runbook_without_its_own_run_id_gets_runbook_environment_and_the_start_stamp():
    report = {"environment": "prod", "outcome": "backed_up", "check_mode": False, "started_at": "2026-02-01T03:04:05.678Z",
              "snapshot": {"id": "shop-db-20260201-030405", "region": "eu-west-1", "changed": True},
              "copy": {"id": "shop-db-20260201-030405", "region": "eu-central-1", "changed": True},
              "retention": [{"side": "primary", "region": "eu-west-1", "deleted": [{"id": "old-1"}], "kept_count": 7}]}
    summary = build_summary(report, "backup", root="runs", project_dir="/p")
    assert summary["run_id"] == "backup-prod-20260201T030405" and summary["run_dir"] == "/p/runs/backup-prod-20260201T030405"
    assert summary["status"] == "succeeded" and (summary["rto_seconds"], summary["rpo_seconds"], summary["rpo_rows"]) == (None, None, None)
    assert summary["changes"] == ["snapshot shop-db-20260201-030405 in eu-west-1", "copy shop-db-20260201-030405 in eu-central-1",
                                  "deleted snapshot old-1 in eu-west-1"]


def test_check_mode_says_check_and_prefixes_the_changes():
    report = {"environment": "sandbox", "outcome": "would_deploy", "check_mode": True, "started_at": "2026-01-01T00:00:00Z", "version": "1.1.0",
              "services": [{"service": "web", "version": "1.1.0", "outcome": "would_deploy", "sides": [
                  {"side": "primary", "action": "deploy", "release": "web-green", "revision_before": 3, "revision_after": 3, "helm_changed": True,
                   "traffic_before": {"blue": 100}, "traffic_after": {"green": 100}},
                  {"side": "dr", "action": "none", "release": "web-blue", "revision_before": 2, "revision_after": 2}]}]}
    summary = build_summary(report, "deploy")
    assert summary["status"] == "check"
    assert summary["changes"] == ["would: web 1.1.0 on primary: web-green revision 3 -> 3, traffic {blue: 100} -> {green: 100}"]


def test_a_rolled_back_deploy_is_a_failed_run_and_says_what_was_rolled_back():
    report = {"environment": "sandbox", "outcome": "failed", "check_mode": False, "services": [
        {"service": "api", "version": "2.0.0", "outcome": "rolled_back", "sides": [{"side": "primary", "action": "deploy"}]}]}
    summary = build_summary(report, "deploy")
    assert (summary["status"], summary["changes"]) == ("failed", ["api 2.0.0 on primary: deploy rolled back"])


def test_rollback_lists_only_the_entries_it_changed():
    report = {"environment": "sandbox", "outcome": "rolled_back", "check_mode": False, "finished_at": "2026-01-01T00:00:09Z", "services": [
        {"service": "web", "side": "primary", "changed": True, "helm_changed": True, "release": "web-green", "revision_before": 4,
         "revision_after": 5, "traffic_changed": True, "traffic_before": {"green": 100}, "traffic_after": {"blue": 100}},
        {"service": "web", "side": "dr", "changed": False}]}
    assert build_summary(report, "rollback")["changes"] == [
        "web on primary: web-green revision 4 -> 5, traffic {green: 100} -> {blue: 100}"]


def test_a_restore_test_reports_time_to_proven_data_and_the_restore_point_age():
    report = {"environment": "sandbox", "action": "restore_test", "outcome": "verified", "check_mode": False,
              "started_at": "2026-01-01T00:00:00Z", "durations": {"to_verified_seconds": 14.2},
              "restore_point": {"kind": "time", "gap_seconds": 301.0}, "instance": {"id": "r-1", "region": "us-east-1", "restored_now": True},
              "cleanup": {"instance_id": "r-1", "deleted": True, "reason": "deleted with its automated backups, no final snapshot"}}
    summary = build_summary(report, "backup_restore")
    assert (summary["status"], summary["rto_seconds"], summary["rpo_seconds"]) == ("succeeded", 14.2, 301.0)
    assert summary["changes"] == ["restored r-1 in us-east-1", "deleted r-1"]
    failed_cleanup = dict(report, cleanup={"instance_id": "r-1", "deleted": False, "reason": "delete failed: timeout"})
    assert build_summary(failed_cleanup, "backup_restore")["status"] == "failed"
    assert build_summary(dict(report, outcome="refused"), "backup_restore")["status"] == "refused"


def test_the_status_runbook_has_no_outcome_of_its_own():
    summary = build_summary({"environment": "sandbox", "collected_at": "2026-01-01T10:00:00Z", "dns": {}}, "status", check_mode=True)
    assert (summary["outcome"], summary["status"], summary["run_id"]) == ("collected", "check", "status-sandbox-20260101T100000")


def test_the_filter_refuses_an_unknown_runbook_with_the_choices():
    from ansible.errors import AnsibleFilterError
    with pytest.raises(AnsibleFilterError, match="not one of backup, backup_restore, deploy"):
        run_summary({}, "decommission")
    assert run_summary(DRILL, "failover_drill", root="")["run_dir"] == ""


def test_each_runbook_names_the_stats_key_of_its_report():
    assert [report_key(r) for r in ("failover_drill", "backup_restore", "status")] == ["drill_report", "restore_report", "status_report"]
