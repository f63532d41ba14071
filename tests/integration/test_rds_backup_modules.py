# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The backup and restore modules on the sandbox, whose RDS data plane makes snapshots and restores real: a snapshot
and its copy exist in both regions with their tags; restores from a snapshot and to a point in time bring back
exactly the rows of that moment, proven by rds_data_verify; a restore time outside the window is refused before any
call; cleanup leaves no instance or snapshot behind; --check changes nothing; second runs change nothing; retention
deletes only what it should.

The tests work on a source instance of their own (created here with the seeded estate's user, password and database
name, so the inventory's cloudops_db settings reach it) and leave the seeded estate untouched.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import time
import urllib.request
import uuid

import psycopg
import pytest
from botocore.exceptions import ClientError

from conftest import BIN, REPO, ansible_env, ok, run_module, sandbox_client

PRIMARY, DR = "us-east-1", "us-west-2"
USER, PASSWORD, DB = "shop_admin", "sandbox-only-password", "shop"  # what the seeded secret shop/db/master holds
INVENTORY = "inventories/sandbox"
FIRST_ROWS = 20


class Backup(object):
    """Runs the test playbooks and single modules (ad hoc) on the sandbox; reads back with boto3 and SQL."""

    def __init__(self, sandbox, collections_path, tmp_path):
        self.sandbox, self.collections_path, self.tmp_path = sandbox, collections_path, tmp_path
        self.prefix = "bk-%s" % uuid.uuid4().hex[:6]
        self.source = self.prefix + "-src"

    # -- running ansible ---------------------------------------------------------------------------------------
    def env(self, **extra):
        return ansible_env(self.collections_path, self.sandbox["env"], **extra)

    def playbook(self, name, check=False, diff=False, **variables):
        """Run tests/integration/playbooks/<name>.yml; returns (process, the result it saved)."""
        out = self.tmp_path / ("%s-%s.json" % (name, uuid.uuid4().hex[:6]))
        args = [str(BIN / "ansible-playbook"), "tests/integration/playbooks/%s.yml" % name, "-i", INVENTORY,
                "-e", json.dumps(dict(variables, result_path=str(out)))]
        args += (["--check"] if check else []) + (["--diff"] if diff else [])
        proc = subprocess.run(args, cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=300)
        return proc, (json.loads(out.read_text()) if out.exists() else None)

    def module(self, name, check=False, diff=False, **args):
        """Run cloudops.runbooks.<name> ad hoc with args; returns its result (failed or not)."""
        args.setdefault("region", PRIMARY)
        return run_module(self.collections_path, self.sandbox["env"], name, args, check, diff, INVENTORY)

    # -- reading back ------------------------------------------------------------------------------------------
    def rds(self, region=PRIMARY):
        return sandbox_client(self.sandbox, "rds", region)

    def snapshot(self, snapshot_id, region=PRIMARY):
        try:
            return self.rds(region).describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0]
        except ClientError:
            return None

    def instance(self, instance_id, region=PRIMARY):
        found = self.rds(region).describe_db_instances(Filters=[{"Name": "db-instance-id", "Values": [instance_id]}])["DBInstances"]
        return found[0] if found else None

    def snapshots_of(self, instance_id, region=PRIMARY):
        return sorted(s["DBSnapshotIdentifier"] for s in self.rds(region).describe_db_snapshots(DBInstanceIdentifier=instance_id)["DBSnapshots"])

    def connect(self, instance_id):
        port = self.instance(instance_id)["Endpoint"]["Port"]
        return psycopg.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname=DB, autocommit=True,
                               connect_timeout=10)

    def add_events(self, count, note):
        """count rows (one transaction each) in the source; returns the last one's (id, created_at)."""
        with self.connect(self.source) as conn:
            for _ in range(count):
                last = conn.execute("INSERT INTO events (note) VALUES (%s) RETURNING id, created_at", (note,)).fetchone()
        return last

    def data_plane_errors(self):
        info = json.loads((self.sandbox["state"] / "sandbox.json").read_text())
        with urllib.request.urlopen(info["control"]["url"] + "/rds", timeout=10) as resp:
            return json.loads(resp.read())["errors"]


