# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the run_evidence callback records of a run, and the run evidence document (schema_version 1) built from it.

The callback turns Ansible's objects into plain values (task name, action, the names of the blocks and includes
around it, times, statuses, result dicts) and feeds them to RunRecorder; everything else is here, in plain Python:

- every task: name, role, start, end, duration, status (ok, changed, failed, skipped, unreachable), changed;
- steps: the steps the run recorded as data - the `cloudops_step` of each `cloudops.runbooks.runbook_step` result
  (module_utils/steps.py gives its shape); a run that records none gets one step per top-level item (`top_level_steps`);
- gates: the `gates` of each recorded step, and the `step_summary.gates` this collection's modules return - never
  module arguments, never whole results, never a no_log result;
- measures (RTO, RPO) and state before/after, from the runbook's set_stats summary and its own report.
"""

from __future__ import annotations

import datetime
import fnmatch
import threading

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps as step_shape
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_summary

SCHEMA_VERSION = 1
GENERATOR = "cloudops.runbooks.run_evidence"
RUNBOOK_STEP = "cloudops.runbooks.runbook_step"

# Tasks that only keep or show data: a top-level item made only of these is not a step.
BOOKKEEPING = {"set_fact", "debug", "set_stats", "meta", "include_vars", "fail", "copy"}
_WORST = ("unfinished", "skipped", "ok", "changed", "failed")
MAX_STATE_ROWS = 400
MAX_ERROR = 600


def short_action(action):
    """`cloudops.runbooks.rds_promote` -> `rds_promote`; `ansible.builtin.set_fact` -> `set_fact`."""
    return str(action or "").rsplit(".", 1)[-1]


def own_module(action):
    """The short name of one of this collection's modules, or None for any other action."""
    action = str(action or "")
    if action.startswith("cloudops.runbooks.") or "." not in action:
        return short_action(action)
    return None


def is_runbook_step(action):
    return str(action or "") in (RUNBOOK_STEP, "runbook_step")


def iso(ts):
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def parse_iso(value):
    """Epoch seconds of an ISO 8601 UTC time (with or without fraction, Z or +00:00), or None."""
    if not isinstance(value, str) or len(value) < 19:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def _round(value, digits=3):
    return None if value is None else round(float(value), digits)


# -- gates ------------------------------------------------------------------------------------------------------------
def extract_gates(action, result):
    """The gates of one task result (loop items each), as the results carry them: a runbook_step result's
    `cloudops_step.gates` (with `recorded`, the position of its step among the task's recorded steps), else the
    `step_summary.gates` of one of this collection's modules. Nothing is read from a censored result."""
    if not isinstance(result, dict) or is_censored(result):
        return []
    items = result.get("results") if isinstance(result.get("results"), list) else [result]
    out, recorded = [], 0
    for item in items:
        if not isinstance(item, dict) or is_censored(item) or item.get("skipped") and not item.get("cloudops_step"):
            continue
        step = item.get("cloudops_step")
        if step_shape.is_step(step):
            module = short_action(step.get("module")) if step.get("module") else "runbook_step"
            found = [dict(g, module=module, recorded=recorded) for g in step_shape.gates_of(step.get("gates"))]
            recorded += 1
        else:
            module = own_module(action)
            summary = item.get("step_summary")
            if module is None or not isinstance(summary, dict):
                continue
            found = [dict(g, module=module) for g in step_shape.gates_of(summary.get("gates"))]
        out.extend(g for g in found if g["numbers"] or g["passed"] is not None or g["detail"] is not None)
    return out


def recorded_steps(result):
    """The steps a task result recorded (`cloudops_step`, loop items each); none from a censored result."""
    if not isinstance(result, dict) or is_censored(result):
        return []
    items = result.get("results") if isinstance(result.get("results"), list) else [result]
    return [item["cloudops_step"] for item in items
            if isinstance(item, dict) and not is_censored(item) and step_shape.is_step(item.get("cloudops_step"))]


def is_censored(result):
    return bool(result.get("_ansible_no_log")) or "censored" in result


