"""The benchmark's arithmetic on made-up call logs (no sandbox): `pytest benchmarks/tests`."""

from __future__ import annotations

import pytest

from benchmarks import measure, report


def call(op, mutating, outcome="ok"):
    service, operation = op.split(":")
    return {"service": service, "operation": operation, "mutating": mutating, "outcome": outcome}


def change(op, started, final, observed):
    service, operation = op.split(":")
    return {"service": service, "operation": operation, "resource": "r", "started_at": started, "final_at": final,
            "observed_at": observed}


def test_call_summary_counts_mutating_read_and_errors_per_operation():
    summary = measure.call_summary([call("rds:PromoteReadReplica", True), call("rds:DescribeDBInstances", False),
                                    call("rds:DescribeDBInstances", False, "error")])
    assert (summary["mutating"], summary["read"], summary["not_ok"]) == (1, 2, 1)
    assert summary["by_operation"]["rds:DescribeDBInstances"] == {"mutating": False, "count": 2, "not_ok": 1}
    assert measure.mutating_by_operation(summary) == {"rds:PromoteReadReplica": 1}


def test_detection_is_observed_minus_final_and_lists_what_nobody_saw():
    found = measure.detection([change("rds:PromoteReadReplica", 0, 10, 11.5),
                               change("eks:UpdateNodegroupConfig", 0, 5, 5.5),
                               change("route53:ChangeResourceRecordSets", 0, 2, None)])
    assert found["waits"] == 2 and found["max"] == pytest.approx(1.5) and found["median"] == pytest.approx(1.0)
    assert found["unobserved"] == ["route53:ChangeResourceRecordSets r"]


def test_a_change_left_to_run_while_the_runbook_reads_other_services_is_not_a_wait():
    scale_down = dict(change("eks:UpdateNodegroupConfig", 100, 109, 157), region="us-west-2")
    rds_poll = dict(call("rds:DescribeDBInstances", False), region="us-west-2", at=104)
    assert measure.detection([scale_down], [rds_poll])["unobserved"] == ["eks:UpdateNodegroupConfig r"]
    eks_poll = dict(call("eks:DescribeNodegroup", False), region="us-west-2", at=106)
    found = measure.detection([scale_down], [rds_poll, eks_poll])
    assert found["waits"] == 1 and found["max"] == pytest.approx(48)
    other_region = dict(eks_poll, region="us-east-1")
    assert measure.detection([scale_down], [other_region])["waits"] == 0


def test_busy_seconds_is_the_union_of_operations_clipped_to_the_run():
    spans = [change("a:A", 0, 10, None), change("a:B", 5, 12, None), change("a:C", 20, 30, None)]
    assert measure.busy_seconds(spans, 2, 25) == pytest.approx(10 + 5)


def test_calls_are_compared_with_the_minimum_both_ways():
    expected = measure.expected_counts({"elbv2:ModifyRule": {"per_service": 1}, "rds:PromoteReadReplica": {"count": 1}},
                                       services=3)
    assert expected == {"elbv2:ModifyRule": 3, "rds:PromoteReadReplica": 1}
    assert measure.compare_calls({"elbv2:ModifyRule": 3, "rds:PromoteReadReplica": 1}, expected) == []
    problems = measure.compare_calls({"elbv2:ModifyRule": 4}, expected)
    assert problems == ["elbv2:ModifyRule: 4 call(s), the minimum is 3",
                        "rds:PromoteReadReplica: 0 call(s), expected 1 (a step missing?)"]


def run(ok=True, wall=100.0, latencies=(), mutating=None):
    return {"ok": ok, "rc": 0 if ok else 2, "wall": wall, "services": None,
            "detection": {"detail": [{"wait": "w", "latency": x} for x in latencies]},
            "mutating_by_operation": mutating or {}}


def test_verdicts_apply_the_three_targets():
    expected = {"drill": {"rds:PromoteReadReplica": {"count": 1}}}
    ours = run(wall=40, latencies=[0.5, 1.9], mutating={"rds:PromoteReadReplica": 1})
    results = {"runs": {"drill": {"collection": ours, "baseline": run(wall=100, latencies=[48])}}}
    assert [v["passed"] for v in report.verdicts(results, expected)] == [True, True, True]
    results["runs"]["drill"]["collection"] = run(wall=60, latencies=[2.5], mutating={"rds:PromoteReadReplica": 2})
    assert [v["passed"] for v in report.verdicts(results, expected)] == [False, False, False]
