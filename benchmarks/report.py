"""The benchmark's tables (Markdown, printed and written to build/bench/results.md) and its verdicts.

`results["runs"][scenario][implementation]` is the list of that scenario's runs (one per repeat);
`results["counts"]["drill"][implementation]` the drill's run on the instant profile; `results["shape"]` the code-shape
figures (benchmarks/shape.py). Every figure of a timed scenario is the median over its runs.
"""

from __future__ import annotations

from typing import Any, Callable

from benchmarks import measure

LABELS = {"collection": "cloudops.runbooks", "baseline": "baseline"}
DETECTION_TARGET_SECONDS = 2.0
DRILL_RATIO_TARGET = 0.5
ADDED_RATIO_TARGET = 0.5
READ_CALLS_RATIO_TARGET = 2.0
DEPLOY_SCALING_TARGET = 3.0
DRILL_TASKS_TARGET = 60
DRILL_PROCESSES_TARGET = 20
RUNBOOK_SCENARIOS = ("drill", "deploy")


def _s(value: Any, digits: int = 1) -> str:
    return "-" if value is None else ("%.*f" % (digits, value))


def _runs(results: dict[str, Any], scenario: str, impl: str) -> list[dict[str, Any]]:
    runs = results["runs"].get(scenario, {}).get(impl) or []
    return runs if isinstance(runs, list) else [runs]


def _agg(results: dict[str, Any], scenario: str, impl: str) -> dict[str, Any] | None:
    runs = _runs(results, scenario, impl)
    scale = (results.get("timing") or {}).get("scale")
    return measure.aggregate(runs, scale) if runs else None


def services_scenarios(results: dict[str, Any]) -> tuple[str, str] | None:
    """The keys of the N-service deploy's two scenarios (deploy of 1 and of N), when it ran."""
    keys = sorted((k for k in results["runs"] if k.startswith("deploy-") and "-of-" in k),
                  key=lambda k: int(k.split("-")[1]))
    return (keys[0], keys[-1]) if len(keys) >= 2 else None


def _verdict(target: str, passed: bool | None, detail: str) -> dict[str, Any]:
    return {"target": target, "passed": passed, "detail": detail}


def _ratio_verdict(target: str, ours: dict[str, Any] | None, theirs: dict[str, Any] | None, key: str, limit: float,
                   unit: str = "s") -> dict[str, Any] | None:
    if ours is None and theirs is None:
        return None
    if not ours or not theirs or not ours["ok"] or not theirs["ok"] or not theirs[key]:
        missing = [LABELS[i] for i, a in (("collection", ours), ("baseline", theirs)) if not a or not a["ok"]]
        return _verdict(target, False, "no comparison: %s did not run or did not succeed"
                        % (" and ".join(missing) or "a zero baseline"))
    ratio = ours[key] / theirs[key]
    fmt = "%.0f" if unit == "calls" else "%.1f"
    return _verdict(target, ratio <= limit, ("%s %s vs %s %s (x%%.2f)" % (fmt, unit, fmt, unit))
                    % (ours[key], theirs[key], ratio))