def declared_step(action, args):
    """What a runbook_step task says of its step before it runs (its id, phase, title and module), plain strings only
    (a templated value is left out): names a step that is skipped or hidden by no_log, and a long task's progress.
    None for any other task, and for a runbook_step task that only adds recorded steps to the list (`record`)."""
    if not is_runbook_step(action):
        return None
    args = args if isinstance(args, dict) else {}
    if "record" in args:
        return None
    out = {}
    for key in ("step", "phase", "title", "module"):
        value = args.get(key)
        if isinstance(value, str) and value and "{{" not in value and "{%" not in value:
            out[key] = str(value)
    return out


# -- what a long task waits for ---------------------------------------------------------------------------------------
WAITING_FOR = {
    "rds_promote": "the promoted instance available and writable",
    "route53_failover_switch": "the change INSYNC",
    "route53_change_wait": "the change INSYNC",
    "eks_nodegroup_scale": "the node group ACTIVE at its new size",
    "k8s_workload_scale": "the workloads' replicas ready",
    "rds_read_replica": "the replica (or its deletion) to complete",
    "rds_snapshot": "the snapshot available",
    "rds_snapshot_copy": "the copy available in the other region",
    "rds_snapshot_retention": "the old snapshots deleted",
    "rds_restore": "the restored instance available (or deleted)",
    "rds_data_verify": "the restored database to answer the checks",
    "rds_drill_markers": "the marker rows",
    "s3_replication_sync": "the objects DR took copied back to the primary buckets",
    "elasticache_global_failover": "the cache's Global Datastore failover (and its catch-up) to complete",
    "k8s_job_run": "the smoke-test Job to finish",
    "helm_release": "the release's rollout ready",
    "helm_rollback": "the rolled-back release ready",
    "alb_traffic_switch": "the listener and rule changes",
    "alb_target_health": "the targets healthy",
    "cloudwatch_gate": "the observation window and the metric gate",
    "dr_readiness_info": "the readiness checks",
    "rds_replication_info": "the replication state",
    "rds_cluster_failover": "the cluster failover to complete",
    "rds_global_cluster_failover": "the global cluster failover to complete",
    "eks_cluster_info": "the EKS clusters described",
    "alb_traffic_info": "the load balancers' listeners and target groups",
    "route53_failover_info": "the Route 53 records",
    "helm_release_info": "the Helm releases listed",
    "rds_data_info": "the database to answer",
    "estate_status": "the status of every side of the estate",
    "eks_capacity": "the node group and the workloads at their new size",
    "db_cutover": "the Secret written and the Deployments rolled out",
    "runbook_record": "the progress record",
    "runbook_lock": "the runbook lock",
    "failover_serving": "the smoke-test Job and the Route 53 change INSYNC",
    "deploy_preflight": "the live state of every service and side",
    "deploy_new_colour": "the new colour's releases rolled out, healthy and smoke-tested",
    "deploy_traffic_step": "the traffic switch, its observation window and gates",
    "deploy_rollback": "the traffic and the releases as before the deploy",
    "deploy_record": "the deploy records",
    "pause": "the pause to end",
    "wait_for": "the condition",
    "k8s": "the Kubernetes object",
}


def waiting_for(action, task_name):
    return WAITING_FOR.get(short_action(action)) or str(task_name or "the task")


def progress_line(label, elapsed, action, task_name):
    """`... <step/task> - <elapsed> s, waiting for <what>`."""
    return u"\u2026 %s - %d s, waiting for %s" % (label, int(elapsed), waiting_for(action, task_name))


def progress_of(record):
    """(label, action) a long task's progress line names: a runbook_step by its step's title and module; another task
    by the named block or include around it (`<block>: <task>`) or its own name."""
    declared = record.get("declared")
    if declared is not None:
        label = declared.get("title") or record["name"]
        if declared.get("phase"):
            label = "%s | %s" % (declared["phase"], label)
        return label, declared.get("module") or record["action"]
    around = [name for ident, name in (record.get("lineage") or [])[1:] if name and name != record["name"]]
    return ("%s: %s" % (around[0], record["name"]) if around else record["name"]), record["action"]


