# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Helpers of the AWX tests (tests/awx): paths, a clean environment, YAML, playbook runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the project's venv (pytest runs from it)
RUNBOOKS = ("status", "deploy", "rollback", "failover", "failover_drill", "failback", "backup", "backup_restore")
AWX_MODULES = ("organization", "execution_environment", "project", "inventory", "inventory_source", "job_template",
               "workflow_job_template", "schedule")

# An action plugin standing in for each awx.awx module configure.yml calls: it returns the arguments it received,
# after Ansible templated them, instead of calling a controller.
STAND_IN = '''
from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(changed=False, awx_module=self._task.action, awx_args=self._task.args)
        return result
'''


def clean_env(**extra: str) -> dict:
    """The caller's environment without AWS or Kubernetes settings (nothing here may reach a real account) or
    controller settings, without colour."""
    env = dict((key, value) for key, value in os.environ.items()
               if not key.startswith(("AWS_", "KUBECONFIG", "CONTROLLER_", "TOWER_")))
    env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", **extra)
    return env


def load_yaml(path: Path):
    with path.open() as f:
        return yaml.safe_load(f)


def run_playbook(runbook: str, extra_vars: dict) -> dict:
    """Run playbooks/<runbook>.yml on the sandbox inventory WITHOUT a sandbox (no AWS_ENDPOINT_URL): it stops at its
    preflight "a sandbox inventory only talks to the sandbox" at the latest, before any AWS or Kubernetes call.
    Returns the ansible.posix.json report."""
    proc = subprocess.run([str(BIN / "ansible-playbook"), f"playbooks/{runbook}.yml", "-i", "inventories/sandbox",
                           "-e", json.dumps(extra_vars)], cwd=REPO, capture_output=True, text=True, timeout=300,
                          env=clean_env(ANSIBLE_COLLECTIONS_PATH=str(REPO / "collections"),
                                        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json"))
    assert proc.returncode != 0, "without a sandbox every runbook must stop at its preflight: " + proc.stdout[-3000:]
    return json.loads(proc.stdout)
