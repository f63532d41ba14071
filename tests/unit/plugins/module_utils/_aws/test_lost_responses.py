# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The adapters' writes under a lost response (applied, then the connection reset): each is sent once, and the
answer is read back by its describe."""

from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common, elbv2, route53, rds_failover, rds_snapshots

LOST = botocore.exceptions.ConnectionClosedError(endpoint_url="https://aws.example/")


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(common.time, "sleep", lambda seconds: None)


class Module(object):
    def fail_json_aws(self, e, msg, **kwargs):
        raise AssertionError("failed: %s (%s)" % (msg, e))


class Fake(object):
    """A client whose writes apply, then (the first `lose` times) lose their response."""

    def __init__(self, lose=1):
        self.lose, self.sent = lose, []

    def written(self, name, params, apply):
        self.sent.append(name)
        apply(params)
        if self.lose:
            self.lose -= 1
            raise LOST
        return None


def wrap(raw):
    return RetryingBotoClientWrapper(raw, common.CloudopsRetry.policy())


def test_modify_listener_is_sent_once_and_read_back():
    arn, tg = "arn:listener", "arn:tg-green"

    class Raw(Fake):
        actions = [{"Type": "forward", "TargetGroupArn": "arn:tg-blue"}]

        def modify_listener(self, ListenerArn, DefaultActions):
            self.written("ModifyListener", DefaultActions, lambda value: setattr(self, "actions", value))
            return {"Listeners": [{"ListenerArn": arn, "DefaultActions": self.actions}]}

        def describe_listeners(self, ListenerArns):
            return {"Listeners": [{"ListenerArn": arn, "DefaultActions": self.actions}]}

    raw = Raw()
    wanted = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": tg, "Weight": 1}]}}]
    assert elbv2.forward_of(elbv2.modify_listener(Module(), wrap(raw), arn, wanted)) == [{"target_group_arn": tg, "weight": 1}]
    assert raw.sent == ["ModifyListener"]


def test_promote_lost_is_not_sent_again_while_the_replica_is_modifying():
    class Raw(Fake):
        status = "available"

        def promote_read_replica(self, DBInstanceIdentifier):
            self.written("PromoteReadReplica", None, lambda _: setattr(self, "status", "modifying"))

        def describe_db_instances(self, DBInstanceIdentifier):
            return {"DBInstances": [{"DBInstanceIdentifier": DBInstanceIdentifier, "DBInstanceStatus": self.status,
                                     "ReadReplicaSourceDBInstanceIdentifier": "arn:aws:rds:us-east-1:1:db:shop-db"}]}

    raw = Raw()
    conn = wrap(raw)
    conn.meta = type("Meta", (), {"region_name": "us-west-2"})()
    assert rds_failover.promote_read_replica(Module(), conn, "shop-db-dr")["DBInstanceStatus"] == "modifying"
    assert raw.sent == ["PromoteReadReplica"]


def test_a_snapshot_whose_create_answer_was_lost_is_not_taken_twice_and_a_lost_delete_is_done():
    class Raw(Fake):
        snapshots = {}

        def create_db_snapshot(self, DBInstanceIdentifier, DBSnapshotIdentifier, Tags):
            self.written("CreateDBSnapshot", None, lambda _: self.snapshots.__setitem__(DBSnapshotIdentifier, {
                "DBSnapshotIdentifier": DBSnapshotIdentifier, "DBInstanceIdentifier": DBInstanceIdentifier, "Status": "creating"}))

        def delete_db_snapshot(self, DBSnapshotIdentifier):
            self.written("DeleteDBSnapshot", None, lambda _: self.snapshots.pop(DBSnapshotIdentifier))

        def describe_db_snapshots(self, DBSnapshotIdentifier):
            if DBSnapshotIdentifier not in self.snapshots:
                raise botocore.exceptions.ClientError({"Error": {"Code": "DBSnapshotNotFound"}}, "DescribeDBSnapshots")
            return {"DBSnapshots": [self.snapshots[DBSnapshotIdentifier]]}

    raw = Raw(lose=2)
    conn = wrap(raw)
    assert rds_snapshots.create_snapshot(Module(), conn, "shop-db", "s1", [])["Status"] == "creating"
    assert rds_snapshots.delete_snapshot(Module(), conn, "s1") is True
    assert raw.sent == ["CreateDBSnapshot", "DeleteDBSnapshot"]


def test_a_dns_batch_whose_answer_was_lost_is_read_back_in_place():
    primary = {"Name": "app.shop.internal.", "Type": "CNAME", "SetIdentifier": "primary", "Failover": "PRIMARY",
               "TTL": 60, "ResourceRecords": [{"Value": "dr-alb.example"}]}
    old = dict(primary, ResourceRecords=[{"Value": "primary-alb.example"}])

    class Raw(Fake):
        records = [old]

        def change_resource_record_sets(self, HostedZoneId, ChangeBatch):
            self.written("ChangeResourceRecordSets", None, lambda _: setattr(self, "records", [primary]))

        def get_paginator(self, operation):
            records = self.records

            class Pages(object):
                def paginate(self, **params):
                    return type("R", (), {"build_full_result": lambda self: {"ResourceRecordSets": records}})()

            return Pages()

    raw = Raw()
    changes = [{"Action": "DELETE", "ResourceRecordSet": old}, {"Action": "CREATE", "ResourceRecordSet": dict(primary, Name="app.shop.internal")}]
    info = route53.change_record_sets(Module(), wrap(raw), "Z1", changes, "switch")
    assert (info["Id"], info["Status"]) == (None, "INSYNC") and raw.sent == ["ChangeResourceRecordSets"]
    assert route53.get_change(Module(), wrap(raw), None)["Status"] == "INSYNC"
