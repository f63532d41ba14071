# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""plan_switches against a fake ELBv2 client: many switches sharing a load balancer cost one describe of each
load balancer, listener set, rule set and target group batch."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import traffic_switch as alb_traffic_switch

ACCOUNT = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
LB = ACCOUNT + ":loadbalancer/app/shop-alb/1111"
L80 = ACCOUNT + ":listener/app/shop-alb/1111/aaaa"
L443 = ACCOUNT + ":listener/app/shop-alb/1111/bbbb"
R10 = ACCOUNT + ":listener-rule/app/shop-alb/1111/aaaa/r10"
R20 = ACCOUNT + ":listener-rule/app/shop-alb/1111/aaaa/r20"
RDEF = ACCOUNT + ":listener-rule/app/shop-alb/1111/aaaa/rdef"
TG = dict((name, ACCOUNT + ":targetgroup/%s/%s" % (name, index)) for index, name in enumerate(
    ["shop-blue", "shop-green", "cat-blue", "cat-green", "api-blue", "api-green"]))


def forward(**weights):
    groups = [{"TargetGroupArn": TG[name.replace("_", "-")], "Weight": weight} for name, weight in weights.items()]
    return [{"Type": "forward", "ForwardConfig": {"TargetGroups": groups}}]


class Paginator(object):
    def __init__(self, conn, operation):
        self.conn, self.operation = conn, operation

    def paginate(self, **params):
        result = getattr(self.conn, self.operation)(**params)
        return type("Pages", (), {"build_full_result": lambda _self: result})()


class FakeElb(object):
    """Answers the describes of one load balancer with two listeners; records every call."""

    def __init__(self):
        self.calls = []
        self.listeners = [
            {"ListenerArn": L80, "LoadBalancerArn": LB, "Port": 80, "DefaultActions": forward(shop_blue=1)},
            {"ListenerArn": L443, "LoadBalancerArn": LB, "Port": 443, "DefaultActions": forward(shop_blue=1)},
        ]
        self.rules = [
            {"RuleArn": R10, "Priority": "10", "IsDefault": False, "Actions": forward(cat_blue=1)},
            {"RuleArn": R20, "Priority": "20", "IsDefault": False, "Actions": forward(api_blue=90, api_green=10)},
            {"RuleArn": RDEF, "Priority": "default", "IsDefault": True, "Actions": forward(shop_blue=1)},
        ]

    def get_paginator(self, operation):
        return Paginator(self, operation)

    def describe_load_balancers(self, Names):
        self.calls.append(("describe_load_balancers", tuple(Names)))
        return {"LoadBalancers": [{"LoadBalancerName": "shop-alb", "LoadBalancerArn": LB}] if Names == ["shop-alb"] else []}

    def describe_listeners(self, LoadBalancerArn=None, ListenerArns=None, aws_retry=False):
        self.calls.append(("describe_listeners", LoadBalancerArn or tuple(ListenerArns)))
        if ListenerArns:
            return {"Listeners": [item for item in self.listeners if item["ListenerArn"] in ListenerArns]}
        return {"Listeners": self.listeners}

    def describe_rules(self, ListenerArn):
        self.calls.append(("describe_rules", ListenerArn))
        return {"Rules": self.rules if ListenerArn == L80 else []}

    def describe_target_groups(self, Names=None, TargetGroupArns=None):
        self.calls.append(("describe_target_groups", tuple(Names or TargetGroupArns)))
        wanted = set(Names or []) | set(TargetGroupArns or [])
        return {"TargetGroups": [{"TargetGroupName": name, "TargetGroupArn": arn} for name, arn in TG.items()
                                 if name in wanted or arn in wanted]}


class Failed(Exception):
    pass


def fail(msg, **extra):
    raise Failed(msg)


def plan(items, conn):
    requests = [traffic.normalise_switch(dict(dict.fromkeys(alb_traffic_switch.SWITCH_SPEC), purge_unlisted=False, **item), index, "us-east-1")
                for index, item in enumerate(items)]
    reads = elbv2.Reads(object(), conn, "us-east-1")
    return alb_traffic_switch.plan_switches(requests, lambda region: reads, fail)


