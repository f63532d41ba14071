# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS calls of the failover modules: promote a read replica, fail an Aurora cluster over in its region, switch or
fail an Aurora global database over to another region. Plain dicts (boto3 shapes); every call passes aws_retry=True
and fails the task with what to fix."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply, client


def source_instance(module, conn, instance):
    """The replica's source instance ({} when it no longer exists), or None when there is none or it cannot be read
    (its region may be the one that failed): replication.replication_role then decides from the replica alone.
    A cross-region source (an ARN) is read in its own region."""
    source_id = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if not source_id:
        return None
    region = rds.region_of_arn(source_id)
    try:
        source_conn = client(module, "rds", region=region) if region and region != conn.meta.region_name else conn
        found = source_conn.describe_db_instances(DBInstanceIdentifier=source_id, aws_retry=True)["DBInstances"]
    except is_boto3_error_code("DBInstanceNotFound"):
        return {}
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):  # pylint: disable=duplicate-except
        return None
    return found[0] if found else {}


def promote_read_replica(module, conn, instance_id, backup_retention_period=None, **context):
    """PromoteReadReplica; returns the instance entry of the answer."""
    params = {"DBInstanceIdentifier": instance_id}
    if backup_retention_period is not None:
        params["BackupRetentionPeriod"] = backup_retention_period

    def applied():
        # The caller promotes an available replica: "modifying" or no longer a replica is this promotion.
        found = _instances(conn, instance_id)
        if found and (found[0].get("DBInstanceStatus") == "modifying"
                      or replication.replication_role(found[0], source_instance(module, conn, found[0]))[0] != replication.REPLICA):
            return {"DBInstance": found[0]}
        return None

    try:
        return apply(conn.promote_read_replica, params, applied)["DBInstance"]
    except is_boto3_error_code("InvalidDBInstanceState") as e:
        module.fail_json_aws(e, msg="RDS refused to promote %s in its current state: wait until it is available (or "
                             "finished an earlier promotion) and run again" % instance_id, **context)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not promote read replica %s: check rds:PromoteReadReplica permission and the "
                             "backup_retention_period" % instance_id, **context)
    return None


def failover_db_cluster(module, conn, cluster_id, target_instance_id=None, **context):
    """FailoverDBCluster (in-region: a reader becomes the writer); returns the cluster entry of the answer."""
    params = {"DBClusterIdentifier": cluster_id}
    if target_instance_id:
        params["TargetDBInstanceIdentifier"] = target_instance_id
    try:
        before = _writer(_clusters(conn, cluster_id))

        def applied():
            found = _clusters(conn, cluster_id)
            if found and (found[0].get("Status") == "failing-over" or _writer(found) != before):
                return {"DBCluster": found[0]}
            return None

        return apply(conn.failover_db_cluster, params, applied)["DBCluster"]
    except is_boto3_error_code(["InvalidDBClusterStateFault", "InvalidDBInstanceState"]) as e:
        module.fail_json_aws(e, msg="RDS refused to fail cluster %s over now: the cluster and %s must be available"
                             % (cluster_id, target_instance_id or "its readers"), **context)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not fail cluster %s over: check rds:FailoverDBCluster permission" % cluster_id, **context)
    return None


def describe_global_cluster(module, conn, global_cluster_id):
    """The GlobalClusters entry, or None when it does not exist."""
    try:
        found = conn.describe_global_clusters(GlobalClusterIdentifier=global_cluster_id, aws_retry=True)["GlobalClusters"]
    except is_boto3_error_code("GlobalClusterNotFoundFault"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe global cluster %s: check rds:DescribeGlobalClusters permission"
                             % global_cluster_id)
    return found[0] if found else None


