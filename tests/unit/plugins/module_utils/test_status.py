# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils import status

# Shaped like the info modules' registered loop results (only the fields the report reads).
RESULTS = {
    "eks": {"results": [
        {"item": "primary", "region": "us-east-1", "exists": True,
         "cluster": {"name": "shop-primary", "status": "ACTIVE", "version": "1.30", "endpoint": "https://e"},
         "nodegroups": [{"name": "workers", "status": "ACTIVE", "scaling_config": {"min_size": 3, "max_size": 6, "desired_size": 3}}]},
        {"item": "dr", "skipped": True},
    ]},
    "rds": {"results": [
        {"item": "replica", "instance_id": "shop-db-dr", "region": "us-west-2", "exists": True, "role": "replica", "status": "available",
         "engine": "postgres", "multi_az": False, "backup_retention_period": 7, "replica_lag_seconds": 300.0,
         "rpo_budget_seconds": 60, "lag_verdict": "over", "latest_restorable_time": "2026-01-01T00:00:00+00:00"},
    ]},
    "alb": {"results": [
        {"item": "primary", "region": "us-east-1", "active_colour": "blue", "idle_colour": "green", "weights": {"blue": 100},
         "forward": [{"target_group_name": "shop-blue", "target_group_arn": "arn:tg/blue", "weight": 1}],
         "target_groups": {
            "shop-blue": {"colour": "blue", "arn": "arn:tg/blue", "healthy": True,
                          "healthy_count": 2, "unhealthy_count": 0, "other_count": 0, "total": 2},
            "shop-green": {"colour": "green", "arn": "arn:tg/green", "healthy": False,
                           "healthy_count": 0, "unhealthy_count": 2, "other_count": 0, "total": 2},
        }},
    ]},
    "dns": {"zone_id": "Z1", "failover": {"primary": "primary", "secondary": "dr", "primary_healthy": True, "serving": "PRIMARY"},
            "records": [{"set_identifier": "primary", "failover": "PRIMARY", "value": "a.elb", "ttl": 60, "health_check_id": "hc-1"}],
            "weighted_records": [], "health_checks": {"hc-1": {"healthy": True, "request_interval": 10, "failure_threshold": 3}}},
    "helm": {"results": [
        {"item": "primary", "releases": [{"name": "shop-blue", "namespace": "shop", "revision": 2, "status": "deployed",
                                          "chart": "sample-app-0.1.0", "app_version": "1.0.0", "updated": "now"}]},
    ]},
}
CONFIG = {"environment": "sandbox", "alb": {"primary": {"load_balancer_name": "shop-primary-alb", "listener_port": 80}},
          "dns": {"record_name": "app.example"}, "helm": {"release_namespace": "shop", "releases": {"blue": "shop-blue", "green": "shop-green"}}}


def test_status_report_keeps_decisions_and_drops_timestamps():
    report = status.status_report(RESULTS, CONFIG)
    assert report["eks"] == {"primary": {"cluster_name": "shop-primary", "region": "us-east-1", "exists": True, "status": "ACTIVE",
                                         "version": "1.30", "endpoint": "https://e",
                                         "nodegroups": [{"name": "workers", "status": "ACTIVE", "min_size": 3, "max_size": 6, "desired_size": 3}]}}
    assert report["rds"]["replica"]["lag_verdict"] == "over"
    assert "latest_restorable_time" not in report["rds"]["replica"]
    assert report["alb"]["primary"]["target_groups"]["shop-green"]["healthy_count"] == 0
    assert "arn" not in report["alb"]["primary"]["target_groups"]["shop-green"]
    assert report["dns"]["records"][0]["healthy"] is True and report["dns"]["serving"] == "PRIMARY"
    assert report["helm"]["primary"]["releases"][0]["colour"] == "blue"
    assert "updated" not in report["helm"]["primary"]["releases"][0]
    assert status.status_report(RESULTS, CONFIG) == report  # deterministic


def test_status_table_renders_every_section():
    report = dict(status.status_report(RESULTS, CONFIG), collected_at="2026-01-01T00:00:00Z")
    text = status.status_table(report)
    lines = text.splitlines()
    assert lines[0] == "STATUS of sandbox (collected 2026-01-01T00:00:00Z)"
    for title in ("EKS", "RDS", "ALB", "Helm"):
        assert title in lines
    assert "DNS  app.example -> serving PRIMARY (primary healthy: yes)" in lines
    green = next(line for line in lines if "shop-green" in line and "ALB" not in line and "0%" in line)
    assert green.split()[-1] == "0/2"
    replica = next(line for line in lines if "shop-db-dr" in line)
    assert replica.split()[-3:] == ["300.0", "60", "over"]


