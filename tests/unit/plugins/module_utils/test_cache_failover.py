# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The decisions of elasticache_global_failover (cache_failover.py): members and the primary, the refusals naming the
resource, the lag gate, the catch-up, the settled datastore, the diff and the step summary."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import cache_failover as cf

GID, EAST, WEST = "qwmzn-shop-cache", "us-east-1", "us-west-2"


def gds(primary="shop-cache", status="available", dr_status="associated", members=("shop-cache", "shop-cache-dr")):
    regions = {"shop-cache": EAST, "shop-cache-dr": WEST}
    return {"GlobalReplicationGroupId": GID, "Status": status, "Members": [
        {"ReplicationGroupId": name, "ReplicationGroupRegion": regions[name], "Role": "PRIMARY" if name == primary else "SECONDARY",
         "Status": "associated" if name == primary else dr_status} for name in members]}


def group(name="shop-cache-dr", datastore=GID):
    info = {"GlobalReplicationGroupId": datastore, "GlobalReplicationGroupMemberRole": "SECONDARY"} if datastore else {}
    return {"ReplicationGroupId": name, "Status": "available", "GlobalReplicationGroupInfo": info,
            "MemberClusters": [name + "-001", name + "-002"]}


def test_members_and_the_primary():
    found = gds()
    assert cf.members(found) == [
        {"region": EAST, "replication_group_id": "shop-cache", "role": "PRIMARY", "status": "associated"},
        {"region": WEST, "replication_group_id": "shop-cache-dr", "role": "SECONDARY", "status": "associated"}]
    assert cf.primary_of(found) == {"region": EAST, "replication_group_id": "shop-cache"}
    assert cf.is_primary(found, EAST, "shop-cache") and not cf.is_primary(found, WEST, "shop-cache-dr")
    assert not cf.is_primary(found, WEST, "shop-cache")  # a group of that name in another region is another group
    assert cf.primary_of({"Members": []}) is None and cf.members(None) == []


def test_settled_needs_the_target_primary_and_the_datastore_available():
    assert cf.settled(gds("shop-cache-dr"), WEST, "shop-cache-dr")
    assert not cf.settled(gds("shop-cache-dr", status="modifying"), WEST, "shop-cache-dr")
    assert not cf.settled(gds("shop-cache"), WEST, "shop-cache-dr")
    assert not cf.settled(None, WEST, "shop-cache-dr")


def test_a_member_secondary_can_take_over():
    assert cf.target_problem(GID, WEST, "shop-cache-dr", gds(), group()) is None
    assert cf.target_problem(GID, EAST, "shop-cache", gds(), group("shop-cache")) is None  # already primary: idempotent


def test_a_missing_datastore_is_refused_naming_it():
    problem = cf.target_problem(GID, WEST, "shop-cache-dr", None, group())
    assert problem.startswith("Global Datastore qwmzn-shop-cache not found (asked in us-west-2)")
    assert "global_datastore_id" in problem


def test_a_non_member_is_refused_listing_the_members():
    problem = cf.target_problem(GID, WEST, "other", gds(), None)
    assert "replication group other not found in us-west-2" in problem
    assert "members: shop-cache (us-east-1, primary), shop-cache-dr (us-west-2, secondary)" in problem


def test_a_group_that_left_the_datastore_must_be_re_added_as_a_secondary_first():
    problem = cf.target_problem(GID, WEST, "shop-cache-dr", gds(members=("shop-cache",)), group(datastore=None))
    assert "shop-cache-dr in us-west-2 is not a member of Global Datastore qwmzn-shop-cache (members: shop-cache (us-east-1, " \
           "primary))" in problem
    assert "disassociated, e.g. after the loss of its region" in problem and "re-added as a secondary first" in problem


def test_a_member_of_another_datastore_is_refused_naming_both():
    problem = cf.target_problem(GID, WEST, "shop-cache-dr", gds(members=("shop-cache",)), group(datastore="abcde-other"))
    assert "is a member of Global Datastore abcde-other, not of qwmzn-shop-cache" in problem


def test_a_member_still_associating_is_refused():
    problem = cf.target_problem(GID, WEST, "shop-cache-dr", gds(dr_status="associating"), group())
    assert "membership is associating, not associated" in problem


def test_the_lag_gate():
    assert cf.lag_gate("shop-cache-dr", 0.4, None) is None
    ok = cf.lag_gate("shop-cache-dr", 0.4, 5)
    assert ok["allowed"] and ok["verdict"] == "ok" and ok["problem"] is None
    assert ok["reason"] == "GlobalDatastoreReplicationLag of shop-cache-dr 0.4 s is within max_lag_seconds 5 s"
    over = cf.lag_gate("shop-cache-dr", 12, 5)
    assert not over["allowed"] and over["verdict"] == "over"
    assert "12 s, over max_lag_seconds 5 s: failing over now loses about 12 s of cache writes" in over["reason"]
    assert over["reason"].endswith("wait until it catches up (catch_up), or raise max_lag_seconds to accept the loss")
    unknown = cf.lag_gate("shop-cache-dr", None, 5, 300)
    assert not unknown["allowed"] and unknown["verdict"] == "unknown"
    assert "no GlobalDatastoreReplicationLag datapoint of shop-cache-dr in the last 300 s" in unknown["reason"]
    assert cf.lag_gate("shop-cache-dr", 0, 0)["allowed"]  # at the limit passes


