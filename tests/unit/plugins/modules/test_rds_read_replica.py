# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_read_replica against botocore's Stubber: a cross-region replica is created with the source's ARN and SourceRegion
(botocore presigns it) and waited for through RDS's real sequence (creating, then available with StatusInfos
"replicating"), which the sandbox never shows; broken replication fails at once; the deletion guards (a primary, a
final snapshot of a replica) refuse before any delete call."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.modules import rds_read_replica as module

SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"
REPLICA_ARN = "arn:aws:rds:us-west-2:123456789012:db:shop-db-dr"
ARGS = {"instance_id": "shop-db-dr", "region": "us-west-2", "source_instance": "shop-db", "source_region": "us-east-1",
        "db_subnet_group_name": "shop-dr-db-subnets", "kms_key_id": "alias/aws/rds", "tags": {"Role": "replica"}}
REPLICATING = [{"StatusType": "read replication", "Status": "replicating", "Normal": True}]


def replica(status="available", source=SOURCE_ARN, **extra):
    found = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceArn": REPLICA_ARN, "DBInstanceStatus": status, "Engine": "postgres",
             "DBSubnetGroup": {"DBSubnetGroupName": "shop-dr-db-subnets"}}
    if source:
        found["ReadReplicaSourceDBInstanceIdentifier"] = source
    found.update(extra)
    return {"DBInstances": [found]}


def not_found(stub, identifier="shop-db-dr"):
    stub.add_client_error("describe_db_instances", "DBInstanceNotFound", "DBInstance %s not found." % identifier,
                          expected_params={"DBInstanceIdentifier": identifier})


def source_answer(retention=7):
    return {"DBInstances": [{"DBInstanceIdentifier": "shop-db", "DBInstanceArn": SOURCE_ARN, "DBInstanceStatus": "available",
                             "Engine": "postgres", "EngineVersion": "15.4", "DBInstanceClass": "db.t3.medium", "DBName": "shop",
                             "BackupRetentionPeriod": retention}]}


def expect_create(west):
    """The create call of ARGS: the source's ARN (looked up from its identifier) and SourceRegion, for the presigning."""
    west.add_response("create_db_instance_read_replica", {"DBInstance": replica("creating")["DBInstances"][0]}, {
        "DBInstanceIdentifier": "shop-db-dr", "SourceDBInstanceIdentifier": SOURCE_ARN, "SourceRegion": "us-east-1",
        "DBSubnetGroupName": "shop-dr-db-subnets", "KmsKeyId": "alias/aws/rds", "Tags": [{"Key": "Role", "Value": "replica"}]})


def run(aws, **args):
    return aws.run(module, dict(ARGS, **args), patch=(rds_failover,))