@pytest.fixture(scope="module")
def bk(sandbox, collections_path, tmp_path_factory):
    """A postgres source instance with an events table of FIRST_ROWS rows; everything named after it is deleted at the end."""
    b = Backup(sandbox, collections_path, tmp_path_factory.mktemp("backup"))
    b.rds().create_db_instance(DBInstanceIdentifier=b.source, Engine="postgres", EngineVersion="15.4",
                               DBInstanceClass="db.t3.micro", AllocatedStorage=20, MasterUsername=USER,
                               MasterUserPassword=PASSWORD, DBName=DB, BackupRetentionPeriod=7)
    with b.connect(b.source) as conn:
        conn.execute("CREATE TABLE events (id serial PRIMARY KEY, note text NOT NULL,"
                     " created_at timestamptz NOT NULL DEFAULT clock_timestamp())")
    b.add_events(FIRST_ROWS, "first")
    yield b
    for region in (PRIMARY, DR):
        client = b.rds(region)
        for found in client.describe_db_instances()["DBInstances"]:
            if found["DBInstanceIdentifier"].startswith(b.prefix):
                client.delete_db_instance(DBInstanceIdentifier=found["DBInstanceIdentifier"], SkipFinalSnapshot=True)
        for found in client.describe_db_snapshots()["DBSnapshots"]:
            if b.prefix in found["DBSnapshotIdentifier"]:
                try:
                    client.delete_db_snapshot(DBSnapshotIdentifier=found["DBSnapshotIdentifier"])
                except ClientError:
                    pass  # an automated one, gone with its instance
    assert b.data_plane_errors() == []


# ------------------------------------------------------------------------------------------------ snapshot + copy


def test_snapshot_and_dr_copy_exist_with_tags_check_mode_changes_nothing_second_run_is_idempotent(bk):
    snapshot_id = bk.prefix + "-manual-1"
    tags = {"reason": "integration test", "requested_by": "pytest", "helm_revision": 7, "managed-by": "cloudops.runbooks"}
    variables = dict(backup_instance=bk.source, backup_snapshot_id=snapshot_id, backup_tags=tags)

    proc, check = bk.playbook("rds_backup_snapshot", check=True, diff=True, **variables)
    ok(proc)
    assert check["snapshot"]["changed"] and check["copy"]["changed"]
    assert "snapshot_id: %s" % snapshot_id in proc.stdout  # the --diff
    assert bk.snapshot(snapshot_id) is None and bk.snapshot(snapshot_id + "-dr", DR) is None

    proc, first = bk.playbook("rds_backup_snapshot", **variables)
    ok(proc)
    snap, copy = first["snapshot"], first["copy"]
    assert snap["changed"] and copy["changed"]
    assert (snap["snapshot"]["status"], snap["snapshot"]["source"], snap["snapshot"]["type"]) == ("available", bk.source, "manual")
    assert snap["snapshot"]["tags"] == {"reason": "integration test", "requested_by": "pytest", "helm_revision": "7",
                                        "managed-by": "cloudops.runbooks"}
    assert copy["source_arn"] == snap["snapshot"]["arn"]
    assert copy["snapshot"]["arn"].startswith("arn:aws:rds:%s:" % DR)
    assert copy["snapshot"]["data_time"] == snap["snapshot"]["created"]  # the copy's data is the snapshot's
    assert copy["snapshot"]["encrypted"] and ":%s:" % DR in copy["snapshot"]["kms_key_id"]

    in_primary, in_dr = bk.snapshot(snapshot_id), bk.snapshot(snapshot_id + "-dr", DR)
    assert in_primary["Status"] == in_dr["Status"] == "available"
    primary_tags = dict((t["Key"], t["Value"]) for t in in_primary["TagList"])
    dr_tags = dict((t["Key"], t["Value"]) for t in in_dr["TagList"])
    assert primary_tags["helm_revision"] == "7" and primary_tags["reason"] == "integration test"
    assert dr_tags == dict(primary_tags, copied_from=PRIMARY)

    proc, second = bk.playbook("rds_backup_snapshot", **variables)
    ok(proc)
    assert second["snapshot"]["changed"] is False and second["copy"]["changed"] is False

    # The same id for another instance is refused, naming both.
    refused = bk.module("rds_snapshot", instance_id="shop-db", snapshot_id=snapshot_id)
    assert refused["failed"]
    assert "already exists in us-east-1 but was taken of %s, not of instance shop-db" % bk.source in refused["msg"]

    # A snapshot (and a DR copy) made by hand is never adopted: refused, not tagged, not copied (issue 14 defect 1).
    hand = bk.prefix + "-by-hand-snap"
    bk.rds().create_db_snapshot(DBInstanceIdentifier=bk.source, DBSnapshotIdentifier=hand)
    for check in (True, False):
        refused = bk.module("rds_snapshot", check=check, instance_id=bk.source, snapshot_id=hand, tags={"reason": "x"})
        assert refused["failed"] and "was not taken by cloudops.runbooks (it has no managed-by" in refused["msg"]
    bk.rds(DR).copy_db_snapshot(SourceDBSnapshotIdentifier=in_primary["DBSnapshotArn"], TargetDBSnapshotIdentifier=hand + "-dr",
                                SourceRegion=PRIMARY, KmsKeyId="alias/aws/rds")
    refused = bk.module("rds_snapshot_copy", region=DR, source_snapshot=snapshot_id, source_region=PRIMARY,
                        snapshot_id=hand + "-dr", kms_key_id="alias/aws/rds")
    assert refused["failed"] and "was not copied by cloudops.runbooks" in refused["msg"]
    assert bk.snapshot(hand)["TagList"] == [] and bk.snapshot(hand + "-dr", DR)["TagList"] == []


