# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_model as model
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import Redactor
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_render import prepare
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_schema import SCHEMA


def document(recorder, summary, report):
    return model.build_document(recorder, summary, report, host_stats={"localhost": {"ok": 9, "changed": 1, "failures": 1}},
                                ansible_version="2.19.14", collection_version="0.1.0", now=recorder.finished)


def test_task_names_are_not_parsed_a_run_without_recorded_steps_gets_its_top_level_items(drill, drill_summary, drill_report):
    """A run with no runbook_step task: one step per top-level task, block or include that does more than bookkeeping,
    titled with its whole name (a `<Phase> | <N>. <title>` name is not parsed); an include or block spans its tasks."""
    doc = document(drill, drill_summary, drill_report)
    assert doc["steps_basis"] == "top_level"
    assert [(s["phase"], s["number"], s["title"], s["status"], s["tasks"]) for s in doc["steps"]] == [
        (None, 1, "Preflight | confirmation", "ok", 1),
        (None, 2, "Drill | 1. status before", "ok", 3),
        (None, 3, "Drill | 2. promote the DR replica (lag gate)", "changed", 1),
        (None, 4, "Drill | 3. smoke-test the application on DR", "failed", 1),
        (None, 5, "Failback | 1. put Route 53 back as recorded", "skipped", 1),
    ]
    status_before = doc["steps"][1]
    # From the include's start (1 s after the run's start, after the preflight) to the end of its last inner task.
    assert (status_before["start_offset_seconds"], status_before["duration_seconds"]) == (1.0, 2.0)
    assert status_before["started_at"] == "2026-01-31T12:00:01.000Z" and status_before["finished_at"] == "2026-01-31T12:00:03.000Z"
    failed = doc["steps"][3]
    assert (failed["failed_task"], failed["error"]) == ("Run the smoke test", "Job web-smoke failed: exit code 1")
    # Every task is recorded, with the step it belongs to (or none: bookkeeping at the top level).
    assert [(t["name"], t["step"], t["status"]) for t in doc["tasks"]][:5] == [
        ("Preflight | confirmation", 0, "ok"), ("Drill | 1. status before", 1, "ok"), ("Describe the EKS clusters", 1, "ok"),
        ("Build the status report", 1, "ok"), ("Drill | note the status", None, "ok")]
    assert doc["tasks"][2]["role"] == "cloudops.runbooks.status" and doc["tasks"][2]["duration_seconds"] == 1.4
    assert doc["run"]["duration_seconds"] == 7.3 and doc["run"]["playbook"] == "playbooks/failover_drill.yml"
    assert not hasattr(model, "STEP_RE") and not hasattr(model, "parse_step_name")


def test_gates_come_from_the_step_summary_the_modules_return(drill, drill_summary, drill_report):
    doc = document(drill, drill_summary, drill_report)
    assert doc["gates"] == [
        {"name": "lag at promotion", "passed": True, "detail": "lag 2.0 s within the RPO budget 60 s", "module": "rds_promote",
         "numbers": {"lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "duration_seconds": 0.5, "lag_verdict": "within",
                     "promoted": True, "overridden": False},
         "task": "Drill | 2. promote the DR replica (lag gate)", "step": 2},
        {"name": "job web-smoke", "passed": False, "detail": "failed", "module": "k8s_job_run",
         "numbers": {"outcome": "failed", "succeeded": 0, "failed": 1, "duration_seconds": 1.2}, "task": "Run the smoke test", "step": 3},
    ]
    # The promoted instance's endpoint was in the result: not in the step summary, so not recorded anywhere.
    assert "5433" not in repr(doc["gates"]) + repr(doc["tasks"]) + repr(doc["steps"])


