# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover and drill plan, apart from any call: what the inventory's settings must hold before a call (plan
problems), whether a name needs the DR side's active colour, which readiness checks block the run, the refusal a
failed blocking check gives, and the plan every step reads (instances, regions, sizes, the Secret, DNS, smoke test,
drill settings). Plain functions; the action plugin cloudops.runbooks.failover_plan calls them.

Formerly the Jinja of roles/failover_preflight; the plan's shape is the same (failover_preflight_plan).
"""

from __future__ import annotations

import json

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

FAILOVER, DRILL = "failover", "drill"
COLOUR = "{colour}"
DRILL_BLOCKING = ["replica_role", "replica_lag", "source_backups", "dr_cluster_active", "dr_nodegroup_active"]
# Restore-based DR (db_shape.RESTORE): the newest restorable point in DR instead of the replica and its lag.
RESTORE_DRILL_BLOCKING = [restore_dr.FINDING, restore_dr.TARGET_FINDING, "source_backups", "dr_cluster_active", "dr_nodegroup_active"]


def _dict(value):
    return value if isinstance(value, dict) else {}


def _list(value):
    return value if isinstance(value, list) else []


def what(operation):
    return "Failover" if operation == FAILOVER else "Failover drill"


def uses_colour(settings):
    """Whether a name of the settings uses {colour} (the DR side's active colour, read from its load balancer)."""
    settings = _dict(settings)
    smoke = _dict(settings.get("smoke_test"))
    names = [str(w.get("name", "")) for w in _list(_dict(settings.get("dr_scale")).get("workloads")) if isinstance(w, dict)]
    names += [str(v) for v in _dict(_dict(smoke.get("job")).get("env")).values()]
    names.append(str(_dict(smoke.get("http")).get("url") or ""))
    names += [str(d) for d in _list(_dict(settings.get("app_db")).get("restart_deployments"))]
    return any(COLOUR in name for name in names)


def plan_problems(operation, settings, eks, rds, alb, cache=None, buckets=None):
    """What the settings lack for a run, each one sentence naming the variable; [] when they are complete."""
    settings, eks, rds, alb = _dict(settings), _dict(eks), _dict(rds), _dict(alb)
    out = store_settings_problems(settings, cache, buckets)
    if not _dict(eks.get("dr")).get("cluster_name"):
        out.append("cloudops_eks.dr needs region, cluster_name and nodegroup_name.")
    shape = db_shape.shape(rds)
    if shape == db_shape.AURORA_GLOBAL:
        out.extend(aurora_plan_problems(rds))
    else:
        for side in ("primary",) if shape == db_shape.RESTORE else ("primary", "replica"):
            if not _dict(rds.get(side)).get("instance_id"):
                out.append("cloudops_rds.%s needs region and instance_id." % side)
    if shape == db_shape.RESTORE:
        out.extend(p + "." for p in restore_dr.spec_problems(rds.get("dr_restore")))
    scale = _dict(settings.get("dr_scale"))
    ng = _dict(scale.get("nodegroup"))
    if all(k in ng for k in ("min_size", "desired_size", "max_size")):
        try:
            holds = 0 <= int(ng["min_size"]) <= int(ng["desired_size"]) <= int(ng["max_size"])
        except (TypeError, ValueError):
            holds = False
        if not holds:
            out.append("cloudops_failover.dr_scale.nodegroup: min_size %s <= desired_size %s <= max_size %s does not hold."
                       % (ng["min_size"], ng["desired_size"], ng["max_size"]))
    workloads = [w for w in _list(scale.get("workloads")) if isinstance(w, dict)]
    names = [w.get("name") for w in workloads]
    for name in sorted(set(n for n in names if names.count(n) > 1), key=names.index):
        out.append("cloudops_failover.dr_scale.workloads lists %s twice." % name)
    for w in workloads:
        if not (w.get("namespace") or scale.get("namespace")):
            out.append("cloudops_failover.dr_scale.workloads: %s has no namespace (give namespace, or dr_scale.namespace)." % w.get("name"))
    smoke = _dict(settings.get("smoke_test"))
    if not (smoke.get("job") or smoke.get("http")):
        out.append("cloudops_failover.smoke_test needs a job or an http check: the smoke test passing on DR ends the RTO clock.")
    if uses_colour(settings) and not _dict(alb.get("dr")).get("load_balancer_name"):
        out.append("A name uses {colour}, the DR active colour, but cloudops_alb.dr (load_balancer_name, listener_port, target_groups) is missing.")
    # The drill's marker count is checked with the request (runbook_request._failover_drill).
    return out


APP_CACHE_KEYS = ("cache_host_key", "cache_port_key")


def store_settings_problems(settings, cache, buckets):
    """cloudops_failover.app_db's keys of the cache and the buckets (the application's other state stores, repointed
    with the database): each names a store the estate declares (cloudops_cache, cloudops_buckets)."""
    app_db, out = _dict(_dict(settings).get("app_db")), []
    given = [key for key in APP_CACHE_KEYS if app_db.get(key)]
    if given and not _dict(cache).get("global_datastore_id"):
        out.append("cloudops_failover.app_db.%s is set but the estate declares no cache (cloudops_cache): remove it or declare the cache."
                   % given[0])
    elif len(given) == 1:
        out.append("cloudops_failover.app_db needs both cache_host_key and cache_port_key (the application's cache endpoint), or neither.")
    bucket_keys = app_db.get("bucket_keys")
    if bucket_keys not in (None, "", {}) and not isinstance(bucket_keys, dict):
        out.append("cloudops_failover.app_db.bucket_keys must map a bucket of cloudops_buckets to the Secret key holding its name.")
    else:
        declared = [b.get("name") for b in _list(buckets) if isinstance(b, dict)]
        for name in sorted(_dict(bucket_keys)):
            if name not in declared:
                out.append("cloudops_failover.app_db.bucket_keys names bucket %s, which cloudops_buckets does not declare (it has: %s)."
                           % (name, ", ".join(str(d) for d in declared) or "none"))
    return out


def stores_plan(cache, buckets, regions, settings):
    """The estate's cache and buckets as the failover and drill steps use them: the cache (cloudops_cache, its Secret
    keys, the failback's catch-up lag, the drill markers' connection) or None, the buckets (cloudops_buckets with their
    regions resolved and their Secret key, '' when the application's Secret does not name them)."""
    app_db, regions = _dict(_dict(settings).get("app_db")), _dict(regions)
    cache_settings = _dict(_dict(settings).get("cache"))
    cache = _dict(cache)
    connection = _dict(_dict(_dict(_dict(settings).get("drill")).get("markers")).get("cache_connection"))
    bucket_keys = _dict(app_db.get("bucket_keys"))
    out = {"cache": None, "buckets": [], "regions": {"primary": regions.get("primary"), "dr": regions.get("dr")}}
    if cache.get("global_datastore_id"):
        out["cache"] = {
            "global_datastore_id": cache["global_datastore_id"],
            "primary": {"region": _dict(cache.get("primary")).get("region"),
                        "replication_group_id": _dict(cache.get("primary")).get("replication_group_id")},
            "secondary": {"region": _dict(cache.get("secondary")).get("region"),
                          "replication_group_id": _dict(cache.get("secondary")).get("replication_group_id")},
            "host_key": app_db.get("cache_host_key") or "", "port_key": app_db.get("cache_port_key") or "",
            "wait_timeout": _int(cache_settings.get("wait_timeout"), 600),
            "failback_max_lag_seconds": float(cache_settings.get("failback_max_lag_seconds") or 1.0),
            "connection": {"host_override": connection.get("host_override") or "", "port_override": _int(connection.get("port_override"), 0),
                           # omitted, the group's in-transit encryption decides
                           "tls": as_bool(connection["tls"]) if connection.get("tls") not in (None, "") else None,
                           "auth_token": connection.get("auth_token") or "", "connect_timeout": float(connection.get("connect_timeout") or 5.0)},
        }
    for bucket in _list(buckets):
        if isinstance(bucket, dict) and bucket.get("name"):
            out["buckets"].append({"name": bucket["name"], "dr_name": bucket.get("dr_name"), "prefix": bucket.get("prefix") or "",
                                   "region": bucket.get("region") or regions.get("primary"),
                                   "dr_region": bucket.get("dr_region") or regions.get("dr"),
                                   "app_key": bucket_keys.get(bucket["name"]) or ""})
    return out


def app_settings(stores, cache_endpoint=None, side="dr"):
    """The Secret keys a failover writes with the database endpoint (db_cutover's settings): the cache's endpoint
    (cache_endpoint {address, port}: the group that serves the side now) and each named bucket's name on that side
    ('dr': the DR bucket; 'primary': the source bucket, for the failback's primary-region Secret)."""
    stores, out = _dict(stores), {}
    cache = stores.get("cache")
    if cache and cache.get("host_key") and cache_endpoint:
        out[cache["host_key"]] = str(cache_endpoint["address"])
        out[cache["port_key"]] = str(cache_endpoint["port"])
    for bucket in _list(stores.get("buckets")):
        if bucket.get("app_key"):
            out[bucket["app_key"]] = bucket["dr_name"] if side == "dr" else bucket["name"]
    return out


def markers_stores(stores):
    """rds_drill_markers' arguments for the cache and bucket markers ({} when the estate declares neither)."""
    stores, out = _dict(stores), {}
    cache = stores.get("cache")
    if cache:
        out["cache"] = dict((key, cache[key]) for key in ("global_datastore_id", "primary", "secondary"))
        out["cache_connection"] = cache["connection"]
    if stores.get("buckets"):
        out["buckets"] = [dict((key, b[key]) for key in ("name", "dr_name", "prefix", "region", "dr_region")) for b in stores["buckets"]]
    return out


def aurora_plan_problems(rds):
    """What an Aurora global database's cloudops_rds lacks for a failover or drill (each naming the variable)."""
    out = [] if rds.get("global_cluster_id") else ["cloudops_rds.global_cluster_id names the Aurora global database."]
    for side in aurora.SIDES:
        spec = _dict(rds.get(side))
        if not (spec.get("region") and spec.get("cluster_id") and _list(spec.get("instance_ids"))):
            out.append("cloudops_rds.%s needs region, cluster_id and instance_ids (the markers are written and read on its first "
                       "instance)." % side)
    return out


def database_plan(rds):
    """The plan's primary and replica (the instances markers are written to and read from: each cluster's first
    instance, its writer when it writes) and, on an Aurora global database, `aurora` (the global cluster and each
    cluster: what the switchover and the way back name); `aurora` is None on the replica shape."""
    if db_shape.shape(rds) != db_shape.AURORA_GLOBAL:
        # The DR database: the read replica, or (restore-based DR) the instance a failover restores there.
        dr = _dict(rds.get("replica") or rds.get("dr_restore"))
        return {"primary": {"instance_id": _dict(rds.get("primary")).get("instance_id"), "region": _dict(rds.get("primary")).get("region")},
                "replica": {"instance_id": dr.get("instance_id"), "region": dr.get("region")},
                "aurora": None}

    def side(name):
        spec = _dict(rds.get(name))
        return {"instance_id": (_list(spec.get("instance_ids")) or [None])[0], "region": spec.get("region"), "cluster_id": spec.get("cluster_id")}

    return {"primary": side("primary"), "replica": side("secondary"),
            "aurora": {"global_cluster_id": rds.get("global_cluster_id"), "primary": side("primary"), "secondary": side("secondary")}}


def colour_problem(operation, alb_dr, traffic):
    """None when the DR load balancer has one active colour among its target groups; else the refusal."""
    groups = _dict(_dict(alb_dr).get("target_groups"))
    traffic = _dict(traffic)
    if traffic.get("active_colour") in groups:
        return None
    return ("%s refused, nothing changed: the DR load balancer %s forwards to %s (active colour %s), so {colour} in cloudops_failover "
            "names no single release. Finish or roll back the DR deploy first."
            % (what(operation), _dict(alb_dr).get("load_balancer_name"), json.dumps(traffic.get("weights")), traffic.get("active_colour")))


def blocking_checks(operation, resuming, max_lag_override, given=None, audit=None, shape=db_shape.REPLICA):
    """The readiness checks that refuse the run when they fail (given ones win). shape: db_shape.shape(cloudops_rds)
    (an Aurora global database's checks are the secondary cluster's, module_utils/aurora.py; restore-based DR's
    the restore point in DR, module_utils/restore_dr.py). With the audit, a new run is also refused by the cache and
    bucket checks it holds (state_store_blocking)."""
    if given:
        return list(given)
    if shape == db_shape.AURORA_GLOBAL:
        database = aurora_blocking_checks(operation, resuming, max_lag_override)
    elif shape == db_shape.RESTORE:
        # Restore-based DR judges the newest restore point in DR instead of a replica.
        database = ([] if resuming else list(RESTORE_DRILL_BLOCKING)) if operation == DRILL else (
            ["dr_cluster_active"] + ([] if max_lag_override or resuming else [restore_dr.FINDING]))
    elif operation == DRILL:
        database = [] if resuming else list(DRILL_BLOCKING)
    elif resuming:
        database = ["dr_cluster_active"]
    else:
        database = ["replica_role", "dr_cluster_active"] + ([] if max_lag_override else ["replica_lag"])
    # A resumed run is past its readiness audit; a drill never accepts a late cache or bucket copy.
    return database + ([] if resuming else state_store_blocking(max_lag_override and operation == FAILOVER, audit))


def state_store_blocking(max_lag_override, audit):
    """The cache and bucket checks of the audit's findings (an estate with cloudops_cache / cloudops_buckets) that
    refuse a new run; the lag ones give way to the max lag override as replica_lag does."""
    present = set(f.get("check") for f in _list(_dict(audit).get("findings")) if isinstance(f, dict))
    return [c for c in state_stores.BLOCKING if c in present and not (max_lag_override and c in state_stores.LAG_CHECKS)]


def aurora_blocking_checks(operation, resuming, max_lag_override):
    """blocking_checks of an Aurora global database: the secondary cluster (present, in the global cluster, not the
    writer, available), its RPO lag (and `connected`) unless overridden, the DR cluster (and, for a drill, backups and
    the node group)."""
    if operation == DRILL:
        return [] if resuming else [aurora.GLOBAL_SECONDARY, aurora.GLOBAL_RPO_LAG, aurora.GLOBAL_BACKUPS, "dr_cluster_active",
                                    "dr_nodegroup_active"]
    if resuming:
        return ["dr_cluster_active"]
    return [aurora.GLOBAL_SECONDARY, "dr_cluster_active"] + ([] if max_lag_override else [aurora.GLOBAL_RPO_LAG])


def readiness(audit, blocking):
    """The readiness part of the plan and of the report: passed, failed_checks, findings, blocking_checks."""
    audit = _dict(audit)
    failed = _list(audit.get("failed_checks"))
    return {"passed": audit.get("passed"), "failed_checks": failed, "findings": _list(audit.get("findings")),
            "blocking_checks": list(blocking),
            "summary": "readiness passed" if audit.get("passed") else "readiness findings: %s" % ", ".join(failed)}


def readiness_refusal(operation, readiness_part, refusal_note=""):
    """The refusal when a blocking readiness check failed (None when none did), with what to do about it."""
    blocking = readiness_part["blocking_checks"]
    blocked = [f for f in readiness_part["findings"] if isinstance(f, dict) and not f.get("passed") and f.get("check") in blocking]
    if not blocked:
        return None
    failed = [f["check"] for f in blocked]
    hints = []
    if "replica_role" in failed:
        hints.append("The DR instance must be a read replica of the primary (after a real failover, rebuild the replica first).")
    elif "replica_lag" in failed and operation == FAILOVER:
        hints.append("Wait for the replica to catch up, or accept losing the writes it lacks with -e failover_max_lag_override=true "
                     "(when the primary region is gone and no better copy exists).")
    elif "replica_lag" in failed:
        hints.append("A drill must not lose more than the RPO budget: wait for the replica to catch up and run it again.")
    stores_late = [c for c in failed if c in state_stores.LAG_CHECKS]
    if stores_late and operation == FAILOVER:
        hints.append("The DR cache or bucket copy is behind: wait for it, or accept losing what it lacks with "
                     "-e failover_max_lag_override=true.")
    elif stores_late:
        hints.append("A drill must not lose more than the RPO budget: wait for the cache and bucket replication to catch up "
                     "(check the probe's bucket and the cache's lag) and run it again.")
    if aurora.GLOBAL_SECONDARY in failed:
        hints.append("The DR cluster must be an available secondary cluster of the global database (after a real failover, fail back first).")
    elif aurora.GLOBAL_RPO_LAG in failed and operation == FAILOVER:
        hints.append("Wait for the secondary cluster to catch up (connected, AuroraGlobalDBRPOLag within the budget), or accept losing the "
                     "writes it lacks with -e failover_max_lag_override=true (when the primary region is gone).")
    elif aurora.GLOBAL_RPO_LAG in failed:
        hints.append("A drill must not lose more than the RPO budget: wait for the secondary cluster to catch up and run it again.")
    if restore_dr.FINDING in failed and operation == FAILOVER:
        hints.append("Restore-based DR: make a fresher restore point reach DR (a snapshot copy, or resume the automated backups' "
                     "replication), or accept the loss with -e %s=true (when the primary region is gone and no better copy "
                     "exists)." % restore_dr.OVERRIDE_VAR)
    elif restore_dr.FINDING in failed:
        hints.append("A drill must not lose more than the RPO budget: make a fresher restore point reach DR and run it again.")
    parts = ["%s refused, nothing changed." % what(operation)] + ["%s: %s." % (f["check"], f.get("detail")) for f in blocked] + hints
    if refusal_note:
        parts.append(str(refusal_note).strip())
    return " ".join(p for p in parts if p)


def preflight_step(started, finished, resumed, summary):
    """The recorded preflight step (module_utils/steps.py): the request, the records, the lock, the readiness, the plan."""
    return steps.make_step("preflight", started, finished, phase="preflight",
                           title="confirmation, readiness audit, plan%s" % (", resume" if resumed else ""), detail=summary)


def _int(value, default):
    """`value | default(default, true) | int`: an empty value (None, '', 0) takes the default."""
    return int(value) if value else default


def as_bool(value):
    """Ansible's `bool` filter: True, 'yes', 'on', 'true', '1' (any case) and 1 are true; anything else is false."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        value = value.strip().lower()
    return value in ("yes", "on", "1", "true", 1)


def _without_none(values):
    return dict((k, v) for k, v in _dict(values).items() if v is not None)


def smoke_test_run(smoke, eks_dr, colour):
    """The smoke_test role's run of the DR side ({colour} replaced)."""
    run = {"side": "dr", "namespace": smoke.get("namespace"), "kubeconfig": eks_dr.get("kubeconfig") or "",
           "context": eks_dr.get("context") or "", "timeout_seconds": _int(smoke.get("timeout_seconds"), 300)}
    job = _dict(smoke.get("job"))
    if job:
        run["job"] = {"name": job.get("name"), "image": job.get("image"), "command": job.get("command"),
                      "env": dict((k, str(v).replace(COLOUR, colour)) for k, v in _dict(job.get("env")).items())}
    http = _dict(smoke.get("http"))
    if http:
        run["http"] = dict(http, url=str(http.get("url") or "").replace(COLOUR, colour))
    return run


def capacity_request(settings, eks):
    """What a drill reads, with the status before, to put the DR capacity back (estate_status's `capacity`): the DR
    node group's sizes when the run scales it, the replicas of the workloads it scales (names may hold {colour})."""
    settings, eks_dr = _dict(settings), _dict(_dict(eks).get("dr"))
    scale = _dict(settings.get("dr_scale"))
    return {"nodegroup": bool(scale.get("nodegroup") and eks_dr.get("nodegroup_name")),
            "workloads": [{"kind": w.get("kind") or "Deployment", "name": str(w.get("name")), "namespace": w.get("namespace") or scale.get("namespace")}
                          for w in _list(scale.get("workloads")) if isinstance(w, dict)],
            "kubeconfig": eks_dr.get("kubeconfig") or "", "context": eks_dr.get("context") or ""}


def markers_login(db, drill):
    """rds_drill_markers' connection arguments: the database of cloudops_db, as the markers' own user when
    cloudops_failover.drill.markers.credentials is given (the runbooks' reads may use a read-only one)."""
    db = dict(_dict(db))
    credentials = _dict(_dict(_dict(drill).get("markers")).get("credentials")) or _dict(db.get("credentials"))
    login = {"login_db": db.get("name"), "ssl_mode": db.get("ssl_mode") or "require"}
    if credentials.get("source") == "secretsmanager":
        login["login_secret_id"] = credentials.get("secret_id")
    else:
        login.update(login_user=credentials.get("username"), login_password=credentials.get("password"))
    if db.get("host_override"):
        login["login_host"] = db["host_override"]
    if db.get("port_override"):
        login["port"] = int(db["port_override"])
    if db.get("ca_cert"):
        login["ca_cert"] = db["ca_cert"]
    return login


def plan(operation, environment, settings, eks, rds, dns, budgets, max_lag_override=False, colour="", db=None,
         cache=None, buckets=None, regions=None):
    """The plan of a failover or drill (the shape of failover_preflight_plan, plus markers_login for a drill)."""
    settings, eks_dr, rds, dns = _dict(settings), _dict(_dict(eks).get("dr")), _dict(rds), _dict(dns)
    promote, scale = _dict(settings.get("promote")), _dict(settings.get("dr_scale"))
    app_db, dns_settings, drill = _dict(settings.get("app_db")), _dict(settings.get("dns")), _dict(settings.get("drill"))
    markers = _dict(drill.get("markers"))
    colour = colour or ""
    nodegroup = _without_none(scale.get("nodegroup")) if scale.get("nodegroup") and eks_dr.get("nodegroup_name") else None
    database = database_plan(rds)
    stores = stores_plan(cache, buckets, regions, settings)
    return {
        "operation": operation, "environment": environment,
        "primary": database["primary"], "replica": database["replica"],
        # An Aurora global database (None on the replica shape): the failover is a global switchover/failover.
        "aurora": database["aurora"],
        "shape": db_shape.shape(rds),
        "restore": restore_settings(rds),
        "budgets": {"rpo_seconds": int(_dict(budgets).get("rpo_seconds")), "rto_seconds": int(_dict(budgets).get("rto_seconds"))},
        "max_lag_override": as_bool(max_lag_override),
        "promote": {"backup_retention_period": promote.get("backup_retention_period"),
                    "lag_lookback_seconds": _int(promote.get("lag_lookback_seconds"), 300),
                    "wait_timeout": _int(promote.get("wait_timeout"), 1800)},
        "dr": {"region": eks_dr.get("region"), "cluster_name": eks_dr.get("cluster_name"), "nodegroup_name": eks_dr.get("nodegroup_name") or "",
               "kubeconfig": eks_dr.get("kubeconfig") or "", "context": eks_dr.get("context") or ""},
        "dr_colour": colour or None,
        "nodegroup": nodegroup,
        "nodegroup_wait_timeout": _int(scale.get("nodegroup_wait_timeout"), 1800),
        "workloads": [{"kind": w.get("kind") or "Deployment", "name": str(w.get("name")).replace(COLOUR, colour),
                       "namespace": w.get("namespace") or scale.get("namespace"), "replicas": int(w.get("replicas"))}
                      for w in _list(scale.get("workloads")) if isinstance(w, dict)],
        "workloads_timeout": _int(scale.get("timeout_seconds"), 600),
        "app_db": {"namespace": app_db.get("namespace"), "secret_name": app_db.get("secret_name"),
                   "host_key": app_db.get("host_key") or "DB_HOST", "port_key": app_db.get("port_key") or "DB_PORT",
                   "create_missing": as_bool(app_db.get("create_missing", False)),
                   "restart_deployments": [str(d).replace(COLOUR, colour) for d in _list(app_db.get("restart_deployments"))],
                   "restart_timeout": _int(app_db.get("restart_timeout"), 600)} if app_db else None,
        "dns": {"zone_name": dns.get("zone_name"), "record_name": dns.get("record_name"),
                "dr_set_identifier": dns_settings.get("dr_set_identifier") or "dr", "wait_timeout": _int(dns_settings.get("wait_timeout"), 300)},
        "smoke_test": smoke_test_run(_dict(settings.get("smoke_test")), eks_dr, colour),
        "record": {"namespace": _dict(settings.get("record")).get("namespace"), "kubeconfig": eks_dr.get("kubeconfig") or "",
                   "context": eks_dr.get("context") or ""},
        "drill": {"markers": {"count": _int(markers.get("count"), 10), "table": markers.get("table") or "cloudops_drill_markers"},
                  "replica": _without_none(drill.get("replica")), "final_snapshot": as_bool(drill.get("final_snapshot", False)),
                  "wait_timeout": _int(drill.get("wait_timeout"), 3600), "status_ignore": _list(drill.get("status_ignore")),
                  "markers_interval_seconds": float(markers.get("interval_seconds") or 0.5)},
        "markers_login": markers_login(db, drill) if operation == DRILL and db else None,
        # The estate's cache and buckets (issue 20): failed over (the cache) and repointed (both) with the database.
        "stores": stores,
        "markers_stores": markers_stores(stores) if operation == DRILL else {},
    }


def restore_settings(rds):
    """Restore-based DR: cloudops_rds.dr_restore with its defaults (what the restore in DR and its cleanup read), else None."""
    if db_shape.shape(rds) != db_shape.RESTORE:
        return None
    spec = _dict(_dict(rds).get("dr_restore"))
    return {"region": spec.get("region"), "instance_id": spec.get("instance_id"), "source": spec.get("source") or restore_dr.NEWEST,
            "instance_class": spec.get("instance_class") or None, "subnet_group": spec.get("subnet_group") or None,
            "vpc_security_group_ids": [str(g) for g in _list(spec.get("vpc_security_group_ids"))],
            "parameter_group": spec.get("parameter_group") or None, "multi_az": spec.get("multi_az"),
            "wait_timeout": _int(spec.get("wait_timeout"), 3600),
            "source_instance_id": _dict(_dict(rds).get("primary")).get("instance_id")}


# ------------------------------------------------------------------------------------------------ progress records
FAILOVER_RECORD, DRILL_RECORD = "cloudops-failover", "cloudops-failover-drill"
UNFINISHED = ("in_progress", "failed")


def progress(operation, records, new_run_id, started_at, dr_region, namespace):
    """What the progress records (ConfigMaps cloudops-failover and cloudops-failover-drill on the DR cluster) mean for
    this run: {refusal, resumed, resuming (fewer readiness checks block), run_id, record (this runbook's own), other
    (the other runbook's), refusal_note, first_started_at, supersede_drill}."""
    records = _dict(records)
    failover, drill = records.get(FAILOVER_RECORD), records.get(DRILL_RECORD)
    failover_outcome = _dict(failover).get("outcome", "")
    drill_outcome = _dict(drill).get("outcome", "")
    out = {"refusal": None, "refusal_note": "", "supersede_drill": False}
    if operation == DRILL:
        if failover and failover_outcome in UNFINISHED:
            out["refusal"] = ("Failover drill refused, nothing changed: the failover %s started %s is %s (ConfigMap %s/%s on the DR cluster). "
                              "Finish it with playbooks/failover.yml."
                              % (failover.get("run_id", ""), failover.get("started_at", ""), failover_outcome, namespace, FAILOVER_RECORD))
        resumed = bool(drill) and drill_outcome == "in_progress"
        if failover and failover_outcome == "failed_over" and not out["refusal"]:
            # Refused, not just noted: a drill's failback would throw away what production wrote on DR.
            out["refusal"] = ("Failover drill refused, nothing changed: the failover record says this estate failed over for real (run %s, "
                              "ConfigMap %s/%s on the DR cluster): production runs on %s, and a drill would fail it back without the "
                              "writes made there. Return to the primary region with playbooks/failback.yml first."
                              % (failover.get("run_id"), namespace, FAILOVER_RECORD, dr_region))
        own, other, resuming = drill, failover, resumed
    else:
        resumed = bool(failover) and failover_outcome in UNFINISHED
        if failover and failover_outcome == "failed_over":
            out["refusal_note"] = ("The progress record says this estate already failed over (run %s, smoke test passed %s): production "
                                   "runs on %s." % (failover.get("run_id"), failover.get("smoke_passed_at", "?"), dr_region))
        out["supersede_drill"] = bool(drill) and drill_outcome == "in_progress"
        own, other, resuming = failover, drill, resumed or out["supersede_drill"]
    out.update(resumed=resumed, resuming=resuming, record=own if resumed else None, other=other,
               run_id=own["run_id"] if resumed else new_run_id,
               first_started_at=(own.get("started_at") or started_at) if resumed else started_at)
    return out


def cache_failover_args(plan_, direction):
    """elasticache_global_failover's arguments: 'failover' makes the DR group the primary, behind the RPO budget as its
    lag gate (none under the max lag override, as for the database); 'failback' makes the primary region's group the
    primary again once it has caught up (its lag within the cache's failback_max_lag_seconds, within wait_timeout)."""
    plan_ = _dict(plan_)
    cache = _dict(_dict(plan_.get("stores")).get("cache"))
    if not cache:
        return None
    target = cache["secondary"] if direction == "failover" else cache["primary"]
    args = {"global_datastore_id": cache["global_datastore_id"], "region": target["region"],
            "replication_group_id": target["replication_group_id"], "wait_timeout": cache["wait_timeout"],
            "lag_lookback_seconds": _dict(plan_.get("promote")).get("lag_lookback_seconds") or 300}
    if direction == "failover":
        if not plan_.get("max_lag_override"):
            args["max_lag_seconds"] = float(_dict(plan_.get("budgets")).get("rpo_seconds"))
    else:
        args["catch_up"] = {"max_lag_seconds": cache["failback_max_lag_seconds"], "timeout": cache["wait_timeout"]}
    return args
