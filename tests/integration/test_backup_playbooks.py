# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml and playbooks/backup_restore.yml end to end on a private sandbox, on the seeded primary
shop-db (a real PostgreSQL behind moto's RDS records): a backup leaves a tagged snapshot in both regions and a second
run changes nothing; retention prunes only the runbook's oldest snapshots; restores from a snapshot and to a point in
time bring back exactly the data of that moment (rows written afterwards with psycopg are absent); a restore time
outside the window is refused before anything is created; cleanup leaves no instance or snapshot behind, also when
the verification fails; --check changes nothing; the cutover rewrites the application's endpoint Secret and its
rollback puts it back. What each test checks is read back from the sandbox (RDS API, SQL, Kubernetes), not only
from the runbook's report."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import psycopg
import pytest
import yaml

from conftest import REPO, ok, sandbox_client

PRIMARY, DR = "us-east-1", "us-west-2"
SOURCE = "shop-db"
INVENTORY = "inventories/sandbox"
SEEDED_ORDERS = 3000
TAG = {"managed-by": "cloudops.runbooks"}


# -- running the playbooks ---------------------------------------------------------------------------------------------
@pytest.fixture
def runbook(run_playbook, tmp_path):
    """Run backup.yml or backup_restore.yml with a JSON report; returns (process, report, changed count)."""
    counter = {"n": 0}

    def run(sandbox, playbook, extra_vars=None, check=False, env=None):
        counter["n"] += 1
        report = tmp_path / ("report-%d.json" % counter["n"])
        key = "backup_report_path" if playbook == "backup" else "restore_report_path"
        variables = dict(extra_vars or {}, **{key: str(report)})
        proc, _ = run_playbook("playbooks/%s.yml" % playbook, inventory=INVENTORY, env=dict(sandbox["env"], **(env or {})),
                               extra_vars=variables, args=["--check"] if check else [])
        recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
        return proc, (json.loads(report.read_text()) if report.exists() else None), (int(recap.group(1)) if recap else None)

    return run


def failed(proc):
    assert proc.returncode != 0, "ansible-playbook should have failed:\n%s" % proc.stdout[-8000:]


def inventory_backup():
    """The sandbox inventory's cloudops_backup, for tests that pass a variant of it with -e."""
    return yaml.safe_load((REPO / INVENTORY / "group_vars/all/estate.yml").read_text())["cloudops_backup"]


# -- reading the sandbox back --------------------------------------------------------------------------------------------
def aws(sandbox, service, region=PRIMARY):
    return sandbox_client(sandbox, service, region)


def instances(sandbox):
    return sorted(i["DBInstanceIdentifier"] for i in aws(sandbox, "rds").describe_db_instances()["DBInstances"])


def snapshots(sandbox, region=PRIMARY):
    """Snapshot id -> tags, of every snapshot in the region."""
    found = aws(sandbox, "rds", region).describe_db_snapshots()["DBSnapshots"]
    return dict((s["DBSnapshotIdentifier"], dict((t["Key"], t["Value"]) for t in s.get("TagList", []))) for s in found)


def automated_backups(sandbox):
    return sorted(b["DBInstanceIdentifier"] for b in aws(sandbox, "rds").describe_db_instance_automated_backups()["DBInstanceAutomatedBackups"])


def connect(sandbox, instance_id):
    """psycopg to an instance's database with the seeded master credentials (its real port is the API's)."""
    port = aws(sandbox, "rds").describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]["Endpoint"]["Port"]
    creds = json.loads(aws(sandbox, "secretsmanager").get_secret_value(SecretId="shop/db/master")["SecretString"])
    return psycopg.connect(host="127.0.0.1", port=port, user=creds["username"], password=creds["password"], dbname="shop",
                           autocommit=True, connect_timeout=10)


def add_orders(sandbox, count):
    """count new orders in the source (one transaction each); returns their ids."""
    with connect(sandbox, SOURCE) as conn:
        return [conn.execute("INSERT INTO orders (customer_id, status) VALUES (1, 'placed') RETURNING id").fetchone()[0]
                for _ in range(count)]


def core_v1(sandbox):
    from kubernetes import client, config

    return client.CoreV1Api(config.new_client_from_config(config_file=sandbox["env"]["KUBECONFIG_PRIMARY"]))


