# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy

EKS = {"primary": {"region": "us-east-1", "cluster_name": "shop-primary", "kubeconfig": "/k/p.yaml"},
       "dr": {"region": "us-west-2", "cluster_name": "shop-dr", "context": "dr"}}

WEB = {"name": "web", "strategy": "bluegreen", "namespace": "shop", "chart": "oci://charts/sample-app", "version_value": "image.tag",
       "values": {"replicaCount": 2, "image": {"repository": "app"}}, "releases": {"blue": "shop-blue", "green": "shop-green"},
       "side_values": {"dr": {"replicaCount": 1}},
       "traffic": {"primary": {"load_balancer_name": "shop-primary-alb", "listener_port": 80,
                               "target_groups": {"blue": "shop-primary-blue", "green": "shop-primary-green"}},
                   "dr": {"load_balancer_name": "shop-dr-alb", "listener_port": 80,
                          "target_groups": {"blue": "shop-dr-blue", "green": "shop-dr-green"}}},
       "smoke_test": {"job": {"image": "busybox", "command": ["true"]}, "http": {"url": "http://{service}.{side}/{colour}?v={version}"},
                      "timeout_seconds": 60}}
CATALOG = {"name": "catalog", "strategy": "canary", "namespace": "catalog", "chart": "oci://charts/sample-app", "version_value": "image.tag",
           "releases": {"blue": "catalog-blue", "green": "catalog-green"},
           "traffic": {"primary": {"load_balancer_name": "shop-primary-alb", "listener_port": 80, "rule_priority": 10,
                                   "target_groups": {"blue": "cat-blue", "green": "cat-green"}}},
           "canary": {"steps": [10, 50, 100], "pause_seconds": 2},
           "gates": [{"name": "5xx", "metric_name": "HTTPCode_Target_5XX_Count", "statistic": "Sum", "threshold": 5},
                     {"name": "alarm", "alarm_name": "{service}-{side}-errors"}]}
ROLLING = {"name": "worker", "strategy": "rolling", "namespace": "shop", "chart": "oci://charts/worker", "version_value": "image.tag",
           "release": "worker", "sides": ["primary"]}
SERVICES = [WEB, CATALOG, ROLLING]

LB_ARN = "arn:aws:elasticloadbalancing:us-east-1:123:loadbalancer/app/shop-primary-alb/abc"


def tg_arn(name):
    return "arn:aws:elasticloadbalancing:us-east-1:123:targetgroup/%s/def" % name


def alb(active, groups, healthy=2, rule=False):
    forward = [{"target_group_name": groups[active], "target_group_arn": tg_arn(groups[active]), "weight": 100}]
    out = {"load_balancer_arn": LB_ARN, "listener_arn": LB_ARN.replace("loadbalancer", "listener") + "/1", "active_colour": active,
           "weights": {active: 100}, "forward": forward,
           "target_groups": dict((name, {"arn": tg_arn(name), "healthy_count": healthy, "unhealthy_count": 0, "total": 2})
                                 for name in groups.values())}
    if rule:
        out["rule_arn"] = out["listener_arn"] + "/rule/10"
    return out


def release(name, tag, status="deployed", revision=3):
    return {"name": name, "namespace": "shop", "revision": revision, "status": status, "values": {"image": {"tag": tag}}}


# -- the request --------------------------------------------------------------------------------------------------------

def test_select_resolves_sides_and_limits_them():
    selected = deploy.select(SERVICES, "", ["primary"])
    assert [(s["name"], s["all_sides"], s["sides"]) for s in selected] == [
        ("web", ["primary", "dr"], ["primary"]), ("catalog", ["primary"], ["primary"]), ("worker", ["primary"], ["primary"])]
    assert [s["name"] for s in deploy.select(SERVICES, "catalog")] == ["catalog"]
    assert deploy.select(SERVICES, "web")[0]["sides"] == ["primary", "dr"]


def test_a_good_request_has_no_problem():
    assert deploy.request_problems(SERVICES, EKS, "1.1.0") == []
    assert deploy.request_problems(SERVICES, EKS, "1.1.0", "web", ["dr"]) == []


@pytest.mark.parametrize("kwargs, problem", [
    ({"version": " "}, "No version: give the version to ship with -e deploy_version=VERSION (it goes into each service's version_value, e.g. image.tag)."),
    ({"service": "nope"}, "Unknown service nope (deploy_service): cloudops_services declares web, catalog, worker."),
    ({"sides": ["moon"]}, "Unknown side moon (deploy_sides): cloudops_eks declares primary, dr."),
    ({"service": "catalog", "sides": ["dr"]}, "Service catalog: it runs on primary, not on dr (deploy_sides)."),
])
def test_request_problems(kwargs, problem):
    args = dict({"version": "1.1.0", "service": "", "sides": []}, **kwargs)
    assert problem in deploy.request_problems(SERVICES, EKS, args["version"], args["service"], args["sides"])


