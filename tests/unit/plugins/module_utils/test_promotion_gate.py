# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_promote's decisions (replication.py): the lag gate against the RPO budget, and what "detached" means."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication


def test_lag_within_the_budget_opens_the_gate():
    gate = replication.promotion_gate(2.0, 60)
    assert (gate["allowed"], gate["verdict"], gate["overridden"], gate["problem"]) == (True, "ok", False, None)
    assert gate["reason"] == "replica lag 2 s is within the RPO budget of 60 s"


def test_lag_equal_to_the_budget_is_within_it():
    assert replication.promotion_gate(60, 60)["allowed"] is True


def test_lag_over_the_budget_refuses_with_the_numbers_and_the_way_out():
    gate = replication.promotion_gate(300.0, 60)
    assert (gate["allowed"], gate["verdict"], gate["overridden"]) == (False, "over", False)
    assert gate["problem"].startswith("replica lag 300 s is over the RPO budget of 60 s")
    assert "max_lag_override: true" in gate["reason"]


def test_no_datapoint_refuses_as_unknown():
    gate = replication.promotion_gate(None, 60, lookback_seconds=300)
    assert (gate["allowed"], gate["verdict"]) == (False, "unknown")
    assert "no ReplicaLag datapoint in the last 300 s" in gate["reason"]


@pytest.mark.parametrize("lag, verdict", [(300.0, "over"), (None, "unknown")])
def test_the_override_opens_the_gate_and_says_so(lag, verdict):
    gate = replication.promotion_gate(lag, 60, override=True)
    assert (gate["allowed"], gate["verdict"], gate["overridden"]) == (True, verdict, True)
    assert gate["reason"].startswith("overridden (max_lag_override): ")


@pytest.mark.parametrize("status", ["error", "stopped"])
def test_broken_replication_refuses_even_with_a_small_lag(status):
    state = {"status": status, "normal": False, "message": "IO error"}
    gate = replication.promotion_gate(0.0, 60, replication=state)
    assert (gate["allowed"], gate["verdict"]) == (False, "unknown")
    assert "read replication is %s (IO error)" % status in gate["reason"]


def test_replicating_status_does_not_close_the_gate():
    assert replication.promotion_gate(1, 60, replication={"status": "replicating", "normal": True})["allowed"] is True


def test_replication_status_reads_status_infos():
    instance = {"StatusInfos": [{"StatusType": "read replication", "Status": "error", "Normal": False, "Message": "x"}]}
    assert replication.replication_status(instance) == {"status": "error", "normal": False, "message": "x"}
    assert replication.replication_status({}) is None


@pytest.mark.parametrize("instance, detached", [
    ({"ReadReplicaSourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:1:db:shop-db"}, False),
    ({"StatusInfos": [{"StatusType": "read replication", "Status": "replicating"}]}, False),
    ({"StatusInfos": [{"StatusType": "read replication", "Status": "terminated"}]}, True),
    ({"ReadReplicaSourceDBInstanceIdentifier": None, "StatusInfos": []}, True),
    ({}, True),
])
def test_detached(instance, detached):
    assert replication.detached(instance) is detached
