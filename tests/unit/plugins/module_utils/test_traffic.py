# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic

COLOURS = {"blue": "shop-blue", "green": "shop-green"}


@pytest.mark.parametrize(
    "forward, expected",
    [
        ([{"target_group_name": "shop-blue", "weight": 1}], {"active_colour": "blue", "weights": {"blue": 100}}),
        (
            [{"target_group_name": "shop-blue", "weight": 0}, {"target_group_name": "shop-green", "weight": 100}],
            {"active_colour": "green", "weights": {"green": 100}},
        ),
        (
            [{"target_group_name": "shop-blue", "weight": 90}, {"target_group_name": "shop-green", "weight": 10}],
            {"active_colour": "split", "weights": {"blue": 90, "green": 10}},
        ),
        ([{"target_group_name": "legacy", "weight": 1}], {"active_colour": "unknown", "weights": {"legacy": 100}}),
        (
            [{"target_group_name": "legacy", "weight": 1}, {"target_group_name": "shop-blue", "weight": 1}],
            {"active_colour": "split", "weights": {"legacy": 50, "blue": 50}},
        ),
        ([], {"active_colour": "none", "weights": {}}),
        ([{"target_group_name": "shop-blue", "weight": 0}], {"active_colour": "none", "weights": {}}),
    ],
    ids=["plain-forward", "zero-weight-ignored", "split", "unknown-group", "split-with-unknown", "no-forward", "all-zero"],
)
def test_active_colour(forward, expected):
    assert traffic.active_colour(forward, COLOURS) == expected


def test_active_colour_without_colour_map_is_unknown():
    assert traffic.active_colour([{"target_group_name": "shop-blue", "weight": 1}], {})["active_colour"] == "unknown"


def test_summarise_target_health_counts_states():
    targets = [{"state": "healthy"}, {"state": "unhealthy"}, {"state": "draining"}, {"state": "initial"}, {"state": "healthy"}]
    assert traffic.summarise_target_health(targets) == {
        "healthy_count": 2, "unhealthy_count": 1, "other_count": 2, "total": 5, "healthy": True,
    }


def test_summarise_target_health_all_unhealthy_or_empty_is_not_healthy():
    assert traffic.summarise_target_health([{"state": "unhealthy"}, {"state": "unused"}])["healthy"] is False
    assert traffic.summarise_target_health([]) == {"healthy_count": 0, "unhealthy_count": 0, "other_count": 0, "total": 0, "healthy": False}


@pytest.mark.parametrize("active, idle", [("blue", "green"), ("green", "blue"), ("split", None), ("unknown", None)])
def test_idle_colour(active, idle):
    assert traffic.idle_colour(active, COLOURS) == idle


# --- target group readiness ---------------------------------------------------------------------------------------

def test_readiness_default_needs_every_registered_target_healthy():
    targets = [{"state": "healthy"}, {"state": "unhealthy", "reason": "Target.FailedHealthChecks"}]
    readiness = traffic.target_group_readiness(targets)
    assert readiness == {"registered": 2, "healthy": 1, "unhealthy": 1, "states": {"healthy": 1, "unhealthy": 1},
                         "need": 2, "ready": False, "reasons": {"Target.FailedHealthChecks": 1}}
    assert traffic.target_group_readiness([{"state": "healthy"}] * 2)["ready"] is True


def test_readiness_draining_targets_are_not_registered_and_empty_group_is_not_ready():
    readiness = traffic.target_group_readiness([{"state": "healthy"}, {"state": "draining", "reason": "Target.DeregistrationInProgress"}])
    assert (readiness["registered"], readiness["need"], readiness["ready"]) == (1, 1, True)
    assert traffic.target_group_readiness([])["ready"] is False


def test_readiness_min_healthy():
    targets = [{"state": "healthy"}, {"state": "initial", "reason": "Elb.RegistrationInProgress"}, {"state": "healthy"}]
    assert traffic.target_group_readiness(targets, min_healthy=2)["ready"] is True
    assert traffic.target_group_readiness(targets, min_healthy=3)["ready"] is False
    assert traffic.target_group_readiness([], min_healthy=0)["ready"] is True


