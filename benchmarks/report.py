"""The benchmark's tables (Markdown, printed and written to build/bench/results.md) and its verdicts."""

from __future__ import annotations

from typing import Any

from benchmarks import measure

LABELS = {"collection": "cloudops.runbooks", "baseline": "baseline"}
DETECTION_TARGET_SECONDS = 2.0
DRILL_RATIO_TARGET = 0.5


def _s(value: Any, digits: int = 1) -> str:
    return "-" if value is None else ("%.*f" % (digits, value))


def _run(results: dict[str, Any], scenario: str, impl: str) -> dict[str, Any] | None:
    return results["runs"].get(scenario, {}).get(impl)


def verdicts(results: dict[str, Any], expected: dict[str, Any]) -> list[dict[str, Any]]:
    """One verdict per target of the issue: detection within 2 s, drill at most half the baseline's wall time,
    mutating calls at the minimum (per scenario, and per number of services switched)."""
    out = []
    waits = [(scenario, w) for scenario, runs in results["runs"].items()
             for w in (runs.get("collection") or {}).get("detection", {}).get("detail", [])]
    worst = max(waits, key=lambda sw: sw[1]["latency"], default=None)
    runbooks_ran = any(not s.startswith("switch-") for s in results["runs"])
    if worst is None and not runbooks_ran:
        pass  # only traffic switching ran: no state change to wait for
    elif worst is None:
        out.append({"target": "detection <= %g s" % DETECTION_TARGET_SECONDS, "passed": False,
                    "detail": "no waited state change was observed (did the runs fail?)"})
    else:
        out.append({"target": "detection <= %g s" % DETECTION_TARGET_SECONDS,
                    "passed": worst[1]["latency"] <= DETECTION_TARGET_SECONDS,
                    "detail": "worst %.2f s (%s, %s) over %d waited state changes" % (
                        worst[1]["latency"], worst[0], worst[1]["wait"], len(waits))})
    ours, theirs = _run(results, "drill", "collection"), _run(results, "drill", "baseline")
    if ours and theirs and ours["ok"] and theirs["ok"]:
        ratio = ours["wall"] / theirs["wall"]
        out.append({"target": "drill wall time <= %g x baseline" % DRILL_RATIO_TARGET,
                    "passed": ratio <= DRILL_RATIO_TARGET,
                    "detail": "%.1f s vs %.1f s (x%.2f)" % (ours["wall"], theirs["wall"], ratio)})
    elif ours or theirs:
        failed = [LABELS[i] for i, r in (("collection", ours), ("baseline", theirs)) if not r or not r["ok"]]
        out.append({"target": "drill wall time <= %g x baseline" % DRILL_RATIO_TARGET, "passed": False,
                    "detail": "no comparison: the drill of %s did not succeed" % " and ".join(failed)})
    for scenario, runs in results["runs"].items():
        run = runs.get("collection")
        if not run:
            continue
        spec = expected["switch" if scenario.startswith("switch-") else scenario]
        want = measure.expected_counts(spec, run.get("services"))
        problems = measure.compare_calls(run["mutating_by_operation"], want)
        if not run["ok"]:
            problems.insert(0, "the run failed")
        out.append({"target": "mutating calls == minimum (%s)" % scenario, "passed": not problems,
                    "detail": "; ".join(problems) or "%d call(s), exactly the minimum" % sum(want.values())})
    return out