def secret(sandbox, namespace="shop", name="shop-db"):
    """(decoded data, annotations) of a Secret, or None."""
    import base64

    from kubernetes import client

    api = core_v1(sandbox)
    try:
        found = api.read_namespaced_secret(name, namespace)
    except client.ApiException as exc:
        if exc.status == 404:
            return None
        raise
    finally:
        api.api_client.close()
    data = dict((k, base64.b64decode(v).decode()) for k, v in (found.data or {}).items())
    return data, dict(found.metadata.annotations or {})


def left_behind(sandbox, before):
    """Instances, snapshots and automated backups that were not there before (a restore test must leave none)."""
    return {"instances": sorted(set(instances(sandbox)) - set(before["instances"])),
            "snapshots": sorted(set(snapshots(sandbox)) - set(before["snapshots"])),
            "automated_backups": sorted(set(automated_backups(sandbox)) - set(before["automated_backups"]))}


def estate(sandbox):
    return {"instances": instances(sandbox), "snapshots": snapshots(sandbox), "automated_backups": automated_backups(sandbox)}


# -- backup --------------------------------------------------------------------------------------------------------------
def test_backup_check_mode_changes_nothing(sandbox, runbook):
    before = {PRIMARY: snapshots(sandbox), DR: snapshots(sandbox, DR)}
    proc, report, _ = runbook(sandbox, "backup", check=True)
    ok(proc)
    assert report["check_mode"] and report["outcome"] == "would_back_up"
    assert report["snapshot"]["changed"] and report["copy"]["changed"]
    assert {PRIMARY: snapshots(sandbox), DR: snapshots(sandbox, DR)} == before
    assert "would be taken" in proc.stdout and "would be copied" in proc.stdout


def test_backup_leaves_a_tagged_snapshot_in_both_regions_and_a_second_run_changes_nothing(fresh_sandbox, runbook):
    sb = fresh_sandbox
    proc, report, changed = runbook(sb, "backup", {"backup_helm_revision": 42, "backup_reason": "pre-deploy web 1.2.0"},
                                    env={"USER": "oncall-alice"})
    ok(proc)
    assert report["outcome"] == "backed_up" and changed == 2
    snapshot_id = report["snapshot"]["id"]
    assert re.fullmatch(r"shop-db-\d{8}-\d{6}", snapshot_id)
    assert report["started_at"][:19].replace("-", "").replace(":", "").replace("T", "-") == snapshot_id[len("shop-db-"):]

    tags = {"managed-by": "cloudops.runbooks", "reason": "pre-deploy web 1.2.0", "requested_by": "oncall-alice",
            "helm_revision": "42"}
    assert snapshots(sb)[snapshot_id] == tags
    assert snapshots(sb, DR)[snapshot_id] == dict(tags, copied_from=PRIMARY)
    primary = aws(sb, "rds").describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0]
    copy = aws(sb, "rds", DR).describe_db_snapshots(DBSnapshotIdentifier=snapshot_id)["DBSnapshots"][0]
    assert (primary["Status"], primary["SnapshotType"], primary["DBInstanceIdentifier"]) == ("available", "manual", SOURCE)
    assert copy["Status"] == "available" and copy["Encrypted"] and ":%s:" % DR in copy["KmsKeyId"]
    assert report["copy"]["source_arn"] == primary["DBSnapshotArn"] and report["copy"]["region"] == DR

    # The same run again (as a resumed or repeated AWX job): nothing is taken, copied, tagged or pruned.
    proc, again, changed = runbook(sb, "backup", {"backup_snapshot_id": snapshot_id, "backup_helm_revision": 42,
                                                  "backup_reason": "pre-deploy web 1.2.0"}, env={"USER": "oncall-alice"})
    ok(proc)
    assert changed == 0 and again["outcome"] == "unchanged"
    assert not again["snapshot"]["changed"] and not again["copy"]["changed"]
    assert [r["deleted"] for r in again["retention"]] == [[], []]

    # Launched from AWX: the job's user is who asked.
    proc, awx, _ = runbook(sb, "backup", {"awx_user_name": "bob", "backup_copy": False, "backup_prune": False})
    ok(proc)
    assert awx["snapshot"]["tags"]["requested_by"] == "bob" and awx["snapshot"]["tags"]["reason"] == "on demand"
    assert awx["copy"] is None and awx["snapshot"]["id"] not in snapshots(sb, DR)


