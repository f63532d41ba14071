# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the AWX tests: the runbook_inputs argument specs, the surveys, and awx/configure.yml rendered against
a stand-in awx.awx collection (no controller, no sandbox, no network)."""

from __future__ import annotations

import json
import subprocess

import pytest

from awx_testlib import AWX_MODULES, BIN, REPO, STAND_IN, clean_env, load_yaml


@pytest.fixture(scope="session")
def entry_points() -> dict:
    """runbook -> {option name: option spec} of roles/runbook_inputs/meta/argument_specs.yml."""
    specs = load_yaml(REPO / "roles" / "runbook_inputs" / "meta" / "argument_specs.yml")["argument_specs"]
    return {name: spec.get("options") or {} for name, spec in specs.items()}


@pytest.fixture(scope="session")
def awx_vars() -> dict:
    return load_yaml(REPO / "awx" / "vars" / "main.yml")


@pytest.fixture(scope="session")
def surveys() -> dict:
    """survey name -> survey spec of awx/surveys/<name>.yml."""
    return dict((path.stem, load_yaml(path)) for path in sorted((REPO / "awx" / "surveys").glob("*.yml")))


@pytest.fixture(scope="session")
def rendered(tmp_path_factory) -> dict:
    """awx/configure.yml run against the stand-in awx.awx: module name -> the arguments of each call, in order."""
    root = tmp_path_factory.mktemp("awx-stand-in")
    actions = root / "ansible_collections" / "awx" / "awx" / "plugins" / "action"
    actions.mkdir(parents=True)
    for module in AWX_MODULES:
        (actions / f"{module}.py").write_text(STAND_IN)
    proc = subprocess.run([str(BIN / "ansible-playbook"), "awx/configure.yml"], cwd=REPO, capture_output=True, text=True,
                          env=clean_env(ANSIBLE_COLLECTIONS_PATH=f"{root}:{REPO / 'collections'}",  # stand-in first
                                        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"),
                          timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    calls = dict((module, []) for module in AWX_MODULES)
    for task in json.loads(proc.stdout)["plays"][0]["tasks"]:
        result = task["hosts"]["localhost"]
        for item in result.get("results", [result]):
            calls[item["awx_module"].rsplit(".", 1)[-1]].append(item["awx_args"])
    return calls
