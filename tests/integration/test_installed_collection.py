# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection as users run it: built into a tarball (`ansible-galaxy collection build`), installed into an empty
collections path, and run BY FQCN (`ansible-playbook cloudops.runbooks.status -i inventory`) from a project of the
user's own outside this repository - no ansible.cfg, its own copy of the sandbox inventory, its chart referenced
relative to the project. Status, deploy (--check --diff, then for real), rollback and the failover drill run on the
sandbox from there; every report goes to the project's runs/ (never inside the installed collection), with the run
evidence written although the run_evidence callback is not enabled."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import jsonschema
import pytest

from conftest import BIN, REPO, clean_env, ok, sandbox_cli, sandbox_client, site_collections
from test_run_evidence import load_schema

EVIDENCE = ["junit.xml", "report.html", "report.json", "report.md"]
BUCKET = "cloudops-evidence-installed"
INSTALLED = Path("ansible_collections") / "cloudops" / "runbooks"


def files_of(root: Path) -> set:
    """Every file under root but Python's bytecode caches (importing a plugin may write them)."""
    return set(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


@pytest.fixture(scope="module")
def project(sandbox, tmp_path_factory):
    """The tarball built and installed into an empty collections path; a project with the sandbox inventory (chart
    paths relative to the project) and the chart; the environment ansible-playbook runs with there. The sandbox is
    reset after the module (the deploy and the rollback leave new Helm revisions)."""
    base = tmp_path_factory.mktemp("installed")
    assert REPO not in base.parents
    dist, collections, home = base / "dist", base / "collections", base / "project"
    started = time.monotonic()
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO)],
                   cwd=base, env=clean_env(), check=True, capture_output=True, text=True, timeout=120)
    tarball = next(dist.glob("cloudops-runbooks-*.tar.gz"))
    env = dict((k, v) for k, v in clean_env().items() if not k.startswith(("ANSIBLE_", "CLOUDOPS_")))
    env.update(sandbox["env"], ANSIBLE_COLLECTIONS_PATH="%s:%s" % (collections, site_collections()), ANSIBLE_NOCOLOR="1",
               ANSIBLE_FORCE_COLOR="0", PYTHONUNBUFFERED="1")
    env.pop("CLOUDOPS_RUN_EVIDENCE_DIR", None)
    env["PATH"] = "%s:%s" % (env.get("PATH", ""), BIN)
    subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections), str(tarball)],
                   cwd=base, env=env, check=True, capture_output=True, text=True, timeout=120)
    installed = collections / INSTALLED
    assert (installed / "MANIFEST.json").exists()

    home.mkdir()
    shutil.copytree(REPO / "inventories" / "sandbox", home / "inventory")
    shutil.copytree(REPO / "sandbox" / "charts" / "sample-app", home / "charts" / "sample-app")
    for path in (home / "inventory" / "group_vars" / "all").glob("*.yml"):
        path.write_text(path.read_text().replace("chart: sandbox/charts/sample-app", "chart: charts/sample-app"))
    assert "sandbox/charts" not in "".join(p.read_text() for p in (home / "inventory").rglob("*.yml") if p.is_file())
    # The environment declares a bucket: every run's directory is copied there too (an AWX job keeps its evidence).
    (home / "inventory" / "group_vars" / "all" / "report_bucket.yml").write_text(
        "---\ncloudops_report_bucket: %s\ncloudops_report_prefix: runs/sandbox\n" % BUCKET)
    sandbox_client(sandbox, "s3", "us-east-1").create_bucket(Bucket=BUCKET)
    before = files_of(installed)
    yield {"home": home, "env": env, "installed": installed, "before": before, "setup_seconds": time.monotonic() - started,
           "s3": sandbox_client(sandbox, "s3", "us-east-1")}
    sandbox_cli(sandbox["state"], "reset")


def run(project, playbook, *args, cwd=None, extra_vars=None, inventory="inventory"):
    command = [str(BIN / "ansible-playbook"), "cloudops.runbooks.%s" % playbook, "-i", inventory, *args]
    if extra_vars:
        command += ["-e", json.dumps(extra_vars)]
    proc = subprocess.run(command, cwd=cwd or project["home"], env=project["env"], capture_output=True, text=True, timeout=600)
    ok(proc)
    return proc