# -- the recorder -----------------------------------------------------------------------------------------------------
class RunRecorder(object):
    """The tasks of a run as they start and end. Thread-safe: the callback's progress thread reads it."""

    def __init__(self):
        self._lock = threading.Lock()
        self.tasks = []
        self._latest = {}  # task uid -> index of its latest record
        self.playbook = None
        self.plays = []
        self.started = None
        self.finished = None

    def playbook_start(self, path, ts):
        with self._lock:
            self.playbook = str(path) if path else None
            if self.started is None:
                self.started = ts

    def play_start(self, name, ts):
        with self._lock:
            self.plays.append(str(name or ""))
            if self.started is None:
                self.started = ts

    def task_start(self, uid, name, ts, action="", role=None, path=None, lineage=(), top=None, declared=None):
        """A task starts (again, for a task run once per loop of an include).

        lineage: (uid, name) of the task and the blocks and includes around it, innermost first.
        top: (uid, name) of the top-level item of the play the task belongs to.
        declared: what a runbook_step task says of its step (declared_step()); None for any other task.
        """
        record = {
            "uid": str(uid), "name": str(name or ""), "action": str(action or ""), "role": str(role) if role else None,
            "path": str(path) if path else None,
            "lineage": [(str(ident), str(label)) for ident, label in (lineage or ((uid, name),))],
            "top": (str(top[0]), str(top[1] or "")) if top else None,
            "declared": dict(declared) if isinstance(declared, dict) else None,
            "started": ts, "finished": None, "hosts": {}, "error": None, "gates": [], "recorded": [],
        }
        with self._lock:
            if self.started is None:
                self.started = ts
            self._latest[str(uid)] = len(self.tasks)
            self.tasks.append(record)

    def host_start(self, uid, host, ts):
        with self._lock:
            record = self._record(uid)
            if record is not None:
                record["hosts"].setdefault(str(host), {"status": "running", "changed": False, "started": ts, "finished": None})

    def task_result(self, uid, host, status, ts, result=None):
        """A host's result: status ok | changed | failed | skipped | unreachable; result the (censored) result dict."""
        with self._lock:
            record = self._record(uid)
            if record is None:
                return
            entry = record["hosts"].setdefault(str(host), {"status": "running", "changed": False, "started": record["started"],
                                                           "finished": None})
            result = result if isinstance(result, dict) else {}
            changed = bool(result.get("changed")) or status == "changed"
            entry.update(status=status, changed=changed, finished=ts)
            record["finished"] = ts if record["finished"] is None else max(record["finished"], ts)
            if status in ("failed", "unreachable") and record["error"] is None:
                record["error"] = error_text(result)
            if status in ("ok", "changed", "failed", "skipped"):
                base = len(record["recorded"])
                for gate in extract_gates(record["action"], result):
                    if "recorded" in gate:
                        gate["recorded"] += base
                    record["gates"].append(gate)
                record["recorded"].extend({"host": str(host), "step": step} for step in recorded_steps(result))

    def _record(self, uid):
        index = self._latest.get(str(uid))
        return self.tasks[index] if index is not None else None

    def running(self):
        """(record, host, started) of the hosts still running a task."""
        with self._lock:
            return [(record, host, entry["started"]) for record in self.tasks
                    for host, entry in record["hosts"].items() if entry["status"] == "running" and entry["started"] is not None]

    def finish(self, ts):
        with self._lock:
            self.finished = ts

    def snapshot(self):
        with self._lock:
            return [dict(t, hosts=dict((h, dict(e)) for h, e in t["hosts"].items()), gates=[dict(g) for g in t["gates"]],
                         recorded=list(t["recorded"])) for t in self.tasks]


def error_text(result):
    if not isinstance(result, dict):
        return None
    if is_censored(result):
        return "failed (output hidden: no_log)"
    msg = result.get("msg") or result.get("reason") or result.get("stderr") or result.get("exception")
    if not msg and isinstance(result.get("results"), list):
        msg = " / ".join(str(item.get("msg")) for item in result["results"]
                         if isinstance(item, dict) and item.get("failed") and item.get("msg"))
    text = str(msg or "failed")
    return text if len(text) <= MAX_ERROR else text[:MAX_ERROR] + "..."


