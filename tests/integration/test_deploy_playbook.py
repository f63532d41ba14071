# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/deploy.yml and playbooks/rollback.yml end to end on a private sandbox: real ansible-playbook, real
modules. What each test checks is read back from the sandbox itself (ELBv2 API, helm, Kubernetes), not only from
the runbook's report."""

from __future__ import annotations

import datetime
import json
import re
import subprocess

import pytest

from conftest import clean_env, flat, ok, sandbox_cli, sandbox_client

SIDES = {"primary": "us-east-1", "dr": "us-west-2"}


# -- running the playbooks ---------------------------------------------------------------------------------------------
@pytest.fixture
def runbook(run_playbook, tmp_path):
    """Run deploy.yml or rollback.yml with a JSON report; returns (process, report, changed count)."""
    counter = {"n": 0}

    def run(sandbox, playbook, extra_vars=None, check=False, inventory="inventories/sandbox", diff=False):
        counter["n"] += 1
        report = tmp_path / ("report-%d.json" % counter["n"])
        key = "deploy_report_path" if playbook.endswith("deploy.yml") else "rollback_report_path"
        variables = dict(extra_vars or {}, **{key: str(report)})
        proc, _ = run_playbook(playbook, inventory=inventory, env=sandbox["env"], extra_vars=variables,
                               args=(["--check"] if check else []) + (["--diff"] if diff else []))
        recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
        return proc, (json.loads(report.read_text()) if report.exists() else None), (int(recap.group(1)) if recap else None)

    return run


def failed(proc):
    assert proc.returncode != 0, "ansible-playbook should have failed:\n%s" % proc.stdout[-8000:]


# -- reading the sandbox back --------------------------------------------------------------------------------------------
def elbv2(sandbox, side):
    return sandbox_client(sandbox, "elbv2", SIDES[side])


def listener(sandbox, side, lb_name):
    client = elbv2(sandbox, side)
    lb = client.describe_load_balancers(Names=[lb_name])["LoadBalancers"][0]
    return client, lb, client.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]


def actions(sandbox, side, lb_name, rule_priority=None):
    """The listener's default actions, or a rule's actions: the whole structure, to compare before and after."""
    client, _, lst = listener(sandbox, side, lb_name)
    if rule_priority is None:
        return lst["DefaultActions"]
    rules = client.describe_rules(ListenerArn=lst["ListenerArn"])["Rules"]
    return [r for r in rules if r["Priority"] == str(rule_priority)][0]["Actions"]


def weights(sandbox, side, lb_name, rule_priority=None):
    """Target group name -> weight of the forward action."""
    client = elbv2(sandbox, side)
    forward = actions(sandbox, side, lb_name, rule_priority)[0]["ForwardConfig"]["TargetGroups"]
    names = dict((g["TargetGroupArn"], g["TargetGroupName"]) for g in client.describe_target_groups(
        TargetGroupArns=[f["TargetGroupArn"] for f in forward])["TargetGroups"])
    return dict((names[f["TargetGroupArn"]], f["Weight"]) for f in forward)


def helm(sandbox, side, *args):
    kubeconfig = sandbox["env"]["KUBECONFIG_PRIMARY" if side == "primary" else "KUBECONFIG_DR"]
    out = subprocess.run([str(sandbox["state"] / "bin" / "helm"), *args, "--kubeconfig", kubeconfig, "-o", "json"],
                         env=dict(clean_env(), **sandbox["env"]), capture_output=True, text=True, check=True, timeout=60)
    return json.loads(out.stdout)


def release(sandbox, side, namespace, name):
    """(revision, status, chart, user values, description of the last revision) of a release."""
    history = helm(sandbox, side, "history", name, "-n", namespace)
    last = history[-1]
    return {"revision": last["revision"], "status": last["status"], "chart": last["chart"], "description": last["description"],
            "values": helm(sandbox, side, "get", "values", name, "-n", namespace)}


