# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup and restore runbooks' plans, refusals, reports and summaries, as plain functions.

playbooks/backup.yml and the restore playbooks (restore_test.yml, restore_cleanup.yml, restore_cutover_rollback.yml,
dispatched by backup_restore.yml) keep the order of their steps; what each run does (the settings resolved from the
inventory and the extra vars), what it refuses before anything changes, the report it publishes and the lines it
prints are computed here, through the filters of plugins/filter/backup_runbook.py. The roles db_snapshot,
db_retention, db_restore and db_verify refuse bad inputs with the *_problems functions below. No AWS call, no
Ansible import: module_utils/backup.py has the AWS-side decisions (restore window, restore point, retention).
"""

from __future__ import annotations

import datetime
import json
import re

from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape

UTC = datetime.timezone.utc
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

RESTORE_TEST, CLEANUP, CUTOVER_ROLLBACK = "restore_test", "cleanup", "cutover_rollback"
ACTIONS = (RESTORE_TEST, CLEANUP, CUTOVER_ROLLBACK)
# The playbook of each restore operation (backup_restore.yml dispatches to them by the extra vars).
PLAYBOOKS = {RESTORE_TEST: "playbooks/restore_test.yml", CLEANUP: "playbooks/restore_cleanup.yml",
             CUTOVER_ROLLBACK: "playbooks/restore_cutover_rollback.yml"}
MODES = ("latest_restorable_time", "latest_snapshot", "time")
REPORT_FIELDS = ("id", "arn", "region", "status", "created", "encrypted", "kms_key_id", "tags", "changed", "waited_seconds")

_TAG_VALUE_BAD = re.compile(r"[^\w .:/=+@-]")
_RESTORE_ID = re.compile(r"[a-z][a-z0-9-]{0,62}")
_INSTANCE_ID = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,62}")
_SNAPSHOT_ID = re.compile(r"[A-Za-z][A-Za-z0-9-]{0,254}")


# -- small helpers ------------------------------------------------------------------------------------------------------
def to_bool(value, default=False):
    """Ansible's `| bool` of an extra var: true, "true", "yes", "on", "1", 1 are true; None is default."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return value == 1
    return str(value).strip().lower() in ("yes", "on", "1", "true", "y", "t")


def given(value):
    """A value that is set and not empty (`x | default(..., true)` falls back on the others)."""
    return value not in (None, "", [], {})


def tag_value(text):
    """An RDS tag value: letters, digits, spaces and _ . : / = + - @ only (others become -), at most 256 characters."""
    return _TAG_VALUE_BAD.sub("-", str(text))[:256]


def parse(stamp):
    """A run timestamp (`2026-01-31T12:00:00.250000Z`, or any ISO 8601) as an aware UTC datetime."""
    text = str(stamp).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(text)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def stamp(when=None):
    """The runbooks' timestamp format, UTC with microseconds."""
    return (when or datetime.datetime.now(UTC)).astimezone(UTC).strftime(TIME_FORMAT)


def seconds(started, finished):
    """finished - started in seconds, rounded to 0.1 s."""
    return round((parse(finished) - parse(started)).total_seconds(), 1)


def id_stamp(started_at):
    """`2026-01-31T12:00:00.25Z` -> `20260131-120000`: the time part of generated ids."""
    return str(started_at)[:19].replace("-", "").replace(":", "").replace("T", "-")


def valid_id(pattern, value):
    value = str(value)
    return bool(pattern.fullmatch(value)) and "--" not in value and not value.endswith("-")


def requested_by(given_value, awx=None, local_user=""):
    """Who asked: the extra var, else the AWX user, else `awx schedule <name>`, else the local user (tag-safe)."""
    awx = awx or {}
    if given(given_value):
        who = given_value
    elif awx.get("user") is not None:
        who = awx["user"]
    elif awx.get("tower_user") is not None:
        who = awx["tower_user"]
    elif awx.get("schedule") is not None:
        who = "awx schedule %s" % awx["schedule"]
    else:
        who = local_user
    return tag_value(str(who).strip())


def _number(value):
    return "%s" % value


