# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dr_readiness_info's findings (readiness.py)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness

REPLICA = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceStatus": "available",
           "ReadReplicaSourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:1:db:shop-db"}


def checks(findings):
    return [(item["check"], item["passed"]) for item in findings]


def test_a_current_replica_passes_both_checks():
    found = readiness.replica_findings("shop-db-dr", REPLICA, "replica", "pointer", 2.0, 60)
    assert checks(found) == [("replica_role", True), ("replica_lag", True)]
    assert found[1]["numbers"] == {"replica_lag_seconds": 2.0, "rpo_budget_seconds": 60}
    assert found[1]["detail"] == "replica lag 2 s is within the RPO budget of 60 s"


def test_lag_over_the_budget_or_unknown_fails_without_the_promotion_advice():
    over = readiness.replica_findings("shop-db-dr", REPLICA, "replica", "pointer", 300.0, 60)[1]
    assert over["passed"] is False and over["detail"].startswith("replica lag 300 s is over the RPO budget of 60 s")
    assert "max_lag_override" not in over["detail"]
    unknown = readiness.replica_findings("shop-db-dr", REPLICA, "replica", "pointer", None, 60, 600)[1]
    assert unknown["passed"] is False and "no ReplicaLag datapoint in the last 600 s" in unknown["detail"]


def test_a_missing_or_promoted_replica_fails_both():
    assert checks(readiness.replica_findings("shop-db-dr", None, None, None, None, 60)) == [("replica_role", False), ("replica_lag", False)]
    promoted = readiness.replica_findings("shop-db-dr", dict(REPLICA, ReadReplicaSourceDBInstanceIdentifier=None), "standalone",
                                          "no replication link", None, 60)
    assert checks(promoted) == [("replica_role", False), ("replica_lag", False)]
    assert "not a read replica" in promoted[0]["detail"]


def test_a_replica_that_is_not_available_fails_the_role_check():
    found = readiness.replica_findings("shop-db-dr", dict(REPLICA, DBInstanceStatus="storage-full"), "replica", "pointer", 1, 60)
    assert checks(found) == [("replica_role", False), ("replica_lag", True)]


def test_source_backups():
    assert readiness.source_backups_finding("shop-db", {"BackupRetentionPeriod": 7})["passed"] is True
    off = readiness.source_backups_finding("shop-db", {"BackupRetentionPeriod": 0})
    assert off["passed"] is False and off["numbers"] == {"backup_retention_days": 0}
    assert readiness.source_backups_finding("shop-db", None)["passed"] is False
    assert readiness.source_backups_finding(None, None)["passed"] is False


def test_cluster_and_nodegroup():
    assert readiness.cluster_finding("shop-dr", {"status": "ACTIVE", "version": "1.30"})["passed"] is True
    assert readiness.cluster_finding("shop-dr", {"status": "UPDATING"})["passed"] is False
    assert readiness.cluster_finding("shop-dr", None)["passed"] is False
    group = {"status": "DEGRADED", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 6},
             "health": {"issues": [{"code": "Ec2SubnetInvalidConfiguration", "message": "bad subnet"}]}}
    found = readiness.nodegroup_finding("shop-dr", "workers", group)
    assert found["passed"] is False and "health issues: Ec2SubnetInvalidConfiguration: bad subnet" in found["detail"]
    assert readiness.nodegroup_finding("shop-dr", "workers", None)["passed"] is False


PAIR = [{"set_identifier": "primary", "failover": "PRIMARY", "ttl": 60, "health_check_id": "hc-p"},
        {"set_identifier": "dr", "failover": "SECONDARY", "ttl": 300, "health_check_id": "hc-dr"}]


def test_dns_failover_time_counts_the_largest_ttl_and_the_detection_time():
    found = readiness.dns_finding("app.example.com", PAIR, {"hc-p": {"RequestInterval": 30, "FailureThreshold": 3}}, 900)
    assert found["passed"] is True
    assert found["numbers"] == {"ttl_seconds": 300, "request_interval": 30, "failure_threshold": 3, "detection_seconds": 90,
                                "total_seconds": 390, "rto_budget_seconds": 900}
    over = readiness.dns_finding("app.example.com", PAIR, {"hc-p": {"RequestInterval": 30, "FailureThreshold": 3}}, 300)
    assert over["passed"] is False and "390 s over the RTO budget of 300 s: lower the TTL" in over["detail"]


def test_dns_without_a_pair_or_a_health_check_fails():
    assert readiness.dns_finding("app.example.com", PAIR[:1], {}, 900)["passed"] is False
    no_check = readiness.dns_finding("app.example.com", [dict(PAIR[0], health_check_id=None), PAIR[1]], {}, 900)
    assert no_check["passed"] is False and "has no health check" in no_check["detail"]


def test_summary():
    findings = [readiness.finding("a", True, ""), readiness.finding("b", False, ""), readiness.finding("c", False, "")]
    assert readiness.summary(findings) == {"passed": False, "failed_checks": ["b", "c"]}
    assert readiness.summary([]) == {"passed": True, "failed_checks": []}
