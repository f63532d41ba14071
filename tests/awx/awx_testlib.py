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
AWX_MODULES = ("organization", "credential_type", "execution_environment", "project", "inventory", "inventory_source",
               "notification_template", "job_template", "workflow_job_template", "team", "role", "schedule")
# The notification secrets awx/vars/main.yml reads from the environment (dummies: nothing reaches a controller).
NOTIFICATION_SECRETS = ("CLOUDOPS_AWX_SLACK_TOKEN", "CLOUDOPS_AWX_TEAMS_WEBHOOK_URL", "CLOUDOPS_AWX_SMTP_PASSWORD",
                        "CLOUDOPS_AWX_PAGERDUTY_TOKEN", "CLOUDOPS_AWX_PAGERDUTY_SERVICE_KEY", "CLOUDOPS_AWX_SNS_ACCESS_KEY_ID",
                        "CLOUDOPS_AWX_SNS_SECRET_ACCESS_KEY")

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
               if not key.startswith(("AWS_", "KUBECONFIG", "CONTROLLER_", "TOWER_", "CLOUDOPS_AWX_")))
    env.update(ANSIBLE_FORCE_COLOR="0", ANSIBLE_NOCOLOR="1", **extra)
    return env


def configure(tmp_path_factory, env=None, extra_vars=()):
    """ansible-playbook awx/configure.yml against a stand-in awx.awx (an action plugin per module that returns the
    arguments it got, templated): the completed process."""
    root = tmp_path_factory.mktemp("awx-stand-in")
    actions = root / "ansible_collections" / "awx" / "awx" / "plugins" / "action"
    actions.mkdir(parents=True)
    for module in AWX_MODULES:
        (actions / f"{module}.py").write_text(STAND_IN)
    args = [item for pair in (("-e", value) for value in extra_vars) for item in pair]
    # Not this repository's ansible.cfg: a person's own (no run evidence callback; the collections path given here).
    config = root / "ansible.cfg"
    config.write_text("[defaults]\ninterpreter_python = auto_silent\n")
    return subprocess.run([str(BIN / "ansible-playbook"), "awx/configure.yml", *args], cwd=REPO, capture_output=True, text=True,
                          env=clean_env(ANSIBLE_COLLECTIONS_PATH=f"{root}:{REPO / 'collections'}",  # stand-in first
                                        ANSIBLE_STDOUT_CALLBACK="ansible.posix.json",
                                        ANSIBLE_CONFIG=str(config), **(env or {})),
                          timeout=300)


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


class _Captured(Exception):
    pass


_REAL_SPECS: dict = {}


def real_awx_spec(module: str) -> dict:
    """The argument spec and constraints of the installed awx.awx module (24.6.1, bundled with the `ansible` package)
    as its main() gives them to ControllerAPIModule, with the controller connection options that class adds: main()
    runs with the module class replaced by one that records its arguments and stops."""
    if module not in _REAL_SPECS:
        import importlib

        from ansible_collections.awx.awx.plugins.module_utils.controller_api import ControllerModule

        code = importlib.import_module(f"ansible_collections.awx.awx.plugins.modules.{module}")
        captured = {}

        def record(argument_spec=None, **kwargs):
            captured.update(kwargs, argument_spec=dict(ControllerModule.AUTH_ARGSPEC, **argument_spec))
            raise _Captured()

        names = [name for name in dir(code) if name.startswith("Controller") and name.endswith("Module")]
        assert names, f"awx.awx.{module}: no Controller*Module class"
        saved = dict((name, getattr(code, name)) for name in names)
        try:
            for name in names:
                setattr(code, name, record)
            try:
                code.main()
            except _Captured:
                pass
        finally:
            for name, value in saved.items():
                setattr(code, name, value)
        assert "argument_spec" in captured, f"awx.awx.{module}: main() built no module"
        _REAL_SPECS[module] = captured
    return _REAL_SPECS[module]


def validate_awx(module: str, args: dict) -> list:
    """The error messages of the real awx.awx module's argument validation for these task arguments."""
    from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

    spec = dict(real_awx_spec(module))
    constraints = dict((key, spec.pop(key)) for key in ("mutually_exclusive", "required_together", "required_one_of",
                                                        "required_if", "required_by") if key in spec)
    validator = ArgumentSpecValidator(spec.pop("argument_spec"), **constraints)
    return validator.validate(dict(args)).error_messages
