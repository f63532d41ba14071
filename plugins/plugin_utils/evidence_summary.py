# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run summary every runbook publishes with set_stats (`cloudops_summary`), built from the runbook's own report.

AWX shows it as a job artifact and passes it to a workflow's next node; the run_evidence callback reads it to know
which runbook ran and where to write the run directory. Pure Python, no Ansible import: used by the
cloudops.runbooks.run_summary filter and the callback, unit-tested without a run.
"""

from __future__ import annotations

import datetime
import os
import re

SCHEMA_VERSION = 1
STATUSES = ("succeeded", "failed", "refused", "check")

# runbook -> (title in reports, the set_stats key of its own report)
RUNBOOKS = {
    "status": ("STATUS", "status_report"),
    "deploy": ("DEPLOY", "deploy_report"),
    "rollback": ("ROLLBACK", "rollback_report"),
    "failover": ("FAILOVER", "failover_report"),
    "failover_drill": ("FAILOVER DRILL", "drill_report"),
    "failback": ("FAILBACK", "failback_report"),
    "backup": ("BACKUP", "backup_report"),
    "backup_restore": ("BACKUP RESTORE", "restore_report"),
}

_FAILED = {"failed", "failback_failed", "estate_changed", "verification_failed", "rollback_failed", "report_failed"}
_REFUSED = {"refused"}


def runbook_title(runbook):
    return RUNBOOKS.get(runbook, (str(runbook).replace("_", " ").upper(), None))[0]


def report_key(runbook):
    """The set_stats key under which the runbook publishes its own report."""
    return RUNBOOKS.get(runbook, (None, "%s_report" % runbook))[1]


def dig(data, *path):
    """data[path[0]][path[1]]..., or None where a level is missing or not a mapping."""
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def _number(value):
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value) if not isinstance(value, int) else value
    except (TypeError, ValueError):
        return None


def run_status(runbook, report, check_mode=False, over_budget_fails=True):
    """succeeded | failed | refused | check, from the runbook's outcome."""
    outcome = str(dig(report, "outcome") or "")
    failed = outcome in _FAILED or (outcome == "over_budget" and over_budget_fails) or bool(dig(report, "failback_error"))
    if runbook == "backup_restore" and str(dig(report, "cleanup", "reason") or "").startswith("delete failed"):
        failed = True
    if failed:
        return "failed"
    if outcome in _REFUSED:
        return "refused"
    if outcome.startswith("would_") or check_mode or dig(report, "check_mode") is True:
        return "check"
    return "succeeded"


def measures(runbook, report):
    """(rto_seconds, rpo_seconds, rpo_rows) the runbook measured, or None where it measures nothing."""
    if runbook in ("failover_drill", "failback"):
        return _number(dig(report, "rto", "seconds")), _number(dig(report, "rpo", "seconds")), _number(dig(report, "rpo", "rows"))
    if runbook == "failover":
        return _number(dig(report, "rto", "seconds")), _number(dig(report, "rpo", "estimated_seconds")), None
    if runbook == "backup_restore" and dig(report, "action") == "restore_test":
        # A restore test: the time until the restored data was proven, and how far back the restore point is.
        return _number(dig(report, "durations", "to_verified_seconds")), _number(dig(report, "restore_point", "gap_seconds")), None
    return None, None, None


def _json_short(value):
    if isinstance(value, dict):
        return "{%s}" % ", ".join("%s: %s" % (k, _json_short(v)) for k, v in sorted(value.items()))
    return str(value)