# -- backup.yml ---------------------------------------------------------------------------------------------------------
def backup_plan(settings, rds, regions, request, started_at, awx=None, local_user=""):
    """What playbooks/backup.yml does: {kind, instance_id, cluster_id, region, snapshot_id, copy_region, kms_key_id,
    tags, wait_timeout, prune, retention_targets, tag_filters, started_at, problems}. request: the backup_* extra vars
    (absent = None). kind: `cluster` on an Aurora estate (db_shape AURORA_GLOBAL: a cluster snapshot of the primary
    cluster, cloudops_backup.cluster_id overriding cloudops_rds.primary.cluster_id; instance_id empty), else
    `instance` (cluster_id empty)."""
    settings, rds, regions, request = settings or {}, rds or {}, regions or {}, request or {}
    primary = rds.get("primary") or {}
    kind = "cluster" if db_shape.shape(rds) == db_shape.AURORA_GLOBAL else "instance"
    cluster = (settings.get("cluster_id") or primary.get("cluster_id")) if kind == "cluster" else ""
    instance = "" if kind == "cluster" else settings.get("instance_id") or primary.get("instance_id")
    region = settings.get("region") or primary.get("region")
    copy = settings.get("copy") or {}
    copy_region = (copy.get("region") or regions.get("dr")) if to_bool(request.get("backup_copy"), True) else ""
    # Why there is no copy: asked for, or nowhere to copy to (a one-region estate without copy.region: docs/one-region.md).
    copy_skipped = "" if copy_region else ("backup_copy=false" if not to_bool(request.get("backup_copy"), True)
                                           else "one region: no cloudops_regions.dr, no cloudops_backup.copy.region")
    reason = request.get("backup_reason")
    if not given(reason):
        reason = ("schedule %s" % awx["schedule"]) if (awx or {}).get("schedule") is not None else "on demand"
    why = {"reason": tag_value(str(reason).strip()), "requested_by": requested_by(request.get("backup_requested_by"), awx, local_user)}
    if given(request.get("backup_helm_revision")) and str(request["backup_helm_revision"]):
        why["helm_revision"] = tag_value(request["backup_helm_revision"])
    if given(request.get("backup_helm_release")):
        why["helm_release"] = tag_value(request["backup_helm_release"])
    tags = dict(settings.get("tags") or {}, **why)
    tags["managed-by"] = "cloudops.runbooks"  # rds_snapshot/rds_snapshot_copy put it on what they create in any case
    snapshot_id = request.get("backup_snapshot_id") or "%s-%s" % (instance or cluster, id_stamp(started_at))
    prune = to_bool(request.get("backup_prune"), True)
    retention = settings.get("retention") or {}
    tag_filters = retention.get("tag_filters") or {}
    problems, targets = [], []
    if kind == "cluster" and not cluster:
        problems.append("An Aurora estate without cloudops_rds.primary.cluster_id (or cloudops_backup.cluster_id): "
                        "nothing to back up.")
    sides = [("primary", region)] + ([("dr", copy_region)] if copy_region else [])
    if prune:
        for key, value in tag_filters.items():
            if tags.get(key) != str(value):
                problems.append("retention.tag_filters %s=%s is not among the tags the runbook puts on its snapshots "
                                "(cloudops_backup.tags): its own snapshots would never be pruned." % (key, value))
        for side, side_region in sides:
            if side not in retention:
                problems.append("No retention for the %s region: give cloudops_backup.retention.%s: {keep_days, keep_last} "
                                "(or run with -e backup_prune=false)." % (side, side))
            else:
                targets.append(dict({"name": side, "region": side_region}, **(retention.get(side) or {})))
    return {"kind": kind, "instance_id": instance, "cluster_id": cluster or "", "region": region,
            "snapshot_id": str(snapshot_id).lower(), "copy_region": copy_region or "",
            "copy_skipped": copy_skipped, "kms_key_id": copy.get("kms_key_id") or "", "tags": tags, "wait_timeout": int(settings.get("wait_timeout") or 1800),
            "prune": prune, "retention_targets": targets, "tag_filters": tag_filters, "started_at": started_at, "problems": problems}


def _pick(summary, fields):
    return dict((key, value) for key, value in (summary or {}).items() if key in fields)


def backup_report(plan, environment, check_mode, snapshot, retention, snapshots_done_at, finished_at):
    """The backup report (backup_report): snapshot = db_snapshot_result, retention = db_retention_result or None."""
    snap, copy = snapshot.get("snapshot") or {}, snapshot.get("copy")
    changed = bool(snap.get("changed")) or bool(copy and copy.get("changed"))
    return {
        "environment": environment,
        "check_mode": bool(check_mode),
        "outcome": ("would_back_up" if check_mode else "backed_up") if changed else "unchanged",
        "started_at": plan["started_at"],
        "finished_at": finished_at,
        "duration_seconds": seconds(plan["started_at"], finished_at),
        "snapshot_seconds": seconds(plan["started_at"], snapshots_done_at),
        plan.get("kind") or "instance": {"id": plan["cluster_id"] if plan.get("kind") == "cluster" else plan["instance_id"],
                                         "region": plan["region"]},
        "snapshot": _pick(snap, REPORT_FIELDS),
        "copy": _pick(copy, REPORT_FIELDS + ("source_arn",)) if copy else None,
        "copy_skipped": None if copy else (plan.get("copy_skipped") or "backup_copy=false"),
        "retention": [{"side": r["name"], "region": r["region"], "keep_days": r.get("keep_days"), "keep_last": r.get("keep_last"),
                       "deleted": r.get("deleted") or [], "kept_count": len(r.get("kept") or [])}
                      for r in (retention or []) if plan.get("prune", True)],
    }


