# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""replication.instance_key / replica_plan / replicating: what rds_read_replica does about an existing instance."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication

SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"
WANTED = replication.instance_key(SOURCE_ARN, "us-west-2")


def instance(status="available", source=SOURCE_ARN, **extra):
    found = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceArn": "arn:aws:rds:us-west-2:123456789012:db:shop-db-dr",
             "DBInstanceStatus": status}
    if source:
        found["ReadReplicaSourceDBInstanceIdentifier"] = source
    found.update(extra)
    return found


def test_instance_key_matches_both_spellings_of_one_instance():
    assert replication.instance_key(SOURCE_ARN, "us-west-2") == ("us-east-1", "shop-db")
    assert replication.instance_key("Shop-DB", "us-east-1") == ("us-east-1", "shop-db")
    assert replication.instance_key("shop-db", "us-west-2") != WANTED


def test_no_instance_is_created():
    assert replication.replica_plan(None, WANTED, "us-west-2")["action"] == "create"


def test_a_replica_of_the_source_is_kept_whatever_its_status():
    for status in ("available", "creating", "modifying"):
        plan = replication.replica_plan(instance(status), WANTED, "us-west-2")
        assert plan == {"action": "keep", "reason": "shop-db-dr already replicates from %s" % SOURCE_ARN}


def test_a_same_region_source_shown_by_identifier_matches_the_arn():
    wanted = replication.instance_key("arn:aws:rds:us-west-2:123456789012:db:orders-db", "us-west-2")
    assert replication.replica_plan(instance(source="orders-db"), wanted, "us-west-2")["action"] == "keep"


def test_a_replica_of_another_source_is_refused_naming_it():
    plan = replication.replica_plan(instance(source="arn:aws:rds:eu-west-1:123456789012:db:shop-db"), WANTED, "us-west-2")
    assert plan["action"] == "refuse"
    assert plan["reason"] == ("shop-db-dr exists and replicates from arn:aws:rds:eu-west-1:123456789012:db:shop-db, not from "
                              "shop-db in us-east-1: delete it first (state: absent) or pick another instance_id")


def test_a_promoted_or_standalone_instance_is_refused():
    plan = replication.replica_plan(instance(source=None), WANTED, "us-west-2")
    assert plan["action"] == "refuse"
    assert plan["reason"].startswith("shop-db-dr exists as a standalone instance (no replication link), not as a replica of "
                                     "shop-db in us-east-1")
    primary = replication.replica_plan(instance(source=None, ReadReplicaDBInstanceIdentifiers=["x"]), WANTED, "us-west-2")
    assert "exists as a primary instance (has read replicas)" in primary["reason"]
    terminated = instance(StatusInfos=[{"StatusType": "read replication", "Status": "terminated"}])
    assert replication.replica_plan(terminated, WANTED, "us-west-2")["action"] == "refuse"


def test_an_instance_being_deleted_is_waited_for():
    assert replication.replica_plan(instance("deleting", source=None), WANTED, "us-west-2")["action"] == "wait_deleted"


def test_replicating_needs_available_the_source_and_a_replicating_status_where_reported():
    assert replication.replicating(instance(), WANTED, "us-west-2")
    assert not replication.replicating(instance("creating"), WANTED, "us-west-2")
    assert not replication.replicating(instance(source=None), WANTED, "us-west-2")
    assert not replication.replicating(instance(source="other"), WANTED, "us-west-2")
    info = [{"StatusType": "read replication", "Status": "replicating", "Normal": True}]
    assert replication.replicating(instance(StatusInfos=info), WANTED, "us-west-2")
    assert not replication.replicating(instance(StatusInfos=[dict(info[0], Status="error", Normal=False)]), WANTED, "us-west-2")
