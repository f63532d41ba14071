"""Aurora cluster snapshots and restores with data in the sandbox (sandbox/rdsdata/aurora_backup.py): a snapshot holds
the data of its moment, its cross-region copy too, a restore from either or to a point in time is a standalone cluster
served by a real PostgreSQL server with exactly that data, deletes drop the servers. One AWS-only sandbox of
inventories/sandbox-aurora for the module."""
import datetime as dt
import os
import time
import uuid

import psycopg
import pytest
from botocore.exceptions import ClientError

from sandbox import knobs
from sandbox.aws_seed import MASTER_PASSWORD
from sandbox.tests.conftest import run_sandbox_cli
from sandbox.tests.test_aurora_global import DB, PRIMARY, SECONDARY, USER, errors, marks, rds, wait_for, write_marks

INVENTORY = "inventories/sandbox-aurora"
EAST, WEST = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("aurora-backup-sb")
    run_sandbox_cli("up", "--state-dir", state_dir, "--inventory", INVENTORY, "--no-k8s", env=dict(os.environ),
                    timeout=240)
    try:
        yield knobs.Sandbox(state_dir)
    finally:
        run_sandbox_cli("down", "--state-dir", state_dir, check=False)


def count(port, tag, password=MASTER_PASSWORD):
    with psycopg.connect(host="127.0.0.1", port=port, user=USER, password=password, dbname=DB, autocommit=True,
                         connect_timeout=10) as conn:
        try:
            return conn.execute("SELECT count(*) FROM drill_marks WHERE tag = %s", (tag,)).fetchone()[0]
        except psycopg.errors.UndefinedTable:
            return 0


def add_instance(client, cluster_id):
    inst = client.create_db_instance(DBInstanceIdentifier=f"{cluster_id}-1", DBClusterIdentifier=cluster_id,
                                     Engine="aurora-postgresql", DBInstanceClass="db.r6g.large")["DBInstance"]
    return client.describe_db_instances(DBInstanceIdentifier=inst["DBInstanceIdentifier"])["DBInstances"][0]


def drop(client, cluster_id):
    for inst in client.describe_db_clusters(DBClusterIdentifier=cluster_id)["DBClusters"][0]["DBClusterMembers"]:
        client.delete_db_instance(DBInstanceIdentifier=inst["DBInstanceIdentifier"], SkipFinalSnapshot=True)
    client.delete_db_cluster(DBClusterIdentifier=cluster_id, SkipFinalSnapshot=True)


def refused(port):
    try:
        psycopg.connect(host="127.0.0.1", port=port, user=USER, password=MASTER_PASSWORD, dbname=DB,
                        connect_timeout=3).close()
    except psycopg.OperationalError:
        return True
    return False


def test_snapshot_copy_and_restore_carry_the_data_of_the_snapshot_moment(sb):
    before, after = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    east, west = rds(sb, EAST), rds(sb, WEST)
    write_marks(sb, PRIMARY, before, 3)
    snap = east.create_db_cluster_snapshot(DBClusterIdentifier=PRIMARY, DBClusterSnapshotIdentifier="bk-1",
                                           Tags=[{"Key": "managed-by", "Value": "cloudops"}])["DBClusterSnapshot"]
    assert snap["Status"] == "available" and snap["SnapshotType"] == "manual"
    write_marks(sb, PRIMARY, after, 2)
    copy = west.copy_db_cluster_snapshot(SourceDBClusterSnapshotIdentifier=snap["DBClusterSnapshotArn"],
                                         TargetDBClusterSnapshotIdentifier="bk-1", KmsKeyId="alias/aws/rds",
                                         SourceRegion=EAST)["DBClusterSnapshot"]
    assert copy["DBClusterSnapshotArn"].startswith(f"arn:aws:rds:{WEST}:")
    assert copy["SnapshotCreateTime"] == snap["SnapshotCreateTime"]  # the data's moment, not the copy's
    # Restored in DR from the copy: a standalone cluster (not in the global database), one instance on its server.
    cluster = west.restore_db_cluster_from_snapshot(DBClusterIdentifier="bk-restored", SnapshotIdentifier="bk-1",
                                                    Engine="aurora-postgresql", DBSubnetGroupName="shop-dr-db-subnets",
                                                    Tags=[{"Key": "purpose", "Value": "restore-test"}])["DBCluster"]
    assert "GlobalClusterIdentifier" not in cluster and cluster["DatabaseName"] == DB
    assert {"Key": "purpose", "Value": "restore-test"} in cluster["TagList"]
    inst = add_instance(west, "bk-restored")
    assert inst["Endpoint"]["Port"] == cluster["Port"]
    assert (count(cluster["Port"], before), count(cluster["Port"], after)) == (3, 0)
    members = rds(sb, EAST).describe_global_clusters(GlobalClusterIdentifier="shop-global")["GlobalClusters"][0]
    assert len(members["GlobalClusterMembers"]) == 2
    # The restored cluster is writable and independent of the estate.
    with psycopg.connect(host="127.0.0.1", port=cluster["Port"], user=USER, password=MASTER_PASSWORD, dbname=DB,
                         autocommit=True) as conn:
        conn.execute("INSERT INTO drill_marks (tag) VALUES ('restored-only')")
    assert marks(sb, PRIMARY, "restored-only") == 0
    drop(west, "bk-restored")
    assert refused(cluster["Port"])
    # Deleting the snapshots drops their data: a restore from a deleted snapshot is refused by moto (not found).
    east.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="bk-1")
    west.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="bk-1")
    with pytest.raises(ClientError, match="DBClusterSnapshotNotFound"):
        west.restore_db_cluster_from_snapshot(DBClusterIdentifier="bk-x", SnapshotIdentifier="bk-1",
                                              Engine="aurora-postgresql")
    status = knobs.http_json(sb.control + "/rds")
    assert not [s for s in status["snapshots"] if s["snapshot_id"] == "cluster:bk-1"]
    assert errors(sb) == []