def switch_global_cluster(module, conn, global_cluster_id, target_cluster_arn, allow_data_loss, **context):
    """SwitchoverGlobalCluster (planned, no data loss) or, with allow_data_loss, FailoverGlobalCluster with
    AllowDataLoss (unplanned: the old writer region is lost). Returns the GlobalCluster entry of the answer."""
    def applied():
        found = conn.describe_global_clusters(GlobalClusterIdentifier=global_cluster_id, aws_retry=True)["GlobalClusters"]
        if not found:
            return None
        state = found[0].get("FailoverState") or {}
        writer = [m.get("DBClusterArn") for m in found[0].get("GlobalClusterMembers", []) if m.get("IsWriter")]
        if writer == [target_cluster_arn] or (state.get("ToDbClusterArn") == target_cluster_arn
                                              and state.get("Status") in ("pending", "failing-over", "switching-over")):
            return {"GlobalCluster": found[0]}
        return None

    try:
        if allow_data_loss:
            return apply(conn.failover_global_cluster, dict(GlobalClusterIdentifier=global_cluster_id,
                                                            TargetDbClusterIdentifier=target_cluster_arn, AllowDataLoss=True),
                         applied)["GlobalCluster"]
        return apply(conn.switchover_global_cluster, dict(GlobalClusterIdentifier=global_cluster_id,
                                                          TargetDbClusterIdentifier=target_cluster_arn),
                     applied)["GlobalCluster"]
    except is_boto3_error_code(["InvalidGlobalClusterStateFault", "InvalidDBClusterStateFault"]) as e:
        module.fail_json_aws(e, msg="RDS refused to %s global cluster %s to %s now: every member must be available%s"
                             % ("fail over" if allow_data_loss else "switch over", global_cluster_id, target_cluster_arn,
                                "" if allow_data_loss else " and in sync (use mode: failover when the writer region is down)"),
                             **context)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not %s global cluster %s: check rds:%sGlobalCluster permission and that %s is a "
                             "secondary cluster ARN of it" % ("fail over" if allow_data_loss else "switch over", global_cluster_id,
                                                              "Failover" if allow_data_loss else "Switchover", target_cluster_arn),
                             **context)
    return None


def create_read_replica(module, conn, params, source_region=None, **context):
    """CreateDBInstanceReadReplica with params (boto3 names) in this client's region; source_region makes it
    cross-region (botocore then presigns the request in the source region, as RDS requires). Returns the new entry."""
    extra = {"SourceRegion": source_region} if source_region else {}

    def applied():
        found = _instances(conn, params["DBInstanceIdentifier"])
        source = (found[0].get("ReadReplicaSourceDBInstanceIdentifier") or "") if found else ""
        if found and source.split(":")[-1] == params["SourceDBInstanceIdentifier"].split(":")[-1]:
            return {"DBInstance": found[0]}
        return None

    try:
        return apply(conn.create_db_instance_read_replica, dict(params, **extra), applied)["DBInstance"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not create read replica %s of %s in %s: the source must be available with automated "
                             "backups on; a cross-region replica of an encrypted source needs kms_key_id (a key of %s); check the "
                             "instance class, subnet group, security groups and rds:CreateDBInstanceReadReplica permission"
                             % (params.get("DBInstanceIdentifier"), params.get("SourceDBInstanceIdentifier"), conn.meta.region_name,
                                conn.meta.region_name), **context)
    return None


def _instances(conn, instance_id):
    """DBInstances of an identifier ([] when it does not exist); errors raise to the caller's except clauses."""
    try:
        return conn.describe_db_instances(DBInstanceIdentifier=instance_id, aws_retry=True)["DBInstances"]
    except is_boto3_error_code("DBInstanceNotFound"):
        return []


def _clusters(conn, cluster_id):
    try:
        return conn.describe_db_clusters(DBClusterIdentifier=cluster_id, aws_retry=True)["DBClusters"]
    except is_boto3_error_code("DBClusterNotFoundFault"):
        return []


def _writer(clusters):
    members = clusters[0].get("DBClusterMembers", []) if clusters else []
    return next((m.get("DBInstanceIdentifier") for m in members if m.get("IsClusterWriter")), None)