def task_status(record):
    statuses = [e["status"] for e in record["hosts"].values()]
    if not statuses:
        return "unfinished"
    if any(s in ("failed", "unreachable") for s in statuses):
        return "failed"
    if any(s == "running" for s in statuses):
        return "unfinished"
    if any(e["changed"] for e in record["hosts"].values()):
        return "changed"
    if any(s in ("ok", "changed") for s in statuses):
        return "ok"
    return "skipped"


def _worst(statuses):
    ranked = [s for s in statuses if s in _WORST]
    if not ranked:
        return "skipped"
    if all(s == "skipped" for s in ranked):
        return "skipped"
    return max((s for s in ranked if s != "skipped"), key=_WORST.index)


# -- steps ------------------------------------------------------------------------------------------------------------
def _group(name, phase, number, title, tasks, recorded=None, declared=None):
    return {"name": name, "phase": phase, "number": number, "title": title, "tasks": tasks, "recorded": recorded,
            "declared": declared}


def steps_as_recorded(tasks):
    """One step per step recorded by a runbook_step task (its `cloudops_step`), in the order they ran; a runbook_step
    task that recorded none (skipped by `when`, hidden by no_log, refused for a wrong argument) is a step of what it
    declared. Numbered from 1 within each phase."""
    groups, numbers = [], {}
    for t in tasks:
        if t.get("declared") is None and not t.get("recorded"):
            continue
        entries = t.get("recorded") or [None]
        for k, entry in enumerate(entries):
            step = entry["step"] if entry else None
            declared = t.get("declared") or {}
            phase = (step or declared).get("phase") or None
            title = (step or declared).get("title") or t["name"] or (step or declared).get("step") or "step"
            numbers[phase] = numbers.get(phase, 0) + 1
            group = _group(t["name"], phase, numbers[phase], title, [t], recorded=step, declared=declared)
            group["recorded_index"] = k if entry else None
            groups.append(group)
    return groups


def top_level_steps(tasks):
    """One step per top-level item of the play (task, block or include) that does more than bookkeeping, titled with
    its name: the steps of a run that records none."""
    groups, by_key = [], {}
    for t in tasks:
        if not t["top"]:
            continue
        ident, name = t["top"]
        if ident not in by_key:
            by_key[ident] = _group(name, None, None, name, [])
            groups.append(by_key[ident])
        by_key[ident]["tasks"].append(t)
    groups = [g for g in groups if any(short_action(t["action"]) not in BOOKKEEPING for t in g["tasks"])]
    for n, g in enumerate(groups, 1):
        g["number"] = n
    return groups


def group_steps(tasks):
    """(basis, groups): the run's steps, each a group of task records. basis `recorded` when the run recorded its steps
    as data (runbook_step), else the fallback of a run that records none."""
    if any(t.get("declared") is not None or t.get("recorded") for t in tasks):
        return "recorded", steps_as_recorded(tasks)
    return "top_level", top_level_steps(tasks)


# -- measures and state -----------------------------------------------------------------------------------------------
_get = evidence_summary.dig


def _verdict(within):
    return None if within is None else ("within budget" if within else "over budget")


def store_verdicts(rpo):
    """A drill's verdict row per state store (the cache, each bucket): the markers its DR copy lacked, against the RPO
    budget (runbook_reports.store_rpos)."""
    rpo = rpo if isinstance(rpo, dict) else {}
    rows = []
    for store in rpo.get("stores") or []:
        if not isinstance(store, dict):
            continue
        unit = "keys" if store.get("kind") == "cache" else "objects"
        value = None if store.get("rows") is None else "%s of %s %s, %s s" % (store["rows"], store.get("written"), unit, store.get("seconds"))
        moment = "at the cut" if store.get("moment") == "cut" else "once promoted"
        rows.append({"name": "RPO: markers the DR %s %s lacked %s" % (store.get("kind"), store.get("resource"), moment),
                     "value": value or "not measured",
                     "budget": None if rpo.get("budget_seconds") is None else "%s s" % rpo["budget_seconds"],
                     "verdict": _verdict(store.get("within_budget"))})
    return rows


