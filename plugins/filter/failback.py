# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failback's record, report, the message that fails its run and DR's warm-standby arguments; the logic is in
module_utils/runbook_reports.py and module_utils/failback.py."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import failback
from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_reports


def failback_record(facts, phase):
    return runbook_reports.failback_record(dict(facts), phase)


def failback_report(facts):
    return runbook_reports.failback_report(dict(facts))


def failback_fail_message(report):
    return runbook_reports.failback_fail_message(dict(report))


def failback_standby_args(plan, writes_stop_result=None, state=None):
    return failback.standby_args(dict(plan), writes_stop_result, state)


class FilterModule(object):
    def filters(self):
        return {"failback_record": failback_record, "failback_report": failback_report, "failback_fail_message": failback_fail_message,
                "failback_standby_args": failback_standby_args}
