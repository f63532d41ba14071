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


def test_per_extra_service_counts_what_each_service_past_the_first_adds():
    spec = {"elbv2:ModifyListener": {"count": 2}, "elbv2:ModifyRule": {"count": 0, "per_extra_service": 2}}
    assert measure.expected_counts(spec, services=10) == {"elbv2:ModifyListener": 2, "elbv2:ModifyRule": 18}
    assert measure.expected_counts(spec, services=1) == {"elbv2:ModifyListener": 2, "elbv2:ModifyRule": 0}


def read(op, at, region="us-west-2"):
    return dict(call(op, False), at=at, region=region)


def test_poll_gap_is_from_the_last_look_before_the_end_to_the_look_that_saw_it():
    promote = dict(change("rds:PromoteReadReplica", 100, 112, 160), region="us-west-2")
    polls = [read("rds:DescribeDBInstances", 100), read("rds:DescribeDBInstances", 160),
             read("rds:DescribeDBInstances", 111, region="us-east-1")]
    assert measure.poll_gap(promote, polls) == pytest.approx(60)
    assert measure.poll_gap(dict(promote, observed_at=None), polls) is None


def test_projection_scales_the_operations_and_replaces_latency_with_half_the_polling_gap():
    promote = dict(change("rds:PromoteReadReplica", 100, 112, 160), region="us-west-2")
    polls = [read("rds:DescribeDBInstances", 100), read("rds:DescribeDBInstances", 160)]
    run = {"busy": 12.0, "added": 58.0, "detection": measure.detection([promote], polls), "transitions": [promote],
           "call_log": polls}
    x1 = measure.projection(run, 0.05)
    # 240 s of promotion; own time 58 - 48 = 10 s; a 60 s poller is 30 s late on average.
    assert x1 == {"wall": pytest.approx(280), "busy": pytest.approx(240), "added": pytest.approx(40),
                  "latency": pytest.approx(30)}
    assert measure.projection(run, 0) is None


def test_interleaving_alternates_which_implementation_runs_first():
    assert [measure.interleaved(["collection", "baseline"], r) for r in range(3)] == [
        ["collection", "baseline"], ["baseline", "collection"], ["collection", "baseline"]]


def run(ok=True, wall=100.0, latencies=(), mutating=None, added=None, read=50, tasks=None, processes=None):
    latencies = list(latencies)
    return {"ok": ok, "rc": 0 if ok else 2, "wall": wall, "services": None, "busy": wall - (added or wall / 2),
            "added": added if added is not None else wall / 2,
            "calls": {"read": read, "mutating": sum((mutating or {}).values()), "not_ok": 0},
            "detection": {"detail": [{"wait": "w", "operation": "a:B", "latency": x, "duration": 1} for x in latencies],
                          "waits": len(latencies), "max": max(latencies, default=None),
                          "median": None, "total": sum(latencies), "unobserved": []},
            "transitions": [], "mutating_by_operation": mutating or {},
            "counts": {"tasks": tasks, "processes": processes}}


def test_aggregate_takes_medians_over_the_runs_and_keeps_the_spread():
    a = measure.aggregate([run(wall=10, latencies=[1.0]), run(wall=30, latencies=[3.0]), run(wall=20, latencies=[0.5])])
    assert (a["n"], a["ok"], a["wall"], a["wall_range"]) == (3, True, 20, (10, 30))
    assert (a["detection_max"], a["detection_worst"]) == (1.0, 3.0)
    failed = measure.aggregate([run(wall=10), run(ok=False, wall=99)])
    assert (failed["ok"], failed["failed"], failed["wall"]) == (False, 1, 10)


def verdict_map(results, expected):
    return {v["target"]: v["passed"] for v in report.verdicts(results, expected)}


def test_verdicts_apply_the_targets_to_the_medians():
    expected = {"drill": {"rds:PromoteReadReplica": {"count": 1}}}
    ours = [run(wall=w, added=a, latencies=[0.5, 1.9], mutating={"rds:PromoteReadReplica": 1}, read=80)
            for w, a in ((40, 10), (45, 12), (90, 60))]
    theirs = [run(wall=100, added=40, latencies=[48], read=50)] * 3
    results = {"runs": {"drill": {"collection": ours, "baseline": theirs}}, "timing": {"scale": 0.05}}
    assert verdict_map(results, expected) == {
        "drill: time the runbook adds <= 0.5 x baseline's": True, "drill: wall time <= 0.5 x baseline": True,
        "drill: AWS read calls <= 2 x baseline's": True, "detection <= 2 s": True,
        "mutating calls == minimum (drill)": True}
    ours[1] = run(wall=60, added=30, latencies=[2.5], mutating={"rds:PromoteReadReplica": 2}, read=120)
    ours[0] = run(wall=60, added=30, latencies=[2.5], mutating={"rds:PromoteReadReplica": 1}, read=120)
    assert set(verdict_map(results, expected).values()) == {False}


def test_counts_and_services_verdicts():
    results = {"runs": {"deploy-1-of-10": {"collection": [dict(run(wall=30), services=1)]},
                        "deploy-10-of-10": {"collection": [dict(run(wall=95), services=10)]}},
               "counts": {"drill": {"collection": dict(run(), counts={"tasks": 60, "tasks_skipped": 3, "processes": 21,
                                                                      "process_cpu_seconds": 20.0})}}}
    expected = {"deploy_services": {"elbv2:ModifyRule": {"count": 0, "per_extra_service": 2}}}
    found = verdict_map(results, expected)
    assert found["deploy of 10 services <= 3 x one service"] is False
    assert found["drill: task executions <= 60 (instant profile)"] is True
    assert found["drill: module processes <= 20 (instant profile)"] is False
    assert found["mutating calls == minimum (deploy-10-of-10)"] is False  # 18 ModifyRule expected, none made


def test_a_late_detection_overlapping_an_earlier_one_costs_only_what_it_adds():
    # The baseline asks for nodes (done at 9), promotes (done at 12), sees the promotion at 60 and the nodes at 74.
    nodes = change("eks:UpdateNodegroupConfig", 0, 9, 74)
    promote = change("rds:PromoteReadReplica", 0, 12, 60)
    assert measure.exclusive_latencies([nodes, promote], [nodes, promote]) == [pytest.approx(14), pytest.approx(48)]
    found = measure.detection([nodes, promote])
    assert found["total"] == pytest.approx(65 + 48) and found["lost"] == pytest.approx(62)