def run_measures(runbook, summary, report):
    """{rto, rpo, verdicts}: RTO and RPO where the runbook measured them (null otherwise), and the verdict rows."""
    summary = summary if isinstance(summary, dict) else {}
    report = report if isinstance(report, dict) else {}
    rto = rpo = None
    verdicts = []
    if runbook in ("failover", "failover_drill", "failback"):
        r = report.get("rto") if isinstance(report.get("rto"), dict) else {}
        p = report.get("rpo") if isinstance(report.get("rpo"), dict) else {}
        rto = {"seconds": summary.get("rto_seconds", r.get("seconds")), "budget_seconds": r.get("budget_seconds"),
               "within_budget": r.get("within_budget"), "started_at": report.get("cut_at"),
               "ended_at": report.get("serving_at") or report.get("smoke_passed_at"),
               "definition": r.get("definition"), "since_outage_seconds": r.get("since_outage_seconds")}
        if runbook in ("failover_drill", "failback"):
            rpo = {"seconds": summary.get("rpo_seconds", p.get("seconds")), "rows": summary.get("rpo_rows", p.get("rows")),
                   "budget_seconds": p.get("budget_seconds"), "within_budget": p.get("within_budget"), "definition": p.get("definition"),
                   "basis": p.get("basis"), "estimated": False, "at": report.get("cut_at"),
                   "markers_written": p.get("markers_written"), "markers_present": p.get("markers_present"),
                   "lag_at_promotion_seconds": p.get("lag_at_promotion_seconds")}
        else:
            rpo = {"seconds": summary.get("rpo_seconds", p.get("estimated_seconds")), "rows": None,
                   "budget_seconds": p.get("budget_seconds"), "within_budget": p.get("within_budget"), "definition": p.get("definition"),
                   "basis": "replica lag at promotion", "estimated": True, "at": report.get("cut_at")}
    elif runbook == "backup_restore" and report.get("action") == "restore_test":
        point = report.get("restore_point") if isinstance(report.get("restore_point"), dict) else {}
        rto = {"seconds": _get(report, "durations", "to_verified_seconds"), "budget_seconds": None, "within_budget": None,
               "started_at": report.get("started_at"), "ended_at": None,
               "definition": "from the start of the run to the restored data proven by the checks"}
        rpo = {"seconds": point.get("gap_seconds"), "rows": None, "budget_seconds": None, "within_budget": None,
               "definition": "how far back the restore point is (data newer than it would be lost)",
               "basis": point.get("kind"), "estimated": False, "at": point.get("time")}
    for label, m in (("RTO", rto), ("RPO", rpo)):
        if m is None:
            continue
        value = None if m.get("seconds") is None else "%s s" % m["seconds"]
        if label == "RPO" and m.get("rows") is not None:
            value = "%s row%s, %s" % (m["rows"], "" if m["rows"] == 1 else "s", value)
        verdicts.append({"name": "%s: %s" % (label, m.get("definition") or ""), "value": value or "not measured",
                         "budget": None if m.get("budget_seconds") is None else "%s s" % m["budget_seconds"],
                         "verdict": _verdict(m.get("within_budget"))})
    if runbook == "failover_drill" and rpo is not None:
        verdicts.extend(store_verdicts(report.get("rpo")))
    status = report.get("status") if isinstance(report.get("status"), dict) else {}
    if runbook == "failover_drill" and "compared" in status:
        verdicts.append({"name": "Estate after the failback equals before",
                         "value": ("yes" if status.get("equal") else "NO: %d difference(s)" % len(status.get("differences") or []))
                         if status.get("compared") else "not compared", "budget": None,
                         "verdict": None if not status.get("compared") else ("equal" if status.get("equal") else "differs")})
    return {"rto": rto, "rpo": rpo, "verdicts": verdicts}


