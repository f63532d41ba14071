# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""alb_traffic_switch, alb_target_health and cloudwatch_gate through real ansible-playbook runs on the sandbox.

What the modules did is read back with boto3 straight from the sandbox's moto, not taken from their own results.
"""

from __future__ import annotations

import datetime
import json
import threading
import uuid

import pytest

from conftest import flat, ok, sandbox_cli, sandbox_client

SWITCH = "tests/integration/playbooks/alb_traffic_switch.yml"
CANARY = "tests/integration/playbooks/traffic_canary.yml"
HEALTH = "tests/integration/playbooks/alb_target_health.yml"
GATE = "tests/integration/playbooks/cloudwatch_gate.yml"
SIDES = {"primary": ("us-east-1", "shop-primary-alb"), "dr": ("us-west-2", "shop-dr-alb")}


@pytest.fixture
def play(run_playbook, tmp_path):
    """Run a test playbook (optionally --check / --diff); returns (process, saved result).

    Each test playbook saves its registered result to <prefix>_result_path, given here.
    """

    def run(playbook, sandbox, prefix, check=False, diff=False, **extra_vars):
        out = tmp_path / ("%s-%s.json" % (prefix, uuid.uuid4().hex[:8]))
        variables = dict(extra_vars, **{"%s_result_path" % prefix: str(out)})
        proc, _ = run_playbook(playbook, env=sandbox["env"], extra_vars=variables,
                               args=["--check"] * check + ["--diff"] * diff)
        return proc, (json.loads(out.read_text()) if out.exists() else None)

    return run




def aws(sandbox, service, region):
    return sandbox_client(sandbox, service, region)


def listener(sandbox, side):
    region, name = SIDES[side]
    elb = aws(sandbox, "elbv2", region)
    lb = elb.describe_load_balancers(Names=[name])["LoadBalancers"][0]
    return elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]


def weights(sandbox, actions, region):
    """{target group name: weight} of the forward action, read from AWS."""
    elb = aws(sandbox, "elbv2", region)
    groups = next(action for action in actions if action["Type"] == "forward")["ForwardConfig"]["TargetGroups"]
    names = dict((group["TargetGroupArn"], group["TargetGroupName"]) for group in
                 elb.describe_target_groups(TargetGroupArns=[g["TargetGroupArn"] for g in groups])["TargetGroups"])
    return dict((names[group["TargetGroupArn"]], group["Weight"]) for group in groups)


def listener_weights(sandbox, side):
    return weights(sandbox, listener(sandbox, side)["DefaultActions"], SIDES[side][0])


def flip_to_green(sides=("primary", "dr")):
    return [{"load_balancer_name": SIDES[side][1], "port": 80, "region": SIDES[side][0],
             "forward": {"shop-%s-green" % side: 100}} for side in sides]


def test_blue_green_flip_of_both_sides_check_idempotence_and_restore(fresh_sandbox, play):
    seeded = dict((side, listener(fresh_sandbox, side)["DefaultActions"]) for side in SIDES)

    # --check --diff: predicts the flip of both listeners, changes nothing.
    proc, predicted = play(SWITCH, fresh_sandbox, "switch", check=True, diff=True, switch_switches=flip_to_green())
    ok(proc)
    assert predicted["changed"] is True
    assert [(s["load_balancer_name"], s["before"], s["after"], s["changed"]) for s in predicted["switches"]] == [
        ("shop-primary-alb", {"shop-primary-blue": 1}, {"shop-primary-blue": 0, "shop-primary-green": 100}, True),
        ("shop-dr-alb", {"shop-dr-blue": 1}, {"shop-dr-blue": 0, "shop-dr-green": 100}, True)]
    assert "before: shop-primary-alb:80 default action (us-east-1)" in proc.stdout
    assert "-shop-dr-blue: 100% (weight 1)\n+shop-dr-blue: 0%\n+shop-dr-green: 100%" in proc.stdout  # the --diff, in percent
    assert dict((side, listener(fresh_sandbox, side)["DefaultActions"]) for side in SIDES) == seeded

    # The flip: both ALBs' listeners in one task; AWS reads back green.
    proc, flipped = play(SWITCH, fresh_sandbox, "switch", switch_switches=flip_to_green())
    ok(proc)
    assert flipped["changed"] is True and all(s["changed"] for s in flipped["switches"])
    assert listener_weights(fresh_sandbox, "primary") == {"shop-primary-blue": 0, "shop-primary-green": 100}
    assert listener_weights(fresh_sandbox, "dr") == {"shop-dr-blue": 0, "shop-dr-green": 100}
    assert [s["after"] for s in flipped["switches"]] == [s["after"] for s in predicted["switches"]]  # check mode was honest

    # Again: nothing to do.
    proc, again = play(SWITCH, fresh_sandbox, "switch", switch_switches=flip_to_green())
    ok(proc)
    assert again["changed"] is False and not any(s["changed"] for s in again["switches"])

    # The restore list of the flip, fed back, puts the listeners back exactly as seeded.
    proc, restored = play(SWITCH, fresh_sandbox, "switch", switch_switches=flipped["restore"])
    ok(proc)
    assert restored["changed"] is True
    assert dict((side, listener(fresh_sandbox, side)["DefaultActions"]) for side in SIDES) == seeded


def test_canary_steps_90_10_then_50_50_then_all(fresh_sandbox, play):
    proc, readings = play(CANARY, fresh_sandbox, "canary")
    ok(proc)
    assert [(r["weights"], r["active_colour"], r["changed"]) for r in readings] == [
        ({"blue": 90, "green": 10}, "split", True), ({"blue": 50, "green": 50}, "split", True), ({"green": 100}, "green", True)]
    assert [r["after"] for r in readings] == [
        {"shop-primary-blue": 90, "shop-primary-green": 10}, {"shop-primary-blue": 50, "shop-primary-green": 50},
        {"shop-primary-blue": 0, "shop-primary-green": 100}]
    assert listener_weights(fresh_sandbox, "primary") == {"shop-primary-blue": 0, "shop-primary-green": 100}


def test_unhealthy_green_is_refused_before_any_change_and_force_overrides(fresh_sandbox, play):
    sandbox_cli(fresh_sandbox["state"], "knob", "target-health", "--target-group", "shop-primary-green", "--state", "unhealthy")
    seeded = dict((side, listener(fresh_sandbox, side)["DefaultActions"]) for side in SIDES)

    # The healthy DR side comes first in the list: it must not be switched either.
    proc, refused = play(SWITCH, fresh_sandbox, "switch", switch_switches=flip_to_green(("dr", "primary")))
    assert proc.returncode != 0
    assert refused["failed"] is True and refused["changed"] is False
    assert [(item["group"], item["healthy_count"], item["total"]) for item in refused["refused"]] == [("shop-primary-green", 0, 2)]
    assert ("Refusing to switch traffic, nothing was changed: shop-primary-green (would get 100% on shop-primary-alb:80 "
            "default action (us-east-1)) has 0 healthy of 2 targets (Target.FailedHealthChecks 2)") in refused["msg"]
    assert dict((side, listener(fresh_sandbox, side)["DefaultActions"]) for side in SIDES) == seeded

    proc, forced = play(SWITCH, fresh_sandbox, "switch", switch_switches=flip_to_green(("primary",)), switch_force=True)
    ok(proc)
    assert forced["changed"] is True
    assert listener_weights(fresh_sandbox, "primary") == {"shop-primary-blue": 0, "shop-primary-green": 100}


def test_listener_rule_switch_changes_only_that_rule(fresh_sandbox, play):
    region = SIDES["primary"][0]
    elb = aws(fresh_sandbox, "elbv2", region)
    before = listener(fresh_sandbox, "primary")
    groups = dict((g["TargetGroupName"], g["TargetGroupArn"]) for g in elb.describe_target_groups()["TargetGroups"])
    rule = elb.create_rule(ListenerArn=before["ListenerArn"], Priority=77,
                           Conditions=[{"Field": "path-pattern", "Values": ["/it-switch/*"]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": groups["shop-primary-blue"]}])["Rules"][0]

    proc, result = play(SWITCH, fresh_sandbox, "switch", diff=True, switch_switches=[
        {"load_balancer_name": "shop-primary-alb", "port": 80, "rule_priority": 77, "forward": {"shop-primary-green": 100}}])
    ok(proc)
    switched = result["switches"][0]
    assert (switched["rule_arn"], switched["rule_priority"], switched["before"], switched["after"]) == (
        rule["RuleArn"], 77, {"shop-primary-blue": 1}, {"shop-primary-blue": 0, "shop-primary-green": 100})
    assert "before: shop-primary-alb:80 rule 77 (us-east-1)" in proc.stdout

    now = elb.describe_rules(RuleArns=[rule["RuleArn"]])["Rules"][0]
    assert weights(fresh_sandbox, now["Actions"], region) == {"shop-primary-blue": 0, "shop-primary-green": 100}
    assert now["Conditions"] == rule["Conditions"] and now["Priority"] == "77"
    assert listener(fresh_sandbox, "primary")["DefaultActions"] == before["DefaultActions"]  # the default action is untouched

    proc, restored = play(SWITCH, fresh_sandbox, "switch", switch_switches=result["restore"])
    ok(proc)
    assert weights(fresh_sandbox, elb.describe_rules(RuleArns=[rule["RuleArn"]])["Rules"][0]["Actions"], region) == {"shop-primary-blue": 1}


def test_target_health_waits_for_recovery_and_reports_numbers(fresh_sandbox, play):
    state = fresh_sandbox["state"]
    sandbox_cli(state, "knob", "target-health", "--target-group", "shop-primary-green", "--state", "unhealthy")

    # Not ready in time: a failure with the numbers, or a report with fail_on_timeout false.
    proc, timed_out = play(HEALTH, fresh_sandbox, "health", health_target_groups=["shop-primary-blue", "shop-primary-green"], health_timeout=1)
    assert proc.returncode != 0
    assert "shop-primary-green: 0/2 healthy, need 2 (unhealthy 2: Target.FailedHealthChecks 2)" in timed_out["msg"]
    assert timed_out["all_ready"] is False and timed_out["polls"] >= 2
    proc, report = play(HEALTH, fresh_sandbox, "health", health_target_groups=["shop-primary-green"], health_timeout=0,
                        health_fail_on_timeout=False)
    ok(proc)
    green = report["target_groups"][0]
    assert (green["registered"], green["healthy"], green["unhealthy"], green["states"], green["ready"]) == (2, 0, 2, {"unhealthy": 2}, False)

    # The targets recover while the module waits: it returns as soon as it sees them healthy.
    recover = threading.Timer(3.0, sandbox_cli, (state, "knob", "target-health", "--target-group", "shop-primary-green", "--state", "healthy"))
    recover.start()
    try:
        proc, waited = play(HEALTH, fresh_sandbox, "health", health_target_groups=["shop-primary-green"], health_timeout=60)
    finally:
        recover.join()
    ok(proc)
    assert waited["all_ready"] is True and waited["target_groups"][0]["healthy"] == 2
    assert waited["polls"] >= 2 and 0.5 <= waited["elapsed_seconds"] < 30  # it polled (0.5 s first pause) until they were


def put(sandbox, metric, dimensions, values):
    """Datapoints one minute apart, the newest 20 s ago (each in its own 60 s period of a 300 s window)."""
    now = datetime.datetime.now(datetime.timezone.utc)
    aws(sandbox, "cloudwatch", "us-east-1").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": metric, "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
         "Timestamp": now - datetime.timedelta(seconds=20 + 60 * index), "Value": float(value)}
        for index, value in enumerate(reversed(values))])


def test_cloudwatch_gates_on_metrics_and_alarms(fresh_sandbox, play):
    elb = aws(fresh_sandbox, "elbv2", "us-east-1")
    lb_arn = elb.describe_load_balancers(Names=["shop-primary-alb"])["LoadBalancers"][0]["LoadBalancerArn"]
    tg_arn = elb.describe_target_groups(Names=["shop-primary-green"])["TargetGroups"][0]["TargetGroupArn"]
    dimensions = {"LoadBalancer": lb_arn.split(":loadbalancer/")[1], "TargetGroup": tg_arn.split(":")[-1]}
    put(fresh_sandbox, "HTTPCode_Target_5XX_Count", dimensions, [0, 1, 2])
    put(fresh_sandbox, "TargetResponseTime", dimensions, [0.2, 2.5, 1.5])
    sandbox_cli(fresh_sandbox["state"], "knob", "alarm", "--name", "shop-primary-5xx", "--state", "ALARM")

    metric = {"namespace": "AWS/ApplicationELB", "dimensions": dimensions}
    checks = [
        dict(metric, metric_name="HTTPCode_Target_5XX_Count", statistic="Sum", threshold=10),
        dict(metric, metric_name="TargetResponseTime", statistic="Average", threshold=0.5),
        dict(metric, metric_name="HTTPCode_ELB_5XX_Count", statistic="Sum", threshold=0),
        dict(metric, metric_name="HTTPCode_ELB_5XX_Count", statistic="Sum", threshold=0, treat_missing_data="fail"),
        {"alarm_name": "shop-primary-5xx"},
        {"alarm_name": "shop-primary-latency"},
    ]
    proc, results = play(GATE, fresh_sandbox, "gate", gate_checks=checks)
    ok(proc)
    low, high, missing, missing_fails, alarm, calm = results
    assert (low["passed"], low["value"], len(low["datapoints"])) == (True, 2.0, 3)
    assert "worst of 3 datapoints is 2 at" in low["reason"] and "not > threshold 10: pass" in low["reason"]
    assert (high["passed"], high["value"], high["threshold"], high["comparison"]) == (False, 2.5, 0.5, "GreaterThanThreshold")
    assert "TargetResponseTime (Average per 60 s, LoadBalancer=%s" % dimensions["LoadBalancer"] in high["reason"]
    assert "worst of 3 datapoints is 2.5 at" in high["reason"] and ", > threshold 0.5: breach" in high["reason"]
    assert (missing["passed"], missing["value"], missing["datapoints"]) == (True, None, [])
    assert missing_fails["passed"] is False and "no datapoints" in missing_fails["reason"]
    assert (alarm["passed"], alarm["alarm"]["state"]) == (False, "ALARM")
    assert alarm["reason"].startswith("alarm shop-primary-5xx is ALARM (passing states: OK)")
    assert (calm["passed"], calm["alarm"]["state"]) == (True, "OK")

    # fail_on_breach turns a failed gate into a failed task, still with the numbers.
    proc, results = play(GATE, fresh_sandbox, "gate", gate_checks=[dict(checks[1], fail_on_breach=True)])
    assert proc.returncode != 0
    assert results[0]["failed"] is True and results[0]["passed"] is False and results[0]["value"] == 2.5
    assert "Gate failed: TargetResponseTime" in flat(proc.stdout)
