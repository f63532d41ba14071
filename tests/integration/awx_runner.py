# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Running a runbook the way AWX does: ansible-runner's Python API (the engine of AWX's jobs) with the extra vars an
AWX job sends - the survey's answers typed and checked as AWX checks them (awx/surveys/<survey>.yml, the confirmation's
single choice being the environment as awx/configure.yml sets it), the defaults AWX adds for unanswered questions, and
AWX's own job variables - and reading back what an AWX job keeps: status, rc, stdout, the job events and the set_stats
artifacts. Used by test_runner.py and test_report_render.py (the `runner_drill` fixture of conftest.py)."""

from __future__ import annotations

import contextlib
import itertools
import json
import os
from pathlib import Path

import ansible_runner
import yaml

from conftest import BIN, REPO, ansible_env, sandbox_cli

# Seeded secrets: the AWS secret key every run gets (moto accepts any), and the database master password the sandbox
# keeps in Secrets Manager (shop/db/master), which the drill, the failover and the restore test read.
AWS_SECRET = "cloudops-runner-seeded-secret-7d41c2"
DB_PASSWORD = "sandbox-only-password"
FILES = ["junit.xml", "report.html", "report.json", "report.md"]
PROGRESS_INTERVAL = 2  # seconds between the callback's progress lines in these runs (10 by default)

class _AnsibleYaml(yaml.SafeLoader):
    """YAML as Ansible reads it here: `!unsafe` (configure.yml's credential injectors) is the plain value."""


def _unsafe(loader, node):
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node, deep=True)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_scalar(node)


_AnsibleYaml.add_constructor("!unsafe", _unsafe)
AWX_VARS = yaml.load((REPO / "awx" / "vars" / "main.yml").read_text(), Loader=_AnsibleYaml)  # noqa: S506 - a safe loader
CONFIGURE = yaml.load((REPO / "awx" / "configure.yml").read_text(), Loader=_AnsibleYaml)  # noqa: S506 - a safe loader
_JOB_IDS = itertools.count(4101)


def job_template(runbook: str) -> dict:
    """The job template awx/configure.yml creates for a runbook: playbook, title, survey name ('' for none)."""
    [entry] = [r for r in AWX_VARS["cloudops_awx_runbooks"] if r["runbook"] == runbook]
    return entry


def confirmation_vars() -> list:
    """The questions whose single choice awx/configure.yml sets to the job template's environment."""
    return CONFIGURE[0]["vars"]["__awx_confirm_vars"]


def _check_answer(runbook, question, value, environment):
    """Refuse an answer AWX would refuse (type, choices, min/max), so the tests send only what a survey can send."""
    kind, name = question["type"], question["variable"]
    choices = [environment] if name in confirmation_vars() else question.get("choices")
    where = "survey %s, %s=%r" % (runbook, name, value)
    if kind in ("text", "textarea", "password"):
        assert isinstance(value, str), where
        assert question.get("min", 0) <= len(value) <= question.get("max", 1024), where
    elif kind == "integer":
        assert isinstance(value, int) and not isinstance(value, bool), where
        assert question.get("min", value) <= value <= question.get("max", value), where
    elif kind == "float":
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    elif kind == "multiplechoice":
        assert isinstance(value, str) and value in choices, where
    elif kind == "multiselect":
        assert isinstance(value, list) and set(value) <= set(choices), where
    else:
        raise AssertionError("%s: unknown survey question type %s" % (where, kind))


def survey_extravars(runbook: str, environment: str, answers: dict, enforce_required: bool = True) -> dict:
    """The extra vars an AWX job of the runbook's job template gets from its survey: the answers given (checked as AWX
    checks them), plus each unanswered question's default (AWX adds them; a multiselect default is one choice per line);
    an unanswered question without a default is not sent. No survey (status): no survey variable."""
    survey = job_template(runbook)["survey"]
    if not survey:
        assert not answers, "the %s job template has no survey" % runbook
        return {}
    spec = yaml.safe_load((REPO / "awx" / "surveys" / ("%s.yml" % survey)).read_text())["spec"]
    questions = dict((q["variable"], q) for q in spec)
    assert set(answers) <= set(questions), "not questions of the %s survey: %s" % (runbook, sorted(set(answers) - set(questions)))
    out = {}
    for name, question in questions.items():
        if name in answers:
            value = answers[name]
        elif question.get("default") not in (None, ""):
            value = question["default"]
            if question["type"] == "multiselect" and isinstance(value, str):
                value = [v for v in value.split("\n") if v]
        else:
            assert not (enforce_required and question.get("required")), "the %s survey requires %s" % (runbook, name)
            continue
        _check_answer(runbook, question, value, environment)
        out[name] = value
    return out


def awx_job_vars(runbook: str, environment: str, schedule: str = "", user: str = "ops-runner-test") -> dict:
    """The variables AWX adds to every job's extra vars (a subset): the job, its template and inventory, and who or
    which schedule launched it."""
    template = job_template(runbook)
    out = {"awx_job_id": next(_JOB_IDS), "awx_job_launch_type": "scheduled" if schedule else "manual",
           "awx_job_template_name": "%s %s" % (environment, template["title"]), "awx_inventory_name": "cloudops-%s" % environment,
           "awx_project_revision": "0" * 40, "awx_execution_node": "awx-ee-test"}
    if schedule:
        out["awx_schedule_name"] = schedule
    else:
        out.update(awx_user_name=user, awx_user_email="%s@example.invalid" % user)
    return out