def record(sandbox, side, namespace, service):
    """The deploy record ConfigMap's record, or None."""
    from kubernetes import client, config

    kubeconfig = sandbox["env"]["KUBECONFIG_PRIMARY" if side == "primary" else "KUBECONFIG_DR"]
    api = client.CoreV1Api(config.new_client_from_config(config_file=kubeconfig))
    try:
        return json.loads(api.read_namespaced_config_map("cloudops-deploy-" + service, namespace).data["record.json"])
    except client.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    finally:
        api.api_client.close()


def snapshot(sandbox):
    """Everything a deploy of web or catalog may touch: listener/rule actions and the four releases per side."""
    state = {}
    for side in SIDES:
        lb = "shop-%s-alb" % side
        state[side, "listener"] = actions(sandbox, side, lb)
        for name in ("shop-blue", "shop-green"):
            state[side, name] = release(sandbox, side, "shop", name)
        state[side, "record-web"] = record(sandbox, side, "shop", "web")
    state["primary", "rule10"] = actions(sandbox, "primary", "shop-primary-alb", 10)
    for name in ("catalog-blue", "catalog-green"):
        state["primary", name] = release(sandbox, "primary", "catalog", name)
    state["primary", "record-catalog"] = record(sandbox, "primary", "catalog", "catalog")
    return state


def same_content(before, after):
    """A release rolled back: a newer revision with the chart and user values it had before, deployed."""
    return (after["chart"], after["values"], after["status"]) == (before["chart"], before["values"], "deployed")


# -- blue-green --------------------------------------------------------------------------------------------------------
def test_bluegreen_deploy_flips_to_green_then_is_idempotent_and_rolls_back(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)

    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "deploy_service": "web"})
    ok(proc)
    for side in SIDES:
        # The listener reads back green, and blue stays attached with weight 0 for an instant rollback.
        assert weights(sb, side, "shop-%s-alb" % side) == {"shop-%s-blue" % side: 0, "shop-%s-green" % side: 100}
        green = release(sb, side, "shop", "shop-green")
        assert (green["revision"], green["status"], green["values"]["image"]["tag"]) == (2, "deployed", "1.1.0")
        assert release(sb, side, "shop", "shop-blue") == before[side, "shop-blue"]  # the old colour is untouched
        rec = record(sb, side, "shop", "web")
        assert (rec["outcome"], rec["version"], rec["release"], rec["previous_revision"], rec["revision"]) == (
            "deployed", "1.1.0", "shop-green", 1, 2)
    assert before["primary", "rule10"] == actions(sb, "primary", "shop-primary-alb", 10)  # catalog not selected

    assert (report["outcome"], report["version"], report["check_mode"]) == ("deployed", "1.1.0", False)
    [web] = report["services"]
    assert (web["service"], web["strategy"], web["outcome"]) == ("web", "bluegreen", "deployed")
    primary = [s for s in web["sides"] if s["side"] == "primary"][0]
    assert (primary["from_colour"], primary["to_colour"], primary["revision_before"], primary["revision_after"]) == ("blue", "green", 1, 2)
    assert primary["traffic_before"] == {"shop-primary-blue": 1}
    assert primary["traffic_after"] == {"shop-primary-blue": 0, "shop-primary-green": 100}
    assert [j["job"]["outcome"] for j in web["smoke"]] == ["complete", "complete"]
    assert "DEPLOY 1.1.0 to sandbox: deployed" in proc.stdout

    # Same version again: green already serves 1.1.0, nothing to do (blue is not redeployed and flipped).
    proc, report, changed = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "deploy_service": "web"})
    ok(proc)
    assert changed == 0
    assert (report["outcome"], report["services"][0]["outcome"]) == ("unchanged", "unchanged")
    assert "already serves from shop-green" in report["services"][0]["message"]
    assert release(sb, "primary", "shop", "shop-blue")["revision"] == 1

    # rollback.yml: traffic back to blue exactly as seeded, green back to revision 1's chart and values.
    proc, report, _ = runbook(sb, "playbooks/rollback.yml", {"rollback_service": "web"})
    ok(proc)
    for side in SIDES:
        assert actions(sb, side, "shop-%s-alb" % side) == before[side, "listener"]
        green = release(sb, side, "shop", "shop-green")
        assert (green["revision"], green["description"]) == (3, "Rollback to 1")
        assert same_content(before[side, "shop-green"], green)
        assert record(sb, side, "shop", "web")["outcome"] == "rolled_back"
    assert report["outcome"] == "rolled_back"
    assert sorted((e["side"], e["rolled_back_to"], e["revision_after"]) for e in report["services"]) == [("dr", 1, 3), ("primary", 1, 3)]

    # A second rollback finds everything as before: no change at all.
    proc, report, changed = runbook(sb, "playbooks/rollback.yml", {"rollback_service": "web"})
    ok(proc)
    assert changed == 0 and report["outcome"] == "unchanged"
    assert release(sb, "primary", "shop", "shop-green")["revision"] == 3