def verdicts(results: dict[str, Any], expected: dict[str, Any]) -> list[dict[str, Any]]:
    """One verdict per target of issue 15 that this run measured (passed: True/False)."""
    out: list[dict[str, Any] | None] = []
    agg = {(s, i): _agg(results, s, i) for s in RUNBOOK_SCENARIOS for i in ("collection", "baseline")}

    # Time the runbook adds and wall time, against the baseline.
    for scenario in RUNBOOK_SCENARIOS:
        out.append(_ratio_verdict("%s: time the runbook adds <= %g x baseline's" % (scenario, ADDED_RATIO_TARGET),
                                  agg[scenario, "collection"], agg[scenario, "baseline"], "added", ADDED_RATIO_TARGET))
    out.append(_ratio_verdict("drill: wall time <= %g x baseline" % DRILL_RATIO_TARGET, agg["drill", "collection"],
                              agg["drill", "baseline"], "wall", DRILL_RATIO_TARGET))

    # The N-service deploy.
    pair = services_scenarios(results)
    if pair:
        one, many = _agg(results, pair[0], "collection"), _agg(results, pair[1], "collection")
        n = int(pair[1].split("-")[1])
        target = "deploy of %d services <= %g x one service" % (n, DEPLOY_SCALING_TARGET)
        if one and many and one["ok"] and many["ok"]:
            ratio = many["wall"] / one["wall"]
            out.append(_verdict(target, ratio <= DEPLOY_SCALING_TARGET,
                                "%.1f s vs %.1f s (x%.2f)" % (many["wall"], one["wall"], ratio)))
        else:
            out.append(_verdict(target, False, "no comparison: a deploy failed"))

    # Counts on the instant profile.
    counted = (results.get("counts") or {}).get("drill", {}).get("collection")
    if counted:
        c = counted["counts"]
        note = "" if counted["ok"] else " (the run FAILED: counts of a partial run)"
        out.append(_verdict("drill: task executions <= %d (instant profile)" % DRILL_TASKS_TARGET,
                            counted["ok"] and c["tasks"] <= DRILL_TASKS_TARGET,
                            "%d (%d skipped)%s" % (c["tasks"], c["tasks_skipped"], note)))
        out.append(_verdict("drill: module processes <= %d (instant profile)" % DRILL_PROCESSES_TARGET,
                            counted["ok"] and c["processes"] <= DRILL_PROCESSES_TARGET,
                            "%d (%.1f CPU s)%s" % (c["processes"], c["process_cpu_seconds"], note)))

    # AWS read calls against the baseline.
    for scenario in RUNBOOK_SCENARIOS:
        out.append(_ratio_verdict("%s: AWS read calls <= %g x baseline's" % (scenario, READ_CALLS_RATIO_TARGET),
                                  agg[scenario, "collection"], agg[scenario, "baseline"], "read",
                                  READ_CALLS_RATIO_TARGET, unit="calls"))

    # Detection: per scenario the median over the runs of each run's worst; the target holds for the worst scenario.
    worst = []
    for scenario in results["runs"]:
        if scenario.startswith("switch-"):
            continue
        a = _agg(results, scenario, "collection")
        if a and a["detection_max"] is not None:
            worst.append((a["detection_max"], scenario, a["detection_worst"], a["n"]))
    runbooks_ran = any(not s.startswith("switch-") for s in results["runs"])
    if worst:
        top = max(worst)
        out.append(_verdict("detection <= %g s" % DETECTION_TARGET_SECONDS, top[0] <= DETECTION_TARGET_SECONDS,
                            "%.2f s (%s: median over %d runs of each run's worst; worst single wait %.2f s)"
                            % (top[0], top[1], top[3], top[2])))
    elif runbooks_ran:
        out.append(_verdict("detection <= %g s" % DETECTION_TARGET_SECONDS, False,
                            "no waited state change was observed (did the runs fail?)"))

    # Mutating calls: exactly the minimum, in every run of the collection.
    for scenario in results["runs"]:
        runs = _runs(results, scenario, "collection")
        if not runs:
            continue
        spec_name = "switch" if scenario.startswith("switch-") else (
            "deploy_services" if "-of-" in scenario else scenario)
        problems: list[str] = []
        want: dict[str, int] = {}
        for i, run in enumerate(runs, 1):
            want = measure.expected_counts(expected[spec_name], run.get("services"))
            found = measure.compare_calls(run["mutating_by_operation"], want)
            if not run["ok"]:
                found.insert(0, "the run failed")
            problems += ["run %d: %s" % (i, p) for p in found] if len(runs) > 1 else found
        out.append(_verdict("mutating calls == minimum (%s)" % scenario, not problems,
                            "; ".join(problems) or "%d call(s), exactly the minimum, in %d run(s)"
                            % (sum(want.values()), len(runs))))

    # Code shape.
    out += (results.get("shape") or {}).get("verdicts", [])
    return [v for v in out if v is not None]


def _range(pair: Any) -> str:
    return "%.1f-%.1f" % tuple(pair) if pair else "-"