def test_nothing_to_deploy_only_when_nothing_else_is_wrong():
    assert deploy.request_problems([WEB, CATALOG], dict(EKS, moon={}), "1.1.0", "", ["moon"]) == [
        "Nothing to deploy: no selected service runs on moon (deploy_sides)."]


def test_service_problems_name_each_field():
    bad = {"name": "x", "strategy": "canary", "namespace": "n", "releases": {"blue": "a", "green": "a"},
           "traffic": {"primary": {"load_balancer_name": "lb", "target_groups": {"blue": "b"}}, "mars": {}},
           "canary": {"steps": [50, 20, 90]},
           "gates": [{"name": "g1", "alarm_name": "a", "metric_name": "m"}, {"name": "g2", "metric_name": "m", "statistic": "Sum"}],
           "smoke_test": {"timeout_seconds": 5}}
    assert deploy.request_problems([bad, WEB, WEB], EKS, "1") == [
        "Service web is declared twice in cloudops_services: names must be unique.",
        "Service x: side mars is not in cloudops_eks (primary, dr).",
        "Service x: releases.blue and releases.green must be two releases.",
        "Service x: traffic.primary needs load_balancer_name, listener_port and target_groups: {blue, green} "
        "(missing listener_port, target_groups.blue, target_groups.green).",
        "Service x: traffic.mars needs load_balancer_name, listener_port and target_groups: {blue, green} "
        "(missing load_balancer_name, listener_port, target_groups).",
        "Service x: canary.steps [50, 20, 90] must be whole percentages above 0, strictly increasing, ending at 100 (e.g. [10, 50, 100]).",
        "Service x: gate g1 gives both alarm_name and metric_name: give one.",
        "Service x: gate g2 needs alarm_name, or metric_name + statistic + threshold.",
        "Service x: smoke_test needs job: {image, command} and/or http: {url}.",
    ]


@pytest.mark.parametrize("service, problem", [
    (dict(ROLLING, release=""), "Service worker: strategy rolling needs release: RELEASE (the release upgraded in place)."),
    (dict(ROLLING, sides=[]), "Service worker: no side to deploy to: give traffic.<side> (or sides, for a rolling service without a load balancer)."),
    (dict(ROLLING, strategy="canary", canary={"steps": [50, 20]}), "Service worker: strategy canary needs releases: {blue: RELEASE, green: RELEASE}."),
    (dict(CATALOG, canary={}), "Service catalog: strategy canary needs canary.steps, the percent of traffic on the new colour per step, e.g. [10, 50, 100]."),
    (dict(CATALOG, canary={"steps": [0, 100]}), "Service catalog: canary.steps [0, 100] must be whole percentages above 0"),
    (dict(CATALOG, canary={"steps": [10, 90]}), "Service catalog: canary.steps [10, 90] must be whole percentages above 0"),
    (dict(CATALOG, canary={"steps": ["10", 100]}), "Service catalog: canary.steps [\"10\", 100] must be whole percentages above 0"),
])
def test_service_problem(service, problem):
    found = deploy.request_problems([service], EKS, "1.1.0")
    assert any(p.startswith(problem) for p in found), found


def test_helm_reads_read_each_side_and_namespace_once():
    many = [WEB] + [dict(WEB, name="web-%02d" % i, releases={"blue": "web-%02d-blue" % i, "green": "web-%02d-green" % i}) for i in range(2, 11)]
    reads = deploy.helm_reads(deploy.select(many + [ROLLING]), EKS)
    assert [(r["side"], r["namespace"], len(r["names"])) for r in reads] == [("primary", "shop", 21), ("dr", "shop", 20)]
    assert reads[0]["names"][:3] == ["shop-blue", "shop-green", "web-02-blue"] and reads[0]["names"][-1] == "worker"
    assert (reads[0]["kubeconfig"], reads[0]["context"], reads[1]["kubeconfig"], reads[1]["context"]) == ("/k/p.yaml", "", "", "dr")
    results = [{"releases": [release("shop-blue", "1.0.0")]}, {"releases": [release("shop-green", "1.0.0")]}]
    assert deploy.releases_read(reads, results, "dr", "shop")[0]["name"] == "shop-green"
    assert deploy.releases_read(reads, results, "dr", "catalog") == []


# -- routes and plan ------------------------------------------------------------------------------------------------------

def web_route(active="blue", side="primary", **kwargs):
    groups = WEB["traffic"][side]["target_groups"]
    releases = kwargs.pop("releases", [release("shop-blue", "1.0.0"), release("shop-green", "0.9.0", revision=2)])
    return deploy.route(WEB, side, EKS, "1.1.0", "/project", kwargs.pop("alb", alb(active, groups)), releases)


