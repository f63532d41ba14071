# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""runbook_request.STEP_MODULES, the modules whose payloads a run builds ahead of its steps: every runbook has its
list, every name is a module, and each of the collection's is one the runbook's playbook (or a role or task file it
reaches) names - a renamed or dropped module cannot stay on a list unnoticed."""

from __future__ import annotations

import os
import re

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(runbook_request.__file__))))
FQCN = re.compile(r"cloudops\.runbooks\.([a-z0-9_]+)")
# A task file or playbook a file names (include_tasks, import_tasks, import_playbook, also inside an expression).
INCLUDED_FILE = re.compile(r"([\w/]+\.yml)\b")


def playbooks_of(runbook):
    """The playbooks whose frame names `runbook` (runbook_name: <runbook>)."""
    folder = os.path.join(ROOT, "playbooks")
    return [os.path.join(folder, name) for name in sorted(os.listdir(folder)) if name.endswith(".yml")
            and re.search(r"^\s*runbook_name:\s*%s\s*$" % runbook, open(os.path.join(folder, name), encoding="utf-8").read(), re.M)]


def names_reached(playbook):
    """Every cloudops.runbooks.<name> in the playbook, the task files and playbooks it names and the roles it names
    (all their task files): a superset of the modules the playbook can call."""
    seen, pending, names = set(), [playbook], set()
    while pending:
        path = pending.pop()
        if path in seen or not os.path.isfile(path):
            continue
        seen.add(path)
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
        for name in FQCN.findall(text):
            names.add(name)
            tasks = os.path.join(ROOT, "roles", name, "tasks")
            if os.path.isdir(tasks):
                pending.extend(os.path.join(tasks, file) for file in os.listdir(tasks))
        for included in INCLUDED_FILE.findall(text):
            pending.extend([os.path.join(os.path.dirname(path), included), os.path.join(ROOT, "playbooks", included)])
    return names


def test_every_runbook_has_its_list_of_modules():
    assert sorted(runbook_request.STEP_MODULES) == sorted(runbook_request.RUNBOOKS)


@pytest.mark.parametrize("runbook", runbook_request.RUNBOOKS)
def test_each_module_is_one_the_runbook_can_call(runbook):
    playbooks = playbooks_of(runbook)
    assert playbooks, "no playbook has runbook_name: %s" % runbook
    reached = set().union(*(names_reached(playbook) for playbook in playbooks))
    for name in runbook_request.STEP_MODULES[runbook]:
        if "." in name:  # another collection's module, called by its FQCN
            assert any(name in open(path, encoding="utf-8").read() for path in playbooks) or \
                any(name in open(os.path.join(dirpath, file), encoding="utf-8").read()
                    for dirpath, dummy, files in os.walk(os.path.join(ROOT, "roles")) for file in files if file.endswith(".yml")), name
            continue
        assert os.path.isfile(os.path.join(ROOT, "plugins", "modules", name + ".py")), "%s is not a module of the collection" % name
        assert name in reached, "%s: %s is not called by %s" % (runbook, name, ", ".join(os.path.basename(p) for p in playbooks))


def test_the_names_are_fully_qualified_in_the_order_given():
    assert runbook_request.step_modules("deploy") == [
        "cloudops.runbooks.runbook_lock", "cloudops.runbooks.deploy_preflight", "cloudops.runbooks.deploy_new_colour",
        "cloudops.runbooks.deploy_traffic_step"]
    assert "amazon.aws.rds_instance_info" in runbook_request.step_modules("backup")
    assert runbook_request.step_modules("no such runbook") == []