def test_no_gate_is_read_from_a_censored_result_another_collections_module_or_a_skipped_loop_item():
    gate = {"name": "lag at promotion", "passed": True, "detail": None, "numbers": {"lag_at_promotion_seconds": 1.0}}
    promote = {"step_summary": {"detail": "promoted", "measures": {}, "gates": [gate]}}
    assert model.extract_gates("cloudops.runbooks.rds_promote", dict(promote, _ansible_no_log=True)) == []
    assert model.extract_gates("cloudops.runbooks.rds_promote", {"censored": "hidden", "changed": True}) == []
    assert model.extract_gates("amazon.aws.rds_instance", promote) == []
    looped = {"results": [{"skipped": True}, dict(promote, item=1), {"censored": "x", "_ansible_no_log": True}]}
    assert [g["numbers"]["lag_at_promotion_seconds"] for g in model.extract_gates("rds_promote", looped)] == [1.0]
    # Only the gate's keys are kept, numbers only scalars; a gate with nothing to say is left out.
    odd = {"step_summary": {"gates": [dict(gate, numbers={"a": 1, "nested": {"b": 2}}, extra="x"),
                                      {"name": "empty", "passed": None, "detail": None, "numbers": {}}, "not a gate"]}}
    assert model.extract_gates("cloudops.runbooks.rds_promote", odd) == [
        {"name": "lag at promotion", "passed": True, "detail": None, "numbers": {"a": 1}, "module": "rds_promote"}]


def test_a_run_without_recorded_steps_gets_one_step_per_top_level_item_that_does_work(new_run):
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
        (1, None, "Preflight | the inventory defines the estate", "ok", 1.0), (2, None, "Snapshot and copy to the DR region", "changed", 3.1)]
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


def test_a_check_mode_state_after_is_labelled_a_prediction():
    report = {"check_mode": True, "services": [{"service": "web", "sides": [{"side": "primary", "revision_before": 1, "revision_after": 2}]}]}
    assert model.run_state("deploy", report)["after_label"] == "after (predicted: check mode)"
    assert model.run_state("deploy", dict(report, check_mode=False))["after_label"] == "after"