def test_many_switches_on_one_load_balancer_describe_everything_once():
    conn = FakeElb()
    plans, names = plan([
        {"load_balancer_name": "shop-alb", "port": 80, "forward": {"shop-green": 100}},
        {"load_balancer_name": "shop-alb", "port": 443, "forward": {"shop-green": 100}},
        {"load_balancer_name": "shop-alb", "port": 80, "rule_priority": 10, "forward": {"cat-blue": 50, "cat-green": 50}},
        {"listener_arn": L80, "rule_arn": R20, "forward": {TG["api-blue"]: 90, TG["api-green"]: 10}},
    ], conn)
    operations = [call[0] for call in conn.calls]
    assert operations.count("describe_load_balancers") == 1
    assert operations.count("describe_listeners") == 1   # the listener ARN was already known from the load balancer
    assert operations.count("describe_rules") == 1
    assert operations.count("describe_target_groups") == 2  # one batch of names, one of ARNs

    assert [(p["port"], p["rule_priority"], p["changed"]) for p in plans] == [(80, None, True), (443, None, True), (80, 10, True), (80, 20, False)]
    assert traffic.named(plans[0]["after_arns"], names["us-east-1"]) == {"shop-blue": 0, "shop-green": 100}
    assert traffic.named(plans[2]["before_arns"], names["us-east-1"]) == {"cat-blue": 1}
    assert plans[2]["rule_arn"] == R10 and plans[0]["rule_arn"] is None


def test_the_default_rule_is_switched_as_the_listener_default_action():
    plans = plan([{"rule_arn": RDEF, "forward": {"shop-green": 1}}], FakeElb())
    assert (plans[0][0]["listener_arn"], plans[0][0]["rule_arn"]) == (L80, None)


@pytest.mark.parametrize("items, message", [
    ([{"load_balancer_name": "nope", "port": 80}], "load balancer nope not found in us-east-1"),
    ([{"load_balancer_name": "shop-alb", "port": 8080}], "no listener on port 8080 (its ports: 80, 443)"),
    ([{"load_balancer_name": "shop-alb", "port": 80, "rule_priority": 30}], "has no rule with priority 30 (its rule priorities: 10, 20)"),
    ([{"load_balancer_name": "shop-alb", "port": 80}, {"listener_arn": L80}], "switches[0] and switches[1] both switch shop-alb:80 default action"),
    ([{"listener_arn": L80, "forward": {"shop-green": 1, TG["shop-green"]: 2}}], "names target group shop-green twice"),
])
def test_plan_errors(items, message):
    items = [dict({"forward": {"shop-green": 100}}, **item) for item in items]
    with pytest.raises(Failed) as caught:
        plan(items, FakeElb())
    assert message in str(caught.value)


def test_a_listener_that_does_not_forward_is_refused():
    conn = FakeElb()
    conn.listeners[0]["DefaultActions"] = [{"Type": "redirect", "RedirectConfig": {"Protocol": "HTTPS"}}]
    with pytest.raises(Failed, match="does not forward .its action types: redirect."):
        plan([{"load_balancer_name": "shop-alb", "port": 80, "forward": {"shop-green": 1}}], conn)


def test_check_mode_chains_a_later_canary_step_from_the_earlier_steps_predictions():
    """Check mode changes nothing, so step 2 would read blue 100%: it predicts from step 1's weights (`earlier`),
    keeps what it read as the restore, and the --diff says the before is predicted."""
    steps = traffic.canary_schedule([10, 50, 100], "cat-blue", "cat-green")
    item = {"load_balancer_name": "shop-alb", "port": 80, "rule_priority": 10, "forward": steps[2], "earlier": steps[:2]}
    conn = FakeElb()
    requests = [traffic.normalise_switch(dict(dict.fromkeys(alb_traffic_switch.SWITCH_SPEC), purge_unlisted=False, **item), 0, "us-east-1")]
    reads = elbv2.Reads(object(), conn, "us-east-1")
    [chained], names = alb_traffic_switch.plan_switches(requests, lambda region: reads, fail, chain=True)
    result = alb_traffic_switch.result_of(chained, names)
    assert (result["live"], result["before"], result["after"]) == (
        {"cat-blue": 1}, {"cat-blue": 50, "cat-green": 50}, {"cat-blue": 0, "cat-green": 100})
    assert traffic.restore_switches([chained])[0]["forward"] == {TG["cat-blue"]: 1}
    assert traffic.switch_diff(result)["before_header"] == "shop-alb:80 rule 10 (us-east-1), as step 2 would leave it (predicted)"
    # Run for real (no chain), the step reads what the earlier steps left: `earlier` is not applied.
    real = alb_traffic_switch.plan_switches(requests, lambda region: reads, fail)[0][0]
    assert traffic.named(real["before_arns"], names["us-east-1"]) == {"cat-blue": 1} and "predicted_after_step" not in real