def test_readiness_text_names_states_and_reasons():
    readiness = traffic.target_group_readiness([{"state": "unhealthy", "reason": "Target.Timeout"}] * 2)
    assert traffic.readiness_text("shop-green", readiness) == "shop-green: 0/2 healthy, need 2 (unhealthy 2: Target.Timeout 2)"


# --- switch requests ---------------------------------------------------------------------------------------------

LISTENER = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2"
RULE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee"
BLUE = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue/1"
GREEN = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-green/2"
RED = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-red/3"


def test_arn_helpers():
    assert traffic.region_of_arn(LISTENER) == "us-east-1"
    assert traffic.region_of_arn("shop-blue") is None
    assert traffic.listener_of_rule(RULE) == LISTENER
    assert traffic.load_balancer_of(LISTENER) == traffic.load_balancer_of(RULE) == "shop-alb"
    with pytest.raises(ValueError, match="not a listener rule ARN"):
        traffic.listener_of_rule(LISTENER)


def test_target_group_name_is_read_from_its_arn_only():
    assert traffic.target_group_name(BLUE) == "shop-blue"
    assert traffic.target_group_name("arn:aws-cn:elasticloadbalancing:cn-north-1:123456789012:targetgroup/tg-1/abc") == "tg-1"
    # Anything else is looked up (None): a plain name, a listener ARN, a truncated ARN.
    for other in ("shop-blue", LISTENER, "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-blue", None):
        assert traffic.target_group_name(other) is None


def switch(**item):
    base = {"load_balancer_name": None, "port": None, "listener_arn": None, "rule_priority": None, "rule_arn": None,
            "forward": {"shop-green": 100}, "purge_unlisted": False, "region": None}
    base.update(item)
    return base


def test_normalise_switch_by_name_uses_the_module_region():
    request = traffic.normalise_switch(switch(load_balancer_name="shop-alb", port=443, forward={"shop-blue": "90", "shop-green": 10}), 0, "eu-west-1")
    assert request["region"] == "eu-west-1"
    assert request["forward"] == {"shop-blue": 90, "shop-green": 10}
    assert request["where"] == "switches[0]"


def test_normalise_switch_rule_arn_alone_gives_listener_and_region():
    request = traffic.normalise_switch(switch(rule_arn=RULE, forward={BLUE: 1}), 3, "eu-west-1")
    assert (request["listener_arn"], request["region"]) == (LISTENER, "us-east-1")


@pytest.mark.parametrize("item, message", [
    (switch(), "say which listener"),
    (switch(load_balancer_name="a", port=1, listener_arn=LISTENER), "not both"),
    (switch(load_balancer_name="a"), "needs port"),
    (switch(listener_arn=LISTENER, rule_priority=1, rule_arn=RULE), "rule_priority or rule_arn"),
    (switch(listener_arn=LISTENER.replace("f2f7", "0000"), rule_arn=RULE), "belongs to listener"),
    (switch(listener_arn=LISTENER, forward={}), "forward must map"),
    (switch(listener_arn=LISTENER, forward={"a": 1000}), "outside 0..999"),
    (switch(listener_arn=LISTENER, forward={"a": "ten"}), "not a whole number"),
    (switch(listener_arn=LISTENER, forward={"a": True}), "not a whole number"),
    (switch(listener_arn=LISTENER, forward={"a": 0, "b": 0}), "traffic nowhere"),
    (switch(listener_arn=LISTENER, region="us-west-2"), "does not match"),
    (switch(load_balancer_name="a", port=1), "no region"),
    (switch(listener_arn=LISTENER, forward={BLUE.replace("us-east-1", "us-west-2"): 1}), "not in the listener's region"),
])
def test_normalise_switch_errors_name_the_entry(item, message):
    with pytest.raises(ValueError, match=message) as caught:
        traffic.normalise_switch(item, 2, None if "no region" in message else "us-east-1")
    assert str(caught.value).startswith("switches[2]")


# --- forward actions ---------------------------------------------------------------------------------------------

