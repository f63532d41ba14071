# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with declared data checks, found by the same code rds_data_verify runs (module_utils/data_checks),
without a database: a restore test refuses a malformed check before it restores anything (the runbooks call it
through the cloudops.runbooks.runbook_request action; this filter serves playbooks of their own)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request


def data_check_problems(checks, variable="checks"):
    """The problems of declared data checks, each naming the variable: the request validation's own check (one
    implementation, in module_utils/runbook_request.py), for a playbook of the user's that declares checks."""
    return runbook_request.sql_check_problems(variable, checks)


class FilterModule(object):
    def filters(self):
        return {"data_check_problems": data_check_problems}
