# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import failback as fb
from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_reports as rr

FAILOVER = {"run_id": "failover-prod-20260201T080000", "outcome": "failed_over", "started_at": "2026-02-01T08:00:00Z",
            "primary": {"instance_id": "shop-db", "region": "eu-west-1"}, "replica": {"instance_id": "shop-db-dr", "region": "eu-central-1"},
            "dns_before": [{"set_identifier": "primary", "failover": "PRIMARY"}, {"set_identifier": "dr", "failover": "SECONDARY"}],
            "scale_restore": {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6},
                              "workloads": [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1}]}}
SETTINGS = {"record": {"namespace": "shop"}, "dr_scale": {"namespace": "shop", "nodegroup": {"min_size": 3, "desired_size": 3, "max_size": 6},
                                                          "workloads": [{"name": "shop-{colour}", "replicas": 2}]},
            "app_db": {"namespace": "shop", "secret_name": "shop-db", "create_missing": True},
            "smoke_test": {"namespace": "shop", "job": {"name": "smoke", "image": "busybox", "command": ["true"], "env": {"T": "shop-{colour}"}}},
            "dns": {"dr_set_identifier": "dr"}}
EKS = {"primary": {"region": "eu-west-1", "cluster_name": "p", "nodegroup_name": "p-w", "kubeconfig": "/k/p"},
       "dr": {"region": "eu-central-1", "cluster_name": "d", "nodegroup_name": "d-w", "kubeconfig": "/k/d"}}
RDS = {"primary": {"instance_id": "shop-db", "region": "eu-west-1"}, "replica": {"instance_id": "shop-db-dr", "region": "eu-central-1"}}
DB = {"name": "shop", "credentials": {"source": "secretsmanager", "secret_id": "shop/db/master"}}


def records(failover=None):
    return {"cloudops-failover": failover}


def test_refusals_of_the_failover_record():
    assert "no failover record" in fb.progress(records(), "fb-1", "t", "shop")["refusal"]
    assert "not failed_over" in fb.progress(records(dict(FAILOVER, outcome="failed")), "fb-1", "t", "shop")["refusal"]
    back = dict(FAILOVER, outcome="failed_back", failback={"run_id": "fb-0", "finished_at": "x"})
    assert "already failed back by fb-0" in fb.progress(records(back), "fb-1", "t", "shop")["refusal"]


def test_a_new_failback_and_a_resumed_one():
    new = fb.progress(records(FAILOVER), "fb-1", "2026-02-02T00:00:00Z", "shop")
    assert new["refusal"] is None and new["resumed"] is False and new["run_id"] == "fb-1"
    running = dict(FAILOVER, failback={"run_id": "fb-0", "outcome": "failed", "phase": "switchover", "started_at": "2026-02-01T09:00:00Z"})
    resumed = fb.progress(records(running), "fb-1", "2026-02-02T00:00:00Z", "shop")
    assert resumed["resumed"] is True and resumed["run_id"] == "fb-0" and resumed["first_started_at"] == "2026-02-01T09:00:00Z"


def test_a_resumed_failback_never_rebuilds_the_replica_after_the_switchover_started():
    assert fb.steps_to_run("started")[:2] == ["replica", "catchup"]
    assert "replica" not in fb.steps_to_run("switchover") and fb.steps_to_run("switchover")[0] == "writes_stop"
    assert fb.steps_to_run("served") == ["dr_replica", "dr_scale", "dr_app_db", "writes_back"]
    assert fb.steps_to_run("done") == []


def test_the_primary_region_unreachable_is_refused():
    assert fb.unreachable_refusal("eu-west-1", {"status_report": {"eks": {"primary": {"status": "ACTIVE"}}}}) is None
    refusal = fb.unreachable_refusal("eu-west-1", {"failed": True, "msg": "primary eks: could not connect"})
    assert refusal.startswith("Failback refused, nothing changed: the primary region eu-west-1 is not reachable")
    assert "could not connect" in refusal
    assert "is CREATING" in fb.unreachable_refusal("eu-west-1", {"status_report": {"eks": {"primary": {"cluster_name": "p", "status": "CREATING"}}}})


