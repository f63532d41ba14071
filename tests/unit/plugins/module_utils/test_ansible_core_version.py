# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-core a runbook refuses before the lock and any call (meta/runtime.yml's requires_ansible)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request

RUNTIME = Path(__file__).resolve().parents[4] / "meta" / "runtime.yml"


@pytest.mark.parametrize("version", ["2.19.1", "2.19.14", "2.20.0", "2.21.0rc1", "2.22.0.dev0", "3.0.0"])
def test_supported_cores_run(version):
    assert runbook_request.ansible_core_problem(version) == ""


@pytest.mark.parametrize("version", ["2.19.0", "2.19.0rc1", "2.18.12", "2.17.14", "2.9.27", "", None])
def test_older_cores_are_refused_naming_the_minimum_and_the_fix(version):
    problem = runbook_request.ansible_core_problem(version)
    assert problem.startswith("cloudops.runbooks needs ansible-core 2.19.1 or later")
    assert "this is %s" % version in problem and "pip install 'ansible-core>=2.19.1'" in problem


def test_the_minimum_is_the_one_meta_runtime_declares():
    declared = yaml.safe_load(RUNTIME.read_text())["requires_ansible"]
    assert declared == ">=%s" % ".".join(str(n) for n in runbook_request.MIN_ANSIBLE_CORE)