def runbook_table(results: dict[str, Any]) -> list[str]:
    cols = [(s, i) for s in RUNBOOK_SCENARIOS for i in ("collection", "baseline") if _runs(results, s, i)]
    if not cols:
        return []
    aggs = {c: _agg(results, *c) for c in cols}
    lines = ["## Runbooks (median of %s runs each)" % "/".join(sorted({str(a["n"]) for a in aggs.values()})), "",
             "| | " + " | ".join("%s: %s" % (s, LABELS[i]) for s, i in cols) + " |", "|---|" + "---:|" * len(cols)]

    def row(title: str, fn: Callable[[dict[str, Any]], str]) -> None:
        lines.append("| %s | %s |" % (title, " | ".join(fn(aggs[c]) for c in cols)))

    row("result", lambda a: "ok (%d runs)" % a["n"] if a["ok"] else "FAILED %d of %d" % (a["failed"], a["n"]))
    row("wall time (s)", lambda a: _s(a["wall"]))
    row("wall time, fastest-slowest run (s)", lambda a: _range(a["wall_range"]))
    row("modelled AWS operations in progress (s)", lambda a: _s(a["busy"]))
    row("**time the runbook adds (s)**", lambda a: "**%s**" % _s(a["added"]))
    row("time the runbook adds, fastest-slowest run (s)", lambda a: _range(a["added_range"]))
    row("x1 projection: wall time (s)", lambda a: _s((a.get("x1") or {}).get("wall")))
    row("x1 projection: time the runbook adds (s)", lambda a: _s((a.get("x1") or {}).get("added")))
    row("waited state changes", lambda a: _s(a["waits"], 0))
    row("state changes not waited for (left to run meanwhile)", lambda a: _s(a["unwaited"], 0))
    row("detection latency, each run's worst (s)", lambda a: _s(a["detection_max"], 2))
    row("detection latency, worst of all runs (s)", lambda a: _s(a["detection_worst"], 2))
    row("detection latency median (s)", lambda a: _s(a["detection_median"], 2))
    row("detection latency total (s)", lambda a: _s(a["detection_total"], 1))
    row("time lost to late detection, overlaps once (s)", lambda a: _s(a["detection_lost"], 1))
    row("AWS calls mutating / read", lambda a: "%s / %s" % (_s(a["mutating"], 0), _s(a["read"], 0)))
    row("AWS calls answered with an error (e.g. not found)", lambda a: _s(a["not_ok"], 0))
    row("task executions", lambda a: _s(a["tasks"], 0))
    row("module processes (their CPU s)", lambda a: "%s (%s)" % (_s(a["processes"], 0), _s(a["process_cpu"], 1)))
    lines.append("")
    notes = []
    for scenario in RUNBOOK_SCENARIOS:
        ours, theirs = aggs.get((scenario, "collection")), aggs.get((scenario, "baseline"))
        if ours and theirs and theirs["added"] and theirs["wall"]:
            notes.append("- %s: the runbook adds %.1f s against the baseline's %.1f s (x%.2f); wall x%.2f" % (
                scenario, ours["added"], theirs["added"], ours["added"] / theirs["added"], ours["wall"] / theirs["wall"]))
            x1o, x1t = ours.get("x1"), theirs.get("x1")
            if x1o and x1t and x1t["wall"]:
                notes.append("- %s, x1 projection (real AWS durations): %.0f s against %.0f s (x%.2f); the runbook "
                             "adds %.1f s against %.1f s" % (scenario, x1o["wall"], x1t["wall"],
                                                             x1o["wall"] / x1t["wall"], x1o["added"], x1t["added"]))
    if notes:
        lines += notes + [""]
    return lines


