# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A smoke test's results per side (the smoke_test role's smoke_test_results), from the registered loop results of
its Job runs and HTTP checks. Pure; deploy_new_colour builds its smoke_test_results with it.
"""

from __future__ import annotations


def _by_side(loop):
    """{(side, service): loop item result} of a registered loop (None or a skipped task: {}); service None when the
    runs do not name one (one service's runs)."""
    found = {}
    for item in (loop or {}).get("results") or []:
        run = (item or {}).get("item") or {}
        key = (run.get("side"), run.get("service"))
        if key[0] is not None and key not in found:
            found[key] = item
    return found


def results(runs, jobs=None, http=None):
    """One entry per run: {side, [service,] job (the Job's result, or {name, outcome: skipped|None} when it did not run; None
    without a job), http ({url, expected, status, skipped}; None without a check)}."""
    jobs, checks = _by_side(jobs), _by_side(http)
    out = []
    for run in runs or []:
        side = run.get("side")
        job, check = jobs.get((side, run.get("service"))) or {}, checks.get((side, run.get("service"))) or {}
        entry = {"side": side, "job": None, "http": None}
        if run.get("service") is not None:
            entry["service"] = run["service"]
        if run.get("job"):
            entry["job"] = job.get("job") or {"name": run["job"].get("name"), "outcome": "skipped" if job.get("skipped") else None}
        if run.get("http"):
            entry["http"] = {"url": run["http"].get("url"), "expected": run["http"].get("status") or 200,
                             "status": check.get("status"), "skipped": bool(check.get("skipped", False))}
        out.append(entry)
    return out