def changes(runbook, report, check_mode=False):
    """What the run changed (or would change, in check mode), one line each."""
    report = report if isinstance(report, dict) else {}
    would = "would: " if check_mode or report.get("check_mode") is True else ""
    out = []
    if runbook == "failover":
        return [str(c) for c in report.get("changes") or []]
    if runbook == "failover_drill":
        # A drill puts everything back: what it changed for good is what the status after differs in.
        return ["left changed: %s %s -> %s" % (d.get("path"), _json_short(d.get("before")), _json_short(d.get("after")))
                for d in dig(report, "status", "differences") or [] if isinstance(d, dict)]
    if runbook == "deploy":
        for service in report.get("services") or []:
            for side in service.get("sides") or []:
                if side.get("action") in ("skipped", "none"):
                    continue
                line = "%s %s on %s: " % (service.get("service"), service.get("version") or "", side.get("side"))
                if service.get("outcome") in ("rolled_back", "rollback_failed"):
                    out.append(line + "deploy %s" % service.get("outcome").replace("_", " "))
                    continue
                parts = []
                if side.get("helm_changed") or side.get("revision_after") != side.get("revision_before"):
                    parts.append("%s revision %s -> %s" % (side.get("release"), side.get("revision_before"), side.get("revision_after")))
                if side.get("traffic_after") and side.get("traffic_after") != side.get("traffic_before"):
                    parts.append("traffic %s -> %s" % (_json_short(side.get("traffic_before")), _json_short(side.get("traffic_after"))))
                if parts:
                    out.append(would + line + ", ".join(parts))
        return out
    if runbook == "rollback":
        for entry in report.get("services") or []:
            if not entry.get("changed"):
                continue
            parts = []
            if entry.get("helm_changed"):
                parts.append("%s revision %s -> %s" % (entry.get("release"), entry.get("revision_before"), entry.get("revision_after")))
            if entry.get("traffic_changed"):
                parts.append("traffic %s -> %s" % (_json_short(entry.get("traffic_before")), _json_short(entry.get("traffic_after"))))
            out.append(would + "%s on %s: %s" % (entry.get("service"), entry.get("side"), ", ".join(parts) or "changed"))
        return out
    if runbook == "backup":
        for key, what in (("snapshot", "snapshot"), ("copy", "copy")):
            snap = report.get(key)
            if isinstance(snap, dict) and snap.get("changed"):
                out.append(would + "%s %s in %s" % (what, snap.get("id"), snap.get("region")))
        for ret in report.get("retention") or []:
            for deleted in ret.get("deleted") or []:
                ident = deleted.get("id") if isinstance(deleted, dict) else deleted
                out.append(would + "deleted snapshot %s in %s" % (ident, ret.get("region")))
        return out
    if runbook == "backup_restore":
        action = report.get("action")
        instance = report.get("instance") or {}
        cleanup = report.get("cleanup") or {}
        if action == "restore_test" and instance.get("restored_now"):
            out.append(would + "restored %s in %s" % (instance.get("id"), instance.get("region")))
        cutover = report.get("cutover")
        if isinstance(cutover, dict) and cutover.get("changed"):
            current = cutover.get("current") or {}
            out.append(would + "Secret %s -> %s:%s" % (cutover.get("secret"), current.get("host"), current.get("port")))
        if action == "cutover_rollback" and report.get("outcome") in ("rolled_back", "would_roll_back"):
            out.append(would + "Secret %s put back" % dig(report, "cutover", "secret"))
        if cleanup.get("deleted") or (action == "cleanup" and report.get("outcome") in ("deleted", "would_delete")):
            out.append(would + "deleted %s" % cleanup.get("instance_id"))
        return out
    return out


def _stamp(report):
    for key in ("started_at", "run_started_at", "collected_at", "finished_at"):
        value = report.get(key) if isinstance(report, dict) else None
        if isinstance(value, str) and len(value) >= 19:
            return re.sub(r"[-:]", "", value[:19])
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S")


# Where an operator moves every run directory (the run_evidence callback's run_dir_root option reads it too).
RUN_DIR_OVERRIDE_ENV = "CLOUDOPS_RUN_EVIDENCE_DIR"


def run_dir(root, run_id, project_dir=""):
    """<root>/<run_id>, a relative root under project_dir; '' when root is '' (no files)."""
    root = str(root or "")
    if not root:
        return ""
    if not os.path.isabs(root) and project_dir:
        root = os.path.join(str(project_dir), root)
    return os.path.join(root, str(run_id))


def build_summary(report, runbook, root="runs", project_dir="", run_id="", check_mode=False, over_budget_fails=True):
    """The cloudops_summary of a run, from the runbook's report."""
    if runbook not in RUNBOOKS:
        raise ValueError("runbook %r is not one of %s" % (runbook, ", ".join(sorted(RUNBOOKS))))
    report = report if isinstance(report, dict) else {}
    environment = report.get("environment")
    run_id = str(run_id or report.get("run_id") or "%s-%s-%s" % (runbook, environment or "unknown", _stamp(report)))
    rto, rpo, rows = measures(runbook, report)
    outcome = report.get("outcome")
    return {
        "schema_version": SCHEMA_VERSION,
        "runbook": runbook,
        "environment": environment,
        "run_id": run_id,
        "outcome": "collected" if outcome is None and runbook == "status" else outcome,
        "status": run_status(runbook, report, check_mode=check_mode, over_budget_fails=over_budget_fails),
        "rto_seconds": rto,
        "rpo_seconds": rpo,
        "rpo_rows": rows,
        "changes": changes(runbook, report, check_mode=check_mode),
        "run_dir": run_dir(root, run_id, project_dir),
    }