def markdown(results: dict[str, Any], expected: dict[str, Any]) -> str:
    lines = ["# Benchmarks: cloudops.runbooks vs a baseline of peer modules", "",
             "Sandbox timing: `%s` x%s (operation durations of sandbox/profiles/realistic.yml times %s); %s; "
             "revision %s." % (results["timing"]["profile"], results["timing"]["scale"], results["timing"]["scale"],
                               results["finished_at"], results.get("revision") or "?"), ""]
    runbook_scenarios = [s for s in results["runs"] if not s.startswith("switch-")]
    if runbook_scenarios:
        cols = [(s, i) for s in runbook_scenarios for i in ("collection", "baseline") if _run(results, s, i)]
        lines += ["## Runbooks", "",
                  "| | " + " | ".join("%s: %s" % (s, LABELS[i]) for s, i in cols) + " |",
                  "|---|" + "---:|" * len(cols)]

        def row(title: str, fn) -> None:
            lines.append("| %s | %s |" % (title, " | ".join(fn(_run(results, s, i)) for s, i in cols)))

        row("result", lambda r: "ok" if r["ok"] else "FAILED (rc %s)" % r["rc"])
        row("wall time (s)", lambda r: _s(r["wall"]))
        row("modelled AWS operations in progress (s)", lambda r: _s(r["busy"]))
        row("time the runbook adds (s)", lambda r: _s(r["added"]))
        row("waited state changes", lambda r: str(r["detection"]["waits"]))
        row("state changes not waited for (left to run meanwhile)", lambda r: str(len(r["detection"]["unobserved"])))
        row("detection latency max (s)", lambda r: _s(r["detection"]["max"], 2))
        row("detection latency median (s)", lambda r: _s(r["detection"]["median"], 2))
        row("detection latency total (s)", lambda r: _s(r["detection"]["total"], 1))
        row("AWS calls mutating / read", lambda r: "%d / %d" % (r["calls"]["mutating"], r["calls"]["read"]))
        row("AWS calls answered with an error (e.g. not found)", lambda r: str(r["calls"]["not_ok"]))
        lines.append("")

        lines += ["### Mutating AWS calls by operation", "",
                  "| scenario | operation | minimum | cloudops.runbooks | baseline |", "|---|---|---:|---:|---:|"]
        for scenario in runbook_scenarios:
            want = measure.expected_counts(expected.get(scenario, {}))
            ours = (_run(results, scenario, "collection") or {}).get("mutating_by_operation", {})
            theirs = (_run(results, scenario, "baseline") or {}).get("mutating_by_operation", {})
            for op in sorted(set(want) | set(ours) | set(theirs)):
                lines.append("| %s | %s | %s | %s | %s |" % (scenario, op, want.get(op, 0), ours.get(op, 0),
                                                             theirs.get(op, 0)))
        lines.append("")

        lines += ["### Detection latency by operation (count x worst, seconds)", "",
                  "| scenario | operation | modelled duration (s) | cloudops.runbooks | baseline |",
                  "|---|---|---:|---:|---:|"]
        for scenario in runbook_scenarios:
            per: dict[str, dict[str, list]] = {}
            for impl in ("collection", "baseline"):
                for w in ((_run(results, scenario, impl) or {}).get("detection") or {}).get("detail", []):
                    per.setdefault(w["operation"], {}).setdefault(impl, []).append(w)
            for op, by_impl in sorted(per.items()):
                duration = max(w["duration"] for ws in by_impl.values() for w in ws)
                cells = ["%d x %.2f" % (len(by_impl[i]), max(w["latency"] for w in by_impl[i])) if i in by_impl else "-"
                         for i in ("collection", "baseline")]
                lines.append("| %s | %s | %.1f | %s | %s |" % (scenario, op, duration, *cells))
        lines.append("")

    switches = sorted((r for s, runs in results["runs"].items() if s.startswith("switch-")
                       for r in [runs]), key=lambda runs: next(iter(runs.values()))["services"])
    if switches:
        lines += ["## Traffic switching blue -> green", "",
                  "| services | cloudops.runbooks wall (s) | calls mutating / read "
                  "| baseline wall (s) | calls mutating / read |",
                  "|---:|---:|---:|---:|---:|"]
        for runs in switches:
            n = next(iter(runs.values()))["services"]
            cells = []
            for impl in ("collection", "baseline"):
                r = runs.get(impl)
                if r is None:
                    cells += ["-", "-"]
                else:
                    cells += [_s(r["wall"]) + ("" if r["ok"] else " FAILED"),
                              "%d / %d" % (r["calls"]["mutating"], r["calls"]["read"])]
            lines.append("| %d | %s |" % (n, " | ".join(cells)))
        lines.append("")

    lines += ["## Targets", ""]
    for v in verdicts(results, expected):
        lines.append("- %s %s: %s" % ("PASS" if v["passed"] else "FAIL", v["target"], v["detail"]))
    lines.append("")
    return "\n".join(lines)