# -- steps as data (runbook_step) ---------------------------------------------------------------------------------------
def test_recorded_steps_are_the_runs_steps_in_order_numbered_within_their_phase(recorded_drill, drill_summary, drill_report):
    doc = document(recorded_drill, drill_summary, drill_report)
    assert doc["steps_basis"] == "recorded"
    assert [(s["phase"], s["number"], s["step"], s["title"], s["status"], s["tasks"]) for s in doc["steps"]] == [
        ("drill", 1, "status_before", "status before", "ok", 1),
        ("drill", 2, "promote", "promote the DR replica (lag gate)", "changed", 1),
        ("drill", 3, "smoke_test", "smoke-test the application on DR", "failed", 1),
        ("failback", 1, "dns_back", "put Route 53 back as recorded", "skipped", 1),
    ]
    status_before, promote, smoke, dns_back = doc["steps"]
    # The step's times are those it recorded (the module's run), inside its task's.
    assert (status_before["started_at"], status_before["finished_at"], status_before["duration_seconds"]) == (
        "2026-01-31T12:00:01.050Z", "2026-01-31T12:00:02.950Z", 1.9)
    assert status_before["start_offset_seconds"] == 1.05
    assert (status_before["detail"], status_before["measures"], status_before["module"]) == (
        "estate collected", {"regions": 2}, "cloudops.runbooks.estate_status")
    assert promote["detail"] == "promoted: lag 2.0 s within the RPO budget 60 s" and promote["changed"] is True
    assert promote["measures"] == {"lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "duration_seconds": 0.5}
    assert (smoke["failed_task"], smoke["error"], smoke["detail"]) == (
        "Smoke test", "Job web-smoke failed: exit code 1", "job web-smoke: failed in 1.2 s")
    # A step skipped by `when` recorded nothing: it is named by what its task declared.
    assert (dns_back["module"], dns_back["detail"], dns_back["measures"]) == ("cloudops.runbooks.route53_failover_switch", None, {})
    # Tasks that are not runbook steps belong to no step.
    assert [(t["name"], t["step"]) for t in doc["tasks"]] == [
        ("Preflight | confirmation", None), ("Collect the status before", 0), ("Drill | note the status", None), ("Promote", 1),
        ("Smoke test", 2), ("Drill | keep what failed (the failback still runs)", None), ("Put Route 53 back", 3)]


def test_recorded_gates_belong_to_their_step_and_are_not_counted_twice(recorded_drill, drill_summary, drill_report):
    doc = document(recorded_drill, drill_summary, drill_report)
    assert [(g["name"], g["module"], g["passed"], g["step"], g["task"]) for g in doc["gates"]] == [
        ("lag at promotion", "rds_promote", True, 1, "Promote"), ("job web-smoke", "k8s_job_run", False, 2, "Smoke test")]
    assert all("recorded" not in g for g in doc["gates"])


def test_renaming_a_task_does_not_change_the_report(new_run, promoted, drill_summary, drill_report):
    def run(name):
        r = new_run()
        r.step("a", name, "promote", "failover", "promote the DR replica", module="cloudops.runbooks.rds_promote", result=promoted)
        return document(r.end(), drill_summary, drill_report)

    first, second = run("Failover | 3. promote"), run("Promote, renamed")
    strip = ("name", "failed_task")
    assert [dict((k, v) for k, v in s.items() if k not in strip) for s in first["steps"]] == [
        dict((k, v) for k, v in s.items() if k not in strip) for s in second["steps"]]
    assert first["steps_basis"] == second["steps_basis"] == "recorded" and first["steps"][0]["number"] == 1


def test_a_loop_of_steps_a_no_log_step_and_a_refused_step(new_run, drill_summary, drill_report):
    r = new_run()
    one = steps.make_step("scale", 1.0, 2.0, phase="failover", title="scale primary", result={"changed": True, "step_summary": {
        "detail": "primary scaled", "gates": [{"name": "nodes primary", "passed": True, "numbers": {"ready": 3}}]}})
    two = steps.make_step("scale", 2.0, 3.5, phase="failover", title="scale dr", result={"changed": False, "step_summary": {
        "gates": [{"name": "nodes dr", "passed": False, "numbers": {"ready": 1}}]}})
    r.task("l", "Scale each side", action="cloudops.runbooks.runbook_step", status="changed",
           result={"changed": True, "results": [{"changed": True, "cloudops_step": one}, {"changed": False, "cloudops_step": two}]},
           args={"step": "scale", "phase": "failover", "title": "scale {{ item }}"})
    r.task("h", "Read the secret", action="cloudops.runbooks.runbook_step", result={"censored": "hidden", "changed": False},
           args={"step": "secret", "phase": "failover", "title": "read the secret"})
    r.task("x", "Bad step", action="cloudops.runbooks.runbook_step", status="failed",
           result={"failed": True, "msg": "runbook_step: step must be an id of lower-case letters, digits and _ (such as promote), got 'Bad Id'."},
           args={"step": "Bad Id"})
    doc = document(r.end(), drill_summary, drill_report)
    assert [(s["number"], s["step"], s["title"], s["status"], s["detail"]) for s in doc["steps"]] == [
        (1, "scale", "scale primary", "changed", "primary scaled"), (2, "scale", "scale dr", "ok", None),
        (3, "secret", "read the secret", "ok", None), (1, "Bad Id", "Bad step", "failed", None)]
    assert doc["steps"][3]["error"].startswith("runbook_step: step must be an id") and doc["steps"][3]["phase"] is None
    assert [(g["name"], g["step"]) for g in doc["gates"]] == [("nodes primary", 0), ("nodes dr", 1)]


def test_a_step_that_began_earlier_spans_the_tasks_since_then_with_their_gates(new_run, drill_summary, drill_report):
    r = new_run()
    r.task("a", "Lock", action="cloudops.runbooks.runbook_lock", seconds=0.5)
    since = r.t
    r.task("b", "Audit DR readiness", action="cloudops.runbooks.dr_readiness_info", seconds=2.0, result={"step_summary": {
        "gates": [{"name": "replica_lag", "passed": True, "numbers": {"lag_seconds": 2.0}}]}})
    r.task("c", "Keep the plan", seconds=0.2)
    r.step("d", "Preflight", "preflight", "preflight", "readiness audit", seconds=0.1, since=since)
    r.task("e", "After the step", action="cloudops.runbooks.dr_readiness_info", seconds=1.0, result={"step_summary": {
        "gates": [{"name": "late", "passed": False}]}})
    doc = document(r.end(), drill_summary, drill_report)
    [step] = doc["steps"]
    assert (step["tasks"], step["start_offset_seconds"], step["duration_seconds"]) == (3, 0.5, 2.25)
    assert [(t["name"], t["step"]) for t in doc["tasks"]] == [
        ("Lock", None), ("Audit DR readiness", 0), ("Keep the plan", 0), ("Preflight", 0), ("After the step", None)]
    assert [(g["name"], g["step"]) for g in doc["gates"]] == [("replica_lag", 0), ("late", None)]


def test_a_recorded_document_validates_against_the_published_schema(recorded_drill, drill_summary, drill_report):
    jsonschema = pytest.importorskip("jsonschema")
    doc = prepare(document(recorded_drill, drill_summary, drill_report), Redactor())
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)