def runner_env(collections_path: str, sandbox_env: dict, evidence_dir, **extra) -> dict:
    """conftest's ansible environment (the sandbox, this collection) with the seeded AWS secret, the run evidence in
    `evidence_dir` (CLOUDOPS_RUN_EVIDENCE_DIR, as an execution environment sets it; None: the runbook's own root),
    short progress intervals, and the venv's ansible-playbook first on PATH (runner runs `ansible-playbook` from PATH,
    as in an execution environment)."""
    env = ansible_env(collections_path, dict(sandbox_env, AWS_SECRET_ACCESS_KEY=AWS_SECRET),
                      CLOUDOPS_RUN_EVIDENCE_PROGRESS_INTERVAL=str(PROGRESS_INTERVAL), **extra)
    if evidence_dir is None:
        env.pop("CLOUDOPS_RUN_EVIDENCE_DIR", None)
    else:
        env["CLOUDOPS_RUN_EVIDENCE_DIR"] = str(evidence_dir)
    env["PATH"] = "%s:%s" % (BIN, env["PATH"])
    return env


@contextlib.contextmanager
def _no_ambient_credentials():
    """ansible-runner seeds the job's environment with its own process's (os.environ) before `envvars`: take AWS and
    Kubernetes settings out of it for the run, so a job can only reach what `envvars` names."""
    saved = dict((k, v) for k, v in os.environ.items() if k.startswith(("AWS_", "KUBECONFIG", "CLOUDOPS_")))
    for key in saved:
        del os.environ[key]
    try:
        yield
    finally:
        os.environ.update(saved)


class RunnerJob(object):
    """One ansible-runner run and what AWX would keep of it."""

    def __init__(self, runner, private_dir: Path, ident: str):
        self.runner, self.private_dir, self.ident = runner, private_dir, ident
        self.artifacts = private_dir / "artifacts" / ident
        self.events = list(runner.events)
        [stats] = [e for e in self.events if e["event"] == "playbook_on_stats"]
        # ansible-runner 2.4.3 (its awx_display callback) puts the set_stats data of the run, stats.custom['_run'], in
        # the playbook_on_stats event as `artifact_data`: AWX's job artifacts. Runner.stats leaves it out.
        self.stats_event = stats
        self.artifact_data = stats["event_data"]["artifact_data"]
        self.summary = self.artifact_data.get("cloudops_summary")
        self.stdout = (self.artifacts / "stdout").read_text(encoding="utf-8")

    @property
    def status(self):
        return self.runner.status

    @property
    def rc(self):
        return self.runner.rc

    def event_texts(self):
        """Every job event as AWX stores it (job_events/*.json), by file name."""
        return dict((p.name, p.read_text(encoding="utf-8")) for p in sorted((self.artifacts / "job_events").iterdir()))

    def explain(self):
        return "runner %s rc=%s; stdout:\n%s" % (self.status, self.rc, self.stdout[-6000:])


def run_job(runbook: str, base: Path, env: dict, extravars: dict, inventory: str = "inventories/sandbox", ident: str = "") -> RunnerJob:
    """Run the runbook's playbook (the job template's) as an AWX job does: ansible-runner's run(), project_dir the
    repository (runner runs ansible-playbook from there, so its ansible.cfg applies), private_data_dir under base."""
    ident = ident or runbook
    private_dir = base / ("job-%s" % ident)
    private_dir.mkdir(parents=True)
    with _no_ambient_credentials():
        runner = ansible_runner.run(private_data_dir=str(private_dir), project_dir=str(REPO), playbook=job_template(runbook)["playbook"],
                                    inventory=str(REPO / inventory), extravars=extravars, envvars=env, ident=ident, quiet=True,
                                    timeout=900)
    return RunnerJob(runner, private_dir, ident)


def run_drill(sandbox, collections_path, base: Path) -> dict:
    """The failover drill through ansible-runner, as the `sandbox failover drill` job template with its survey answered;
    the sandbox is reset after it. Returns the job, the directory of the run evidence and the environment name."""
    evidence = base / "evidence"
    extravars = dict(survey_extravars("failover_drill", "sandbox", {"confirm_drill": "sandbox", "drill_markers_count": 8}),
                     **awx_job_vars("failover_drill", "sandbox"))
    try:
        job = run_job("failover_drill", base, runner_env(collections_path, sandbox["env"], evidence), extravars)
    finally:
        sandbox_cli(sandbox["state"], "reset")
    return {"job": job, "evidence": evidence, "extravars": extravars}


def evidence_dir_of(job: RunnerJob, evidence: Path) -> Path:
    return evidence / job.summary["run_id"]


def load_report(job: RunnerJob, evidence: Path) -> dict:
    return json.loads((evidence_dir_of(job, evidence) / "report.json").read_text(encoding="utf-8"))