def test_plan_problems():
    assert fb.plan_problems(SETTINGS, {}, FAILOVER) == []
    assert "dr_standby.workloads" in " ".join(fb.plan_problems(SETTINGS, {}, dict(FAILOVER, scale_restore=None)))
    assert fb.plan_problems(SETTINGS, {}, dict(FAILOVER, scale_restore=None), check_standby=False) == []
    text = " ".join(fb.plan_problems(SETTINGS, {"old_primary": "keep", "writes_stop": {"mode": "maintenance"}}, FAILOVER))
    assert "cloudops_failback.old_primary must be snapshot or delete" in text
    assert "cloudops_failback.writes_stop.maintenance needs namespace and name" in text
    assert "cloudops_failback.writes_stop.mode must be scale or maintenance" in " ".join(fb.plan_problems(SETTINGS, {"writes_stop": {"mode": "off"}}, FAILOVER))


def test_maintenance_mode_stops_the_writes_and_puts_them_back():
    failback = {"writes_stop": {"mode": "maintenance", "maintenance": {"namespace": "shop", "name": "shop-mode", "data": {"MAINTENANCE": "on"},
                                                                       "restore": {"MAINTENANCE": "off"}}}}
    assert fb.plan_problems(SETTINGS, failback, FAILOVER) == []
    p = fb.plan("prod", SETTINGS, failback, EKS, RDS, {}, DB, {"rpo_seconds": 60, "rto_seconds": 900}, FAILOVER, "r")
    assert p["writes_stop_module"] == "kubernetes.core.k8s" and p["writes_stop_args"]["kubeconfig"] == "/k/d"
    assert p["writes_stop_args"]["definition"]["data"] == {"MAINTENANCE": "on"}
    assert p["writes_back_args"]["definition"]["data"] == {"MAINTENANCE": "off"}
    scaled = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, {"rpo_seconds": 60, "rto_seconds": 900}, FAILOVER, "r")
    assert scaled["writes_stop_module"] == "cloudops.runbooks.eks_capacity" and scaled["writes_back_args"] is None


def test_plan_steps_arguments():
    p = fb.plan("prod", SETTINGS, {}, EKS, RDS, {"zone_name": "z", "record_name": "app"}, DB, {"rpo_seconds": 60, "rto_seconds": 900},
                FAILOVER, "failback-prod-20260202T000000", colours={"primary": "green", "dr": "blue"})
    assert p["run"][0] == "replica" and p["old_primary"] == "snapshot"
    replica = p["replica_args"]
    assert replica["instance_id"] == "shop-db" and replica["region"] == "eu-west-1" and replica["source_instance"] == "shop-db-dr"
    assert replica["replace"] is True and replica["final_snapshot_id"] == "shop-db-final-failback-prod-20260202t000000"
    assert "skip_final_snapshot" not in replica
    assert p["writes_stop_args"]["workloads"] == [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 0}]
    assert p["primary_scale_args"]["workloads"][0]["name"] == "shop-green"  # the primary side's own colour
    assert p["dr_scale_args"]["workloads"] == FAILOVER["scale_restore"]["workloads"]
    assert p["dr_scale_args"]["nodegroup"] == {"min_size": 1, "desired_size": 1, "max_size": 6}
    assert p["dns_args"]["records"] == FAILOVER["dns_before"]
    assert p["switchover_args"]["login_secret_id"] == "shop/db/master" and p["switchover_args"]["source_region"] == "eu-central-1"
    assert replica["tags"] == {"cloudops:failback-run": "failback-prod-20260202T000000"}  # a re-run knows the instance it promoted
    assert p["app_db_args"]["kubeconfig"] == "/k/p" and p["app_db_args"]["state"] == "present"
    assert p["dr_app_db_args"]["kubeconfig"] == "/k/d" and p["dr_app_db_args"]["state"] == "rolled_back"
    assert p["smoke_args"]["env"] == {"T": "shop-green"} and p["smoke_args"]["kubeconfig"] == "/k/p"
    deleted = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, {"rpo_seconds": 60, "rto_seconds": 900}, FAILOVER, "r", old_primary="delete")
    assert deleted["replica_args"]["skip_final_snapshot"] is True and deleted["dr_replica_args"]["skip_final_snapshot"] is True


