# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recorded drill-like run, fed to RunRecorder the way the run_evidence callback feeds it (plain values only)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import k8s_jobs
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_model import RunRecorder, declared_step, parse_iso

T0 = parse_iso("2026-01-31T12:00:00Z")
PLAY_ROOT = None  # tasks at the play's top level: their own (uid, name) is the top-level item


class Run(object):
    """Feeds a RunRecorder: each task takes `seconds`, one after the other, on localhost."""

    def __init__(self):
        self.recorder = RunRecorder()
        self.t = T0
        self.recorder.playbook_start("playbooks/failover_drill.yml", self.t)
        self.recorder.play_start("Failover drill", self.t)

    def task(self, uid, name, action="ansible.builtin.set_fact", seconds=1.0, status="ok", result=None, lineage=None, top=None, role=None,
             args=None):
        lineage = lineage if lineage is not None else [(uid, name)]
        self.recorder.task_start(uid, name, self.t, action=action, role=role, path="x.yml:1", lineage=lineage, top=top or lineage[-1],
                                 declared=declared_step(action, args))
        self.recorder.host_start(uid, "localhost", self.t)
        self.t += seconds
        self.recorder.task_result(uid, "localhost", status, self.t, result or {"changed": status == "changed"})
        return self

    def step(self, uid, name, step, phase, title, module=None, seconds=1.0, result=None, status=None, args=None, record=True, since=None):
        """A cloudops.runbooks.runbook_step task: its result is the module's (result) plus the recorded step (which
        began at `since` when given)."""
        result = dict(result or {"changed": False})
        started, finished = self.t + 0.05 if since is None else since, self.t + seconds - 0.05
        if record:
            result["cloudops_step"] = steps.make_step(step, started, finished, phase=phase, title=title, module=module, result=result)
        if status is None:
            status = steps.outcome(result)
        declared = dict({"step": step, "phase": phase, "title": title, "module": module}, **(args or {}))
        return self.task(uid, name, action="cloudops.runbooks.runbook_step", seconds=seconds, status=status, result=result,
                         args=dict((k, v) for k, v in declared.items() if v is not None))

    def end(self, seconds=0.5):
        self.t += seconds
        self.recorder.finish(self.t)
        return self.recorder


DRILL_REPORT = {
    "kind": "drill", "environment": "sandbox", "run_id": "drill-sandbox-20260131T120000", "check_mode": False, "outcome": "passed",
    "error": None, "failback_error": None,
    "cut_at": "2026-01-31T12:00:04.000000Z", "smoke_passed_at": "2026-01-31T12:00:10.500000Z",
    "rto": {"definition": "from the cut to the smoke test passing on DR", "seconds": 6.5, "budget_seconds": 900, "within_budget": True},
    "rpo": {"definition": "the markers the promoted database lacks", "rows": 2, "seconds": 1.5, "basis": "markers", "markers_written": 8,
            "markers_present": 6, "missing_seqs": [7, 8], "budget_seconds": 60, "within_budget": True, "lag_at_promotion_seconds": 2.0},
    "status": {"compared": True, "equal": True, "ignored": ["collected_at", "rds.replica.endpoint"], "differences": []},
    "status_before": {"collected_at": "2026-01-31T12:00:00Z", "dns": {"primary": "primary"}, "rds": {"replica": {"role": "replica",
                      "endpoint": {"address": "a", "port": 5433}}}},
    "status_after": {"collected_at": "2026-01-31T12:00:20Z", "dns": {"primary": "primary"}, "rds": {"replica": {"role": "replica",
                     "endpoint": {"address": "a", "port": 5440}}}},
    "steps": [], "next_steps": [],
}

DRILL_SUMMARY = {"schema_version": 1, "runbook": "failover_drill", "environment": "sandbox", "run_id": "drill-sandbox-20260131T120000",
                 "outcome": "passed", "status": "succeeded", "rto_seconds": 6.5, "rpo_seconds": 1.5, "rpo_rows": 2, "changes": [],
                 "run_dir": "/srv/runs/drill-sandbox-20260131T120000"}


