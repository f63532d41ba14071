# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What is wrong with declared data checks, found by the same code rds_data_verify runs (module_utils/data_checks),
without a database: a restore test refuses a malformed check before it restores anything."""

from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudops.runbooks.plugins.module_utils import data_checks


def data_check_problems(checks, variable="checks"):
    if checks is None or (isinstance(checks, (list, tuple)) and not checks):
        return []
    if not isinstance(checks, (list, tuple)) or not all(isinstance(check, dict) for check in checks):
        return ["%s must be a list of checks, each a mapping with a name and one of %s, got %r"
                % (variable, ", ".join(data_checks.KINDS), checks)]
    try:
        data_checks.plan_checks([dict(check) for check in checks])
    except data_checks.CheckError as exc:
        return ["%s: %s" % (variable, exc)]
    except (TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("cloudops.runbooks.data_check_problems: %s" % exc)
    return []


class FilterModule(object):
    def filters(self):
        return {"data_check_problems": data_check_problems}
