# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""elasticache_global_failover against botocore's Stubber: the calls and their parameters, nothing called after a
refusal, the wait for a busy datastore, the lag gate on the target's nodes. On the sandbox (real Redis behind the
Global Datastore) the module runs in tests/integration/test_cache_failover.py."""

from __future__ import annotations

import datetime

from botocore.stub import ANY

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elasticache
from ansible_collections.cloudops.runbooks.plugins.modules import elasticache_global_failover as module

GID, EAST, WEST = "qwmzn-shop-cache", "us-east-1", "us-west-2"
DESCRIBE = {"GlobalReplicationGroupId": GID, "ShowMemberInfo": True}
ARGS = {"global_datastore_id": GID, "replication_group_id": "shop-cache-dr", "region": WEST}
NOW = datetime.datetime(2026, 12, 7, 1, 0, tzinfo=datetime.timezone.utc)


def datastore(primary="shop-cache", status="available"):
    regions = {"shop-cache": EAST, "shop-cache-dr": WEST}
    return {"GlobalReplicationGroups": [{"GlobalReplicationGroupId": GID, "Status": status, "Members": [
        {"ReplicationGroupId": name, "ReplicationGroupRegion": region, "Role": "PRIMARY" if name == primary else "SECONDARY",
         "Status": "associated"} for name, region in regions.items()]}]}


def group(name="shop-cache-dr", datastore_id=GID):
    return {"ReplicationGroups": [{"ReplicationGroupId": name, "Status": "available", "MemberClusters": [name + "-001", name + "-002"],
                                   "GlobalReplicationGroupInfo": {"GlobalReplicationGroupId": datastore_id} if datastore_id else {},
                                   "NodeGroups": [{"NodeGroupId": "0001", "PrimaryEndpoint": {"Address": "master.%s.abc" % name, "Port": 6379}}]}]}


def lag(cloudwatch, *values):
    """One get_metric_statistics answer per node of shop-cache-dr (None: no datapoint)."""
    for node, value in zip(("shop-cache-dr-001", "shop-cache-dr-002"), values):
        points = [] if value is None else [{"Timestamp": NOW, "Maximum": value}]
        cloudwatch.add_response("get_metric_statistics", {"Datapoints": points, "Label": "GlobalDatastoreReplicationLag"},
                                {"Namespace": "AWS/ElastiCache", "MetricName": "GlobalDatastoreReplicationLag",
                                 "Dimensions": [{"Name": "CacheClusterId", "Value": node}], "StartTime": ANY, "EndTime": ANY,
                                 "Period": 60, "Statistics": ["Maximum"]})


def test_failover_calls_failover_global_replication_group_in_the_target_region_and_waits(aws):
    cache, watch = aws.stub("elasticache", WEST), aws.stub("cloudwatch", WEST)
    cache.add_response("describe_global_replication_groups", datastore(), DESCRIBE)
    cache.add_response("describe_replication_groups", group(), {"ReplicationGroupId": "shop-cache-dr"})
    lag(watch, 0.4, None)
    cache.add_response("failover_global_replication_group", {"GlobalReplicationGroup": datastore(status="modifying")["GlobalReplicationGroups"][0]},
                       {"GlobalReplicationGroupId": GID, "PrimaryRegion": WEST, "PrimaryReplicationGroupId": "shop-cache-dr"})
    cache.add_response("describe_global_replication_groups", datastore(status="modifying"), DESCRIBE)
    cache.add_response("describe_global_replication_groups", datastore("shop-cache-dr"), DESCRIBE)
    failed, result = aws.run(module, dict(ARGS, max_lag_seconds=5), patch=(elasticache,))
    assert not failed, result.get("msg")
    assert result["changed"] and result["failed_over"] and result["lag_seconds"] == 0.4 and result["lag_gate"]["allowed"]
    assert result["previous_primary"] == {"region": EAST, "replication_group_id": "shop-cache"}
    assert result["primary"] == {"region": WEST, "replication_group_id": "shop-cache-dr",
                                 "endpoint": {"address": "master.shop-cache-dr.abc", "port": 6379}}
    assert result["requested_at"] <= result["available_at"] and result["waited_seconds"] >= 0
    aws.verify()


def test_the_target_already_primary_changes_nothing_and_reads_no_lag(aws):
    cache = aws.stub("elasticache", WEST)
    cache.add_response("describe_global_replication_groups", datastore("shop-cache-dr"), DESCRIBE)
    cache.add_response("describe_replication_groups", group(), {"ReplicationGroupId": "shop-cache-dr"})
    failed, result = aws.run(module, dict(ARGS, max_lag_seconds=5), patch=(elasticache,))
    assert not failed and not result["changed"] and not result["failed_over"] and result["lag_gate"] is None
    assert result["primary"]["endpoint"] == {"address": "master.shop-cache-dr.abc", "port": 6379}
    aws.verify()


def test_a_busy_datastore_is_waited_for_then_decided_again(aws):
    """An interrupted run: the failover it asked for is still running; when it ends the target is primary: nothing to do."""
    cache = aws.stub("elasticache", WEST)
    cache.add_response("describe_global_replication_groups", datastore(status="modifying"), DESCRIBE)
    cache.add_response("describe_global_replication_groups", datastore(status="modifying"), DESCRIBE)
    cache.add_response("describe_global_replication_groups", datastore("shop-cache-dr"), DESCRIBE)
    cache.add_response("describe_replication_groups", group(), {"ReplicationGroupId": "shop-cache-dr"})
    failed, result = aws.run(module, ARGS, patch=(elasticache,))
    assert not failed and not result["changed"] and result["status"] == "available"
    aws.verify()


def test_an_unknown_lag_closes_the_gate_before_any_change(aws):
    cache, watch = aws.stub("elasticache", WEST), aws.stub("cloudwatch", WEST)
    cache.add_response("describe_global_replication_groups", datastore(), DESCRIBE)
    cache.add_response("describe_replication_groups", group(), {"ReplicationGroupId": "shop-cache-dr"})
    lag(watch, None, None)
    failed, result = aws.run(module, dict(ARGS, max_lag_seconds=5, lag_lookback_seconds=120), patch=(elasticache,))
    assert failed and not result["changed"] and result["lag_gate"]["verdict"] == "unknown"
    assert result["msg"].startswith("Not failed over: no GlobalDatastoreReplicationLag datapoint of shop-cache-dr in the last 120 s")
    assert result["step_summary"]["detail"].startswith("not failed over: no GlobalDatastoreReplicationLag datapoint")
    aws.verify()  # and no failover call was stubbed: any would have failed the test


def test_a_group_that_left_the_datastore_is_refused_before_any_change(aws):
    cache = aws.stub("elasticache", WEST)
    only_primary = datastore()
    only_primary["GlobalReplicationGroups"][0]["Members"] = only_primary["GlobalReplicationGroups"][0]["Members"][:1]
    cache.add_response("describe_global_replication_groups", only_primary, DESCRIBE)
    cache.add_response("describe_replication_groups", group(datastore_id=None), {"ReplicationGroupId": "shop-cache-dr"})
    failed, result = aws.run(module, ARGS, patch=(elasticache,))
    assert failed and not result["changed"] and "re-added as a secondary first" in result["msg"]
    assert result["members"] == [{"region": EAST, "replication_group_id": "shop-cache", "role": "PRIMARY", "status": "associated"}]
    aws.verify()


def test_check_mode_reads_and_predicts(aws):
    cache, watch = aws.stub("elasticache", WEST), aws.stub("cloudwatch", WEST)
    cache.add_response("describe_global_replication_groups", datastore(), DESCRIBE)
    cache.add_response("describe_replication_groups", group(), {"ReplicationGroupId": "shop-cache-dr"})
    lag(watch, 0.2, 0.3)
    failed, result = aws.run(module, dict(ARGS, catch_up={"max_lag_seconds": 1}, _ansible_check_mode=True), patch=(elasticache,))
    assert not failed and result["changed"] and result["failed_over"] and result["requested_at"] is None
    assert result["catch_up"] == {"max_lag_seconds": 1.0, "lag_seconds": 0.3, "caught_up": True, "waited_seconds": 0.0, "reads": 1}
    aws.verify()