def test_route_of_a_bluegreen_service_deploys_the_idle_colour():
    r = web_route()
    assert (r["active_colour"], r["target_colour"], r["release"], r["active_release"]) == ("blue", "green", "shop-green", "shop-blue")
    assert (r["active_tg"], r["target_tg"], r["target_tg_arn"]) == ("shop-primary-blue", "shop-primary-green", tg_arn("shop-primary-green"))
    assert r["release_info"]["revision"] == 2 and r["active_release_info"]["name"] == "shop-blue"
    assert r["target_health"] == {"healthy": 2, "unhealthy": 0, "total": 2}
    assert (r["load_balancer_dimension"], r["target_group_dimension"]) == ("app/shop-primary-alb/abc", "targetgroup/shop-primary-green/def")
    assert r["traffic_before"] == {"shop-primary-blue": 100}
    assert r["traffic_restore"] == {"listener_arn": LB_ARN.replace("loadbalancer", "listener") + "/1", "rule_arn": None,
                                    "forward": {tg_arn("shop-primary-blue"): 100}, "purge_unlisted": True}
    assert (r["region"], r["cluster_name"], r["kubeconfig"], r["context"], r["chart"], r["chart_version"]) == (
        "us-east-1", "shop-primary", "/k/p.yaml", "", "oci://charts/sample-app", "")
    assert r["values"] == {"replicaCount": 2, "image": {"repository": "app"}}
    assert web_route(side="dr")["values"] == {"replicaCount": 1, "image": {"repository": "app"}}


def test_route_of_a_rolling_service_and_a_local_chart(tmp_path):
    (tmp_path / "charts" / "worker").mkdir(parents=True)
    (tmp_path / "values.yaml").write_text("{}")
    service = dict(ROLLING, chart="charts/worker", values_files=["values.yaml"], chart_version=0.1)
    r = deploy.route(service, "primary", EKS, "2", str(tmp_path), {"skipped": True}, [release("worker", "1")])
    assert (r["active_colour"], r["target_colour"], r["release"], r["active_release"], r["traffic_restore"]) == (None, None, "worker", None, None)
    assert r["chart"] == str((tmp_path / "charts" / "worker").resolve()) and r["values_files"] == [str((tmp_path / "values.yaml").resolve())]
    assert r["chart_version"] == "0.1" and r["listener_arn"] is None and r["traffic_before"] == {}


def test_live_problems():
    split = web_route(alb=dict(alb("blue", WEB["traffic"]["primary"]["target_groups"]), active_colour="split", weights={"blue": 50, "green": 50}))
    missing = web_route(releases=[release("shop-blue", "1.0.0")])
    failed = web_route(releases=[release("shop-blue", "1.0.0"), release("shop-green", "1", status="failed", revision=4)])
    unhealthy = web_route(alb=alb("blue", WEB["traffic"]["primary"]["target_groups"], healthy=0))
    clusters = [{"item": "dr", "cluster": {"name": "shop-dr", "status": "UPDATING"}}, {"item": "primary", "cluster": {"status": "ACTIVE"}}]
    found = deploy.live_problems(clusters, [web_route(), split, missing, failed, unhealthy])
    assert found == [
        "EKS cluster shop-dr (dr) is UPDATING, not ACTIVE: wait for its update to finish.",
        "Service web on primary: traffic is split on shop-primary-alb:80 default action ({\"blue\": 50, \"green\": 50}), an interrupted canary? "
        "Restore the state before that deploy with playbooks/rollback.yml -e rollback_service=web (or finish it by hand), then deploy again.",
        "Service web on primary: Helm release shop-green not found in namespace shop: install it first (each colour is one release).",
        "Service web on primary: Helm release shop-green is failed at revision 4, not deployed: repair it first "
        "(playbooks/rollback.yml, or helm rollback shop-green).",
        "Service web on primary: target group shop-primary-green of the green colour, which would get the traffic, has no healthy "
        "target (0 of 2 healthy): fix its targets before deploying.",
    ]
    assert deploy.live_problems([], [unhealthy], require_target_healthy=False) == []


def test_live_problem_of_a_listener_that_forwards_elsewhere():
    other = web_route(alb=dict(alb("blue", WEB["traffic"]["primary"]["target_groups"]), active_colour="unknown"))
    assert deploy.live_problems([], [other]) == [
        "Service web on primary: shop-primary-alb:80 default action forwards to {\"shop-primary-blue\": 100}, not to exactly one of its "
        "colours blue/green (unknown): check traffic.primary.target_groups against the listener."]


