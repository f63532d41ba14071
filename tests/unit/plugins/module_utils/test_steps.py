# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard step result (module_utils/steps.py) and the step_summary of each module that returns gates."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import data_checks
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils import gates
from ansible_collections.cloudops.runbooks.plugins.module_utils import k8s_jobs
from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic


# -- the shape ----------------------------------------------------------------------------------------------------------
def test_a_gate_keeps_its_four_keys_scalar_numbers_and_one_line():
    assert steps.gate("lag", "yes", "first line\nsecond", {"a": 1, "b": [1], "c": None, "d": "x" * 250}) == {
        "name": "lag", "passed": None, "detail": "first line", "numbers": {"a": 1, "d": "x" * 200 + "..."}}
    assert steps.gates_of([{"name": "a", "passed": False}, {"passed": True}, "x", {"name": ""}]) == [
        {"name": "a", "passed": False, "detail": None, "numbers": {}}]


def test_measures_are_flat_nested_dicts_dotted_and_lists_dropped():
    assert steps.flat({"a": 1, "b": {"c": 2.5, "d": {"e": "x"}}, "f": [1], "g": None}) == (
        {"a": 1, "b.c": 2.5, "b.d.e": "x", "g": None}, ["f"])
    assert steps.summary("done", {"n": 1, "l": [2]}, None) == {"detail": "done", "measures": {"n": 1}, "gates": []}


@pytest.mark.parametrize("result, outcome", [
    ({}, "ok"), ({"changed": True}, "changed"), ({"failed": True, "changed": True}, "failed"), ({"skipped": True}, "skipped"),
    ({"unreachable": True}, "failed"), (None, "ok"),
])
def test_outcome_of_a_result(result, outcome):
    assert steps.outcome(result) == outcome


def test_a_step_takes_the_modules_summary_with_the_tasks_detail_measures_and_gates_over_it():
    result = {"changed": True, "step_summary": {"detail": "promoted", "measures": {"lag": 2.0, "budget": 60},
                                                "gates": [{"name": "lag", "passed": True, "numbers": {"lag": 2.0}}]}}
    step = steps.make_step("promote", 100.0, 103.25, phase="failover", title="promote", module="cloudops.runbooks.rds_promote",
                           result=result, measures={"budget": 30, "extra": {"x": 1}}, gates=[{"name": "manual", "passed": None}])
    assert step == {
        "step": "promote", "phase": "failover", "title": "promote", "module": "cloudops.runbooks.rds_promote",
        "started_at": "1970-01-01T00:01:40.000Z", "finished_at": "1970-01-01T00:01:43.250Z", "duration_seconds": 3.25,
        "outcome": "changed", "detail": "promoted", "error": None, "measures": {"lag": 2.0, "budget": 30, "extra.x": 1},
        "gates": [{"name": "lag", "passed": True, "detail": None, "numbers": {"lag": 2.0}},
                  {"name": "manual", "passed": None, "detail": None, "numbers": {}}]}
    assert set(step) == set(steps.STEP_KEYS)
    assert steps.make_step("promote", 1.0, 2.0, result=result, detail="given")["detail"] == "given"


def test_a_failed_step_carries_the_error_and_a_step_without_module_is_ok():
    failed = steps.make_step("smoke", 1.0, 2.0, result={"failed": True, "msg": "Job failed\nlogs: ..."})
    assert (failed["outcome"], failed["error"], failed["detail"], failed["title"]) == ("failed", "Job failed\nlogs: ...", "Job failed", "smoke")
    plain = steps.make_step("cut", 1.0, 1.0, phase="", detail="cut at 12:00", measures={"at": 1.0})
    assert (plain["outcome"], plain["phase"], plain["module"], plain["detail"], plain["measures"]) == ("ok", None, None, "cut at 12:00", {"at": 1.0})


def test_wrong_step_arguments_are_named():
    assert steps.step_problems("promote") == []
    problems = steps.step_problems("Promote!", phase=1, measures=[1], gates={"a": 1})
    assert [p.split(" ")[0] for p in problems] == ["step", "phase", "measures", "gates"]


def test_the_list_of_steps_keeps_recorded_steps_only():
    one = steps.make_step("a", 1.0, 2.0)
    two = steps.make_step("b", 2.0, 3.0)
    assert steps.steps_after([one, {"not": "a step"}], two) == [one, two]
    assert steps.steps_after(None, [one, two, "x"]) == [one, two]


# -- the gates each module returns (they were a registry of result keys in the evidence model) ---------------------------
def test_promotion_lag_gate():
    result = {"promoted": True, "lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "lag_verdict": "within",
              "lag_gate": {"allowed": True, "overridden": False, "reason": "lag 2.0 s within the RPO budget 60 s"}, "duration_seconds": 0.5}
    summary = replication.promotion_step_summary(result)
    assert summary["gates"] == [{"name": "lag at promotion", "passed": True, "detail": "lag 2.0 s within the RPO budget 60 s",
                                 "numbers": {"lag_at_promotion_seconds": 2.0, "rpo_budget_seconds": 60, "duration_seconds": 0.5,
                                             "lag_verdict": "within", "promoted": True, "overridden": False}}]
    assert summary["detail"] == "promoted: lag 2.0 s within the RPO budget 60 s"
    refused = replication.promotion_step_summary(dict(result, promoted=False, lag_gate={"allowed": False, "reason": "lag 90 s over 60 s"}))
    assert refused["gates"][0]["passed"] is False and refused["detail"] == "not promoted: lag 90 s over 60 s"


