# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.filter.data_check_problems import data_check_problems


def test_valid_or_absent_checks_have_no_problem():
    assert data_check_problems([{"name": "orders", "row_count": {"table": "orders", "min": 1}},
                                {"name": "no orphans", "sql": "SELECT 0", "expect": 0}], "restore_checks") == []
    assert data_check_problems(None) == [] and data_check_problems([]) == []
    # Relative to the restore point (roles/db_verify resolves it into not_before).
    assert data_check_problems([{"name": "recent", "newest": {"table": "orders", "column": "placed_at", "max_age_seconds": 60}}]) == []


@pytest.mark.parametrize("checks, problem", [
    ([{"name": "rows"}], "restore_extra_checks: check 'rows' must have exactly one of row_count, checksum, newest, sql (it has none)"),
    ([{"name": "wipe", "sql": "DELETE FROM orders", "expect": 0}], "restore_extra_checks: check 'wipe': sql must be one read-only query"),
    ([{"row_count": {"table": "orders", "min": 1}}], "restore_extra_checks: check #1 has no name"),
    ("select 1", "restore_extra_checks must be a list of checks, each a mapping with a name and one of"),
    ([{"name": "recent", "newest": {"table": "orders", "column": "placed_at", "max_age_seconds": -1}}],
     "restore_extra_checks: check 'recent': newest.max_age_seconds must be a number of seconds >= 0"),
])
def test_the_first_problem_is_named_after_the_variable(checks, problem):
    found = data_check_problems(checks, "restore_extra_checks")
    assert len(found) == 1 and found[0].startswith(problem)
