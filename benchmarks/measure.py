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
    exclusive = exclusive_latencies([t for t in transitions if t.get("observed_at") is not None
                                     and (calls is None or watched(t, calls))], transitions)
    for w, ex in zip(seen, exclusive):
        w["exclusive"] = ex
    return {"waits": len(seen), "max": max(latencies) if latencies else None,
            "median": statistics.median(latencies) if latencies else None,
            "total": sum(latencies), "lost": sum(exclusive), "detail": seen, "unobserved": unseen}


def _uncovered(span: tuple[float, float], covers: Iterable[tuple[float, float]]) -> float:
    """Seconds of `span` outside every interval of `covers`."""
    start, end = span
    total, cursor = 0.0, start
    for s, e in sorted(c for c in covers if c[1] > start and c[0] < end):
        if s > cursor:
            total += min(s, end) - cursor
        cursor = max(cursor, e)
        if cursor >= end:
            break
    return total + max(0.0, end - cursor)


def exclusive_latencies(waits: list[dict[str, Any]], transitions: Iterable[dict[str, Any]]) -> list[float]:
    """Each waited change's detection latency that cost time of its own: the part of [final_at, observed_at] when no
    modelled operation was in progress and every change noticed before it had been noticed (while a runbook is late
    noticing one change, being late on another at the same time costs nothing more). In the order of `waits`."""
    busy = [(t["started_at"], t["final_at"]) for t in transitions]
    out = []
    for w in waits:
        earlier = [(v["final_at"], v["observed_at"]) for v in waits
                   if v is not w and (v["observed_at"], v["final_at"]) < (w["observed_at"], w["final_at"])]
        out.append(_uncovered((w["final_at"], max(w["final_at"], w["observed_at"])), busy + earlier))
    return out


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
    """The minimum mutating calls of one scenario from expected_calls.yml: `count`, `per_service` x services, or
    `per_extra_service` x (services - 1) (what each service past the first adds)."""
    out = {}
    for op, entry in spec.items():
        if "per_service" in entry:
            out[op] = int(entry["per_service"]) * int(services or 0)
        elif "per_extra_service" in entry:
            out[op] = int(entry.get("count", 0)) + int(entry["per_extra_service"]) * max(0, int(services or 1) - 1)
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


def poll_gap(transition: dict[str, Any], calls: Iterable[dict[str, Any]]) -> float | None:
    """How long the runbook's poll that saw a change finish came after its previous look at that service: from the
    last read of the service (and region) at or before the change finished to when the final state was first seen.
    None when nobody saw it. A poller that checks every D seconds sees a change on average D/2 after it finished."""
    if transition.get("observed_at") is None:
        return None
    before = [c["at"] for c in calls if not c["mutating"] and c["service"] == transition["service"]
              and (transition.get("region") in (None, "global") or c.get("region") == transition["region"])
              and transition["started_at"] <= c["at"] <= transition["final_at"]]
    last = max(before, default=transition["started_at"])
    return max(0.0, transition["observed_at"] - last)


def projection(run: dict[str, Any], scale: float) -> dict[str, Any] | None:
    """The run projected to real AWS durations (x1): the modelled operations' time divided by the scale, plus the
    runbook's own time with each waited change's detection latency replaced by half the polling gap that saw it
    (what a poller with that interval costs on average when operations take their real, unaligned, time), in the
    share of its latency that cost time of its own (exclusive_latencies).
    Assumes the runbook's own work does not depend on the scale. None without a scale."""
    if not scale or scale <= 0:
        return None
    calls, transitions = run.get("call_log") or [], run.get("transitions", [])
    waits = [t for t in transitions if t.get("observed_at") is not None and (not calls or watched(t, calls))]
    exclusive = exclusive_latencies(waits, transitions)
    own = run["added"] - sum(exclusive)
    # Each wait costs half its polling gap, in the share of its latency that was its own (see exclusive_latencies).
    latency_x1 = sum((poll_gap(t, calls) or 0.0) / 2 * (ex / (t["observed_at"] - t["final_at"]))
                     for t, ex in zip(waits, exclusive) if t["observed_at"] > t["final_at"])
    busy_x1 = run["busy"] / scale
    return {"wall": busy_x1 + own + latency_x1, "busy": busy_x1, "added": own + latency_x1,
            "latency": latency_x1}


def median(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return statistics.median(present) if present else None


def aggregate(runs: list[dict[str, Any]], scale: float | None = None) -> dict[str, Any]:
    """Medians over the repeats of one scenario and implementation (and the spread of wall and added time). A run
    that failed still counts in `ok` (all must succeed) and is left out of the medians but for `n`."""
    good = [r for r in runs if r["ok"]] or runs
    pick = {
        "wall": lambda r: r["wall"], "busy": lambda r: r["busy"], "added": lambda r: r["added"],
        "read": lambda r: r["calls"]["read"], "mutating": lambda r: r["calls"]["mutating"],
        "not_ok": lambda r: r["calls"]["not_ok"], "waits": lambda r: r["detection"]["waits"],
        "unwaited": lambda r: len(r["detection"]["unobserved"]), "detection_max": lambda r: r["detection"]["max"],
        "detection_median": lambda r: r["detection"]["median"], "detection_total": lambda r: r["detection"]["total"],
        "detection_lost": lambda r: r["detection"].get("lost"),
        "tasks": lambda r: (r.get("counts") or {}).get("tasks"),
        "processes": lambda r: (r.get("counts") or {}).get("processes"),
        "process_cpu": lambda r: (r.get("counts") or {}).get("process_cpu_seconds"),
    }
    out: dict[str, Any] = {k: median(fn(r) for r in good) for k, fn in pick.items()}
    out.update(n=len(runs), ok=all(r["ok"] for r in runs), failed=sum(1 for r in runs if not r["ok"]),
               wall_range=(min(r["wall"] for r in good), max(r["wall"] for r in good)),
               added_range=(min(r["added"] for r in good), max(r["added"] for r in good)),
               detection_worst=max((r["detection"]["max"] for r in good if r["detection"]["max"] is not None),
                                   default=None))
    if scale:
        projected = [p for p in (projection(r, scale) for r in good) if p]
        out["x1"] = {k: median(p[k] for p in projected) for k in ("wall", "busy", "added", "latency")} if projected \
            else None
    return out


def interleaved(impls: list[str], repeat: int) -> list[str]:
    """The order of the implementations in repeat `repeat` (0-based): as given, then reversed, alternately, so that
    neither always runs first (a warm cache, a quieter minute)."""
    return list(impls) if repeat % 2 == 0 else list(reversed(impls))