def test_retention_prunes_only_the_oldest_snapshots_the_runbook_took(fresh_sandbox, runbook):
    sb = fresh_sandbox
    rds, rds_dr = aws(sb, "rds"), aws(sb, "rds", DR)
    old = ["shop-db-old-%d" % n for n in range(4)]  # oldest first
    for name in old:
        rds.create_db_snapshot(DBInstanceIdentifier=SOURCE, DBSnapshotIdentifier=name, Tags=[{"Key": k, "Value": v} for k, v in TAG.items()])
        time.sleep(0.05)
    rds.create_db_snapshot(DBInstanceIdentifier=SOURCE, DBSnapshotIdentifier="shop-db-by-hand")  # no tag: never pruned
    for name in old[:2]:
        arn = rds.describe_db_snapshots(DBSnapshotIdentifier=name)["DBSnapshots"][0]["DBSnapshotArn"]
        rds_dr.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier=name, SourceRegion=PRIMARY,
                                KmsKeyId="alias/aws/rds", CopyTags=True)
        time.sleep(0.05)
    automated = [name for name in snapshots(sb) if name.startswith("rds:")]
    assert automated

    # --check lists what would go and deletes nothing; the snapshot it would take does not exist yet, so it does not
    # count (the real run below, with the new snapshot among the newest 3, also prunes old-1).
    proc, check, _ = runbook(sb, "backup", check=True)
    ok(proc)
    assert [[d["id"] for d in r["deleted"]] for r in check["retention"]] == [[old[0]], []]
    assert "not counting the snapshot this run would take" in " ".join(proc.stdout.split())
    assert set(old) <= set(snapshots(sb)) and set(old[:2]) <= set(snapshots(sb, DR))

    # The sandbox keeps the newest 3 in the primary region and the newest 2 copies in the DR region.
    proc, report, _ = runbook(sb, "backup")
    ok(proc)
    new = report["snapshot"]["id"]
    primary, dr = report["retention"]
    assert (primary["side"], primary["region"], dr["side"], dr["region"]) == ("primary", PRIMARY, "dr", DR)
    assert [d["id"] for d in primary["deleted"]] == [old[1], old[0]]
    assert [d["id"] for d in dr["deleted"]] == [old[0]]
    assert all(d["reason"].startswith("beyond the newest 3") for d in primary["deleted"])
    assert sorted(snapshots(sb)) == sorted(automated + ["shop-db-by-hand", old[2], old[3], new])
    assert sorted(snapshots(sb, DR)) == sorted([old[1], new])
    assert "pruned primary (us-east-1, keep_last 3): %s, %s" % (old[1], old[0]) in " ".join(proc.stdout.split())