def test_plan_entry_of_a_deploy_and_of_nothing_to_do():
    r = web_route()
    target = {"reasons": ["values changed"], "previous_revision": 2, "release": {"revision": 3}}
    entry = deploy.plan_entry(WEB, r, target, {"reasons": ["values changed"]})
    assert (entry["action"], entry["reason"], entry["release_revision"], entry["predicted_revision"]) == ("deploy", "values changed", 2, 3)
    assert (entry["release_version"], entry["live_version"], entry["steps"], entry["pause_seconds"]) == ("0.9.0", "1.0.0", [100], 0)
    assert entry["set_values"] == [{"value": "image.tag=1.1.0", "value_type": "string"}]
    assert entry["smoke_test"] == {
        "job": {"name": "web-smoke", "image": "busybox", "command": ["true"],
                "env": {"SMOKE_TARGET": "shop-green", "SMOKE_VERSION": "1.1.0", "SMOKE_COLOUR": "green", "SMOKE_SIDE": "primary"}},
        "http": {"url": "http://web.primary/green?v=1.1.0", "status": 200, "validate_certs": True}, "timeout_seconds": 60}
    done = deploy.plan_entry(WEB, r, target, {"reasons": []})
    assert (done["action"], done["reason"]) == ("none", "version 1.1.0 already serves from shop-blue: nothing to do")
    assert deploy.plan_entry(WEB, r, {"reasons": []}, {"reasons": ["x"]})["reason"] == "redeploy"


def test_plan_of_a_canary_with_gates_and_colour_value():
    service = dict(CATALOG, colour_value="colour")
    groups = CATALOG["traffic"]["primary"]["target_groups"]
    r = deploy.route(service, "primary", EKS, "1.1.0", "/p", alb("green", groups, rule=True), [release("catalog-blue", "1.0.0")])
    [entry] = deploy.plan([service], [r], [{"reasons": ["chart"], "previous_revision": None}], [{"reasons": ["chart"]}])
    assert (entry["target_colour"], entry["steps"], entry["pause_seconds"], entry["smoke_test"]) == ("blue", [10, 50, 100], 2, {})
    assert entry["set_values"][1] == {"value": "colour=blue", "value_type": "string"}
    assert entry["gates"] == [
        {"name": "5xx", "side": "primary", "region": "us-east-1", "namespace": "AWS/ApplicationELB", "metric_name": "HTTPCode_Target_5XX_Count",
         "statistic": "Sum", "threshold": 5.0, "comparison": "GreaterThanThreshold", "window_seconds": 300, "period": 60,
         "treat_missing_data": "pass", "dimensions": {"LoadBalancer": "app/shop-primary-alb/abc", "TargetGroup": "targetgroup/cat-blue/def"}},
        {"name": "alarm", "side": "primary", "region": "us-east-1", "alarm_name": "catalog-primary-errors", "ok_states": ["OK"]}]
    assert deploy.undimensioned_gates([entry]) == []
    no_lb = dict(entry, gates=[dict(entry["gates"][0], dimensions={})] * 2)
    assert deploy.undimensioned_gates([no_lb]) == ["5xx"]
    assert deploy.plan_lines([entry]) == [
        "catalog on primary: canary green -> blue (steps 10/50/100%), catalog-blue revision None -> None, 1.0.0 -> 1.1.0, 2 gate(s)"]


def test_plan_lines_of_nothing_to_do_and_rolling():
    r = deploy.route(ROLLING, "primary", EKS, "2", "/p", {}, [release("worker", "1")])
    rolling = deploy.plan_entry(ROLLING, r, {"reasons": ["values"], "previous_revision": 3, "release": {"revision": 4}}, {})
    none = dict(rolling, action="none", reason="nothing")
    assert deploy.plan_lines([rolling, none]) == ["worker on primary: rolling, in place, worker revision 3 -> 4, 1 -> 2", "worker on primary: nothing"]


def test_combine_is_recursive_and_leaves_its_inputs():
    base = {"a": {"b": 1, "c": [1]}, "d": 1}
    before = copy.deepcopy(base)
    assert deploy.combine(base, {"a": {"c": [2]}, "e": 3}) == {"a": {"b": 1, "c": [2]}, "d": 1, "e": 3}
    assert base == before


def test_dotted():
    assert deploy.dotted({"image": {"tag": "1"}}, "image.tag") == "1"
    assert deploy.dotted({"image": "x"}, "image.tag") is None
    assert deploy.dotted(None, "a") is None