# -- canary --------------------------------------------------------------------------------------------------------------
def test_canary_deploy_goes_through_every_step(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "2.0.0", "deploy_service": "catalog"})
    ok(proc)

    assert weights(sb, "primary", "shop-primary-alb", 10) == {"shop-primary-catalog-blue": 0, "shop-primary-catalog-green": 100}
    assert actions(sb, "primary", "shop-primary-alb") == before["primary", "listener"]  # the default action is web's
    green = release(sb, "primary", "catalog", "catalog-green")
    assert (green["revision"], green["values"]["image"]["tag"]) == (2, "2.0.0")

    [catalog] = report["services"]
    assert (catalog["strategy"], catalog["outcome"]) == ("canary", "deployed")
    steps = catalog["steps"]
    assert [s["percent"] for s in steps] == [10, 50, 100]
    assert [s["switches"][0]["after"] for s in steps] == [
        {"shop-primary-catalog-blue": 90, "shop-primary-catalog-green": 10},
        {"shop-primary-catalog-blue": 50, "shop-primary-catalog-green": 50},
        {"shop-primary-catalog-blue": 0, "shop-primary-catalog-green": 100}]
    for step in steps:  # every gate ran after every step and passed (no 5XX datapoints: missing data passes)
        assert [(g["name"], g["passed"]) for g in step["gates"]] == [("target 5xx", True)]
        assert [(h["name"], h["ready"]) for h in step["health"]] == [("shop-primary-catalog-green", True)]
    assert record(sb, "primary", "catalog", "catalog")["traffic_before"]["forward"] == {
        before["primary", "rule10"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"]: 1}


def put_5xx(sandbox, count):
    """5XX datapoints on the green catalog target group, inside the gate's window (the last 120 s)."""
    client, lb, _ = listener(sandbox, "primary", "shop-primary-alb")
    tg = client.describe_target_groups(Names=["shop-primary-catalog-green"])["TargetGroups"][0]
    dimensions = [{"Name": "LoadBalancer", "Value": lb["LoadBalancerArn"].split(":loadbalancer/")[1]},
                  {"Name": "TargetGroup", "Value": "targetgroup/" + tg["TargetGroupArn"].split(":targetgroup/")[1]}]
    now = datetime.datetime.now(datetime.timezone.utc)
    sandbox_client(sandbox, "cloudwatch", "us-east-1").put_metric_data(Namespace="AWS/ApplicationELB", MetricData=[
        {"MetricName": "HTTPCode_Target_5XX_Count", "Dimensions": dimensions, "Timestamp": now - datetime.timedelta(seconds=ago),
         "Value": count, "Unit": "Count"} for ago in (5, 65)])


# Long (`make test`'s budget): a gate failing mid-deploy and the rollback it triggers are in `make test` through the
# alarm gate (test_rolling_upgrades_in_place_gates_on_an_alarm_and_rolls_back); the metric gate's verdict is unit-tested.
@pytest.mark.long
def test_failed_metric_gate_mid_canary_rolls_back(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)
    put_5xx(sb, 42)  # the new colour errs: the gate after the first step (10 %) must stop the canary
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "2.0.0", "deploy_service": "catalog"})
    failed(proc)

    assert actions(sb, "primary", "shop-primary-alb", 10) == before["primary", "rule10"]  # exactly as before
    green = release(sb, "primary", "catalog", "catalog-green")
    assert (green["revision"], green["description"]) == (3, "Rollback to 1")
    assert same_content(before["primary", "catalog-green"], green)
    assert release(sb, "primary", "catalog", "catalog-blue") == before["primary", "catalog-blue"]

    [catalog] = report["services"]
    assert (report["outcome"], catalog["outcome"]) == ("failed", "rolled_back")
    [step] = catalog["steps"]  # stopped at the first step, mid-canary
    assert (step["percent"], step["passed"]) == (10, False)
    assert step["switches"][0]["after"] == {"shop-primary-catalog-blue": 90, "shop-primary-catalog-green": 10}
    [gate] = step["gates"]
    assert (gate["name"], gate["passed"], gate["value"], gate["threshold"]) == ("target 5xx", False, 42.0, 5.0)
    assert "Gate failed after step 1 of 3" in catalog["error"]
    assert catalog["rollback"]["verified"] is True
    assert record(sb, "primary", "catalog", "catalog")["outcome"] == "rolled_back"
    assert "Traffic and Helm revisions are as before the deploy" in flat(proc.stdout)

    # rollback.yml afterwards finds nothing to undo.
    proc, report, changed = runbook(sb, "playbooks/rollback.yml", {"rollback_service": "catalog"})
    ok(proc)
    assert changed == 0 and report["outcome"] == "unchanged"