@pytest.mark.long  # make test's budget (64 s); ownership and retention choices are unit-tested (module_utils/backup.py)
def test_a_backup_never_adopts_a_snapshot_taken_by_hand_and_retention_never_prunes_it(fresh_sandbox, runbook):
    """Issue 14 defect 1: a manual snapshot made before a migration (no tags), its id given to backup.yml, was tagged
    managed-by, copied to DR and, three backups later, pruned in both regions."""
    sb = fresh_sandbox
    rds, rds_dr = aws(sb, "rds"), aws(sb, "rds", DR)
    hand = "hand-made-before-migration"
    rds.create_db_snapshot(DBInstanceIdentifier=SOURCE, DBSnapshotIdentifier=hand)
    # And one made by hand in the DR region under an id a backup could be asked to use.
    dr_hand = "shop-db-dr-by-hand"
    arn = rds.describe_db_snapshots(DBSnapshotIdentifier=hand)["DBSnapshots"][0]["DBSnapshotArn"]
    rds_dr.copy_db_snapshot(SourceDBSnapshotIdentifier=arn, TargetDBSnapshotIdentifier=dr_hand, SourceRegion=PRIMARY,
                            KmsKeyId="alias/aws/rds")
    before = {PRIMARY: snapshots(sb), DR: snapshots(sb, DR)}

    # Refused before any change, naming the variable: not tagged, not copied, no other snapshot taken.
    for snapshot_id, region in ((hand, PRIMARY), (dr_hand, DR)):
        proc, report, _ = runbook(sb, "backup", {"backup_snapshot_id": snapshot_id})
        failed(proc)
        out = " ".join(proc.stdout.split())
        assert "Backup refused, nothing changed." in out and "backup_snapshot_id" in out, out[-3000:]
        assert "snapshot %s already exists in %s and was not" % (snapshot_id, region) in out
        assert "it has no managed-by=cloudops.runbooks tag" in out
        assert report is None
        assert {PRIMARY: snapshots(sb), DR: snapshots(sb, DR)} == before
    assert snapshots(sb)[hand] == {} and snapshots(sb, DR)[dr_hand] == {}

    # Four backups later (the sandbox keeps the newest 3 / 2): retention pruned the runbook's own, never the hand-made.
    taken = []
    for _ in range(4):
        proc, report, _ = runbook(sb, "backup")
        ok(proc)
        taken.append(report["snapshot"]["id"])
        time.sleep(1)  # the default id has a one-second resolution
    assert hand in snapshots(sb) and dr_hand in snapshots(sb, DR)
    assert snapshots(sb)[hand] == {} and snapshots(sb, DR)[dr_hand] == {}
    assert sorted(s for s in snapshots(sb) if s in taken) == sorted(taken[1:])
    assert sorted(s for s in snapshots(sb, DR) if s in taken) == sorted(taken[2:])
    kept = dict((k["id"], k["reason"]) for k in report["retention"][0]["deleted"] + [])
    assert hand not in kept


# -- restore -------------------------------------------------------------------------------------------------------------
def test_restore_from_the_latest_snapshot_has_the_data_of_the_snapshot_time_and_leaves_nothing(fresh_sandbox, runbook):
    sb = fresh_sandbox
    proc, backup, _ = runbook(sb, "backup")
    ok(proc)
    later = add_orders(sb, 5)  # after the snapshot: must not come back
    before = estate(sb)

    checks = [{"name": "orders as at the snapshot", "row_count": {"table": "orders", "equals": SEEDED_ORDERS}},
              {"name": "nothing written after it", "sql": "SELECT count(*) FROM orders WHERE id >= %d" % min(later), "expect": 0}]
    proc, report, _ = runbook(sb, "backup_restore", {"restore_point": "latest_snapshot", "restore_extra_checks": checks})
    ok(proc)
    assert report["outcome"] == "verified" and report["error"] is None
    point = report["restore_point"]
    assert (point["kind"], point["snapshot_id"]) == ("snapshot", backup["snapshot"]["id"])
    assert point["time"] == backup["snapshot"]["created"] and point["gap_seconds"] > 0
    restored = report["instance"]
    assert re.fullmatch(r"shop-db-restore-\d{8}-\d{6}", restored["id"])
    assert restored["restored_from"] == backup["snapshot"]["id"] and restored["instance_class"] == "db.t3.micro"
    assert report["durations"]["restore_seconds"] >= 0 and report["durations"]["to_verified_seconds"] > 0
    by_name = dict((c["name"], c) for c in report["verification"]["checks"])
    assert len(by_name) == 9 and all(c["passed"] for c in by_name.values())
    assert by_name["orders as at the snapshot"]["actual"] == SEEDED_ORDERS
    assert "RESTORE TEST of shop-db (sandbox): VERIFIED" in proc.stdout

    # Cleanup: the instance, its automated backups and any snapshot of it are gone; the source has its 5 rows.
    assert report["cleanup"] == {"instance_id": restored["id"], "deleted": True, "left_behind": False,
                                 "reason": "deleted with its automated backups, no final snapshot"}
    assert left_behind(sb, before) == {"instances": [], "snapshots": [], "automated_backups": []}
    with connect(sb, SOURCE) as conn:
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == SEEDED_ORDERS + 5


