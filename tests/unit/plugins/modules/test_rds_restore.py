# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_restore's decisions against a fake RDS client that records every call: a restore time outside the window is
refused before any restore call, an instance restored from the same source is left alone, a foreign one is
refused, and state=absent never deletes an instance that rds_restore did not restore."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.modules import rds_restore

NOW = datetime.datetime.now(datetime.timezone.utc)
SOURCE = {
    "DBInstanceIdentifier": "shop-db", "DBInstanceStatus": "available", "BackupRetentionPeriod": 7, "Engine": "postgres",
    "InstanceCreateTime": NOW - datetime.timedelta(days=30), "LatestRestorableTime": NOW - datetime.timedelta(minutes=5),
    "DBInstanceClass": "db.t3.medium", "TagList": [],
}


class Exited(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule(object):
    region = "us-east-1"

    def __init__(self, check_mode=False, **params):
        self.check_mode = check_mode
        self._diff = False
        self.params = dict(
            instance_id="shop-db-restore", state="present", snapshot_id=None, source_instance_id=None, restore_time=None,
            use_latest_restorable_time=False, db_instance_class=None, db_subnet_group_name=None, vpc_security_group_ids=None,
            db_parameter_group_name=None, multi_az=None, publicly_accessible=False, deletion_protection=False, tags={},
            skip_final_snapshot=True, final_snapshot_id=None, delete_automated_backups=True, only_if_restored=True,
            wait=False, wait_timeout=10)
        self.params.update(params)

    def fail_json(self, **result):
        raise Exited(True, result)

    def exit_json(self, **result):
        raise Exited(False, result)

    def fail_json_aws(self, error, msg=None, **result):
        raise Exited(True, dict(result, msg=msg, error=str(error)))


class FakeRds(object):
    def __init__(self, instances=None, snapshots=None):
        self.instances = dict((i["DBInstanceIdentifier"], i) for i in instances or [])
        self.snapshots = snapshots or {}
        self.calls = []

    def describe_db_instances(self, DBInstanceIdentifier, aws_retry=False):
        self.calls.append(("describe_db_instances", DBInstanceIdentifier))
        found = self.instances.get(DBInstanceIdentifier)
        return {"DBInstances": [found] if found else []}  # (RDS raises DBInstanceNotFound; both read as "gone")

    def describe_db_instance_automated_backups(self, DBInstanceIdentifier, aws_retry=False):
        self.calls.append(("describe_db_instance_automated_backups", DBInstanceIdentifier))
        return {"DBInstanceAutomatedBackups": [{"DBInstanceIdentifier": DBInstanceIdentifier, "Status": "active"}]}

    def describe_db_snapshots(self, DBSnapshotIdentifier, aws_retry=False):
        self.calls.append(("describe_db_snapshots", DBSnapshotIdentifier))
        return {"DBSnapshots": [self.snapshots[DBSnapshotIdentifier]]}

    def restore_db_instance_to_point_in_time(self, aws_retry=False, **params):
        self.calls.append(("restore_db_instance_to_point_in_time", params))
        created = {"DBInstanceIdentifier": params["TargetDBInstanceIdentifier"], "DBInstanceStatus": "creating",
                   "TagList": params["Tags"]}
        self.instances[created["DBInstanceIdentifier"]] = created
        return {"DBInstance": created}

    def delete_db_instance(self, aws_retry=False, **params):
        self.calls.append(("delete_db_instance", params))
        self.instances.pop(params["DBInstanceIdentifier"])

    def operations(self):
        return [call[0] for call in self.calls]


def run(function, module, conn):
    with pytest.raises(Exited) as done:
        function(module, conn)
    return done.value


@pytest.mark.parametrize("when", [NOW - datetime.timedelta(days=8), NOW - datetime.timedelta(minutes=1)])
def test_a_restore_time_outside_the_window_is_refused_before_any_restore_call(when):
    conn = FakeRds([SOURCE])
    outcome = run(rds_restore.present, FakeModule(source_instance_id="shop-db", restore_time=when.isoformat()), conn)
    assert outcome.failed
    assert "outside the restorable window of shop-db" in outcome.result["msg"]
    assert "earliest %s" % outcome.result["window"]["earliest"] in outcome.result["msg"]
    assert "latest %s" % outcome.result["window"]["latest"] in outcome.result["msg"]
    assert not [op for op in conn.operations() if op.startswith(("restore", "delete", "create"))]


def test_a_time_in_the_window_restores_and_tags_the_source_and_time():
    conn = FakeRds([SOURCE])
    when = (NOW - datetime.timedelta(hours=1)).replace(microsecond=0)
    outcome = run(rds_restore.present, FakeModule(source_instance_id="shop-db", restore_time=when.isoformat(),
                                                  db_instance_class="db.t3.micro", tags={"purpose": "test"}), conn)
    assert not outcome.failed and outcome.result["changed"]
    call = dict(conn.calls)["restore_db_instance_to_point_in_time"]
    assert call["RestoreTime"] == when and call["SourceDBInstanceIdentifier"] == "shop-db"
    assert call["DBInstanceClass"] == "db.t3.micro" and call["PubliclyAccessible"] is False
    label = "shop-db@%s" % when.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert {"Key": "cloudops:restored-from", "Value": label} in call["Tags"]
    assert outcome.result["restored_from"] == label

    # Second run: the instance exists with the same tag, nothing is restored again.
    again = run(rds_restore.present, FakeModule(source_instance_id="shop-db", restore_time=when.isoformat()), conn)
    assert not again.failed and again.result["changed"] is False
    assert conn.operations().count("restore_db_instance_to_point_in_time") == 1


def test_check_mode_validates_and_predicts_without_restoring():
    conn = FakeRds([SOURCE])
    outcome = run(rds_restore.present, FakeModule(check_mode=True, source_instance_id="shop-db", use_latest_restorable_time=True), conn)
    assert outcome.result["changed"] is True and outcome.result["restored_from"] == "shop-db@latest"
    assert outcome.result["instance"]["engine"] == "postgres" and outcome.result["instance"]["arn"] is None
    assert "restore_db_instance_to_point_in_time" not in conn.operations()


def test_an_existing_instance_restored_from_something_else_is_refused():
    other = {"DBInstanceIdentifier": "shop-db-restore", "DBInstanceStatus": "available",
             "TagList": [{"Key": "cloudops:restored-from", "Value": "nightly-1"}]}
    outcome = run(rds_restore.present, FakeModule(snapshot_id="nightly-2"), FakeRds([other]))
    assert outcome.failed
    assert outcome.result["msg"] == ("instance shop-db-restore exists and was not restored from nightly-2 (its "
                                     "cloudops:restored-from tag says nightly-1): pick another instance_id or delete it")


@pytest.mark.parametrize("params, message", [
    ({"source_instance_id": "shop-db"}, "exactly one of restore_time and use_latest_restorable_time"),
    ({"snapshot_id": "s", "restore_time": "2026-01-01T00:00:00Z"}, "need source_instance_id"),
    ({"snapshot_id": "s", "tags": {"cloudops:restored-from": "x"}}, "tags may not set cloudops:restored-from"),
])
def test_inconsistent_requests_fail_before_any_call(params, message):
    conn = FakeRds([SOURCE])
    outcome = run(rds_restore.present, FakeModule(**params), conn)
    assert outcome.failed and message in outcome.result["msg"] and conn.calls == []


def test_absent_never_deletes_an_instance_it_did_not_restore():
    conn = FakeRds([dict(SOURCE, DBInstanceIdentifier="shop-db-restore")])
    outcome = run(rds_restore.absent, FakeModule(state="absent"), conn)
    assert outcome.failed and "refusing to delete it" in outcome.result["msg"]
    assert "delete_db_instance" not in conn.operations()


def test_absent_deletes_a_restored_instance_and_is_idempotent():
    restored = {"DBInstanceIdentifier": "shop-db-restore", "DBInstanceStatus": "available",
                "TagList": [{"Key": "cloudops:restored-from", "Value": "nightly-2"}]}
    conn = FakeRds([restored])
    outcome = run(rds_restore.absent, FakeModule(state="absent", wait=True), conn)
    assert outcome.result["changed"] is True and outcome.result["restored_from"] == "nightly-2"
    assert dict(conn.calls)["delete_db_instance"] == {"DBInstanceIdentifier": "shop-db-restore", "SkipFinalSnapshot": True,
                                                      "DeleteAutomatedBackups": True}
    again = run(rds_restore.absent, FakeModule(state="absent"), conn)
    assert again.result["changed"] is False


def test_created_says_whether_this_call_sent_the_restore_also_when_the_wait_fails():
    """roles/db_restore deletes what its run created (created: true), never an instance that was there before."""
    conn = FakeRds([SOURCE])
    done = run(rds_restore.present, FakeModule(source_instance_id="shop-db", use_latest_restorable_time=True), conn)
    assert done.result["created"] is True
    again = run(rds_restore.present, FakeModule(source_instance_id="shop-db", use_latest_restorable_time=True), conn)
    assert again.result["created"] is False
    predicted = run(rds_restore.present, FakeModule(check_mode=True, instance_id="other", source_instance_id="shop-db",
                                                    use_latest_restorable_time=True), FakeRds([SOURCE]))
    assert predicted.result["created"] is False

    # The instance goes to status failed while the module waits: the failure says created.
    failing = FakeRds([SOURCE])
    original = failing.restore_db_instance_to_point_in_time

    def restore_then_fail(aws_retry=False, **params):
        result = original(aws_retry=aws_retry, **params)
        result["DBInstance"]["DBInstanceStatus"] = "failed"
        return result

    failing.restore_db_instance_to_point_in_time = restore_then_fail
    outcome = run(rds_restore.present, FakeModule(source_instance_id="shop-db", use_latest_restorable_time=True, wait=True), failing)
    assert outcome.failed and outcome.result["created"] is True and "the restore failed" in outcome.result["msg"]

    refused = run(rds_restore.present, FakeModule(source_instance_id="nowhere", use_latest_restorable_time=True), FakeRds([SOURCE]))
    assert refused.failed and "created" not in refused.result