# -- failures before traffic moves ------------------------------------------------------------------------------------------
def test_failed_smoke_test_leaves_traffic_and_revisions_as_before(fresh_sandbox, runbook):
    sb = fresh_sandbox
    sandbox_cli(sb["state"], "knob", "rollout", "--cluster", "primary", "--namespace", "shop", "--name", "web-smoke", "--fail")
    before = snapshot(sb)
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0"})  # every service: web first
    failed(proc)

    for side in SIDES:
        assert actions(sb, side, "shop-%s-alb" % side) == before[side, "listener"]
        green = release(sb, side, "shop", "shop-green")
        assert (green["revision"], green["description"]) == (3, "Rollback to 1")  # upgraded to 2, back to 1's content
        assert same_content(before[side, "shop-green"], green)
        assert release(sb, side, "shop", "shop-blue") == before[side, "shop-blue"]
    # The deploy stopped at web: catalog was not touched.
    assert actions(sb, "primary", "shop-primary-alb", 10) == before["primary", "rule10"]
    assert release(sb, "primary", "catalog", "catalog-green") == before["primary", "catalog-green"]

    web, catalog = report["services"]
    assert (web["outcome"], catalog["outcome"]) == ("rolled_back", "skipped")
    assert "Job shop/web-smoke failed" in web["error"] and "exit codes [1]" in web["error"]
    assert web["steps"] == []  # traffic never moved
    assert sorted((r["side"], r["rolled_back_to"], r["revision_after"]) for r in web["rollback"]["releases"]) == [("dr", 1, 3), ("primary", 1, 3)]
    assert "Deploy failed: web rolled_back" in flat(proc.stdout)


