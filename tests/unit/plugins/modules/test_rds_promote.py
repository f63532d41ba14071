# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_promote against botocore's Stubber: the gate refuses before any promote call; a promotion waits for RDS's real
sequence (still attached, modifying, available and detached); an unreachable source region does not stop a failover;
an interrupted promotion is waited for and not repeated."""

from __future__ import annotations

import datetime

import botocore
from botocore.stub import ANY

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.modules import rds_promote as module

SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"
REPLICA_ARN = "arn:aws:rds:us-west-2:123456789012:db:shop-db-dr"
ARGS = {"instance_id": "shop-db-dr", "rpo_budget_seconds": 60, "region": "us-west-2"}
NOW = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)


def replica(status="available", attached=True, **extra):
    found = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceArn": REPLICA_ARN, "DBInstanceStatus": status, "Engine": "postgres",
             "BackupRetentionPeriod": 1, "Endpoint": {"Address": "shop-db-dr.x.us-west-2.rds.amazonaws.com", "Port": 5432}}
    if attached:
        found["ReadReplicaSourceDBInstanceIdentifier"] = SOURCE_ARN
    found.update(extra)
    return {"DBInstances": [found]}


def expect(aws, lag=None, source_lists_replica=True):
    """The reads every run makes: the replica, its source (in us-east-1), the ReplicaLag metric."""
    rds, east, cloudwatch = aws.stub("rds", "us-west-2"), aws.stub("rds", "us-east-1"), aws.stub("cloudwatch", "us-west-2")
    rds.add_response("describe_db_instances", replica(), {"DBInstanceIdentifier": "shop-db-dr"})
    east.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": "shop-db", "ReadReplicaDBInstanceIdentifiers":
                                                                 [REPLICA_ARN] if source_lists_replica else []}]},
                      {"DBInstanceIdentifier": SOURCE_ARN})
    points = [] if lag is None else [{"Timestamp": NOW - datetime.timedelta(minutes=1), "Maximum": 1.0},
                                     {"Timestamp": NOW, "Maximum": lag}]
    cloudwatch.add_response("get_metric_statistics", {"Datapoints": points}, {
        "Namespace": "AWS/RDS", "MetricName": "ReplicaLag", "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": "shop-db-dr"}],
        "StartTime": ANY, "EndTime": ANY, "Period": 60, "Statistics": ["Maximum"]})
    return rds


def run(aws, **args):
    return aws.run(module, dict(ARGS, **args), patch=(rds_failover,))


def test_lag_over_the_budget_is_refused_before_any_promote_call(aws):
    expect(aws, lag=300.0)
    failed, result = run(aws)
    assert failed and result["changed"] is False and result["promoted"] is False
    assert result["msg"].startswith("Refusing to promote shop-db-dr, nothing was changed: replica lag 300 s is over the RPO budget of 60 s")
    assert (result["lag_at_promotion_seconds"], result["lag_verdict"]) == (300.0, "over")
    aws.verify()  # no promote_read_replica was stubbed: a call would have failed differently


def test_no_lag_datapoint_is_refused_as_unknown(aws):
    expect(aws, lag=None)
    failed, result = run(aws, lag_lookback_seconds=120)
    assert failed and result["lag_verdict"] == "unknown" and "no ReplicaLag datapoint in the last 120 s" in result["msg"]
    aws.verify()


def test_the_promotion_waits_until_available_and_detached(aws):
    rds = expect(aws, lag=2.0)
    rds.add_response("promote_read_replica", {"DBInstance": replica()["DBInstances"][0]},
                     {"DBInstanceIdentifier": "shop-db-dr", "BackupRetentionPeriod": 7})
    for answer in (replica(), replica("modifying", attached=False), replica("available", attached=False, BackupRetentionPeriod=7)):
        rds.add_response("describe_db_instances", answer, {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, backup_retention_period=7, _ansible_diff=True)
    assert not failed and result["changed"] and result["promoted"]
    assert (result["lag_at_promotion_seconds"], result["lag_verdict"], result["lag_gate"]["overridden"]) == (2.0, "ok", False)
    assert result["instance"]["role"] == "standalone" and result["instance"]["backup_retention_period"] == 7
    assert result["role_before"] == "replica" and result["source"] == SOURCE_ARN
    assert result["started_at"] <= result["available_at"] and result["duration_seconds"] >= 0
    assert result["diff"]["after"] == {"instance_id": "shop-db-dr", "role": "standalone", "source": None, "backup_retention_period": 7}
    aws.verify()


def test_the_override_promotes_over_the_budget_and_records_it(aws):
    rds = expect(aws, lag=600.0)
    rds.add_response("promote_read_replica", {"DBInstance": replica()["DBInstances"][0]}, {"DBInstanceIdentifier": "shop-db-dr"})
    rds.add_response("describe_db_instances", replica(attached=False), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, max_lag_override=True)
    assert not failed and result["promoted"] and result["lag_gate"]["overridden"] and result["lag_verdict"] == "over"
    aws.verify()


class RegionDown(object):
    """The source region's RDS endpoint does not answer (the reason for the failover)."""

    def describe_db_instances(self, **params):
        raise botocore.exceptions.EndpointConnectionError(endpoint_url="https://rds.us-east-1.amazonaws.com/")


