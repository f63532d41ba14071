# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import traffic_switch


def test_with_defaults_fills_every_option_and_keeps_what_is_given():
    restore = {"listener_arn": "arn:l", "rule_arn": None, "forward": {"arn:tg": 1}, "purge_unlisted": True}
    step = {"load_balancer_name": "shop-alb", "port": 80, "rule_priority": None, "region": "us-east-1", "forward": {"shop-green": 100}}
    [a, b] = traffic_switch.with_defaults([restore, step])
    assert set(a) == set(traffic_switch.SWITCH_SPEC)
    assert (a["listener_arn"], a["purge_unlisted"], a["load_balancer_name"]) == ("arn:l", True, None)
    assert (b["load_balancer_name"], b["port"], b["purge_unlisted"]) == ("shop-alb", 80, False)
    [c] = traffic_switch.with_defaults([{"load_balancer_name": "x", "listener_port": 443, "forward": {"g": 1}}])
    assert c["port"] == 443 and "listener_port" not in c