def test_catch_up():
    assert cf.caught_up(0.5, 1) and cf.caught_up(1, 1)
    assert not cf.caught_up(1.5, 1) and not cf.caught_up(None, 1)
    message = cf.catch_up_timeout_message(GID, "shop-cache", EAST, 7.5, 1, 30.2, 21)
    assert message.startswith("GlobalDatastoreReplicationLag of shop-cache (us-east-1) is still 7.5 s after 30.2 s (21 reads), "
                              "not within catch_up.max_lag_seconds 1 s")
    assert "Nothing was changed" in message
    assert "is unknown (no datapoint in the last 60 s)" in cf.catch_up_timeout_message(GID, "shop-cache", EAST, None, 1, 30, 3, 60)


def test_option_problems_name_the_option():
    assert cf.option_problems({"max_lag_seconds": 5, "wait_timeout": 600, "lag_lookback_seconds": 300, "catch_up": None}) == []
    problems = cf.option_problems({"max_lag_seconds": -1, "wait_timeout": -2, "lag_lookback_seconds": 0,
                                   "catch_up": {"max_lag_seconds": -1, "timeout": -1}})
    assert problems == ["max_lag_seconds must be 0 or more, got -1", "wait_timeout must be 0 or more, got -2",
                        "lag_lookback_seconds must be more than 0, got 0", "catch_up.max_lag_seconds must be 0 or more, got -1",
                        "catch_up.timeout must be 0 or more, got -1"]


def test_the_diff_shows_the_primary_member_before_and_after():
    assert cf.diff(GID, {"region": EAST, "replication_group_id": "shop-cache"}, {"region": WEST, "replication_group_id": "shop-cache-dr"}) == {
        "before": {"global_datastore_id": GID, "primary": "shop-cache (us-east-1)"},
        "after": {"global_datastore_id": GID, "primary": "shop-cache-dr (us-west-2)"}}
    assert cf.diff(GID, None, {"region": WEST, "replication_group_id": "x"})["before"]["primary"] is None


def test_step_summary_of_a_failover_with_the_gate_and_the_catch_up():
    gate = cf.lag_gate("shop-cache-dr", 0.4, 5)
    result = {"global_datastore_id": GID, "failed_over": True, "lag_seconds": 0.4, "waited_seconds": 2.5, "lag_gate": gate,
              "primary": {"region": WEST, "replication_group_id": "shop-cache-dr"},
              "catch_up": {"max_lag_seconds": 1, "lag_seconds": 0.4, "caught_up": True, "waited_seconds": 3.0, "reads": 4}}
    summary = cf.step_summary(result)
    assert summary["detail"] == ("failed qwmzn-shop-cache over to shop-cache-dr (us-west-2): GlobalDatastoreReplicationLag of "
                                 "shop-cache-dr 0.4 s is within max_lag_seconds 5 s")
    assert summary["measures"] == {"lag_seconds": 0.4, "waited_seconds": 2.5, "max_lag_seconds": 5, "catch_up_seconds": 3.0}
    assert [(g["name"], g["passed"]) for g in summary["gates"]] == [("cache catch-up", True), ("cache lag", True)]
    assert summary["gates"][1]["numbers"] == {"lag_seconds": 0.4, "max_lag_seconds": 5, "verdict": "ok"}


def test_step_summary_of_a_refusal_and_of_nothing_to_do():
    gate = cf.lag_gate("shop-cache-dr", 12, 5)
    refused = cf.step_summary({"global_datastore_id": GID, "refused": gate["reason"], "lag_gate": gate, "lag_seconds": 12,
                               "primary": None})
    assert refused["detail"].startswith("not failed over: GlobalDatastoreReplicationLag of shop-cache-dr is 12 s")
    assert refused["gates"][0]["passed"] is False
    same = cf.step_summary({"global_datastore_id": GID, "failed_over": False, "primary": {"region": WEST, "replication_group_id": "shop-cache-dr"}})
    assert same["detail"] == "shop-cache-dr (us-west-2) already the primary of qwmzn-shop-cache" and same["gates"] == []
    plain = cf.step_summary({"global_datastore_id": GID, "failed_over": True, "lag_seconds": 0.5,
                             "primary": {"region": WEST, "replication_group_id": "shop-cache-dr"}})
    assert plain["detail"] == "failed qwmzn-shop-cache over to shop-cache-dr (us-west-2), lag 0.5 s"
