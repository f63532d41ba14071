# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the backup and restore runbooks: their plans, refusals, reports and summaries. The logic is in
plugins/module_utils/backup_runbook.py (plain functions, unit-tested); these wrappers only add what the controller
knows (the local user name, the time)."""

from __future__ import annotations

import getpass
import os

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudops.runbooks.plugins.module_utils import backup_runbook as core


def _local_user():
    """Who runs ansible-playbook: $USER, else $LOGNAME, else the account name."""
    for name in ("USER", "LOGNAME"):
        if os.environ.get(name):
            return os.environ[name]
    try:
        return getpass.getuser()
    except Exception:  # pylint: disable=broad-except
        return ""


def _call(name, function, *args, **kwargs):
    try:
        return function(*args, **kwargs)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise AnsibleFilterError("cloudops.runbooks.%s: %s: %s" % (name, exc.__class__.__name__, exc))


def backup_plan(settings, rds=None, regions=None, request=None, started_at=None, awx=None):
    return _call("backup_plan", core.backup_plan, settings, rds, regions, request, started_at or core.stamp(), awx, _local_user())


def backup_report(plan, environment, check_mode=False, snapshot=None, retention=None, snapshots_done_at=None, finished_at=None):
    return _call("backup_report", core.backup_report, plan, environment, check_mode, snapshot or {}, retention,
                 snapshots_done_at or core.stamp(), finished_at or core.stamp())


def backup_lines(report):
    return _call("backup_lines", core.backup_lines, report)


def restore_plan(settings, action, rds=None, eks=None, environment="", request=None, started_at=None, awx=None):
    return _call("restore_plan", core.restore_plan, settings, action, rds, eks, environment, request, started_at or core.stamp(), awx,
                 _local_user())


def restore_report(plan, environment, check_mode=False, results=None, finished_at=None):
    """results: error, cleanup_error, point, restore, owned, login, verify, verified_at, cutover_attempted, cutover, delete."""
    return _call("restore_report", core.restore_report, plan, environment, check_mode, finished_at or core.stamp(), **(results or {}))


def restore_operation_report(plan, environment, check_mode=False, result=None, finished_at=None):
    """The report of the cleanup (result: db_restore_delete_result) or the cutover rollback (result: db_cutover_result)."""
    function = core.cleanup_report if plan.get("action") == core.CLEANUP else core.rollback_report
    return _call("restore_operation_report", function, plan, environment, check_mode, finished_at or core.stamp(), result or {})


def restore_lines(report, plan):
    return _call("restore_lines", core.restore_lines, report, plan)


def restore_extras(plan, kind, **kwargs):
    """What a restore test computes between its steps: kind left_behind (instances=), resume (point=), or
    cleanup_problems (record=)."""
    if kind == "left_behind":
        return _call("restore_extras", core.left_behind, kwargs.get("instances"), plan)
    if kind == "resume":
        return _call("restore_extras", core.resume_steps, plan, kwargs.get("point") or {})
    if kind == "cleanup_problems":
        return _call("restore_extras", core.cleanup_problems, plan, kwargs.get("record"))
    raise AnsibleFilterError("cloudops.runbooks.restore_extras: kind must be left_behind, resume or cleanup_problems, got %r" % kind)


ROLE_CHECKS = {
    "snapshot": core.snapshot_problems,
    "retention": core.retention_problems,
    "retention_targets": core.retention_targets,
    "retention_results": core.retention_results,
    "restore_target": core.restore_target_problems,
    "restore_point": core.restore_point_problems,
    "verify": core.verify_problems,
    "verify_checks": core.resolve_checks,
    "verify_failure": core.verify_failure,
}


def backup_role_data(kind, **kwargs):
    """The roles db_snapshot, db_retention, db_restore and db_verify: their refusals and reshaped data, by kind."""
    if kind not in ROLE_CHECKS:
        raise AnsibleFilterError("cloudops.runbooks.backup_role_data: kind must be one of %s, got %r" % (", ".join(sorted(ROLE_CHECKS)), kind))
    return _call("backup_role_data", ROLE_CHECKS[kind], **kwargs)


class FilterModule(object):
    def filters(self):
        return {"backup_plan": backup_plan, "backup_report": backup_report, "backup_lines": backup_lines,
                "restore_plan": restore_plan, "restore_report": restore_report, "restore_operation_report": restore_operation_report,
                "restore_lines": restore_lines, "restore_extras": restore_extras, "backup_role_data": backup_role_data}
