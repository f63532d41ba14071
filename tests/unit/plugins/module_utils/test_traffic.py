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