def test_point_in_time_restore_has_exactly_the_rows_committed_by_then_kept_and_cleaned_up(fresh_sandbox, runbook):
    sb = fresh_sandbox
    by_then = add_orders(sb, 2)
    with connect(sb, SOURCE) as conn:
        restore_time = conn.execute("SELECT clock_timestamp()").fetchone()[0]
    time.sleep(0.3)
    later = add_orders(sb, 3)

    checks = [{"name": "orders committed by then", "row_count": {"table": "orders", "equals": SEEDED_ORDERS + 2}},
              {"name": "the newest is the last one before the time", "sql": "SELECT max(id) FROM orders", "expect": max(by_then)},
              # Relative to the restore point: orders placed up to a minute before it are there.
              {"name": "orders up to the restore point", "newest": {"table": "orders", "column": "placed_at", "max_age_seconds": 60}}]
    proc, report, _ = runbook(sb, "backup_restore", {"restore_time": restore_time.isoformat(), "restore_extra_checks": checks,
                                                     "restore_keep": True})
    ok(proc)
    assert report["outcome"] == "verified", report["verification"]
    point = report["restore_point"]
    assert point["kind"] == "time" and point["source_instance"] == SOURCE
    assert point["window"]["earliest"] <= point["time"] <= point["window"]["latest"]
    relative = [c for c in report["verification"]["checks"] if c["name"] == "orders up to the restore point"][0]
    assert relative["passed"] and relative["expected"]["not_before"] < point["time"]

    # Kept: the data is read directly, then the runbook's cleanup mode deletes it (a second cleanup changes nothing).
    target = report["instance"]["id"]
    assert report["cleanup"]["left_behind"] and report["cleanup"]["reason"] == "kept (restore_keep)"
    assert any("restore_cleanup_instance=%s" % target in step for step in report["next_steps"])
    with connect(sb, target) as conn:
        ids = [row[0] for row in conn.execute("SELECT id FROM orders WHERE id > %s ORDER BY id", (SEEDED_ORDERS,))]
    assert ids == by_then and not set(later) & set(ids)

    proc, cleanup, changed = runbook(sb, "backup_restore", {"restore_cleanup_instance": target})
    ok(proc)
    assert cleanup["outcome"] == "deleted" and changed == 1 and target not in instances(sb)
    assert target not in automated_backups(sb) and not [s for s in snapshots(sb) if target in s]
    proc, again, changed = runbook(sb, "backup_restore", {"restore_cleanup_instance": target})
    ok(proc)
    assert again["outcome"] == "already_gone" and changed == 0


def test_a_failed_verification_still_deletes_the_restored_instance(fresh_sandbox, runbook):
    sb = fresh_sandbox
    before = estate(sb)
    impossible = [{"name": "more orders than there are", "row_count": {"table": "orders", "min": SEEDED_ORDERS + 1}}]
    proc, report, _ = runbook(sb, "backup_restore", {"restore_extra_checks": impossible})
    failed(proc)
    assert report["outcome"] == "verification_failed"
    assert report["verification"]["failed_count"] == 1 and not report["verification"]["passed"]
    assert "more orders than there are (public.orders has 3000 rows" in report["error"]
    assert report["cleanup"]["deleted"] and not report["cleanup"]["left_behind"]
    assert left_behind(sb, before) == {"instances": [], "snapshots": [], "automated_backups": []}


def test_a_failed_cutover_restore_deletes_its_instance_and_says_how_many_checks_failed(fresh_sandbox, runbook):
    """Issue 14 defect 9: with restore_cutover the instance was kept although the verification failed (README: deleted),
    and the error read "Every data check passed: 1 of 8 ... failed"."""
    sb = fresh_sandbox
    before = estate(sb)
    impossible = [{"name": "more orders than there are", "row_count": {"table": "orders", "min": SEEDED_ORDERS + 1}}]
    proc, report, _ = runbook(sb, "backup_restore", {"restore_cutover": True, "restore_extra_checks": impossible})
    failed(proc)
    assert report["outcome"] == "verification_failed" and report["cutover"] is None
    total = len(report["verification"]["checks"])
    assert "1 of %d checks failed on %s" % (total, report["instance"]["id"]) in report["error"]
    assert "Every data check passed" not in proc.stdout
    assert report["cleanup"]["deleted"] and not report["cleanup"]["left_behind"]
    assert report["cleanup"]["reason"] == "deleted with its automated backups, no final snapshot"
    assert left_behind(sb, before) == {"instances": [], "snapshots": [], "automated_backups": []}
    assert secret(sb) is None  # never cut over