def test_unhealthy_green_is_refused_with_nothing_changed(fresh_sandbox, runbook):
    sb = fresh_sandbox
    sandbox_cli(sb["state"], "knob", "target-health", "--target-group", "shop-primary-green", "--state", "unhealthy")
    before = snapshot(sb)
    proc, report, changed = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0"})
    failed(proc)
    assert changed == 0 and report is None  # refused in preflight, before any change
    assert ("Deploy refused, nothing changed. Service web on primary: target group shop-primary-green of the green colour, "
            "which would get the traffic, has no healthy target (0 of 2 healthy)") in flat(proc.stdout)
    assert snapshot(sb) == before  # listeners, rule, every release revision, no record written


def test_split_traffic_is_refused_and_rollback_restores_an_interrupted_canary(fresh_sandbox, runbook):
    """A canary interrupted mid-way (here: the record written, the rule left at 50/50) is refused by the next deploy,
    and rollback.yml puts the rule back as it was before that deploy."""
    sb = fresh_sandbox
    before = snapshot(sb)
    # A deploy that only gets as far as its first record and a 50 % step: run it with a gate that always fails...
    put_5xx(sb, 42)
    proc, _, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "2.0.0", "deploy_service": "catalog"})
    failed(proc)
    # ...then put the rule at 50/50 by hand, as an interrupted canary leaves it.
    client, _, lst = listener(sb, "primary", "shop-primary-alb")
    rule = [r for r in client.describe_rules(ListenerArn=lst["ListenerArn"])["Rules"] if r["Priority"] == "10"][0]
    groups = dict((g["TargetGroupName"], g["TargetGroupArn"]) for g in client.describe_target_groups(
        Names=["shop-primary-catalog-blue", "shop-primary-catalog-green"])["TargetGroups"])
    client.modify_rule(RuleArn=rule["RuleArn"], Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": groups["shop-primary-catalog-blue"], "Weight": 50},
        {"TargetGroupArn": groups["shop-primary-catalog-green"], "Weight": 50}]}}])

    proc, report, changed = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "2.0.0", "deploy_service": "catalog"})
    failed(proc)
    assert changed == 0 and report is None
    assert ("Service catalog on primary: traffic is split on shop-primary-alb:80 rule 10 ({\"blue\": 50, \"green\": 50}), an "
            "interrupted canary? Restore the state before that deploy with playbooks/rollback.yml -e rollback_service=catalog") in flat(proc.stdout)

    proc, report, _ = runbook(sb, "playbooks/rollback.yml", {"rollback_service": "catalog"})
    ok(proc)
    assert actions(sb, "primary", "shop-primary-alb", 10) == before["primary", "rule10"]


# -- check mode ---------------------------------------------------------------------------------------------------------------
def test_check_mode_changes_nothing_and_reports_the_plan(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)
    # The literal command of the README: the sandbox inventory's default version (1.1.0), every service.
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {}, check=True, diff=True)
    ok(proc)
    assert snapshot(sb) == before
    check_diff_chains_the_canary_steps_in_percent(proc.stdout)

    assert (report["check_mode"], report["outcome"]) == (True, "would_deploy")
    web, catalog = report["services"]
    assert (web["outcome"], catalog["outcome"]) == ("would_deploy", "would_deploy")
    primary = [s for s in web["sides"] if s["side"] == "primary"][0]
    assert (primary["release"], primary["revision_before"], primary["revision_after"]) == ("shop-green", 1, 2)
    assert primary["traffic_after"] == {"shop-primary-blue": 0, "shop-primary-green": 100}
    assert [s["percent"] for s in catalog["steps"]] == [10, 50, 100]
    assert all(s["checked"] is False and s["gates"] == [] for s in catalog["steps"])  # nothing to observe in check mode
    assert "DEPLOY 1.1.0 to sandbox: would_deploy (check mode: nothing changed)" in proc.stdout