def test_status_table_columns_line_up():
    lines = status.render_table(["A", "LONGER", "C"], [["wide-cell", 1, None], ["x", True, "end"]])
    assert lines == ["  A          LONGER  C", "  wide-cell  1       -", "  x          yes     end"]


def test_status_table_of_empty_report_says_no_data():
    text = status.status_table({})
    assert text.count("(no data)") == 5
    assert text.splitlines()[0] == "STATUS of - (collected -)"


def reads_of(results):
    """RESULTS as estate_status holds its reads: {part: {side: result}}, dns one result."""
    reads = dict((part, status.by_side(results[part])) for part in ("eks", "rds", "alb", "helm"))
    reads["dns"] = results["dns"]
    return reads


def test_build_report_from_reads_is_the_filters_report():
    assert status.build_report(reads_of(RESULTS), CONFIG) == status.status_report(RESULTS, CONFIG)


def test_by_side_drops_skipped_items_and_keeps_their_order():
    assert list(status.by_side({"results": [{"item": "dr"}, {"item": "x", "skipped": True}, {"item": "primary"}]})) == ["dr", "primary"]
    assert status.by_side(None) == {}


def test_report_without_dns_read_has_empty_dns():
    reads = reads_of(RESULTS)
    reads["dns"] = None
    assert status.build_report(reads, CONFIG)["dns"] == {}


def test_with_timestamp_puts_collected_at_first_in_utc_seconds():
    now = datetime.datetime(2026, 1, 31, 12, 0, 5, 987654, tzinfo=datetime.timezone.utc)
    report = status.with_timestamp({"environment": "sandbox", "eks": {}}, now)
    assert list(report) == ["collected_at", "environment", "eks"]
    assert report["collected_at"] == "2026-01-31T12:00:05Z"


def test_step_summary_says_what_a_person_looks_at():
    report = status.build_report(reads_of(RESULTS), CONFIG)
    summary = status.step_summary(report, read_seconds=1.25)
    assert summary["detail"] == ("sandbox: DNS serving PRIMARY; replica shop-db-dr lag 300.0 s (over); ALB primary blue; "
                                 "EKS 1/1 active; Helm 1/1 deployed")
    assert summary["measures"] == {"clusters": 1, "clusters_active": 1, "releases": 1, "releases_deployed": 1, "target_groups": 2,
                                   "target_groups_healthy": 1, "read_seconds": 1.25, "replica_lag_seconds": 300.0,
                                   "rpo_budget_seconds": 60}
    # The replica's figures, as rds_replication_info reports them: informational, the status judges nothing.
    assert summary["gates"] == [{"name": "replication shop-db-dr", "passed": None, "detail": "over",
                                 "numbers": {"role": "replica", "replica_lag_seconds": 300.0, "rpo_budget_seconds": 60, "lag_verdict": "over"}}]


def test_step_summary_of_a_primary_without_lag_has_no_gate_and_no_read_time():
    report = {"environment": "dev", "rds": {"primary": {"instance_id": "db", "role": "primary", "replica_lag_seconds": None,
                                                        "lag_verdict": None}}}
    summary = status.step_summary(report)
    assert summary["gates"] == [] and "read_seconds" not in summary["measures"]
    assert summary["detail"].startswith("dev: DNS serving -; replica - lag - (-); ALB ; EKS 0/0 active")


def test_status_table_says_where_production_runs_when_the_record_was_read():
    report = dict(status.status_report(RESULTS, CONFIG), collected_at="2026-01-01T00:00:00Z")
    assert "PRODUCTION" not in status.status_table(report)  # not read
    on_dr = status.build_report({"production": {"side": "dr", "note": "production runs on DR since X (failover Y): ..."}}, CONFIG)
    assert status.status_table(on_dr).splitlines()[1] == "PRODUCTION on DR: production runs on DR since X (failover Y): ..."
    at_home = status.build_report({"production": {"side": "primary", "note": ""}}, CONFIG)
    assert status.status_table(at_home).splitlines()[1] == "PRODUCTION on the primary region"


