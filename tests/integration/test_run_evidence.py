# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A real failover drill and the run_evidence callback's record of it: the drill measures the RTO and the RPO and leaves
the estate as the status runbook found it before (read back from the sandbox); the run directory's four files, the
JSON against its published schema, the steps, the RTO and RPO, JUnit that parses, an HTML page with the timeline and
the figures, progress lines, and no seeded secret in any file or in the output. One drill serves every test."""

from __future__ import annotations

import importlib.util
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import jsonschema
import pytest

from conftest import BIN, REPO, ansible_env, comparable, ok, sandbox_cli
from test_failover_playbooks import DR, Runbooks, markers

# Seeded secrets: the AWS secret key the run gets (moto accepts any), and the database master password the sandbox keeps
# in Secrets Manager (shop/db/master), which the drill's modules read to write and read the markers.
AWS_SECRET = "cloudops-seeded-aws-secret-5b1f0e9d"
DB_PASSWORD = "sandbox-only-password"
FILES = ["junit.xml", "report.html", "report.json", "report.md"]


def load_schema():
    path = REPO / "plugins" / "plugin_utils" / "evidence_schema.py"
    spec = importlib.util.spec_from_file_location("evidence_schema", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.SCHEMA


@pytest.fixture(scope="module")
def drill(sandbox, collections_path, tmp_path_factory):
    """One drill, with a replica 15 s behind (so markers are lost) and the seeded secrets, between two runs of the
    status runbook; the estate it leaves is read back (RDS, Route 53, EKS, the DR cluster, the markers) before the
    sandbox is reset."""
    tmp = tmp_path_factory.mktemp("evidence")
    runs, report = tmp / "runs", tmp / "drill-report.json"
    estate = Runbooks(sandbox, collections_path, tmp)
    # 15 s, not less: on a loaded machine the promotion can come several seconds after the last marker, and a replica
    # that caught up by then would lose nothing.
    sandbox_cli(sandbox["state"], "knob", "replica-lag", "--seconds", "15")
    env = ansible_env(collections_path, dict(sandbox["env"], AWS_SECRET_ACCESS_KEY=AWS_SECRET), PYTHONUNBUFFERED="1",
                      CLOUDOPS_RUN_EVIDENCE_PROGRESS_INTERVAL="2")
    env.pop("CLOUDOPS_RUN_EVIDENCE_DIR", None)
    variables = {"cloudops_run_dir_root": str(runs), "drill_report_path": str(report)}
    try:
        before = estate.status()
        proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/failover_drill.yml", "-i", "inventories/sandbox",
                               "-e", json.dumps(variables)], cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
        ok(proc)
        drill_report = json.loads(report.read_text())
        after = {"status": estate.status(), "replica": estate.instance("shop-db-dr", DR), "pair": estate.failover_pair(),
                 "scaling": estate.scaling(), "dr_replicas": estate.dr_replicas("shop-blue"),
                 "secret": estate.dr_object("Secret", "shop-db"), "markers": markers(estate, drill_report["run_id"]),
                 "record": estate.record()}
    finally:
        sandbox_cli(sandbox["state"], "reset")
    return {"proc": proc, "runs": runs, "report": drill_report, "dir": runs / drill_report["run_id"], "before": before,
            "after": after}


def evidence(drill, name):
    return (drill["dir"] / name).read_text(encoding="utf-8")


def step_label(step):
    return "%s | %d. %s" % (step["phase"], step["number"], step["title"])


def steps_by_id(doc):
    return dict(((s["phase"], s["step"]), s) for s in doc["steps"])


def test_the_run_directory_holds_the_four_files(drill):
    assert [p.name for p in drill["runs"].iterdir()] == [drill["report"]["run_id"]]
    assert sorted(p.name for p in drill["dir"].iterdir()) == FILES
    assert "Run evidence: %s/ (report.json, report.md, junit.xml, report.html)" % drill["dir"] in drill["proc"].stdout


def test_the_drill_measures_rto_and_rpo_and_leaves_the_estate_as_before(drill):
    report, after = drill["report"], drill["after"]
    assert (report["outcome"], report["resumed"]) == ("passed", False), report.get("error")
    # The estate is back: the status runbook's report equals the one before (only volatile fields differ), as does
    # the drill's own status after.
    assert comparable(report["status_after"]) == comparable(drill["before"]) == comparable(after["status"])
    assert report["status"] == {"compared": True, "equal": True, "differences": [],
                                "ignored": ["collected_at", "rds.replica.endpoint", "rds.*.replica_lag_seconds"]}
    assert after["replica"]["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:shop-db")
    assert after["pair"] == {"primary": "PRIMARY", "dr": "SECONDARY"}
    assert after["scaling"] == {"minSize": 1, "maxSize": 6, "desiredSize": 1} and after["dr_replicas"] == 1
    assert after["secret"] is None  # the cutover created it, the failback deleted it
    assert after["markers"] == 0  # purged
    assert after["record"]["outcome"] == "completed"

    # RTO and RPO, measured: the RPO by the markers the promoted database lacked.
    rto, rpo = report["rto"], report["rpo"]
    assert 0 < rto["seconds"] <= 900 and rto["within_budget"]
    assert rpo["markers_written"] == 8 and 1 <= rpo["rows"] <= 8 and rpo["rows"] == len(rpo["missing_seqs"])
    assert rpo["missing_seqs"] == list(range(9 - rpo["rows"], 9))  # the newest ones, in sequence
    assert 0 < rpo["seconds"] <= 60 and rpo["within_budget"]
    phases = [(s["phase"], s["step"]) for s in report["steps"]]
    assert phases == [("preflight", "preflight")] + [("failover", s) for s in (
        "status_before", "markers", "promote", "scale", "app_db", "dns", "verify", "smoke_test", "dns_insync")] + [
        ("failback", s) for s in ("dns", "markers", "replica", "app_db", "scale", "status_after")]
    assert all(s["duration_seconds"] >= 0 for s in report["steps"])
    markdown = evidence(drill, "report.md")
    assert "# FAILOVER DRILL of sandbox: PASSED" in markdown and "Estate after the failback equals before | yes" in markdown
    assert "FAILOVER DRILL of sandbox: PASSED" in drill["proc"].stdout


def test_report_json_validates_against_the_published_schema_and_carries_the_summary(drill):
    doc = json.loads(evidence(drill, "report.json"))
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    report = drill["report"]
    assert doc["schema_version"] == 1 and doc["report"] == report
    assert doc["summary"] == {"schema_version": 1, "runbook": "failover_drill", "environment": "sandbox", "run_id": report["run_id"],
                              "outcome": "passed", "status": "succeeded", "rto_seconds": report["rto"]["seconds"],
                              "rpo_seconds": report["rpo"]["seconds"], "rpo_rows": report["rpo"]["rows"], "changes": [],
                              "run_dir": str(drill["dir"])}
    run = doc["run"]
    assert (run["runbook"], run["status"], run["outcome"], run["check_mode"]) == ("failover_drill", "succeeded", "passed", False)
    assert run["duration_seconds"] > 30 and doc["hosts"]["localhost"]["failures"] == 0


def test_the_steps_are_the_steps_the_drill_recorded_in_order_with_their_times(drill):
    doc = json.loads(evidence(drill, "report.json"))
    own = drill["report"]["steps"]  # the drill's runbook_steps, as data
    assert doc["steps_basis"] == "recorded"
    assert [(s["phase"], s["step"], s["title"]) for s in doc["steps"]] == [(s["phase"], s["step"], s["title"]) for s in own]
    assert [s["step"] for s in doc["steps"] if s["phase"] == "failover"][:4] == ["status_before", "markers", "promote", "scale"]
    assert all(s["status"] in ("ok", "changed") and s["duration_seconds"] >= 0 for s in doc["steps"])
    offsets = [s["start_offset_seconds"] for s in doc["steps"]]
    # (the preflight step begins at the run's start time, which the runbook may keep to the second)
    assert offsets == sorted(offsets) and offsets[0] > -1
    # Numbered within their phase; the status is one module process (its step spans the reads since the last step).
    assert [s["number"] for s in doc["steps"] if s["phase"] == "failback"] == list(range(1, 1 + len([s for s in own if s["phase"] == "failback"])))
    # The status before is read once, with the readiness, under the lock (one estate_status task); the plan, which the
    # reads decide, records it after the preflight step.
    status_before = steps_by_id(doc)[("failover", "status_before")]
    assert status_before["module"] == "cloudops.runbooks.estate_status"
    assert [t["action"] for t in doc["tasks"] if t["action"].endswith("estate_status")] == ["cloudops.runbooks.estate_status"]
    preflight = steps_by_id(doc)[("preflight", "preflight")]
    in_step = [t["action"] for t in doc["tasks"] if t["step"] == preflight["index"]]
    assert "cloudops.runbooks.failover_plan" in in_step and status_before["tasks"] == 1
    # The report's step timings are the runbook's own (the same data).
    for mine, theirs in zip(doc["steps"], own):
        assert abs(mine["duration_seconds"] - theirs["duration_seconds"]) < 0.002 and mine["started_at"] == theirs["started_at"]


def test_gates_carry_the_numbers_the_modules_returned(drill):
    doc = json.loads(evidence(drill, "report.json"))
    gates = dict(((doc["steps"][g["step"]]["step"], g["name"]), g) for g in doc["gates"] if g["step"] is not None)
    lag = gates[("promote", "lag at promotion")]
    assert (lag["module"], lag["passed"], lag["numbers"]["lag_at_promotion_seconds"]) == (
        "rds_promote", True, drill["report"]["rpo"]["lag_at_promotion_seconds"])
    assert gates[("smoke_test", "job failover-smoke")]["passed"] is True
    markers = gates[("verify", "markers on shop-db-dr")]["numbers"]
    assert (markers["written_count"], markers["rpo_rows"]) == (8, drill["report"]["rpo"]["rows"])
    verify = steps_by_id(doc)[("failover", "verify")]
    assert (verify["measures"]["written"], verify["measures"]["rpo_rows"]) == (8, drill["report"]["rpo"]["rows"])


def test_rto_and_rpo_are_measured_and_placed_on_the_timeline(drill):
    doc = json.loads(evidence(drill, "report.json"))
    rto, rpo, report = doc["measures"]["rto"], doc["measures"]["rpo"], drill["report"]
    assert (rto["seconds"], rto["budget_seconds"], rto["within_budget"]) == (report["rto"]["seconds"], 900, True)
    # The RTO runs from the cut to DR serving: the smoke test passed and the DNS change INSYNC, whichever came later.
    assert (rto["started_at"], rto["ended_at"]) == (report["cut_at"], report["serving_at"])
    assert report["serving_at"] >= report["smoke_passed_at"]
    assert (rpo["seconds"], rpo["rows"], rpo["budget_seconds"], rpo["estimated"]) == (report["rpo"]["seconds"], report["rpo"]["rows"], 60, False)
    assert 1 <= rpo["rows"] <= 8
    assert doc["state"]["compared"] and doc["state"]["equal"] and doc["state"]["has_before"] and doc["state"]["has_after"]
    assert [r["path"] for r in doc["state"]["rows"] if r["differs"] and not r["ignored"]] == []


def test_junit_parses_one_testcase_per_step(drill):
    doc = json.loads(evidence(drill, "report.json"))
    root = ET.fromstring(evidence(drill, "junit.xml").encode("utf-8"))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == [step_label(s) for s in doc["steps"]]
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (str(len(doc["steps"])), "0", "0")
    props = dict((p.get("name"), p.get("value")) for p in suite.find("properties"))
    assert float(props["rto.seconds"]) == drill["report"]["rto"]["seconds"] and props["rpo.rows"] == str(drill["report"]["rpo"]["rows"])
    promote = [c for c, s in zip(cases, doc["steps"]) if s["step"] == "promote"][0]
    assert dict((p.get("name"), p.get("value")) for p in promote.find("properties"))["gate.lag at promotion.passed"] == "yes"


def test_the_html_page_has_the_svg_timeline_and_the_figures_and_nothing_external(drill):
    page = evidence(drill, "report.html")
    rto, rpo = drill["report"]["rto"], drill["report"]["rpo"]
    steps = json.loads(evidence(drill, "report.json"))["steps"]
    assert page.count("<svg") == 1 and page.count('class="step step-') == len(steps)
    assert 'class="rto-marker"' in page and 'class="rpo-marker"' in page
    assert "RTO %.1f s (budget 900 s)" % rto["seconds"] in page
    assert "RPO %.1f s, %d row" % (rpo["seconds"], rpo["rows"]) in page
    assert '<div class="label">RTO</div><div class="value">%.1f s</div>' % rto["seconds"] in page
    assert "<script" not in page.lower() and "<link" not in page.lower() and "<img" not in page.lower()
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert "Compared: <strong>equal</strong>" in page


def test_markdown_for_a_ticket(drill):
    text = evidence(drill, "report.md")
    assert text.startswith("# FAILOVER DRILL of sandbox: PASSED\n")
    assert "| Estate after the failback equals before | yes | - | equal |" in text
    promote = steps_by_id(json.loads(evidence(drill, "report.json")))[("failover", "promote")]
    assert "| %d | %s |" % (promote["index"] + 1, step_label(promote).replace("|", "\\|")) in text


def test_long_waits_print_progress_lines(drill):
    # The markers are written over the drill's interval (a few seconds): the step runs past the 2 s interval of this run.
    assert re.search(r"\u2026 failover \| markers written to the primary - \d+ s, waiting for the marker rows", drill["proc"].stdout)


def test_no_seeded_secret_in_any_file_or_in_the_output(drill):
    texts = dict((p.name, p.read_text(encoding="utf-8")) for p in drill["dir"].iterdir())
    texts["stdout"], texts["stderr"] = drill["proc"].stdout, drill["proc"].stderr
    assert all(len(texts[name]) > 1000 for name in FILES)
    for name, text in texts.items():
        for secret in (AWS_SECRET, DB_PASSWORD):
            assert secret not in text, "%s found in %s" % (secret, name)


# -- the callback on a small playbook, no sandbox ----------------------------------------------------------------------
PROBE_SECRETS = {"probe_password": "pw-in-a-result-4c2e", "probe_hidden_value": "hidden-under-no-log-91ad"}
PROBE_TOKEN = "tok-from-the-environment-77f0"


def run_probe(collections_path, root, **env_extra):
    env = ansible_env(collections_path, {}, PROBE_API_TOKEN=PROBE_TOKEN, CLOUDOPS_RUN_EVIDENCE_PROGRESS_INTERVAL="1", **env_extra)
    env.pop("CLOUDOPS_RUN_EVIDENCE_DIR", None)
    variables = dict(PROBE_SECRETS, probe_root=str(root), ansible_python_interpreter=sys.executable)
    return subprocess.run([str(BIN / "ansible-playbook"), "tests/integration/playbooks/run_evidence_probe.yml", "-i", "localhost,",
                           "-e", json.dumps(variables)], cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


def test_secrets_learned_from_a_result_or_the_environment_are_masked_and_no_log_results_never_read(collections_path, tmp_path):
    proc = run_probe(collections_path, tmp_path / "runs")
    ok(proc)
    run_dir = tmp_path / "runs" / "status-probe-20260101T000000"
    assert sorted(p.name for p in run_dir.iterdir()) == FILES
    doc = json.loads((run_dir / "report.json").read_text())
    failed = [t for t in doc["tasks"] if t["status"] == "failed"]
    assert [(t["name"], t["error"]) for t in failed] == [("Fail with both secrets in the message",
                                                        "could not connect as probe with ******** (********)")]
    # The probe records no step as data: one step per top-level item that does more than bookkeeping, titled with its
    # name (task names are not parsed); set_fact, fail and debug items are not steps.
    assert [(s["title"], s["status"]) for s in doc["steps"]] == [("Probe | 1. wait a little", "ok")]
    assert doc["steps"][0]["duration_seconds"] >= 3 and doc["redaction"]["masked"] >= 2
    for path in run_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        for secret in list(PROBE_SECRETS.values()) + [PROBE_TOKEN]:
            assert secret not in text, "%s in %s" % (secret, path.name)
    # The progress lines are ours: the step and what it waits for, every second of this run's interval.
    lines = [line for line in proc.stdout.splitlines() if line.startswith(u"\u2026 ")]
    assert lines and all(re.match(r"^\u2026 Probe \| 1\. wait a little - \d s, waiting for Probe \| 1\. wait a little$", line) for line in lines)


def test_with_a_json_stdout_callback_the_output_stays_json_and_the_evidence_is_written(collections_path, tmp_path):
    proc = run_probe(collections_path, tmp_path / "runs", ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json")
    ok(proc)
    out = json.loads(proc.stdout)
    assert out["stats"]["localhost"]["rescued"] == 1
    assert (tmp_path / "runs" / "status-probe-20260101T000000" / "report.json").is_file()


def test_a_run_directory_that_cannot_be_written_is_a_warning_not_a_failed_run(collections_path, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    proc = run_probe(collections_path, blocker / "runs")
    ok(proc)
    assert "cloudops.runbooks.run_evidence: v2_playbook_on_stats failed" in " ".join(proc.stderr.split())
