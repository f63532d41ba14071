# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks_capacity against botocore's Stubber (the node group part; the workloads part is k8s_workload_scale's code,
tested on the sandbox): the result's shape, and a failure that keeps what was done."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.modules import eks_capacity as module

ARGS = {"cluster_name": "shop-dr", "nodegroup_name": "workers", "region": "us-west-2"}
DESCRIBE = {"clusterName": "shop-dr", "nodegroupName": "workers"}


def nodegroup(status, low, want, high):
    return {"nodegroup": {"nodegroupName": "workers", "clusterName": "shop-dr", "status": status,
                          "scalingConfig": {"minSize": low, "desiredSize": want, "maxSize": high}, "health": {"issues": []}}}


def test_the_node_group_is_scaled_and_waited_for_and_what_restores_it_is_returned(aws):
    eks = aws.stub("eks", "us-west-2")
    eks.add_response("describe_nodegroup", nodegroup("ACTIVE", 1, 1, 6), DESCRIBE)
    eks.add_response("update_nodegroup_config", {"update": {"id": "u-1", "status": "InProgress"}},
                     dict(DESCRIBE, scalingConfig={"minSize": 3, "desiredSize": 3, "maxSize": 6}))
    eks.add_response("describe_nodegroup", nodegroup("UPDATING", 1, 1, 6), DESCRIBE)
    eks.add_response("describe_nodegroup", nodegroup("ACTIVE", 3, 3, 6), DESCRIBE)
    failed, result = aws.run(module, dict(ARGS, nodegroup={"min_size": 3, "desired_size": 3}))
    assert not failed and result["changed"]
    assert result["nodegroup"]["before"] == {"min_size": 1, "desired_size": 1, "max_size": 6}
    assert result["nodegroup"]["after"] == {"min_size": 3, "desired_size": 3, "max_size": 6} and result["nodegroup"]["status"] == "ACTIVE"
    assert result["restore"] == {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6}, "workloads": []}
    assert result["workloads"] == [] and result["step_summary"]["detail"] == "node group workers 1/1/6 -> 3/3/6 (ACTIVE)"
    aws.verify()


def test_without_sizes_nothing_is_asked_of_eks(aws):
    failed, result = aws.run(module, dict(ARGS))
    assert not failed and not result["changed"] and result["nodegroup"] is None and result["restore"]["nodegroup"] is None


def test_a_degraded_node_group_fails_with_the_modules_message(aws):
    eks = aws.stub("eks", "us-west-2")
    eks.add_response("describe_nodegroup", nodegroup("DEGRADED", 1, 1, 6), DESCRIBE)
    failed, result = aws.run(module, dict(ARGS, nodegroup={"desired_size": 2}))
    assert failed and result["msg"].startswith("node group workers of shop-dr is DEGRADED: fix it first") and result["changed"] is False
    aws.verify()