def flatten(data, prefix="", out=None):
    """{dotted.path[0].key: scalar} of nested dicts and lists."""
    out = {} if out is None else out
    if isinstance(data, dict):
        if not data and prefix:
            out[prefix] = {}
        for key in data:
            flatten(data[key], "%s.%s" % (prefix, key) if prefix else str(key), out)
    elif isinstance(data, (list, tuple)):
        if not data and prefix:
            out[prefix] = []
        for i, item in enumerate(data):
            flatten(item, "%s[%d]" % (prefix, i), out)
    else:
        out[prefix or "value"] = data
    return out


def _ignored(path, patterns):
    for pattern in patterns or []:
        if fnmatch.fnmatchcase(path, pattern) or fnmatch.fnmatchcase(path, pattern + ".*") or fnmatch.fnmatchcase(path, pattern + "[[]*"):
            return True
    return False


def _by_side(entries, key_fields, fields):
    out = {}
    for e in entries or []:
        if not isinstance(e, dict):
            continue
        name = "/".join(str(e.get(k)) for k in key_fields)
        for field, label in fields:
            out["%s.%s" % (name, label)] = e.get(field)
    return out


def run_state(runbook, report):
    """{before_label, after_label, compared, equal, rows: [{path, before, after, differs, ignored}]}."""
    report = report if isinstance(report, dict) else {}
    before = after = None
    labels = ("before", "after")
    ignore, equal, compared = [], None, False
    if runbook == "failover_drill":
        before, after = report.get("status_before"), report.get("status_after")
        status = report.get("status") if isinstance(report.get("status"), dict) else {}
        ignore, equal, compared = status.get("ignored") or [], status.get("equal"), bool(status.get("compared"))
        labels = ("status before the drill", "status after the failback")
        before = flatten(before) if isinstance(before, dict) else None
        after = flatten(after) if isinstance(after, dict) else None
    elif runbook == "failover":
        records = report.get("dns_before") or []
        before = dict(("route53.%s" % r.get("set_identifier"), r.get("failover")) for r in records if isinstance(r, dict))
        promoted = report.get("promoted_instance") if isinstance(report.get("promoted_instance"), dict) else None
        after = {}
        if promoted:
            after["rds.%s.role" % promoted.get("id")] = promoted.get("role")
            after["rds.%s.status" % promoted.get("id")] = promoted.get("status")
        labels = ("before the failover", "after")
    elif runbook == "deploy":
        rows_before, rows_after = {}, {}
        for s in report.get("services") or []:
            for side in s.get("sides") or []:
                name = "%s/%s" % (s.get("service"), side.get("side"))
                rows_before.update({name + ".colour": side.get("from_colour"), name + ".revision": side.get("revision_before"),
                                    name + ".version": side.get("live_version_before") or side.get("version_before"),
                                    name + ".traffic": side.get("traffic_before")})
                deployed = side.get("action") not in ("skipped", "none") and s.get("outcome") not in ("rolled_back", "rollback_failed")
                rows_after.update({name + ".colour": (side.get("to_colour") or side.get("from_colour")) if deployed else side.get("from_colour"),
                                   name + ".revision": side.get("revision_after"),
                                   name + ".version": s.get("version") if deployed else (side.get("live_version_before") or side.get("version_before")),
                                   name + ".traffic": side.get("traffic_after")})
        before, after = rows_before, rows_after
    elif runbook == "rollback":
        fields = (("revision_before", "revision"), ("traffic_before", "traffic"))
        before = _by_side(report.get("services"), ("service", "side"), fields)
        after = _by_side(report.get("services"), ("service", "side"), (("revision_after", "revision"), ("traffic_after", "traffic")))
    elif runbook == "backup":
        after = {}
        for key in ("snapshot", "copy"):
            snap = report.get(key)
            if isinstance(snap, dict):
                after["%s.%s" % (key, snap.get("region"))] = "%s (%s)" % (snap.get("id"), snap.get("status"))
        for r in report.get("retention") or []:
            after["retention.%s.kept" % r.get("side")] = r.get("kept_count")
            after["retention.%s.deleted" % r.get("side")] = len(r.get("deleted") or [])
        labels = ("before", "after the backup")
    elif runbook == "backup_restore":
        after = flatten({k: report.get(k) for k in ("instance", "verification", "cleanup") if isinstance(report.get(k), dict)})
        after = dict((k, v) for k, v in after.items() if ".checks[" not in k)
        labels = ("before", "after the run")
    elif runbook == "status":
        after = flatten(dict((k, v) for k, v in report.items() if k != "collected_at"))
        labels = ("", "status")
    if report.get("check_mode") is True and runbook not in ("status", "failover_drill"):
        labels = (labels[0], "%s (predicted: check mode)" % labels[1])
    rows = []
    paths = list((before or {}).keys()) + [p for p in (after or {}) if p not in (before or {})]
    for path in paths[:MAX_STATE_ROWS]:
        b = (before or {}).get(path)
        a = (after or {}).get(path)
        both = path in (before or {}) and path in (after or {})
        rows.append({"path": path, "before": b, "after": a, "differs": both and b != a, "ignored": _ignored(path, ignore)})
    return {"before_label": labels[0], "after_label": labels[1], "has_before": before is not None, "has_after": after is not None,
            "compared": compared, "equal": equal, "truncated": len(paths) > MAX_STATE_ROWS, "rows": rows}


