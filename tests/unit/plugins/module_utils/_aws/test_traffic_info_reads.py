# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""elbv2.traffic_info against botocore's Stubber: which describes it makes. The Stubber fails on any call it was not
given, so each test pins the exact reads: a forwarded group named by its ARN, a known load balancer not described
again, and one re-created since (its old ARN gone) looked up by name."""

from __future__ import annotations

import pytest

boto3 = pytest.importorskip("boto3")
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2  # noqa: E402

PREFIX = "arn:aws:elasticloadbalancing:us-east-1:123456789012:"
LB, NEW_LB = PREFIX + "loadbalancer/app/shop/1", PREFIX + "loadbalancer/app/shop/2"
BLUE, GREEN = PREFIX + "targetgroup/shop-blue/1", PREFIX + "targetgroup/shop-green/2"
COLOURS = {"blue": "shop-blue", "green": "shop-green"}


@pytest.fixture
def stub(stubbed):
    return stubbed("elbv2", "us-east-1")


def listeners(stubber, lb_arn, groups):
    stubber.add_response("describe_listeners", {"Listeners": [{"ListenerArn": lb_arn + "/l", "Port": 80, "DefaultActions": [
        {"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in groups]}}]}]},
        {"LoadBalancerArn": lb_arn})


def health(stubber, *arns):
    for arn in arns:
        stubber.add_response("describe_target_health", {"TargetHealthDescriptions": [
            {"Target": {"Id": "i-1", "Port": 80}, "TargetHealth": {"State": "healthy"}}]}, {"TargetGroupArn": arn})


def test_groups_the_listener_forwards_to_are_named_by_their_arns(stub, failing_module):
    conn, stubber = stub
    stubber.add_response("describe_load_balancers", {"LoadBalancers": [{"LoadBalancerArn": LB, "DNSName": "shop.elb"}]}, {"Names": ["shop"]})
    listeners(stubber, LB, [(BLUE, 90), (GREEN, 10)])  # both colours forwarded: no DescribeTargetGroups
    health(stubber, BLUE, GREEN)
    info = elbv2.traffic_info(failing_module, conn, "us-east-1", "shop", 80, COLOURS)
    assert [item["target_group_name"] for item in info["forward"]] == ["shop-blue", "shop-green"]
    assert set(info["target_groups"]) == {"shop-blue", "shop-green"} and info["target_groups"]["shop-green"]["colour"] == "green"


def test_a_known_load_balancer_is_not_described_and_an_idle_colour_is_looked_up_by_name(stub, failing_module):
    conn, stubber = stub
    listeners(stubber, LB, [(BLUE, 1)])
    stubber.add_response("describe_target_groups", {"TargetGroups": [{"TargetGroupArn": GREEN, "TargetGroupName": "shop-green"}]},
                         {"Names": ["shop-green"]})
    health(stubber, BLUE, GREEN)
    info = elbv2.traffic_info(failing_module, conn, "us-east-1", "shop", 80, COLOURS, known={"arn": LB, "dns_name": "shop.elb"})
    assert (info["load_balancer_arn"], info["dns_name"], info["active_colour"]) == (LB, "shop.elb", "blue")


def test_a_load_balancer_re_created_under_its_name_is_looked_up_again(stub, failing_module):
    conn, stubber = stub
    stubber.add_client_error("describe_listeners", "LoadBalancerNotFound", expected_params={"LoadBalancerArn": LB})
    stubber.add_response("describe_load_balancers", {"LoadBalancers": [{"LoadBalancerArn": NEW_LB, "DNSName": "new.elb"}]},
                         {"Names": ["shop"]})
    listeners(stubber, NEW_LB, [(BLUE, 1), (GREEN, 0)])
    health(stubber, BLUE, GREEN)
    info = elbv2.traffic_info(failing_module, conn, "us-east-1", "shop", 80, COLOURS, known={"arn": LB, "dns_name": "shop.elb"})
    assert (info["load_balancer_arn"], info["dns_name"]) == (NEW_LB, "new.elb")


def test_a_known_idle_group_is_not_described_and_one_re_created_since_is_looked_up(stub, failing_module):
    conn, stubber = stub
    known = {"arn": LB, "dns_name": "shop.elb", "target_groups": {"shop-blue": BLUE, "shop-green": GREEN}}
    listeners(stubber, LB, [(BLUE, 1)])
    health(stubber, BLUE, GREEN)  # no DescribeTargetGroups: the idle colour's ARN is known
    info = elbv2.traffic_info(failing_module, conn, "us-east-1", "shop", 80, COLOURS, known=known)
    assert info["target_groups"]["shop-green"]["arn"] == GREEN and info["idle_colour"] == "green"

    new_green = PREFIX + "targetgroup/shop-green/3"
    listeners(stubber, LB, [(BLUE, 1)])
    health(stubber, BLUE)
    stubber.add_client_error("describe_target_health", "TargetGroupNotFound", expected_params={"TargetGroupArn": GREEN})
    stubber.add_response("describe_target_groups", {"TargetGroups": [{"TargetGroupArn": new_green, "TargetGroupName": "shop-green"}]},
                         {"Names": ["shop-green"]})
    health(stubber, new_green)
    info = elbv2.traffic_info(failing_module, conn, "us-east-1", "shop", 80, COLOURS, known=known)
    assert info["target_groups"]["shop-green"]["arn"] == new_green
