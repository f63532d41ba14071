# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""RDS describe calls, as plain dicts, and the replication read of rds_replication_info."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def describe_instance(module, conn, instance_id):
    """The DBInstances entry (boto3 shape) for an identifier or ARN, or None when it does not exist."""
    try:
        found = conn.describe_db_instances(DBInstanceIdentifier=instance_id, aws_retry=True)["DBInstances"]
    except is_boto3_error_code("DBInstanceNotFound"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe RDS instance %s: check the region and rds:DescribeDBInstances permission" % instance_id)
    return found[0] if found else None


BROKEN_REPLICATION = ("error", "terminated")


def wait_replicating(module, conn, instance_id, wanted, region, timeout):
    """Poll until the replica is available and replicating from wanted ((region, name) of its source); stop at once
    when it cannot get there (gone, failed, replication broken). {instance: as last described (None: gone),
    replicating, elapsed, failure: why not replicating with what to do, None when it is}."""
    def settled(found):
        state = replication.replication_status(found) if found else None
        return (found is None or found.get("DBInstanceStatus") in backup.INSTANCE_FAILED
                or (state is not None and state.get("status") in BROKEN_REPLICATION)
                or replication.replicating(found, wanted, region))

    done = waiting.poll_until(lambda: describe_instance(module, conn, instance_id), settled, timeout, delays=waiting.operation_pauses())
    found = done["result"]
    out = {"instance": found, "replicating": False, "elapsed": done["elapsed"], "failure": None}
    if found is None:
        out["failure"] = "replica %s disappeared while waiting for it to replicate" % instance_id
    elif replication.replicating(found, wanted, region):
        out["replicating"] = True
    else:
        state = replication.replication_status(found) or {}
        status = found.get("DBInstanceStatus")
        if status in backup.INSTANCE_FAILED or state.get("status") in BROKEN_REPLICATION:
            hint = "see its RDS events, then delete it (state: absent) before trying again"
        else:
            hint = "raise the timeout, or run again later (it is not created twice)"
        out["failure"] = ("replica %s is %s (read replication %s) after %s s, not available and replicating: %s"
                          % (instance_id, status, state.get("status") or "not reported", done["elapsed"], hint))
    return out


def region_of_arn(value):
    """The region of an RDS ARN (arn:aws:rds:REGION:ACCOUNT:db:NAME), None for a plain identifier."""
    parts = (value or "").split(":")
    return parts[3] if len(parts) > 6 and parts[0] == "arn" else None


def source_of(module, conn, region, instance, describe=None):
    """The source instance of a replica ({} when gone; None when it has no source), looked up in its own region for a
    cross-region replica. conn: an RDS client of region, the replica's region. describe: (region, identifier) ->
    the instance or None, when the caller reads instances once for several uses (estate_status)."""
    source_id = instance.get("ReadReplicaSourceDBInstanceIdentifier")
    if not source_id:
        return None
    source_region = region_of_arn(source_id)
    if describe is not None:
        return describe(source_region or region, source_id) or {}
    source_conn = client(module, "rds", region=source_region) if source_region and source_region != region else conn
    return describe_instance(module, source_conn, source_id) or {}


def replication_info(module, region, instance_id, rpo_budget_seconds=None, lag_lookback_seconds=600, fail_when_missing=True):
    """What rds_replication_info returns for the instance in region: its state, replication role (with the evidence
    that decided it) and, for a replica, the latest ReplicaLag datapoint and its verdict against the RPO budget.
    A missing instance fails the module, or with fail_when_missing=False is {exists: False, instance_id}."""
    return replication_read(module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds, fail_when_missing)["info"]


def replication_read(module, region, instance_id, rpo_budget_seconds=None, lag_lookback_seconds=600, fail_when_missing=True,
                     describe=None):
    """{info: replication_info's answer, instance: the DBInstances entry (None when missing), source: its source's
    entry (None: no source, {}: gone)}. describe: (region, identifier) -> instance or None, to share describes."""
    conn = client(module, "rds", region=region)
    instance = describe(region, instance_id) if describe is not None else describe_instance(module, conn, instance_id)
    if instance is None:
        if fail_when_missing:
            module.fail_json(msg="RDS instance %s not found in %s: check instance_id and region" % (instance_id, region))
        return {"info": {"exists": False, "instance_id": instance_id}, "instance": None, "source": None}

    source = source_of(module, conn, region, instance, describe)
    role, evidence = replication.replication_role(instance, source)
    lag = None
    verdict = None
    if role == replication.REPLICA:
        points = cloudwatch.metric_datapoints(
            module, client(module, "cloudwatch", region=region), "AWS/RDS", "ReplicaLag",
            {"DBInstanceIdentifier": instance["DBInstanceIdentifier"]}, lag_lookback_seconds,
        )
        lag = replication.latest_datapoint(points)
        verdict = replication.lag_verdict(lag, rpo_budget_seconds)

    endpoint = instance.get("Endpoint") or {}
    restorable = instance.get("LatestRestorableTime")
    info = {
        "region": region,
        "exists": True,
        "instance_id": instance["DBInstanceIdentifier"],
        "arn": instance.get("DBInstanceArn"),
        "status": instance.get("DBInstanceStatus"),
        "engine": instance.get("Engine"),
        "engine_version": instance.get("EngineVersion"),
        "endpoint": {"address": endpoint.get("Address"), "port": endpoint.get("Port")} if endpoint else {},
        "role": role,
        "role_evidence": evidence,
        "source": instance.get("ReadReplicaSourceDBInstanceIdentifier"),
        "replicas": sorted(instance.get("ReadReplicaDBInstanceIdentifiers") or []),
        "backup_retention_period": instance.get("BackupRetentionPeriod"),
        "latest_restorable_time": restorable.isoformat() if restorable else None,
        "multi_az": instance.get("MultiAZ"),
        "replica_lag_seconds": lag,
        "lag_verdict": verdict,
        "rpo_budget_seconds": rpo_budget_seconds,
    }
    return {"info": info, "instance": instance, "source": source}
