# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""ElastiCache reads, as plain dicts: a Global Datastore with its members, a replication group, and what the DR
readiness audit reads of the estate's cache (state_stores.cache_findings judges it)."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def describe_global_group(module, conn, global_id):
    """The GlobalReplicationGroups entry with its Members (boto3 shape), or None when it does not exist."""
    try:
        found = conn.describe_global_replication_groups(GlobalReplicationGroupId=global_id, ShowMemberInfo=True,
                                                        aws_retry=True)["GlobalReplicationGroups"]
    except is_boto3_error_code("GlobalReplicationGroupNotFoundFault"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe ElastiCache Global Datastore %s: check cloudops_cache.global_datastore_id and "
                             "elasticache:DescribeGlobalReplicationGroups permission" % global_id)
    return found[0] if found else None


def describe_replication_group(module, conn, group_id):
    """The ReplicationGroups entry (boto3 shape), or None when it does not exist."""
    try:
        found = conn.describe_replication_groups(ReplicationGroupId=group_id, aws_retry=True)["ReplicationGroups"]
    except is_boto3_error_code("ReplicationGroupNotFoundFault"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not describe ElastiCache replication group %s: check the region and "
                             "elasticache:DescribeReplicationGroups permission" % group_id)
    return found[0] if found else None


def group_lag(module, region, group, lookback_seconds):
    """The replication group's GlobalDatastoreReplicationLag in seconds (the largest of its nodes' newest datapoints in
    the last lookback_seconds), None without a datapoint."""
    watch = client(module, "cloudwatch", region=region)
    values = [replication.latest_datapoint(cloudwatch.metric_datapoints(
        module, watch, "AWS/ElastiCache", state_stores.LAG_METRIC, {"CacheClusterId": node}, lookback_seconds))
        for node in state_stores.member_clusters(group)]
    values = [value for value in values if value is not None]
    return max(values) if values else None


def cache_read(module, spec, budget, lookback_seconds):
    """The readiness of cloudops_cache's DR member: [member finding, lag finding]. All reads in the DR region (the
    primary region may be the one that is down): the datastore with its members, the DR group, and the newest
    GlobalDatastoreReplicationLag of its nodes (the largest when several nodes report one)."""
    region = spec["secondary"]["region"]
    conn = client(module, "elasticache", region=region)
    global_group = describe_global_group(module, conn, spec["global_datastore_id"])
    dr_group = describe_replication_group(module, conn, spec["secondary"]["replication_group_id"])
    lag = None
    if global_group is not None and dr_group is not None:
        lag = group_lag(module, region, dr_group, lookback_seconds)
    return state_stores.cache_findings(spec, global_group, dr_group, lag, budget, lookback_seconds)


def cache_status_read(module, spec):
    """The cache's part of the status report (state_stores.cache_status), read in the DR region (the primary region
    may be the one that is down)."""
    conn = client(module, "elasticache", region=spec["secondary"]["region"])
    return state_stores.cache_status(spec, describe_global_group(module, conn, spec["global_datastore_id"]))