def test_release_checks_one_call_per_side_and_their_results_by_route():
    primary, dr = web_route(), web_route(side="dr")
    rolling = deploy.route(ROLLING, "primary", EKS, "2", "/p", {}, [release("worker", "1")])
    calls = deploy.release_checks([primary, dr, rolling])
    assert [(c["side"], c["kubeconfig"], c["context"], [(r["key"], r["name"], r["validate"]) for r in c["releases"]]) for c in calls] == [
        ("primary", "/k/p.yaml", "", [("target:0", "shop-green", True), ("live:0", "shop-blue", False), ("target:2", "worker", True)]),
        ("dr", "", "dr", [("target:1", "shop-green", True), ("live:1", "shop-blue", False)])]
    assert calls[0]["releases"][0]["chart_version"] is None
    assert calls[0]["releases"][1]["set_values"] == [{"value": "image.tag=1.1.0", "value_type": "string"}]
    results = [{"results": [dict(r, reasons=[r["key"]]) for r in c["releases"]]} for c in calls]
    targets, lives = deploy.checks_of([primary, dr, rolling], results)
    assert [t["reasons"] for t in targets] == [["target:0"], ["target:1"], ["target:2"]]
    assert [l_.get("reasons") for l_ in lives] == [["live:0"], ["live:1"], None]


def test_live_check_passes_the_live_colour_to_colour_value():
    service = dict(WEB, colour_value="colour")
    r = deploy.route(service, "primary", EKS, "1.1.0", "/p", alb("blue", WEB["traffic"]["primary"]["target_groups"]), [])
    [call] = deploy.release_checks([r])
    assert [c["set_values"][1]["value"] for c in call["releases"]] == ["colour=green", "colour=blue"]


# -- one service's deploy, the report ----------------------------------------------------------------------------------

def planned(**kwargs):
    r = web_route(**kwargs)
    return deploy.plan_entry(WEB, r, {"reasons": ["values differ"], "previous_revision": 2, "release": {"revision": 3}}, {"reasons": ["x"]})


def test_service_steps_feed_the_roles():
    todo = [planned(), planned(side="dr")]
    steps = deploy.service_steps(todo)
    assert [h["name"] for h in steps["helm_releases"]] == ["shop-green", "shop-green"]
    assert steps["helm_releases"][0]["target_group"] == "shop-primary-green" and steps["helm_releases"][0]["health_timeout"] == 300
    assert steps["smoke_runs"][0]["job"]["name"] == "web-smoke" and steps["smoke_runs"][0]["timeout_seconds"] == 60
    assert steps["shift_routes"][1] == {"side": "dr", "region": "us-west-2", "load_balancer_name": "shop-dr-alb", "listener_port": 80,
                                        "rule_priority": None, "from_group": "shop-dr-blue", "to_group": "shop-dr-green"}
    assert (steps["shift"], steps["steps"], steps["gates"]) == (True, [100], [])
    assert steps["rollback_releases"][0]["revision"] == 2 and len(steps["rollback_switches"]) == 2
    assert steps["rollback_checks"][0]["forward"] == {tg_arn("shop-primary-blue"): 100}
    assert [s["side"] for s in steps["record_sources"]] == ["primary", "dr"]
    assert deploy.service_steps([])["shift"] is False


def test_side_reports_and_records():
    todo = [planned()]
    shift = {"steps": [{"switches": [{"side": "primary", "after": {"shop-primary-green": 100}}]}]}
    helm = [{"side": "primary", "revision_after": 3, "changed": True}]
    [side] = deploy.side_reports(todo, helm, {}, shift)
    assert (side["revision_after"], side["helm_changed"], side["traffic_after"]) == (3, True, {"shop-primary-green": 100})
    [restored] = deploy.side_reports(todo, helm, {"verified": True, "releases": [{"side": "primary", "revision_after": 4}]}, shift, "boom")
    assert (restored["revision_after"], restored["traffic_after"]) == (4, {"shop-primary-blue": 100})
    assert deploy.side_reports(todo, [], {}, {})[0]["revision_after"] == 2
    [started] = deploy.deploy_records(todo, "T0")
    assert started["record"]["outcome"] == "in_progress" and started["record"]["previous_revision"] == 2
    assert started["record"]["traffic_before"]["purge_unlisted"] is True
    [final] = deploy.deploy_records(todo, "T0", "rolled_back", [restored], " boom \n", "T1")
    assert (final["record"]["outcome"], final["record"]["revision"], final["record"]["error"], final["record"]["finished_at"]) == (
        "rolled_back", 4, "boom", "T1")


def test_unfinished_records_are_finished_when_the_version_serves():
    items = [dict(planned(), version="1.1.0")]
    found = [{"side": "primary", "record": {"outcome": "in_progress", "version": "1.1.0", "release": "shop-blue"}},
             {"side": "primary", "record": {"outcome": "in_progress", "version": "1.0.0", "release": "shop-blue"}},
             {"side": "primary", "record": {"outcome": "deployed", "version": "1.1.0", "release": "shop-blue"}},
             {"side": "primary", "record": None}]
    [entry] = deploy.unfinished_records(found, items, "T")
    assert entry["record"]["outcome"] == "deployed" and entry["record"]["revision"] == 3 and entry["record"]["finished_at"] == "T"


