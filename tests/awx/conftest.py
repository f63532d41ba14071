# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the AWX tests: the runbook_inputs argument specs, the surveys, and awx/configure.yml rendered against
a stand-in awx.awx collection (no controller, no sandbox, no network)."""

from __future__ import annotations

import json

import pytest

from awx_testlib import AWX_MODULES, NOTIFICATION_SECRETS, REPO, configure, load_yaml


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
    """awx/configure.yml run against the stand-in awx.awx: module name -> the arguments of each call, in order (the
    notification secrets dummies, shown: cloudops_awx_hide_secrets=false)."""
    proc = configure(tmp_path_factory, dict((name, "dummy-" + name.lower()) for name in NOTIFICATION_SECRETS),
                     ["cloudops_awx_hide_secrets=false"])
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    calls = dict((module, []) for module in AWX_MODULES)
    for task in json.loads(proc.stdout)["plays"][0]["tasks"]:
        result = task["hosts"]["localhost"]
        for item in result.get("results", [result]):
            if "awx_module" in item:  # not the preflight assert, not a skipped item
                calls[item["awx_module"].rsplit(".", 1)[-1]].append(item["awx_args"])
    return calls
