# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A recorded drill-like run, fed to RunRecorder the way the run_evidence callback feeds it (plain values only)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_model import RunRecorder, parse_iso

T0 = parse_iso("2026-01-31T12:00:00Z")
PLAY_ROOT = None  # tasks at the play's top level: their own (uid, name) is the top-level item


class Run(object):
    """Feeds a RunRecorder: each task takes `seconds`, one after the other, on localhost."""

    def __init__(self):
        self.recorder = RunRecorder()
        self.t = T0
        self.recorder.playbook_start("playbooks/failover_drill.yml", self.t)
        self.recorder.play_start("Failover drill", self.t)

    def task(self, uid, name, action="ansible.builtin.set_fact", seconds=1.0, status="ok", result=None, lineage=None, top=None, role=None):
        lineage = lineage if lineage is not None else [(uid, name)]
        self.recorder.task_start(uid, name, self.t, action=action, role=role, path="x.yml:1", lineage=lineage, top=top or lineage[-1])
        self.recorder.host_start(uid, "localhost", self.t)
        self.t += seconds
        self.recorder.task_result(uid, "localhost", status, self.t, result or {"changed": status == "changed"})
        return self

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
             result={"changed": True, "promoted": True, "lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "lag_verdict": "within",
                     "lag_gate": {"allowed": True, "overridden": False, "reason": "lag 2.0 s within the RPO budget 60 s"},
                     "instance": {"id": "shop-db-dr", "endpoint": {"address": "db", "port": 5433}}, "duration_seconds": 0.5})
    block3 = [("b3", "Drill | 3. smoke-test the application on DR")]
    run.task("s3a", "Run the smoke test", action="cloudops.runbooks.k8s_job_run", seconds=1.5, status="failed",
             result={"msg": "Job web-smoke failed: exit code 1",
                     "job": {"name": "web-smoke", "outcome": "failed", "succeeded": 0, "failed": 1, "duration_seconds": 1.2}},
             lineage=[("s3a", "Run the smoke test")] + block3, top=block3[0])
    run.task("r1", "Drill | keep what failed (the failback still runs)", seconds=0.1)
    run.task("f1", "Failback | 1. put Route 53 back as recorded", action="ansible.builtin.include_role", seconds=0.0, status="skipped")
    return run.end()


@pytest.fixture
def drill():
    return drill_run()


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