def _snapshot_line(label, snap, check_mode, verb):
    if check_mode and snap.get("changed"):
        state = "would be %s" % verb
    else:
        state = "%s%s" % (snap.get("status"), (", %s, waited %s s" % (verb, snap.get("waited_seconds"))) if snap.get("changed")
                          else ", already there")
    return "%s %s in %s: %s" % (label, snap.get("id"), snap.get("region"), state)


def backup_lines(report):
    """What playbooks/backup.yml prints at its end."""
    source = report.get("instance") or report.get("cluster")
    out = ["BACKUP of %s%s (%s): %s%s in %s s" % ("cluster " if report.get("cluster") else "", source["id"], report["environment"],
                                                  report["outcome"], " (check mode: nothing changed)" if report["check_mode"] else "",
                                                  report["duration_seconds"])]
    out.append(_snapshot_line("snapshot", report["snapshot"], report["check_mode"], "taken"))
    if report.get("copy"):
        out.append(_snapshot_line("copy    ", report["copy"], report["check_mode"], "copied"))
    else:
        out.append("copy     none (%s)" % (report.get("copy_skipped") or "backup_copy=false"))
    out.append("tags     %s" % json.dumps(report["snapshot"].get("tags") or {}))
    for p in report["retention"]:
        policy = ", ".join(x for x in ("keep_days %s" % p["keep_days"] if p["keep_days"] is not None else None,
                                       "keep_last %s" % p["keep_last"] if p["keep_last"] is not None else None) if x)
        deleted = ", ".join(str(d.get("id")) for d in p["deleted"]) if p["deleted"] else "nothing"
        out.append("%s%s (%s, %s): %s; %s kept" % ("would prune " if report["check_mode"] else "pruned ", p["side"], p["region"], policy,
                                                   deleted, p["kept_count"]))
    if report["check_mode"] and report["retention"] and report["snapshot"].get("changed"):
        out.append("(retention in check mode is not counting the snapshot this run would take: with it, one more of the oldest may go)")
    return out


# -- the restore playbooks ----------------------------------------------------------------------------------------------
def requested_action(request):
    """The operation the extra vars ask for: cleanup (restore_cleanup_instance), cutover_rollback or restore_test."""
    request = request or {}
    if given(request.get("restore_cleanup_instance")):
        return CLEANUP
    if to_bool(request.get("restore_cutover_rollback")):
        return CUTOVER_ROLLBACK
    return RESTORE_TEST


def restore_playbook(request):
    """The playbook backup_restore.yml runs for these extra vars (file name, relative to playbooks/)."""
    return PLAYBOOKS[requested_action(request)].split("/", 1)[1]


