# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Real ansible-playbook runs of tiny playbooks against localhost with an inventory made of the sandbox inventory's
group_vars (inventories/sandbox/group_vars/all/*.yml), read through the json stdout callback. No sandbox, no AWS
call: the action plugins tested here run on the controller only."""

from __future__ import annotations

import glob
import json
import os
import subprocess
import sys
import textwrap

import pytest
import yaml

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request

REPO = os.path.abspath(os.path.join(os.path.dirname(runbook_request.__file__), os.pardir, os.pardir))
COLLECTIONS = os.path.abspath(os.path.join(REPO, os.pardir, os.pardir, os.pardir))


def sandbox_group_vars():
    """The variables of inventories/sandbox/group_vars/all/*.yml, merged."""
    merged = {}
    for path in sorted(glob.glob(os.path.join(REPO, "inventories", "sandbox", "group_vars", "all", "*.yml"))):
        with open(path, encoding="utf-8") as handle:
            merged.update(yaml.safe_load(handle) or {})
    return merged


class Playbook(object):
    def __init__(self, tmp_path):
        self.tmp_path = tmp_path

    def run(self, tasks, drop=(), endpoint=True, name="play"):
        """Run `tasks` (YAML text) on localhost with the sandbox's variables less `drop`; AWS_ENDPOINT_URL set when
        `endpoint`. Returns (rc, {task name: localhost's result})."""
        base = self.tmp_path / name
        (base / "inventory" / "group_vars" / "all").mkdir(parents=True, exist_ok=True)
        variables = dict((k, v) for k, v in sandbox_group_vars().items() if k not in drop)
        (base / "inventory" / "group_vars" / "all" / "vars.yml").write_text(yaml.safe_dump(variables))
        (base / "inventory" / "hosts.yml").write_text(yaml.safe_dump(
            {"all": {"hosts": {"localhost": {"ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
        (base / "ansible.cfg").write_text("[defaults]\n")
        path = base / "play.yml"
        path.write_text("- hosts: localhost\n  gather_facts: false\n  tasks:\n%s" % textwrap.indent(textwrap.dedent(tasks), "    "))
        env = dict((k, v) for k, v in os.environ.items() if not k.startswith(("ANSIBLE_", "AWS_")))
        env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json", ANSIBLE_CONFIG=str(base / "ansible.cfg"),
                   ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_NOCOLOR="1",
                   ANSIBLE_DEPRECATION_WARNINGS="false")
        if endpoint:
            env["AWS_ENDPOINT_URL"] = "http://127.0.0.1:1"  # nothing listens there: no call is made before these checks
        return run_json_playbook([sys.executable, "-m", "ansible.cli.playbook", "-i", str(base / "inventory"), str(path)], base, env, 300)


def run_json_playbook(cmd, cwd, env, timeout):
    """Run ansible-playbook with the json stdout callback: (rc, {task name: localhost's result})."""
    done = subprocess.run(cmd, cwd=str(cwd), env=env, capture_output=True, text=True, timeout=timeout, check=False)
    start = done.stdout.find("{")
    assert start >= 0, done.stdout + done.stderr
    data = json.loads(done.stdout[start:])
    results = {}
    for play in data["plays"]:
        for task in play["tasks"]:
            results[task["task"]["name"]] = task["hosts"].get("localhost")
    return done.returncode, results


@pytest.fixture
def playbook(tmp_path):
    return Playbook(tmp_path)


@pytest.fixture
def sandbox_vars():
    return sandbox_group_vars()