# -- the document -----------------------------------------------------------------------------------------------------
def _custom(stats_custom, key):
    """A set_stats value: the run-wide one, else the first host's."""
    custom = stats_custom if isinstance(stats_custom, dict) else {}
    run = custom.get("_run") if isinstance(custom.get("_run"), dict) else {}
    if key in run:
        return run[key]
    for host, values in custom.items():
        if host != "_run" and isinstance(values, dict) and key in values:
            return values[key]
    return None


def find_summary(stats_custom):
    summary = _custom(stats_custom, "cloudops_summary")
    return summary if isinstance(summary, dict) else None


def find_report(stats_custom, runbook):
    report = _custom(stats_custom, evidence_summary.report_key(runbook))
    return report if isinstance(report, dict) else None


def _step_entry(index, g, started, step_index_of):
    """One step of the document from its group of task records (and the step it recorded, if any)."""
    tasks = g["tasks"]
    statuses = [task_status(t) for t in tasks]
    failed = [t for t, s in zip(tasks, statuses) if s == "failed"]
    recorded, declared = g.get("recorded"), g.get("declared") or {}
    if recorded:
        start, end = parse_iso(recorded.get("started_at")), parse_iso(recorded.get("finished_at"))
        status = "failed" if recorded.get("outcome") == "failed" or failed else recorded.get("outcome")
        changed = recorded.get("outcome") == "changed" or any(s == "changed" for s in statuses)
        error = recorded.get("error") or (failed[0]["error"] if failed else None)
    else:
        start, end = None, None
        status, changed = _worst(statuses), any(s == "changed" for s in statuses)
        error = failed[0]["error"] if failed else None
    if start is None or end is None:
        starts = [t["started"] for t in tasks if t["started"] is not None]
        ends = [t["finished"] or t["started"] for t in tasks if (t["finished"] or t["started"]) is not None]
        start, end = (min(starts) if starts else None), (max(ends) if ends else None)
    for t in tasks:
        step_index_of.setdefault(id(t), index)
    measures = recorded.get("measures") if recorded and isinstance(recorded.get("measures"), dict) else {}
    return {
        "index": index, "number": g["number"], "phase": g["phase"], "title": g["title"], "name": g["name"],
        "started_at": iso(start), "finished_at": iso(end),
        "start_offset_seconds": _round(start - started) if start is not None and started is not None else None,
        "duration_seconds": _round(max(0.0, end - start)) if start is not None and end is not None else None,
        "status": status, "changed": changed, "tasks": len(tasks),
        "failed_task": failed[0]["name"] if failed else (g["name"] if error else None), "error": error,
        "step": (recorded or declared).get("step") if (recorded or declared) else None,
        "module": (recorded or declared).get("module") if (recorded or declared) else None,
        "detail": recorded.get("detail") if recorded else None,
        "measures": dict((str(k), step_shape.scalar(v)) for k, v in measures.items()),
    }


