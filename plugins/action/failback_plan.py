# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudops.runbooks.failback_plan: on the controller, no module process. With stage: progress (before
the lock) it judges the failover record (refused when there is none, when it does not say failed_over, when the
estate is already failed back; else a new failback or the interrupted one it resumes) and sets failback_progress. With
stage: plan (under the lock) it refuses when the read of the estate failed or found the primary region not ready, or
when the inventory lacks what the failback needs, else sets failback_plan (every step's arguments, the steps still to
run) and records the preflight step, followed by the given steps, in runbook_steps as runbook_step does. The logic is
module_utils/failback.py (unit-tested)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.cloudops.runbooks.plugins.action.runbook_step import record_plan_step
from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import failback
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("stage", "records", "status", "old_primary", "since", "steps"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        a = self._task.args

        def var(name, default=None):
            return self._templar.template(task_vars[name]) if name in task_vars else default

        settings = var("cloudops_failover", {}) or {}
        run = var("runbook_run", {}) or {}
        if a.get("stage") == "progress":
            progress = failback.progress(a.get("records"), run.get("run_id"), run.get("started_at"), (settings.get("record") or {}).get("namespace"))
            if progress["refusal"]:
                result.update(failed=True, changed=False, msg=progress["refusal"])
                return result
            result.update(changed=False, msg="Failback: %s" % ("resumes run %s at %s" % (progress["run_id"], progress["state"].get("phase"))
                                                               if progress["resumed"] else "a new run"),
                          ansible_facts={"failback_progress": progress})
            return result

        progress = var("failback_progress", {}) or {}
        record = progress.get("record") or {}
        eks = var("cloudops_eks", {}) or {}
        status = a.get("status") or {}
        refusal = failback.unreachable_refusal((eks.get("primary") or {}).get("region"), status)
        failback_settings = var("cloudops_failback", {}) or {}
        problems = failback.plan_problems(settings, failback_settings, record)
        rds_vars = var("cloudops_rds", {}) or {}
        if not refusal and not progress.get("resumed") and db_shape.shape(rds_vars) == db_shape.AURORA_GLOBAL:
            why = aurora.failback_refusal((status.get("status_report") or {}).get("rds"), rds_vars)
            problems = problems + (["%s." % why] if why else [])
        if refusal or problems:
            result.update(failed=True, changed=False,
                          msg=refusal or "Failback refused, nothing changed. %s" % " ".join(problems))
            return result
        report = status.get("status_report") or {}
        colours = dict((side, (lb or {}).get("active_colour")) for side, lb in (report.get("alb") or {}).items())
        state = progress.get("state") or {}
        plan = failback.plan(var("cloudops_environment"), settings, failback_settings, eks, var("cloudops_rds", {}), var("cloudops_dns", {}),
                             var("cloudops_db", {}), var("cloudops_budgets", {}), record, progress.get("run_id"), a.get("old_primary") or "",
                             state.get("phase") if progress.get("resumed") else "started", colours, progress.get("first_started_at"),
                             list(((var("cloudops_alb", {}) or {}).get("dr") or {}).get("target_groups") or {}),
                             cache=var("cloudops_cache"), buckets=var("cloudops_buckets"), regions=var("cloudops_regions"))
        facts = {"failback_plan": plan}
        summary = "steps to run: %s" % ", ".join(plan["run"]) if progress.get("resumed") else "primary region ready, failed over by %s" % record.get("run_id")
        result.update(changed=False, msg="Failback planned: %s" % summary, ansible_facts=facts)
        if a.get("since"):
            title = "failover record, primary region, plan%s" % (", resume" if progress.get("resumed") else "")
            record_plan_step(result, facts, task_vars, a, "failback_plan",
                             lambda started, finished: steps.make_step("preflight", started, finished, phase="preflight", title=title,
                                                                       detail=summary))
        return result
