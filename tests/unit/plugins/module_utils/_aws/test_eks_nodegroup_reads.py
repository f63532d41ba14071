# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""eks.describe_nodegroups against botocore's Stubber: node groups an earlier read found are described by name, not
listed; one of them gone lists the cluster's node groups again. The Stubber fails on any call it was not given."""

from __future__ import annotations

import pytest

boto3 = pytest.importorskip("boto3")
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks  # noqa: E402


@pytest.fixture
def stub(stubbed):
    return stubbed("eks", "us-west-2")


def group(name, desired=1):
    return {"nodegroupName": name, "status": "ACTIVE", "scalingConfig": {"minSize": 1, "maxSize": 6, "desiredSize": desired}}


def described(stubber, name, desired=1):
    stubber.add_response("describe_nodegroup", {"nodegroup": group(name, desired)}, {"clusterName": "shop-dr", "nodegroupName": name})


def test_without_names_the_node_groups_are_listed_then_described(stub, failing_module):
    conn, stubber = stub
    stubber.add_response("list_nodegroups", {"nodegroups": ["workers", "system"]}, {"clusterName": "shop-dr"})
    described(stubber, "system")
    described(stubber, "workers")
    assert [g["nodegroupName"] for g in eks.describe_nodegroups(failing_module, conn, "shop-dr")] == ["system", "workers"]


def test_named_node_groups_are_described_not_listed_and_a_known_one_not_at_all(stub, failing_module):
    conn, stubber = stub
    described(stubber, "system", desired=2)
    groups = eks.describe_nodegroups(failing_module, conn, "shop-dr", known={"workers": group("workers", 3)}, names=["workers", "system"])
    assert [(g["nodegroupName"], g["scalingConfig"]["desiredSize"]) for g in groups] == [("system", 2), ("workers", 3)]


def test_a_named_node_group_gone_lists_the_cluster_s_node_groups_again(stub, failing_module):
    conn, stubber = stub
    described(stubber, "system")
    stubber.add_client_error("describe_nodegroup", "ResourceNotFoundException", "No node group found for name: workers.",
                             404, expected_params={"clusterName": "shop-dr", "nodegroupName": "workers"})
    stubber.add_response("list_nodegroups", {"nodegroups": ["system", "workers-2"]}, {"clusterName": "shop-dr"})
    described(stubber, "workers-2")
    groups = eks.describe_nodegroups(failing_module, conn, "shop-dr", names=["workers", "system"])
    assert [g["nodegroupName"] for g in groups] == ["system", "workers-2"]  # system is not described twice