def restore_plan(settings, action, rds, eks, environment, request, started_at, awx=None, local_user=""):
    """What a restore playbook does, and what it refuses before anything changes.

    settings: cloudops_backup; action: the playbook's operation (restore_test, cleanup, cutover_rollback); request:
    the restore_* extra vars (absent = None). Returns {action, kind, source_instance_id, source_cluster_id, region, mode,
    time, instance_id, cluster_id, instance_class, subnet_group, security_group_ids, parameter_group, prefix, tags,
    wait_timeout, connect_timeout, checks, keep, cutover, cutover_settings, cutover_target (db_cutover's inputs),
    inventory, started_at, problems}.

    On an Aurora estate (db_shape AURORA_GLOBAL) kind is `cluster`: the source is the primary cluster
    (cloudops_backup.cluster_id overrides cloudops_rds.primary.cluster_id; source_instance_id is the same id), the
    restore goes into a new cluster `cluster_id` (`<prefix>-<UTC stamp>`, or restore_instance_id) with one instance
    `instance_id` = `<cluster_id>-1`. Otherwise kind is `instance` and cluster_id / source_cluster_id are empty.
    """
    settings, rds, eks, request = settings or {}, rds or {}, eks or {}, request or {}
    restore = settings.get("restore") or {}
    primary = rds.get("primary") or {}
    kind = "cluster" if db_shape.shape(rds) == db_shape.AURORA_GLOBAL else "instance"
    if kind == "cluster":
        source = settings.get("cluster_id") or primary.get("cluster_id")
    else:
        source = settings.get("instance_id") or primary.get("instance_id")
    restore_time = request.get("restore_time")
    restore_time = "" if restore_time is None else str(restore_time)
    mode = request.get("restore_point") or ("time" if restore_time else restore.get("point") or "latest_restorable_time")
    prefix = restore.get("instance_prefix") or "%s-restore" % source
    instance_id = (request.get("restore_cleanup_instance") or request.get("restore_instance_id")
                   or "%s-%s" % (prefix, id_stamp(started_at)))
    keep, cutover = to_bool(request.get("restore_keep")), to_bool(request.get("restore_cutover"))
    rollback = to_bool(request.get("restore_cutover_rollback"))
    cleanup = given(request.get("restore_cleanup_instance"))
    checks = request["restore_checks"] if request.get("restore_checks") is not None else (restore.get("checks") or [])
    checks = list(checks) + list(request.get("restore_extra_checks") or [])
    cut = settings.get("cutover") or {}
    side = cut.get("side") or "primary"
    cluster = eks.get(side) or {}
    tags = dict(restore.get("tags") or {})
    # cloudops:keep tells a later run whether this instance was meant to outlive its restore test: one that was not,
    # found by a later run, was left behind by an interrupted run and is deleted.
    tags.update({"requested_by": requested_by(request.get("restore_requested_by"), awx, local_user),
                 "cloudops:keep": "true" if keep or cutover else "false"})
    cluster_id = ""
    if kind == "cluster" and not cleanup:
        cluster_id = str(instance_id).lower()
        instance_id = "%s-1" % cluster_id
    elif kind == "cluster":  # restore_cleanup_instance names the restored cluster
        cluster_id = str(instance_id).lower()
    plan = {
        "action": action, "kind": kind, "source_instance_id": source, "source_cluster_id": source if kind == "cluster" else "",
        "cluster_id": cluster_id,
        "region": settings.get("region") or primary.get("region"),
        "mode": mode, "time": restore_time, "instance_id": str(instance_id).lower(),
        "instance_class": restore.get("instance_class") or "", "subnet_group": restore.get("subnet_group") or "",
        "security_group_ids": restore.get("security_group_ids") or [], "parameter_group": restore.get("parameter_group") or "",
        "prefix": str(prefix).lower() + "-", "tags": tags,
        "wait_timeout": int(restore.get("wait_timeout") or 3600), "connect_timeout": int(restore.get("connect_timeout") or 120),
        "checks": checks,
        # Only restore_keep keeps the instance whatever happens; a cutover keeps it once the cutover started (a
        # cutover restore whose verification failed is deleted like any other).
        "keep": keep, "cutover": cutover, "cutover_settings": cut,
        "cutover_target": {"namespace": cut.get("namespace"), "secret_name": cut.get("secret_name"),
                           "host_key": cut.get("host_key") or "DB_HOST", "port_key": cut.get("port_key") or "DB_PORT",
                           "kubeconfig": cluster.get("kubeconfig") or "", "context": cluster.get("context") or "",
                           "create_missing": to_bool(cut.get("create_missing")),
                           "restart_deployments": cut.get("restart_deployments") or []},
        "inventory": "inventories/%s" % environment, "started_at": started_at,
    }
    plan["problems"] = restore_problems(plan, request, eks)
    return plan


def restore_problems(plan, request, eks):
    """Why a restore request cannot be carried out (empty: it can), before anything changes."""
    problems, action = [], plan["action"]
    asked = requested_action(request)
    cleanup = given(request.get("restore_cleanup_instance"))
    cutover, rollback = plan["cutover"], to_bool(request.get("restore_cutover_rollback"))
    if action not in ACTIONS:
        problems.append("Unknown restore operation %s: one of %s." % (action, ", ".join(ACTIONS)))
    elif asked != RESTORE_TEST and asked != action:
        problems.append("The extra vars ask for the %s, which %s runs; this playbook runs the %s."
                        % (asked.replace("_", " "), PLAYBOOKS[asked], action.replace("_", " ")))
    if action == CLEANUP and not cleanup:
        problems.append("Name the restored instance to delete: -e restore_cleanup_instance=<id>.")
    if plan["mode"] not in MODES:
        problems.append("restore_point %s is not one of %s." % (plan["mode"], ", ".join(MODES)))
    if plan["time"] and plan["mode"] != "time":
        problems.append("restore_time is given but restore_point is %s: drop one of them." % plan["mode"])
    if action == RESTORE_TEST:
        problems.extend(restore_point_problems(plan["mode"], plan["time"]))
    if cleanup and (cutover or rollback):
        problems.append("restore_cleanup_instance deletes an instance; run it on its own, not with a cutover or its rollback.")
    if cutover and rollback:
        problems.append("restore_cutover and restore_cutover_rollback exclude each other.")
    cut = plan["cutover_settings"]
    if cutover or rollback or action == CUTOVER_ROLLBACK:
        if not (cut.get("namespace") and cut.get("secret_name")):
            problems.append("No cutover target in this inventory: declare cloudops_backup.cutover {namespace, secret_name, host_key, port_key}"
                            " (the Secret the application reads its database endpoint from).")
        elif (cut.get("side") or "primary") not in (eks or {}):
            problems.append("cloudops_backup.cutover.side %s is not in cloudops_eks." % (cut.get("side") or "primary"))
    if action == RESTORE_TEST:
        if not valid_id(_RESTORE_ID, plan["instance_id"]):
            problems.append("Instance id %s is not valid: 1-63 letters, digits and hyphens, starting with a letter, without two hyphens in a"
                            " row or a trailing hyphen (restore_instance_id, or shorten cloudops_backup.restore.instance_prefix)."
                            % plan["instance_id"])
        if not plan["checks"]:
            problems.append("No checks: a restore test must prove the data; declare cloudops_backup.restore.checks.")
    return problems