# --------------------------------------------------------------------------------------------------------- restores


def test_restore_from_snapshot_brings_back_the_snapshot_time_data_and_cleanup_leaves_nothing(bk):
    with bk.connect(bk.source) as conn:
        rows_at_snapshot, last_id = conn.execute("SELECT count(*), max(id) FROM events").fetchone()
    info_out = bk.tmp_path / "source-data.json"
    info = subprocess.run([str(BIN / "ansible-playbook"), "tests/integration/playbooks/rds_data_info.yml", "-i", INVENTORY, "-e",
                           json.dumps({"data_instance": bk.source, "data_result_path": str(info_out)})],
                          cwd=REPO, env=bk.env(), capture_output=True, text=True, timeout=300)
    ok(info)
    checksum = json.loads(info_out.read_text())["tables"][0]["checksum"]

    snapshot_id = bk.prefix + "-before-writes"
    taken = bk.module("rds_snapshot", instance_id=bk.source, snapshot_id=snapshot_id, tags={"managed-by": "cloudops.runbooks"})
    assert taken["changed"] and taken["snapshot"]["status"] == "available"
    bk.add_events(5, "after")  # not in the snapshot

    target = bk.prefix + "-from-snap"
    checks = [
        {"name": "every row of the snapshot", "row_count": {"table": "events", "equals": rows_at_snapshot}},
        {"name": "same rows as at the snapshot", "checksum": {"table": "events", "equals": checksum}},
        {"name": "newest marker row", "newest": {"table": "events", "column": "id", "min_value": last_id}},
        {"name": "nothing written after it", "sql": "SELECT count(*) FROM events WHERE note = 'after'", "expect": 0},
        {"name": "first rows", "sql": "SELECT id, note FROM events ORDER BY id LIMIT 2", "expect": [[1, "first"], [2, "first"]]},
    ]
    variables = dict(restore_source=bk.source, restore_target=target, restore_mode="latest_snapshot", restore_checks=checks,
                     restore_keep=True)
    proc, run = bk.playbook("rds_backup_restore", **variables)
    ok(proc)
    point = run["point"]
    assert (point["restore_point"]["kind"], point["restore_point"]["snapshot_id"]) == ("snapshot", snapshot_id)
    assert point["restore_point"]["time"] == taken["snapshot"]["created"] and point["gap_seconds"] > 0
    assert run["restore"]["changed"] and run["restore"]["restored_from"] == snapshot_id
    assert run["restore"]["instance"]["status"] == "available" and run["restore"]["duration_seconds"] >= 0
    verify = run["verify"]
    assert verify["passed"] and verify["failed_count"] == 0, verify["checks"]
    assert [c["actual"] for c in verify["checks"][:2]] == [rows_at_snapshot, checksum]

    # Second run: the restore is recognised by its tag, nothing is restored again, the data still verifies.
    proc, again = bk.playbook("rds_backup_restore", **variables)
    ok(proc)
    assert again["restore"]["changed"] is False and again["verify"]["passed"]

    # Checks that do not hold fail the task with every failed check named; a write is refused and changes nothing.
    failing = bk.module("rds_data_verify", instance_id=target, login_user=USER, login_password=PASSWORD, login_host="127.0.0.1",
                        ssl_mode="disable", checks=[
                            {"name": "too many", "row_count": {"table": "events", "min": rows_at_snapshot + 1}},
                            {"name": "write", "sql": "WITH d AS (DELETE FROM events RETURNING 1) SELECT count(*) FROM d", "expect": 0},
                            {"name": "two statements", "sql": "SELECT 1; DELETE FROM events", "expect": 1},
                            {"name": "still fine", "sql": "SELECT count(*) FROM events", "expect": rows_at_snapshot},
                        ])
    assert failing["failed"] and failing["failed_count"] == 3 and failing["passed"] is False
    assert "3 of 4 data check(s) failed on %s" % target in failing["msg"]
    by_name = dict((c["name"], c) for c in failing["checks"])
    assert "read-only transaction" in by_name["write"]["message"]
    assert "multiple commands" in by_name["two statements"]["message"]
    assert by_name["still fine"]["passed"]
    assert PASSWORD not in json.dumps(failing)
    with bk.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM events").fetchone()[0] == rows_at_snapshot

    # Cleanup: the instance and its automated backups go; a second delete changes nothing.
    gone = bk.module("rds_restore", instance_id=target, state="absent")
    assert gone["changed"] and gone["restored_from"] == snapshot_id
    assert bk.instance(target) is None and bk.snapshots_of(target) == []
    assert bk.module("rds_restore", instance_id=target, state="absent")["changed"] is False


