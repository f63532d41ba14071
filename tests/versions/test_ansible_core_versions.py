# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The declared ansible-core range (meta/runtime.yml requires_ansible), tested: `make versions`.

The project's venv holds the newest 2.19 (sanity, units and every other test run on it); here the collection, built
and installed as a user installs it, runs a sandbox smoke (status, deploy --check, the failover drill) by FQCN under
each other ansible-core of the range (CLOUDOPS_CORE_VERSIONS, the oldest supported first: build/core-venvs/<version>
from tools/core-venv.sh), and an older ansible-core (CLOUDOPS_CORE_REFUSED) is refused before the lock and any call.
Python 3.11 (the project's) runs ansible-core up to 2.19: 2.20 and later need Python 3.12."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("cloudops_integration_helpers", REPO / "tests" / "integration" / "conftest.py")
helpers = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(helpers)

VERSIONS = os.environ.get("CLOUDOPS_CORE_VERSIONS", "2.19.1").split()
REFUSED = os.environ.get("CLOUDOPS_CORE_REFUSED", "2.18.12").split()


def core_bin(version):
    """build/core-venvs/<version>/bin, made by tools/core-venv.sh when missing (pip, from PyPI)."""
    out = subprocess.run([str(REPO / "tools" / "core-venv.sh"), version], capture_output=True, text=True, timeout=300, check=False)
    assert out.returncode == 0, "tools/core-venv.sh %s failed:\n%s" % (version, out.stderr[-3000:])
    return Path(out.stdout.strip().splitlines()[-1])


def test_the_declared_minimum_is_the_oldest_version_tested():
    declared = yaml.safe_load((REPO / "meta" / "runtime.yml").read_text())["requires_ansible"]
    assert declared == ">=%s" % VERSIONS[0]
    from_code = re.search(r"MIN_ANSIBLE_CORE = \((\d+), (\d+), (\d+)\)", (REPO / "plugins" / "module_utils" / "runbook_request.py").read_text())
    assert ".".join(from_code.groups()) == VERSIONS[0]


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A sandbox of its own, and a project outside the repository with the collection installed from its tarball."""
    base = tmp_path_factory.mktemp("core-versions")
    state, dist, collections, home = base / "sandbox", base / "dist", base / "collections", base / "project"
    up = helpers.sandbox_cli(state, "up", check=False)
    if up.returncode != 0:
        helpers.sandbox_cli(state, "down", check=False)
        pytest.fail("python -m sandbox up failed:\n%s\n%s" % (up.stdout[-2000:], up.stderr[-3000:]))
    try:
        env = dict((k, v) for k, v in helpers.clean_env().items() if not k.startswith(("ANSIBLE_", "CLOUDOPS_")))
        subprocess.run([str(helpers.BIN / "ansible-galaxy"), "collection", "build", "--output-path", str(dist), str(REPO)],
                       cwd=base, env=env, check=True, capture_output=True, timeout=120)
        subprocess.run([str(helpers.BIN / "ansible-galaxy"), "collection", "install", "--no-deps", "-p", str(collections),
                        str(sorted(dist.glob("*.tar.gz"))[0])], cwd=base, env=env, check=True, capture_output=True, timeout=120)
        home.mkdir()
        shutil.copytree(REPO / "inventories" / "sandbox", home / "inventory")
        shutil.copytree(REPO / "sandbox" / "charts" / "sample-app", home / "charts" / "sample-app")
        for path in (home / "inventory" / "group_vars" / "all").glob("*.yml"):
            path.write_text(path.read_text().replace("chart: sandbox/charts/sample-app", "chart: charts/sample-app"))
        env.update(helpers.read_env_file(state / "env"), ANSIBLE_COLLECTIONS_PATH="%s:%s" % (collections, helpers.site_collections()),
                   ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
        yield {"state": state, "home": home, "env": env}
    finally:
        helpers.sandbox_cli(state, "down", check=False)


def run(estate, version, playbook, *args):
    binary = core_bin(version)
    env = dict(estate["env"], PATH="%s:%s" % (binary, estate["env"].get("PATH", "")))
    return subprocess.run([str(binary / "ansible-playbook"), "cloudops.runbooks.%s" % playbook, "-i", "inventory", *args],
                          cwd=estate["home"], env=env, capture_output=True, text=True, timeout=600, check=False)


def succeeded(proc, version):
    assert proc.returncode == 0, "ansible-core %s:\n%s\n%s" % (version, proc.stdout[-5000:], proc.stderr[-2000:])
    assert "[core %s]" % version in subprocess.run([proc.args[0], "--version"], capture_output=True, text=True, check=False).stdout
    return proc


@pytest.mark.parametrize("version", VERSIONS)
def test_status_deploy_check_and_drill_on_each_supported_core(estate, version):
    succeeded(run(estate, version, "status"), version)
    succeeded(run(estate, version, "deploy", "--check", "--diff"), version)
    drill = succeeded(run(estate, version, "failover_drill"), version)
    assert "# FAILOVER DRILL of sandbox: PASSED" in drill.stdout
    reports = sorted((estate["home"] / "runs").glob("drill-*/report.json"))
    doc = json.loads(reports[-1].read_text())
    assert doc["generator"]["ansible_version"] == version
    # The drill measured and failed back, by FQCN from the installed tarball (the integration tests' own drill by
    # FQCN, on the newest core, is in `make integration-long`).
    assert doc["run"]["status"] == "succeeded", doc["summary"]
    assert doc["report"]["outcome"] == "passed" and doc["report"]["status"]["equal"] is True
    assert doc["measures"]["rto"]["seconds"] is not None and doc["measures"]["rpo"]["rows"] is not None
    assert [s["phase"] for s in doc["steps"]].count("failback") >= 4


@pytest.mark.parametrize("version", REFUSED)
def test_an_older_core_is_refused_before_the_lock_and_any_call(estate, version):
    proc = run(estate, version, "deploy", "--check")
    assert proc.returncode != 0
    text = " ".join(proc.stdout.split())
    assert "cloudops.runbooks needs ansible-core %s or later" % VERSIONS[0] in text and "this is %s" % version in text
    assert "take the runbook lock" not in proc.stdout