def test_catchup_lag_and_refusal():
    assert fb.caught_up(3, [1, 2, 3]) and not fb.caught_up(4, [1, 2, 3])
    assert fb.lag_seconds(100.0, 130.5) == 30.5 and fb.lag_seconds(100.0, 130.5, 45.0) == 45.0
    text = fb.catchup_refusal("shop-db", "shop-db-dr", 1800, 1830.0)
    assert "did not receive a marker written on shop-db-dr within 1800 s (lag at least 1830.0 s)" in text


def test_record_and_report_of_a_failback():
    facts = {"environment": "prod", "run_id": "fb-1", "check_mode": False, "resumed": False, "error": "", "run_started_at": "2026-02-02T00:00:00Z",
             "record": FAILOVER, "state": {}, "budgets": {"rpo_seconds": 60, "rto_seconds": 900},
             "plan": {"old_primary": "snapshot", "old_primary_snapshot": "s", "primary": RDS["primary"], "dr_db": RDS["replica"], "run": fb.STEPS},
             "steps": [], "writes_stop": {"cloudops_step": {"started_at": "2026-02-02T00:01:00Z"}},
             "switchover": {"rpo_rows": 0, "marker_seq": 2, "wait_seconds": 0.5, "caught_up": True, "promoted_at": "2026-02-02T00:01:20Z"},
             "serving": {"smoke_passed_at": "2026-02-02T00:01:40Z", "dns_insync_at": "2026-02-02T00:01:45Z"}}
    started = rr.failback_record(facts, "started")
    assert started["outcome"] == "failed_over" and started["failback"]["phase"] == "started" and started["failback"]["run_id"] == "fb-1"
    done = rr.failback_record(dict(facts, record=started), "done")
    assert done["outcome"] == "failed_back" and done["failback"]["outcome"] == "completed" and done["failback"]["rpo"]["rows"] == 0
    failed = rr.failback_record(dict(facts, record=rr.failback_record(facts, "switchover"), error="x: boom"), "failed")
    assert failed["failback"]["outcome"] == "failed" and failed["failback"]["phase"] == "switchover" and failed["outcome"] == "failed_over"
    report = rr.failback_report(facts)
    assert report["outcome"] == "failed_back" and report["rto"]["seconds"] == 45.0 and report["rpo"]["rows"] == 0
    assert report["rpo"]["within_budget"] is True and rr.failback_fail_message(report) == ""
    failed_report = rr.failback_report(dict(facts, error="Failback | 4: boom"))
    assert failed_report["outcome"] == "failed" and rr.failback_fail_message(failed_report).startswith("Failback failed: Failback | 4: boom")


def test_the_failover_record_keeps_the_dr_sizes_before_the_scale_up():
    restore = rr.scale_restore({"changed": True, "before": {"min_size": 1, "desired_size": 1, "max_size": 6}},
                               {"workloads": [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "before": 1, "replicas": 2,
                                               "changed": True}]})
    assert restore == {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6},
                       "workloads": [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1}]}
    assert rr.scale_restore({"changed": False}, {"workloads": [{"name": "x", "before": 2, "replicas": 2, "changed": False}]}) is None


def test_dr_standby_workloads_keep_the_hpa_bounds_the_failover_recorded():
    recorded = [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 6}},
                {"name": "shop-{colour}-worker", "replicas": 0}]
    assert fb._workloads(recorded, "shop", "green") == [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 6}},
        {"kind": "Deployment", "name": "shop-green-worker", "namespace": "shop", "replicas": 0}]