def test_point_in_time_restore_has_exactly_the_commits_up_to_the_time(sb):
    first, second = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    east = rds(sb, EAST)
    write_marks(sb, PRIMARY, first, 4)
    time.sleep(0.2)
    cut = dt.datetime.now(dt.timezone.utc)
    time.sleep(0.2)
    write_marks(sb, PRIMARY, second, 2)
    source = east.describe_db_clusters(DBClusterIdentifier=PRIMARY)["DBClusters"][0]
    assert source["EarliestRestorableTime"] < cut
    with pytest.raises(ClientError, match="InvalidRestoreFault"):
        east.restore_db_cluster_to_point_in_time(DBClusterIdentifier="pitr-x", SourceDBClusterIdentifier=PRIMARY,
                                                 RestoreToTime=source["EarliestRestorableTime"] - dt.timedelta(hours=1))
    with pytest.raises(ClientError, match="InvalidDBClusterStateFault"):  # a secondary has no backups of its own
        rds(sb, WEST).restore_db_cluster_to_point_in_time(DBClusterIdentifier="pitr-x",
                                                          SourceDBClusterIdentifier=SECONDARY,
                                                          UseLatestRestorableTime=True)
    assert [c["DBClusterIdentifier"] for c in east.describe_db_clusters()["DBClusters"]
            if c["DBClusterIdentifier"] == "pitr-x"] == []  # refused before anything was created
    cluster = east.restore_db_cluster_to_point_in_time(DBClusterIdentifier="pitr-1", SourceDBClusterIdentifier=PRIMARY,
                                                       RestoreToTime=cut)["DBCluster"]
    assert "GlobalClusterIdentifier" not in cluster and cluster["Port"] != source["Port"]
    assert (count(cluster["Port"], first), count(cluster["Port"], second)) == (4, 0)
    latest = east.restore_db_cluster_to_point_in_time(DBClusterIdentifier="pitr-2", SourceDBClusterIdentifier=PRIMARY,
                                                      UseLatestRestorableTime=True)["DBCluster"]
    assert (count(latest["Port"], first), count(latest["Port"], second)) == (4, 2)
    # The master password of a restored cluster follows ModifyDBCluster.
    east.modify_db_cluster(DBClusterIdentifier="pitr-2", MasterUserPassword="a-new-password-1", ApplyImmediately=True)
    assert count(latest["Port"], second, password="a-new-password-1") == 2
    # DeleteDBCluster needs the instances gone first (as on AWS); its final snapshot holds the data.
    add_instance(east, "pitr-1")
    with pytest.raises(ClientError):
        east.delete_db_cluster(DBClusterIdentifier="pitr-1", SkipFinalSnapshot=True)
    east.delete_db_instance(DBInstanceIdentifier="pitr-1-1", SkipFinalSnapshot=True)
    east.delete_db_cluster(DBClusterIdentifier="pitr-1", FinalDBSnapshotIdentifier="pitr-1-final")
    again = east.restore_db_cluster_from_snapshot(DBClusterIdentifier="pitr-3", SnapshotIdentifier="pitr-1-final",
                                                  Engine="aurora-postgresql")["DBCluster"]
    assert wait_for(lambda: count(again["Port"], first) == 4, 5) and count(again["Port"], second) == 0
    # moto's automated cluster snapshot (taken at creation, before the schema was loaded) restores as the cluster's
    # point in time at that moment: a server with the database and none of the later data.
    auto = [x["DBClusterSnapshotIdentifier"] for x in east.describe_db_cluster_snapshots(
        DBClusterIdentifier=PRIMARY, SnapshotType="automated")["DBClusterSnapshots"] if x["DBClusterSnapshotIdentifier"].startswith("rds:")]
    early = east.restore_db_cluster_from_snapshot(DBClusterIdentifier="pitr-4", SnapshotIdentifier=sorted(auto)[0],
                                                  Engine="aurora-postgresql")["DBCluster"]
    assert count(early["Port"], first) == 0
    for cid in ("pitr-2", "pitr-3", "pitr-4"):
        drop(east, cid)
    east.delete_db_cluster_snapshot(DBClusterSnapshotIdentifier="pitr-1-final")
    assert refused(cluster["Port"]) and refused(latest["Port"]) and refused(early["Port"])
    assert errors(sb) == []
