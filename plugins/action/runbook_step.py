# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudops.runbooks.runbook_step: one runbook step = one module process (or none), recorded as data.

Runs the step's module once with `_execute_module` (check and diff mode passed through, module_defaults applied),
times it, and returns the module's result plus `cloudops_step` (the standard step, module_utils/steps.make_step) and
`ansible_facts.runbook_steps` (the run's steps so far, this one last). The step's shape is plain Python in
module_utils/steps.py (unit-tested); the documentation is plugins/modules/runbook_step.py.
"""

from __future__ import annotations

import os
import time

from ansible.errors import AnsibleError
from ansible.plugins.action import ActionBase

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

try:  # ansible-core 2.19+
    from ansible.executor.module_common import _apply_action_arg_defaults
    get_action_args_with_defaults = None
except ImportError:  # ansible-core 2.17, 2.18
    _apply_action_arg_defaults = None
    from ansible.executor.module_common import get_action_args_with_defaults

FACT = "runbook_steps"
RUN_FACT = "runbook_steps_run"


def controller_run():
    """A token of this ansible-playbook process (the worker's parent and its start time): steps a persistent fact
    cache kept from an earlier run carry another token and are not counted in this run's list."""
    parent = os.getppid()
    started = ""
    try:
        with open("/proc/%d/stat" % parent) as handle:
            started = handle.read().rsplit(")", 1)[1].split()[19]
        with open("/proc/stat") as handle:
            boot = [line.split()[1] for line in handle if line.startswith("btime ")]
        started = "%s+%s" % (boot[0] if boot else "", started)
    except (IOError, OSError, IndexError):
        pass
    return "%d@%s" % (parent, started)


def previous_steps(task_vars, run):
    """The run's recorded steps before this task: the facts this plugin set earlier in the same run."""
    facts = (task_vars or {}).get("ansible_facts")
    facts = facts if isinstance(facts, dict) else {}
    if facts.get(RUN_FACT) != run:
        return []
    listed = facts.get(FACT)
    return list(listed) if isinstance(listed, list) else []


def add_recorded_steps(result, facts, task_vars, recorded):
    """Record steps another action made (e.g. a plan action's preflight step): appended to the run's list in facts,
    and on the result as runbook_step results carry them (cloudops_step, one per item of `results`) for the run
    evidence."""
    run = controller_run()
    facts.update({FACT: steps.steps_after(previous_steps(task_vars, run), recorded), RUN_FACT: run})
    result.update(cloudops_step=recorded, results=[{"cloudops_step": step} for step in recorded])


def record_plan_step(result, facts, task_vars, args, plugin, make_step):
    """A plan action's own step - make_step(started, finished), started at args["since"] - then the steps its reads
    recorded (args["steps"]), recorded as add_recorded_steps does. Returns False, the result failed, when since is
    not an ISO 8601 time."""
    try:
        recorded = [make_step(steps.epoch(args["since"]), time.time())]
    except ValueError as exc:
        result.update(failed=True, msg="%s: since must be an ISO 8601 time: %s" % (plugin, exc))
        return False
    recorded += [step for step in (args.get("steps") or []) if steps.is_step(step)]
    add_recorded_steps(result, facts, task_vars, recorded)
    return True


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _supports_check_mode = True
    _supports_async = False
    _VALID_ARGS = frozenset(("step", "phase", "title", "module", "args", "detail", "measures", "gates", "record", "since", "outcome"))

    def _fail(self, result, msg):
        result.update(failed=True, changed=False, msg="runbook_step: %s" % msg)
        return result

    def _module_args(self, module, args):
        """(resolved name, arguments with the play's module_defaults) of the step's module; raises AnsibleError."""
        found = self._shared_loader_obj.module_loader.find_plugin_with_context(module, collection_list=self._task.collections)
        if not found.resolved:
            raise AnsibleError("module %s was not found (give its full name, such as cloudops.runbooks.rds_promote)" % module)
        name = found.resolved_fqcn
        if self._shared_loader_obj.action_loader.has_plugin(name, collection_list=self._task.collections):
            raise AnsibleError("%s is run by an action plugin on the controller; run it as a task of its own, not as a "
                               "runbook_step module" % name)
        args = dict(args)
        if _apply_action_arg_defaults is not None:
            args = _apply_action_arg_defaults(name, self._task, args, self._templar)
        else:
            action_groups = self._task._parent._play._action_groups if self._task._parent and self._task._parent._play else {}
            args = get_action_args_with_defaults(name, args, self._task.module_defaults, self._templar,
                                                 action_groups=action_groups)
        return name, args

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        a = self._task.args
        run = controller_run()
        previous = previous_steps(task_vars, run)

        if "record" in a:  # add steps recorded by another task (a failed one, whose facts Ansible does not apply)
            if any(k in a for k in ("module", "args")):
                return self._fail(result, "record cannot be given with module or args.")
            recorded = a["record"] if isinstance(a["record"], list) else [a["record"]]
            bad = [r for r in recorded if not steps.is_step(r)]
            if bad:
                return self._fail(result, "record must be a recorded step (a result's cloudops_step) or a list of them, got %r."
                                  % (bad[0],))
            result.update(changed=False, msg="recorded %d step(s)" % len(recorded),
                          ansible_facts={FACT: steps.steps_after(previous, recorded), RUN_FACT: run})
            return result

        module = a.get("module")
        problems = steps.step_problems(a.get("step"), a.get("phase"), a.get("title"), module, a.get("detail"),
                                       a.get("measures"), a.get("gates"))
        if "args" in a and not isinstance(a.get("args"), dict):
            problems.append("args must be a dictionary of the module's arguments, got %s." % type(a.get("args")).__name__)
        if "args" in a and not module:
            problems.append("args is given without module.")
        if "outcome" in a and (module or a["outcome"] not in steps.OUTCOMES):
            problems.append("outcome is for a step without module, one of %s; got %r." % (", ".join(steps.OUTCOMES), a["outcome"]))
        if problems:
            return self._fail(result, " ".join(problems))
        dropped = steps.flat(a.get("measures"))[1]
        if dropped:
            self._display.warning("runbook_step %s: measures are flat numbers; left out: %s" % (a["step"], ", ".join(dropped)))
        title = a.get("title") or self._task.name or a["step"]  # the task's own name (get_name() adds the role's)

        started = time.time()
        if a.get("since"):  # the step began with an earlier task (e.g. a node group scaled before its workloads)
            try:
                started = min(started, steps.epoch(a["since"]))
            except ValueError as exc:
                return self._fail(result, "since must be an ISO 8601 time: %s" % exc)
        module_result = None
        if module:
            try:
                name, module_args = self._module_args(module, a.get("args") or {})
            except AnsibleError as exc:
                return self._fail(result, str(exc))
            try:
                module_result = self._execute_module(module_name=name, module_args=module_args, task_vars=task_vars)
            finally:
                self._remove_tmp_path(self._connection._shell.tmpdir)
            module = name
        finished = time.time()

        step = steps.make_step(a["step"], started, finished, phase=a.get("phase"), title=title, module=module,
                               result=module_result, detail=a.get("detail"), measures=a.get("measures"), gates=a.get("gates"),
                               recorded_outcome=a.get("outcome"))
        if module_result is not None:
            result.update(module_result)
        else:
            result.update(changed=False, msg="step %s recorded" % a["step"])
        facts = dict(result.get("ansible_facts") or {})
        facts.update({FACT: steps.steps_after(previous, step), RUN_FACT: run})
        result.update(cloudops_step=step, ansible_facts=facts)
        return result
