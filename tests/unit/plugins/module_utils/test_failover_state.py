# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/failover_state.py: which side is production, from the failover record."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_state as fs

FAILED_OVER = {"run_id": "failover-prod-20260131T120000", "outcome": "failed_over", "smoke_passed_at": "2026-01-31T12:04:10Z",
               "last_run_at": "2026-01-31T12:00:00Z"}


@pytest.mark.parametrize("record", [None, {}, {"outcome": "in_progress"}, {"outcome": "failed"}, dict(FAILED_OVER, outcome="failed_back")])
def test_without_a_completed_failover_production_is_the_primary(record):
    state = fs.production(record)
    assert (state["side"], state["failed_over"], state["run_id"], state["note"]) == ("primary", False, None, "")
    assert fs.side_values_key("dr", state) == "dr" and fs.side_values_key("primary", state) == "primary"


def test_after_a_failover_production_is_dr_and_dr_takes_the_production_values():
    state = fs.production(FAILED_OVER)
    assert (state["side"], state["failed_over"], state["since"], state["failback"]) == ("dr", True, "2026-01-31T12:04:10Z", None)
    assert state["note"] == ("production runs on DR since 2026-01-31T12:04:10Z (failover failover-prod-20260131T120000): DR gets "
                             "the production values; playbooks/failback.yml brings it back")
    assert fs.side_values_key("dr", state) == "primary" and fs.side_values_key("primary", state) == "primary"


def test_a_failback_under_way_is_named():
    state = fs.production(dict(FAILED_OVER, failback={"phase": "replica_caught_up"}))
    assert state["side"] == "dr" and state["failback"] == "replica_caught_up" and "a failback is at replica_caught_up" in state["note"]
