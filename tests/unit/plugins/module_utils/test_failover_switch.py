# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""route53_failover_switch's decisions (failover.py): pinning a side as PRIMARY, weights, restores, the change plan,
and the record conversion back to the boto3 shape (_aws/route53.py record_to_boto)."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53


def record(set_id, role=None, value="x.elb", weight=None, check=None, type_="CNAME", ttl=60):
    return {"name": "app.example.com.", "type": type_, "set_identifier": set_id, "failover": role, "weight": weight, "ttl": ttl,
            "values": [value], "alias": None, "value": value, "health_check_id": check}


PAIR = [record("dr", "SECONDARY", "dr.elb", check="hc-dr"), record("primary", "PRIMARY", "primary.elb", check="hc-p")]
WEIGHTED = [record("east", value="e.elb", weight=100), record("west", value="w.elb", weight=0)]


def test_pin_primary_moves_only_the_failover_role():
    pinned = failover.pin_primary(PAIR, "dr")
    assert [(r["set_identifier"], r["failover"], r["value"], r["health_check_id"]) for r in pinned] == [
        ("dr", "PRIMARY", "dr.elb", "hc-dr"), ("primary", "SECONDARY", "primary.elb", "hc-p")]
    assert PAIR[0]["failover"] == "SECONDARY"  # the input is not modified


def test_pinning_the_current_primary_plans_no_change():
    assert failover.plan_changes(PAIR, failover.pin_primary(PAIR, "primary")) == []


def test_pin_primary_refuses_an_unknown_side_or_an_incomplete_pair():
    with pytest.raises(failover.SwitchError, match="no failover record with set identifier 'secondary': target must be one of dr, primary"):
        failover.pin_primary(PAIR, "secondary")
    with pytest.raises(failover.SwitchError, match="expected one PRIMARY and one SECONDARY failover record, found primary=PRIMARY"):
        failover.pin_primary(PAIR[1:], "primary")


def test_routing_records_picks_the_kind_and_needs_a_type_when_several():
    records = PAIR + WEIGHTED + [record("dr", "SECONDARY", "::1", type_="AAAA"), record("primary", "PRIMARY", "::2", type_="AAAA")]
    with pytest.raises(failover.SwitchError, match="failover records of types AAAA, CNAME: set record_type"):
        failover.routing_records(records, "failover")
    assert [r["value"] for r in failover.routing_records(records, "failover", "aaaa")] == ["::1", "::2"]
    assert [r["set_identifier"] for r in failover.routing_records(records, "weighted")] == ["east", "west"]


def test_set_weights_changes_only_the_named_records():
    weighted = failover.set_weights(WEIGHTED, {"west": 100, "east": "0"})
    assert [(r["set_identifier"], r["weight"]) for r in weighted] == [("east", 0), ("west", 100)]
    assert [change["desired"]["set_identifier"] for change in failover.plan_changes(WEIGHTED, weighted)] == ["east", "west"]
    assert failover.plan_changes(WEIGHTED, failover.set_weights(WEIGHTED, {"east": 100})) == []


@pytest.mark.parametrize("weights, message", [
    ({"north": 1}, "no weighted record with set identifier north: weights may name east, west"),
    ({"east": 256}, "weight of east must be a whole number from 0 to 255, not 256"),
    ({"east": -1}, "not -1"),
    ({"east": "ten"}, "not 'ten'"),
    ({"east": 1.5}, "not 1.5"),
])
def test_set_weights_refuses(weights, message):
    with pytest.raises(failover.SwitchError, match=message):
        failover.set_weights(WEIGHTED, weights)


def test_a_restore_plans_the_differing_records_and_ignores_the_joined_value():
    flipped = failover.pin_primary(PAIR, "dr")
    wanted = failover.normalise_wanted([dict(r, value="ignored") for r in PAIR], "APP.example.com")
    changes = failover.plan_changes(flipped, wanted)
    assert [(c["current"]["failover"], c["desired"]["failover"]) for c in changes] == [("PRIMARY", "SECONDARY"), ("SECONDARY", "PRIMARY")]
    assert failover.apply_changes(flipped, changes) == wanted
    assert failover.plan_changes(PAIR, wanted) == []


def test_a_restore_of_a_missing_record_creates_it():
    wanted = failover.normalise_wanted(PAIR, "app.example.com.")
    changes = failover.plan_changes(PAIR[1:], wanted)
    assert [(c["current"], c["desired"]["set_identifier"]) for c in changes] == [(None, "dr")]
    assert [r["set_identifier"] for r in failover.apply_changes(PAIR[1:], changes)] == ["primary", "dr"]


@pytest.mark.parametrize("records, message", [
    ([{"name": "app.example.com", "type": "CNAME"}], r"records\[0\] lacks set_identifier"),
    ([dict(PAIR[0], name="other.example.com.")], r"records\[0\] is for other.example.com., not app.example.com"),
    ([dict(PAIR[0], values=[], alias=None)], r"records\[0\] \(dr\) has neither values nor alias"),
    ([PAIR[0], PAIR[0]], "records names the same set identifier twice"),
])
def test_normalise_wanted_refuses(records, message):
    with pytest.raises(failover.SwitchError, match=message):
        failover.normalise_wanted(records, "app.example.com")


def test_same_record_compares_values_as_a_set_and_names_without_case():
    first = dict(record("a", "PRIMARY"), values=["1.1.1.1", "2.2.2.2"], type_="A")
    second = dict(first, name="APP.EXAMPLE.COM", values=["2.2.2.2", "1.1.1.1"])
    assert failover.same_record(first, second)
    assert not failover.same_record(first, dict(first, ttl=300))


def test_serving_set_follows_health():
    assert failover.serving_set(PAIR, {}) == "primary"
    assert failover.serving_set(failover.pin_primary(PAIR, "dr"), {"hc-dr": True}) == "dr"
    assert failover.serving_set(failover.pin_primary(PAIR, "dr"), {"hc-dr": False, "hc-p": True}) == "primary"


def test_weighted_unhealthy_only_when_every_weighted_record_fails():
    records = [record("east", weight=100, check="hc-e"), record("west", weight=0, check="hc-w")]
    assert failover.weighted_unhealthy(records, {"hc-e": False}) == ["east"]
    assert failover.weighted_unhealthy(records, {"hc-e": True, "hc-w": False}) == []
    assert failover.weighted_unhealthy(failover.set_weights(records, {"west": 1}), {"hc-e": False, "hc-w": True}) == []


def test_record_to_boto_is_the_inverse_of_record_from_boto():
    plain = {"Name": "app.example.com.", "Type": "CNAME", "SetIdentifier": "dr", "Failover": "SECONDARY", "TTL": 60,
             "ResourceRecords": [{"Value": "dr.elb"}], "HealthCheckId": "hc-dr"}
    alias = {"Name": "app.example.com.", "Type": "A", "SetIdentifier": "east", "Weight": 10,
             "AliasTarget": {"HostedZoneId": "Z1", "DNSName": "e.elb.", "EvaluateTargetHealth": True}}
    for item in (plain, alias):
        assert route53.record_to_boto(route53.record_from_boto(item)) == item