def test_failure_text_and_messages():
    assert deploy.failure_text("Upgrade", {"msg": "helm failed"}) == "Upgrade: helm failed"
    assert deploy.failure_text(None, {"results": [{"failed": True, "msg": "a"}, {"failed": False}, {"failed": True, "msg": "b"}]}) == "a task: a / b"
    todo = [planned(), planned(side="dr")]
    assert deploy.service_message(todo, False) == "1.1.0 is live on primary, dr (green, all at once)"
    canary = [dict(planned(), strategy="canary", steps=[10, 100])]
    assert deploy.service_message(canary, True) == "1.1.0 would be live on primary (green, in 2 steps 10/100%)"
    assert deploy.service_message([dict(planned(), strategy="rolling")], False) == "1.1.0 is live on primary (in place)"


def test_deploy_outcome_summary_and_failure():
    assert deploy.deploy_outcome([{"outcome": "unchanged"}, {"outcome": "deployed"}], False) == "deployed"
    assert deploy.deploy_outcome([{"outcome": "would_deploy"}], False) == "would_deploy"
    assert deploy.deploy_outcome([{"outcome": "unchanged"}], False) == "unchanged"
    assert deploy.deploy_outcome([{"outcome": "deployed"}], True) == "failed"
    sides = [{"side": "primary", "action": "deploy", "release": "shop-green", "from_colour": "blue", "to_colour": "green", "revision_before": 1,
              "revision_after": 2, "traffic_before": {"b": 100}, "traffic_after": {"g": 100}},
             {"side": "dr", "action": "none", "from_colour": "blue", "traffic_before": {"b": 100}},
             {"side": "x", "action": "skipped", "traffic_before": {}}]
    steps = [{"step": 1, "percent": 10, "gates": [{"side": "primary", "name": "5xx", "passed": False, "reason": "too many"}]},
             {"step": 1, "percent": None, "gates": [{"side": "primary", "name": "a", "passed": True, "reason": "ok"}]}]
    report = {"version": "1.1.0", "environment": "sandbox", "outcome": "failed", "check_mode": True,
              "services": [{"service": "web", "strategy": "canary", "outcome": "rolled_back", "message": "m", "sides": sides, "steps": steps,
                            "error": "boom"}]}
    assert deploy.deploy_summary_lines(report) == [
        "DEPLOY 1.1.0 to sandbox: failed (check mode: nothing changed)", "web [canary]: rolled_back - m",
        '  primary: blue -> green, shop-green revision 1 -> 2, traffic b 100% -> g 100%',
        '  dr: already deployed, blue serves, traffic b 100%', "  x: not deployed, traffic none",
        "  step 1 (10%) primary gate 5xx: FAIL - too many", "  after the upgrade primary gate a: pass - ok", "  error: boom"]
    assert deploy.deploy_failure(report) == ("Deploy failed: web rolled_back (boom). Traffic and Helm revisions are as before the deploy. "
                                             "Fix the cause and run the deploy again (services already deployed are skipped).")
    report["services"][0]["outcome"] = "rollback_failed"
    assert "ROLLBACK FAILED: traffic and/or releases are NOT as before" in deploy.deploy_failure(report)
    assert deploy.deploy_failure({"services": [{"outcome": "deployed"}]}) is None


# -- rollback ------------------------------------------------------------------------------------------------------------

def test_rollback_request():
    ok = deploy.rollback_request(SERVICES, EKS, sides=["primary"])
    assert ok["problems"] == [] and [s["name"] for s in ok["selected"]] == ["worker", "catalog", "web"]
    assert [(s["service"], s["side"]) for s in ok["sources"]] == [("worker", "primary"), ("catalog", "primary"), ("web", "primary")]
    assert deploy.rollback_request(SERVICES, EKS, revision=0, restore_traffic=False, restore_helm=False)["problems"] == [
        "rollback_revision needs rollback_service: a revision number belongs to one release.",
        "rollback_revision must be a revision number (see `helm history RELEASE`), got 0.",
        "rollback_revision with rollback_helm=false: nothing would use the revision.",
        "rollback_traffic and rollback_helm are both false: nothing to do."]
    assert deploy.rollback_request(SERVICES, EKS, "nope", ["moon"])["problems"] == [
        "Unknown service nope (rollback_service): cloudops_services declares web, catalog, worker.",
        "Unknown side moon (rollback_sides): cloudops_eks declares primary, dr."]