def test_a_cross_region_replica_is_created_with_the_source_arn_and_waited_for_until_replicating(aws):
    west, east = aws.stub("rds", "us-west-2"), aws.stub("rds", "us-east-1")
    not_found(west)
    east.add_response("describe_db_instances", source_answer(), {"DBInstanceIdentifier": "shop-db"})
    expect_create(west)
    for answer in (replica("creating"), replica("backing-up"), replica("available", StatusInfos=REPLICATING)):
        west.add_response("describe_db_instances", answer, {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, _ansible_diff=True)
    assert not failed and result["changed"] and result["created"] and not result["deleted"]
    assert result["source"] == SOURCE_ARN
    assert result["instance"]["role"] == "replica" and result["instance"]["replication"]["status"] == "replicating"
    assert result["started_at"] <= result["finished_at"] and result["duration_seconds"] >= 0
    assert result["diff"] == {"before": {}, "after": {"instance_id": "shop-db-dr", "role": "replica", "source": SOURCE_ARN,
                                                      "instance_class": "db.t3.medium", "db_subnet_group_name": "shop-dr-db-subnets",
                                                      "tags": {"Role": "replica"}}}
    aws.verify()


def test_an_existing_replica_of_the_source_is_not_created_again(aws):
    aws.stub("rds", "us-west-2").add_response("describe_db_instances", replica(StatusInfos=REPLICATING), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, source_instance=SOURCE_ARN, source_region=None)
    assert not failed and result["changed"] is False and result["created"] is False
    assert result["msg"] == "shop-db-dr already replicates from %s" % SOURCE_ARN
    aws.verify()  # the source (in us-east-1) was not even read


def test_replication_in_error_fails_the_wait_at_once(aws):
    west = aws.stub("rds", "us-west-2")
    west.add_response("describe_db_instances", replica("creating"), {"DBInstanceIdentifier": "shop-db-dr"})
    broken = [{"StatusType": "read replication", "Status": "error", "Normal": False, "Message": "WAL receiver stopped"}]
    west.add_response("describe_db_instances", replica("available", StatusInfos=broken), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, source_instance=SOURCE_ARN, source_region=None)
    assert failed and result["instance"]["replication"]["message"] == "WAL receiver stopped"
    assert "replica shop-db-dr is available (read replication error)" in result["msg"]
    assert "delete it (state: absent) before trying again" in result["msg"]
    aws.verify()


def test_an_arn_and_a_source_region_that_disagree_are_refused(aws):
    failed, result = run(aws, source_instance=SOURCE_ARN, source_region="eu-west-1")
    assert failed and "source_instance is an ARN of us-east-1 but source_region is eu-west-1" in result["msg"]


def test_a_source_without_automated_backups_is_refused_before_any_create(aws):
    west, east = aws.stub("rds", "us-west-2"), aws.stub("rds", "us-east-1")
    not_found(west)
    east.add_response("describe_db_instances", source_answer(retention=0), {"DBInstanceIdentifier": "shop-db"})
    failed, result = run(aws)
    assert failed and "keeps no automated backups (BackupRetentionPeriod 0)" in result["msg"] and result["created"] is False
    aws.verify()


def test_a_primary_is_never_deleted(aws):
    aws.stub("rds", "us-west-2").add_response("describe_db_instances", replica(source=None, ReadReplicaDBInstanceIdentifiers=["x-dr"]),
                                              {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, state="absent", skip_final_snapshot=True)
    assert failed and "has read replicas (x-dr): it is a primary, and this module never deletes one" in result["msg"]
    aws.verify()


def test_a_replica_gets_no_final_snapshot(aws):
    aws.stub("rds", "us-west-2").add_response("describe_db_instances", replica(), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws, state="absent", final_snapshot_id="final-1")
    assert failed and "is a read replica: RDS takes no final snapshot of a replica" in result["msg"]
    aws.verify()


def test_the_final_snapshot_options_must_agree(aws):
    failed, result = run(aws, state="absent", skip_final_snapshot=True, final_snapshot_id="final-1")
    assert failed and result["msg"] == "give either skip_final_snapshot: true or final_snapshot_id, not both"
    failed, result = run(aws, state="absent", skip_final_snapshot=False)
    assert failed and "give final_snapshot_id" in result["msg"]
    failed, result = run(aws, state="absent")
    assert failed and "missing: skip_final_snapshot, final_snapshot_id" in result["msg"]


def test_a_promoted_instance_is_deleted_with_its_final_snapshot_and_waited_for(aws):
    west = aws.stub("rds", "us-west-2")
    west.add_response("describe_db_instances", replica(source=None), {"DBInstanceIdentifier": "shop-db-dr"})
    west.add_response("delete_db_instance", {"DBInstance": replica("deleting", source=None)["DBInstances"][0]}, {
        "DBInstanceIdentifier": "shop-db-dr", "SkipFinalSnapshot": False, "FinalDBSnapshotIdentifier": "final-1",
        "DeleteAutomatedBackups": True})
    west.add_response("describe_db_instances", replica("deleting", source=None), {"DBInstanceIdentifier": "shop-db-dr"})
    not_found(west)
    failed, result = run(aws, state="absent", final_snapshot_id="final-1")
    assert not failed and result["changed"] and result["deleted"] and result["instance"] is None
    assert result["duration_seconds"] >= 0 and result["finished_at"]
    aws.verify()


def test_a_replica_is_deleted_without_a_final_snapshot(aws):
    west = aws.stub("rds", "us-west-2")
    west.add_response("describe_db_instances", replica(StatusInfos=REPLICATING), {"DBInstanceIdentifier": "shop-db-dr"})
    west.add_response("delete_db_instance", {"DBInstance": replica("deleting")["DBInstances"][0]}, {
        "DBInstanceIdentifier": "shop-db-dr", "SkipFinalSnapshot": True, "DeleteAutomatedBackups": True})
    not_found(west)
    failed, result = run(aws, state="absent", skip_final_snapshot=True, _ansible_diff=True)
    assert not failed and result["changed"] and result["deleted"]
    assert result["diff"] == {"before": {"instance_id": "shop-db-dr", "status": "available", "role": "replica", "source": SOURCE_ARN},
                              "after": {}}
    aws.verify()


def test_an_instance_being_deleted_is_waited_for_then_created_again(aws):
    west, east = aws.stub("rds", "us-west-2"), aws.stub("rds", "us-east-1")
    west.add_response("describe_db_instances", replica("deleting", source=None), {"DBInstanceIdentifier": "shop-db-dr"})
    east.add_response("describe_db_instances", source_answer(), {"DBInstanceIdentifier": "shop-db"})
    west.add_response("describe_db_instances", replica("deleting", source=None), {"DBInstanceIdentifier": "shop-db-dr"})
    not_found(west)
    expect_create(west)
    west.add_response("describe_db_instances", replica("available"), {"DBInstanceIdentifier": "shop-db-dr"})
    failed, result = run(aws)
    assert not failed and result["changed"] and result["created"] and result["instance"]["status"] == "available"
    aws.verify()