def test_an_unreachable_source_region_does_not_stop_the_promotion(aws):
    rds, cloudwatch = aws.stub("rds", "us-west-2"), aws.stub("cloudwatch", "us-west-2")
    aws.put("rds", "us-east-1", RegionDown())
    rds.add_response("describe_db_instances", replica(), {"DBInstanceIdentifier": "shop-db-dr"})
    cloudwatch.add_response("get_metric_statistics", {"Datapoints": [{"Timestamp": NOW, "Maximum": 5.0}]}, None)
    rds.add_response("promote_read_replica", {"DBInstance": replica()["DBInstances"][0]}, {"DBInstanceIdentifier": "shop-db-dr"})
    rds.add_response("describe_db_instances", replica(attached=False), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws)
    assert not failed and result["promoted"] and result["role_evidence"] == "ReadReplicaSourceDBInstanceIdentifier=%s" % SOURCE_ARN
    aws.verify()


def test_a_standalone_instance_is_left_alone(aws):
    aws.stub("rds", "us-west-2").add_response("describe_db_instances", replica(attached=False), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws)
    assert not failed and result["changed"] is False and result["promoted"] is False and result["role_before"] == "standalone"
    assert "nothing to promote" in result["msg"] and result["lag_gate"] is None
    aws.verify()


def test_a_replica_whose_source_no_longer_lists_it_counts_as_promoted(aws):
    rds, east = aws.stub("rds", "us-west-2"), aws.stub("rds", "us-east-1")
    rds.add_response("describe_db_instances", replica(), {"DBInstanceIdentifier": "shop-db-dr"})
    east.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": "shop-db", "ReadReplicaDBInstanceIdentifiers": []}]},
                      {"DBInstanceIdentifier": SOURCE_ARN})
    failed, result = run(aws)
    assert not failed and result["changed"] is False and result["role_before"] == "standalone"
    aws.verify()


def test_an_interrupted_promotion_is_waited_for_and_not_repeated(aws):
    rds = aws.stub("rds", "us-west-2")
    rds.add_response("describe_db_instances", replica("modifying"), {"DBInstanceIdentifier": "shop-db-dr"})
    rds.add_response("describe_db_instances", replica("modifying", attached=False), {"DBInstanceIdentifier": "shop-db-dr"})
    rds.add_response("describe_db_instances", replica("available", attached=False), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws)
    assert not failed and result["changed"] is False and result["instance"]["status"] == "available"
    aws.verify()


def test_check_mode_applies_the_gate_and_predicts(aws):
    expect(aws, lag=3.0)
    failed, result = run(aws, _ansible_check_mode=True)
    assert not failed and result["changed"] and result["promoted"] and result["started_at"] is None
    aws.verify()


def test_check_mode_on_a_replica_that_is_not_available_predicts_without_waiting(aws):
    rds, east = aws.stub("rds", "us-west-2"), aws.stub("rds", "us-east-1")
    rds.add_response("describe_db_instances", replica("backing-up"), {"DBInstanceIdentifier": "shop-db-dr"})
    east.add_response("describe_db_instances", {"DBInstances": [{"DBInstanceIdentifier": "shop-db", "ReadReplicaDBInstanceIdentifiers": [REPLICA_ARN]}]},
                      {"DBInstanceIdentifier": SOURCE_ARN})
    failed, result = run(aws, _ansible_check_mode=True)
    assert not failed and result["changed"] and "a real run waits until it is available" in result["msg"]
    aws.verify()