def test_forward_action_weighted_plain_and_missing():
    weighted = [{"Type": "authenticate-oidc"}, {"Type": "forward", "Order": 2, "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": BLUE, "Weight": 3}, {"TargetGroupArn": GREEN}]}}]
    assert traffic.forward_action(weighted) == (1, {BLUE: 3, GREEN: 1})
    assert traffic.forward_action([{"Type": "forward", "TargetGroupArn": BLUE}]) == (0, {BLUE: 1})
    assert traffic.forward_action([{"Type": "fixed-response"}]) == (None, {})


def test_desired_forward_keeps_unlisted_groups_at_zero_in_place():
    assert list(traffic.desired_forward({BLUE: 1}, {GREEN: 100}).items()) == [(BLUE, 0), (GREEN, 100)]
    assert list(traffic.desired_forward({GREEN: 0, BLUE: 1}, {BLUE: 90, GREEN: 10}).items()) == [(GREEN, 10), (BLUE, 90)]


def test_desired_forward_purge_unlisted_removes_them():
    assert traffic.desired_forward({BLUE: 0, GREEN: 100}, {BLUE: 1}, purge_unlisted=True) == {BLUE: 1}


def test_desired_forward_limits():
    many = dict(("arn:tg/%s" % i, 1) for i in range(5))
    with pytest.raises(ValueError, match="at most 5 target groups"):
        traffic.desired_forward(many, {"arn:tg/new": 1})
    with pytest.raises(ValueError, match="weight 0"):
        traffic.desired_forward({BLUE: 1}, {BLUE: 0})


