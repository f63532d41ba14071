# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks_nodegroup_scale against botocore's Stubber: the states moto never shows (an update in progress, UPDATING for a
while, DEGRADED with health issues)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.modules import eks_nodegroup_scale as module

ARGS = {"cluster_name": "shop-dr", "nodegroup_name": "workers", "region": "us-west-2"}
DESCRIBE = {"clusterName": "shop-dr", "nodegroupName": "workers"}


def nodegroup(status, low, want, high, issues=()):
    return {"nodegroup": {"nodegroupName": "workers", "clusterName": "shop-dr", "status": status,
                          "scalingConfig": {"minSize": low, "desiredSize": want, "maxSize": high},
                          "health": {"issues": [{"code": code, "message": message} for code, message in issues]}}}


def test_an_update_in_progress_is_waited_for_then_the_scaling_is_applied_and_waited_for(aws):
    eks = aws.stub("eks", "us-west-2")
    eks.add_response("describe_nodegroup", nodegroup("UPDATING", 1, 1, 6), DESCRIBE)
    eks.add_response("describe_nodegroup", nodegroup("UPDATING", 1, 1, 6), DESCRIBE)
    eks.add_response("describe_nodegroup", nodegroup("ACTIVE", 1, 2, 6), DESCRIBE)  # someone else's update: desired 2
    eks.add_response("update_nodegroup_config", {"update": {"id": "u-1", "status": "InProgress", "type": "ConfigUpdate"}},
                     dict(DESCRIBE, scalingConfig={"minSize": 3, "desiredSize": 3, "maxSize": 6}))
    eks.add_response("describe_nodegroup", nodegroup("UPDATING", 1, 2, 6), DESCRIBE)
    eks.add_response("describe_nodegroup", nodegroup("ACTIVE", 3, 3, 6), DESCRIBE)
    failed, result = aws.run(module, dict(ARGS, min_size=3, desired_size=3))
    assert not failed and result["changed"] and result["update_id"] == "u-1"
    assert result["before"] == {"min_size": 1, "desired_size": 2, "max_size": 6}  # as it was when the update was made
    assert result["after"] == {"min_size": 3, "desired_size": 3, "max_size": 6} and result["status"] == "ACTIVE"
    aws.verify()


def test_a_degraded_node_group_fails_with_its_health_issues(aws):
    eks = aws.stub("eks", "us-west-2")
    eks.add_response("describe_nodegroup", nodegroup("ACTIVE", 1, 1, 6), DESCRIBE)
    eks.add_response("update_nodegroup_config", {"update": {"id": "u-2", "status": "InProgress"}},
                     dict(DESCRIBE, scalingConfig={"minSize": 1, "desiredSize": 5, "maxSize": 6}))
    eks.add_response("describe_nodegroup", nodegroup("DEGRADED", 1, 5, 6, [("AsgInstanceLaunchFailures", "InsufficientInstanceCapacity")]),
                     DESCRIBE)
    failed, result = aws.run(module, dict(ARGS, desired_size=5))
    assert failed and result["changed"] is True
    assert "is DEGRADED with scaling" in result["msg"] and "AsgInstanceLaunchFailures: InsufficientInstanceCapacity" in result["msg"]
    aws.verify()


def test_a_missing_node_group_is_named(aws):
    aws.stub("eks", "us-west-2").add_client_error("describe_nodegroup", "ResourceNotFoundException", http_status_code=404,
                                                  expected_params=DESCRIBE)
    failed, result = aws.run(module, dict(ARGS, desired_size=2))
    assert failed and result["msg"] == "node group workers of shop-dr not found in us-west-2: check cluster_name, nodegroup_name and region"
    aws.verify()