def test_replication_gate_only_for_a_replica_with_a_lag():
    replica = {"exists": True, "instance_id": "db-dr", "role": "replica", "replica_lag_seconds": 2.0, "rpo_budget_seconds": 60,
               "lag_verdict": "within", "endpoint": {"port": 5433}}
    [gate] = replication.replication_step_summary(replica)["gates"]
    assert gate == {"name": "replication db-dr", "passed": None, "detail": "within",
                    "numbers": {"role": "replica", "replica_lag_seconds": 2.0, "rpo_budget_seconds": 60, "lag_verdict": "within"}}
    assert replication.replication_step_summary(dict(replica, role="standalone", replica_lag_seconds=None, lag_verdict=None))["gates"] == []
    assert replication.replication_step_summary({"exists": False, "instance_id": "gone"})["detail"] == "gone does not exist"


def test_cloudwatch_gate():
    metric = {"passed": False, "value": 0.9, "threshold": 0.5, "comparison": "GreaterThanThreshold", "statistic": "p99",
              "reason": "p99 0.9 > 0.5", "datapoints": [{"value": 0.9}]}
    assert gates.gate_step_summary(metric)["gates"] == [{"name": "p99", "passed": False, "detail": "p99 0.9 > 0.5", "numbers": {
        "value": 0.9, "threshold": 0.5, "comparison": "GreaterThanThreshold", "statistic": "p99"}}]
    alarm = {"passed": True, "alarm": {"name": "shop-5xx", "state": "OK"}, "reason": "alarm shop-5xx is OK"}
    [gate] = gates.gate_step_summary(alarm)["gates"]
    assert (gate["name"], gate["passed"], gate["numbers"]) == ("shop-5xx", True, {"alarm_state": "OK"})


def test_readiness_target_health_and_data_check_gates():
    findings = [{"check": "replica_lag", "passed": True, "detail": "2 s", "numbers": {"lag_seconds": 2.0, "nested": {"x": 1}}},
                {"check": "dr_cluster", "passed": False, "detail": "missing"}]
    summary = readiness.readiness_step_summary(findings)
    assert [(g["name"], g["passed"], g["numbers"]) for g in summary["gates"]] == [
        ("replica_lag", True, {"lag_seconds": 2.0}), ("dr_cluster", False, {})]
    assert summary["detail"] == "1 check(s) failed: dr_cluster"
    health = {"target_groups": [{"name": "shop-green", "healthy": 2, "unhealthy": 0, "registered": 2, "need": 2, "ready": True,
                                 "targets": [{"id": "i-1"}]}], "elapsed_seconds": 0.4, "polls": 1}
    [gate] = traffic.target_health_step_summary(health)["gates"]
    assert (gate["name"], gate["passed"], gate["numbers"]) == ("targets shop-green", True, {"healthy": 2, "unhealthy": 0, "registered": 2, "need": 2})
    checks = {"instance_id": "db-restore", "checks": [{"name": "orders", "kind": "min_rows", "expected": 1, "actual": 0, "passed": False,
                                                       "message": "0 rows, expected at least 1"}]}
    summary = data_checks.verify_step_summary(checks)
    assert summary["gates"] == [{"name": "orders", "passed": False, "detail": "0 rows, expected at least 1",
                                 "numbers": {"kind": "min_rows", "expected": 1, "actual": 0}}]
    assert summary["detail"] == "0 of 1 data check(s) passed on db-restore"


def test_a_completed_smoke_job_passes_a_skipped_one_is_no_verdict_and_a_dns_read_or_prediction_is_no_gate():
    [job] = k8s_jobs.job_step_summary({"name": "smoke", "outcome": "complete", "succeeded": 1, "failed": 0})["gates"]
    assert (job["name"], job["passed"], job["numbers"]["outcome"]) == ("job smoke", True, "complete")
    assert k8s_jobs.job_step_summary({"name": "smoke", "outcome": "skipped"})["gates"][0]["passed"] is None
    assert failover.switch_step_summary({"mode": "failover", "serving": "dr", "change_status": None})["gates"] == []
    assert failover.switch_step_summary({"serving": "dr"}, check_mode=True)["detail"] == "would serve dr (check mode)"
    summary = failover.switch_step_summary({"mode": "failover", "serving": "dr", "change_status": "INSYNC", "insync_seconds": 0.4})
    [dns] = summary["gates"]
    assert (dns["passed"], dns["numbers"]["insync_seconds"], summary["detail"]) == (True, 0.4, "serving dr, change INSYNC after 0.4 s")
    assert failover.switch_step_summary({"change_status": "PENDING"})["gates"][0]["passed"] is False
    sent = failover.switch_step_summary({"serving": "dr", "change_status": "PENDING"}, waited=False)
    assert (sent["gates"], sent["detail"]) == ([], "serving dr, change PENDING sent (INSYNC not waited for)")


def test_restore_point_gate():
    [gate] = backup.restore_point_step_summary({"kind": "time", "time": "t"}, 0.5)["gates"]
    assert gate == {"name": "restore point", "passed": None, "detail": "time", "numbers": {"gap_seconds": 0.5, "kind": "time", "time": "t"}}