def test_progress_names_a_step_by_its_declared_title_and_module_and_a_task_by_the_block_around_it(new_run):
    r = new_run()
    r.recorder.task_start("s", "Promote", r.t, action="cloudops.runbooks.runbook_step",
                          declared=model.declared_step("cloudops.runbooks.runbook_step", {
                              "step": "promote", "phase": "failover", "title": "promote {{ db }}", "module": "cloudops.runbooks.rds_promote"}))
    r.recorder.task_start("t", "Write the markers", r.t, action="cloudops.runbooks.rds_drill_markers",
                          lineage=[("t", "Write the markers"), ("b", "Drill | 2. write markers")])
    r.recorder.task_start("u", "Wait", r.t, action="ansible.builtin.pause", lineage=[("u", "Wait")])
    labels = [model.progress_of(t) for t in r.recorder.tasks]
    assert labels == [("failover | Promote", "cloudops.runbooks.rds_promote"),
                      ("Drill | 2. write markers: Write the markers", "cloudops.runbooks.rds_drill_markers"), ("Wait", "ansible.builtin.pause")]
    assert model.declared_step("ansible.builtin.debug", {"step": "x"}) is None


def test_a_drill_has_a_verdict_row_per_state_store():
    rpo = {"seconds": 1.0, "rows": 2, "budget_seconds": 60, "within_budget": False, "definition": "d",
           "stores": [{"kind": "cache", "resource": "shop-cache-dr", "moment": "promoted", "written": 8, "rows": 0, "seconds": 0.0,
                       "within_budget": True},
                      {"kind": "bucket", "resource": "assets-dr", "moment": "cut", "written": 8, "rows": 8, "seconds": 75.0,
                       "within_budget": False}]}
    verdicts = model.run_measures("failover_drill", {}, {"rpo": rpo, "rto": {}})["verdicts"]
    assert verdicts[2:] == [
        {"name": "RPO: markers the DR cache shop-cache-dr lacked once promoted", "value": "0 of 8 keys, 0.0 s", "budget": "60 s",
         "verdict": "within budget"},
        {"name": "RPO: markers the DR bucket assets-dr lacked at the cut", "value": "8 of 8 objects, 75.0 s", "budget": "60 s",
         "verdict": "over budget"}]
    assert len(model.run_measures("failover_drill", {}, {"rpo": dict(rpo, stores=[]), "rto": {}})["verdicts"]) == 2
