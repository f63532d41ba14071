# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/backup.yml and playbooks/restore_test.yml on an Aurora estate (inventories/sandbox-aurora, db_shape
AURORA_GLOBAL), end to end on a private AWS-only sandbox whose clusters are real PostgreSQL servers: a backup takes a
tagged cluster snapshot of the primary cluster and its copy in DR, a second run changes nothing; a restore test from
that snapshot, and one to a point in time between two writes, bring back exactly the data of that moment (the
runbook's own SQL checks prove it: rows written afterwards are absent) into a new cluster with one instance, and
leave no cluster, instance or server behind; a restore time outside the window is refused before anything is created.
`make test` runs the backup and the restore test from the snapshot; the idempotent re-run, the point-in-time restore
and the refusal are `long` (`make integration-long`). What each test checks is read back from the sandbox (RDS API, SQL, the data plane), not only from the reports."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import time
import urllib.request

import psycopg
import pytest

from conftest import PYTHON, REPO, clean_env, ok, read_env_file, sandbox_client

PRIMARY, DR = "us-east-1", "us-west-2"
INVENTORY = "inventories/sandbox-aurora"
SOURCE, SECONDARY = "shop-aurora", "shop-aurora-dr"
OWNED = {"managed-by": "cloudops.runbooks"}
BACKUP = {"backup_snapshot_id": "shop-aurora-it-1", "backup_reason": "integration test"}


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory):
    """An AWS-only sandbox of the Aurora inventory (the backup and restore runbooks need no Kubernetes)."""
    state = tmp_path_factory.mktemp("aurora-backup-sandbox")

    def cli(*args):
        return subprocess.run([PYTHON, "-m", "sandbox", *args, "--state-dir", str(state)], cwd=REPO, env=clean_env(),
                              capture_output=True, text=True, timeout=240)

    up = cli("up", "--inventory", INVENTORY, "--no-k8s")
    if up.returncode != 0:
        cli("down")
        pytest.fail("python -m sandbox up failed:\n%s\n%s" % (up.stdout[-2000:], up.stderr[-4000:]))
    try:
        yield {"state": state, "env": read_env_file(state / "env")}
    finally:
        cli("down")


@pytest.fixture
def runbook(run_playbook, tmp_path):
    """Run backup.yml or restore_test.yml on the Aurora inventory; returns (process, report, changed count)."""
    counter = {"n": 0}

    def run(sandbox, playbook, extra_vars=None):
        counter["n"] += 1
        report = tmp_path / ("report-%d.json" % counter["n"])
        key = "backup_report_path" if playbook == "backup" else "restore_report_path"
        proc, _ = run_playbook("playbooks/%s.yml" % playbook, inventory=INVENTORY, env=sandbox["env"],
                               extra_vars=dict(extra_vars or {}, **{key: str(report)}))
        recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
        return proc, (json.loads(report.read_text()) if report.exists() else None), (int(recap.group(1)) if recap else None)

    return run


def rds(sandbox, region=PRIMARY):
    return sandbox_client(sandbox, "rds", region)


def cluster_snapshots(sandbox, region):
    """Manual cluster snapshot id -> tags."""
    found = rds(sandbox, region).describe_db_cluster_snapshots(SnapshotType="manual")["DBClusterSnapshots"]
    return dict((s["DBClusterSnapshotIdentifier"], dict((t["Key"], t["Value"]) for t in s.get("TagList", []))) for s in found)


def estate(sandbox):
    """Clusters and instances of both regions, and the data plane's servers: a restore test must leave none behind."""
    info = json.loads((sandbox["state"] / "sandbox.json").read_text())
    with urllib.request.urlopen(info["control"]["url"] + "/rds", timeout=10) as resp:
        plane = json.loads(resp.read())
    return {"clusters": sorted(c["DBClusterIdentifier"] for r in (PRIMARY, DR) for c in rds(sandbox, r).describe_db_clusters()["DBClusters"]),
            "instances": sorted(i["DBInstanceIdentifier"] for r in (PRIMARY, DR) for i in rds(sandbox, r).describe_db_instances()["DBInstances"]),
            "servers": sorted("%s/%s" % (i["region"], i["instance_id"]) for i in plane["instances"]),
            "errors": plane["errors"]}


