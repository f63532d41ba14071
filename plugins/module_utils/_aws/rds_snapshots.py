# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS snapshot, restore and delete calls for the backup modules, as plain dicts (boto3 shapes).

Instance and cluster snapshots go through the same functions (cluster=True for Aurora). Every call passes
aws_retry=True (the client comes from _aws/common.client) and fails the task with what to fix.
"""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply, paginate

_SNAPSHOT_NOT_FOUND = ["DBSnapshotNotFound", "DBSnapshotNotFoundFault", "DBClusterSnapshotNotFoundFault"]


def _entry(cluster):
    return "DBClusterSnapshot" if cluster else "DBSnapshot"


def _snapshot(conn, snapshot_id, cluster):
    """The snapshot entry or None; errors raise to the caller's except clauses (the apply() reads)."""
    try:
        if cluster:
            found = conn.describe_db_cluster_snapshots(DBClusterSnapshotIdentifier=snapshot_id, aws_retry=True)["DBClusterSnapshots"]
        else:
            found = conn.describe_db_snapshots(DBSnapshotIdentifier=snapshot_id, aws_retry=True)["DBSnapshots"]
    except is_boto3_error_code(_SNAPSHOT_NOT_FOUND):
        return None
    return found[0] if found else None


def _instance_answer(conn, instance_id):
    """{"DBInstance": entry} of an existing instance (what a create or restore call answers), else None."""
    try:
        found = conn.describe_db_instances(DBInstanceIdentifier=instance_id, aws_retry=True)["DBInstances"]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None
    return {"DBInstance": found[0]} if found else None


def _kind(cluster):
    return "cluster snapshot" if cluster else "snapshot"


def describe_snapshot(module, conn, snapshot_id, cluster=False):
    """The DBSnapshots (DBClusterSnapshots) entry of an id or ARN, or None when it does not exist."""
    try:
        return _snapshot(conn, snapshot_id, cluster)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not describe RDS %s %s: check the region and rds:Describe%s permission"
                             % (_kind(cluster), snapshot_id, "DBClusterSnapshots" if cluster else "DBSnapshots"))
    return None  # fail_json_aws does not return


def list_snapshots(module, conn, source_id, cluster=False):
    """Every manual and automated snapshot of an instance (cluster), all pages."""
    try:
        if cluster:
            return paginate(conn, "describe_db_cluster_snapshots", DBClusterIdentifier=source_id).get("DBClusterSnapshots", [])
        return paginate(conn, "describe_db_snapshots", DBInstanceIdentifier=source_id).get("DBSnapshots", [])
    except is_boto3_error_code(["DBInstanceNotFound", "DBClusterNotFoundFault"]):
        return []
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not list the snapshots of %s: check the region and rds:Describe%s permission"
                             % (source_id, "DBClusterSnapshots" if cluster else "DBSnapshots"))
    return []


def describe_cluster(module, conn, cluster_id):
    """The DBClusters entry of an identifier, or None when it does not exist."""
    try:
        found = conn.describe_db_clusters(DBClusterIdentifier=cluster_id, aws_retry=True)["DBClusters"]
    except is_boto3_error_code("DBClusterNotFoundFault"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe RDS cluster %s: check the region and rds:DescribeDBClusters permission" % cluster_id)
    return found[0] if found else None


def automated_backups(conn, instance_id):
    """The instance's DBInstanceAutomatedBackups entries, or None when the API cannot tell (not implemented,
    not allowed): the caller then computes the restorable window from the instance itself."""
    try:
        return conn.describe_db_instance_automated_backups(DBInstanceIdentifier=instance_id, aws_retry=True).get(
            "DBInstanceAutomatedBackups", [])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None


def region_automated_backups(module, conn):
    """Every DBInstanceAutomatedBackups entry of the client's region: its own instances' and those replicated to it."""
    try:
        return paginate(conn, "describe_db_instance_automated_backups").get("DBInstanceAutomatedBackups", [])
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not list the automated backups of this region (replicated ones included): "
                             "check the region and rds:DescribeDBInstanceAutomatedBackups permission")
    return []


def dr_restore_points(module, conn, source_id):
    """What restore-based DR can restore `source_id` from in the client's region: {snapshots: its snapshots there
    (cross-region copies keep the source's DBInstanceIdentifier), backups: region_automated_backups (module_utils/
    restore_dr.py picks the source's)}."""
    return {"snapshots": list_snapshots(module, conn, source_id), "backups": region_automated_backups(module, conn)}


