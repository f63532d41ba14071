# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover and drill reports and the messages that fail their runs; the logic is in module_utils/runbook_reports.py."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_reports


def drill_report(facts):
    return runbook_reports.drill_report(dict(facts))


def failover_report(facts):
    return runbook_reports.failover_report(dict(facts))


def progress_record(facts, phase):
    return runbook_reports.progress_record(dict(facts), phase)


def failover_changes(facts):
    return runbook_reports.failover_changes(dict(facts))


def promotion(result):
    return runbook_reports.promotion(result)


def restore_measure(result):
    return runbook_reports.restore_measure(result)


def replica_rebuild(result, settled=None):
    return runbook_reports.replica_rebuild(result, settled)


def report_fail_message(report, fail_over_budget=True):
    if report.get("kind") == "drill":
        return runbook_reports.drill_fail_message(report, bool(fail_over_budget))
    return runbook_reports.failover_fail_message(report)


class FilterModule(object):
    def filters(self):
        return {"drill_report": drill_report, "failover_report": failover_report, "report_fail_message": report_fail_message,
                "progress_record": progress_record, "failover_changes": failover_changes, "promotion": promotion,
                "restore_measure": restore_measure,
                "replica_rebuild": replica_rebuild}
