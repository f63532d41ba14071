# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy's waves: which services ship together (cloudops_deploy.max_parallel, deploy_after), what a wave's
steps take, how a failed wave is put back and what the report says of each of its services."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy

from ansible_collections.cloudops.runbooks.tests.unit.plugins.module_utils.test_deploy_plan import CATALOG, EKS, SERVICES, WEB, alb, planned, release


def named(*names, **after):
    return [dict({"name": name}, **({"deploy_after": after[name]} if name in after else {})) for name in names]


# -- the declaration ----------------------------------------------------------------------------------------------------

def test_nothing_declared_keeps_the_declared_order_one_after_the_other():
    assert deploy.waves(named("a", "b", "c"), None, ["a", "b", "c"]) == [["a"], ["b"], ["c"]]
    assert deploy.waves(named("a", "b", "c"), {}, ["c", "a"]) == [["a"], ["c"]]  # the declared order, not the plan's


def test_max_parallel_groups_independent_services_in_declared_order():
    services = named("a", "b", "c", "d", "e")
    assert deploy.waves(services, {"max_parallel": 2}, ["a", "b", "c", "d", "e"]) == [["a", "b"], ["c", "d"], ["e"]]
    assert deploy.waves(services, {"max_parallel": 10}, ["a", "b", "c", "d", "e"]) == [["a", "b", "c", "d", "e"]]


def test_deploy_after_puts_a_service_in_a_later_wave():
    services = named("db-migrate", "api", "web", "worker", api=["db-migrate"], web=["api"], worker=["db-migrate"])
    assert deploy.waves(services, {"max_parallel": 4}, ["db-migrate", "api", "web", "worker"]) == [["db-migrate"], ["api", "worker"], ["web"]]
    # One after the other, the order respects deploy_after even against the declared order.
    assert deploy.waves(named("web", "api", web=["api"]), None, ["web", "api"]) == [["api"], ["web"]]
    # A dependency not deployed in this run (deploy_service) holds nothing back.
    assert deploy.waves(services, {"max_parallel": 4}, ["web"]) == [["web"]]


def test_plan_waves_of_the_plan_services():
    plan = [{"service": "web", "side": "primary"}, {"service": "web", "side": "dr"}, {"service": "catalog", "side": "primary"}]
    assert deploy.plan_waves(plan, [WEB, CATALOG], {"max_parallel": 2}) == [["web", "catalog"]]
    assert deploy.plan_waves(plan, [WEB, dict(CATALOG, deploy_after=["web"])], {"max_parallel": 2}) == [["web"], ["catalog"]]


@pytest.mark.parametrize("services, settings, problem", [
    (named("a", "b"), {"max_parallel": 0}, "cloudops_deploy.max_parallel must be a whole number of services shipped at once, 1 or more; got 0."),
    (named("a", "b"), {"max_parallel": "4"}, "cloudops_deploy.max_parallel must be a whole number of services shipped at once, 1 or more; got '4'."),
    (named("a", "b"), {"max_parallel": True}, "cloudops_deploy.max_parallel must be a whole number"),
    (named("a", "b"), {"max_parallel": 2.5}, "cloudops_deploy.max_parallel must be a whole number"),
    (named("a", "b"), {"parallel": 2}, "cloudops_deploy: unknown key(s) parallel (known: max_parallel)."),
    (named("a", "b"), [2], "cloudops_deploy must be a mapping, e.g. {max_parallel: 4}; got list."),
    (named("a", "b", b=["c"]), {}, "Service b: deploy_after names c, which cloudops_services does not declare (a, b)."),
    (named("a", "b", b=["b"]), {}, "Service b: deploy_after names the service itself."),
    (named("a", "b", b=[3]), {}, "Service b: deploy_after must be a list of service names; got [3]."),
    (named("a", "b", "c", a=["c"], b=["a"], c=["b"]), {},
     "cloudops_services: deploy_after goes round in a cycle (a -> c -> b -> a): no service of it could ship first."),
])
def test_bad_declarations_are_refused(services, settings, problem):
    found = deploy.wave_problems(services, settings)
    assert any(p.startswith(problem) for p in found), found


def test_good_declarations_and_the_request():
    assert deploy.wave_problems(named("a", "b", b="a"), {"max_parallel": 3}) == []  # one name as a string
    assert deploy.wave_problems(SERVICES, None) == []
    services = [WEB, dict(CATALOG, deploy_after=["nope"])]
    assert "Service catalog: deploy_after names nope, which cloudops_services does not declare (web, catalog)." in deploy.request_problems(
        services, EKS, "1.1.0", "web")  # refused even when the service is not selected: the declaration is wrong