def write_marks(sandbox, tag, count):
    """count rows tagged `tag` on the writer (the primary cluster's real server); returns the commit time of the last."""
    port = rds(sandbox).describe_db_clusters(DBClusterIdentifier=SOURCE)["DBClusters"][0]["Port"]
    creds = json.loads(sandbox_client(sandbox, "secretsmanager", PRIMARY).get_secret_value(SecretId="shop/db/master")["SecretString"])
    with psycopg.connect(host="127.0.0.1", port=port, user=creds["username"], password=creds["password"], dbname="shop",
                         autocommit=True, connect_timeout=10) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS backup_marks (id serial PRIMARY KEY, tag text NOT NULL)")
        for _ in range(count):
            conn.execute("INSERT INTO backup_marks (tag) VALUES (%s)", (tag,))
        return conn.execute("SELECT clock_timestamp()").fetchone()[0]


def marks_check(tag, expect):
    return {"name": "%s rows of %s" % (expect, tag), "sql": "SELECT count(*) FROM backup_marks WHERE tag = '%s'" % tag,
            "expect": expect}


def test_backup_takes_a_cluster_snapshot_and_its_dr_copy(sandbox, runbook):
    write_marks(sandbox, "before-backup", 3)
    proc, report, _ = runbook(sandbox, "backup", BACKUP)
    ok(proc)
    assert report["outcome"] == "backed_up" and report["cluster"] == {"id": SOURCE, "region": PRIMARY}
    assert "BACKUP of cluster shop-aurora" in proc.stdout
    for region in (PRIMARY, DR):
        tags = cluster_snapshots(sandbox, region)["shop-aurora-it-1"]
        assert dict(tags, **OWNED) == tags and tags["reason"] == "integration test"
    assert cluster_snapshots(sandbox, DR)["shop-aurora-it-1"]["copied_from"] == PRIMARY
    assert [r["side"] for r in report["retention"]] == ["primary", "dr"]


@pytest.mark.long
def test_a_second_backup_run_changes_nothing(sandbox, runbook):
    # The first run: make integration-long runs this test without the one above (unchanged after it).
    ok(runbook(sandbox, "backup", BACKUP)[0])
    proc, report, changed = runbook(sandbox, "backup", BACKUP)
    ok(proc)
    assert report["outcome"] == "unchanged" and changed == 0
    assert sorted(cluster_snapshots(sandbox, PRIMARY)) == sorted(cluster_snapshots(sandbox, DR)) == ["shop-aurora-it-1"]


def test_a_restore_test_from_the_cluster_snapshot_proves_its_data_and_leaves_nothing(sandbox, runbook):
    before = estate(sandbox)
    # Written after the backup of the test above: absent from its snapshot.
    write_marks(sandbox, "after-backup", 2)
    proc, report, _ = runbook(sandbox, "restore_test", {
        "restore_point": "latest_snapshot",
        "restore_extra_checks": [marks_check("before-backup", 3), marks_check("after-backup", 0)]})
    ok(proc)
    assert report["outcome"] == "verified", report
    assert report["restore_point"]["kind"] == "snapshot" and report["restore_point"]["snapshot_id"] == "shop-aurora-it-1"
    assert report["source"] == {"cluster_id": SOURCE, "region": PRIMARY}
    assert report["cluster"]["id"].startswith("shop-aurora-restore-") and report["cluster"]["members"] == [report["instance"]["id"]]
    assert report["cleanup"]["deleted"] and not report["cleanup"]["left_behind"]
    assert estate(sandbox) == before


@pytest.mark.long
def test_a_restore_test_to_a_point_in_time_has_exactly_the_commits_up_to_it(sandbox, runbook):
    before = estate(sandbox)
    cut = write_marks(sandbox, "pitr-kept", 2)
    time.sleep(0.3)
    write_marks(sandbox, "pitr-lost", 2)
    proc, report, _ = runbook(sandbox, "restore_test", {
        "restore_time": cut.astimezone(dt.timezone.utc).isoformat(),
        "restore_extra_checks": [marks_check("pitr-kept", 2), marks_check("pitr-lost", 0)]})
    ok(proc)
    assert report["outcome"] == "verified" and report["restore_point"]["kind"] == "time", report
    assert estate(sandbox) == before


@pytest.mark.long  # the cluster path's refusal is unit-tested (test_rds_cluster_restore.py); the instance shape's here
def test_a_restore_time_outside_the_window_is_refused_before_anything_is_created(sandbox, runbook):
    before = estate(sandbox)
    proc, report, changed = runbook(sandbox, "restore_test", {"restore_time": "2020-01-01T00:00:00Z"})
    assert proc.returncode != 0 and report["outcome"] == "refused" and changed == 0
    assert "outside the restorable window of shop-aurora" in report["error"]
    assert estate(sandbox) == before