def check_diff_chains_the_canary_steps_in_percent(stdout):
    """`--check --diff` at 3 a.m.: each canary step's before is the previous step's prediction (check mode changed
    nothing, so a step reading the listener would show blue at 100% every time), each group's share in percent.
    (Checked in the check-mode test's run, which already deploys the canary catalog with --check: no run of its own.)"""
    rule = "shop-primary-alb:80 rule 10 (us-east-1)"
    steps = [step for step in re.findall(r"^--- before: (.*)\n\+\+\+ after: (.*)\n@@[^\n]*\n((?:[-+ ].*\n)+)", stdout, re.M)
             if step[1] == rule]
    assert [(b, a) for b, a, _ in steps] == [(rule, rule), (rule + ", as step 1 would leave it (predicted)", rule),
                                              (rule + ", as step 2 would leave it (predicted)", rule)], stdout[-6000:]
    blue, green = "shop-primary-catalog-blue", "shop-primary-catalog-green"
    assert [lines.splitlines() for _, _, lines in steps] == [
        ["-%s: 100%% (weight 1)" % blue, "+%s: 90%%" % blue, "+%s: 10%%" % green],
        ["-%s: 90%%" % blue, "-%s: 10%%" % green, "+%s: 50%%" % blue, "+%s: 50%%" % green],
        ["-%s: 50%%" % blue, "-%s: 50%%" % green, "+%s: 0%%" % blue, "+%s: 100%%" % green]]
    # The blue-green flip of web, in percent too.
    assert "-shop-primary-blue: 100% (weight 1)\n+shop-primary-blue: 0%\n+shop-primary-green: 100%" in stdout


# -- rolling ------------------------------------------------------------------------------------------------------------------
ROLLING = [{
    "name": "web", "strategy": "rolling", "namespace": "shop", "chart": "sandbox/charts/sample-app", "version_value": "image.tag",
    "values": {"replicaCount": 2}, "release": "shop-blue", "sides": ["primary"],
    "traffic": {"primary": {"load_balancer_name": "shop-primary-alb", "listener_port": 80, "target_group": "shop-primary-blue"}},
    "smoke_test": {"job": {"image": "busybox:1.36", "command": ["true"]}, "timeout_seconds": 30},
    "bake_seconds": 1, "gates": [{"name": "5xx alarm", "alarm_name": "shop-{side}-5xx"}],
}]


def test_rolling_upgrades_in_place_gates_on_an_alarm_and_rolls_back(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.2.0", "cloudops_services": ROLLING})
    ok(proc)
    blue = release(sb, "primary", "shop", "shop-blue")
    assert (blue["revision"], blue["values"]["image"]["tag"]) == (2, "1.2.0")
    assert actions(sb, "primary", "shop-primary-alb") == before["primary", "listener"]  # no traffic switch
    [web] = report["services"]
    assert (web["strategy"], web["outcome"]) == ("rolling", "deployed")
    [step] = web["steps"]  # one observation after the upgrade: the alarm gate
    assert (step["percent"], step["switches"], [(g["name"], g["passed"]) for g in step["gates"]]) == (None, [], [("5xx alarm", True)])

    # The alarm fires during the next deploy: the release goes back to 1.2.0's revision by itself.
    sandbox_cli(sb["state"], "knob", "alarm", "--name", "shop-primary-5xx", "--state", "ALARM")
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.3.0", "cloudops_services": ROLLING})
    failed(proc)
    blue_after = release(sb, "primary", "shop", "shop-blue")
    assert (blue_after["revision"], blue_after["description"]) == (4, "Rollback to 2")
    assert same_content(blue, blue_after)
    [web] = report["services"]
    assert web["outcome"] == "rolled_back" and "alarm shop-primary-5xx is ALARM" in web["error"]

    # rollback.yml has nothing left to undo from that deploy.
    proc, report, changed = runbook(sb, "playbooks/rollback.yml", {"cloudops_services": ROLLING})
    ok(proc)
    assert changed == 0 and report["outcome"] == "unchanged"


# -- bad input ----------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("extra_vars, message", [
    ({"deploy_version": ""}, "No version: give the version to ship with -e deploy_version=VERSION"),
    ({"deploy_version": "1.1.0", "deploy_service": "nope"}, "Unknown service nope (deploy_service): cloudops_services declares web, catalog."),
    ({"deploy_version": "1.1.0", "deploy_sides": ["moon"]}, "Unknown side moon (deploy_sides): cloudops_eks declares primary, dr."),
    ({"deploy_version": "1.1.0", "deploy_service": "catalog", "deploy_sides": ["dr"]}, "Service catalog: it runs on primary, not on dr (deploy_sides)."),
    ({"deploy_version": "1.1.0", "cloudops_services": [dict(ROLLING[0], strategy="canary", canary={"steps": [50, 20]})]},
     "strategy canary needs releases: {blue: RELEASE, green: RELEASE}."),
])
def test_bad_requests_are_refused_before_any_change(sandbox, runbook, extra_vars, message):
    proc, report, changed = runbook(sandbox, "playbooks/deploy.yml", extra_vars)
    failed(proc)
    assert changed == 0 and report is None
    assert "Deploy refused, nothing changed." in flat(proc.stdout)
    assert message in flat(proc.stdout)