# -- one wave ------------------------------------------------------------------------------------------------------------

def canary(active="blue"):
    groups = CATALOG["traffic"]["primary"]["target_groups"]
    r = deploy.route(CATALOG, "primary", EKS, "1.1.0", "/p", alb(active, groups, rule=True), [release("catalog-blue", "1.0.0")])
    return deploy.plan_entry(CATALOG, r, {"reasons": ["chart"], "previous_revision": 1, "release": {"revision": 2}}, {"reasons": ["chart"]})


def wave_plan():
    done = dict(planned(side="dr"), service="api", action="none", reason="version 1.1.0 already serves from shop-green: nothing to do")
    return [planned(), planned(side="dr"), canary(), done]


def test_a_wave_brings_every_new_colour_up_at_once_and_steps_each_schedule():
    w = deploy.wave(wave_plan(), ["web", "catalog", "api"])
    assert (w["shipped"], w["quiet"]) == (["web", "catalog"], [])
    assert [(h["service"], h["side"], h["name"]) for h in w["helm_releases"]] == [
        ("web", "primary", "shop-green"), ("web", "dr", "shop-green"), ("catalog", "primary", "catalog-green")]
    assert [r["service"] for r in w["smoke_runs"]] == ["web", "web"]
    # web flips in the first step; catalog keeps its own 10/50/100 schedule with its gates.
    assert [[(e["service"], e["step"]["percent"], e["index"], e["count"]) for e in step] for step in w["traffic"]] == [
        [("web", 100, 0, 1), ("catalog", 10, 0, 3)], [("catalog", 50, 1, 3)], [("catalog", 100, 2, 3)]]
    assert [g["name"] for g in w["traffic"][1][0]["gates"]] == ["5xx", "alarm"]
    assert w["traffic"][0][0]["health_groups"] == [
        {"side": "primary", "region": "us-east-1", "name": "shop-primary-green"}, {"side": "dr", "region": "us-west-2", "name": "shop-dr-green"}]
    assert deploy.wave(wave_plan(), ["api"])["shipped"] == []


def test_a_failed_wave_is_put_back_whole():
    w = deploy.wave(wave_plan(), ["web", "catalog"])
    restore = [{"load_balancer_name": "shop-primary-alb", "port": 80, "forward": {"x": 1}}]
    back = deploy.wave_rollback(w["todo"], {"catalog": restore})
    assert [(r["side"], r["name"], r["revision"]) for r in back["releases"]] == [
        ("primary", "shop-green", 2), ("dr", "shop-green", 2), ("primary", "catalog-green", 1)]
    assert len(back["switches"]) == 3 and back["switches"][-1] == restore[0]  # web as preflight read it, catalog as its switch found it
    assert len(back["checks"]) == 3


def step_record(service_side, percent, passed=True):
    return {"step": 1, "percent": percent, "switches": [{"side": service_side, "after": {"green": percent}}], "gates": [], "health": [],
            "checked": True, "passed": passed}


def test_outcomes_of_a_wave_that_went_through():
    w = deploy.wave(wave_plan(), ["web", "catalog", "api"])
    up = [{"side": "primary", "release": "shop-green", "revision_after": 3, "changed": True},
          {"side": "primary", "release": "catalog-green", "revision_after": 2, "changed": True}]
    smoke = [{"side": "primary", "service": "web", "job": {"outcome": "complete"}, "http": None}]
    steps = {"web": [step_record("primary", 100)], "catalog": [step_record("primary", 10), step_record("primary", 100)]}
    end = deploy.wave_outcomes(w, up, smoke, steps, {}, [], "", "", "2026-01-01T00:00:00Z", 4.2, finished_at="2026-01-01T00:01:00Z")
    web, catalog, api = end["services"]
    assert (web["outcome"], catalog["outcome"], api["outcome"]) == ("deployed", "deployed", "unchanged")
    assert web["sides"][0]["revision_after"] == 3 and catalog["sides"][0]["revision_after"] == 2  # each its own release
    assert (len(web["smoke"]), len(catalog["smoke"]), len(catalog["steps"])) == (1, 0, 2)
    assert api["message"] == "version 1.1.0 already serves from shop-green: nothing to do"
    assert end["records"] == []  # the traffic steps wrote them
    check = deploy.wave_outcomes(w, up, smoke, steps, {}, [], "", "", "t", 1, check_mode=True)
    assert [s["outcome"] for s in check["services"]] == ["would_deploy", "would_deploy", "unchanged"]


