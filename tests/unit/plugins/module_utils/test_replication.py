# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication

PRIMARY_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"
REPLICA_ARN = "arn:aws:rds:us-west-2:123456789012:db:shop-db-dr"
PRIMARY = {"DBInstanceIdentifier": "shop-db", "DBInstanceArn": PRIMARY_ARN, "DBInstanceStatus": "available",
           "ReadReplicaDBInstanceIdentifiers": [REPLICA_ARN]}
REPLICA = {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceArn": REPLICA_ARN, "DBInstanceStatus": "available",
           "ReadReplicaSourceDBInstanceIdentifier": PRIMARY_ARN, "ReadReplicaDBInstanceIdentifiers": []}


def test_primary_with_replicas():
    assert replication.replication_role(PRIMARY) == ("primary", "has read replicas")


def test_standalone_without_links():
    assert replication.replication_role({"DBInstanceIdentifier": "solo"})[0] == "standalone"


def test_replica_from_source_pointer_when_source_not_looked_up():
    assert replication.replication_role(REPLICA)[0] == "replica"


def test_cross_region_replica_listed_by_arn_in_source():
    assert replication.replication_role(REPLICA, PRIMARY)[0] == "replica"


def test_replica_whose_source_is_gone_is_standalone():
    role, evidence = replication.replication_role(REPLICA, {})
    assert role == "standalone"
    assert "no longer exists" in evidence


def test_replica_no_longer_listed_by_source_is_standalone():
    # What real RDS shows during/after promotion when the source pointer lingers (and what moto shows when the
    # source forgets the replica): the source's replica list is the tie-breaker.
    source = dict(PRIMARY, ReadReplicaDBInstanceIdentifiers=[])
    assert replication.replication_role(REPLICA, source)[0] == "standalone"


def test_status_infos_replication_wins():
    replica = dict(REPLICA, StatusInfos=[{"StatusType": "read replication", "Status": "replicating", "Normal": True}])
    assert replication.replication_role(replica, {}) == ("replica", "StatusInfos read replication")


def test_status_infos_terminated_link_falls_back_to_replica_list():
    promoted = dict(REPLICA, StatusInfos=[{"StatusType": "read replication", "Status": "terminated"}])
    assert replication.replication_role(promoted)[0] == "standalone"


def test_promoted_replica_with_own_replicas_is_primary():
    promoted = dict(REPLICA, ReadReplicaSourceDBInstanceIdentifier=None, ReadReplicaDBInstanceIdentifiers=["shop-db-dr2"])
    assert replication.replication_role(promoted)[0] == "primary"


@pytest.mark.parametrize(
    "lag, budget, verdict",
    [(2.0, 60, "ok"), (60, 60, "ok"), (300, 60, "over"), (None, 60, "unknown"), (5, None, None), (None, None, None)],
)
def test_lag_verdict(lag, budget, verdict):
    assert replication.lag_verdict(lag, budget) == verdict


def test_latest_datapoint_takes_newest_timestamp_not_last_in_list():
    now = datetime.datetime(2026, 1, 1, 12, 0, tzinfo=datetime.timezone.utc)
    points = [
        {"Timestamp": now, "Maximum": 300.0},
        {"Timestamp": now - datetime.timedelta(minutes=5), "Maximum": 2.0},
    ]
    assert replication.latest_datapoint(points) == 300.0
    assert replication.latest_datapoint([]) is None
