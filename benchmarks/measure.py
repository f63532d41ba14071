"""What a benchmark run measured, from the sandbox's API call log: pure functions, no I/O (tests in benchmarks/tests).

Inputs are the two lists `GET /api-calls` returns (sandbox/knobs.api_calls): `calls` (one per AWS request that reached
the moto server: service, operation, mutating, outcome) and `transitions` (one per modelled state change: started_at,
final_at, observed_at = when an answer to the runbook first showed the final state).
"""

from __future__ import annotations

import statistics
from typing import Any, Iterable


def op_key(call: dict[str, Any]) -> str:
    """`service:Operation`, the key expected_calls.yml and the tables use."""
    return "%s:%s" % (call["service"], call["operation"])


def call_summary(calls: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """Counts of AWS calls: mutating and read, refused (outcome other than ok), and per operation."""
    by_op: dict[str, dict[str, Any]] = {}
    mutating = read = not_ok = 0
    for call in calls:
        entry = by_op.setdefault(op_key(call), {"mutating": bool(call["mutating"]), "count": 0, "not_ok": 0})
        entry["count"] += 1
        if call.get("outcome", "ok") != "ok":
            entry["not_ok"] += 1
            not_ok += 1
        if call["mutating"]:
            mutating += 1
        else:
            read += 1
    return {"mutating": mutating, "read": read, "total": mutating + read, "not_ok": not_ok,
            "by_operation": dict(sorted(by_op.items()))}


def mutating_by_operation(summary: dict[str, Any]) -> dict[str, int]:
    return {op: e["count"] for op, e in summary["by_operation"].items() if e["mutating"]}


def watched(transition: dict[str, Any], calls: Iterable[dict[str, Any]]) -> bool:
    """Whether the runbook was waiting for the change: it read the service's state (a non-mutating call of the same
    service, and region but for global Route 53) while the operation ran. A change started and left to run while the
    runbook does other work (e.g. a node group scale-down during a replica rebuild) is not waited for."""
    for call in calls:
        if call["mutating"] or call["service"] != transition["service"]:
            continue
        if transition.get("region") not in (None, "global") and call.get("region") != transition["region"]:
            continue
        if transition["started_at"] <= call["at"] <= transition["final_at"]:
            return True
    return False


def detection(transitions: Iterable[dict[str, Any]], calls: Iterable[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Detection latency (observed_at - final_at) of each state change the runbook waited for; the others are listed.

    A change nobody observed, or (given the calls) one the runbook did not watch while it ran, was not waited for:
    it has no latency to report.
    """
    calls = list(calls) if calls is not None else None
    seen, unseen = [], []
    for t in transitions:
        label = "%s:%s %s" % (t["service"], t["operation"], t["resource"])
        if t.get("observed_at") is None or (calls is not None and not watched(t, calls)):
            unseen.append(label)
        else:
            seen.append({"wait": label, "operation": "%s:%s" % (t["service"], t["operation"]),
                         "latency": max(0.0, t["observed_at"] - t["final_at"]),
                         "duration": t["final_at"] - t["started_at"]})
    latencies = [w["latency"] for w in seen]
    return {"waits": len(seen), "max": max(latencies) if latencies else None,
            "median": statistics.median(latencies) if latencies else None,
            "total": sum(latencies), "detail": seen, "unobserved": unseen}


def busy_seconds(transitions: Iterable[dict[str, Any]], start: float, end: float) -> float:
    """Seconds of [start, end] during which at least one modelled operation was in progress (the union of their
    [started_at, final_at] intervals): the part of the wall time the operations themselves take."""
    spans = sorted((max(start, t["started_at"]), min(end, t["final_at"])) for t in transitions)
    total, cur_start, cur_end = 0.0, None, None
    for s, e in spans:
        if e <= s:
            continue
        if cur_end is None or s > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = s, e
        else:
            cur_end = max(cur_end, e)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def expected_counts(spec: dict[str, Any], services: int | None = None) -> dict[str, int]:
    """The minimum mutating calls of one scenario from expected_calls.yml: `count`, or `per_service` x services."""
    out = {}
    for op, entry in spec.items():
        if "per_service" in entry:
            out[op] = int(entry["per_service"]) * int(services or 0)
        else:
            out[op] = int(entry["count"])
    return out


def compare_calls(actual: dict[str, int], expected: dict[str, int]) -> list[str]:
    """Differences between the mutating calls made and the minimum, one line each (empty: exactly the minimum)."""
    problems = []
    for op in sorted(set(actual) | set(expected)):
        got, want = actual.get(op, 0), expected.get(op, 0)
        if got > want:
            problems.append("%s: %d call(s), the minimum is %d" % (op, got, want))
        elif got < want:
            problems.append("%s: %d call(s), expected %d (a step missing?)" % (op, got, want))
    return problems