def _spanned(tasks, steps, step_of):
    """Tasks that are no step of their own but ran inside a recorded step's time (a step that began earlier, with
    `since`, spans the tasks since then) belong to that step: their gates are its gates, they count in its tasks."""
    windows = [(parse_iso(s["started_at"]), parse_iso(s["finished_at"]), s) for s in steps if s["tasks"] == 1]
    for t in tasks:
        if id(t) in step_of or t["started"] is None:
            continue
        end = t["finished"] if t["finished"] is not None else t["started"]
        for start, finish, step in windows:
            if start is not None and finish is not None and start - 0.001 <= t["started"] and end <= finish + 0.001:
                step_of[id(t)] = step["index"]
                step["tasks"] += 1
                break


def build_document(recorder, summary, report=None, host_stats=None, ansible_version=None, collection_version=None,
                   run_dir=None, now=None):
    """The run evidence document (schema_version 1). Not yet redacted: pass it through a Redactor."""
    summary = summary if isinstance(summary, dict) else {}
    runbook = summary.get("runbook")
    tasks = recorder.snapshot()
    started = recorder.started if recorder.started is not None else now
    finished = recorder.finished if recorder.finished is not None else now
    basis, groups = group_steps(tasks)

    step_of, recorded_step = {}, {}
    steps = []
    for index, g in enumerate(groups):
        steps.append(_step_entry(index, g, started, step_of))
        if g.get("recorded_index") is not None:
            recorded_step[(id(g["tasks"][0]), g["recorded_index"])] = index
    if basis == "recorded":
        _spanned(tasks, steps, step_of)

    out_tasks, gates = [], []
    for index, t in enumerate(tasks):
        end = t["finished"] if t["finished"] is not None else None
        step = step_of.get(id(t))
        out_tasks.append({
            "index": index, "name": t["name"], "role": t["role"], "action": t["action"], "step": step,
            "started_at": iso(t["started"]), "finished_at": iso(end),
            "start_offset_seconds": _round(t["started"] - started) if t["started"] is not None and started is not None else None,
            "duration_seconds": _round(end - t["started"]) if end is not None and t["started"] is not None else None,
            "status": task_status(t), "changed": any(e["changed"] for e in t["hosts"].values()),
            "hosts": sorted(t["hosts"]), "error": t["error"],
        })
        for gate in t["gates"]:
            gate = dict(gate)
            at = recorded_step.get((id(t), gate.pop("recorded", None)), step)
            gates.append(dict(gate, task=t["name"], step=at))

    measures = run_measures(runbook, summary, report)
    state = run_state(runbook, report)
    report = report if isinstance(report, dict) else {}
    errors = [str(report[k]) for k in ("error", "failback_error") if report.get(k)]
    errors += ["%s: %s" % (t["name"], t["error"]) for t in out_tasks if t["status"] == "failed" and t["error"] and not errors]
    return {
        "schema_version": SCHEMA_VERSION,
        "generator": {"name": GENERATOR, "collection_version": collection_version, "ansible_version": ansible_version,
                      "generated_at": iso(now)},
        "run": {
            "runbook": runbook, "title": evidence_summary.runbook_title(runbook), "environment": summary.get("environment"),
            "run_id": summary.get("run_id"), "run_dir": run_dir if run_dir is not None else summary.get("run_dir"),
            "playbook": recorder.playbook, "check_mode": summary.get("status") == "check" or report.get("check_mode") is True,
            "outcome": summary.get("outcome"), "status": summary.get("status"),
            "started_at": iso(started), "finished_at": iso(finished),
            "duration_seconds": _round(finished - started) if started is not None and finished is not None else None,
        },
        "summary": summary,
        "measures": measures,
        "state": state,
        "changes": [str(c) for c in summary.get("changes") or []],
        "steps_basis": basis,
        "steps": steps,
        "gates": gates,
        "tasks": out_tasks,
        "hosts": host_stats or {},
        "errors": errors,
        "next_steps": [str(n) for n in report.get("next_steps") or []] if isinstance(report.get("next_steps"), list) else [],
        "report": report or None,
    }