# Long (`make test`'s budget): the restored instance's login (a refused password is set from the current Secret) is
# unit-tested (tests/unit/plugins/modules/test_rds_restore_login.py); `make test`'s restores log in with the unchanged one.
@pytest.mark.long
def test_a_restore_older_than_a_master_password_change_logs_in_with_the_current_secret(fresh_sandbox, runbook):
    """Issue 14: a restore from a snapshot taken before the master password changed could not authenticate; the
    runbook sets the restored instance's master password from the current secret (never printed)."""
    sb = fresh_sandbox
    proc, backup, _ = runbook(sb, "backup", {"backup_copy": False, "backup_prune": False})
    ok(proc)
    # Rotate the master password after the snapshot: on the instance (RDS ModifyDBInstance) and in the secret.
    new_password = "rotated-%s" % int(time.time())
    sm = aws(sb, "secretsmanager")
    current = json.loads(sm.get_secret_value(SecretId="shop/db/master")["SecretString"])
    aws(sb, "rds").modify_db_instance(DBInstanceIdentifier=SOURCE, MasterUserPassword=new_password, ApplyImmediately=True)
    sm.put_secret_value(SecretId="shop/db/master", SecretString=json.dumps(dict(current, password=new_password)))
    with connect(sb, SOURCE) as conn:  # the source takes the new one
        assert conn.execute("SELECT 1").fetchone()[0] == 1
    before = estate(sb)

    proc, report, _ = runbook(sb, "backup_restore", {"restore_point": "latest_snapshot", "restore_keep": True})
    ok(proc)
    assert report["restore_point"]["snapshot_id"] == backup["snapshot"]["id"]
    assert report["outcome"] == "verified" and report["instance"]["master_password_set"] is True
    assert "master password set from the current credentials" in " ".join(proc.stdout.split())
    assert new_password not in proc.stdout + proc.stderr and current["password"] not in proc.stdout
    target = report["instance"]["id"]
    with connect(sb, target) as conn:  # the current secret logs in to the restored instance
        assert conn.execute("SELECT count(*) FROM orders").fetchone()[0] == SEEDED_ORDERS

    # A restore whose password already works sets nothing (the kept instance, resumed).
    proc, again, _ = runbook(sb, "backup_restore", {"restore_point": "latest_snapshot", "restore_instance_id": target})
    ok(proc)
    assert again["outcome"] == "verified" and again["instance"]["master_password_set"] is False
    assert left_behind(sb, before) == {"instances": [], "snapshots": [], "automated_backups": []}