def test_the_cache_section_shows_which_member_is_primary():
    from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
    spec = {"global_datastore_id": "g-shop", "primary": {"region": "us-east-1", "replication_group_id": "shop-cache"},
            "secondary": {"region": "us-west-2", "replication_group_id": "shop-cache-dr"}}
    group = {"Status": "available", "Members": [
        {"ReplicationGroupId": "shop-cache", "ReplicationGroupRegion": "us-east-1", "Role": "PRIMARY"},
        {"ReplicationGroupId": "shop-cache-dr", "ReplicationGroupRegion": "us-west-2", "Role": "SECONDARY"}]}
    cache = state_stores.cache_status(spec, group)
    assert cache == {"global_datastore_id": "g-shop", "status": "available", "primary": "us-east-1/shop-cache",
                     "members": {"us-east-1/shop-cache": "primary", "us-west-2/shop-cache-dr": "secondary"}}
    assert state_stores.cache_status(spec, None)["status"] == "missing"
    text = status.status_table({"environment": "sandbox", "cache": cache})
    assert "Cache  Global Datastore g-shop (available)" in text
    assert [line.split() for line in text.splitlines() if "shop-cache" in line and "Datastore" not in line] == [
        ["us-east-1/shop-cache", "primary"], ["us-west-2/shop-cache-dr", "secondary"]]
    assert status.build_report({"cache": cache}, {})["cache"] == cache and "cache" not in status.build_report({}, {})


def test_the_status_after_a_drill_looks_no_identifier_up_twice():
    args = {"environment": "sandbox", "dns": {"zone_name": "example.com", "record_name": "app.example.com"},
            "alb": {"primary": {"region": "us-east-1", "load_balancer_name": "shop-primary-alb", "listener_port": 80},
                    "dr": {"region": "us-west-2", "load_balancer_name": "shop-dr-alb", "listener_port": 80}}}
    before = {"dns": {"zone_id": "Z1"},
              "alb": {"primary": {"load_balancer_name": "shop-primary-alb", "load_balancer_arn": "arn:lb/primary", "dns_name": "p.elb",
                                  "target_group_arns": {"shop-blue": "arn:tg/blue", "shop-green": "arn:tg/green"}},
                      # A report of another load balancer under the side (the inventory changed since): not reused.
                      "dr": {"load_balancer_name": "old-dr-alb", "load_balancer_arn": "arn:lb/old", "dns_name": "o.elb"}}}
    known = status.known_identifiers(args, before)
    assert known["dns"] == dict(args["dns"], zone_id="Z1")
    assert known["alb"]["primary"]["load_balancer"] == {"arn": "arn:lb/primary", "dns_name": "p.elb",
                                                        "target_groups": {"shop-blue": "arn:tg/blue", "shop-green": "arn:tg/green"}}
    assert known["alb"]["dr"] == args["alb"]["dr"]
    assert "zone_id" not in args["dns"] and "load_balancer" not in args["alb"]["primary"]  # the arguments given are not changed
    # A report without them (an older record, a read that failed) leaves the arguments as they are.
    assert status.known_identifiers(args, {}) == args and status.known_identifiers(args, None) == args


def test_the_status_after_a_drill_describes_the_node_groups_it_found_by_name():
    args = {"eks": {"primary": {"region": "us-east-1", "cluster_name": "shop-primary"},
                    "dr": {"region": "us-west-2", "cluster_name": "shop-dr", "nodegroup_name": "workers"}}}
    before = {"eks": {"primary": {"cluster_name": "shop-primary", "nodegroups": [{"name": "system"}, {"name": "workers"}]},
                      # Another cluster under the side (the inventory changed since): not reused.
                      "dr": {"cluster_name": "old-dr", "nodegroups": [{"name": "workers"}]}}}
    known = status.known_identifiers(args, before)
    assert known["eks"]["primary"] == dict(args["eks"]["primary"], nodegroups=["system", "workers"])
    assert known["eks"]["dr"] == args["eks"]["dr"] and "nodegroups" not in args["eks"]["primary"]
    # A cluster the status before found without node groups (or missing) is listed again.
    assert status.known_identifiers(args, {"eks": {"primary": {"cluster_name": "shop-primary", "nodegroups": []}}}) == args


def test_the_report_keeps_the_load_balancer_arn_for_the_status_after():
    report = status.status_report({"alb": {"results": [dict(RESULTS["alb"]["results"][0], load_balancer_arn="arn:lb/primary")]}}, CONFIG)
    assert report["alb"]["primary"]["load_balancer_arn"] == "arn:lb/primary"
    assert report["alb"]["primary"]["target_group_arns"] == {"shop-blue": "arn:tg/blue", "shop-green": "arn:tg/green"}
