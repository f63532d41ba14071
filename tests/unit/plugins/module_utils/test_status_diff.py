# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""status_diff: the paths where two status reports differ, and the ignore globs."""

from __future__ import annotations

import copy

from ansible_collections.cloudops.runbooks.plugins.module_utils import status

REPORT = {
    "environment": "sandbox",
    "collected_at": "2026-01-31T12:00:00Z",
    "rds": {
        "primary": {"instance_id": "shop-db", "role": "primary", "endpoint": {"address": "a", "port": 5432},
                    "replicas": ["arn:dr"], "replica_lag_seconds": None},
        "replica": {"instance_id": "shop-db-dr", "role": "replica", "endpoint": {"address": "b", "port": 40001},
                    "replica_lag_seconds": 2.0, "multi_az": True},
    },
    "dns": {"serving": "PRIMARY", "records": [{"set_identifier": "dr", "value": "dr.elb"}, {"set_identifier": "primary", "value": "p.elb"}]},
}


def changed(**updates):
    after = copy.deepcopy(REPORT)
    for path, value in updates.items():
        node = after
        parts = path.split("__")
        for part in parts[:-1]:
            node = node[int(part)] if isinstance(node, list) else node[part]
        node[parts[-1]] = value
    return after


def test_equal_reports_apart_from_collected_at_have_no_differences():
    assert status.status_diff(REPORT, changed(collected_at="2026-01-31T13:00:00Z")) == []
    assert status.status_diff(REPORT, copy.deepcopy(REPORT), ignore=[]) == []


def test_differences_are_listed_by_dotted_path_in_order():
    after = changed(rds__replica__endpoint__port=40002, rds__replica__role="standalone", collected_at="later")
    after["dns"]["records"][0]["value"] = "p.elb"
    assert status.status_diff(REPORT, after) == [
        {"path": "dns.records.0.value", "before": "dr.elb", "after": "p.elb"},
        {"path": "rds.replica.endpoint.port", "before": 40001, "after": 40002},
        {"path": "rds.replica.role", "before": "replica", "after": "standalone"},
    ]


def test_keys_and_items_on_one_side_only_show_null_on_the_other():
    after = copy.deepcopy(REPORT)
    del after["rds"]["replica"]
    after["rds"]["primary"]["replicas"] = []
    after["dns"]["records"].append({"set_identifier": "x"})
    diff = status.status_diff(REPORT, after)
    assert diff == [
        {"path": "dns.records.2", "before": None, "after": {"set_identifier": "x"}},
        {"path": "rds.primary.replicas.0", "before": "arn:dr", "after": None},
        {"path": "rds.replica", "before": REPORT["rds"]["replica"], "after": None},
    ]


def test_ignore_globs_match_one_segment_and_everything_below():
    after = changed(rds__replica__endpoint__port=40002, rds__replica__replica_lag_seconds=0.0,
                    rds__primary__replica_lag_seconds=1.0, collected_at="later")
    assert status.status_diff(REPORT, after, ignore=["collected_at", "rds.*.replica_lag_seconds", "rds.replica.endpoint"]) == []
    assert [d["path"] for d in status.status_diff(REPORT, after, ignore=["rds.*.replica_lag_seconds"])] == [
        "collected_at", "rds.replica.endpoint.port"]
    assert [d["path"] for d in status.status_diff(REPORT, after, ignore=["*"])] == []
    # A glob does not match deeper or shallower paths than it names.
    assert [d["path"] for d in status.status_diff(REPORT, after, ignore=["collected_at", "*.replica_lag_seconds"])] == [
        "rds.primary.replica_lag_seconds", "rds.replica.endpoint.port", "rds.replica.replica_lag_seconds"]
    assert [d["path"] for d in status.status_diff(REPORT, after, ignore="collected_at")] == [
        "rds.primary.replica_lag_seconds", "rds.replica.endpoint.port", "rds.replica.replica_lag_seconds"]


def test_booleans_differ_from_numbers_but_ints_equal_floats():
    assert status.status_diff({"a": 1}, {"a": 1.0}) == []
    assert status.status_diff({"a": True}, {"a": 1}) == [{"path": "a", "before": True, "after": 1}]
    assert status.status_diff({"a": None}, {}) == []
    assert status.status_diff(None, {"a": 1}) == [{"path": "a", "before": None, "after": 1}]


def test_identifiers_an_earlier_version_did_not_report_are_no_change_when_the_before_report_lacks_them():
    # A drill started under a version whose status report had no ARNs, resumed under this one.
    older = {"alb": {"dr": {"load_balancer_name": "shop-dr", "active_colour": "blue"}}}
    newer = {"alb": {"dr": {"load_balancer_name": "shop-dr", "active_colour": "blue", "load_balancer_arn": "arn:lb/2",
                            "target_group_arns": {"shop-dr-blue": "arn:tg/2"}}}}
    assert status.status_diff(older, newer) == []
    # Present on both sides they are compared: a load balancer re-created under its name has a new ARN.
    recreated = copy.deepcopy(newer)
    recreated["alb"]["dr"]["load_balancer_arn"] = "arn:lb/3"
    assert status.status_diff(newer, recreated) == [{"path": "alb.dr.load_balancer_arn", "before": "arn:lb/2", "after": "arn:lb/3"}]
    # Gone from the after-report (the load balancer is gone) is a change; any other key the before-report lacks too.
    assert [d["path"] for d in status.status_diff(newer, older)] == ["alb.dr.load_balancer_arn", "alb.dr.target_group_arns"]
    assert [d["path"] for d in status.status_diff(older, dict(newer, extra=1))] == ["extra"]
