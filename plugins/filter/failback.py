# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failback's record, report and the message that fails its run; the logic is in module_utils/runbook_reports.py."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_reports


def failback_record(facts, phase):
    return runbook_reports.failback_record(dict(facts), phase)


def failback_report(facts):
    return runbook_reports.failback_report(dict(facts))


def failback_fail_message(report):
    return runbook_reports.failback_fail_message(dict(report))


class FilterModule(object):
    def filters(self):
        return {"failback_record": failback_record, "failback_report": failback_report, "failback_fail_message": failback_fail_message}
