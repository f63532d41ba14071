# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seven runbooks run as AWX runs them: ansible-runner's Python API (the engine of AWX's jobs, project_dir the
repository so its ansible.cfg applies), extra vars as each job template's survey sends them (awx/surveys/*.yml: typed
answers, the defaults AWX adds, the confirmation naming the environment) plus AWX's job variables. Checked: what an AWX
job keeps (status, rc, stdout, job events, the set_stats artifacts with `cloudops_summary`) and the run directory the
run_evidence callback writes for the run id the summary names; no seeded secret in the output, the events or the files.

Order: status (read-only); backup then the restore test of its snapshot; deploy then its rollback; the drill (a
session fixture, shared with test_report_render.py); the prod drill refused without its confirmation (no sandbox);
the failover last. Each pair that changes the estate ends with one sandbox reset."""

from __future__ import annotations

import importlib.util
import json
import re
import socket
import xml.etree.ElementTree as ET

import jsonschema

from awx_runner import (AWS_SECRET, DB_PASSWORD, FILES, PROGRESS_INTERVAL, awx_job_vars, load_report, run_job, runner_env,
                        survey_extravars)
from conftest import REPO, flat


def _plugin_utils(name):
    """A stdlib-only module of plugins/plugin_utils (the summary's runbook table, the report schema)."""
    spec = importlib.util.spec_from_file_location(name, REPO / "plugins" / "plugin_utils" / ("%s.py" % name))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


SUMMARY = _plugin_utils("evidence_summary")
RENDER = _plugin_utils("evidence_render")
SCHEMA = _plugin_utils("evidence_schema").SCHEMA


def extravars(runbook, answers=None, environment="sandbox", **job):
    return dict(survey_extravars(runbook, environment, answers or {}), **awx_job_vars(runbook, environment, **job))


def assert_no_secret(job, run_dir=None):
    texts = dict(job.event_texts(), stdout=job.stdout)
    if run_dir is not None:
        texts.update((p.name, p.read_text(encoding="utf-8")) for p in run_dir.iterdir())
    for name, text in texts.items():
        for secret in (AWS_SECRET, DB_PASSWORD):
            assert secret not in text, "%s found in %s" % (secret, name)


def check_job(job, runbook, evidence, outcome, status="succeeded"):
    """What every finished AWX job of a runbook leaves: the runner's status and rc, the summary and the runbook's own
    report as set_stats artifacts, the four evidence files for the summary's run id (they agree with the artifacts),
    the callback's line in the job's stdout, no seeded secret anywhere. Returns report.json."""
    assert (job.status, job.rc) == ("successful", 0), job.explain()
    assert ((job.artifacts / "status").read_text(), (job.artifacts / "rc").read_text()) == ("successful", "0")
    command = json.loads((job.artifacts / "command").read_text())
    assert command["cwd"] == str(REPO) and command["command"][0] == "ansible-playbook"  # from the project, ansible.cfg there
    stats = job.runner.stats
    assert stats["failures"] == {} and stats["dark"] == {} and stats["ok"]["localhost"] > 0

    summary = job.summary
    assert summary is not None, "no cloudops_summary in the set_stats artifacts: %s" % sorted(job.artifact_data)
    title, report_key = SUMMARY.RUNBOOKS[runbook]
    assert (summary["schema_version"], summary["runbook"], summary["environment"], summary["outcome"], summary["status"]) == (
        1, runbook, "sandbox", outcome, status)
    assert set(summary) == {"schema_version", "runbook", "environment", "run_id", "outcome", "status", "rto_seconds",
                            "rpo_seconds", "rpo_rows", "changes", "run_dir"}
    own = job.artifact_data[report_key]
    assert own.get("outcome", "collected") == outcome

    run_id = summary["run_id"]
    run_dir = evidence / run_id
    assert sorted(p.name for p in run_dir.iterdir()) == FILES
    assert summary["run_dir"] == str(run_dir)  # where the files really are, also under CLOUDOPS_RUN_EVIDENCE_DIR
    assert not (REPO / "runs" / run_id).exists()  # the evidence went where the job said, not into the checkout
    doc = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator(SCHEMA).validate(doc)
    assert doc["summary"] == summary and doc["report"] == own
    run = doc["run"]
    assert (run["runbook"], run["run_id"], run["run_dir"], run["status"], run["outcome"]) == (runbook, run_id, str(run_dir), status, outcome)
    host = doc["hosts"]["localhost"]
    assert (host["ok"], host["changed"], host["failures"]) == (stats["ok"]["localhost"], stats["changed"].get("localhost", 0), 0)

    suite = ET.fromstring((run_dir / "junit.xml").read_bytes()).find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == (str(len(doc["steps"])), "0", "0")
    assert [c.get("name") for c in suite.findall("testcase")] == [RENDER.step_label(s) for s in doc["steps"]]
    assert (run_dir / "report.md").read_text(encoding="utf-8").startswith("# %s of sandbox: %s\n" % (title, outcome.upper()))
    page = (run_dir / "report.html").read_text(encoding="utf-8")
    assert run_id in page and page.count("<svg") == (1 if doc["steps"] else 0)

    assert "Run evidence: %s/ (report.json, report.md, junit.xml, report.html)" % run_dir in job.stdout
    assert re.search(r"localhost\s*:\s*ok=%d\s+changed=%d\s+unreachable=0\s+failed=0" % (host["ok"], host["changed"]), job.stdout)
    assert_no_secret(job, run_dir)
    return doc


# -- read-only ---------------------------------------------------------------------------------------------------------
def test_status_job_publishes_its_summary_and_writes_the_run_directory_it_names(sandbox, collections_path, tmp_path):
    # The status job template has no survey; its run directory root comes with the job's extra vars (as a job
    # template's own extra_vars would set it) and no CLOUDOPS_RUN_EVIDENCE_DIR: the summary names the directory exactly.
    root = tmp_path / "runs"
    variables = dict(extravars("status"), cloudops_run_dir_root=str(root))
    assert set(variables) == {"cloudops_run_dir_root"} | set(awx_job_vars("status", "sandbox"))
    job = run_job("status", tmp_path, runner_env(collections_path, sandbox["env"], None), variables)
    doc = check_job(job, "status", root, "collected")
    summary = job.summary
    assert summary["run_dir"] == str(root / summary["run_id"])
    assert re.fullmatch(r"status-sandbox-\d{8}T\d{6}", summary["run_id"])
    assert (summary["changes"], summary["rto_seconds"], summary["rpo_seconds"]) == ([], None, None)
    status = job.artifact_data["status_report"]
    assert status["rds"]["replica"]["lag_verdict"] == "ok" and status["environment"] == "sandbox"
    assert doc["hosts"]["localhost"]["changed"] == 0


# -- backup, then the restore test of its snapshot ----------------------------------------------------------------------
def test_backup_schedule_then_restore_test_jobs(fresh_sandbox, collections_path, tmp_path):
    evidence = tmp_path / "evidence"
    env = runner_env(collections_path, fresh_sandbox["env"], evidence)

    # The nightly schedule: no answers (extra_data {}), the survey's defaults, AWX's schedule variables.
    variables = extravars("backup", schedule="sandbox backup nightly")
    assert {k: variables[k] for k in ("backup_copy", "backup_prune")} == {"backup_copy": "true", "backup_prune": "true"}
    backup = run_job("backup", tmp_path, env, variables)
    check_job(backup, "backup", evidence, "backed_up")
    report = backup.artifact_data["backup_report"]
    snapshot = report["snapshot"]
    assert (snapshot["tags"]["reason"], snapshot["tags"]["requested_by"]) == ("schedule sandbox backup nightly",
                                                                              "awx schedule sandbox backup nightly")
    assert report["copy"]["id"] == snapshot["id"]  # backup_copy "true" (a string, as AWX sends it) was read as true
    deleted = ["deleted snapshot %s in %s" % (d["id"] if isinstance(d, dict) else d, r["region"]) for r in report["retention"] for d in r["deleted"]]
    assert backup.summary["changes"] == ["snapshot %s in %s" % (snapshot["id"], snapshot["region"]),
                                         "copy %s in %s" % (snapshot["id"], report["copy"]["region"])] + deleted
    assert [r["side"] for r in report["retention"]] == ["primary", "dr"]

    # The restore test of that snapshot, launched by a user.
    restore = run_job("backup_restore", tmp_path, env, extravars("backup_restore", {"restore_point": "latest_snapshot"}))
    check_job(restore, "backup_restore", evidence, "verified")
    report = restore.artifact_data["restore_report"]
    assert (report["restore_point"]["kind"], report["restore_point"]["snapshot_id"]) == ("snapshot", snapshot["id"])
    assert restore.summary["rto_seconds"] == report["durations"]["to_verified_seconds"] > 0
    instance = report["instance"]["id"]
    assert restore.summary["changes"] == ["restored %s in %s" % (instance, report["instance"]["region"]), "deleted %s" % instance]
    assert report["cleanup"]["deleted"]  # restore_keep "false" (the default the survey sends): deleted


# -- deploy, then its rollback ------------------------------------------------------------------------------------------
def test_deploy_then_rollback_jobs_on_the_selected_side(fresh_sandbox, collections_path, tmp_path):
    evidence = tmp_path / "evidence"
    env = runner_env(collections_path, fresh_sandbox["env"], evidence)

    # deploy_sides is a multiselect: AWX sends a list.
    deploy = run_job("deploy", tmp_path, env, extravars("deploy", {"deploy_version": "1.2.0", "deploy_service": "web",
                                                                  "deploy_sides": ["primary"]}))
    check_job(deploy, "deploy", evidence, "deployed")
    [web] = deploy.artifact_data["deploy_report"]["services"]
    sides = dict((s["side"], s) for s in web["sides"])
    assert (web["service"], web["outcome"], sides["primary"]["revision_before"], sides["primary"]["revision_after"]) == ("web", "deployed", 1, 2)
    assert all(s["action"] in ("skipped", "none") for name, s in sides.items() if name != "primary")
    [change] = deploy.summary["changes"]
    assert change.startswith("web 1.2.0 on primary: shop-green revision 1 -> 2, traffic ")

    rollback = run_job("rollback", tmp_path, env, extravars("rollback", {"rollback_service": "web", "rollback_sides": ["primary"]}))
    check_job(rollback, "rollback", evidence, "rolled_back")
    entries = rollback.artifact_data["rollback_report"]["services"]
    assert [(e["service"], e["side"], e["revision_before"], e["revision_after"]) for e in entries] == [("web", "primary", 2, 3)]
    [change] = rollback.summary["changes"]
    assert change.startswith("web on primary: shop-green revision 2 -> 3, traffic ")


# -- the drill (session fixture) ---------------------------------------------------------------------------------------
def test_failover_drill_job(runner_drill):
    job, evidence = runner_drill["job"], runner_drill["evidence"]
    # The survey's answers as AWX types them: an integer, the confirmation naming the environment, the default "true".
    assert {k: runner_drill["extravars"][k] for k in ("confirm_drill", "drill_markers_count", "drill_fail_over_budget")} == {
        "confirm_drill": "sandbox", "drill_markers_count": 8, "drill_fail_over_budget": "true"}
    doc = check_job(job, "failover_drill", evidence, "passed")
    report, summary = job.artifact_data["drill_report"], job.summary
    assert summary["run_id"] == report["run_id"] and summary["changes"] == []
    assert (summary["rto_seconds"], summary["rpo_seconds"], summary["rpo_rows"]) == (
        report["rto"]["seconds"], report["rpo"]["seconds"], report["rpo"]["rows"])
    assert report["rpo"]["markers_written"] == 8
    assert (doc["measures"]["rto"]["seconds"], doc["measures"]["rpo"]["rows"]) == (report["rto"]["seconds"], report["rpo"]["rows"])
    assert [(s["phase"], s["step"]) for s in doc["steps"]] == [(s["phase"], s["step"]) for s in report["steps"]]
    assert [s["phase"] for s in doc["steps"]] == ["preflight"] + ["failover"] * 9 + ["failback"] * 6
    assert doc["state"]["compared"] and doc["state"]["equal"]
    # Progress lines during the long steps, in the job's stdout and as job events (AWX shows them live).
    lines = [line for line in job.stdout.splitlines() if line.startswith(u"\u2026 ")]
    assert any(re.match(r"\u2026 failover \| markers written to the primary - \d+ s, waiting for the marker rows$", line)
               for line in lines), lines
    assert all(re.match(r"\u2026 .+ - \d+ s, waiting for .+$", line) for line in lines)
    verbose = [e["stdout"] for e in job.events if e["event"] == "verbose" and e.get("stdout", "").startswith(u"\u2026 ")]
    assert verbose == lines
    assert all(int(re.search(r" - (\d+) s, waiting", line).group(1)) >= PROGRESS_INTERVAL for line in lines)


# -- refused: the prod drill without its confirmation ------------------------------------------------------------------
def test_prod_drill_without_confirmation_is_a_failed_job_before_any_call(collections_path, tmp_path):
    """A prod drill job launched without the confirmation (a job template without the survey, or an API launch with
    the survey disabled): a failed job, before any AWS or Kubernetes call, no summary and no run directory. The AWS
    endpoint and proxy point at a listener: nothing may have connected to it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    url = "http://127.0.0.1:%d" % listener.getsockname()[1]
    evidence = tmp_path / "evidence"
    env = runner_env(collections_path, {}, evidence, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="x", HTTPS_PROXY=url, HTTP_PROXY=url)
    variables = dict(survey_extravars("failover_drill", "prod", {}, enforce_required=False), **awx_job_vars("failover_drill", "prod"))
    assert "confirm_drill" not in variables and variables["drill_fail_over_budget"] == "true"
    try:
        job = run_job("failover_drill", tmp_path, env, variables, inventory="inventories/prod")
        listener.setblocking(False)
        try:
            connection, _ = listener.accept()
            connection.close()
            raise AssertionError("the refused job connected to the AWS endpoint")
        except BlockingIOError:
            pass
    finally:
        listener.close()
    assert (job.status, job.rc) == ("failed", 2), job.explain()
    assert (job.artifacts / "status").read_text() == "failed"
    assert job.runner.stats["failures"] == {"localhost": 1}
    out = flat(job.stdout)
    assert "refused before any AWS call, nothing changed: the prod environment requires a confirmation naming it" in out
    assert "-e confirm_drill=prod" in out
    [failed] = [e for e in job.events if e["event"] == "runner_on_failed"]
    assert failed["event_data"]["role"] == "runbook"  # the frame's request check (roles/runbook, validate)
    # Nothing ran that publishes: no artifacts, no run directory, nothing in the checkout.
    assert job.artifact_data == {} and job.summary is None
    assert not evidence.exists()
    assert "Run evidence:" not in job.stdout
    assert_no_secret(job)


# -- the failover, last: it leaves the estate on DR (reset after) -------------------------------------------------------
def test_failover_job(fresh_sandbox, collections_path, tmp_path):
    evidence = tmp_path / "evidence"
    variables = extravars("failover", {"confirm_failover": "sandbox", "failover_outage_started_at": "2020-01-01T00:00:00Z"})
    assert variables["failover_max_lag_override"] == "false"
    job = run_job("failover", tmp_path, runner_env(collections_path, fresh_sandbox["env"], evidence), variables)
    doc = check_job(job, "failover", evidence, "failed_over")
    report, summary = job.artifact_data["failover_report"], job.summary
    assert summary["run_id"] == report["run_id"]
    assert (summary["rto_seconds"], summary["rpo_seconds"], summary["rpo_rows"]) == (report["rto"]["seconds"], report["rpo"]["estimated_seconds"], None)
    assert 0 < summary["rto_seconds"] <= 900 and report["rto"]["since_outage_seconds"] > 86400
    assert summary["changes"] == report["changes"]
    assert "Route 53 app.shop.sandbox.internal: PRIMARY primary -> dr" in summary["changes"]
    assert doc["measures"]["rto"]["seconds"] == report["rto"]["seconds"]
    assert load_report(job, evidence)["run"]["outcome"] == "failed_over"
