# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_global_cluster_failover against botocore's Stubber: the calls, their parameters, the wait and the RPO lag gate
checked against recorded answers. On the sandbox (sandbox/rdsdata/aurora.py) the module runs in the Aurora runbooks
(tests/integration/test_aurora_runbooks.py: the drill's switchover and way back, the unplanned failover)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import aurora as aurora_io
from ansible_collections.cloudops.runbooks.plugins.modules import rds_global_cluster_failover as module

EAST = "arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora"
WEST = "arn:aws:rds:us-west-2:123456789012:cluster:shop-aurora-dr"
GLOBAL = "shop-global"
DESCRIBE = {"GlobalClusterIdentifier": GLOBAL}


def global_cluster(writer, status="available", failover=None):
    cluster = {"GlobalClusterIdentifier": GLOBAL, "Status": status, "Engine": "aurora-postgresql",
               "GlobalClusterMembers": [
                   {"DBClusterArn": arn, "IsWriter": arn == writer, "Readers": [] if arn != writer else [a for a in (EAST, WEST) if a != writer],
                    "SynchronizationStatus": "connected"} for arn in (EAST, WEST)]}
    if failover:
        cluster["FailoverState"] = failover
    return cluster


def described(*args, **kwargs):
    return {"GlobalClusters": [global_cluster(*args, **kwargs)]}


MOVING = {"Status": "failing-over", "FromDbClusterArn": EAST, "ToDbClusterArn": WEST, "IsDataLossAllowed": False}


def test_switchover_calls_switchover_and_waits_until_the_target_writes(aws):
    rds = aws.stub("rds")
    rds.add_response("describe_global_clusters", described(EAST), DESCRIBE)
    rds.add_response("switchover_global_cluster", {"GlobalCluster": global_cluster(EAST, "switching-over", MOVING)},
                     {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": WEST})
    rds.add_response("describe_global_clusters", described(EAST, "switching-over", MOVING), DESCRIBE)
    rds.add_response("describe_global_clusters", described(WEST, "switching-over", MOVING), DESCRIBE)  # writer moved, not finished
    rds.add_response("describe_global_clusters", described(WEST), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST})
    assert not failed and result["changed"]
    assert (result["writer_before"], result["writer_after"], result["mode"], result["status"]) == (EAST, WEST, "switchover", "available")
    assert result["failover_state"] is None and result["duration_seconds"] >= 0 and result["started_at"] <= result["finished_at"]
    assert [m["is_writer"] for m in result["members"]] == [False, True]
    aws.verify()


def test_failover_needs_allow_data_loss_and_asks_nothing_of_aws_without_it(aws):
    aws.stub("rds")  # no answers: any call would fail the test
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST, "mode": "failover"})
    assert failed and "set allow_data_loss: true to confirm" in result["msg"]
    aws.verify()


def test_failover_with_data_loss_calls_failover_global_cluster(aws):
    rds = aws.stub("rds")
    lost = dict(MOVING, IsDataLossAllowed=True)
    rds.add_response("describe_global_clusters", described(EAST), DESCRIBE)
    rds.add_response("failover_global_cluster", {"GlobalCluster": global_cluster(EAST, "failing-over", lost)},
                     {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": WEST, "AllowDataLoss": True})
    rds.add_response("describe_global_clusters", described(WEST), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST, "mode": "failover",
                                      "allow_data_loss": True})
    assert not failed and result["changed"] and result["writer_after"] == WEST
    aws.verify()


def test_the_target_already_writing_changes_nothing(aws):
    aws.stub("rds").add_response("describe_global_clusters", described(WEST), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST})
    assert not failed and result["changed"] is False and result["writer_after"] == WEST and result["started_at"] is None
    aws.verify()


def test_an_interrupted_run_only_waits_for_the_failover_in_progress(aws):
    rds = aws.stub("rds")
    rds.add_response("describe_global_clusters", described(EAST, "switching-over", MOVING), DESCRIBE)
    rds.add_response("describe_global_clusters", described(WEST), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST})
    assert not failed and result["changed"] is False and result["writer_after"] == WEST
    assert result["duration_seconds"] is not None
    aws.verify()


def test_a_failover_elsewhere_in_progress_is_refused(aws):
    other = "arn:aws:rds:eu-west-1:123456789012:cluster:shop-aurora-eu"
    cluster = global_cluster(EAST, "failing-over", dict(MOVING, ToDbClusterArn=other))
    cluster["GlobalClusterMembers"].append({"DBClusterArn": other, "IsWriter": False, "Readers": []})
    aws.stub("rds").add_response("describe_global_clusters", {"GlobalClusters": [cluster]}, DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST})
    assert failed and "a failover of shop-global to %s is in progress (failing-over)" % other in result["msg"]
    aws.verify()


