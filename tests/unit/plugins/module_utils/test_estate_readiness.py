# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill's readiness, DR sizes and capacity request judged from the status reads (estate_status with readiness and
capacity): readiness.estate_readiness, capacity.restore_read, failover_plan.capacity_request, steps.module_step."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import capacity
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_plan
from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

SOURCE = {"DBInstanceIdentifier": "shop-db", "BackupRetentionPeriod": 7}
INSTANCE = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceStatus": "available", "DBInstanceClass": "db.t3.micro",
            "ReadReplicaSourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:1:db:shop-db", "MultiAZ": False,
            "TagList": [{"Key": "app", "Value": "shop"}]}
REPLICA = {"info": {"exists": True, "role": "replica", "role_evidence": "pointer", "replica_lag_seconds": 2.0}, "instance": INSTANCE,
           "source": SOURCE}
NODEGROUP = {"nodegroupName": "shop-dr-workers", "status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 6}}
CLUSTER = {"info": {}, "cluster": {"name": "shop-dr", "status": "ACTIVE", "version": "1.30"}, "nodegroups": [NODEGROUP]}


def record(set_id, role, value, check=None):
    return {"name": "app.shop.internal.", "type": "CNAME", "set_identifier": set_id, "failover": role, "weight": None, "ttl": 60,
            "values": [value], "alias": None, "value": value, "health_check_id": check}


DNS = {"records": [record("primary", "PRIMARY", "p.elb", "hc-1"), record("dr", "SECONDARY", "d.elb")], "weighted_records": [],
       "other_records": [], "health_checks": {"hc-1": {"request_interval": 10, "failure_threshold": 3, "healthy": True}}}
SETTINGS = {"replica_id": "shop-db-dr", "cluster_name": "shop-dr", "nodegroup_name": "shop-dr-workers", "record_name": "app.shop.internal",
            "rpo_budget_seconds": 60, "rto_budget_seconds": 900, "lag_lookback_seconds": 300}
TRAFFIC = {"active_colour": "blue", "weights": {"blue": 100, "green": 0}}


def test_the_status_reads_give_the_readiness_audit_of_dr_readiness_info():
    found = readiness.estate_readiness(REPLICA, CLUSTER, DNS, TRAFFIC, SETTINGS)
    assert [(f["check"], f["passed"]) for f in found["findings"]] == [(c, True) for c in readiness.CHECKS]
    assert found["passed"] is True and found["failed_checks"] == []
    assert found["findings"][-1]["detail"] == "TTL 60 s + health check 10 s x 3 = 90 s within the RTO budget of 900 s"
    assert found["findings"][2]["numbers"] == {"backup_retention_days": 7}
    observed = found["observed"]
    assert observed["replica_spec"]["instance_class"] == "db.t3.micro" and observed["replica_spec"]["tags"] == {"app": "shop"}
    assert [r["set_identifier"] for r in observed["dns_records"]] == ["dr", "primary"] and observed["dr_traffic"] == TRAFFIC
    assert found["step_summary"]["measures"] == {"checks": 6, "failed": 0}


def test_a_missing_replica_or_cluster_is_a_failed_check_not_a_failed_read():
    missing = {"info": {"exists": False, "instance_id": "shop-db-dr"}, "instance": None, "source": None}
    gone = {"info": {"exists": False}, "cluster": None, "nodegroups": []}
    found = readiness.estate_readiness(missing, gone, DNS, None, SETTINGS)
    assert found["failed_checks"] == ["replica_role", "replica_lag", "source_backups", "dr_cluster_active", "dr_nodegroup_active"]
    assert found["findings"][0]["detail"].startswith("replica shop-db-dr not found")
    assert found["observed"]["replica_spec"] is None


def test_a_promoted_replica_and_a_lag_over_budget_fail_as_the_audit_says():
    promoted = {"info": {"exists": True, "role": "standalone", "role_evidence": "no replication link"},
                "instance": dict(INSTANCE, ReadReplicaSourceDBInstanceIdentifier=None), "source": None}
    found = readiness.estate_readiness(promoted, CLUSTER, DNS, None, SETTINGS)
    assert found["failed_checks"] == ["replica_role", "replica_lag", "source_backups"]
    late = dict(REPLICA, info=dict(REPLICA["info"], replica_lag_seconds=300.0))
    assert readiness.estate_readiness(late, CLUSTER, DNS, None, SETTINGS)["failed_checks"] == ["replica_lag"]


def test_health_check_configs_from_the_status_views():
    assert readiness.health_configs({"hc-1": {"request_interval": 30, "failure_threshold": 2}}) == {
        "hc-1": {"RequestInterval": 30, "FailureThreshold": 2}}


def test_the_dr_sizes_are_what_eks_capacity_check_mode_returns_as_restore():
    workloads = [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop"}]
    objects = [{"spec": {"replicas": 0}}]
    assert capacity.restore_read(NODEGROUP, workloads, objects) == {
        "nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6},
        "workloads": [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 0}]}
    assert capacity.restore_read(None, [], []) == {"nodegroup": None, "workloads": []}


def test_the_capacity_request_follows_the_plans_nodegroup_and_workloads():
    settings = {"dr_scale": {"namespace": "shop", "nodegroup": {"min_size": 3}, "workloads": [{"name": "shop-{colour}", "replicas": 2}]}}
    eks = {"dr": {"nodegroup_name": "workers", "kubeconfig": "/k"}}
    assert failover_plan.capacity_request(settings, eks) == {
        "nodegroup": True, "workloads": [{"kind": "Deployment", "name": "shop-{colour}", "namespace": "shop"}],
        "kubeconfig": "/k", "context": ""}
    assert failover_plan.capacity_request({"dr_scale": {"nodegroup": {"min_size": 3}}}, {"dr": {}})["nodegroup"] is False


def test_a_module_records_its_own_step_when_given_one():
    result = {"changed": False, "step_summary": steps.summary("read", {"clusters": 2})}
    step = steps.module_step({"step": "status_before", "phase": "failover", "title": "status before"}, 100.0, 102.5,
                             "cloudops.runbooks.estate_status", result)
    assert (step["step"], step["phase"], step["outcome"], step["duration_seconds"], step["measures"]) == (
        "status_before", "failover", "ok", 2.5, {"clusters": 2})
    assert steps.is_step(step) and steps.module_step(None, 1, 2, "m", result) is None