def counts_table(results: dict[str, Any]) -> list[str]:
    counted = (results.get("counts") or {}).get("drill") or {}
    if not counted:
        return []
    impls = [i for i in ("collection", "baseline") if i in counted]
    lines = ["## The drill's task executions and module processes (instant profile, one run)", "",
             "| | " + " | ".join(LABELS[i] for i in impls) + " |", "|---|" + "---:|" * len(impls)]

    def row(title: str, fn: Callable[[dict[str, Any]], str]) -> None:
        lines.append("| %s | %s |" % (title, " | ".join(fn(counted[i]) for i in impls)))

    row("result", lambda r: ("ok" if r["ok"] else "FAILED (rc %s)" % r["rc"]) + " in %.1f s" % r["wall"])
    row("task executions (skipped)", lambda r: "%d (%d)" % (r["counts"]["tasks"], r["counts"]["tasks_skipped"]))
    row("loop items", lambda r: str(r["counts"]["loop_items"]))
    row("module processes", lambda r: str(r["counts"]["processes"]))
    row("their CPU seconds / seconds alive", lambda r: "%.1f / %.1f" % (r["counts"]["process_cpu_seconds"],
                                                                     r["counts"]["process_seconds"]))
    row("by module", lambda r: ", ".join("%s %d" % kv for kv in r["counts"]["processes_by_module"].items()) or "-")
    lines.append("")
    ours = counted.get("collection")
    if ours and ours["counts"]["top_tasks"]:
        lines += ["Tasks of the collection's drill that started the most module processes:", "",
                  "| task | processes | CPU s |", "|---|---:|---:|"]
        lines += ["| %s | %d | %.1f |" % (t["task"].replace("|", "\\|"), t["processes"], t["cpu"])
                  for t in ours["counts"]["top_tasks"]]
        lines.append("")
    return lines


def services_table(results: dict[str, Any]) -> list[str]:
    pair = services_scenarios(results)
    if not pair:
        return []
    aggs = [(k, _agg(results, k, "collection")) for k in pair]
    n = int(pair[1].split("-")[1])
    lines = ["## Deploy of 1 and of %d services (cloudops.runbooks, estate of %d blue-green services)" % (n, n), "",
             "| services deployed | result | wall (s) | fastest-slowest (s) | time the runbook adds (s) | task executions "
             "| module processes (CPU s) | AWS calls mutating / read |", "|---:|---|---:|---:|---:|---:|---:|---:|"]
    for key, a in aggs:
        lines.append("| %s | %s | %s | %s | %s | %s | %s (%s) | %s / %s |" % (
            key.split("-")[1], "ok (%d runs)" % a["n"] if a["ok"] else "FAILED %d of %d" % (a["failed"], a["n"]),
            _s(a["wall"]), _range(a["wall_range"]), _s(a["added"]), _s(a["tasks"], 0), _s(a["processes"], 0),
            _s(a["process_cpu"]), _s(a["mutating"], 0), _s(a["read"], 0)))
    if aggs[0][1]["wall"]:
        lines += ["", "deploy(%d) / deploy(1) = x%.2f" % (n, aggs[1][1]["wall"] / aggs[0][1]["wall"])]
    return lines + [""]


def calls_tables(results: dict[str, Any], expected: dict[str, Any]) -> list[str]:
    scenarios = [s for s in results["runs"] if not s.startswith("switch-")]
    if not scenarios:
        return []

    def per_run(scenario: str, impl: str, op: str) -> str:
        values = sorted({r["mutating_by_operation"].get(op, 0) for r in _runs(results, scenario, impl)})
        return "/".join(str(v) for v in values) if values else "-"

    lines = ["### Mutating AWS calls by operation (each run; a/b when runs differ)", "",
             "| scenario | operation | minimum | cloudops.runbooks | baseline |", "|---|---|---:|---:|---:|"]
    for scenario in scenarios:
        runs = _runs(results, scenario, "collection")
        services = runs[0].get("services") if runs else None
        spec = expected.get("deploy_services" if "-of-" in scenario else scenario, {})
        want = measure.expected_counts(spec, services)
        ops = set(want)
        for impl in ("collection", "baseline"):
            for r in _runs(results, scenario, impl):
                ops |= set(r["mutating_by_operation"])
        for op in sorted(ops):
            lines.append("| %s | %s | %s | %s | %s |" % (scenario, op, want.get(op, 0), per_run(scenario, "collection", op),
                                                         per_run(scenario, "baseline", op)))
    lines += ["", "### Detection latency by operation (waits x worst over all runs, seconds)", "",
              "| scenario | operation | modelled duration (s) | cloudops.runbooks | baseline |", "|---|---|---:|---:|---:|"]
    for scenario in scenarios:
        per: dict[str, dict[str, list]] = {}
        for impl in ("collection", "baseline"):
            for r in _runs(results, scenario, impl):
                for w in (r.get("detection") or {}).get("detail", []):
                    per.setdefault(w["operation"], {}).setdefault(impl, []).append(w)
        for op, by_impl in sorted(per.items()):
            duration = max(w["duration"] for ws in by_impl.values() for w in ws)
            cells = ["%d x %.2f" % (len(by_impl[i]), max(w["latency"] for w in by_impl[i])) if i in by_impl else "-"
                     for i in ("collection", "baseline")]
            lines.append("| %s | %s | %.1f | %s | %s |" % (scenario, op, duration, *cells))
    return lines + [""]