def test_rollback_plan_report_records_and_lines():
    record = {"service": "web", "side": "primary", "namespace": "shop", "release": "shop-green", "version": "1.1.0", "outcome": "deployed",
              "previous_revision": 1, "revision": 2, "region": "us-east-1", "load_balancer_name": "lb", "listener_port": 80, "rule_priority": None,
              "traffic_before": {"listener_arn": "L", "forward": {"A": 100}}}
    found = [{"service": "web", "side": "primary", "found": True, "record": record}, {"service": "web", "side": "dr", "found": False, "record": None}]
    plan_ = deploy.rollback_plan(found, EKS, "3")
    assert (plan_["switches"], plan_["releases"][0]["revision"], plan_["releases"][0]["kubeconfig"]) == ([record["traffic_before"]], 3, "/k/p.yaml")
    assert plan_["checks"] == [{"side": "primary", "region": "us-east-1", "load_balancer_name": "lb", "listener_port": 80, "rule_priority": None,
                                "forward": {"A": 100}}]
    assert deploy.rollback_plan(found, EKS, None, restore_traffic=False)["switches"] == []
    result = {"releases": [{"side": "primary", "release": "shop-green", "rolled_back_to": 1, "revision_before": 2, "revision_after": 3, "changed": True}],
              "traffic": [{"load_balancer_name": "lb", "port": 80, "rule_priority": None, "before": {"g": 100}, "after": {"b": 100}, "changed": True}]}
    report = deploy.rollback_report("sandbox", plan_, result, False, "T")
    assert (report["outcome"], report["unrecorded"], report["services"][0]["changed"]) == ("rolled_back", ["web on dr"], True)
    [entry] = deploy.rollback_records(report, plan_, EKS)
    assert (entry["record"]["outcome"], entry["record"]["rolled_back_to"], entry["record"]["revision"], entry["record"]["rolled_back_at"]) == (
        "rolled_back", 1, 3, "T")
    assert deploy.rollback_summary_lines(report) == [
        "ROLLBACK of sandbox: rolled_back",
        'web on primary (deploy of 1.1.0, deployed): release shop-green revision 2 -> 3 (content of 1), traffic {"g": 100} -> {"b": 100}',
        "web on dr: no deploy recorded"]
    unchanged = deploy.rollback_report("sandbox", plan_, {}, True, "T")
    assert unchanged["outcome"] == "unchanged" and "release untouched - already as before" in deploy.rollback_summary_lines(unchanged)[1]
    assert deploy.rollback_report("sandbox", deploy.rollback_plan([], EKS), {}, False, "T")["outcome"] == "nothing_recorded"


def test_rollback_result_verifies_what_was_read_back():
    helm = [{"item": {"side": "primary", "name": "shop-green", "revision": 1}, "rolled_back_to": 1, "previous_revision": 2, "changed": True,
             "release": {"revision": 3, "values": {"a": 1}}, "diff": {"after": {"chart": "app", "chart_version": "0.1.0", "values": {"a": 1}}}}]
    traffic_reads = [{"item": {"side": "primary", "load_balancer_name": "lb", "listener_port": 80, "forward": {"A": 100}},
                      "forward": [{"target_group_arn": "A", "target_group_name": "a", "weight": 100}]}]
    helm_reads = [{"item": {"side": "primary", "name": "shop-green", "revision": 1},
                   "releases": [{"status": "deployed", "chart": "app-0.1.0", "values": {"a": 1}}]}]
    good = deploy.rollback_result({"changed": True, "switches": [{"port": 80}]}, helm, traffic_reads, helm_reads)
    assert (good["changed"], good["verified"], good["problems"], good["releases"][0]["revision_after"]) == (True, True, [], 3)
    bad_reads = [dict(traffic_reads[0], forward=[{"target_group_arn": "B", "target_group_name": "b", "weight": 100}])]
    bad_helm = [dict(helm_reads[0], releases=[{"status": "failed", "chart": "app-0.1.0", "values": {}}])]
    bad = deploy.rollback_result({"skipped": True}, helm, bad_reads, bad_helm)
    assert bad["problems"] == ['primary: lb:80 forwards {"b": 100}, not the recorded {"A": 100}',
                               'primary: release shop-green is failed app-0.1.0 with values {}, not app-0.1.0 with {"a": 1} (revision 1)']
    assert not bad["verified"] and deploy.rollback_result({}, [], [], [dict(helm_reads[0], releases=[])])["problems"] == [
        "primary: release shop-green not found"]
    assert deploy.rollback_result({}, [], [{"skipped": True}], [], check_mode=True)["verified"] is False


# -- traffic_shift, helm_deploy, deploy_record ---------------------------------------------------------------------------

def test_shares_text_in_percent_without_the_groups_that_get_nothing():
    assert deploy.shares_text({"shop-blue": 1}) == "shop-blue 100%"
    assert deploy.shares_text({"shop-blue": 0, "shop-green": 100}) == "shop-green 100%"
    assert deploy.shares_text({"shop-blue": 90, "shop-green": 10}) == "shop-blue 90%, shop-green 10%"
    assert (deploy.shares_text({}), deploy.shares_text(None)) == ("none", "none")


