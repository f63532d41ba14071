# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the status runbook: the status report of registered info-module results, its table, the difference
between two reports. The logic lives in module_utils/status.py (estate_status builds the report with it)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils.database import known_endpoint
from ansible_collections.cloudops.runbooks.plugins.module_utils.status import known_identifiers, status_diff, status_report, status_table


class FilterModule(object):
    def filters(self):
        return {"status_table": status_table, "status_report": status_report, "status_diff": status_diff,
                "status_known_identifiers": known_identifiers, "known_endpoint": known_endpoint}