def create_snapshot(module, conn, source_id, snapshot_id, tags, cluster=False, status=None):
    """Start a manual snapshot; returns its entry."""
    def applied():
        found = _snapshot(conn, snapshot_id, cluster)
        source = found and found.get("DBClusterIdentifier" if cluster else "DBInstanceIdentifier")
        return {_entry(cluster): found} if found and source == source_id else None

    try:
        if cluster:
            return apply(conn.create_db_cluster_snapshot, dict(DBClusterIdentifier=source_id, DBClusterSnapshotIdentifier=snapshot_id,
                                                               Tags=tags), applied)["DBClusterSnapshot"]
        return apply(conn.create_db_snapshot, dict(DBInstanceIdentifier=source_id, DBSnapshotIdentifier=snapshot_id, Tags=tags),
                     applied)["DBSnapshot"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        action = "DBClusterSnapshot" if cluster else "DBSnapshot"
        module.fail_json_aws(e, msg="Could not create %s %s of %s (status %s): it must be available, and the role needs "
                             "rds:Create%s and rds:AddTagsToResource" % (_kind(cluster), snapshot_id, source_id, status or "unknown", action))
    return None


def copy_snapshot(module, conn, source_arn, target_id, kms_key_id=None, copy_tags=True, tags=None, source_region=None,
                  cluster=False):
    """Start a copy of source_arn into this client's region; source_region makes it cross-region (botocore then
    presigns the request in the source region). Returns the new entry."""
    params = {"KmsKeyId": kms_key_id, "CopyTags": copy_tags, "SourceRegion": source_region}
    if tags:
        params["Tags"] = tags
    params = dict((key, value) for key, value in params.items() if value is not None)

    def applied():
        found = _snapshot(conn, target_id, cluster)
        source = found and found.get("SourceDBClusterSnapshotArn" if cluster else "SourceDBSnapshotIdentifier")
        return {_entry(cluster): found} if found and (not source or source == source_arn) else None

    try:
        if cluster:
            return apply(conn.copy_db_cluster_snapshot, dict(SourceDBClusterSnapshotIdentifier=source_arn,
                                                             TargetDBClusterSnapshotIdentifier=target_id, **params),
                         applied)["DBClusterSnapshot"]
        return apply(conn.copy_db_snapshot, dict(SourceDBSnapshotIdentifier=source_arn, TargetDBSnapshotIdentifier=target_id,
                                                 **params), applied)["DBSnapshot"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not copy %s %s to %s in %s: the source must be available, kms_key_id must be "
                             "a key of %s (encrypted sources), and the role needs rds:Copy%s"
                             % (_kind(cluster), source_arn, target_id, conn.meta.region_name, conn.meta.region_name,
                                "DBClusterSnapshot" if cluster else "DBSnapshot"))
    return None


def delete_snapshot(module, conn, snapshot_id, cluster=False, **context):
    """Delete a snapshot; True when deleted, False when it was already gone."""
    def applied():
        found = _snapshot(conn, snapshot_id, cluster)
        return {} if found is None or found.get("Status") == "deleting" else None

    try:
        if cluster:
            apply(conn.delete_db_cluster_snapshot, dict(DBClusterSnapshotIdentifier=snapshot_id), applied)
        else:
            apply(conn.delete_db_snapshot, dict(DBSnapshotIdentifier=snapshot_id), applied)
    except is_boto3_error_code(_SNAPSHOT_NOT_FOUND):
        return False
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not delete %s %s: it must be available and the role needs rds:Delete%s"
                             % (_kind(cluster), snapshot_id, "DBClusterSnapshot" if cluster else "DBSnapshot"), **context)
    return True


def add_tags(module, conn, arn, tags):
    """Add (or overwrite) tags on an RDS resource; never removes any."""
    def applied():
        now = dict((tag["Key"], tag.get("Value")) for tag in conn.list_tags_for_resource(ResourceName=arn, aws_retry=True)["TagList"])
        return {} if all(now.get(tag["Key"], object()) == tag.get("Value") for tag in tags) else None

    try:
        apply(conn.add_tags_to_resource, dict(ResourceName=arn, Tags=tags), applied)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not tag %s: the role needs rds:AddTagsToResource" % arn)


def restore_from_snapshot(module, conn, params):
    """RestoreDBInstanceFromDBSnapshot with params (boto3 names); returns the new instance's entry."""
    try:
        return apply(conn.restore_db_instance_from_db_snapshot, params,
                     lambda: _instance_answer(conn, params.get("DBInstanceIdentifier")))["DBInstance"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not restore %s from snapshot %s: check the snapshot (available, same region), "
                             "the instance class, subnet group, security groups and parameter group"
                             % (params.get("DBInstanceIdentifier"), params.get("DBSnapshotIdentifier")))
    return None


def restore_to_time(module, conn, params):
    """RestoreDBInstanceToPointInTime with params (boto3 names); returns the new instance's entry."""
    try:
        return apply(conn.restore_db_instance_to_point_in_time, params,
                     lambda: _instance_answer(conn, params.get("TargetDBInstanceIdentifier")))["DBInstance"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not restore %s from %s to %s: check the restorable window, the instance class, "
                             "subnet group, security groups and parameter group"
                             % (params.get("TargetDBInstanceIdentifier"), params.get("SourceDBInstanceIdentifier")
                                or params.get("SourceDBInstanceAutomatedBackupsArn"),
                                params.get("RestoreTime") or "the latest restorable time"))
    return None