def test_shift_schedule_steps_and_failure():
    routes_ = [{"side": "primary", "region": "r", "load_balancer_name": "lb", "listener_port": "80", "from_group": "b", "to_group": "g"}]
    schedule = deploy.shift_schedule([10, 100], routes_)
    assert schedule == [{"percent": 10, "sides": ["primary"], "switches": [{"load_balancer_name": "lb", "port": 80, "rule_priority": None,
                                                                            "region": "r", "forward": {"b": 90, "g": 10}}]},
                        {"percent": 100, "sides": ["primary"], "switches": [{"load_balancer_name": "lb", "port": 80, "rule_priority": None,
                                                                             "region": "r", "forward": {"g": 100},
                                                                             "earlier": [{"b": 90, "g": 10}]}]}]
    assert deploy.shift_schedule([100], [], [{"name": "g"}]) == [{"percent": None, "sides": [], "switches": []}]
    assert deploy.shift_schedule([100], []) == []
    with pytest.raises(ValueError):
        deploy.shift_schedule([50, 20], routes_)
    assert deploy.shift_health_groups(routes_) == [{"side": "primary", "region": "r", "name": "g"}]
    assert deploy.shift_health_groups(routes_, [{"name": "x"}]) == [{"name": "x"}]
    record = deploy.shift_step(0, schedule[0], {"switches": [{"port": 80, "after": {"g": 10}, "changed": True}]},
                               {"results": [{"item": {"side": "primary", "name": "5xx"}, "passed": False, "reason": "high"}, {"skipped": True}]},
                               {"results": [{"item": {"side": "primary"}, "target_groups": [{"name": "g", "healthy": 1, "registered": 2,
                                                                                            "ready": False, "states": {"healthy": 1}}]}]})
    assert (record["step"], record["passed"], record["switches"][0]["side"], record["checked"]) == (1, False, "primary", True)
    result = deploy.shift_result({"steps": []}, record)
    assert (len(result["steps"]), result["passed"], result["failed_step"]) == (1, False, 1)
    assert deploy.shift_failure(record, 2) == ('Gate failed after step 1 of 2 (10% on the new colour): primary | gate 5xx: high; '
                                               'primary | target group g has 1 of 2 targets healthy {"healthy": 1}')


def test_helm_deploy_results_and_parse_records():
    upgrades = [{"item": {"side": "primary", "name": "shop-green", "target_group": "g"}, "changed": True, "previous_revision": 1,
                 "release": {"revision": 2, "chart": "app", "chart_version": "0.1.0", "app_version": "1", "status": "deployed"}, "reasons": ["x"]}]
    health = {"results": [{"item": {"side": "primary"}, "target_groups": [{"name": "g", "healthy": 2}]}]}
    [result] = deploy.helm_deploy_results(upgrades, health)
    assert (result["chart"], result["revision_after"], result["health"]) == ("app-0.1.0", 2, {"name": "g", "healthy": 2})
    assert deploy.helm_deploy_results(upgrades, [])[0]["health"] is None
    reads = [{"item": {"service": "web", "side": "primary"}, "resources": [{"data": {"record.json": '{"outcome": "deployed"}'}}]},
             {"item": {"service": "web", "side": "dr"}, "resources": []},
             {"item": {"service": "web", "side": "x"}, "resources": [{"data": {}}]}]
    assert deploy.parse_records(reads) == [{"service": "web", "side": "primary", "found": True, "record": {"outcome": "deployed"}},
                                           {"service": "web", "side": "dr", "found": False, "record": None},
                                           {"service": "web", "side": "x", "found": True, "record": None}]


def test_rollback_refusals_read_as_before():
    plan = {"records": [], "unrecorded": [{"service": "web", "side": "primary"}, {"service": "web", "side": "dr"}]}
    assert deploy.rollback_unrecorded_message("web", plan) == (
        "No deploy of web is recorded (ConfigMap cloudops-deploy-web on primary, dr): nothing to roll back. For a release without a "
        "record, use helm rollback, or deploy the previous version with playbooks/deploy.yml.")
    assert deploy.rollback_unrecorded_message("", plan) is None  # every service: nothing recorded is a report, not a refusal
    assert deploy.rollback_unrecorded_message("web", dict(plan, records=[{"service": "web"}])) is None
    assert deploy.rollback_revision_unknown_message([]) is None
    assert deploy.rollback_revision_unknown_message(["cannot roll back release shop-green in namespace shop: no revision 9."]) == (
        "Rollback refused, nothing changed. cannot roll back release shop-green in namespace shop: no revision 9. Give rollback_revision "
        "one of the existing revisions (see `helm history RELEASE`), or leave it unset to go back to the revision recorded before the deploy.")
