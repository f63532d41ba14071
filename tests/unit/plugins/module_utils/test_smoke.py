# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""smoke.results: the smoke_test role's results per side from its registered loops."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import smoke

RUNS = [{"side": "dr", "job": {"name": "failover-smoke"}, "http": {"url": "http://x/healthz"}},
        {"side": "primary", "job": {"name": "smoke"}}]


def test_each_side_gets_its_job_and_its_check():
    jobs = {"results": [{"item": RUNS[0], "job": {"name": "failover-smoke", "outcome": "complete"}},
                        {"item": RUNS[1], "skipped": True}]}
    http = {"results": [{"item": RUNS[0], "status": 200}]}
    assert smoke.results(RUNS, jobs, http) == [
        {"side": "dr", "job": {"name": "failover-smoke", "outcome": "complete"},
         "http": {"url": "http://x/healthz", "expected": 200, "status": 200, "skipped": False}},
        {"side": "primary", "job": {"name": "smoke", "outcome": "skipped"}, "http": None}]


def test_nothing_registered_yet():
    assert smoke.results(RUNS, None, {"skipped": True, "results": []}) == [
        {"side": "dr", "job": {"name": "failover-smoke", "outcome": None},
         "http": {"url": "http://x/healthz", "expected": 200, "status": None, "skipped": False}},
        {"side": "primary", "job": {"name": "smoke", "outcome": None}, "http": None}]
    assert smoke.results([{"side": "dr"}]) == [{"side": "dr", "job": None, "http": None}] and smoke.results(None) == []
