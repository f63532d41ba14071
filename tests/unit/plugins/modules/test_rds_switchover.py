# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_switchover against botocore's Stubber, the database calls replaced: a standalone instance the failback did not
create is refused before any write; one it created (its run tag) is taken as the switchover an interrupted run made; a
replica that does not get the marker in time is refused with the lag, nothing promoted; the switchover writes the
marker, reads it back, promotes, waits until detached and purges."""

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.modules import rds_switchover as module

RUN = "failback-prod-20260202T000000"
DR_ARN = "arn:aws:rds:us-west-2:123456789012:db:shop-db-dr"
ARGS = {"instance_id": "shop-db", "source_instance_id": "shop-db-dr", "source_region": "us-west-2", "run_id": RUN,
        "login_user": "runbooks", "login_password": "not-in-any-output"}
WRITTEN = datetime.datetime(2026, 2, 2, 0, 1, tzinfo=datetime.timezone.utc)


def instance(iid, status="available", source=None, tags=None):
    found = {"DBInstanceIdentifier": iid, "DBInstanceStatus": status, "Engine": "postgres", "DBName": "shop",
             "Endpoint": {"Address": "%s.x.rds.amazonaws.com" % iid, "Port": 5432}, "TagList": [{"Key": k, "Value": v} for k, v in (tags or {}).items()]}
    if source:
        found["ReadReplicaSourceDBInstanceIdentifier"] = source
    return {"DBInstances": [found]}


class Database(object):
    """What the module asks the databases: a marker write, reads of the replica's markers, a purge."""

    def __init__(self, monkeypatch, present=()):
        self.calls, self.present = [], list(present)

        class Settings(object):
            def scrub(self, error):
                return str(error)

        facts = {"endpoint": {"address": "127.0.0.1", "port": 5432, "address_source": "login_host", "port_source": "api"},
                 "settings": Settings()}
        monkeypatch.setattr(module, "open_connection", lambda mod, found: (found["DBInstanceIdentifier"], facts))
        monkeypatch.setattr(module.postgres, "close", lambda conn: None)
        monkeypatch.setattr(module.markers, "write", self.write)
        monkeypatch.setattr(module.markers, "read", self.read)
        monkeypatch.setattr(module.markers, "purge", self.purge)

    def write(self, conn, schema, name, run_id, rows):
        self.calls.append(("write", conn))
        return [(1, WRITTEN)]

    def read(self, conn, schema, name, run_id):
        self.calls.append(("read", conn))
        return {"in_recovery": True, "table_exists": True, "present": [(seq, WRITTEN) for seq in self.present]}

    def purge(self, conn, schema, name, run_id):
        self.calls.append(("purge", conn))
        return 2


def describe(aws, answer, region="us-east-1", iid="shop-db"):
    aws.stub("rds", region).add_response("describe_db_instances", answer, {"DBInstanceIdentifier": iid})


def run(aws, **args):
    return aws.run(module, dict(ARGS, **args), patch=(rds_failover,))


def test_a_standalone_instance_this_failback_did_not_create_is_refused(aws, monkeypatch):
    db = Database(monkeypatch)
    describe(aws, instance("shop-db"))
    describe(aws, instance("shop-db-dr"), "us-west-2", "shop-db-dr")
    failed, result = run(aws, action="switchover")
    assert failed and "shop-db is standalone and was not created by this failback" in result["msg"]
    assert db.calls == [] and result["promoted"] is False


def test_the_instance_an_interrupted_run_promoted_is_taken_as_switched(aws, monkeypatch):
    db = Database(monkeypatch)
    describe(aws, instance("shop-db", tags={"cloudops:failback-run": RUN}))
    describe(aws, instance("shop-db-dr"), "us-west-2", "shop-db-dr")
    failed, result = run(aws, action="switchover")
    assert not failed and result["rpo_rows"] == 0 and result["purged"] == 2 and result["promoted"] is False
    assert db.calls == [("purge", "shop-db")]
    assert "already promoted by this failback" in result["step_summary"]["detail"]


def test_a_replica_that_lacks_the_marker_at_the_timeout_is_refused_with_the_lag(aws, monkeypatch):
    db = Database(monkeypatch, present=())
    describe(aws, instance("shop-db", source=DR_ARN))
    describe(aws, instance("shop-db-dr"), "us-west-2", "shop-db-dr")
    failed, result = run(aws, action="catchup", timeout=0)
    assert failed and result["caught_up"] is False and result["lag_seconds"] > 0
    assert result["msg"].startswith("Failback refused before the switchover, production untouched on shop-db-dr: the replica shop-db did "
                                    "not receive a marker written on shop-db-dr within 0 s")
    assert db.calls[0] == ("write", "shop-db-dr") and ("read", "shop-db") in db.calls


def test_the_switchover_proves_lag_zero_then_promotes(aws, monkeypatch):
    db = Database(monkeypatch, present=(1,))
    describe(aws, instance("shop-db", source=DR_ARN))
    describe(aws, instance("shop-db-dr"), "us-west-2", "shop-db-dr")
    rds = aws.stub("rds", "us-east-1")
    rds.add_response("promote_read_replica", {"DBInstance": instance("shop-db", status="modifying", source=DR_ARN)["DBInstances"][0]},
                     {"DBInstanceIdentifier": "shop-db", "BackupRetentionPeriod": 7})
    describe(aws, instance("shop-db", status="modifying", source=DR_ARN))
    describe(aws, instance("shop-db"))
    failed, result = run(aws, action="switchover", backup_retention_period=7)
    assert not failed, result
    assert result["promoted"] is True and result["rpo_rows"] == 0 and result["caught_up"] is True and result["marker_seq"] == 1
    assert result["purged"] == 2 and result["instance"]["role"] == "standalone"
    assert db.calls == [("write", "shop-db-dr"), ("read", "shop-db"), ("purge", "shop-db")]
    assert result["step_summary"]["gates"][0]["passed"] is True
    aws.verify()