def delete_instance(module, conn, instance_id, skip_final_snapshot=True, final_snapshot_id=None,
                    delete_automated_backups=True):
    """DeleteDBInstance; True when the call was made, False when the instance was already gone."""
    params = {"DBInstanceIdentifier": instance_id, "SkipFinalSnapshot": skip_final_snapshot,
              "DeleteAutomatedBackups": delete_automated_backups}
    if not skip_final_snapshot:
        params["FinalDBSnapshotIdentifier"] = final_snapshot_id

    def applied():
        found = _instance_answer(conn, instance_id)
        return {} if found is None or found["DBInstance"].get("DBInstanceStatus") == "deleting" else None

    try:
        apply(conn.delete_db_instance, params, applied)
    except is_boto3_error_code("DBInstanceNotFound"):
        return False
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not delete RDS instance %s: turn off deletion protection first, and the role "
                             "needs rds:DeleteDBInstance" % instance_id)
    return True


def modify_master_password(module, conn, instance_id, password):
    """ModifyDBInstance MasterUserPassword, applied immediately; returns the instance's entry. The password is never
    put in a message (botocore's errors do not quote parameters)."""
    def applied():
        # Setting the same password again changes nothing, but RDS refuses a second modify while the first is applied.
        found = _instance_answer(conn, instance_id)
        busy = found and (found["DBInstance"].get("DBInstanceStatus") in ("resetting-master-credentials", "modifying")
                          or "MasterUserPassword" in (found["DBInstance"].get("PendingModifiedValues") or {}))
        return found if busy else None

    try:
        return apply(conn.modify_db_instance, dict(DBInstanceIdentifier=instance_id, MasterUserPassword=password,
                                                   ApplyImmediately=True), applied)["DBInstance"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not set the master password of RDS instance %s: it must be available, and the "
                             "role needs rds:ModifyDBInstance" % instance_id)
    return None


# -- Aurora cluster restores (rds_restore with cluster_id) ----------------------------------------------------------------
def _cluster_answer(conn, cluster_id):
    """{"DBCluster": entry} of an existing cluster (what a restore call answers), else None."""
    try:
        found = conn.describe_db_clusters(DBClusterIdentifier=cluster_id, aws_retry=True)["DBClusters"]
    except is_boto3_error_code("DBClusterNotFoundFault"):
        return None
    return {"DBCluster": found[0]} if found else None


def restore_cluster(module, conn, params, point_in_time):
    """RestoreDBClusterFromSnapshot (RestoreDBClusterToPointInTime when point_in_time) with params (boto3 names);
    returns the new cluster's entry."""
    call = conn.restore_db_cluster_to_point_in_time if point_in_time else conn.restore_db_cluster_from_snapshot
    try:
        return apply(call, params, lambda: _cluster_answer(conn, params.get("DBClusterIdentifier")))["DBCluster"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        source = ("%s at %s" % (params.get("SourceDBClusterIdentifier"), params.get("RestoreToTime") or "the latest restorable time")
                  if point_in_time else "snapshot %s" % params.get("SnapshotIdentifier"))
        module.fail_json_aws(e, msg="Could not restore Aurora cluster %s from %s: check the %s, the subnet group and security "
                             "groups" % (params.get("DBClusterIdentifier"), source,
                                         "restorable window" if point_in_time else "cluster snapshot (available, same region)"))
    return None


def create_cluster_instance(module, conn, params):
    """CreateDBInstance in an Aurora cluster (DBClusterIdentifier in params); returns the instance's entry."""
    try:
        return apply(conn.create_db_instance, params,
                     lambda: _instance_answer(conn, params.get("DBInstanceIdentifier")))["DBInstance"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not create DB instance %s in cluster %s: check the instance class (an Aurora one, "
                             "e.g. db.r6g.large) and the role's rds:CreateDBInstance permission"
                             % (params.get("DBInstanceIdentifier"), params.get("DBClusterIdentifier")))
    return None


def delete_cluster(module, conn, cluster_id):
    """DeleteDBCluster without a final snapshot (its instances deleted first); True when the call was made."""
    def applied():
        found = _cluster_answer(conn, cluster_id)
        return {} if found is None or found["DBCluster"].get("Status") == "deleting" else None

    try:
        apply(conn.delete_db_cluster, {"DBClusterIdentifier": cluster_id, "SkipFinalSnapshot": True}, applied)
    except is_boto3_error_code("DBClusterNotFoundFault"):
        return False
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not delete Aurora cluster %s: delete its instances first, turn off deletion "
                             "protection, and the role needs rds:DeleteDBCluster" % cluster_id)
    return True


def modify_cluster_master_password(module, conn, cluster_id, password):
    """ModifyDBCluster MasterUserPassword, applied immediately (an Aurora instance's master password is its cluster's);
    the password is never put in a message."""
    def applied():
        found = _cluster_answer(conn, cluster_id)
        busy = found and (found["DBCluster"].get("Status") in ("resetting-master-credentials", "modifying")
                          or "MasterUserPassword" in (found["DBCluster"].get("PendingModifiedValues") or {}))
        return found if busy else None

    try:
        return apply(conn.modify_db_cluster, dict(DBClusterIdentifier=cluster_id, MasterUserPassword=password,
                                                  ApplyImmediately=True), applied)["DBCluster"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not set the master password of Aurora cluster %s: it must be available, and the "
                             "role needs rds:ModifyDBCluster" % cluster_id)
    return None