def test_canary_steps_must_increase_to_100(sandbox, runbook):
    services = [dict(ROLLING[0], strategy="canary", releases={"blue": "shop-blue", "green": "shop-green"},
                     traffic={"primary": {"load_balancer_name": "shop-primary-alb", "listener_port": 80,
                                          "target_groups": {"blue": "shop-primary-blue", "green": "shop-primary-green"}}},
                     canary={"steps": [50, 20, 90]})]
    for service in services:
        service.pop("release"), service.pop("sides")
    proc, report, changed = runbook(sandbox, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "cloudops_services": services})
    failed(proc)
    assert changed == 0
    assert "canary.steps [50, 20, 90] must be whole percentages above 0, strictly increasing, ending at 100" in flat(proc.stdout)


def test_rollback_refuses_a_revision_without_a_service(sandbox, runbook):
    proc, report, changed = runbook(sandbox, "playbooks/rollback.yml", {"rollback_revision": 1})
    failed(proc)
    assert changed == 0
    assert "Rollback refused, nothing changed. rollback_revision needs rollback_service" in flat(proc.stdout)


# -- waves: services shipped together ------------------------------------------------------------------------------------------
def estate_services():
    """cloudops_services of the sandbox inventory (web, catalog), to declare deploy_after on."""
    import yaml

    with open("inventories/sandbox/group_vars/all/estate.yml") as handle:
        return yaml.safe_load(handle)["cloudops_services"]


def test_a_wave_ships_two_services_together(fresh_sandbox, runbook):
    sb = fresh_sandbox
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "cloudops_deploy": {"max_parallel": 2}})
    ok(proc)

    assert report["waves"] == [["web", "catalog"]]
    assert [(s["service"], s["outcome"]) for s in report["services"]] == [("web", "deployed"), ("catalog", "deployed")]
    for side in SIDES:
        assert weights(sb, side, "shop-%s-alb" % side) == {"shop-%s-blue" % side: 0, "shop-%s-green" % side: 100}
        assert record(sb, side, "shop", "web")["outcome"] == "deployed"
    assert weights(sb, "primary", "shop-primary-alb", 10) == {"shop-primary-catalog-blue": 0, "shop-primary-catalog-green": 100}
    assert record(sb, "primary", "catalog", "catalog")["outcome"] == "deployed"
    web, catalog = report["services"]
    assert [s["percent"] for s in web["steps"]] == [100] and [s["percent"] for s in catalog["steps"]] == [10, 50, 100]
    assert web["sides"][0]["revision_after"] == 2 and catalog["sides"][0]["revision_after"] == 2
    # One module process brings both new colours up; one per traffic step across the wave (catalog's schedule: 3).
    assert proc.stdout.count("TASK [Deploy | bring the new colour up") == 1
    assert proc.stdout.count("TASK [Deploy | traffic step") == 3
    assert "waves (shipped together): web, catalog" in flat(proc.stdout)