def evidence(project, proc, runbook):
    """The run directory the run printed, which must be the project's runs/<run id>/, holding the four files with a
    report.json valid against the published schema; its document."""
    lines = [line for line in proc.stdout.splitlines() if line.startswith("Run evidence: ")]
    assert len(lines) == 1, proc.stdout[-4000:]
    directory = Path(lines[0].split(": ", 1)[1].split("/ (", 1)[0])
    assert directory.parent == project["home"] / "runs"
    assert sorted(p.name for p in directory.iterdir()) == EVIDENCE
    doc = json.loads((directory / "report.json").read_text())
    jsonschema.Draft202012Validator(load_schema()).validate(doc)
    assert doc["run"]["runbook"] == runbook
    # ... and its copy in the environment's bucket, the same files.
    listed = project["s3"].list_objects_v2(Bucket=BUCKET, Prefix="runs/sandbox/%s/" % directory.name).get("Contents") or []
    assert sorted(o["Key"].rsplit("/", 1)[1] for o in listed) == EVIDENCE, proc.stdout[-3000:]
    # The playbook that ran is the installed copy's, not this repository's.
    assert doc["run"]["playbook"] == str(project["installed"] / "playbooks")
    return doc


def test_status_by_fqcn_writes_its_evidence_in_the_project(project):
    proc = run(project, "status")
    doc = evidence(project, proc, "status")
    assert doc["run"]["status"] == "succeeded" and doc["report"]["environment"] == "sandbox"
    assert "STATUS of sandbox" in proc.stdout


def test_deploy_check_diff_then_deploy_with_the_chart_relative_to_the_project(project):
    # From another working directory, the project named by cloudops_project_dir: the chart and runs/ are found there.
    elsewhere = project["home"] / "elsewhere"
    elsewhere.mkdir(exist_ok=True)
    check = run(project, "deploy", "--check", "--diff", inventory=str(project["home"] / "inventory"), cwd=elsewhere,
                extra_vars={"cloudops_project_dir": str(project["home"])})
    doc = evidence(project, check, "deploy")
    assert doc["run"]["status"] == "check" and doc["report"]["check_mode"] is True
    assert not (elsewhere / "runs").exists()
    # From the project itself, no variable: the working directory is the project.
    real = run(project, "deploy")
    doc = evidence(project, real, "deploy")
    assert doc["run"]["status"] == "succeeded", doc["summary"]
    assert doc["summary"]["changes"], doc["summary"]
    # The steps the run recorded (runbook_step), although the callback that times every task is not enabled.
    assert doc["steps_basis"] == "recorded" and doc["steps"] and doc["tasks"] == []


def test_rollback_by_fqcn(project):
    proc = run(project, "rollback", extra_vars={"rollback_service": "web"})
    doc = evidence(project, proc, "rollback")
    assert doc["run"]["status"] == "succeeded", doc["summary"]


# `make test` runs the drill by FQCN from the installed tarball in `make versions` (on the oldest supported core, with the
# same checks of its evidence); this run on the newest core is long.
@pytest.mark.long
def test_failover_drill_by_fqcn_measures_and_fails_back(project):
    proc = run(project, "failover_drill")
    doc = evidence(project, proc, "failover_drill")
    assert doc["run"]["status"] == "succeeded", doc["summary"]
    assert doc["report"]["outcome"] == "passed" and doc["report"]["status"]["equal"] is True
    assert doc["measures"]["rto"]["seconds"] is not None and doc["measures"]["rpo"]["rows"] is not None
    assert [s["phase"] for s in doc["steps"]].count("failback") >= 4
    assert "# FAILOVER DRILL of sandbox: PASSED" in proc.stdout


def test_nothing_was_written_inside_the_installed_collection(project):
    assert files_of(project["installed"]) == project["before"]
    assert not any(project["installed"].rglob("runs"))
