# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudops.runbooks.runbook_request: runs on the controller, no module process. Reads the variables
the runbook's validation needs (module_utils/runbook_request.variables), templated, and refuses the run with every
problem found. The logic is in module_utils/runbook_request.py (unit-tested)."""

from __future__ import annotations

import os

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("runbook",))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        runbook = self._task.args.get("runbook")
        if runbook not in runbook_request.RUNBOOKS:
            result.update(failed=True, msg="runbook_request: runbook must be one of %s, got %r" % (", ".join(runbook_request.RUNBOOKS), runbook))
            return result

        values, unreadable = {}, []
        for name in runbook_request.variables(runbook):
            if name not in task_vars:
                continue
            try:
                values[name] = self._templar.template(task_vars[name])
            except AnsibleError as exc:
                unreadable.append("%s cannot be evaluated: %s." % (name, str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__))
        found = unreadable + runbook_request.problems(runbook, values, cwd=os.getcwd())
        result.update(changed=False, problems=found, checked=sorted(values))
        if found:
            result.update(failed=True, msg=runbook_request.refusal(runbook, found))
        else:
            result["msg"] = "%s request checked: %s" % (runbook_request.TITLES[runbook], ", ".join(sorted(values)) or "nothing given")
        return result