def test_after_a_deploy_on_dr_the_writes_stop_in_every_colour_and_the_active_colour_is_the_warm_standby():
    """Failed over with DR's blue active; a deploy on DR made green active. The writes stop in both colours (an idle
    colour's workers write too); DR's warm standby is the sizes recorded at the failover, for blue (its HPA bounds put
    back) and for green, which DR's load balancer now forwards to."""
    recorded = dict(FAILOVER, scale_restore={"nodegroup": None, "workloads": [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 6}}]})
    p = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, {"rpo_seconds": 60, "rto_seconds": 900}, recorded, "r",
                colours={"primary": "blue", "dr": "green"}, dr_colours=["blue", "green"])
    assert p["writes_stop_args"]["workloads"] == [{"kind": "Deployment", "name": "shop-green", "namespace": "shop", "replicas": 0},
                                                  {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 0}]
    assert p["dr_scale_args"]["workloads"] == [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 6}},
        {"kind": "Deployment", "name": "shop-green", "namespace": "shop", "replicas": 1}]
    # No deploy since the failover: the same colour, nothing added.
    same = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, {"rpo_seconds": 60, "rto_seconds": 900}, recorded, "r",
                   colours={"primary": "blue", "dr": "blue"}, dr_colours=["blue", "green"])
    assert [w["name"] for w in same["dr_scale_args"]["workloads"]] == ["shop-blue"]
    assert [w["name"] for w in same["writes_stop_args"]["workloads"]] == ["shop-blue", "shop-green"]


def test_an_idle_colour_the_writes_stop_scaled_down_returns_to_its_size_before_the_stop():
    p = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, {"rpo_seconds": 60, "rto_seconds": 900}, FAILOVER, "r",
                colours={"primary": "blue", "dr": "blue"}, dr_colours=["blue", "green"])
    stop = {"restore": {"nodegroup": None, "workloads": [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 2},
        {"kind": "Deployment", "name": "shop-green", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 4}}]}}
    expected = [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1},
                {"kind": "Deployment", "name": "shop-green", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 4}}]
    assert fb.standby_args(p, stop)["workloads"] == expected
    # A resumed run: the writes were stopped by the run before, whose record kept what they were.
    record = rr.failback_record({"record": FAILOVER, "run_id": "r", "plan": p, "writes_stop": stop, "steps": []}, "served")
    assert record["failback"]["stopped_workloads"] == stop["restore"]["workloads"]
    assert fb.standby_args(p, {"skipped": True}, record["failback"])["workloads"] == expected
    # Nothing stopped (maintenance mode): the planned standby alone.
    assert fb.standby_args(p, None, {})["workloads"] == expected[:1]


def test_the_cache_and_the_buckets_fail_back_only_where_the_estate_has_them():
    cache = {"global_datastore_id": "g-shop", "primary": {"region": "eu-west-1", "replication_group_id": "shop-cache"},
             "secondary": {"region": "eu-central-1", "replication_group_id": "shop-cache-dr"}}
    buckets = [{"name": "assets-euw1", "dr_name": "assets-euc1"}]
    regions = {"primary": "eu-west-1", "dr": "eu-central-1"}
    failover = dict(FAILOVER, cut_at="2026-02-01T08:01:00Z")
    budgets = {"rpo_seconds": 60, "rto_seconds": 900}
    p = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, budgets, failover, "r", cache=cache, buckets=buckets, regions=regions)
    run = p["run"]
    assert run.index("catchup") < run.index("buckets") < run.index("writes_stop") < run.index("buckets_final") < run.index("switchover")
    assert run.index("switchover") < run.index("cache") < run.index("app_db")
    assert (p["cache_args"]["region"], p["cache_args"]["replication_group_id"]) == ("eu-west-1", "shop-cache")
    assert p["cache_args"]["catch_up"] == {"max_lag_seconds": 1.0, "timeout": 600}
    assert p["buckets_sync_args"] == {"buckets": [{"name": "assets-euw1", "dr_name": "assets-euc1", "prefix": "", "region": "eu-west-1",
                                                   "dr_region": "eu-central-1"}], "regions": regions, "since": "2026-02-01T08:01:00Z"}
    # A resumed run past the switchover's start syncs only what DR took until the writes stopped.
    resumed = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, budgets, failover, "r", phase="switchover", cache=cache, buckets=buckets,
                      regions=regions)
    assert "buckets" not in resumed["run"] and resumed["run"][:2] == ["writes_stop", "buckets_final"]
    plain = fb.plan("prod", SETTINGS, {}, EKS, RDS, {}, DB, budgets, failover, "r")
    assert not set(plain["run"]) & {"buckets", "buckets_final", "cache"}
    assert plain["cache_args"] is None and plain["buckets_sync_args"] is None
