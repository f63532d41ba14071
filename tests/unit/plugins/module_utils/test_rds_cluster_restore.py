# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_restore with cluster_id (module_utils/_aws/rds_cluster_restore.py) against a fake RDS client recording every
call: a restore time outside the cluster's window is refused before any restore call; a restore creates the cluster
(tagged restored-from, no global cluster) then its one instance, and a second run restores nothing; a foreign cluster
of that name is refused; state=absent deletes the instances first, then the cluster, never an untagged one."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_cluster_restore as crestore

NOW = datetime.datetime.now(datetime.timezone.utc)
SOURCE = {"DBClusterIdentifier": "shop-aurora", "Status": "available", "Engine": "aurora-postgresql", "BackupRetentionPeriod": 7,
          "EarliestRestorableTime": NOW - datetime.timedelta(days=2), "LatestRestorableTime": NOW - datetime.timedelta(seconds=30),
          "TagList": [], "DBClusterMembers": [{"DBInstanceIdentifier": "shop-aurora-1"}]}


class Exited(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule(object):
    region = "us-east-1"

    def __init__(self, check_mode=False, **params):
        self.check_mode, self._diff = check_mode, False
        self.params = dict(cluster_id="r", instance_id="r-1", state="present", snapshot_id=None, source_instance_id=None,
                           source_cluster_id=None, restore_time=None, use_latest_restorable_time=False, db_instance_class="db.r6g.large",
                           db_subnet_group_name=None, vpc_security_group_ids=None, db_parameter_group_name=None,
                           publicly_accessible=False, deletion_protection=False, tags={}, only_if_restored=True, wait=False,
                           wait_timeout=10)
        self.params.update(params)

    def fail_json(self, **result):
        raise Exited(True, result)

    def exit_json(self, **result):
        raise Exited(False, result)

    def fail_json_aws(self, error, msg=None, **result):
        raise Exited(True, dict(result, msg=msg, error=str(error)))


class FakeRds(object):
    def __init__(self, clusters=(), instances=()):
        self.clusters = dict((c["DBClusterIdentifier"], dict(c)) for c in clusters)
        self.instances = dict((i["DBInstanceIdentifier"], dict(i)) for i in instances)
        self.calls = []

    def describe_db_clusters(self, DBClusterIdentifier, aws_retry=False):
        found = self.clusters.get(DBClusterIdentifier)
        return {"DBClusters": [found] if found else []}

    def describe_db_instances(self, DBInstanceIdentifier, aws_retry=False):
        found = self.instances.get(DBInstanceIdentifier)
        return {"DBInstances": [found] if found else []}

    def _restore(self, name, params):
        self.calls.append((name, params))
        created = {"DBClusterIdentifier": params["DBClusterIdentifier"], "Status": "available", "TagList": params["Tags"],
                   "Engine": "aurora-postgresql", "DBClusterMembers": []}
        self.clusters[created["DBClusterIdentifier"]] = created
        return {"DBCluster": created}

    def restore_db_cluster_to_point_in_time(self, **params):
        return self._restore("restore_db_cluster_to_point_in_time", params)

    def restore_db_cluster_from_snapshot(self, **params):
        return self._restore("restore_db_cluster_from_snapshot", params)

    def create_db_instance(self, **params):
        self.calls.append(("create_db_instance", params))
        created = {"DBInstanceIdentifier": params["DBInstanceIdentifier"], "DBClusterIdentifier": params["DBClusterIdentifier"],
                   "DBInstanceStatus": "available", "TagList": params["Tags"]}
        self.instances[created["DBInstanceIdentifier"]] = created
        self.clusters[params["DBClusterIdentifier"]]["DBClusterMembers"].append({"DBInstanceIdentifier": params["DBInstanceIdentifier"]})
        return {"DBInstance": created}

    def delete_db_instance(self, **params):
        self.calls.append(("delete_db_instance", params))
        self.instances.pop(params["DBInstanceIdentifier"])

    def delete_db_cluster(self, **params):
        self.calls.append(("delete_db_cluster", params))
        self.clusters.pop(params["DBClusterIdentifier"])

    def operations(self):
        return [call[0] for call in self.calls]


def run(function, module, conn):
    with pytest.raises(Exited) as done:
        function(module, conn)
    return done.value


def test_a_restore_time_outside_the_cluster_window_is_refused_before_any_call():
    conn = FakeRds([SOURCE])
    when = (NOW - datetime.timedelta(days=3)).isoformat()
    outcome = run(crestore.present, FakeModule(source_cluster_id="shop-aurora", restore_time=when), conn)
    assert outcome.failed and "outside the restorable window of shop-aurora" in outcome.result["msg"]
    assert conn.calls == []


def test_a_point_in_time_restore_creates_the_cluster_then_its_instance_and_a_second_run_nothing():
    conn = FakeRds([SOURCE])
    outcome = run(crestore.present, FakeModule(source_cluster_id="shop-aurora", use_latest_restorable_time=True,
                                               tags={"purpose": "restore-test"}), conn)
    assert not outcome.failed and outcome.result["created"] and outcome.result["restored_from"] == "shop-aurora@latest"
    assert conn.operations() == ["restore_db_cluster_to_point_in_time", "create_db_instance"]
    call = conn.calls[0][1]
    assert call["UseLatestRestorableTime"] is True and call["SourceDBClusterIdentifier"] == "shop-aurora"
    assert "GlobalClusterIdentifier" not in call and {"Key": "cloudops:restored-from", "Value": "shop-aurora@latest"} in call["Tags"]
    assert conn.calls[1][1]["DBClusterIdentifier"] == "r" and conn.calls[1][1]["DBInstanceClass"] == "db.r6g.large"
    assert outcome.result["cluster"]["members"] == ["r-1"] and outcome.result["instance"]["id"] == "r-1"
    again = run(crestore.present, FakeModule(source_cluster_id="shop-aurora", use_latest_restorable_time=True), conn)
    assert not again.failed and again.result["changed"] is False and len(conn.calls) == 2


def test_a_cluster_of_that_name_restored_from_something_else_is_refused():
    other = {"DBClusterIdentifier": "r", "Status": "available", "TagList": [{"Key": "cloudops:restored-from", "Value": "s-1"}]}
    outcome = run(crestore.present, FakeModule(snapshot_id="s-2"), FakeRds([other]))
    assert outcome.failed and "was not restored from s-2" in outcome.result["msg"]


@pytest.mark.parametrize("params, message", [
    ({"instance_id": None, "snapshot_id": "s"}, "give instance_id too"),
    ({"source_instance_id": "shop-db"}, "not source_instance_id"),
    ({}, "give snapshot_id"),
    ({"source_cluster_id": "shop-aurora"}, "exactly one of restore_time and use_latest_restorable_time"),
])
def test_requests_that_cannot_be_carried_out_are_refused_first(params, message):
    conn = FakeRds([SOURCE])
    outcome = run(crestore.present, FakeModule(**params), conn)
    assert outcome.failed and message in outcome.result["msg"] and conn.calls == []


def test_absent_deletes_the_instances_then_the_cluster_and_never_an_untagged_cluster():
    restored = {"DBClusterIdentifier": "r", "Status": "available", "TagList": [{"Key": "cloudops:restored-from", "Value": "s"}],
                "DBClusterMembers": [{"DBInstanceIdentifier": "r-1"}]}
    conn = FakeRds([restored, SOURCE], [{"DBInstanceIdentifier": "r-1", "DBInstanceStatus": "available"}])
    outcome = run(crestore.absent, FakeModule(state="absent", wait=True), conn)
    assert not outcome.failed and outcome.result["changed"] and conn.operations() == ["delete_db_instance", "delete_db_cluster"]
    assert conn.calls[1][1] == {"DBClusterIdentifier": "r", "SkipFinalSnapshot": True}
    refused = run(crestore.absent, FakeModule(state="absent", cluster_id="shop-aurora"), conn)
    assert refused.failed and "refusing to delete it" in refused.result["msg"] and "shop-aurora" in conn.clusters
