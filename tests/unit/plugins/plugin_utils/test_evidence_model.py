# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_model as model
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import Redactor
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_render import prepare
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_schema import SCHEMA


@pytest.mark.parametrize("name, parsed", [
    ("Drill | 3. promote the DR replica (lag gate)", ("Drill", 3, "promote the DR replica (lag gate)")),
    ("Failback | 12. status after", ("Failback", 12, "status after")),
    (" Failover |1.  promote", ("Failover", 1, "promote")),
    ("Drill | note the promotion", None),
    ("Preflight | the inventory defines the estate", None),
    ("Collect the status", None),
    ("3. no phase", None),
])
def test_step_names(name, parsed):
    assert model.parse_step_name(name) == parsed


def document(recorder, summary, report):
    return model.build_document(recorder, summary, report, host_stats={"localhost": {"ok": 9, "changed": 1, "failures": 1}},
                                ansible_version="2.19.14", collection_version="0.1.0", now=recorder.finished)


def test_numbered_steps_span_their_include_or_block_and_leave_other_tasks_out(drill, drill_summary, drill_report):
    doc = document(drill, drill_summary, drill_report)
    assert doc["steps_basis"] == "numbered"
    assert [(s["phase"], s["number"], s["title"], s["status"], s["tasks"]) for s in doc["steps"]] == [
        ("Drill", 1, "status before", "ok", 3),
        ("Drill", 2, "promote the DR replica (lag gate)", "changed", 1),
        ("Drill", 3, "smoke-test the application on DR", "failed", 1),
        ("Failback", 1, "put Route 53 back as recorded", "skipped", 1),
    ]
    status_before = doc["steps"][0]
    # From the include's start (1 s after the run's start, after the preflight) to the end of its last inner task.
    assert (status_before["start_offset_seconds"], status_before["duration_seconds"]) == (1.0, 2.0)
    assert status_before["started_at"] == "2026-01-31T12:00:01.000Z" and status_before["finished_at"] == "2026-01-31T12:00:03.000Z"
    failed = doc["steps"][2]
    assert (failed["failed_task"], failed["error"]) == ("Run the smoke test", "Job web-smoke failed: exit code 1")
    # Every task is recorded, with the step it belongs to (or none).
    assert [(t["name"], t["step"], t["status"]) for t in doc["tasks"]][:5] == [
        ("Preflight | confirmation", None, "ok"), ("Drill | 1. status before", 0, "ok"), ("Describe the EKS clusters", 0, "ok"),
        ("Build the status report", 0, "ok"), ("Drill | note the status", None, "ok")]
    assert doc["tasks"][2]["role"] == "cloudops.runbooks.status" and doc["tasks"][2]["duration_seconds"] == 1.4
    assert doc["run"]["duration_seconds"] == 7.3 and doc["run"]["playbook"] == "playbooks/failover_drill.yml"


def test_gates_come_from_the_whitelist_only(drill, drill_summary, drill_report):
    doc = document(drill, drill_summary, drill_report)
    assert doc["gates"] == [
        {"name": "lag at promotion", "passed": True, "detail": "lag 2.0 s within the RPO budget 60 s", "module": "rds_promote",
         "numbers": {"lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "duration_seconds": 0.5, "lag_verdict": "within",
                     "promoted": True, "overridden": False},
         "task": "Drill | 2. promote the DR replica (lag gate)", "step": 1},
        {"name": "job web-smoke", "passed": False, "detail": "failed", "module": "k8s_job_run",
         "numbers": {"outcome": "failed", "succeeded": 0, "failed": 1, "duration_seconds": 1.2}, "task": "Run the smoke test", "step": 2},
    ]
    # The promoted instance's endpoint was in the result: not a gate key, so not recorded anywhere.
    assert "5433" not in repr(doc["gates"]) + repr(doc["tasks"])


def test_no_gate_is_read_from_a_censored_result_another_collections_module_or_a_skipped_loop_item():
    promote = {"lag_gate": {"allowed": True}, "lag_at_promotion_seconds": 1.0}
    assert model.extract_gates("cloudops.runbooks.rds_promote", dict(promote, _ansible_no_log=True)) == []
    assert model.extract_gates("cloudops.runbooks.rds_promote", {"censored": "hidden", "changed": True}) == []
    assert model.extract_gates("amazon.aws.rds_instance", promote) == []
    looped = {"results": [{"skipped": True}, dict(promote, item=1), {"censored": "x", "_ansible_no_log": True}]}
    assert [g["numbers"]["lag_at_promotion_seconds"] for g in model.extract_gates("rds_promote", looped)] == [1.0]