def test_a_target_outside_the_global_cluster_is_refused_with_the_members(aws):
    aws.stub("rds").add_response("describe_global_clusters", described(EAST), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": "arn:aws:rds:us-west-2:1:cluster:nope"})
    assert failed and "is not a member of global cluster shop-global: target_cluster_arn must be one of %s, %s" % (EAST, WEST) in result["msg"]
    aws.verify()


def test_a_missing_global_cluster_is_named(aws):
    aws.stub("rds").add_client_error("describe_global_clusters", "GlobalClusterNotFoundFault", http_status_code=404,
                                     expected_params=DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST})
    assert failed and result["msg"] == "global cluster shop-global not found: check global_cluster_id"
    aws.verify()


def test_check_mode_predicts_without_calling(aws):
    aws.stub("rds").add_response("describe_global_clusters", described(EAST), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST, "_ansible_check_mode": True,
                                      "_ansible_diff": True})
    assert not failed and result["changed"] and result["writer_after"] == WEST
    assert result["diff"] == {"before": {"global_cluster_id": GLOBAL, "writer": EAST}, "after": {"global_cluster_id": GLOBAL, "writer": WEST}}
    aws.verify()


def test_the_wait_times_out_with_the_state_it_saw(aws):
    rds = aws.stub("rds")
    rds.add_response("describe_global_clusters", described(EAST), DESCRIBE)
    rds.add_response("switchover_global_cluster", {"GlobalCluster": global_cluster(EAST, "switching-over", MOVING)},
                     {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": WEST})
    rds.add_response("describe_global_clusters", described(EAST, "switching-over", MOVING), DESCRIBE)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST, "wait_timeout": 0})
    assert failed and result["changed"] is True
    assert "global cluster shop-global is switching-over with writer %s after" % EAST in result["msg"]
    assert result["failover_state"]["status"] == "failing-over"
    aws.verify()


def test_the_lag_gate_refuses_a_failover_over_the_budget_before_any_call(aws):
    aws.stub("rds").add_response("describe_global_clusters", described(EAST), DESCRIBE)
    lag = {"Datapoints": [{"Timestamp": "2026-01-31T12:00:00Z", "Maximum": 90000.0}]}
    aws.stub("cloudwatch", "us-west-2").add_response("get_metric_statistics", lag)
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": "shop-aurora-dr", "target_region": "us-west-2",
                                      "mode": "failover", "allow_data_loss": True, "rpo_budget_seconds": 60}, patch=(aurora_io,))
    assert failed and not result.get("changed") and result["promoted"] is False
    assert "RPO lag (AuroraGlobalDBRPOLag) 90 s is over the RPO budget of 60 s" in result["msg"]
    assert result["lag_gate"]["verdict"] == "over" and result["lag_at_promotion_seconds"] == 90.0
    aws.verify()  # no failover_global_cluster call


def test_the_override_opens_the_gate_and_the_target_endpoint_is_returned(aws):
    rds = aws.stub("rds")
    rds.add_response("describe_global_clusters", described(EAST), DESCRIBE)
    rds.add_response("failover_global_cluster", {"GlobalCluster": global_cluster(EAST, "failing-over", dict(MOVING, IsDataLossAllowed=True))},
                     {"GlobalClusterIdentifier": GLOBAL, "TargetDbClusterIdentifier": WEST, "AllowDataLoss": True})
    rds.add_response("describe_global_clusters", described(WEST), DESCRIBE)
    aws.stub("cloudwatch", "us-west-2").add_response("get_metric_statistics", {"Datapoints": []})
    aws.stub("rds", "us-west-2").add_response("describe_db_clusters", {"DBClusters": [
        {"DBClusterIdentifier": "shop-aurora-dr", "DBClusterArn": WEST, "Endpoint": "w.example", "Port": 5432, "ReaderEndpoint": "r.example"}]},
        {"DBClusterIdentifier": "shop-aurora-dr"})
    failed, result = aws.run(module, {"global_cluster_id": GLOBAL, "target_cluster_arn": WEST, "mode": "failover", "allow_data_loss": True,
                                      "rpo_budget_seconds": 60, "max_lag_override": True, "endpoint": True}, patch=(aurora_io,))
    assert not failed, result.get("msg")
    assert result["promoted"] and result["lag_gate"]["overridden"] and result["lag_verdict"] == "unknown"
    assert result["instance"]["endpoint"] == {"address": "w.example", "port": 5432} and result["instance"]["id"] == "shop-aurora-dr"
    assert result["step_summary"]["gates"][0]["name"] == "lag at promotion"
    aws.verify()