def drill_run():
    """Preflight (not a step), `Drill | 1.` an include_role with two inner tasks, `Drill | 2.` a module with a gate,
    a bookkeeping task, `Drill | 3.` a block whose inner task failed and was rescued, `Failback | 1.` skipped."""
    run = Run()
    run.task("p1", "Preflight | confirmation", action="ansible.builtin.include_role")
    step1 = [("s1", "Drill | 1. status before")]
    run.task("s1", "Drill | 1. status before", action="ansible.builtin.include_role", seconds=0.1, top=step1[0])
    run.task("s1a", "Describe the EKS clusters", action="cloudops.runbooks.eks_cluster_info", seconds=1.4, role="cloudops.runbooks.status",
             lineage=[("s1a", "Describe the EKS clusters")] + step1, top=step1[0])
    run.task("s1b", "Build the status report", seconds=0.5, role="cloudops.runbooks.status",
             lineage=[("s1b", "Build the status report")] + step1, top=step1[0])
    run.task("n1", "Drill | note the status", seconds=0.2)
    run.task("s2", "Drill | 2. promote the DR replica (lag gate)", action="cloudops.runbooks.rds_promote", seconds=2.0, status="changed",
             result=PROMOTED)
    block3 = [("b3", "Drill | 3. smoke-test the application on DR")]
    run.task("s3a", "Run the smoke test", action="cloudops.runbooks.k8s_job_run", seconds=1.5, status="failed", result=SMOKE_FAILED,
             lineage=[("s3a", "Run the smoke test")] + block3, top=block3[0])
    run.task("r1", "Drill | keep what failed (the failback still runs)", seconds=0.1)
    run.task("f1", "Failback | 1. put Route 53 back as recorded", action="ansible.builtin.include_role", seconds=0.0, status="skipped")
    return run.end()


PROMOTED = {"changed": True, "promoted": True, "lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "lag_verdict": "within",
            "lag_gate": {"allowed": True, "overridden": False, "reason": "lag 2.0 s within the RPO budget 60 s"},
            "instance": {"id": "shop-db-dr", "endpoint": {"address": "db", "port": 5433}}, "duration_seconds": 0.5}
PROMOTED["step_summary"] = replication.promotion_step_summary(PROMOTED)
SMOKE_FAILED = {"failed": True, "changed": True, "msg": "Job web-smoke failed: exit code 1",
                "job": {"name": "web-smoke", "outcome": "failed", "succeeded": 0, "failed": 1, "duration_seconds": 1.2}}
SMOKE_FAILED["step_summary"] = k8s_jobs.job_step_summary(SMOKE_FAILED["job"])


def recorded_drill_run():
    """The same drill with its steps recorded as data (runbook_step): a preflight that is not a step, `status_before`
    (a module with no gate), bookkeeping, `promote` (a gate), `smoke_test` failed and rescued, then the failback's
    `dns_back` skipped by `when`."""
    run = Run()
    run.task("p1", "Preflight | confirmation", action="ansible.builtin.include_role")
    run.step("s1", "Collect the status before", "status_before", "drill", "status before", module="cloudops.runbooks.estate_status",
             seconds=2.0, result={"changed": False, "step_summary": {"detail": "estate collected", "measures": {"regions": 2}, "gates": []}})
    run.task("n1", "Drill | note the status", seconds=0.2)
    run.step("s2", "Promote", "promote", "drill", "promote the DR replica (lag gate)", module="cloudops.runbooks.rds_promote",
             seconds=2.0, result=PROMOTED)
    run.step("s3", "Smoke test", "smoke_test", "drill", "smoke-test the application on DR", module="cloudops.runbooks.k8s_job_run",
             seconds=1.5, result=SMOKE_FAILED)
    run.task("r1", "Drill | keep what failed (the failback still runs)", seconds=0.1)
    run.step("f1", "Put Route 53 back", "dns_back", "failback", "put Route 53 back as recorded",
             module="cloudops.runbooks.route53_failover_switch", seconds=0.0, status="skipped", result={"skipped": True}, record=False)
    return run.end()


@pytest.fixture
def drill():
    return drill_run()


@pytest.fixture
def recorded_drill():
    return recorded_drill_run()


@pytest.fixture
def promoted():
    """rds_promote's result of a promotion, with its step_summary."""
    return copy.deepcopy(PROMOTED)


@pytest.fixture
def drill_report():
    return copy.deepcopy(DRILL_REPORT)


@pytest.fixture
def drill_summary():
    return copy.deepcopy(DRILL_SUMMARY)


@pytest.fixture
def new_run():
    """A Run to feed task by task."""
    return Run