def test_gates_of_readiness_target_health_checks_and_markers():
    readiness = {"findings": [{"check": "replica_lag", "passed": True, "detail": "2 s", "numbers": {"lag_seconds": 2.0, "nested": {"x": 1}}},
                              {"check": "dr_cluster", "passed": False, "detail": "missing"}], "passed": False}
    assert [(g["name"], g["passed"], g["numbers"]) for g in model.extract_gates("cloudops.runbooks.dr_readiness_info", readiness)] == [
        ("replica_lag", True, {"lag_seconds": 2.0}), ("dr_cluster", False, {})]
    health = {"target_groups": [{"name": "shop-green", "healthy": 2, "unhealthy": 0, "registered": 2, "need": 2, "ready": True,
                                 "targets": [{"id": "i-1"}]}]}
    assert model.extract_gates("alb_target_health", health)[0]["numbers"] == {"healthy": 2, "unhealthy": 0, "registered": 2, "need": 2}
    markers = {"action": "read", "instance_id": "shop-db-dr", "written_count": 8, "present_count": 6, "missing_count": 2, "rpo_rows": 2,
               "rpo_seconds": 1.5, "rpo_basis": "markers", "markers": [{"seq": 1}], "user": "shop_admin"}
    gate = model.extract_gates("cloudops.runbooks.rds_drill_markers", markers)[0]
    assert gate["numbers"] == {"written_count": 8, "present_count": 6, "missing_count": 2, "rpo_rows": 2, "rpo_seconds": 1.5}
    assert model.extract_gates("cloudops.runbooks.rds_drill_markers", dict(markers, action="write")) == []


def test_a_run_without_numbered_steps_gets_one_step_per_top_level_item_that_does_work(new_run):
    run = new_run()
    run.task("a", "Preflight | the inventory defines the estate", action="ansible.builtin.assert")
    run.task("b", "Start | one timestamp", seconds=0.1)
    run.task("c", "Snapshot and copy to the DR region", action="ansible.builtin.include_role", seconds=0.1)
    run.task("c1", "Take the snapshot", action="cloudops.runbooks.rds_snapshot", seconds=3.0, status="changed",
             lineage=[("c1", "Take the snapshot"), ("c", "Snapshot and copy to the DR region")], top=("c", "Snapshot and copy to the DR region"))
    run.task("d", "Summary", action="ansible.builtin.debug", seconds=0.1)
    doc = document(run.end(), {"runbook": "backup", "run_id": "backup-x", "status": "succeeded", "changes": ["snapshot s in r"]}, {})
    assert doc["steps_basis"] == "top_level"
    assert [(s["number"], s["phase"], s["title"], s["status"], s["duration_seconds"]) for s in doc["steps"]] == [
        (1, "Preflight", "the inventory defines the estate", "ok", 1.0), (2, None, "Snapshot and copy to the DR region", "changed", 3.1)]
    assert doc["changes"] == ["snapshot s in r"]


def test_measures_and_the_state_before_and_after_of_a_drill(drill, drill_summary, drill_report):
    doc = document(drill, drill_summary, drill_report)
    rto, rpo = doc["measures"]["rto"], doc["measures"]["rpo"]
    assert (rto["seconds"], rto["budget_seconds"], rto["within_budget"], rto["started_at"]) == (6.5, 900, True, "2026-01-31T12:00:04.000000Z")
    assert (rpo["seconds"], rpo["rows"], rpo["budget_seconds"], rpo["estimated"], rpo["at"]) == (1.5, 2, 60, False, drill_report["cut_at"])
    assert [(v["value"], v["budget"], v["verdict"]) for v in doc["measures"]["verdicts"]] == [
        ("6.5 s", "900 s", "within budget"), ("2 rows, 1.5 s", "60 s", "within budget"), ("yes", None, "equal")]
    rows = dict((r["path"], r) for r in doc["state"]["rows"])
    assert rows["dns.primary"] == {"path": "dns.primary", "before": "primary", "after": "primary", "differs": False, "ignored": False}
    # Differences the drill ignores are marked so, the others would not be.
    assert rows["rds.replica.endpoint.port"]["differs"] and rows["rds.replica.endpoint.port"]["ignored"]
    assert rows["collected_at"]["differs"] and rows["collected_at"]["ignored"]
    assert (doc["state"]["compared"], doc["state"]["equal"]) == (True, True)