def _command(plan, extra):
    return "`ansible-playbook playbooks/backup_restore.yml -i %s %s`" % (plan["inventory"], extra)


def _target(plan):
    """What a restore test creates and a cleanup deletes: the instance, or on Aurora the cluster (with its instance)."""
    return plan.get("cluster_id") or plan["instance_id"]


def resume_steps(plan, point):
    """What to do if the restore test is interrupted once the restore point is chosen (printed and published early)."""
    again = ("-e restore_time=%s" % point["time"]) if point.get("kind") == "time" else "-e restore_point=latest_snapshot"
    what = "cluster" if plan.get("cluster_id") else "instance"
    return ["If this run is interrupted from here on, %s (%s) may be left behind: the next restore test deletes it, or delete it now "
            "with %s." % (_target(plan), plan["region"], _command(plan, "-e restore_cleanup_instance=%s" % _target(plan))),
            "Or resume: the same command with `-e restore_instance_id=%s %s` waits for that %s instead of restoring again."
            % (_target(plan), again, what)]


def left_behind(instances, plan):
    """Restore-test instances interrupted runs left behind: this runbook's prefix, tagged cloudops:keep=false, not the
    one this run resumes (the runbook lock keeps two runs from restoring at once, so none belongs to a running test).
    instances: amazon.aws.rds_instance_info's `instances` (snake_case, tags as a dict); on Aurora (plan kind cluster)
    amazon.aws.rds_cluster_info's `clusters`: the restore-test clusters."""
    out = []
    for found in instances or []:
        name = found.get("db_cluster_identifier" if plan.get("kind") == "cluster" else "db_instance_identifier") or ""
        if (name.startswith(plan["prefix"]) and (found.get("tags") or {}).get("cloudops:keep") == "false"
                and name != _target(plan)):
            out.append(name)
    return out