def test_a_failure_in_a_wave_rolls_the_whole_wave_back(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)
    put_5xx(sb, 42)  # catalog's gate fails after its first step, when web has already flipped in the same step
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "cloudops_deploy": {"max_parallel": 2}})
    failed(proc)

    for side in SIDES:
        assert actions(sb, side, "shop-%s-alb" % side) == before[side, "listener"]
        green = release(sb, side, "shop", "shop-green")
        assert (green["revision"], green["description"]) == (3, "Rollback to 1") and same_content(before[side, "shop-green"], green)
        assert record(sb, side, "shop", "web")["outcome"] == "rolled_back"
    assert actions(sb, "primary", "shop-primary-alb", 10) == before["primary", "rule10"]
    assert release(sb, "primary", "catalog", "catalog-green")["description"] == "Rollback to 1"
    assert record(sb, "primary", "catalog", "catalog")["outcome"] == "rolled_back"

    web, catalog = report["services"]
    assert (report["outcome"], web["outcome"], catalog["outcome"]) == ("failed", "rolled_back", "rolled_back")
    assert "Gate failed after step 1 of 3" in catalog["error"]
    assert web["error"] == "rolled back with its wave: catalog failed"
    assert web["rollback"]["verified"] is True and catalog["rollback"]["verified"] is True
    assert "Deploy failed: web rolled_back (rolled back with its wave: catalog failed); catalog rolled_back" in flat(proc.stdout)


def test_deploy_after_orders_the_waves_and_a_failed_wave_skips_the_later_ones(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = snapshot(sb)
    services = [dict(s, deploy_after=["catalog"]) if s["name"] == "web" else s for s in estate_services()]
    put_5xx(sb, 42)
    proc, report, _ = runbook(sb, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "cloudops_services": services,
                                                          "cloudops_deploy": {"max_parallel": 2}})
    failed(proc)

    assert report["waves"] == [["catalog"], ["web"]]  # after catalog, although declared first
    catalog, web = report["services"]
    assert (catalog["service"], catalog["outcome"], web["service"], web["outcome"]) == ("catalog", "rolled_back", "web", "skipped")
    assert web["message"] == "not deployed: an earlier service failed and was rolled back"
    for side in SIDES:  # web was never touched
        assert actions(sb, side, "shop-%s-alb" % side) == before[side, "listener"]
        assert release(sb, side, "shop", "shop-green") == before[side, "shop-green"]
        assert record(sb, side, "shop", "web") == before[side, "record-web"]


@pytest.mark.parametrize("deploy_after, settings, message", [
    ({"web": ["nope"]}, {}, "Service web: deploy_after names nope, which cloudops_services does not declare (web, catalog)."),
    ({"web": ["catalog"], "catalog": ["web"]}, {"max_parallel": 2},
     "cloudops_services: deploy_after goes round in a cycle (web -> catalog -> web): no service of it could ship first."),
    ({}, {"max_parallel": 0}, "cloudops_deploy.max_parallel must be a whole number of services shipped at once, 1 or more; got 0."),
])
def test_a_bad_wave_declaration_is_refused_before_any_change(sandbox, runbook, deploy_after, settings, message):
    services = [dict(s, deploy_after=deploy_after[s["name"]]) if s["name"] in deploy_after else s for s in estate_services()]
    proc, report, changed = runbook(sandbox, "playbooks/deploy.yml", {"deploy_version": "1.1.0", "cloudops_services": services,
                                                                     "cloudops_deploy": settings})
    failed(proc)
    assert changed == 0 and report is None
    assert "Deploy refused, nothing changed." in flat(proc.stdout) and message in flat(proc.stdout)
    assert "take the runbook lock" not in proc.stdout  # refused before the lock
