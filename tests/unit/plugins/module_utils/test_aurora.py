# -*- coding: utf-8 -*-
from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness
from ansible_collections.cloudops.runbooks.plugins.module_utils import status

PRIMARY_ARN = "arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora"
DR_ARN = "arn:aws:rds:us-west-2:123456789012:cluster:shop-aurora-dr"
RDS = {"engine": "aurora-postgresql", "global_cluster_id": "shop-global",
       "primary": {"region": "us-east-1", "cluster_id": "shop-aurora"},
       "secondary": {"region": "us-west-2", "cluster_id": "shop-aurora-dr"}}


def global_cluster(sync="connected", writer=PRIMARY_ARN, members=(PRIMARY_ARN, DR_ARN), state=None):
    found = {"Status": "available", "Engine": "aurora-postgresql", "EngineVersion": "15.4",
             "GlobalClusterMembers": [dict({"DBClusterArn": arn, "IsWriter": arn == writer},
                                           **({} if arn == writer else {"SynchronizationStatus": sync})) for arn in members]}
    if state:
        found["FailoverState"] = state
    return found


def cluster(arn, status="available", retention=7, writer_instance=None):
    return {"DBClusterArn": arn, "Status": status, "Engine": "aurora-postgresql", "EngineVersion": "15.4", "Endpoint": "w", "Port": 5432,
            "ReaderEndpoint": "r", "BackupRetentionPeriod": retention,
            "DBClusterMembers": [{"DBInstanceIdentifier": writer_instance or "i-1", "IsClusterWriter": bool(writer_instance)}]}


def test_roles_follow_the_global_cluster_members():
    found = global_cluster()
    assert aurora.role(found, cluster(PRIMARY_ARN)) == aurora.WRITER
    assert aurora.role(found, cluster(DR_ARN)) == aurora.SECONDARY
    assert aurora.role(global_cluster(members=(PRIMARY_ARN,)), cluster(DR_ARN)) == aurora.NOT_MEMBER
    assert aurora.role(found, None) == aurora.MISSING
    assert aurora.role(global_cluster(writer=DR_ARN), cluster(DR_ARN)) == aurora.WRITER


def test_the_secondary_report_carries_the_rpo_lag_and_its_verdict():
    entry = aurora.cluster_report(RDS["secondary"], cluster(DR_ARN), global_cluster(), 1500, 700, 60)
    assert entry["role"] == "secondary" and entry["synchronization_status"] == "connected"
    assert entry["replica_lag_seconds"] == 1.5 and entry["replication_lag_seconds"] == 0.7 and entry["lag_verdict"] == "ok"
    writer = aurora.cluster_report(RDS["primary"], cluster(PRIMARY_ARN, writer_instance="shop-aurora-1"), global_cluster(), None, None, 60)
    assert writer["role"] == "writer" and writer["lag_verdict"] is None and writer["instances"] == [{"instance_id": "shop-aurora-1", "writer": True}]
    assert aurora.cluster_report(RDS["secondary"], None, global_cluster(), None, None, 60)["exists"] is False


def test_the_rpo_gate_closes_over_budget_unknown_and_unsynced_and_opens_with_the_override():
    assert aurora.rpo_gate(1.0, 60)["allowed"] is True
    over = aurora.rpo_gate(90, 60)
    assert over["allowed"] is False and over["verdict"] == "over" and "failover_max_lag_override" in over["reason"]
    assert aurora.rpo_gate(None, 60)["verdict"] == "unknown"
    unsynced = aurora.rpo_gate(0.5, 60, synchronization_status="pending-resync")
    assert unsynced["allowed"] is False and unsynced["verdict"] == "unknown" and "pending-resync" in unsynced["problem"]
    forced = aurora.rpo_gate(90, 60, override=True)
    assert forced["allowed"] is True and forced["overridden"] is True


def checks(findings):
    return dict((item["check"], item["passed"]) for item in findings)


def test_secondary_findings_name_what_is_wrong():
    ok = aurora.secondary_findings("shop-global", RDS["secondary"], global_cluster(), cluster(DR_ARN), 800, 60)
    assert checks(ok) == {"global_secondary": True, "global_rpo_lag": True}
    missing = aurora.secondary_findings("shop-global", RDS["secondary"], global_cluster(), None, None, 60)
    assert checks(missing) == {"global_secondary": False, "global_rpo_lag": False} and "not found" in missing[0]["detail"]
    outside = aurora.secondary_findings("shop-global", RDS["secondary"], global_cluster(members=(PRIMARY_ARN,)), cluster(DR_ARN), None, 60)
    assert "not a member" in outside[0]["detail"]
    resync = aurora.secondary_findings("shop-global", RDS["secondary"], global_cluster(sync="pending-resync"), cluster(DR_ARN), 500, 60)
    assert checks(resync) == {"global_secondary": True, "global_rpo_lag": False} and "pending-resync" in resync[1]["detail"]
    lagging = aurora.secondary_findings("shop-global", RDS["secondary"], global_cluster(), cluster(DR_ARN), 120000, 60)
    assert checks(lagging) == {"global_secondary": True, "global_rpo_lag": False} and "over the RPO budget" in lagging[1]["detail"]
    writer = aurora.secondary_findings("shop-global", RDS["secondary"], global_cluster(writer=DR_ARN), cluster(DR_ARN), None, 60)
    assert "already running on DR" in writer[0]["detail"]
    assert "global cluster shop-global not found" in aurora.secondary_findings("shop-global", RDS["secondary"], None, None, None, 60)[0]["detail"]


