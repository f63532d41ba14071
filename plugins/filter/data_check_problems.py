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
    resolved = []
    for check in checks:
        newest = check.get("newest")
        if isinstance(newest, dict) and "max_age_seconds" in newest:
            # roles/db_verify turns it into not_before, counted back from the restore point the run picks.
            age, others = newest["max_age_seconds"], [key for key in ("not_before", "min_value") if newest.get(key) not in (None, "")]
            if others or isinstance(age, bool) or not isinstance(age, (int, float)) or age < 0:
                return ["%s: check %r: newest.max_age_seconds must be a number of seconds >= 0, instead of not_before or min_value"
                        % (variable, check.get("name"))]
            newest = dict((key, value) for key, value in newest.items() if key != "max_age_seconds")
            check = dict(check, newest=dict(newest, not_before="1970-01-01T00:00:00Z"))
        resolved.append(dict(check))
    try:
        data_checks.plan_checks(resolved)
    except data_checks.CheckError as exc:
        return ["%s: %s" % (variable, exc)]
    except (TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("cloudops.runbooks.data_check_problems: %s" % exc)
    return []


class FilterModule(object):
    def filters(self):
        return {"data_check_problems": data_check_problems}
