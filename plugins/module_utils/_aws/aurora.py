# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The reads of an Aurora global database (db_shape.AURORA_GLOBAL) for estate_status and the readiness audit: the
global cluster, each cluster of cloudops_rds (primary, secondary) and the RPO / replication lag of the secondary.
Plain dicts (boto3 shapes); the decisions are module_utils/aurora.py's."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def describe_cluster(module, conn, cluster_id):
    """The DBClusters entry (boto3 shape), or None when it does not exist."""
    try:
        found = conn.describe_db_clusters(DBClusterIdentifier=cluster_id, aws_retry=True)["DBClusters"]
    except is_boto3_error_code("DBClusterNotFoundFault"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe DB cluster %s: check the region and rds:DescribeDBClusters permission" % cluster_id)
    return found[0] if found else None


def lag_ms(module, region, cluster_id, metric, lookback_seconds):
    """The latest datapoint (Maximum, milliseconds) of an Aurora global lag metric of cluster_id, None when none."""
    points = cloudwatch.metric_datapoints(module, client(module, "cloudwatch", region=region), "AWS/RDS", metric,
                                          {"DBClusterIdentifier": cluster_id}, lookback_seconds)
    return replication.latest_datapoint(points)


def global_read(module, rds_spec, rpo_budget_seconds, lag_lookback_seconds=600, side=None):
    """{global_cluster, clusters: {side: DBClusters entry or None}, lags: {side: (rpo ms, replication ms)}, info:
    {global_cluster, primary, secondary} (the status report's rds part)} of cloudops_rds on the Aurora shape.
    side: read the global cluster and that one cluster only (estate_status reads the sides in parallel).
    The global cluster is described in the secondary's region (it answers there when the writer's region is down)."""
    global_id = rds_spec["global_cluster_id"]
    sides = [s for s in aurora.SIDES if rds_spec.get(s)] if side is None else [side]
    home = (rds_spec.get("secondary") or rds_spec["primary"])["region"]
    found_global = rds_failover.describe_global_cluster(module, client(module, "rds", region=home), global_id)
    out = {"global_cluster": found_global, "clusters": {}, "lags": {}, "info": {"global_cluster": aurora.global_report(global_id, found_global)}}
    for name in sides:
        spec = rds_spec[name]
        cluster = describe_cluster(module, client(module, "rds", region=spec["region"]), spec["cluster_id"])
        lags = (None, None)
        if aurora.role(found_global, cluster) == aurora.SECONDARY:
            lags = tuple(lag_ms(module, spec["region"], spec["cluster_id"], metric, lag_lookback_seconds)
                         for metric in (aurora.RPO_LAG_METRIC, aurora.REPLICATION_LAG_METRIC))
        out["clusters"][name], out["lags"][name] = cluster, lags
        out["info"][name] = aurora.cluster_report(spec, cluster, found_global, lags[0], lags[1], rpo_budget_seconds)
    return out


def describe_cluster_quietly(module, region, cluster_id):
    """The DBClusters entry, or None when it is missing or cannot be read (its region may be the one that failed)."""
    try:
        found = client(module, "rds", region=region).describe_db_clusters(DBClusterIdentifier=cluster_id, aws_retry=True)["DBClusters"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError):
        return None
    return found[0] if found else None