def test_estate_readiness_of_an_aurora_estate_adds_the_dr_cluster_and_dns():
    read = {"global_cluster": global_cluster(), "clusters": {"primary": cluster(PRIMARY_ARN), "secondary": cluster(DR_ARN)},
            "lags": {"secondary": (400, 400)}, "info": {"global_cluster": {"global_cluster_id": "shop-global"}}}
    found = readiness.aurora_estate_readiness(read, {"cluster": {"status": "ACTIVE"}, "nodegroups": []}, None, None,
                                              {"rds": RDS, "cluster_name": "shop-dr", "rpo_budget_seconds": 60})
    assert found["passed"] is True
    assert [item["check"] for item in found["findings"]] == ["global_secondary", "global_rpo_lag", "global_backups", "dr_cluster_active"]
    assert found["observed"]["global_cluster"] == {"global_cluster_id": "shop-global"}


def test_the_dr_database_of_an_aurora_estate_is_its_secondary():
    assert status.estate_sides({"primary": {}, "dr": {}}, RDS, {})["rds_sides"] == ("primary", "secondary")
    assert status.half_dr_problems({"dr": "us-west-2"}, {"dr": {"x": 1}}, RDS, {"dr": {"x": 1}}) == []
    half = status.half_dr_problems({"dr": "us-west-2"}, {"dr": {"x": 1}}, dict(RDS, secondary=None), {"dr": {"x": 1}})
    assert "cloudops_rds.secondary is not" in half[0]
    assert status.dr_gaps(eks={"dr": {"x": 1}}, rds=dict(RDS, secondary=None), alb={"dr": {"x": 1}}, check_failover=False) == ["cloudops_rds.secondary"]


def test_the_status_table_and_summary_show_the_global_database():
    rds = {"global_cluster": aurora.global_report("shop-global", global_cluster()),
           "primary": aurora.cluster_report(RDS["primary"], cluster(PRIMARY_ARN), global_cluster(), None, None, 60),
           "secondary": aurora.cluster_report(RDS["secondary"], cluster(DR_ARN), global_cluster(), 500, 500, 60)}
    report = {"environment": "sandbox-aurora", "rds": rds, "eks": {"primary": {}, "dr": {}}}
    table = status.status_table(report)
    assert "Aurora global database shop-global (available), writer shop-aurora" in table
    assert "connected" in table
    summary = status.step_summary(report)
    assert "global database shop-global writer shop-aurora, secondary shop-aurora-dr RPO lag 0.5 s (ok)" in summary["detail"]
    assert summary["gates"][0]["numbers"]["synchronization_status"] == "connected"


def test_the_switch_back_summary_names_the_clusters():
    assert aurora.switch_summary({"skipped": True}) is None
    assert aurora.switch_summary({"mode": "switchover", "writer_before": DR_ARN, "writer_after": PRIMARY_ARN, "changed": True,
                                  "duration_seconds": 2.0}) == {"mode": "switchover", "writer_before": "shop-aurora-dr",
                                                                "writer_after": "shop-aurora", "changed": True, "duration_seconds": 2.0}


def test_runbooks_with_a_dr_database_refuse_a_shape_they_do_not_serve():
    from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request
    restore = {"primary": {"region": "us-east-1", "instance_id": "shop-db"}, "dr_restore": {"region": "us-west-2", "instance_id": "shop-db-dr"}}
    found = runbook_request.shape_problems("failback", {"cloudops_rds": restore})
    assert found and found[0].startswith("cloudops_rds declares an RDS instance restored in DR") and "the failback runbook serves" in found[0]
    assert runbook_request.shape_problems("failover_drill", {"cloudops_rds": RDS}) == []
    assert runbook_request.shape_problems("status", {"cloudops_rds": restore}) == []
    assert runbook_request.shape_problems("failover", {"cloudops_rds": {"primary": {"instance_id": "x"}}}) == []  # one region: no_dr_problems


def test_estate_status_names_the_identifiers_a_shape_needs():
    from ansible_collections.cloudops.runbooks.plugins.modules import estate_status
    assert estate_status.rds_problems(RDS) == []
    found = estate_status.rds_problems(dict(RDS, global_cluster_id=None, secondary={"region": "us-west-2", "cluster_id": None}))
    assert found == ["rds.global_cluster_id, rds.secondary.cluster_id are required for an Aurora PostgreSQL global database (cloudops_rds)"]
    assert estate_status.rds_problems({"primary": {"region": "us-east-1", "instance_id": None}}) == [
        "rds.primary.instance_id is required for an RDS instance with no DR database (cloudops_rds)"]


def test_a_failback_plan_says_its_shape():
    from ansible_collections.cloudops.runbooks.plugins.module_utils import failback
    replica = {"primary": {"region": "us-east-1", "instance_id": "shop-db"}, "replica": {"region": "us-west-2", "instance_id": "shop-db-dr"}}
    budgets = {"rpo_seconds": 60, "rto_seconds": 900}
    plain = failback.plan("sandbox", {}, {}, {}, replica, {}, {}, budgets, {}, "run-1")
    assert plain["aurora"] is None and "replica" in plain["run"] and "aurora_switchover_args" not in plain
    aurora_rds = dict(RDS, primary=dict(RDS["primary"], instance_ids=["shop-aurora-1"]), secondary=dict(RDS["secondary"], instance_ids=["shop-aurora-dr-1"]))
    found = failback.plan("sandbox", {}, {}, {}, aurora_rds, {}, {}, budgets, {}, "run-1")
    assert found["aurora"]["global_cluster_id"] == "shop-global" and not set(found["run"]) & {"replica", "catchup", "dr_replica"}
    assert found["aurora_switchover_args"]["target_cluster_arn"] == "shop-aurora" and found["aurora_switchover_args"]["mode"] == "switchover"
