# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run directory written by a runbook's close when the run_evidence callback is not enabled (evidence_files)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_files
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import Redactor
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_schema import SCHEMA

T0 = steps.epoch("2026-01-31T12:00:00Z")
SUMMARY = {"schema_version": 1, "runbook": "failover_drill", "environment": "sandbox", "run_id": "drill-sandbox-1",
           "outcome": "passed", "status": "succeeded", "rto_seconds": 9.5, "rpo_seconds": 0.0, "rpo_rows": 0, "changes": [],
           "run_dir": "runs/drill-sandbox-1"}


def step(name, phase, start, seconds, outcome="changed", gates=None, error=None):
    made = steps.make_step(name, T0 + start, T0 + start + seconds, phase=phase, title="the %s step" % name,
                           module="cloudops.runbooks.%s" % name, detail="%s done" % name, measures={"n": 1}, gates=gates)
    made.update(outcome=outcome, error=error)
    return made


RECORDED = [step("promote", "failover", 1, 3.0, gates=[steps.gate("lag", True, "lag 2 s", {"lag_s": 2})]),
            step("dns", "failover", 4, 2.0), step("replica", "failback", 7, 5.0, outcome="ok")]
REPORT = {"kind": "drill", "environment": "sandbox", "run_id": "drill-sandbox-1", "outcome": "passed", "check_mode": False,
          "rto": {"seconds": 9.5, "budget_seconds": 900, "within_budget": True, "definition": "cut to serving"},
          "rpo": {"seconds": 0.0, "rows": 0, "budget_seconds": 60, "within_budget": True, "definition": "markers lost"},
          "status": {"compared": True, "equal": True, "ignored": [], "differences": []},
          "steps": [dict(s, result=s["outcome"]) for s in RECORDED], "next_steps": [],
          "secrets": {"password": "sandbox-only-password"}}


@pytest.mark.parametrize("setting, enabled", [
    (["cloudops.runbooks.run_evidence"], True), ("ansible.posix.profile_tasks, cloudops.runbooks.run_evidence", True),
    ([], False), (None, False), (["run_evidence"], False), ("ansible.posix.profile_tasks", False)])
def test_the_callback_is_enabled_only_by_its_full_name(setting, enabled):
    assert evidence_files.callback_enabled(setting) is enabled


def test_the_run_directory_is_the_summarys_or_under_the_operators_root(tmp_path):
    assert evidence_files.run_directory(dict(SUMMARY, run_dir=str(tmp_path / "runs" / "x"))) == str(tmp_path / "runs" / "x")
    assert evidence_files.run_directory(SUMMARY, str(tmp_path)) == str(tmp_path / "drill-sandbox-1")
    assert evidence_files.run_directory(dict(SUMMARY, run_dir="")) == ""


def test_the_recorded_steps_become_the_documents_steps_with_their_gates_and_no_task_timeline():
    doc = evidence_files.document_without_callback(SUMMARY, REPORT, RECORDED, started=T0, finished=T0 + 13,
                                                   ansible_version="2.19.1", collection_version="0.1.0", run_dir="/x/runs/d")
    assert doc["steps_basis"] == "recorded" and doc["tasks"] == []
    assert [(s["phase"], s["number"], s["step"], s["status"], s["duration_seconds"]) for s in doc["steps"]] == [
        ("failover", 1, "promote", "changed", 3.0), ("failover", 2, "dns", "changed", 2.0), ("failback", 1, "replica", "ok", 5.0)]
    assert doc["steps"][0]["start_offset_seconds"] == 1.0 and doc["steps"][0]["measures"] == {"n": 1}
    assert [(g["name"], g["passed"], g["step"], g["module"]) for g in doc["gates"]] == [("lag", True, 0, "promote")]
    assert doc["run"]["duration_seconds"] == 13.0 and doc["run"]["run_dir"] == "/x/runs/d"
    assert doc["measures"]["rto"]["seconds"] == 9.5
    assert "callback was not enabled" in doc["generator"]["recorded_by"]


def test_without_recorded_steps_the_reports_own_steps_are_used():
    doc = evidence_files.document_without_callback(SUMMARY, REPORT, [], started=T0, finished=T0 + 13)
    assert [s["step"] for s in doc["steps"]] == ["promote", "dns", "replica"]


def test_a_failed_step_is_failed_with_its_error():
    failed = [step("promote", "failover", 0, 1.0, outcome="failed", error="lag 300 s over the budget")]
    doc = evidence_files.document_without_callback(dict(SUMMARY, status="failed"), None, failed, started=T0, finished=T0 + 2)
    assert doc["steps"][0]["status"] == "failed" and doc["steps"][0]["error"] == "lag 300 s over the budget"


def test_a_run_with_no_step_at_all_still_gets_its_document():
    summary = dict(SUMMARY, runbook="status", outcome="collected", rto_seconds=None, rpo_seconds=None, rpo_rows=None)
    doc = evidence_files.document_without_callback(summary, {"environment": "sandbox", "eks": {"primary": "ACTIVE"}}, None,
                                                   started=T0, finished=T0 + 1)
    assert doc["steps"] == []
    assert doc["state"]["rows"][-1] == {"path": "eks.primary", "before": None, "after": "ACTIVE", "differs": False, "ignored": False}


def test_the_four_files_are_written_redacted_and_report_json_follows_the_schema(tmp_path):
    jsonschema = pytest.importorskip("jsonschema")
    doc = evidence_files.document_without_callback(SUMMARY, REPORT, RECORDED, started=T0, finished=T0 + 13,
                                                   ansible_version="2.19.1", run_dir=str(tmp_path / "d"))
    names = evidence_files.write_run_dir(doc, Redactor(), str(tmp_path / "d"))
    assert names == ["report.json", "report.md", "junit.xml", "report.html"]
    assert sorted(p.name for p in (tmp_path / "d").iterdir()) == sorted(names)
    written = json.loads((tmp_path / "d" / "report.json").read_text())
    jsonschema.Draft202012Validator(SCHEMA).validate(written)
    for name in names:
        assert "sandbox-only-password" not in (tmp_path / "d" / name).read_text()


def test_the_collection_version_comes_from_the_manifest_or_galaxy_yml(tmp_path):
    (tmp_path / "galaxy.yml").write_text("namespace: cloudops\nversion: 1.2.3\n")
    assert evidence_files.collection_version(str(tmp_path)) == "1.2.3"
    (tmp_path / "MANIFEST.json").write_text(json.dumps({"collection_info": {"version": "2.0.0"}}))
    assert evidence_files.collection_version(str(tmp_path)) == "2.0.0"
    assert evidence_files.collection_version(str(tmp_path / "nowhere")) is None
