# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover

RECORDS = [
    {"set_identifier": "primary", "failover": "PRIMARY", "value": "a.elb", "health_check_id": "hc-1"},
    {"set_identifier": "dr", "failover": "SECONDARY", "value": "b.elb", "health_check_id": "hc-2"},
]


@pytest.mark.parametrize(
    "observations, healthy",
    [
        ([{"status": "Success: HTTP Status Code 200"}], True),
        ([{"status": "Failure: Connection timed out"}], False),
        ([{"status": "Success"}] + [{"status": "Failure"}] * 4, True),    # 20% > 18%
        ([{"status": "Success"}] + [{"status": "Failure"}] * 5, False),   # 16.7%
        ([], None),
    ],
)
def test_health_check_healthy(observations, healthy):
    assert failover.health_check_healthy(observations) is healthy


def test_primary_serves_when_healthy():
    assert failover.failover_state(RECORDS, {"hc-1": True, "hc-2": True}) == {
        "primary": "primary", "secondary": "dr", "primary_healthy": True, "serving": "PRIMARY",
    }


def test_secondary_serves_when_primary_unhealthy():
    state = failover.failover_state(RECORDS, {"hc-1": False, "hc-2": True})
    assert (state["primary_healthy"], state["serving"]) == (False, "SECONDARY")


def test_primary_without_health_check_counts_healthy():
    records = [dict(RECORDS[0], health_check_id=None), RECORDS[1]]
    assert failover.failover_state(records, {})["primary_healthy"] is True


def test_unknown_health_keeps_primary_serving():
    state = failover.failover_state(RECORDS, {})
    assert (state["primary_healthy"], state["serving"]) == (None, "PRIMARY")


def test_lone_unhealthy_primary_still_serves_and_no_records_serve_none():
    assert failover.failover_state(RECORDS[:1], {"hc-1": False})["serving"] == "PRIMARY"
    assert failover.failover_state([], {})["serving"] == "none"


def test_weighted_shares():
    records = [{"set_identifier": "blue", "weight": 90}, {"set_identifier": "green", "weight": 10}, {"set_identifier": "x", "weight": None}]
    assert failover.weighted_shares(records) == {"blue": 90, "green": 10}
    assert failover.weighted_shares([{"set_identifier": "a", "weight": 0}]) == {"a": 0}
