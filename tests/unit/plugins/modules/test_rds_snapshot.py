# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_snapshot against a fake RDS client: idempotence by snapshot id, tags only added, check mode makes no call, a
snapshot it did not take (no managed-by=cloudops.runbooks tag) refused untouched."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.modules import rds_snapshot


class Exited(Exception):
    def __init__(self, failed, result):
        super().__init__(result.get("msg"))
        self.failed, self.result = failed, result


class FakeModule(object):
    region = "us-east-1"

    def __init__(self, check_mode=False, **params):
        self.check_mode, self._diff = check_mode, True
        self.params = dict(instance_id="shop-db", cluster_id=None, snapshot_id="nightly-1", tags={}, wait=True, wait_timeout=5)
        self.params.update(params)

    def fail_json(self, **result):
        raise Exited(True, result)

    def exit_json(self, **result):
        raise Exited(False, result)


class FakeRds(object):
    def __init__(self, snapshots=()):
        self.snapshots = dict((s["DBSnapshotIdentifier"], s) for s in snapshots)
        self.calls = []

    def describe_db_snapshots(self, DBSnapshotIdentifier, aws_retry=False):
        self.calls.append("describe_db_snapshots")
        found = self.snapshots.get(DBSnapshotIdentifier)
        return {"DBSnapshots": [found] if found else []}

    def describe_db_instances(self, DBInstanceIdentifier, aws_retry=False):
        self.calls.append("describe_db_instances")
        return {"DBInstances": [{"DBInstanceIdentifier": DBInstanceIdentifier, "DBInstanceStatus": "available", "Engine": "postgres"}]}

    def create_db_snapshot(self, DBInstanceIdentifier, DBSnapshotIdentifier, Tags, aws_retry=False):
        self.calls.append("create_db_snapshot")
        created = {"DBSnapshotIdentifier": DBSnapshotIdentifier, "DBInstanceIdentifier": DBInstanceIdentifier,
                   "Status": "available", "SnapshotType": "manual", "TagList": Tags}
        self.snapshots[DBSnapshotIdentifier] = created
        return {"DBSnapshot": created}

    def add_tags_to_resource(self, ResourceName, Tags, aws_retry=False):
        self.calls.append(("add_tags_to_resource", ResourceName, tuple((t["Key"], t["Value"]) for t in Tags)))


OWNER = {"managed-by": "cloudops.runbooks"}


def existing(source="shop-db", tags=None, status="available", owned=True, kind="manual"):
    tags = dict(tags or {}, **(OWNER if owned else {}))
    return {"DBSnapshotIdentifier": "nightly-1", "DBSnapshotArn": "arn:snap", "DBInstanceIdentifier": source, "Status": status,
            "SnapshotType": kind, "TagList": [{"Key": k, "Value": v} for k, v in tags.items()]}


def run(module, conn, monkeypatch):
    monkeypatch.setattr(rds_snapshot, "AnsibleAWSModule", lambda **kwargs: module)
    monkeypatch.setattr(rds_snapshot, "client", lambda module, service, **extra: conn)
    with pytest.raises(Exited) as done:
        rds_snapshot.main()
    return done.value


def test_a_new_snapshot_is_taken_with_its_tags(monkeypatch):
    conn = FakeRds()
    outcome = run(FakeModule(tags={"reason": "pre-deploy", "helm_revision": 42}), conn, monkeypatch)
    assert outcome.result["changed"] and "create_db_snapshot" in conn.calls
    assert outcome.result["snapshot"]["tags"] == {"reason": "pre-deploy", "helm_revision": "42", "managed-by": "cloudops.runbooks"}


def test_check_mode_predicts_without_calling_create(monkeypatch):
    conn = FakeRds()
    outcome = run(FakeModule(check_mode=True, tags={"reason": "x"}), conn, monkeypatch)
    assert outcome.result["changed"] and outcome.result["snapshot"]["arn"] is None
    assert outcome.result["diff"]["after"] == {"snapshot_id": "nightly-1", "source": "shop-db", "tags": dict(OWNER, reason="x")}
    assert "create_db_snapshot" not in conn.calls


def test_the_same_snapshot_again_changes_nothing(monkeypatch):
    conn = FakeRds([existing(tags={"reason": "x", "other": "kept"})])
    outcome = run(FakeModule(tags={"reason": "x"}), conn, monkeypatch)
    assert outcome.result["changed"] is False and conn.calls == ["describe_db_snapshots"]


def test_missing_tags_are_added_never_removed(monkeypatch):
    conn = FakeRds([existing(tags={"reason": "x", "other": "kept"})])
    outcome = run(FakeModule(tags={"reason": "y"}), conn, monkeypatch)
    assert outcome.result["changed"] is True
    assert ("add_tags_to_resource", "arn:snap", (("reason", "y"),)) in conn.calls
    assert outcome.result["snapshot"]["tags"] == dict(OWNER, reason="y", other="kept")
    checked = FakeRds([existing(tags={"reason": "x"})])
    assert run(FakeModule(check_mode=True, tags={"reason": "y"}), checked, monkeypatch).result["changed"] is True
    assert checked.calls == ["describe_db_snapshots"]


def test_a_snapshot_of_that_id_from_another_instance_is_refused(monkeypatch):
    outcome = run(FakeModule(), FakeRds([existing(source="billing-db")]), monkeypatch)
    assert outcome.failed
    assert outcome.result["msg"] == ("snapshot nightly-1 already exists in us-east-1 but was taken of billing-db, not of instance "
                                     "shop-db: pick another snapshot_id")


@pytest.mark.parametrize("snapshot, why", [
    (existing(owned=False), "it has no managed-by=cloudops.runbooks tag (taken by hand or by another tool)"),
    (existing(owned=False, tags={"managed-by": "terraform"}), "its managed-by tag is terraform, not cloudops.runbooks"),
    (existing(kind="automated"), "it is an automated snapshot"),
])
def test_a_snapshot_it_did_not_take_is_refused_and_never_tagged(monkeypatch, snapshot, why):
    # Issue 14 defect 1: a hand-made snapshot's id given to a backup was adopted (tagged managed-by) and later pruned.
    conn = FakeRds([snapshot])
    for check_mode in (True, False):
        outcome = run(FakeModule(check_mode=check_mode, tags={"reason": "x"}), conn, monkeypatch)
        assert outcome.failed and "was not taken by cloudops.runbooks (%s)" % why in outcome.result["msg"]
        assert "never adopts or tags a snapshot it did not take" in outcome.result["msg"]
    assert conn.calls == ["describe_db_snapshots"] * 2  # no tag, no create


def test_another_managed_by_value_in_tags_is_refused(monkeypatch):
    conn = FakeRds()
    outcome = run(FakeModule(tags={"managed-by": "terraform"}), conn, monkeypatch)
    assert outcome.failed and "tags set managed-by=terraform" in outcome.result["msg"] and conn.calls == []