def test_actions_with_forward_changes_only_the_weights():
    actions = [
        {"Type": "authenticate-oidc", "Order": 1, "AuthenticateOidcConfig": {"Issuer": "https://idp", "ClientId": "c"}},
        {"Type": "forward", "Order": 2, "TargetGroupArn": BLUE,
         "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 1}],
                           "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}},
    ]
    new = traffic.actions_with_forward(actions, 1, {BLUE: 0, GREEN: 100})
    assert new[1] == {"Type": "forward", "Order": 2, "ForwardConfig": {
        "TargetGroups": [{"TargetGroupArn": BLUE, "Weight": 0}, {"TargetGroupArn": GREEN, "Weight": 100}],
        "TargetGroupStickinessConfig": {"Enabled": True, "DurationSeconds": 300}}}
    assert new[0]["AuthenticateOidcConfig"] == {"Issuer": "https://idp", "ClientId": "c", "UseExistingClientSecret": True}
    assert "UseExistingClientSecret" not in actions[0]["AuthenticateOidcConfig"]  # the input is not modified
    assert actions[1]["TargetGroupArn"] == BLUE


@pytest.mark.parametrize("before, after, gaining", [
    ({BLUE: 1}, {BLUE: 0, GREEN: 100}, [GREEN]),
    ({BLUE: 90, GREEN: 10}, {BLUE: 50, GREEN: 50}, [GREEN]),
    ({BLUE: 0, GREEN: 100}, {BLUE: 1}, [BLUE]),
    ({BLUE: 1}, {BLUE: 100}, []),                       # same share, bigger number
    ({BLUE: 50, GREEN: 50}, {BLUE: 90, GREEN: 10}, [BLUE]),
    ({BLUE: 0}, {BLUE: 1, GREEN: 1}, [BLUE, GREEN]),     # from nothing, everything gains
])
def test_gaining_groups_are_those_whose_share_grows(before, after, gaining):
    assert traffic.gaining_groups(before, after) == gaining


def plan(before, after, changed=True, rule_arn=None):
    return {"listener_arn": LISTENER, "rule_arn": rule_arn, "before_arns": before, "after_arns": after, "changed": changed,
            "label": "shop-alb:443 default action (us-east-1)"}


HEALTH = {
    GREEN: {"name": "shop-green", "healthy": False, "healthy_count": 0, "unhealthy_count": 2, "total": 2,
            "reasons": {"Target.FailedHealthChecks": 2}},
    BLUE: {"name": "shop-blue", "healthy": True, "healthy_count": 2, "unhealthy_count": 0, "total": 2, "reasons": {}},
}


def test_health_refusals_name_the_unhealthy_destination():
    refused = traffic.health_refusals([plan({BLUE: 1}, {BLUE: 90, GREEN: 10})], HEALTH)
    assert refused == [{"group": "shop-green", "arn": GREEN, "switch": "shop-alb:443 default action (us-east-1)", "percent": 10,
                        "healthy_count": 0, "unhealthy_count": 2, "total": 2, "reasons": {"Target.FailedHealthChecks": 2}}]
    message = traffic.refusal_message(refused)
    assert message.startswith("Refusing to switch traffic, nothing was changed: shop-green (would get 10% on shop-alb:443")
    assert "0 healthy of 2 targets (Target.FailedHealthChecks 2)" in message and "force: true" in message


def test_health_refusals_ignore_unchanged_switches_and_groups_losing_traffic():
    assert traffic.health_refusals([plan({GREEN: 1}, {GREEN: 1}, changed=False)], HEALTH) == []
    assert traffic.health_refusals([plan({BLUE: 50, GREEN: 50}, {BLUE: 100, GREEN: 0})], HEALTH) == []


def test_restore_switches_put_back_exactly_by_arn():
    plans = [plan({BLUE: 1}, {BLUE: 0, GREEN: 100}), plan({BLUE: 90, GREEN: 10}, {BLUE: 90, GREEN: 10}, changed=False, rule_arn=RULE)]
    assert traffic.restore_switches(plans) == [
        {"listener_arn": LISTENER, "rule_arn": None, "forward": {BLUE: 1}, "purge_unlisted": True},
        {"listener_arn": LISTENER, "rule_arn": RULE, "forward": {BLUE: 90, GREEN: 10}, "purge_unlisted": True},
    ]
    # Fed back, a restore entry yields exactly the before weights.
    assert traffic.desired_forward({BLUE: 0, GREEN: 100}, {BLUE: 1}, purge_unlisted=True) == {BLUE: 1}


def test_switch_label_and_diff():
    result = {"load_balancer_name": "shop-alb", "port": 443, "region": "us-east-1", "rule_arn": RULE, "rule_priority": 10,
              "listener_arn": LISTENER, "before": {"shop-blue": 1}, "after": {"shop-blue": 0, "shop-green": 100}}
    assert traffic.switch_diff(result) == {"before_header": "shop-alb:443 rule 10 (us-east-1)", "after_header": "shop-alb:443 rule 10 (us-east-1)",
                                           "before": "shop-blue: 100% (weight 1)\n", "after": "shop-blue: 0%\nshop-green: 100%\n"}
    assert traffic.switch_label(dict(result, rule_arn=None)) == "shop-alb:443 default action (us-east-1)"


def test_switch_diff_of_a_later_check_mode_step_says_its_before_is_predicted():
    result = {"load_balancer_name": "shop-alb", "port": 443, "region": "us-east-1", "rule_arn": RULE, "rule_priority": 10,
              "listener_arn": LISTENER, "before": {"shop-blue": 90, "shop-green": 10}, "after": {"shop-blue": 50, "shop-green": 50},
              "predicted_after_step": 1}
    diff = traffic.switch_diff(result)
    assert diff["before_header"] == "shop-alb:443 rule 10 (us-east-1), as step 1 would leave it (predicted)"
    assert (diff["before"], diff["after"]) == ("shop-blue: 90%\nshop-green: 10%\n", "shop-blue: 50%\nshop-green: 50%\n")


def test_weight_lines_in_percent_with_the_weight_when_not_out_of_100():
    assert traffic.weight_lines({"a": 1, "b": 3}) == "a: 25% (weight 1)\nb: 75% (weight 3)\n"
    assert traffic.weight_lines({"a": 90, "b": 10}) == "a: 90%\nb: 10%\n"
    assert traffic.weight_lines({}) == ""


def test_chain_forward_applies_the_earlier_steps_in_order():
    steps = traffic.canary_schedule([10, 50, 100], BLUE, GREEN)
    assert traffic.chain_forward({BLUE: 1}, []) == {BLUE: 1}
    assert traffic.chain_forward({BLUE: 1}, steps[:1]) == {BLUE: 90, GREEN: 10}
    assert traffic.chain_forward({BLUE: 1}, steps[:2]) == {BLUE: 50, GREEN: 50}
    # Each prediction is what the step's own switch makes of the previous one's.
    assert traffic.desired_forward(traffic.chain_forward({BLUE: 1}, steps[:2]), steps[2]) == {BLUE: 0, GREEN: 100}
    # A restore entry is what was read, not the prediction.
    chained = dict(plan({BLUE: 50, GREEN: 50}, {BLUE: 0, GREEN: 100}), live_arns={BLUE: 1})
    assert traffic.restore_switches([chained])[0]["forward"] == {BLUE: 1}


def test_normalise_switch_keeps_and_checks_the_earlier_forwards():
    request = traffic.normalise_switch(switch(listener_arn=LISTENER, earlier=[{BLUE: "90", GREEN: 10}]), 0, None)
    assert request["earlier"] == [{BLUE: 90, GREEN: 10}]
    assert traffic.normalise_switch(switch(listener_arn=LISTENER), 0, None)["earlier"] == []
    with pytest.raises(ValueError, match=r"switches\[0\].earlier\[0\].x: weight 'ten'"):
        traffic.normalise_switch(switch(listener_arn=LISTENER, earlier=[{"x": "ten"}]), 0, None)
    with pytest.raises(ValueError, match="earlier must be a list"):
        traffic.normalise_switch(switch(listener_arn=LISTENER, earlier={"x": 1}), 0, None)


def test_named_and_percent():
    assert traffic.named({BLUE: 1, RED: 2}, {BLUE: "shop-blue"}) == {"shop-blue": 1, RED: 2}
    assert (traffic.percent({BLUE: 1, GREEN: 3}, GREEN), traffic.percent({}, GREEN)) == (75, 0)


# --- canary schedule and forward diff -----------------------------------------------------------------------------

def test_canary_schedule():
    assert traffic.canary_schedule([10, 50, 100], "blue", "green") == [
        {"blue": 90, "green": 10}, {"blue": 50, "green": 50}, {"green": 100}]
    assert traffic.canary_schedule(["25", 100.0], "a", "b") == [{"a": 75, "b": 25}, {"b": 100}]
    assert traffic.canary_schedule([100], "a", "b") == [{"b": 100}]


@pytest.mark.parametrize("steps, message", [
    ([], "non-empty list"),
    ("10,100", "non-empty list"),
    ([0, 100], "outside 1..100"),
    ([50, 150], "outside 1..100"),
    ([50, 50, 100], "must increase"),
    ([60, 40, 100], "must increase"),
    ([10, 50], "must end at 100"),
    ([12.5, 100], "not a whole number"),
    ([True, 100], "not a whole number"),
])
def test_canary_schedule_rejects_bad_steps(steps, message):
    with pytest.raises(ValueError, match=message):
        traffic.canary_schedule(steps, "blue", "green")


def test_canary_schedule_needs_two_groups():
    with pytest.raises(ValueError, match="two different groups"):
        traffic.canary_schedule([100], "blue", "blue")


def test_forward_diff():
    assert traffic.forward_diff({"blue": 1}, {"blue": 0, "green": 100}) == [
        {"group": "blue", "before": 1, "after": 0}, {"group": "green", "before": None, "after": 100}]
    assert traffic.forward_diff({"blue": 1, "green": 0}, {"blue": 1}) == []
    listed = [{"target_group_name": "blue", "target_group_arn": "arn:b", "weight": 90}, {"target_group_name": "green", "weight": 10}]
    assert traffic.forward_diff(listed, {"blue": 90, "green": 10}) == []
    assert traffic.forward_diff(None, {"green": 1}) == [{"group": "green", "before": None, "after": 1}]
    with pytest.raises(ValueError, match="needs a group name and a weight"):
        traffic.forward_diff([{"weight": 1}], {})