def _gap(gap_seconds):
    gap = int(gap_seconds or 0)
    return "%dh %02dm %02ds" % (gap // 3600, (gap % 3600) // 60, gap % 60)


def restore_report(plan, environment, check_mode, finished_at, error="", cleanup_error="", point=None, restore=None, owned=False,
                   login=None, verify=None, verified_at=None, cutover_attempted=False, cutover=None, delete=None):
    """The report of a restore test (restore_report). The arguments are the roles' facts (db_restore_point_result,
    db_restore_result, db_restore_owned, db_restore_login_result, db_verify_result, db_cutover_result,
    db_restore_delete_result), None where the run did not get that far."""
    verified = bool(verify) and to_bool(verify.get("passed"))
    if error and verify and not to_bool(verify.get("passed")):
        outcome = "verification_failed"
    elif error and restore is None and not owned:
        outcome = "refused"
    elif error:
        outcome = "failed"
    elif check_mode:
        outcome = "would_restore"
    else:
        outcome = "verified_and_cut_over" if cutover_attempted else "verified"
    if point:
        restore_point = dict(point["restore_point"], window=point.get("window"), gap_seconds=round(float(point.get("gap_seconds") or 0), 1),
                             gap=_gap(point.get("gap_seconds")))
    else:
        restore_point = {"mode": plan["mode"], "requested_time": plan["time"] or None}
    instance = (restore or {}).get("instance") or {}
    left = (not check_mode) and bool(owned) and not (delete is not None and not cleanup_error)
    if check_mode:
        reason = "check mode: nothing was created"
    elif not owned:
        reason = "nothing was created"
    elif cutover_attempted:
        reason = "kept for the cutover"
    elif plan["keep"]:
        reason = "kept (restore_keep)"
    elif cleanup_error:
        reason = "delete failed: %s" % cleanup_error
    else:
        reason = "deleted with its automated backups, no final snapshot"
    next_steps = []
    if cutover_attempted:
        next_steps.append("The application now reads %s; to go back: %s." % (plan["instance_id"], _command(plan, "-e restore_cutover_rollback=true")))
    if left:
        next_steps.append("%s is left running; delete it when done: %s." % (
            _target(plan), _command(plan, "-e restore_cleanup_instance=%s" % _target(plan))))
    report = {
        "environment": environment, "action": RESTORE_TEST, "check_mode": bool(check_mode), "outcome": outcome, "error": error or None,
        "started_at": plan["started_at"], "finished_at": finished_at,
        "source": {"instance_id": plan["source_instance_id"], "region": plan["region"]},
        "restore_point": restore_point,
        "instance": {"id": plan["instance_id"], "region": plan["region"],
                     "status": instance.get("status") if restore else None, "endpoint": instance.get("endpoint") if restore else None,
                     "instance_class": instance.get("instance_class") if restore else None,
                     "restored_from": restore.get("restored_from") if restore else None,
                     "restored_now": to_bool(restore.get("changed")) if restore else False,
                     "master_password_set": to_bool(login.get("password_set")) if login else False},
        "durations": {
            # The restore call until available (null when an interrupted run's instance was only waited for).
            "restore_seconds": restore.get("duration_seconds") if restore else None,
            # From the start of the run until the data was proven: the restore part of a recovery time.
            "to_verified_seconds": seconds(plan["started_at"], verified_at) if verified and verified_at else None,
            "cleanup_seconds": delete.get("duration_seconds") if delete else None,
            "total_seconds": seconds(plan["started_at"], finished_at),
        },
        "verification": {"passed": to_bool(verify.get("passed")), "failed_count": verify.get("failed_count"), "checks": verify.get("checks")}
        if verify else None,
        "cutover": cutover if cutover_attempted and cutover is not None else None,
        "cleanup": {"instance_id": plan["instance_id"], "deleted": to_bool(delete.get("changed")) if delete and not check_mode else False,
                    "left_behind": left, "reason": reason},
        "next_steps": next_steps,
    }
    if plan.get("kind") == "cluster":  # Aurora: the source is a cluster, the restore a new cluster with one instance
        report["source"] = {"cluster_id": plan["source_cluster_id"], "region": plan["region"]}
        restored = (restore or {}).get("cluster") or {}
        report["cluster"] = {"id": plan["cluster_id"], "region": plan["region"], "status": restored.get("status"),
                             "members": restored.get("members") or [], "endpoint": restored.get("endpoint")}
        report["cleanup"]["cluster_id"] = plan["cluster_id"]
    return report


def restore_lines(report, plan):
    """What a restore test prints at its end."""
    r = report
    source = r["source"].get("instance_id") or "cluster %s" % r["source"].get("cluster_id")
    out = ["RESTORE TEST of %s (%s): %s%s in %s s" % (source, r["environment"], r["outcome"].upper(),
                                                      " (check mode: nothing changed)" if r["check_mode"] else "", r["durations"]["total_seconds"])]
    rp = r["restore_point"]
    if "kind" in rp:
        kind = ("snapshot %s of " % rp.get("snapshot_id")) if rp["kind"] == "snapshot" else "point in time "
        out.append("restore point  %s%s: data %s old (%s s)" % (kind, rp.get("time"), rp.get("gap"), rp.get("gap_seconds")))
    if r["check_mode"] and r["error"] is None:
        cut = plan["cutover_settings"]
        out.append("would restore  into %s (%s), verify %d check(s)%s%s" % (
            r["instance"]["id"], r["instance"]["instance_class"] or plan["instance_class"], len(plan["checks"]),
            (", cut over Secret %s/%s" % (cut.get("namespace"), cut.get("secret_name"))) if plan["cutover"] else "",
            ", keep it" if plan["keep"] or plan["cutover"] else ", delete it"))
    elif r["instance"]["restored_from"]:
        took = r["durations"]["restore_seconds"]
        proven = r["durations"]["to_verified_seconds"]
        out.append("restored into  %s (%s) in %s%s" % (r["instance"]["id"], r["instance"]["instance_class"],
                                                       ("%s s" % took) if took is not None else "an earlier run",
                                                       (", data proven %s s after the start" % proven) if proven is not None else ""))
        if r["instance"]["master_password_set"]:
            out.append("master password set from the current credentials (the restore point predates a password change)")
    for check in (r["verification"] or {}).get("checks") or []:
        out.append("check %s%s: %s" % ("PASS " if check.get("passed") else "FAIL ", check.get("name"), check.get("message")))
    if r["cutover"]:
        c = r["cutover"]
        before = ("%s:%s" % (c["previous"]["host"], c["previous"]["port"])) if c["previous"].get("existed") else "(created)"
        restarted = (", restarted " + ", ".join(c["restarted"])) if c.get("restarted") else ""
        out.append("cutover        Secret %s: %s -> %s:%s%s" % (c["secret"], before, c["current"]["host"], c["current"]["port"], restarted))
    cleanup_seconds = r["durations"]["cleanup_seconds"]
    out.append("cleanup        %s: %s%s" % (r["cleanup"].get("cluster_id") or r["cleanup"]["instance_id"], r["cleanup"]["reason"],
                                            (" in %s s" % cleanup_seconds) if r["cleanup"]["deleted"] and cleanup_seconds is not None else ""))
    if r["error"]:
        out.append("error          %s" % r["error"])
    out.extend("next           %s" % step for step in r["next_steps"])
    return out


def cleanup_report(plan, environment, check_mode, finished_at, delete):
    """The report of playbooks/restore_cleanup.yml; delete = db_restore_delete_result."""
    changed = to_bool(delete.get("changed"))
    return {"environment": environment, "action": CLEANUP, "check_mode": bool(check_mode),
            "outcome": ("would_delete" if check_mode else "deleted") if changed else "already_gone",
            "started_at": plan["started_at"], "finished_at": finished_at,
            "cleanup": {"instance_id": plan["instance_id"], "region": plan["region"], "deleted": changed and not check_mode,
                        "restored_from": delete.get("restored_from"), "duration_seconds": delete.get("duration_seconds")}}


def cleanup_problems(plan, record):
    """Refuse to delete the instance the application is cut over to; record = db_cutover_state.record or None."""
    if record and record.get("instance") == plan["instance_id"]:
        cut = plan["cutover_settings"]
        return ["Cleanup refused, nothing changed: Secret %s/%s points the application at %s (cut over %s). Roll the cutover back "
                "first: -e restore_cutover_rollback=true." % (cut.get("namespace"), cut.get("secret_name"), plan["instance_id"],
                                                              record.get("at") or "")]
    return []


def rollback_report(plan, environment, check_mode, finished_at, cutover):
    """The report of playbooks/restore_cutover_rollback.yml; cutover = db_cutover_result."""
    done = to_bool(cutover.get("rolled_back"))
    steps = []
    if done:
        previous = cutover.get("previous") or {}
        first = ("Secret %s holds %s:%s again." % (cutover.get("secret"), previous.get("host"), previous.get("port")) if previous.get("existed")
                 else "Secret %s (created by the cutover) is deleted." % cutover.get("secret"))
        steps.append("%s The restored instance %s still runs, with any writes made while it was cut over: keep what you need, then delete it"
                     " with %s." % (first, cutover.get("instance"), _command(plan, "-e restore_cleanup_instance=%s" % cutover.get("instance"))))
    return {"environment": environment, "action": CUTOVER_ROLLBACK, "check_mode": bool(check_mode),
            "outcome": ("would_roll_back" if check_mode else "rolled_back") if done else "nothing_to_roll_back",
            "started_at": plan["started_at"], "finished_at": finished_at, "cutover": cutover, "next_steps": steps}


# -- the roles' refusals ------------------------------------------------------------------------------------------------
def snapshot_problems(described, instance_id, region, snapshot_id, copy_id="", copy_region="", copy_kms_key_id="", cluster_id=""):
    """db_snapshot: why a backup cannot complete; described = amazon.aws.rds_instance_info's entry (or, with cluster_id,
    amazon.aws.rds_cluster_info's: an Aurora cluster snapshot) or None."""
    source = described
    problems = []
    for name in [snapshot_id] + ([copy_id] if copy_id else []):
        if not valid_id(_SNAPSHOT_ID, name):
            problems.append("Snapshot id %s is not valid: 1-255 letters, digits and hyphens, starting with a letter, without two hyphens in a "
                            "row or a trailing hyphen." % name)
    if cluster_id:
        what, name, status, setting = "Cluster", cluster_id, "status", "cluster_id"
        if not source:
            problems.append("No Aurora DB cluster %s in %s: check cloudops_backup.cluster_id/region (default cloudops_rds.primary)."
                            % (cluster_id, region))
    else:
        what, name, status, setting = "Instance", instance_id, "db_instance_status", "instance_id"
        if not source:
            problems.append("No DB instance %s in %s: check cloudops_backup.%s/region (default cloudops_rds.primary)." % (instance_id, region, setting))
    if source and source.get(status) not in ("available", "backing-up"):
        problems.append("%s %s is %s: RDS snapshots only an available %s; wait until it is available and run again."
                        % (what, name, source.get(status), what.lower()))
    if copy_region == region:
        problems.append("The copy region is the %s region %s: a DR copy must go to another region (cloudops_backup.copy.region, "
                        "default cloudops_regions.dr)." % (what.lower(), region))
    elif copy_region and (source or {}).get("storage_encrypted") and not copy_kms_key_id:
        problems.append("%s %s is encrypted: its copy to %s needs a KMS key of that region (cloudops_backup.copy.kms_key_id, e.g. "
                        "alias/aws/rds)." % (what, name, copy_region))
    return problems


def retention_targets(targets):
    """db_retention: the targets with keep_days/keep_last present (None when left out)."""
    return [{"name": t.get("name"), "region": t.get("region"), "keep_days": t.get("keep_days"), "keep_last": t.get("keep_last")}
            for t in targets or []]


def retention_problems(tag_filters, targets):
    """db_retention: why a policy could delete the wrong snapshots."""
    problems = []
    if not tag_filters:
        problems.append("No tag filter: retention prunes only snapshots carrying the runbook's tags (cloudops_backup.retention.tag_filters, "
                        "e.g. {managed-by: cloudops.runbooks}).")
    for t in retention_targets(targets):
        where = "%s (%s)" % (t["name"], t["region"])
        if t["keep_days"] is None and t["keep_last"] is None:
            problems.append("%s: give keep_days, keep_last or both." % where)
        if t["keep_last"] is not None and int(t["keep_last"]) < 1:
            problems.append("%s: keep_last must be 1 or more (the newest backup always stays)." % where)
        if t["keep_days"] is not None and int(t["keep_days"]) < 1:
            problems.append("%s: keep_days must be 1 or more." % where)
    return problems


def retention_results(runs):
    """db_retention_result from the registered loop of rds_snapshot_retention (`.results`)."""
    return [{"name": r["item"]["name"], "region": r["item"]["region"], "keep_days": r["item"]["keep_days"],
             "keep_last": r["item"]["keep_last"], "deleted": r.get("deleted"), "kept": r.get("kept"), "changed": r.get("changed")}
            for r in runs or []]


def restore_target_problems(instance_id, restore_from, cluster_id=""):
    """db_restore: an invalid target id or restore point (cluster_id: the Aurora cluster to restore into)."""
    problems = []
    for what, name in [("Instance", instance_id)] + ([("Cluster", cluster_id)] if cluster_id else []):
        if not valid_id(_INSTANCE_ID, name):
            problems.append("%s id %s is not valid: 1-63 letters, digits and hyphens, starting with a letter, without two hyphens in a row or "
                            "a trailing hyphen (shorten cloudops_backup.restore.instance_prefix)." % (what, name))
    restore_from = restore_from or {}
    if bool(restore_from.get("source_cluster")) != bool(cluster_id):
        problems.append("An Aurora restore point (source_cluster) restores into a new cluster (db_restore_cluster_id), an instance's into "
                        "an instance: the restore point and the target do not match.")
    if restore_from.get("kind") == "snapshot" and not restore_from.get("snapshot_id"):
        problems.append("A snapshot restore point needs snapshot_id.")
    elif restore_from.get("kind") == "time" and not (restore_from.get("time") and restore_from.get("source_instance")):
        problems.append("A point-in-time restore point needs time and source_instance.")
    return problems


def restore_point_problems(mode, restore_time):
    """db_restore point: a restore point that cannot exist, known without a call (rds_restore_point refuses a missing
    source, one without automated backups and a time outside the restorable window)."""
    if mode == "time" and not restore_time:
        return ["A point-in-time restore needs the time: -e restore_time=2026-01-31T12:00:00Z (ISO 8601, UTC without an offset)."]
    return []


def verify_problems(checks, reference_time, connection):
    """db_verify: checks that cannot be evaluated, credentials that cannot be read."""
    problems = []
    if not checks:
        problems.append("No checks: declare what proves the data in cloudops_backup.restore.checks.")
    for check in checks or []:
        newest = check.get("newest")
        if isinstance(newest, dict) and "max_age_seconds" in newest:
            if not reference_time:
                problems.append("Check %s: newest.max_age_seconds needs a reference time (the restore point)." % check.get("name", "?"))
            elif "not_before" in newest or "min_value" in newest:
                problems.append("Check %s: give one of newest.max_age_seconds, not_before or min_value." % check.get("name", "?"))
    creds = (connection or {}).get("credentials") or {}
    if creds.get("source") == "secretsmanager" and not creds.get("secret_id"):
        problems.append("cloudops_db.credentials.source is secretsmanager: give secret_id.")
    elif creds.get("source") == "inventory" and not (creds.get("username") and creds.get("password")):
        problems.append("cloudops_db.credentials.source is inventory: give username and password (from a vault).")
    return problems


def verify_failure(result, instance_id):
    """db_verify: the message of a failed verification, `N of M checks failed on <instance>: <name> (<message>); ...`."""
    checks = result.get("checks") or []
    failed = "; ".join("%s (%s)" % (c.get("name"), c.get("message")) for c in checks if not c.get("passed"))
    return "%s of %d checks failed on %s: %s" % (result.get("failed_count"), len(checks), instance_id, failed)


def resolve_checks(checks, reference_time):
    """db_verify: newest.max_age_seconds becomes newest.not_before, counted back from the reference time (UTC)."""
    out = []
    for check in checks or []:
        newest = check.get("newest")
        if isinstance(newest, dict) and "max_age_seconds" in newest:
            reference = datetime.datetime.strptime(str(reference_time)[:19], "%Y-%m-%dT%H:%M:%S")
            mark = reference - datetime.timedelta(seconds=float(newest["max_age_seconds"]))
            newest = dict((k, v) for k, v in newest.items() if k != "max_age_seconds")
            newest["not_before"] = mark.strftime("%Y-%m-%dT%H:%M:%SZ")
            check = dict(check, newest=newest)
        out.append(check)
    return out
