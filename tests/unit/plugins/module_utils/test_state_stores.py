# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cache and bucket readiness findings (state_stores.py)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores as ss

CACHE = {"global_datastore_id": "qwmzn-shop-cache", "primary": {"region": "us-east-1", "replication_group_id": "shop-cache"},
         "secondary": {"region": "us-west-2", "replication_group_id": "shop-cache-dr"}}
GDS = {"GlobalReplicationGroupId": "qwmzn-shop-cache", "Status": "available", "Members": [
    {"ReplicationGroupId": "shop-cache", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY", "Status": "associated"},
    {"ReplicationGroupId": "shop-cache-dr", "ReplicationGroupRegion": "us-west-2", "Role": "SECONDARY", "Status": "associated"}]}
DR_GROUP = {"ReplicationGroupId": "shop-cache-dr", "Status": "available", "MemberClusters": ["shop-cache-dr-001", "shop-cache-dr-002"]}
BUCKET = {"name": "shop-assets-use1", "dr_name": "shop-assets-usw2", "prefix": ""}
RULE = {"ID": "cloudops-dr", "Status": "Enabled", "Priority": 1, "Filter": {"Prefix": ""},
        "Destination": {"Bucket": "arn:aws:s3:::shop-assets-usw2"}}
VERSIONED = {"shop-assets-use1": "Enabled", "shop-assets-usw2": "Enabled"}
ARRIVED = {"key": "k", "arrived": True, "seconds": 1.2, "waited_seconds": 1.3, "status": "COMPLETED"}


def checks(findings):
    return [(item["check"], item["resource"], item["passed"]) for item in findings]


def test_an_associated_secondary_within_the_budget_passes():
    found = ss.cache_findings(CACHE, GDS, DR_GROUP, 0.5, 60)
    assert checks(found) == [("cache_dr_member", "shop-cache-dr", True), ("cache_lag", "shop-cache-dr", True)]
    assert found[1]["numbers"] == {"lag_seconds": 0.5, "rpo_budget_seconds": 60}
    assert "shop-cache-dr" in found[1]["detail"] and "within the RPO budget of 60 s" in found[1]["detail"]


def test_cache_lag_over_or_unknown_fails_naming_the_group():
    over = ss.cache_findings(CACHE, GDS, DR_GROUP, 90.0, 60)[1]
    assert not over["passed"] and "over the RPO budget of 60 s" in over["detail"] and "shop-cache-dr" in over["detail"]
    unknown = ss.cache_findings(CACHE, GDS, DR_GROUP, None, 60, 600)[1]
    assert not unknown["passed"] and "no GlobalDatastoreReplicationLag datapoint in the last 600 s" in unknown["detail"]


def test_missing_datastore_group_or_membership_fail_both():
    for gds, group, words in ((None, DR_GROUP, "Global Datastore qwmzn-shop-cache not found"),
                              (GDS, None, "replication group not found in us-west-2"),
                              (dict(GDS, Members=GDS["Members"][:1]), DR_GROUP, "is not a member of Global Datastore")):
        found = ss.cache_findings(CACHE, gds, group, 0.5, 60)
        assert [f["passed"] for f in found] == [False, False]
        assert words in found[0]["detail"] and "shop-cache-dr" in found[0]["detail"] + found[0]["resource"]


def test_a_secondary_that_is_primary_or_still_associating_fails():
    swapped = dict(GDS, Members=[dict(m, Role="PRIMARY" if m["Role"] == "SECONDARY" else "SECONDARY") for m in GDS["Members"]])
    assert "is the PRIMARY" in ss.cache_findings(CACHE, swapped, DR_GROUP, 0.5, 60)[0]["detail"]
    busy = dict(GDS, Members=[GDS["Members"][0], dict(GDS["Members"][1], Status="associating")])
    found = ss.cache_findings(CACHE, busy, dict(DR_GROUP, Status="modifying"), 0.5, 60)
    assert not found[0]["passed"] and "associating, not associated" in found[0]["detail"] and "modifying" in found[0]["detail"]
    assert found[1]["passed"]  # the lag is judged apart


def test_a_versioned_replicated_bucket_whose_probe_arrives_passes():
    found = ss.bucket_findings(BUCKET, "us-east-1", "us-west-2", VERSIONED, {"Rules": [RULE]}, ARRIVED, 60)
    assert checks(found) == [(c, "shop-assets-use1", True) for c in ("bucket_versioning", "bucket_replication_rule",
                                                                     "bucket_replication_probe")]
    assert found[2]["numbers"]["replication_seconds"] == 1.2 and "after 1.2 s" in found[2]["detail"]


def test_versioning_off_or_missing_bucket():
    off = ss.bucket_findings(BUCKET, "us-east-1", "us-west-2", dict(VERSIONED, **{"shop-assets-usw2": "Suspended"}),
                             {"Rules": [RULE]}, None, 60)
    assert [f["passed"] for f in off] == [False, True, False]
    assert "shop-assets-usw2 Suspended" in off[0]["detail"] and "bucket_versioning failed" in off[2]["detail"]
    never = ss.bucket_findings(BUCKET, "us-east-1", "us-west-2", dict(VERSIONED, **{"shop-assets-use1": ""}), None, None, 60)
    assert "shop-assets-use1 never enabled" in never[0]["detail"]
    missing = ss.bucket_findings(BUCKET, "us-east-1", "us-west-2", dict(VERSIONED, **{"shop-assets-usw2": None}),
                                 {"Rules": [RULE]}, None, 60)
    assert "shop-assets-usw2 in us-west-2 not found" in missing[0]["detail"]


def test_the_rule_must_be_enabled_to_the_dr_bucket_and_cover_the_prefix():
    def rule_finding(configuration, bucket=None):
        return ss.bucket_findings(bucket or BUCKET, "us-east-1", "us-west-2", VERSIONED, configuration, None, 60)[1]
    assert "no replication configuration" in rule_finding(None)["detail"]
    assert "disabled or do not cover" in rule_finding({"Rules": [dict(RULE, Status="Disabled")]})["detail"]
    assert "no replication rule to shop-assets-usw2" in rule_finding(
        {"Rules": [dict(RULE, Destination={"Bucket": "arn:aws:s3:::other"})]})["detail"]
    narrow = {"Rules": [dict(RULE, Filter={"Prefix": "assets/"})]}
    assert not rule_finding(narrow)["passed"]
    assert rule_finding(narrow, dict(BUCKET, prefix="assets/img/"))["passed"]
    assert ss.rule_prefix({"Filter": {"And": {"Prefix": "a/", "Tags": []}}}) == "a/"
    assert ss.rule_prefix({"Prefix": "legacy/"}) == "legacy/"


def test_probe_key_is_under_the_rules_prefix():
    assert ss.probe_key(dict(RULE, Filter={"Prefix": "assets/"}), "abc") == "assets/.cloudops-readiness/probe-abc"
    assert ss.probe_key(RULE, "abc") == ".cloudops-readiness/probe-abc"


def test_a_probe_late_or_missing_fails_with_its_age():
    late = ss.probe_finding("b", "b-dr", dict(ARRIVED, seconds=75.0), 60)
    assert not late["passed"] and "took 75 s" in late["detail"]
    paused = ss.probe_finding("b", "b-dr", {"arrived": False, "waited_seconds": 60.2, "status": "PENDING"}, 60)
    assert not paused["passed"] and "written 60.2 s ago has not reached b-dr" in paused["detail"] and "PENDING" in paused["detail"]
    assert "FAILED" in ss.probe_finding("b", "b-dr", {"arrived": False, "waited_seconds": 3, "status": "FAILED"}, 60)["detail"]


def test_lag_checks_are_the_overridable_ones():
    assert set(ss.LAG_CHECKS) == {"cache_lag", "bucket_replication_probe"}
    assert set(ss.LAG_CHECKS) <= set(ss.BLOCKING)
