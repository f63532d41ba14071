# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The status filters are module_utils/status.py's functions (tested in tests/unit/plugins/module_utils/test_status*.py)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.filter import status as status_filters
from ansible_collections.cloudops.runbooks.plugins.module_utils import database, status


def test_the_filters_are_the_module_utils_functions():
    assert status_filters.FilterModule().filters() == {"status_table": status.status_table, "status_report": status.status_report,
                                                       "status_diff": status.status_diff,
                                                       "status_known_identifiers": status.known_identifiers,
                                                       "known_endpoint": database.known_endpoint}