def switch_table(results: dict[str, Any]) -> list[str]:
    switches = sorted((s for s in results["runs"] if s.startswith("switch-")), key=lambda s: int(s.split("-")[1]))
    if not switches:
        return []
    lines = ["## Traffic switching blue -> green (one run each)", "",
             "| services | cloudops.runbooks wall (s) | calls mutating / read | baseline wall (s) | calls mutating / read |",
             "|---:|---:|---:|---:|---:|"]
    for scenario in switches:
        cells = []
        for impl in ("collection", "baseline"):
            a = _agg(results, scenario, impl)
            if a is None:
                cells += ["-", "-"]
            else:
                cells += [_s(a["wall"]) + ("" if a["ok"] else " FAILED"), "%s / %s" % (_s(a["mutating"], 0),
                                                                                       _s(a["read"], 0))]
        lines.append("| %s | %s |" % (scenario.split("-")[1], " | ".join(cells)))
    return lines + [""]


def shape_table(results: dict[str, Any]) -> list[str]:
    sh = results.get("shape")
    if not sh:
        return []
    lines = ["## Code shape (the working tree when the report was written)", "", "| playbook | lines |", "|---|---:|"]
    lines += ["| %s | %d%s |" % (p, n, " (over)" if p in sh["playbooks_over"] else "")
              for p, n in sh["playbook_lines"].items()]
    lines += ["", "`{%%` lines: %d in playbooks/ and roles/ (%d in YAML); the most in: %s" % (
        sh["jinja_lines"], sh["jinja_lines_yaml"],
        ", ".join("%s %d" % kv for kv in list(sh["jinja_by_file"].items())[:8]) or "-"),
        "", "Task-name parsing (`STEP_RE`) in plugins/: %s" % (", ".join(sh["task_name_parsing"]) or "none"), ""]
    return lines


def markdown(results: dict[str, Any], expected: dict[str, Any]) -> str:
    timing = results.get("timing") or {}
    lines = ["# Benchmarks: cloudops.runbooks vs a baseline of peer modules", "",
             "Sandbox timing: `%s` x%s (operation durations of sandbox/profiles/realistic.yml times %s); %d repeat(s) "
             "per timed scenario, collection and baseline interleaved, medians; %s to %s; revision %s; %s CPUs, load "
             "average %s before and %s after (other work on the machine slows both sides alike, not always equally)."
             % (timing.get("profile", "-"), timing.get("scale", "-"), timing.get("scale", "-"), results.get("repeats", 1),
                results.get("started_at", "?"), results.get("finished_at", "?"), results.get("revision") or "?",
                results.get("cpus", "?"), results.get("load_before"), results.get("load_after")), ""]
    for problem in results.get("aborted") or []:
        lines += ["**ABORTED**: %s" % problem.strip().splitlines()[-1], ""]
    found = verdicts(results, expected)
    lines += ["## Targets", "", "| target | measured | result |", "|---|---|---|"]
    lines += ["| %s | %s | %s |" % (v["target"], v["detail"].replace("|", "\\|"),
                                    {True: "PASS", False: "**FAIL**"}.get(v["passed"], "-")) for v in found]
    lines.append("")
    lines += runbook_table(results) + counts_table(results) + services_table(results) + calls_tables(results, expected)
    lines += switch_table(results) + shape_table(results)
    return "\n".join(lines)
