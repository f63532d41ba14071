# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudops.runbooks.runbook_request: runs on the controller, no module process. Checks a runbook's
request completely before the runbook lock and any call, and refuses the run naming every variable that cannot be
right: the extra vars' types and choices (the runbook's entry point of roles/runbook_inputs/meta/argument_specs.yml),
their values and the estate settings the run reads (module_utils/runbook_request.problems), the estate variables
present, the confirmation naming the environment, and that a sandbox inventory talks to the sandbox. Then it sets the
fact `runbook_run` (runbook, title, environment, run id, start, the lock's arguments) that roles/runbook uses. The
logic is in module_utils/runbook_request.py and module_utils/locking.py (unit-tested)."""

from __future__ import annotations

import datetime
import os

import yaml

from ansible.errors import AnsibleError
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.plugins.action import ActionBase
from ansible.release import __version__ as ansible_core_version

from ansible_collections.cloudops.runbooks.plugins.module_utils import evidence_upload, locking, runbook_request
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import payloads

SPECS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                     "roles", "runbook_inputs", "meta", "argument_specs.yml")


def extra_var_specs(runbook):
    """The options of the runbook's entry point in roles/runbook_inputs/meta/argument_specs.yml ({} if it has none)."""
    with open(SPECS, encoding="utf-8") as handle:
        specs = yaml.safe_load(handle)["argument_specs"]
    return (specs.get(runbook) or {}).get("options") or {}


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("runbook", "run_id"))

    def _value(self, task_vars, name, unreadable):
        try:
            return self._templar.template(task_vars[name])
        except AnsibleError as exc:
            unreadable.append("%s cannot be evaluated: %s." % (name, str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__))
            return None

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        runbook = self._task.args.get("runbook")
        if runbook not in runbook_request.RUNBOOKS:
            result.update(failed=True, msg="runbook_request: runbook must be one of %s, got %r" % (", ".join(runbook_request.RUNBOOKS), runbook))
            return result

        # 0. An ansible-core the runbooks run on (older ones warn of requires_ansible only, then change the estate).
        too_old = runbook_request.ansible_core_problem(ansible_core_version)
        if too_old:
            result.update(failed=True, changed=False, msg=too_old)
            return result

        # 1. Types and choices, as Ansible's role argument validation says them.
        options = extra_var_specs(runbook)
        unreadable = []
        given = dict((name, self._value(task_vars, name, unreadable)) for name in options if name in task_vars)
        errors = ArgumentSpecValidator(options).validate(given, validate_role_argument_spec=True).error_messages
        if errors or unreadable:
            result.update(failed=True, changed=False, argument_errors=errors + unreadable,
                          msg="Validation of arguments failed:\n%s" % "\n".join(errors + unreadable))
            return result

        # 2. The values and the estate settings the run reads.
        values = {}
        for name in runbook_request.variables(runbook):
            if name in task_vars:
                values[name] = self._value(task_vars, name, unreadable)
        found = unreadable + runbook_request.problems(runbook, values, cwd=os.getcwd())
        # Where the run evidence is copied (roles/runbook close): a wrong bucket name refuses the run, not its end.
        bucket = self._value(task_vars, "cloudops_report_bucket", found) if "cloudops_report_bucket" in task_vars else ""
        if bucket:
            found += [problem for problem in [evidence_upload.bucket_problem(bucket)] if problem]
        result.update(changed=False, problems=found, checked=sorted(values))
        if found:
            result.update(failed=True, msg=runbook_request.refusal(runbook, found))
            return result

        # 3. The estate, 4. the confirmation, 5. the sandbox guard: still before any call.
        missing = runbook_request.missing_estate(runbook, task_vars)
        if missing:
            result.update(failed=True, missing=missing, msg=runbook_request.missing_estate_message(missing))
            return result
        environment = self._value(task_vars, "cloudops_environment", unreadable)
        # Where the inventory says a confirmation is required: cloudops_failover (failover, drill), cloudops_lock (a lock release).
        settings_var = "cloudops_lock" if runbook == "release_lock" else "cloudops_failover"
        settings = self._value(task_vars, settings_var, unreadable) if settings_var in task_vars else {}
        confirm_var = runbook_request.CONFIRMATIONS.get(runbook)
        refusal = runbook_request.confirmation_problem(
            runbook, environment, (settings or {}).get("require_confirmation", True) if isinstance(settings, dict) else True,
            self._value(task_vars, confirm_var, unreadable) if confirm_var and confirm_var in task_vars else "", values)
        if refusal:
            result.update(failed=True, msg=refusal)
            return result
        sandbox = self._value(task_vars, "cloudops_sandbox", unreadable) if "cloudops_sandbox" in task_vars else False
        if runbook_request.truthy(sandbox, False) and not os.environ.get("AWS_ENDPOINT_URL"):
            result.update(failed=True, msg=runbook_request.SANDBOX_NOT_SOURCED)
            return result

        started_at = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        run = {"runbook": runbook, "title": runbook_request.TITLES[runbook], "environment": environment, "started_at": started_at,
               "run_id": self._task.args.get("run_id") or runbook_request.run_id(runbook, environment, started_at),
               "check_mode": bool(self._task.check_mode)}
        if "cloudops_lock" in task_vars:
            run["lock"] = self._lock(task_vars, runbook, environment, unreadable)
        # The request is good: the run's modules' payloads are built from now on, ahead of the steps that call them.
        payloads.build_in_background(runbook_request.step_modules(runbook), self._templar, task_vars)
        result["msg"] = "%s request checked: %s" % (runbook_request.TITLES[runbook], ", ".join(sorted(values)) or "nothing given")
        result["ansible_facts"] = {"runbook_run": run}
        return result

    def _lock(self, task_vars, runbook, environment, unreadable):
        """The runbook_lock module's arguments for this run (roles/runbook, entry point lock)."""
        settings = self._value(task_vars, "cloudops_lock", unreadable) or {}
        inventory = (self._value(task_vars, "runbook_lock_inventory", unreadable) if "runbook_lock_inventory" in task_vars else "") \
            or "inventories/%s" % environment
        confirm = runbook_request.truthy(settings.get("require_confirmation"), True)
        user = ""
        for name in ("runbook_lock_user", "awx_user_name", "tower_user_name"):
            if task_vars.get(name):
                user = self._value(task_vars, name, unreadable)
                break
        return {"table_name": settings.get("table_name"), "region": settings.get("region"),
                "ttl_seconds": int(settings.get("ttl_seconds") or 3600), "runbook": runbook, "user": user or None,
                "release_command": locking.release_command(inventory, environment, confirm),
                "abandon_command": locking.abandon_command(inventory, environment, confirm),
                "inventory": inventory}