def test_point_in_time_restore_gets_exactly_the_rows_committed_by_then(bk):
    marker_id, marker_time = bk.add_events(1, "marker")
    with bk.connect(bk.source) as conn:
        restore_time = conn.execute("SELECT clock_timestamp()").fetchone()[0]
        rows_by_then = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    time.sleep(0.3)
    bk.add_events(3, "late")

    target = bk.prefix + "-pitr"
    checks = [
        {"name": "rows committed by then", "row_count": {"table": "events", "equals": rows_by_then}},
        {"name": "the marker is the newest row", "sql": "SELECT id, note FROM events ORDER BY id DESC LIMIT 1",
         "expect": [[marker_id, "marker"]]},
        {"name": "newest write is the marker's", "newest": {"table": "events", "column": "created_at", "not_before": marker_time.isoformat()}},
        {"name": "no late rows", "sql": "SELECT count(*) FROM events WHERE note = 'late'", "expect": 0},
    ]
    variables = dict(restore_source=bk.source, restore_target=target, restore_mode="time",
                     restore_time=restore_time.isoformat(), restore_checks=checks)

    proc, check = bk.playbook("rds_backup_restore", check=True, **variables)
    ok(proc)
    assert check["restore"]["changed"] and check["restore"]["instance"]["arn"] is None
    assert bk.instance(target) is None  # --check created nothing

    proc, run = bk.playbook("rds_backup_restore", **variables)
    ok(proc)
    point = run["point"]["restore_point"]
    assert (point["kind"], point["time"], point["source_instance"]) == ("time", restore_time.astimezone(datetime.timezone.utc).isoformat(), bk.source)
    assert run["point"]["window"]["earliest"] <= point["time"] <= run["point"]["window"]["latest"]
    label = "%s@%s" % (bk.source, restore_time.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ"))
    assert run["restore"]["restored_from"] == label
    assert run["verify"]["passed"], run["verify"]["checks"]
    assert run["cleanup"]["changed"] and bk.instance(target) is None and bk.snapshots_of(target) == []


@pytest.mark.parametrize("when", ["2020-01-01T00:00:00Z", "future"])
def test_a_restore_time_outside_the_window_is_refused_before_any_call_and_creates_nothing(bk, when):
    if when == "future":
        when = (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(hours=1)).isoformat()
    target = bk.prefix + "-never"
    point = bk.module("rds_restore_point", instance_id=bk.source, mode="time", restore_time=when)
    assert point["failed"] and "outside the restorable window of %s" % bk.source in point["msg"]
    assert "earliest %s, latest " % point["window"]["earliest"] in point["msg"]

    refused = bk.module("rds_restore", instance_id=target, source_instance_id=bk.source, restore_time=when)
    assert refused["failed"] and "outside the restorable window of %s" % bk.source in refused["msg"]
    assert "InvalidRestoreFault" not in refused["msg"]  # our check, not the sandbox's refusal of the call
    assert "earliest %s, latest %s" % (refused["window"]["earliest"], refused["window"]["latest"]) in refused["msg"]
    assert bk.instance(target) is None


def test_absent_refuses_an_instance_it_did_not_restore(bk):
    refused = bk.module("rds_restore", instance_id=bk.source, state="absent")
    assert refused["failed"] and "refusing to delete it" in refused["msg"]
    assert bk.instance(bk.source)["DBInstanceStatus"] == "available"


# --------------------------------------------------------------------------------------------------------- retention


def test_retention_check_mode_lists_and_the_real_run_deletes_only_the_right_ones(bk):
    label = {"retention-test": bk.prefix}
    client = bk.rds()
    names = ["%s-ret-%d" % (bk.prefix, n) for n in range(4)]  # oldest first
    for name in names:  # as rds_snapshot takes them: managed-by=cloudops.runbooks, plus the label
        client.create_db_snapshot(DBInstanceIdentifier=bk.source, DBSnapshotIdentifier=name,
                                  Tags=[{"Key": "retention-test", "Value": bk.prefix}, {"Key": "managed-by", "Value": "cloudops.runbooks"}])
    client.create_db_snapshot(DBInstanceIdentifier=bk.source, DBSnapshotIdentifier=bk.prefix + "-by-hand")
    # Taken by hand but carrying the filter's label: still never a candidate (no managed-by=cloudops.runbooks).
    client.create_db_snapshot(DBInstanceIdentifier=bk.source, DBSnapshotIdentifier=bk.prefix + "-by-hand-labelled",
                              Tags=[{"Key": "retention-test", "Value": bk.prefix}])
    for name in names[:2]:  # two copies in the DR region
        bk.module("rds_snapshot_copy", region=DR, source_snapshot=name, source_region=PRIMARY, snapshot_id=name + "-dr",
                  kms_key_id="alias/aws/rds")
    before = bk.snapshots_of(bk.source)
    automated = [name for name in before if name.startswith("rds:")]
    assert automated  # moto keeps one automated snapshot per instance: it must survive

    variables = dict(retention_instance=bk.source, retention_keep_last=2, retention_tag_filters=label)
    proc, check = bk.playbook("rds_snapshot_retention", check=True, diff=True, **variables)
    ok(proc)
    assert check["changed"] and [item["id"] for item in check["deleted"]] == [names[1], names[0]]
    assert all(item["reason"].startswith("beyond the newest 2") for item in check["deleted"])
    assert bk.snapshots_of(bk.source) == before  # --check deleted nothing
    kept = dict((item["id"], item["reason"]) for item in check["kept"])
    assert kept[bk.prefix + "-by-hand"].startswith("not taken by this runbook (it has no managed-by=cloudops.runbooks tag")
    assert kept[bk.prefix + "-by-hand-labelled"].startswith("not taken by this runbook")
    assert all(kept[name].startswith("automated snapshot") for name in automated)

    proc, real = bk.playbook("rds_snapshot_retention", **variables)
    ok(proc)
    assert [item["id"] for item in real["deleted"]] == [names[1], names[0]]
    assert bk.snapshots_of(bk.source) == sorted(set(before) - set(names[:2]))

    proc, again = bk.playbook("rds_snapshot_retention", **variables)
    ok(proc)
    assert again["changed"] is False and again["deleted"] == []

    # The DR region keeps its own newest copy.
    proc, dr = bk.playbook("rds_snapshot_retention", retention_region=DR, retention_instance=bk.source, retention_keep_last=1,
                           retention_tag_filters=label)
    ok(proc)
    assert [item["id"] for item in dr["deleted"]] == [names[0] + "-dr"]
    assert bk.snapshot(names[1] + "-dr", DR) is not None and bk.snapshot(names[0] + "-dr", DR) is None