@pytest.mark.long  # what a re-run does after a SIGKILL (test_reliability.py) is the same after a SIGTERM
def test_a_restore_test_cancelled_with_sigterm_is_finished_by_a_re_run(fresh_sandbox, run_playbook, collections_path, tmp_path):
    """Issue 14: a SIGTERM to a restore test (an AWX cancel) left the restored instance and the lock behind. Ansible
    dies on SIGTERM without running `always`; the re-run takes the dead run's lock over and deletes the instance."""
    import os
    import signal
    import subprocess

    from conftest import BIN, ansible_env

    sb = fresh_sandbox
    before = estate(sb)
    args = [str(BIN / "ansible-playbook"), "playbooks/backup_restore.yml", "-i", INVENTORY]
    proc = subprocess.Popen(args, cwd=REPO, env=ansible_env(collections_path, sb["env"]), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if "Note when the instance was available" in line:  # restored, not yet verified
                os.kill(proc.pid, signal.SIGTERM)  # to ansible-playbook only, as a cancel does; it stops its workers
                break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.stdout.close()
    text = "".join(seen)
    assert "Note when the instance was available" in text, text[-4000:]
    assert proc.returncode != 0
    left = left_behind(sb, before)["instances"]
    assert len(left) == 1 and left[0].startswith("shop-db-restore-")  # what the cancel leaves

    report_path = tmp_path / "rerun.json"
    rerun, _ = run_playbook("playbooks/backup_restore.yml", inventory=INVENTORY, env=sb["env"],
                            extra_vars={"restore_report_path": str(report_path)})
    ok(rerun)
    report = json.loads(report_path.read_text())
    assert report["outcome"] == "verified"
    # The lock module says whose lock it took over as a warning (on stderr since the runbook frame, roles/runbook).
    out = " ".join((rerun.stdout + " " + rerun.stderr).split())
    assert "took over" in out or "taken over" in out or "taking over" in out, out[-3000:]
    assert left_behind(sb, before) == {"instances": [], "snapshots": [], "automated_backups": []}
    # The lock is free again: another runbook may start.
    proc2, _ = run_playbook("playbooks/backup.yml", inventory=INVENTORY, env=sb["env"],
                            extra_vars={"backup_copy": False, "backup_prune": False}, args=["--check"])
    ok(proc2)


@pytest.mark.parametrize("when", ["2020-01-01T00:00:00Z", "2999-01-01T00:00:00Z"])
def test_a_restore_time_outside_the_window_is_refused_before_anything_is_created(sandbox, runbook, when):
    before = estate(sandbox)
    proc, report, changed = runbook(sandbox, "backup_restore", {"restore_time": when})
    failed(proc)
    assert report["outcome"] == "refused" and changed == 0
    assert "outside the restorable window of shop-db" in report["error"] and "earliest " in report["error"]
    assert report["cleanup"]["reason"] == "nothing was created" and not report["cleanup"]["left_behind"]
    assert estate(sandbox) == before


def test_restore_check_mode_creates_nothing(sandbox, runbook):
    before = estate(sandbox)
    proc, report, _ = runbook(sandbox, "backup_restore", {"restore_cutover": True}, check=True)
    ok(proc)
    assert report["check_mode"] and report["outcome"] == "would_restore" and report["verification"] is None
    assert report["instance"]["restored_from"].startswith("shop-db@")
    assert estate(sandbox) == before and secret(sandbox) is None
    assert "would restore into %s (db.t3.micro), verify 7 check(s), cut over Secret shop/shop-db, keep it" % report["instance"]["id"] \
        in " ".join(proc.stdout.split())


@pytest.mark.parametrize("extra_vars, message", [
    ({"restore_point": "latest_snapshot", "restore_time": "2026-01-01T00:00:00Z"}, "restore_time is given but restore_point is latest_snapshot"),
    # Refused by the runbook_inputs argument spec (the playbook's first task), before the playbook's own checks.
    ({"restore_point": "yesterday"}, "value of restore_point must be one of: latest_restorable_time, latest_snapshot, time, got: yesterday"),
    ({"restore_instance_id": "Shop--db"}, "Instance id shop--db is not valid"),
    ({"restore_checks": []}, "No checks: a restore test must prove the data"),
    ({"restore_cutover": True, "restore_cutover_rollback": True}, "exclude each other"),
    ({"restore_cutover": True, "cloudops_backup": dict(inventory_backup(), cutover=dict(inventory_backup()["cutover"], create_missing=False))},
     "Secret shop/shop-db does not exist"),
])
def test_bad_restore_requests_are_refused_before_anything_is_created(sandbox, runbook, extra_vars, message):
    before = estate(sandbox)
    proc, _, _ = runbook(sandbox, "backup_restore", extra_vars)
    failed(proc)
    assert message in " ".join(proc.stdout.split())
    assert estate(sandbox) == before


# -- cutover -------------------------------------------------------------------------------------------------------------
def test_cutover_points_the_secret_at_the_restored_instance_and_its_rollback_puts_it_back(fresh_sandbox, runbook):
    from kubernetes import client, config

    sb = fresh_sandbox
    original = {"DB_HOST": "shop-db.aaaaaaaaaa.us-east-1.rds.amazonaws.com", "DB_PORT": "5432", "DB_PASSWORD": "not-touched"}
    api = core_v1(sb)
    api.create_namespaced_secret("shop", client.V1Secret(metadata=client.V1ObjectMeta(name="shop-db"), string_data=original))
    api.api_client.close()
    # The application's Deployment is restarted after the Secret changes (the sandbox inventory restarts none).
    variant = dict(inventory_backup(), cutover=dict(inventory_backup()["cutover"], restart_deployments=["shop-blue"]))

    proc, report, _ = runbook(sb, "backup_restore", {"restore_cutover": True, "cloudops_backup": variant})
    ok(proc)
    target = report["instance"]
    assert report["outcome"] == "verified_and_cut_over"
    data, annotations = secret(sb)
    assert data == dict(original, DB_HOST=target["endpoint"]["address"], DB_PORT=str(target["endpoint"]["port"]))
    assert annotations["cloudops.io/cutover-instance"] == target["id"]
    assert report["cutover"]["previous"] == {"existed": True, "host": original["DB_HOST"], "port": "5432"}
    assert report["cutover"]["restarted"] == ["shop-blue"]
    assert target["id"] in instances(sb) and report["cleanup"]["reason"] == "kept for the cutover"
    assert any("restore_cutover_rollback=true" in step for step in report["next_steps"])
    apps = client.AppsV1Api(config.new_client_from_config(config_file=sb["env"]["KUBECONFIG_PRIMARY"]))
    assert "cloudops.io/restarted-at" in apps.read_namespaced_deployment("shop-blue", "shop").spec.template.metadata.annotations
    apps.api_client.close()

    # The instance the application uses cannot be cleaned up; another cutover cannot replace the record.
    proc, _, _ = runbook(sb, "backup_restore", {"restore_cleanup_instance": target["id"]})
    failed(proc)
    assert "points the application at %s" % target["id"] in " ".join(proc.stdout.split())
    assert target["id"] in instances(sb)
    proc, _, _ = runbook(sb, "backup_restore", {"restore_cutover": True, "restore_instance_id": "shop-db-other"})
    failed(proc)
    assert "is already cut over to %s" % target["id"] in " ".join(proc.stdout.split())
    assert "shop-db-other" not in instances(sb)

    # Rollback: the previous values are back, the record is gone, the restored instance still runs; again: no-op.
    proc, rollback, changed = runbook(sb, "backup_restore", {"restore_cutover_rollback": True})
    ok(proc)
    assert rollback["outcome"] == "rolled_back" and rollback["cutover"]["instance"] == target["id"]
    assert secret(sb) == (original, {})
    assert target["id"] in instances(sb)
    proc, again, changed = runbook(sb, "backup_restore", {"restore_cutover_rollback": True})
    ok(proc)
    assert again["outcome"] == "nothing_to_roll_back" and changed == 0

    proc, cleanup, _ = runbook(sb, "backup_restore", {"restore_cleanup_instance": target["id"]})
    ok(proc)
    assert cleanup["outcome"] == "deleted" and target["id"] not in instances(sb)


# Long (`make test`'s budget): the cutover and its rollback run in `make test` on an existing Secret
# (test_cutover_points_the_secret_at_the_restored_instance_and_its_rollback_puts_it_back); the rollback's choice of
# deleting a Secret the cutover created is unit-tested (tests/unit/plugins/module_utils/test_cutover.py).
@pytest.mark.long
def test_a_cutover_that_created_the_secret_is_undone_by_deleting_it(fresh_sandbox, runbook):
    sb = fresh_sandbox
    proc, report, _ = runbook(sb, "backup_restore", {"restore_cutover": True})
    ok(proc)
    assert report["cutover"]["previous"] == {"existed": False, "host": None, "port": None}
    assert secret(sb)[0]["DB_HOST"] == report["instance"]["endpoint"]["address"]
    proc, rollback, _ = runbook(sb, "backup_restore", {"restore_cutover_rollback": True})
    ok(proc)
    assert rollback["outcome"] == "rolled_back" and secret(sb) is None
    proc, _, _ = runbook(sb, "backup_restore", {"restore_cleanup_instance": report["instance"]["id"]})
    ok(proc)
    assert report["instance"]["id"] not in instances(sb)


def test_the_inventories_declare_backups_the_playbooks_accept():
    """Every environment's cloudops_backup has what the runbooks read (the sandbox runs them; the others cannot)."""
    for env in ("sandbox", "dev", "staging", "prod"):
        backup = yaml.safe_load((REPO / "inventories" / env / "group_vars/all/estate.yml").read_text())["cloudops_backup"]
        assert backup["retention"]["tag_filters"].items() <= backup["tags"].items(), env
        assert set(backup["retention"]) >= {"primary", "dr", "tag_filters"}, env
        restore = backup["restore"]
        assert restore["checks"] and restore["instance_prefix"] and restore["point"] in ("latest_snapshot", "latest_restorable_time"), env
        for check in restore["checks"]:
            kinds = set(check) & {"row_count", "checksum", "newest", "sql"}
            assert len(kinds) == 1 and ("expect" in check) == ("sql" in check), (env, check)
        assert Path(REPO / "inventories" / env / "hosts.yml").exists()