def test_outcomes_of_a_failed_wave_name_the_failed_service_and_roll_back_the_others():
    w = deploy.wave(wave_plan(), ["web", "catalog"])
    steps = {"web": [step_record("primary", 100)], "catalog": [step_record("primary", 10, passed=False)]}
    rollback = {"verified": True, "changed": True, "problems": [],
                "releases": [{"side": "primary", "release": "shop-green", "revision_after": 4, "changed": True},
                             {"side": "primary", "release": "catalog-green", "revision_after": 3, "changed": True}],
                "traffic": [{"load_balancer_name": "shop-primary-alb", "port": 80, "rule_priority": 10, "changed": True}]}
    end = deploy.wave_outcomes(w, [], [], steps, rollback, ["catalog"], "traffic: Gate failed after step 1 of 3", "", "t", 9.0,
                               finished_at="f")
    web, catalog = end["services"]
    assert (web["outcome"], catalog["outcome"]) == ("rolled_back", "rolled_back")
    assert catalog["error"] == "traffic: Gate failed after step 1 of 3"
    assert web["error"] == "rolled back with its wave: catalog failed"
    assert web["rollback"]["releases"] == [rollback["releases"][0]] and catalog["rollback"]["traffic"] == rollback["traffic"]
    assert web["sides"][0]["revision_after"] == 4 and web["sides"][0]["traffic_after"] == web["sides"][0]["traffic_before"]
    assert sorted((e["service"], e["record"]["outcome"]) for e in end["records"]) == [
        ("catalog", "rolled_back"), ("web", "rolled_back"), ("web", "rolled_back")]
    failed = deploy.wave_outcomes(w, [], [], {}, {}, [], "boom", "helm down", "t", 1, record_error="RBAC")
    assert [s["outcome"] for s in failed["services"]] == ["rollback_failed", "rollback_failed"]
    assert failed["services"][0]["error"] == "boom"  # not pinned on one service: each carries the wave's error
    assert failed["services"][0]["message"].endswith("(the deploy record was not written: RBAC)")
    halted = deploy.wave_outcomes(w, [], [], {}, {}, [], "", "", "t", 0, halted=True)
    assert [(s["outcome"], s["sides"][0]["action"]) for s in halted["services"]] == [("skipped", "skipped"), ("skipped", "skipped")]
    assert halted["records"] == []


def test_the_failed_services_of_a_wave():
    w = deploy.wave(wave_plan(), ["web", "catalog"])
    steps = [{"services": [{"service": "web", "passed": True}, {"service": "catalog", "passed": False}]}]
    assert deploy.wave_failed_services(w, {}, steps) == ["catalog"]
    assert deploy.wave_failed_services(w, {"failed_services": ["web"]}, []) == ["web"]
    assert deploy.wave_failed_services(w, {}, []) == []


def test_unfinished_records_of_the_wave_services_with_nothing_to_deploy():
    w = deploy.wave(wave_plan(), ["web", "api"])
    assert deploy.wave_unfinished([{"service": "web", "side": "primary", "record": {"outcome": "in_progress"}}], w, "f") == []


def test_the_summary_shows_the_waves_when_one_ships_several_services():
    report = {"version": "1.1.0", "environment": "sandbox", "outcome": "deployed", "check_mode": False, "services": [],
              "waves": [["web", "catalog"], ["search"]]}
    assert deploy.deploy_summary_lines(report)[1] == "waves (shipped together): web, catalog | search"
    assert deploy.deploy_summary_lines(dict(report, waves=[["web"], ["catalog"]])) == ["DEPLOY 1.1.0 to sandbox: deployed"]


def test_a_service_without_a_traffic_step_is_recorded_when_its_wave_went_through():
    rolling = dict(planned(), service="worker", strategy="rolling", gates=[], steps=[], release="worker", target_tg="")
    w = deploy.wave([rolling] + wave_plan()[:2], ["worker", "web"])
    assert (w["shipped"], w["quiet"], len(w["traffic"])) == (["worker", "web"], ["worker"], 1)
    end = deploy.wave_outcomes(w, [], [], {"web": [step_record("primary", 100)]}, {}, [], "", "", "t", 1, finished_at="f")
    assert [(e["service"], e["record"]["outcome"]) for e in end["records"]] == [("worker", "deployed")]