def test_the_failover_rpo_is_an_estimate_and_deploy_state_is_per_service_and_side():
    report = {"rto": {"seconds": 20.0, "budget_seconds": 900, "within_budget": True}, "cut_at": "2026-01-01T00:00:00Z",
              "rpo": {"estimated_seconds": 2.0, "budget_seconds": 60, "within_budget": True}, "dns_before": [
                  {"set_identifier": "primary", "failover": "PRIMARY"}, {"set_identifier": "dr", "failover": "SECONDARY"}]}
    measures = model.run_measures("failover", {"rto_seconds": 20.0, "rpo_seconds": 2.0, "rpo_rows": None}, report)
    assert (measures["rpo"]["seconds"], measures["rpo"]["estimated"], measures["rpo"]["rows"]) == (2.0, True, None)
    first = model.run_state("failover", report)["rows"][0]
    assert first == {"path": "route53.primary", "before": "PRIMARY", "after": None, "differs": False, "ignored": False}
    deploy = {"services": [{"service": "web", "version": "1.1.0", "outcome": "deployed", "sides": [
        {"side": "primary", "action": "deploy", "from_colour": "blue", "to_colour": "green", "revision_before": 3, "revision_after": 4,
         "live_version_before": "1.0.0", "traffic_before": {"blue": 100}, "traffic_after": {"green": 100}}]}]}
    rows = dict((r["path"], (r["before"], r["after"], r["differs"])) for r in model.run_state("deploy", deploy)["rows"])
    assert rows == {"web/primary.colour": ("blue", "green", True), "web/primary.revision": (3, 4, True),
                    "web/primary.version": ("1.0.0", "1.1.0", True), "web/primary.traffic": ({"blue": 100}, {"green": 100}, True)}
    assert model.run_measures("deploy", {}, deploy) == {"rto": None, "rpo": None, "verdicts": []}


def test_the_summary_and_the_report_are_found_in_the_run_wide_stats_or_a_hosts():
    custom = {"_run": {"cloudops_summary": {"runbook": "backup"}}, "localhost": {"backup_report": {"outcome": "backed_up"}}}
    assert model.find_summary(custom) == {"runbook": "backup"}
    assert model.find_report(custom, "backup") == {"outcome": "backed_up"}
    assert model.find_summary({"_run": {"status_report": {}}}) is None


def test_progress_lines_say_what_the_module_waits_for_or_fall_back_to_the_task_name():
    assert model.progress_line("Drill | 3. promote the DR replica (lag gate)", 20.4, "cloudops.runbooks.rds_promote", "x") == (
        u"\u2026 Drill | 3. promote the DR replica (lag gate) - 20 s, waiting for the promoted instance available and writable")
    assert model.progress_line("Wait", 10, "ansible.builtin.command", "Wait for the thing") == u"\u2026 Wait - 10 s, waiting for Wait for the thing"


def test_running_lists_hosts_whose_task_has_not_ended(new_run):
    run = new_run()
    run.recorder.task_start("x", "Drill | 3. promote", run.t, action="cloudops.runbooks.rds_promote", lineage=[("x", "Drill | 3. promote")])
    run.recorder.host_start("x", "localhost", run.t)
    [(record, host, started)] = run.recorder.running()
    assert (record["name"], host, started) == ("Drill | 3. promote", "localhost", run.t)
    run.recorder.task_result("x", "localhost", "ok", run.t + 1, {})
    assert run.recorder.running() == []


def test_the_document_validates_against_the_published_schema(drill, drill_summary, drill_report):
    jsonschema = pytest.importorskip("jsonschema")
    doc = prepare(document(drill, drill_summary, drill_report), Redactor())
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    # And a schema violation is caught (the schema is not vacuous).
    broken = dict(doc, run=dict(doc["run"], status="done"))
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.Draft202012Validator(SCHEMA).validate(broken)


def test_a_completed_smoke_job_passes_and_a_dns_read_or_prediction_is_no_gate():
    [job] = model.extract_gates("cloudops.runbooks.k8s_job_run", {"job": {"name": "smoke", "outcome": "complete", "succeeded": 1, "failed": 0}})
    assert (job["name"], job["passed"], job["numbers"]["outcome"]) == ("job smoke", True, "complete")
    assert model.extract_gates("k8s_job_run", {"job": {"name": "smoke", "outcome": "skipped"}})[0]["passed"] is None
    assert model.extract_gates("cloudops.runbooks.route53_failover_switch", {"mode": "failover", "serving": "dr", "change_status": None}) == []
    [dns] = model.extract_gates("route53_failover_switch", {"mode": "failover", "serving": "dr", "change_status": "INSYNC", "insync_seconds": 0.4})
    assert (dns["passed"], dns["numbers"]["insync_seconds"]) == (True, 0.4)


def test_a_check_mode_state_after_is_labelled_a_prediction():
    report = {"check_mode": True, "services": [{"service": "web", "sides": [{"side": "primary", "revision_before": 1, "revision_after": 2}]}]}
    assert model.run_state("deploy", report)["after_label"] == "after (predicted: check mode)"
    assert model.run_state("deploy", dict(report, check_mode=False))["after_label"] == "after"


def test_a_failed_call_without_the_gate_keys_gives_no_empty_gate():
    assert model.extract_gates("cloudops.runbooks.rds_restore_point", {"msg": "restore_time is outside the restorable window"}) == []
    [gate] = model.extract_gates("cloudops.runbooks.rds_restore_point", {"restore_point": {"kind": "time", "time": "t"}, "gap_seconds": 0.5})
    assert gate["numbers"] == {"gap_seconds": 0.5, "kind": "time", "time": "t"}
