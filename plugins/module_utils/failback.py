# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failback after a real failover, apart from any call: what the failover record means for a failback (refused,
new, or the interrupted failback it resumes), the refusal when the primary region cannot be reached, the plan every
step reads (which steps still run, from the record's phase), the progress kept in the failover record, the
switchover's catch-up verdict and the step summaries of rds_switchover. Plain functions; the action plugin
cloudops.runbooks.failback_plan and the module cloudops.runbooks.rds_switchover call them.

Progress lives in the failover record itself (ConfigMap cloudops-failover on the DR cluster): while the failback runs,
its outcome stays `failed_over` and its `failback` key holds {run_id, outcome, phase, started_at, ...}; when the
failback is done the record's outcome becomes `failed_back`, which lets a new failover or drill run again.
"""

from __future__ import annotations

import re

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_plan
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

FAILOVER_RECORD = failover_plan.FAILOVER_RECORD
FAILED_OVER, FAILED_BACK = "failed_over", "failed_back"
IN_PROGRESS, FAILED, COMPLETED = "in_progress", "failed", "completed"
SNAPSHOT, DELETE = "snapshot", "delete"
# The tag the failback puts on the primary region's replica it creates: a re-run knows the instance it promoted.
RUN_TAG = "cloudops:failback-run"
SCALE, MAINTENANCE = "scale", "maintenance"

# The failback's steps in order. The record's phase names the last milestone reached; a resumed run skips every step
# up to it. `switchover` is recorded BEFORE the writes stop, so a re-run after it never rebuilds the primary-region
# replica (which by then may be the promoted primary).
# The buckets are synced back twice, idempotently: in bulk before the writes stop (outside the RTO), then what DR took
# in the meantime; the cache fails back once the writes stopped and it caught up.
STEPS = ("replica", "catchup", "buckets", "writes_stop", "buckets_final", "switchover", "cache", "app_db", "primary_scale", "dns",
         "serving", "dr_replica", "dr_scale", "dr_app_db", "writes_back")
STORE_STEPS = {"cache": "cache", "buckets": "buckets", "buckets_final": "buckets"}
PHASES = ("started", "switchover", "served", "done")
SKIPPED_BY = {"started": (), "switchover": ("replica", "catchup", "buckets"),
              "served": ("replica", "catchup", "buckets", "writes_stop", "buckets_final", "switchover", "cache", "app_db", "primary_scale",
                         "dns", "serving"),
              "done": STEPS}


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def _int(value, default):
    return int(value) if value not in (None, "", 0) else default


def progress(records, new_run_id, started_at, namespace):
    """What the failover record means for a failback: {refusal, resumed, run_id, record (the failover record), state
    (the failback's own progress, None for a new run), first_started_at}."""
    record = _dict(records).get(FAILOVER_RECORD)
    where = "ConfigMap %s/%s on the DR cluster" % (namespace, FAILOVER_RECORD)
    out = {"refusal": None, "resumed": False, "run_id": new_run_id, "record": record, "state": None, "first_started_at": started_at}
    if not record:
        out["refusal"] = ("Failback refused, nothing changed: no failover record (%s). A failback returns production to the primary region "
                          "after playbooks/failover.yml failed over; with no failover, production already runs there." % where)
        return out
    outcome = record.get("outcome")
    state = _dict(record.get("failback"))
    if outcome == FAILED_BACK:
        out["refusal"] = ("Failback refused, nothing changed: the failover %s was already failed back by %s (finished %s): production "
                          "runs in the primary region." % (record.get("run_id"), state.get("run_id", "?"), state.get("finished_at", "?")))
        return out
    if outcome != FAILED_OVER:
        out["refusal"] = ("Failback refused, nothing changed: the failover record says %s (run %s, %s), not failed_over. Finish the "
                          "failover first (run playbooks/failover.yml again), then fail back."
                          % (outcome or "nothing", record.get("run_id", "?"), where))
        return out
    if state and state.get("outcome") in (IN_PROGRESS, FAILED):
        out.update(resumed=True, run_id=state.get("run_id") or new_run_id, state=state,
                   first_started_at=state.get("started_at") or started_at)
    return out


def unreachable_refusal(region, result):
    """The refusal when the read of the estate (estate_status, both regions side by side) failed or found the primary
    region's EKS cluster not ACTIVE; None when the primary region answered."""
    result = _dict(result)
    report = _dict(result.get("status_report"))
    cluster = _dict(_dict(report.get("eks")).get("primary"))
    if not result.get("failed") and cluster.get("status") == "ACTIVE":
        return None
    why = (str(result.get("msg") or "").strip() if result.get("failed") else
           "EKS cluster %s is %s" % (cluster.get("cluster_name", "?"), cluster.get("status") or "not found"))
    return ("Failback refused, nothing changed: the primary region %s is not reachable or not ready (%s). Production stays on DR; "
            "run the failback again once both regions answer and the primary EKS cluster is ACTIVE." % (region, why))


def steps_to_run(phase):
    """The steps a run still runs after the record's phase (all of them for a new run)."""
    skipped = SKIPPED_BY.get(phase or "started", ())
    return [step for step in STEPS if step not in skipped]


def _sizes(nodegroup):
    nodegroup = _dict(nodegroup)
    sizes = dict((k, int(nodegroup[k])) for k in ("min_size", "desired_size", "max_size") if nodegroup.get(k) is not None)
    return sizes or None


def _workloads(items, namespace, colour=""):
    """eks_capacity's workloads; an item's `autoscaler` (its HPA's bounds before the failover, from the record) is kept."""
    out = []
    for w in _list(items):
        if isinstance(w, dict) and w.get("name"):
            item = {"kind": w.get("kind") or "Deployment", "name": str(w.get("name")).replace(failover_plan.COLOUR, colour or ""),
                    "namespace": w.get("namespace") or namespace, "replicas": int(w.get("replicas") or 0)}
            if isinstance(w.get("autoscaler"), dict):
                item["autoscaler"] = w["autoscaler"]
            out.append(item)
    return out


def _every_colour(items, namespace, colours):
    """eks_capacity's workloads with a `{colour}` name once per colour (the active colour first), the others once: the
    writes must stop in every colour, not only the one the load balancer forwards to (an idle colour's workers write too)."""
    out, seen = [], set()
    for colour in colours or [""]:
        for w in _workloads(items, namespace, colour):
            key = (w["kind"], w["name"], w["namespace"])
            if key not in seen:
                seen.add(key)
                out.append(w)
    return out


def _standby_from_record(recorded, templates, namespace, colour, colours):
    """The DR workloads' sizes before the failover (the record's, named in the colour active then) and, when a deploy on
    DR has changed the active colour since, the same sizes for the active colour's workloads: DR's load balancer
    forwards to them, so they are the warm standby now (their HPA's minimum follows the replicas)."""
    out = _workloads(recorded, namespace)
    if not colour:
        return out
    have = set((w["kind"], w["name"], w["namespace"]) for w in out)
    for template in _workloads([t for t in _list(templates) if isinstance(t, dict) and failover_plan.COLOUR in str(t.get("name"))],
                               namespace, failover_plan.COLOUR):
        wanted = dict(template, name=template["name"].replace(failover_plan.COLOUR, colour))
        if (wanted["kind"], wanted["name"], wanted["namespace"]) in have:
            continue
        for other in colours:
            before = [w for w in out if (w["kind"], w["name"], w["namespace"]) ==
                      (template["kind"], template["name"].replace(failover_plan.COLOUR, other), template["namespace"])]
            if before:
                wanted["replicas"] = before[0]["replicas"]
                out.append(wanted)
                break
    return out


def stopped_workloads(writes_stop_result, state=None):
    """What the writes stop scaled down, at its sizes before ([{kind, name, namespace, replicas, autoscaler}]): from
    this run's writes_stop step (eks_capacity's `restore`), else from the record of the run that stopped them."""
    restore = _dict(_dict(writes_stop_result).get("restore"))
    if restore.get("workloads"):
        return _list(restore.get("workloads"))
    return _list(_dict(state).get("stopped_workloads"))


def standby_args(plan, writes_stop_result=None, state=None):
    """The DR scale-down's arguments (plan's dr_scale_args): the planned warm standby, then each workload the writes
    stop scaled down that the standby does not name (an idle colour) back to its size before the stop."""
    args = dict(_dict(plan).get("dr_scale_args"))
    planned = _list(args.get("workloads"))
    named = set((w.get("kind"), w.get("name"), w.get("namespace")) for w in planned)
    extra = [dict(w) for w in stopped_workloads(writes_stop_result, state) if (w.get("kind"), w.get("name"), w.get("namespace")) not in named]
    if extra:
        args["workloads"] = planned + extra
    return args


def plan_problems(settings, failback, record, check_standby=True):
    """What the inventory (cloudops_failover, cloudops_failback) lacks for a failback, each naming the variable; []
    when it is complete."""
    settings, failback = _dict(settings), _dict(failback)
    out = []
    old = failback.get("old_primary")
    if old not in (None, "", SNAPSHOT, DELETE):
        out.append("cloudops_failback.old_primary must be snapshot or delete (got %r)." % (old,))
    stop = _dict(failback.get("writes_stop"))
    if stop.get("mode") not in (None, "", SCALE, MAINTENANCE):
        out.append("cloudops_failback.writes_stop.mode must be scale or maintenance (got %r)." % (stop.get("mode"),))
    if stop.get("mode") == MAINTENANCE:
        maintenance = _dict(stop.get("maintenance"))
        if not (maintenance.get("namespace") and maintenance.get("name") and _dict(maintenance.get("data")) and _dict(maintenance.get("restore"))):
            out.append("cloudops_failback.writes_stop.maintenance needs namespace and name (a ConfigMap on the DR cluster the application "
                       "reads), data (the keys that stop its writes) and restore (the keys that put it back when DR returns to warm standby).")
    standby = _dict(failback.get("dr_standby"))
    restore = _dict(_dict(record).get("scale_restore"))
    if check_standby and not (standby.get("workloads") or restore.get("workloads")) and _list(_dict(settings.get("dr_scale")).get("workloads")):
        out.append("cloudops_failback.dr_standby.workloads is needed: the failover record does not say the DR workloads' sizes "
                   "before the failover (warm standby), so give them (kind, name, namespace, replicas).")
    return out


def plan(environment, settings, failback, eks, rds, dns, db, budgets, record, run_id, old_primary="", phase="started", colours=None,
         started_at=None, dr_colours=None, cache=None, buckets=None, regions=None):
    """The failback plan from cloudops_failover (settings), cloudops_failback (failback) and the estate: every step's
    arguments and which steps still run (from the record's phase). colours: {side: active colour} as read now;
    dr_colours: every colour of the DR load balancer (cloudops_alb.dr.target_groups)."""
    settings, failback, eks, record = _dict(settings), _dict(failback), _dict(eks), _dict(record)
    colours = _dict(colours)
    every_dr_colour = [c for c in [colours.get("dr")] + sorted(str(c) for c in _list(dr_colours)) if c]
    every_dr_colour = sorted(set(every_dr_colour), key=every_dr_colour.index)
    base = failover_plan.plan(failover_plan.DRILL, environment, settings, eks, rds, dns, budgets, False, colours.get("dr") or "", db=db,
                              cache=cache, buckets=buckets, regions=regions)
    primary_side, dr_side = _dict(eks.get("primary")), _dict(eks.get("dr"))
    scale = _dict(settings.get("dr_scale"))
    primary_db, dr_db = _dict(record.get("primary")) or base["primary"], _dict(record.get("replica")) or base["replica"]
    old = old_primary or failback.get("old_primary") or SNAPSHOT
    stop = _dict(failback.get("writes_stop"))
    standby = _dict(failback.get("dr_standby"))
    restore = _dict(record.get("scale_restore"))
    primary_scale = _dict(failback.get("primary_scale")) or {"nodegroup": scale.get("nodegroup"), "workloads": scale.get("workloads")}
    # The primary region's replica: its own settings (a KMS key, subnet group of that region); the DR replica re-created
    # at the end is the drill's (cloudops_failover.drill.replica) unless cloudops_failback.dr_replica says otherwise.
    replica_spec = _dict(failback.get("replica"))
    replica_spec["tags"] = dict(_dict(replica_spec.get("tags")), **{RUN_TAG: run_id})
    dr_replica_spec = dict(base["drill"]["replica"], **_dict(failback.get("dr_replica")))
    markers = _dict(failback.get("markers"))
    snapshot_id = re.sub("[^a-z0-9-]", "-", ("%s-final-%s" % (primary_db.get("instance_id"), run_id)).lower())[:255]
    out = {
        "environment": environment, "run_id": run_id, "started_at": started_at, "phase": phase or "started", "run": steps_to_run(phase),
        "budgets": base["budgets"],
        # the primary region's database: the DR database's cross-region replica, then the primary after the switchover
        "primary": {"instance_id": primary_db.get("instance_id"), "region": primary_db.get("region")},
        # the DR database: production's until the switchover, then the warm-standby replica again
        "dr_db": {"instance_id": dr_db.get("instance_id"), "region": dr_db.get("region")},
        "old_primary": old,
        "old_primary_snapshot": snapshot_id if old == SNAPSHOT else None,
        "replica_spec": replica_spec, "dr_replica_spec": dr_replica_spec,
        "wait_timeout": _int(failback.get("wait_timeout"), 3600),
        "catchup_timeout": _int(failback.get("catchup_timeout"), 1800),
        "switchover_timeout": _int(failback.get("switchover_timeout"), 300),
        "promote": base["promote"],
        "markers": {"table": markers.get("table") or base["drill"]["markers"]["table"]},
        "markers_login": failover_plan.markers_login(db, settings.get("drill")),
        "writes_stop": {"mode": stop.get("mode") or SCALE,
                        "workloads": [dict(w, replicas=0) for w in _every_colour(stop.get("workloads") or scale.get("workloads"),
                                                                                 scale.get("namespace"), every_dr_colour)],
                        "maintenance": _dict(stop.get("maintenance")) or None},
        "primary_cluster": {"region": primary_side.get("region"), "cluster_name": primary_side.get("cluster_name"),
                            "nodegroup_name": primary_side.get("nodegroup_name") or "", "kubeconfig": primary_side.get("kubeconfig") or "",
                            "context": primary_side.get("context") or ""},
        "primary_scale": {"nodegroup": _sizes(primary_scale.get("nodegroup")) if primary_side.get("nodegroup_name") else None,
                          # the primary's HPAs keep their bounds: traffic comes back within minutes, before their
                          # scale-down window ends, and a raised minimum would stay after the failback
                          "workloads": [dict(w, keep_autoscaler=True) for w in _workloads(primary_scale.get("workloads"), scale.get("namespace"),
                                                                                          colours.get("primary"))]},
        "dr": base["dr"],
        "dr_standby": {"nodegroup": _sizes(standby.get("nodegroup") or restore.get("nodegroup")) if dr_side.get("nodegroup_name") else None,
                       "workloads": _workloads(standby.get("workloads"), scale.get("namespace"), colours.get("dr"))
                       or _standby_from_record(restore.get("workloads"), scale.get("workloads"), scale.get("namespace"), colours.get("dr"),
                                               every_dr_colour)},
        "nodegroup_wait_timeout": base["nodegroup_wait_timeout"], "workloads_timeout": base["workloads_timeout"],
        "app_db": base["app_db"],
        "dns": dict(base["dns"], primary_records=_list(record.get("dns_before"))),
        "smoke_test": failover_plan.smoke_test_run(_dict(settings.get("smoke_test")), primary_side, colours.get("primary") or ""),
        "record": base["record"],
        "primary_restart_deployments": [str(d).replace(failover_plan.COLOUR, colours.get("primary") or "")
                                        for d in _list(_dict(settings.get("app_db")).get("restart_deployments"))],
    }
    out["dns"]["primary_set_identifier"] = failback.get("primary_set_identifier") or "primary"
    out.update(stores_args(base, record))
    out["run"] = [step for step in out["run"] if step not in STORE_STEPS or out["stores"][STORE_STEPS[step]]]
    out.update(step_args(out))
    out["aurora"] = None  # the replica shape; an Aurora global database's below
    if base["aurora"]:
        out.update(aurora_plan(base["aurora"], out))
    return out


def stores_args(base, record):
    """The cache's and the buckets' part of a failback plan: `stores` (failover_plan.stores_plan), the cache's global
    failover back to the primary region's group once caught up (cache_args), and the sync of what the application
    wrote to the DR buckets since the failover's cut back to the primary buckets (buckets_sync_args)."""
    stores = base["stores"]
    buckets = [dict((key, b[key]) for key in ("name", "dr_name", "prefix", "region", "dr_region")) for b in stores["buckets"]]
    return {"stores": stores, "cache_args": failover_plan.cache_failover_args(base, "failback"),
            "buckets_sync_args": {"buckets": buckets, "regions": stores["regions"],
                                  "since": _dict(record).get("cut_at") or _dict(record).get("started_at")} if buckets else None}


# An Aurora global database keeps its old primary cluster as a secondary: nothing is rebuilt on either side, and the
# planned switchover (SwitchoverGlobalCluster) catches the primary cluster up itself before it writes.
AURORA_SKIPPED = ("replica", "catchup", "dr_replica")


def aurora_plan(global_database, p):
    """The Aurora part of a failback plan: `aurora` (failover_plan's), the steps without the rebuilds, and the
    switchover's arguments (rds_global_cluster_failover to the primary cluster, its endpoint returned for the Secret)."""
    primary = global_database["primary"]
    return {"aurora": global_database, "run": [step for step in p["run"] if step not in AURORA_SKIPPED],
            "aurora_switchover_args": {"global_cluster_id": global_database["global_cluster_id"], "target_cluster_arn": primary["cluster_id"],
                                       "target_region": primary["region"], "region": primary["region"], "mode": "switchover",
                                       "wait_timeout": p["promote"]["wait_timeout"], "endpoint": True}}


def _omit_none(values):
    return dict((k, v) for k, v in values.items() if v not in (None, "", [], {}))


def _replica_args(instance_id, region, source_id, source_region, spec, wait_timeout, hint, final_snapshot_id=None):
    spec = _dict(spec)
    args = {"instance_id": instance_id, "region": region, "state": "present", "source_instance": source_id, "source_region": source_region,
            "replace": True, "refusal_hint": hint, "wait_timeout": wait_timeout,
            "db_instance_class": spec.get("instance_class"), "db_subnet_group_name": spec.get("subnet_group"),
            "vpc_security_group_ids": spec.get("security_group_ids"), "kms_key_id": spec.get("kms_key_id"), "tags": spec.get("tags")}
    args = _omit_none(args)
    if spec.get("multi_az") is not None:
        args["multi_az"] = bool(spec["multi_az"])
    if final_snapshot_id:
        args["final_snapshot_id"] = final_snapshot_id
    else:
        args["skip_final_snapshot"] = True
    return args


def step_args(p):
    """The module arguments of each step of plan p (added to the plan as <step>_args)."""
    primary, dr_db, cluster, dr = p["primary"], p["dr_db"], p["primary_cluster"], p["dr"]
    out = {
        "replica_args": _replica_args(
            primary["instance_id"], primary["region"], dr_db["instance_id"], dr_db["region"], p["replica_spec"], p["wait_timeout"],
            "The failback replaces the old primary %s only while its record says the switchover has not started; it is left alone: check "
            "what it holds, then delete it yourself or run the failback again" % primary["instance_id"], p["old_primary_snapshot"]),
        "switchover_args": dict(p["markers_login"] or {}, instance_id=primary["instance_id"], region=primary["region"],
                                source_instance_id=dr_db["instance_id"], source_region=dr_db["region"], run_id=p["run_id"],
                                table=p["markers"]["table"], timeout=p["switchover_timeout"], wait_timeout=p["promote"]["wait_timeout"],
                                **_omit_none({"backup_retention_period": p["promote"].get("backup_retention_period")})),
        "writes_stop_args": _omit_none({"direction": "down", "region": dr["region"], "cluster_name": dr["cluster_name"],
                                        "kubeconfig": dr["kubeconfig"], "context": dr["context"],
                                        "workloads": p["writes_stop"]["workloads"], "workloads_timeout": p["workloads_timeout"]}),
        "primary_scale_args": _omit_none({"direction": "up", "region": cluster["region"], "cluster_name": cluster["cluster_name"],
                                          "nodegroup_name": cluster["nodegroup_name"], "nodegroup": p["primary_scale"]["nodegroup"],
                                          "nodegroup_wait_timeout": p["nodegroup_wait_timeout"], "kubeconfig": cluster["kubeconfig"],
                                          "context": cluster["context"], "workloads": p["primary_scale"]["workloads"],
                                          "workloads_timeout": p["workloads_timeout"]}),
        "dns_args": _omit_none({"zone_name": p["dns"]["zone_name"], "record_name": p["dns"]["record_name"], "records": p["dns"]["primary_records"],
                                "wait": False}),
        "dr_replica_args": _replica_args(
            dr_db["instance_id"], dr_db["region"], primary["instance_id"], primary["region"], p["dr_replica_spec"], p["wait_timeout"],
            "The failback replaces the DR instance only after the switchover proved the new primary holds all it had; it is left alone"),
        "dr_scale_args": _omit_none({"direction": "down", "region": dr["region"], "cluster_name": dr["cluster_name"],
                                     "nodegroup_name": dr["nodegroup_name"], "nodegroup": p["dr_standby"]["nodegroup"],
                                     "nodegroup_wait_timeout": p["nodegroup_wait_timeout"], "kubeconfig": dr["kubeconfig"], "context": dr["context"],
                                     "workloads": p["dr_standby"]["workloads"], "workloads_timeout": p["workloads_timeout"]}),
        "app_db_args": None, "dr_app_db_args": None, "smoke_args": None, "writes_stop_module": "cloudops.runbooks.eks_capacity",
        "writes_back_args": None,
    }
    maintenance = p["writes_stop"]["maintenance"]
    if p["writes_stop"]["mode"] == MAINTENANCE and maintenance:
        def configmap(data):
            return _omit_none({"state": "present", "kubeconfig": dr["kubeconfig"], "context": dr["context"],
                               "definition": {"apiVersion": "v1", "kind": "ConfigMap",
                                              "metadata": {"name": maintenance.get("name"), "namespace": maintenance.get("namespace")},
                                              "data": dict((str(k), str(v)) for k, v in _dict(data).items())}})
        out.update(writes_stop_module="kubernetes.core.k8s", writes_stop_args=configmap(maintenance.get("data")),
                   writes_back_args=configmap(maintenance.get("restore")))
    if not p["dns"]["primary_records"]:
        out["dns_args"].update(target=p["dns"]["primary_set_identifier"])
    app_db = p["app_db"]
    if app_db:
        common = {"namespace": app_db["namespace"], "secret_name": app_db["secret_name"], "host_key": app_db["host_key"],
                  "port_key": app_db["port_key"], "restart_timeout": app_db["restart_timeout"]}
        out["app_db_args"] = _omit_none(dict(common, state="present", instance_id=primary["instance_id"], create_missing=app_db["create_missing"],
                                             restart_deployments=p["primary_restart_deployments"], kubeconfig=cluster["kubeconfig"],
                                             context=cluster["context"], settings_var="cloudops_failover.app_db"))
        out["app_db_args"]["create_missing"] = app_db["create_missing"]
        out["dr_app_db_args"] = _omit_none(dict(common, state="rolled_back", create_missing=True, kubeconfig=dr["kubeconfig"],
                                                context=dr["context"]))
    smoke = p["smoke_test"]
    if smoke.get("job"):
        job = smoke["job"]
        out["smoke_args"] = _omit_none({"name": job.get("name"), "namespace": smoke.get("namespace"), "image": job.get("image"),
                                        "command": job.get("command"), "env": job.get("env"), "timeout": smoke.get("timeout_seconds"),
                                        "delete_previous": True, "cleanup": True, "kubeconfig": smoke.get("kubeconfig"),
                                        "context": smoke.get("context")})
    return out


# ------------------------------------------------------------------------------------------------ the record


def state(record, run_id, started_at, phase, outcome=IN_PROGRESS, **values):
    """The failback's progress (the `failback` key of the failover record) after `phase`."""
    old = _dict(_dict(record).get("failback"))
    if old.get("run_id") not in (None, run_id):
        old = {}
    out = dict(old, run_id=run_id, started_at=old.get("started_at") or started_at, phase=phase, outcome=outcome)
    out.update(dict((k, v) for k, v in values.items() if v is not None))
    return out


def failover_record(record, failback_state):
    """The failover record with the failback's progress; `failed_back` once the failback completed."""
    out = dict(_dict(record))
    out["failback"] = failback_state
    if _dict(failback_state).get("outcome") == COMPLETED:
        out["outcome"] = FAILED_BACK
        out["failed_back_at"] = failback_state.get("finished_at")
    return out


# ------------------------------------------------------------------------------------------------ the switchover


def caught_up(written_seq, present_seqs):
    """Whether the replica holds the marker written on the source (and so everything committed before it)."""
    return int(written_seq) in set(int(s) for s in present_seqs or [])


def lag_seconds(written_at_epoch, now_epoch, replay_lag=None):
    """The lag a replica shows while the marker is missing: at least the marker's age; the standby's own replay delay
    when it says more."""
    age = max(0.0, float(now_epoch) - float(written_at_epoch))
    if replay_lag is not None and float(replay_lag) > age:
        return round(float(replay_lag), 3)
    return round(age, 3)


def catchup_refusal(instance_id, source_id, timeout, lag, replay_lag=None):
    return ("Failback refused before the switchover, production untouched on %s: the replica %s did not receive a marker written on %s "
            "within %s s (lag at least %.1f s%s). Find why it lags (RDS events, ReplicaLag, network), then run the failback again: the "
            "replica is kept and waited for." % (source_id, instance_id, source_id, timeout, lag,
                                                 "; the standby's replay delay %.1f s" % replay_lag if replay_lag is not None else ""))


def catchup_summary(result):
    if result.get("check_mode"):
        return steps.summary("a marker would be written on %s and waited for on %s (check mode)" % (result.get("source_id"), result.get("instance_id")))
    numbers = steps.numbers_of(result, ("lag_seconds", "wait_seconds", "marker_seq"))
    wait = result.get("wait_seconds") or 0.0
    gate = steps.gate("replica caught up", bool(result.get("caught_up")),
                      "marker %s written on %s read on %s after %.3f s"
                      % (result.get("marker_seq"), result.get("source_id"), result.get("instance_id"), wait), numbers)
    return steps.summary("%s caught up with %s (marker read after %.3f s)" % (result.get("instance_id"), result.get("source_id"), wait),
                         numbers, [gate])


def switchover_summary(result):
    if result.get("check_mode"):
        return steps.summary("a marker would be written on %s after the writes stop, read on %s, then %s promoted (check mode)"
                             % (result.get("source_id"), result.get("instance_id"), result.get("instance_id")))
    numbers = steps.numbers_of(result, ("wait_seconds", "marker_seq", "promote_seconds", "rpo_rows", "purged"))
    gate = steps.gate("RPO 0 by data", result.get("rpo_rows") == 0,
                      "marker %s written on %s after the writes stopped, read on %s before the promotion"
                      % (result.get("marker_seq"), result.get("source_id"), result.get("instance_id")), numbers)
    verb = "promoted" if result.get("promoted") else "already promoted by this failback"
    marker = "marker %s" % result.get("marker_seq") if result.get("marker_seq") is not None else "the run's markers"
    return steps.summary("lag 0 proven by %s; %s %s" % (marker, result.get("instance_id"), verb), numbers, [gate])
