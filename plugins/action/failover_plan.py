# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of cloudops.runbooks.failover_plan: on the controller, no module process. From the readiness audit
(dr_readiness_info's result), the DR load balancer's traffic when a name uses {colour}, and the inventory's
cloudops_failover/eks/rds/dns/alb/budgets: refuses the run when a blocking check failed (naming it and what to do) or
the DR side has no single active colour, else sets the facts failover_plan and failover_readiness. The logic is
module_utils/failover_plan.py (unit-tested). With stage: progress (before the lock) only the progress records are
judged: failover_progress (the run id to lock for) and failover_capacity (what a drill reads with its status before).
With since (the run's start), a plan that is not refused also records the preflight step (from since to now, the
readiness summary as its detail) followed by the given steps (the status before a new drill read with its readiness),
in runbook_steps as runbook_step does."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.cloudops.runbooks.plugins.action.runbook_step import record_plan_step
from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_plan


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _VALID_ARGS = frozenset(("operation", "audit", "traffic", "records", "max_lag_override", "blocking_checks", "stage", "since",
                             "steps"))

    def run(self, tmp=None, task_vars=None):
        result = super(ActionModule, self).run(tmp, task_vars)
        del tmp
        task_vars = task_vars or {}
        a = self._task.args
        operation = a.get("operation")
        if operation not in (failover_plan.FAILOVER, failover_plan.DRILL):
            result.update(failed=True, msg="failover_plan: operation must be failover or drill, got %r" % (operation,))
            return result

        def var(name, default=None):
            return self._templar.template(task_vars[name]) if name in task_vars else default

        settings, alb = var("cloudops_failover", {}), var("cloudops_alb", {}) or {}
        run = var("runbook_run", {}) or {}
        eks = var("cloudops_eks", {}) or {}
        progress = failover_plan.progress(operation, a.get("records"), run.get("run_id"), run.get("started_at"),
                                          (eks.get("dr") or {}).get("region"), (settings.get("record") or {}).get("namespace"))
        if progress["refusal"]:
            result.update(failed=True, changed=False, msg=progress["refusal"])
            return result
        if a.get("stage") == "progress":  # before the lock: the run id to lock for, what the drill reads with the status
            result.update(changed=False, msg="%s: %s" % (failover_plan.what(operation), "resumes run %s" % progress["run_id"]
                                                         if progress["resumed"] else "a new run"),
                          ansible_facts={"failover_progress": progress,
                                         "failover_capacity": failover_plan.capacity_request(settings, eks)})
            return result
        colour = ""
        if failover_plan.uses_colour(settings):
            refusal = failover_plan.colour_problem(operation, (alb or {}).get("dr"), a.get("traffic"))
            if refusal:
                result.update(failed=True, changed=False, msg=refusal)
                return result
            colour = a["traffic"]["active_colour"]
        max_lag_override = failover_plan.as_bool(a.get("max_lag_override"))  # "false" (an extra var's text) is false
        blocking = failover_plan.blocking_checks(operation, progress["resuming"], max_lag_override, a.get("blocking_checks"),
                                                 audit=a.get("audit"), shape=db_shape.shape(var("cloudops_rds", {})))
        readiness = failover_plan.readiness(a.get("audit"), blocking)
        refusal = failover_plan.readiness_refusal(operation, readiness, progress["refusal_note"])
        if refusal:
            result.update(failed=True, changed=False, readiness=readiness, msg=refusal)
            return result
        plan = failover_plan.plan(operation, var("cloudops_environment"), settings, eks, var("cloudops_rds", {}),
                                  var("cloudops_dns", {}), var("cloudops_budgets", {}), max_lag_override, colour,
                                  db=var("cloudops_db", {}), cache=var("cloudops_cache"), buckets=var("cloudops_buckets"),
                                  regions=var("cloudops_regions"))
        facts = {"failover_plan": plan, "failover_readiness": readiness, "failover_progress": progress}
        result.update(changed=False, msg="%s planned: %s" % (failover_plan.what(operation), readiness["summary"]), ansible_facts=facts)
        if a.get("since"):  # the preflight ends here: its step, then the steps its reads recorded (the status before)
            record_plan_step(result, facts, task_vars, a, "failover_plan",
                             lambda started, finished: failover_plan.preflight_step(started, finished, progress["resumed"], readiness["summary"]))
        return result
