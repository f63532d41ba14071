# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover and drill reports and their verdicts, apart from any call: what the playbooks used to compute in
Jinja (the drill outcome, RTO and RPO against their budgets, next steps). Plain functions; the filters
cloudops.runbooks.drill_report and failover_report call them.

A report must survive a failure to build part of it (after the last change nothing may lose the evidence): each
builder catches its own errors and returns the fallback report, with `report_error` saying what failed, the steps as
they ran and the raw state.
"""

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import failback
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

RTO_DRILL = ("from the cut (after the last marker, before the promotion) to the smoke test passing on DR and the DNS change "
             "INSYNC, whichever is later")
RPO_DRILL = "the markers written to the primary up to the cut that the promoted database lacks (rows), and the span of writes they cover (seconds)"
RTO_FAILOVER = "from the cut (the first change) to the smoke test passing on DR and the DNS change INSYNC, whichever is later"
RPO_FAILOVER = "estimated as the replica lag (CloudWatch ReplicaLag) at promotion; the drill measures it by data"
RPO_FAILOVER_RESTORE = ("estimated as the age of the restore point in DR when it was restored (restore-based DR: its data's time "
                        "to the restore); the drill measures it by data")

# Drill outcomes; the first four fail the run (over_budget too, unless drill_fail_over_budget=false).
FAILBACK_FAILED, ESTATE_CHANGED, FAILED, REPORT_FAILED = "failback_failed", "estate_changed", "failed", "report_failed"
OVER_BUDGET, PASSED, FAILED_BACK = "over_budget", "passed", "failed_back"
WOULD_DRILL, WOULD_FAIL_BACK = "would_drill", "would_fail_back"
DRILL_FAILING = (FAILBACK_FAILED, ESTATE_CHANGED, FAILED, REPORT_FAILED)


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def span_seconds(start, end):
    """Seconds from start to end (ISO 8601), rounded to 0.1 s; None when either is missing."""
    if not start or not end:
        return None
    return round((backup.parse_time(end) - backup.parse_time(start)).total_seconds(), 1)


def serving_at(smoke_passed_at, dns_insync_at=None):
    """When DR serves: the smoke test passed and the DNS change is INSYNC, whichever came later (the DNS wait runs
    after the smoke test, overlapping it; a record from before has no INSYNC time). None before the smoke test passed."""
    if not smoke_passed_at:
        return None
    if not dns_insync_at:
        return smoke_passed_at
    return max(smoke_passed_at, dns_insync_at, key=backup.parse_time)


def within_budget(seconds, budget_seconds):
    """The one budget check of RTO and RPO figures: True/False, None when nothing was measured."""
    if seconds is None or budget_seconds is None:
        return None
    return float(seconds) <= float(budget_seconds)


def drill_outcome(check_mode, resumed, error, failback_error, differences, rto_seconds, rto_ok, rpo_ok):
    """The drill's verdict, in order of what matters most: a failback that did not finish, an estate left changed, a
    failed failover part, a resumed run that only failed back, a budget missed, a pass."""
    if check_mode and not error:
        return WOULD_FAIL_BACK if resumed else WOULD_DRILL
    if failback_error:
        return FAILBACK_FAILED
    if differences:
        return ESTATE_CHANGED
    if error:
        return FAILED
    if resumed and rto_seconds is None:
        return FAILED_BACK
    if rto_ok is False or rpo_ok is False:
        return OVER_BUDGET
    return PASSED


def drill_next_steps(outcome, check_mode, run_id):
    if check_mode:
        return ["Check mode: nothing changed; the failback would put back what the failover part would change."]
    return {FAILBACK_FAILED: ["The failback did not finish: fix the cause and run the same command again; it resumes the failback of %s." % run_id],
            ESTATE_CHANGED: ["The estate differs from before the drill (see status.differences): put those back by hand."],
            FAILED_BACK: ["The interrupted drill %s is failed back; run the drill again for a measurement." % run_id],
            FAILED: ["The failover part failed and was failed back: fix the cause and run the drill again."]}.get(outcome, [])


def drill_fail_message(report, fail_over_budget=True):
    """The message that fails the run, or '' when the drill passed (or only missed a budget it may miss)."""
    outcome = report["outcome"]
    if outcome not in DRILL_FAILING and not (outcome == OVER_BUDGET and fail_over_budget):
        return ""
    errors = " / ".join(e for e in (report.get("error"), report.get("failback_error"), report.get("report_error")) if e)
    text = "Failover drill %s: %s" % (outcome, errors)
    if outcome == OVER_BUDGET:
        text += " RTO %s s (budget %s s), RPO %s s (budget %s s)." % (
            report["rto"]["seconds"], report["rto"]["budget_seconds"], report["rpo"]["seconds"], report["rpo"]["budget_seconds"])
    if outcome == ESTATE_CHANGED:
        differences = report["status"]["differences"]
        text += " %d status difference(s): %s" % (len(differences), ", ".join(d["path"] for d in differences))
    return " ".join([text.strip()] + list(report.get("next_steps") or []))


def drill_report(facts):
    """The drill report from the run's facts: environment, run_id, check_mode, resumed, error, failback_error,
    run_started_at, state (the progress record: started_at, cut_at, smoke_passed_at, rpo_measured, promotion,
    status_before, readiness, dns_before, scale_restore), readiness (this run's audit), budgets {rto_seconds,
    rpo_seconds}, steps, status_ignore, status_diff (None when not compared), status_after, replica, markers_purged."""
    try:
        return _drill_report(facts)
    except Exception as exc:  # pylint: disable=broad-except
        return drill_fallback(facts, "%s: %s" % (type(exc).__name__, exc))


def _drill_report(f):
    state = f.get("state") or {}
    check_mode, resumed = bool(f.get("check_mode")), bool(f.get("resumed"))
    error, failback_error = (f.get("error") or "").strip() or None, (f.get("failback_error") or "").strip() or None
    budgets = f["budgets"]
    measure = state if state.get("cut_at") else {}
    rto = None if check_mode else span_seconds(measure.get("cut_at"), serving_at(measure.get("smoke_passed_at"), measure.get("dns_insync_at")))
    rpo = measure.get("rpo_measured") or {}
    rto_ok = within_budget(rto, budgets["rto_seconds"])
    stores = [dict(row, within_budget=within_budget(row.get("seconds"), budgets["rpo_seconds"])) for row in rpo.get("stores") or []]
    # Each state store is judged against the same budget: the drill's RPO holds when every one of them is within it.
    rpo_ok = within_budget(rpo.get("seconds"), budgets["rpo_seconds"])
    if rpo_ok is not None and stores:
        rpo_ok = rpo_ok and all(row["within_budget"] is not False for row in stores)
    compared = f.get("status_diff") is not None
    differences = list(f.get("status_diff") or [])
    outcome = drill_outcome(check_mode, resumed, error, failback_error, differences, rto, rto_ok, rpo_ok)
    report = {
        "kind": "drill", "environment": f["environment"], "run_id": f["run_id"], "check_mode": check_mode, "resumed": resumed,
        "outcome": outcome, "error": error, "failback_error": failback_error,
        "started_at": state.get("started_at") or f["run_started_at"], "run_started_at": f["run_started_at"], "finished_at": now_iso(),
        "cut_at": measure.get("cut_at"), "smoke_passed_at": measure.get("smoke_passed_at"),
        "serving_at": serving_at(measure.get("smoke_passed_at"), measure.get("dns_insync_at")),
        "rto": {"definition": RTO_DRILL, "seconds": rto, "budget_seconds": budgets["rto_seconds"], "within_budget": rto_ok},
        "rpo": {"definition": RPO_DRILL, "rows": rpo.get("rows"), "seconds": rpo.get("seconds"), "basis": rpo.get("basis"),
                "markers_written": rpo.get("written"), "markers_present": rpo.get("present"), "missing_seqs": rpo.get("missing_seqs") or [],
                "budget_seconds": budgets["rpo_seconds"], "within_budget": rpo_ok,
                "lag_at_promotion_seconds": (measure.get("promotion") or {}).get("lag_at_promotion_seconds"),
                "restore_point": measure.get("restore"), "stores": stores},
        "readiness": state.get("readiness") or f.get("readiness"),
        "steps": report_steps(f.get("steps")),
        "status": {"compared": compared, "equal": (not differences) if compared else None, "ignored": list(f.get("status_ignore") or []),
                   "differences": differences},
        "status_before": state.get("status_before"),
        "status_after": f.get("status_after") if compared else None,
        "failback": {"dns_records": state.get("dns_before"), "scale": state.get("scale_restore"), "replica": f.get("replica"),
                     "markers_purged": f.get("markers_purged") if f.get("markers_purged") is not None else state.get("markers_purged")},
        "next_steps": drill_next_steps(outcome, check_mode, f["run_id"]),
    }
    if aurora.switch_summary(f.get("switch_back")):  # an Aurora global database: the switchover back to the primary cluster
        report["failback"]["global_switch_back"] = aurora.switch_summary(f.get("switch_back"))
    return report


def drill_fallback(f, report_error):
    """The report when part of it could not be built: no verdict without its arithmetic, the steps and the record."""
    failback_error, error = (f.get("failback_error") or "").strip() or None, (f.get("error") or "").strip() or None
    next_steps = "Part of the report could not be built (%s): the steps as they ran are in `steps` and the progress record in `state`." % report_error
    if failback_error:
        next_steps += " The failback did not finish: fix the cause and run the same command again."
    return {"kind": "drill", "environment": f.get("environment"), "run_id": f.get("run_id"), "check_mode": bool(f.get("check_mode")),
            "resumed": bool(f.get("resumed")), "outcome": FAILBACK_FAILED if failback_error else (FAILED if error else REPORT_FAILED),
            "error": error, "failback_error": failback_error, "report_error": report_error,
            "run_started_at": f.get("run_started_at"), "started_at": f.get("run_started_at"), "finished_at": now_iso(),
            "rto": {"seconds": None, "budget_seconds": None, "within_budget": None},
            "rpo": {"rows": None, "seconds": None, "budget_seconds": None, "within_budget": None, "missing_seqs": []},
            "readiness": {"findings": []}, "steps": list(f.get("steps") or []), "state": f.get("state"),
            "status": {"compared": False, "equal": None, "ignored": [], "differences": []}, "next_steps": [next_steps]}


# ------------------------------------------------------------------------------------------------------- failover


def failover_report(facts):
    """The failover report from the run's facts: environment, run_id, check_mode, resumed, error, started_at,
    first_started_at, cut_at, smoke_passed_at, outage_started_at, budgets, promotion (this run's or the record's),
    readiness, steps, changes, promoted_instance, dns_before, dr_region, replica_instance_id, results (each step's
    module result, kept by the fallback)."""
    try:
        return _failover_report(facts)
    except Exception as exc:  # pylint: disable=broad-except
        return failover_fallback(facts, "%s: %s" % (type(exc).__name__, exc))


def _failover_report(f):
    check_mode, error = bool(f.get("check_mode")), (f.get("error") or "").strip() or None
    budgets, promotion = f["budgets"], f.get("promotion") or None
    smoke = f.get("smoke_passed_at")
    served = serving_at(smoke, f.get("dns_insync_at"))
    rto = None if check_mode else span_seconds(f.get("cut_at"), served)
    since_outage = None
    if f.get("outage_started_at") and smoke and not check_mode:
        since_outage = span_seconds(str(f["outage_started_at"])[:19] + "Z", str(served)[:19] + "Z")
    lag = promotion.get("lag_at_promotion_seconds") if promotion else None
    restored = f.get("restore") or None  # restore-based DR: the restore point instead of a promotion
    if restored:
        lag = restored.get("age_seconds")
    if error:
        next_steps = ["Fix the cause, then run the same command again: done steps are skipped and the RTO clock keeps this run's cut."]
    elif not check_mode and f.get("aurora"):
        next_steps = [aurora.failover_next_step(f["dr_region"], f["aurora"])]
    elif not check_mode and restored:
        next_steps = ["Production runs on %s, on %s restored from %s. The failback runbook does not fail back a restore-based failover: "
                      "run it to read the manual way; the DNS records before the failover are in the report (dns_before)."
                      % (f["dr_region"], f["replica_instance_id"], restored.get("snapshot_id") or restored.get("kind"))]
    elif not check_mode:
        next_steps = ["Production runs on %s. Before failing back, rebuild a read replica of %s in the old primary region; the DNS records "
                      "before the failover are in the report (dns_before)." % (f["dr_region"], f["replica_instance_id"])]
    else:
        next_steps = []
    return {
        "kind": "failover", "environment": f["environment"], "run_id": f["run_id"], "check_mode": check_mode, "resumed": bool(f.get("resumed")),
        "outcome": "failed" if error else ("would_fail_over" if check_mode else "failed_over"), "error": error,
        "started_at": f["started_at"], "first_started_at": f["first_started_at"], "finished_at": now_iso(),
        "cut_at": f.get("cut_at"), "smoke_passed_at": smoke, "serving_at": served,
        "rto": {"definition": RTO_FAILOVER, "seconds": rto, "budget_seconds": budgets["rto_seconds"],
                "within_budget": within_budget(rto, budgets["rto_seconds"]), "since_outage_seconds": since_outage},
        "rpo": {"definition": aurora.RPO_FAILOVER if f.get("aurora") else (RPO_FAILOVER_RESTORE if restored else RPO_FAILOVER),
                "estimated_seconds": lag, "budget_seconds": budgets["rpo_seconds"],
                "within_budget": within_budget(lag, budgets["rpo_seconds"]), "lag_gate": promotion.get("lag_gate") if promotion else None,
                "restore_point": restored},
        "readiness": f.get("readiness"), "steps": report_steps(f.get("steps")), "changes": list(f.get("changes") or []),
        "promoted_instance": f.get("promoted_instance"), "dns_before": f.get("dns_before"), "next_steps": next_steps,
    }


def failover_fallback(f, report_error):
    error = (f.get("error") or "").strip() or None
    return {"kind": "failover", "environment": f.get("environment"), "run_id": f.get("run_id"), "check_mode": bool(f.get("check_mode")),
            "resumed": bool(f.get("resumed")), "outcome": "failed" if error else ("would_fail_over" if f.get("check_mode") else "failed_over"),
            "error": error, "report_error": report_error, "started_at": f.get("started_at"), "first_started_at": f.get("first_started_at"),
            "finished_at": now_iso(), "cut_at": f.get("cut_at"), "smoke_passed_at": f.get("smoke_passed_at"),
            "rto": {"seconds": None, "budget_seconds": None, "within_budget": None, "since_outage_seconds": None},
            "rpo": {"estimated_seconds": None, "budget_seconds": None, "within_budget": None},
            "readiness": {"findings": []}, "steps": [], "changes": [], "results": f.get("results") or {},
            "dns_before": f.get("dns_before"),
            "next_steps": ["Part of the report could not be built (%s): the results of each step are in `results`. %s"
                           % (report_error, "Fix the cause, then run the same command again." if error else "")]}


def failover_fail_message(report):
    if not report.get("error"):
        return ""
    return "Failover %s: %s %s" % (report["outcome"], report["error"], " ".join(report.get("next_steps") or []))


# ------------------------------------------------------------------------------------------------ progress records


def _finished_at(result):
    step = (result or {}).get("cloudops_step") if isinstance(result, dict) else None
    return (step or {}).get("finished_at")


def restore_measure(result):
    """Restore-based DR: the restore in DR (rds_restore's result with dr_restore_point) as the record keeps it - the
    instance, the point's kind, time, age at the restore and whether the gate was overridden; None when no restore ran
    or the instance was found restored already (a resumed run keeps its record's)."""
    if not isinstance(result, dict) or not isinstance(result.get("restore_point"), dict):
        return None
    point = result["restore_point"]
    if not point.get("kind"):
        return None
    return {"instance_id": (result.get("instance") or {}).get("id"), "kind": point.get("kind"), "time": point.get("time"),
            "age_seconds": point.get("age_seconds"), "snapshot_id": point.get("snapshot_id"),
            "overridden": bool((point.get("verdict") or {}).get("overridden")), "available_at": _finished_at(result)}


def promotion(result):
    """The promotion as the record keeps it (the RPO estimate of a resumed failover), None when nothing was promoted."""
    if not isinstance(result, dict) or not result.get("promoted"):
        return None
    return {"instance_id": (result.get("instance") or {}).get("id"), "lag_at_promotion_seconds": result.get("lag_at_promotion_seconds"),
            "lag_verdict": result.get("lag_verdict"), "lag_gate": result.get("lag_gate"), "available_at": _finished_at(result)}


def store_rpos(write_result, read_result):
    """The cache's and the buckets' RPO by their markers, one row per store: a bucket's as its DR copy held them at
    the cut (rds_drill_markers' write), the cache's once its DR group was promoted (the read; at the cut when the
    read did not measure it). Each row {kind, resource, moment, written, present, missing_seqs, rows, seconds, basis}."""
    rows = {}
    for result in (write_result, read_result):
        for item in (result.get("stores") or []) if isinstance(result, dict) else []:
            rows[(item.get("kind"), item.get("resource"))] = {
                "kind": item.get("kind"), "resource": item.get("resource"), "moment": item.get("moment"),
                "written": item.get("written_count"), "present": item.get("present_count"), "missing_seqs": item.get("missing_seqs") or [],
                "rows": item.get("rpo_rows"), "seconds": item.get("rpo_seconds"), "basis": item.get("rpo_basis")}
    return [rows[key] for key in sorted(rows, key=lambda key: (str(key[0]), str(key[1])))]


def rpo_measured(result, written, write_result=None):
    """The RPO measured by the markers (rds_drill_markers' read), as the record keeps it; None before it was read.
    `stores` holds the cache's and the buckets' (store_rpos) when the estate has them."""
    if not isinstance(result, dict) or "rpo_rows" not in result:
        return None
    return {"stores": store_rpos(write_result, result),
            "rows": result.get("rpo_rows"), "seconds": result.get("rpo_seconds"), "basis": result.get("rpo_basis"),
            "written": result.get("written_count"), "present": result.get("present_count"), "missing_seqs": result.get("missing_seqs") or [],
            "newest_present_at": result.get("newest_present_at"), "last_written_at": (written or [{}])[-1].get("written_at") if written else None,
            "in_recovery": result.get("in_recovery")}


def progress_record(facts, phase):
    """The progress record of a drill or failover run at `phase`."""
    return drill_record(facts, phase) if facts.get("operation") == "drill" else failover_record(facts, phase)


def drill_record(facts, phase):
    """The drill's progress record after `phase` (failed_over: the measurements; failed_back: completed, with the
    comparison), from the record written at its start (facts['state'])."""
    state = dict(facts.get("state") or {})
    state["steps"] = list(facts.get("steps") or [])
    if phase == "failed_over":
        markers = (facts.get("markers") or {}).get("markers")
        state.update(phase="failed_over", cut_at=facts.get("cut_at"), smoke_passed_at=facts.get("smoke_passed_at"),
                     dns_insync_at=facts.get("dns_insync_at"),
                     promotion=promotion(facts.get("promote_result")), markers_written=markers,
                     restore=restore_measure(facts.get("restore_result")),
                     rpo_measured=rpo_measured(facts.get("verify_result"), markers, facts.get("markers")),
                     # the verification purged them from the primary (None: not yet; the failback then purges them)
                     markers_purged=(facts.get("verify_result") or {}).get("deleted_count") if isinstance(facts.get("verify_result"), dict) else None)
    elif phase == "failed_back":
        state.update(outcome="completed", phase="failed_back", finished_at=now_iso(), status_diff=facts.get("status_diff"))
    return state


def failover_record(facts, phase):
    """The failover's progress record at `phase` (started, promoted, done, failed)."""
    record = {"run_id": facts["run_id"], "environment": facts["environment"], "started_at": facts["first_started_at"],
              "last_run_at": facts["started_at"], "cut_at": facts["cut_at"], "primary": facts["primary"], "replica": facts["replica"],
              "dns_before": facts.get("dns_before"), "promotion": facts.get("promotion"), "outcome": "in_progress", "phase": phase}
    if facts.get("restore"):
        record["restore"] = facts["restore"]  # restore-based DR: the restore point (the RPO estimate of a resumed run)
    restore = scale_restore(facts.get("nodegroup_result"), facts.get("workloads_result"))
    if restore:
        record["scale_restore"] = restore  # the DR sizes before the failover: what the failback puts DR back to
    if phase == "done":
        record.update(outcome="failed_over", smoke_passed_at=facts.get("smoke_passed_at"), dns_insync_at=facts.get("dns_insync_at"),
                      rto_seconds=span_seconds(facts.get("cut_at"), serving_at(facts.get("smoke_passed_at"), facts.get("dns_insync_at"))))
    elif phase == "failed":
        record.update(outcome="failed", phase=facts.get("failed_step") or "failed", error=(facts.get("error") or "").strip())
    return record


def scale_restore(nodegroup_result, workloads_result):
    """The DR capacity before the failover, from what its scale-up changed ({nodegroup, workloads}); None when it
    changed nothing this run (a resumed run: the sizes before are then the production ones, not warm standby)."""
    nodegroup_result = nodegroup_result if isinstance(nodegroup_result, dict) else {}
    workloads_result = workloads_result if isinstance(workloads_result, dict) else {}
    nodegroup = nodegroup_result.get("before") if nodegroup_result.get("changed") else None
    changed = [w for w in workloads_result.get("workloads") or [] if isinstance(w, dict) and w.get("changed")]
    workloads = []
    for w in changed:
        item = dict((k, w.get(k)) for k in ("kind", "name", "namespace"))
        item["replicas"] = w.get("before")
        if isinstance(w.get("autoscaler"), dict) and w["autoscaler"].get("before"):
            item["autoscaler"] = w["autoscaler"]["before"]  # the HPA's bounds before the scale-up
        workloads.append(item)
    if not nodegroup and not workloads:
        return None
    return {"nodegroup": nodegroup or None, "workloads": workloads}


def report_steps(steps):
    """Steps as the reports show them: the recorded step (runbook_step's cloudops_step) with `result` (its outcome) too."""
    out = []
    for step in steps or []:
        if isinstance(step, dict):
            shown = dict(step)
            shown.setdefault("result", step.get("outcome"))
            out.append(shown)
    return out


def primary_of(records):
    """The set identifier of the PRIMARY record of a failover pair (a list of records), None when there is none."""
    for record in records or []:
        if isinstance(record, dict) and record.get("failover") == "PRIMARY":
            return record.get("set_identifier")
    return None


def _sizes(sizes):
    sizes = sizes or {}
    return "/".join(str(sizes.get(k)) for k in ("min_size", "desired_size", "max_size"))


def failover_changes(f):
    """What a failover changed (`would: ` ahead of each in check mode): promotion, node group, workloads, Secret, DNS."""
    would = "would: " if f.get("check_mode") else ""
    out = []
    promote = f.get("promote_result") or {}
    restored = f.get("restore_result") or {}
    if restored.get("changed") and isinstance(restored.get("restore_point"), dict):
        point = restored["restore_point"]
        out.append("%sRDS %s restored in %s from %s (%s)" % (would, (restored.get("instance") or {}).get("id"), f.get("dr_region"),
                                                             point.get("snapshot_id") or "replicated automated backups", point.get("time")))
    if promote.get("changed") and promote.get("writer_after"):  # an Aurora global database (rds_global_cluster_failover)
        out.append("%s%s" % (would, aurora.switch_change(promote)))
    elif promote.get("changed"):
        out.append("%sRDS %s promoted: no longer a read replica of %s, writable" % (would, (promote.get("instance") or {}).get("id"), promote.get("source")))
    cache = f.get("cache_result") or {}
    if cache.get("changed"):
        before, after = cache.get("previous_primary") or {}, cache.get("primary") or {}
        out.append("%sElastiCache Global Datastore %s: primary %s (%s) -> %s (%s)" % (
            would, cache.get("global_datastore_id"), before.get("replication_group_id"), before.get("region"),
            after.get("replication_group_id"), after.get("region")))
    nodegroup = f.get("nodegroup_result") or {}
    if nodegroup.get("changed"):
        out.append("%sEKS node group %s min/desired/max %s -> %s"
                   % (would, f.get("nodegroup_name"), _sizes(nodegroup.get("before")), _sizes(nodegroup.get("after"))))
    for w in (f.get("workloads_result") or {}).get("workloads") or []:
        if w.get("changed"):
            out.append("%s%s %s/%s replicas %s -> %s" % (would, w.get("kind"), w.get("namespace"), w.get("name"), w.get("before"), w.get("replicas")))
    cutover = (f.get("app_db_result") or {}).get("cutover") or {}
    if (f.get("app_db_result") or {}).get("changed") and cutover:
        previous, current = cutover.get("previous") or {}, cutover.get("current") or {}
        was = "%s:%s" % (previous.get("host"), previous.get("port")) if previous.get("existed") else "(created)"
        restarted = (", restarted " + ", ".join(cutover["restarted"])) if cutover.get("restarted") else ""
        settings = "".join(", %s=%s" % (key, value) for key, value in sorted((current.get("settings") or {}).items()))
        out.append("%sSecret %s %s -> %s:%s%s%s" % (would, cutover.get("secret"), was, current.get("host"), current.get("port"), settings, restarted))
    dns = f.get("dns_result") or {}
    if dns.get("changed"):
        out.append("%sRoute 53 %s: PRIMARY %s -> %s" % (would, f.get("record_name"), primary_of(dns.get("before")), primary_of(dns.get("after"))))
    return out


def replica_rebuild(result, settled=None):
    """What the failback did to the DR instance (rds_read_replica's result), as the drill report shows it. settled:
    estate_status's `replica_settled` when the creation was waited for there (rds_read_replica called without a wait):
    the creation then lasted from the call's start to when the replica was seen replicating."""
    if not isinstance(result, dict) or "action" not in result:
        return None
    created = bool(result.get("created"))
    create_seconds = result.get("duration_seconds") if created else None
    instance = result.get("instance") if created else None
    if created and create_seconds is None and isinstance(settled, dict) and settled.get("replicating_at") and result.get("started_at"):
        create_seconds = round(steps.epoch(settled["replicating_at"]) - steps.epoch(result["started_at"]), 3)
        instance = dict(instance or {}, status="available")
    return {"action": result.get("action"), "found": result.get("found"), "deleted": result.get("deleted"), "created": created,
            "instance": instance, "delete_seconds": result.get("delete_seconds"), "create_seconds": create_seconds,
            "changed": result.get("changed")}


# ------------------------------------------------------------------------------------------------------- failback

RTO_FAILBACK = "from the writes stopped on DR to the smoke test passing on the primary region and the DNS change INSYNC, whichever is later"
RPO_FAILBACK = ("a marker written on DR after the writes stopped, read back on the primary region's replica before its promotion: "
                "everything committed before it was there (0 rows lost)")
FAILED_BACK_OUTCOME, WOULD_FAIL_BACK_OUTCOME = "failed_back", "would_fail_back"


def _result(value):
    return value if isinstance(value, dict) and not value.get("skipped") else {}


def failback_measures(facts):
    """What the failback measured this run or an earlier run of it recorded: writes_stopped_at, smoke_passed_at,
    dns_insync_at, rpo ({rows, marker_seq, wait_seconds, caught_up}), promoted_at."""
    state = dict((facts.get("state") or {}))
    stop = _result(facts.get("writes_stop"))
    switch = _result(facts.get("switchover"))
    serving = _result(facts.get("serving"))
    out = {"writes_stopped_at": state.get("writes_stopped_at") or ((stop.get("cloudops_step") or {}).get("started_at")),
           "smoke_passed_at": serving.get("smoke_passed_at") or state.get("smoke_passed_at"),
           "dns_insync_at": serving.get("dns_insync_at") or state.get("dns_insync_at"),
           "promoted_at": switch.get("promoted_at") or switch.get("finished_at") or state.get("promoted_at"),
           "rpo": state.get("rpo")}
    if "rpo_rows" in switch:
        out["rpo"] = {"rows": switch.get("rpo_rows"), "marker_seq": switch.get("marker_seq"), "marker_written_at": switch.get("marker_written_at"),
                      "wait_seconds": switch.get("wait_seconds"), "caught_up": switch.get("caught_up"), "purged": switch.get("purged")}
    return out


def failback_record(facts, phase):
    """The failover record to write at `phase` of the failback (started, switchover, served, done, failed): the failover
    record with its `failback` key (module_utils/failback.state); at done its outcome becomes failed_back."""
    record = facts.get("record") or {}
    measures = failback_measures(facts)
    values = {"old_primary": (facts.get("plan") or {}).get("old_primary"),
              "old_primary_snapshot": (facts.get("plan") or {}).get("old_primary_snapshot"),
              "steps": list(facts.get("steps") or []), "last_run_at": facts.get("run_started_at")}
    outcome = failback.IN_PROGRESS
    if phase == "switchover":
        values["writes_stopped_at"] = (record.get("failback") or {}).get("writes_stopped_at") or now_iso()
    elif phase in ("served", "done"):
        values.update(dict((k, v) for k, v in measures.items() if k != "writes_stopped_at"))
    # What the writes stop scaled down, at its sizes before: DR's warm standby puts an idle colour back from it.
    stopped = (((facts.get("writes_stop") or {}).get("restore")) or {}).get("workloads")
    if stopped and phase != "switchover":
        values["stopped_workloads"] = stopped
    if phase == "done":
        outcome = failback.COMPLETED
        values["finished_at"] = now_iso()
    elif phase == "failed":
        outcome = failback.FAILED
        values["error"] = (facts.get("error") or "").strip()
        phase = ((record.get("failback") or {}).get("phase")) or "started"
    return failback.failover_record(record, failback.state(record, facts["run_id"], facts.get("run_started_at"), phase, outcome, **values))


def failback_report(facts):
    """The failback report (the drill report's shape): environment, run_id, check_mode, resumed, error, run_started_at,
    state (the failback's recorded progress), budgets, plan, steps, status_before, writes_stop, switchover, serving,
    replica, dr_replica."""
    try:
        return _failback_report(facts)
    except Exception as exc:  # pylint: disable=broad-except
        return {"kind": "failback", "environment": facts.get("environment"), "run_id": facts.get("run_id"),
                "check_mode": bool(facts.get("check_mode")), "resumed": bool(facts.get("resumed")),
                "outcome": FAILED if (facts.get("error") or "").strip() else REPORT_FAILED, "error": (facts.get("error") or "").strip() or None,
                "report_error": "%s: %s" % (type(exc).__name__, exc), "run_started_at": facts.get("run_started_at"),
                "started_at": facts.get("run_started_at"), "finished_at": now_iso(),
                "rto": {"seconds": None, "budget_seconds": None, "within_budget": None},
                "rpo": {"rows": None, "seconds": None, "budget_seconds": None, "within_budget": None},
                "steps": list(facts.get("steps") or []), "state": facts.get("state"),
                "next_steps": ["Part of the report could not be built: the steps as they ran are in `steps`, the progress in `state`. "
                               "Fix the cause and run the same command again: it resumes."]}


def _failback_report(f):
    check_mode, resumed = bool(f.get("check_mode")), bool(f.get("resumed"))
    error = (f.get("error") or "").strip() or None
    budgets, plan, state = f["budgets"], f.get("plan") or {}, f.get("state") or {}
    m = failback_measures(f)
    served = serving_at(m["smoke_passed_at"], m["dns_insync_at"])
    rto = None if check_mode else span_seconds(m["writes_stopped_at"], served)
    rpo = m.get("rpo") or {}
    rpo_rows = rpo.get("rows")
    rpo_seconds = 0.0 if rpo_rows == 0 else None
    # An Aurora global database: SwitchoverGlobalCluster lets the target write only once it has every commit.
    switched = plan.get("aurora") and (m["promoted_at"] or state.get("phase") in ("served", "done"))
    if switched and rpo_rows is None:
        rpo_seconds = 0.0
    outcome = FAILED if error else (WOULD_FAIL_BACK_OUTCOME if check_mode else FAILED_BACK_OUTCOME)
    if error:
        next_steps = ["Fix the cause and run the same command again: the failback resumes from its last milestone (%s) and "
                      "never rebuilds a replica it already promoted." % (state.get("phase") or "started")]
    elif check_mode:
        next_steps = ["Check mode: nothing changed; the steps say what a run would do."]
    elif plan.get("aurora"):
        next_steps = ["Production runs in %s again (cluster %s writes); DR is warm standby, its cluster %s the global database's "
                      "secondary. A failover or a drill may run again." % ((plan.get("primary") or {}).get("region"),
                                                                           plan["aurora"]["primary"]["cluster_id"],
                                                                           plan["aurora"]["secondary"]["cluster_id"])]
    else:
        next_steps = ["Production runs in %s again; DR is warm standby with a fresh replica of %s. A failover or a drill may run again."
                      % ((plan.get("primary") or {}).get("region"), (plan.get("primary") or {}).get("instance_id"))]
    return {
        "kind": "failback", "environment": f["environment"], "run_id": f["run_id"], "check_mode": check_mode, "resumed": resumed,
        "outcome": outcome, "error": error, "failback_error": None,
        "started_at": state.get("started_at") or f["run_started_at"], "run_started_at": f["run_started_at"], "finished_at": now_iso(),
        "cut_at": m["writes_stopped_at"], "writes_stopped_at": m["writes_stopped_at"], "smoke_passed_at": m["smoke_passed_at"],
        "serving_at": served, "promoted_at": m["promoted_at"],
        "rto": {"definition": RTO_FAILBACK, "seconds": rto, "budget_seconds": budgets["rto_seconds"],
                "within_budget": within_budget(rto, budgets["rto_seconds"])},
        "rpo": {"definition": aurora.RPO_FAILBACK if plan.get("aurora") else RPO_FAILBACK, "rows": rpo_rows, "seconds": rpo_seconds,
                "basis": "marker_read_back" if rpo_rows == 0 else ("global_switchover" if switched else None),
                "marker_seq": rpo.get("marker_seq"), "marker_written_at": rpo.get("marker_written_at"),
                "replica_wait_seconds": rpo.get("wait_seconds"), "budget_seconds": budgets["rpo_seconds"],
                "within_budget": within_budget(rpo_seconds, budgets["rpo_seconds"]), "missing_seqs": []},
        "readiness": None,
        "steps": report_steps(f.get("steps")),
        "status_before": f.get("status_before"),
        "failback": {"failover_run_id": (f.get("record") or {}).get("run_id"), "old_primary": plan.get("old_primary"),
                     "old_primary_snapshot": plan.get("old_primary_snapshot"), "primary": plan.get("primary"), "dr": plan.get("dr_db"),
                     "replica": replica_rebuild(f.get("replica")), "dr_replica": replica_rebuild(f.get("dr_replica")),
                     "steps_run": plan.get("run")},
        "next_steps": next_steps,
    }


def failback_fail_message(report):
    if report.get("outcome") not in (FAILED, REPORT_FAILED):
        return ""
    return "Failback %s: %s %s" % (report["outcome"], report.get("error") or report.get("report_error") or "", " ".join(report.get("next_steps") or []))
