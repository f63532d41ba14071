"""The N-service estate built from an inventory (no sandbox): `pytest benchmarks/tests`."""

from __future__ import annotations

import pytest

from benchmarks import services

WEB = {"name": "web", "strategy": "bluegreen", "namespace": "shop", "releases": {"blue": "shop-blue", "green": "shop-green"},
       "traffic": {side: {"load_balancer_name": "shop-%s-alb" % side, "listener_port": 80,
                          "target_groups": {"blue": "shop-%s-blue" % side, "green": "shop-%s-green" % side}}
                   for side in ("primary", "dr")}}
CANARY = {"name": "catalog", "strategy": "canary", "traffic": {}}


def test_web_is_kept_and_copies_get_their_own_rule_groups_releases_and_paths():
    estate = {"cloudops_application": "shop", "cloudops_services": [WEB, CANARY]}
    sandbox = {"sandbox_seed": {"listener_rule_paths": {"catalog": ["/catalog"]}}}
    new_estate, new_sandbox = services.build_inventory(estate, sandbox, 3)
    names = [s["name"] for s in new_estate["cloudops_services"]]
    assert names == ["web", "web-02", "web-03"]
    assert new_estate["cloudops_services"][0] == WEB
    third = new_estate["cloudops_services"][2]
    assert third["releases"] == {"blue": "web-03-blue", "green": "web-03-green"}
    assert third["traffic"]["dr"]["rule_priority"] == 103
    assert third["traffic"]["dr"]["target_groups"] == {"blue": "shop-dr-web-03-blue", "green": "shop-dr-web-03-green"}
    assert new_sandbox["sandbox_seed"]["listener_rule_paths"] == {"web-02": ["/web-02", "/web-02/*"],
                                                                  "web-03": ["/web-03", "/web-03/*"]}  # not catalog's
    assert estate["cloudops_services"] == [WEB, CANARY] and "web-02" not in sandbox["sandbox_seed"]["listener_rule_paths"]
    assert new_estate["cloudops_deploy"] == {"max_parallel": 3} and "cloudops_deploy" not in estate  # independent: one wave
    assert max(len(g) for s in new_estate["cloudops_services"] for r in s["traffic"].values()
               for g in r["target_groups"].values()) <= 32  # an ALB target group name's limit


def test_an_inventory_without_a_bluegreen_web_is_refused():
    with pytest.raises(ValueError):
        services.build_inventory({"cloudops_services": [CANARY]}, {"sandbox_seed": {}}, 2)
