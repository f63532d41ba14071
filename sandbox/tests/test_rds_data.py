"""The RDS data plane, driven only through the RDS API (boto3 -> moto) and checked by SQL on the real servers.

Each test works on instances of its own (created here, deleted at the end) so that the seeded estate stays as
seeded for the other tests of the session; the seeded primary and replica are only read.
"""
import json
import time
import uuid

import psycopg
import pytest
from botocore.exceptions import ClientError

from sandbox.aws_seed import MASTER_PASSWORD, SCHEMA_SQL
from sandbox.config import aws_client
from sandbox.knobs import http_json

APP_TABLES = ("customers", "products", "orders", "order_items")
PRIMARY_REGION, DR_REGION = "us-east-1", "us-west-2"
USER, DB = "shop_admin", "shop"


# -- helpers -----------------------------------------------------------------------------------------------------------
def rds(sandbox, region=PRIMARY_REGION):
    return aws_client("rds", sandbox.info["moto"]["url"], region)


def endpoint(sandbox, instance_id, region=PRIMARY_REGION):
    db = rds(sandbox, region).describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]
    return db["Endpoint"]


def connect(sandbox, instance_id, region=PRIMARY_REGION, password=MASTER_PASSWORD):
    """Through the endpoint the API reports (its port is the real server's; the address is moto's name)."""
    port = endpoint(sandbox, instance_id, region)["Port"]
    return psycopg.connect(host="127.0.0.1", port=port, user=USER, password=password, dbname=DB, autocommit=True,
                           connect_timeout=10)


def fingerprint(conn):
    """Per application table: row count and an order-independent checksum of every row."""
    out = {}
    for table in APP_TABLES:
        out[table] = conn.execute(
            f"SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {table} t"
        ).fetchone()
    return out


def add_orders(conn, count, note):
    """`count` new orders (one transaction each); returns their ids."""
    ids = []
    for _ in range(count):
        ids.append(conn.execute("INSERT INTO orders (customer_id, status, total_cents) VALUES (1, 'placed', %s) "
                                "RETURNING id", (len(note),)).fetchone()[0])
    return ids


def wait_until(predicate, timeout=20.0, what="condition"):
    deadline, delay = time.monotonic() + timeout, 0.05
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(delay)
        delay = min(delay * 2, 0.5)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def new_primary(sandbox, prefix, region=PRIMARY_REGION):
    """A postgres instance with the application schema and data, created through the API like the seed's."""
    iid = f"{prefix}-{uuid.uuid4().hex[:6]}"
    rds(sandbox, region).create_db_instance(
        DBInstanceIdentifier=iid, Engine="postgres", EngineVersion="15.4", DBInstanceClass="db.t3.micro",
        AllocatedStorage=20, MasterUsername=USER, MasterUserPassword=MASTER_PASSWORD, DBName=DB,
        BackupRetentionPeriod=7)
    with connect(sandbox, iid, region) as conn:
        conn.execute(SCHEMA_SQL.read_text())
    return iid


def data_plane(sandbox):
    return http_json(sandbox.info["control"]["url"] + "/rds")


def plane_instances(sandbox):
    return {(i["region"], i["instance_id"]): i for i in data_plane(sandbox)["instances"]}


@pytest.fixture
def cleanup(sandbox):
    """Register (region, kind, id) to delete after the test, whatever happened."""
    items = []
    yield items
    for region, kind, ident in reversed(items):
        client = rds(sandbox, region)
        try:
            if kind == "instance":
                client.delete_db_instance(DBInstanceIdentifier=ident, SkipFinalSnapshot=True)
            else:
                client.delete_db_snapshot(DBSnapshotIdentifier=ident)
        except ClientError:
            pass  # already gone
    assert data_plane(sandbox)["errors"] == []


# -- tests -------------------------------------------------------------------------------------------------------------
def test_seeded_primary_holds_the_application_data_and_the_replica_follows(sandbox):
    aws = sandbox.info["aws"]
    secret = json.loads(aws_client("secretsmanager", sandbox.info["moto"]["url"], PRIMARY_REGION)
                        .get_secret_value(SecretId="shop/db/master")["SecretString"])
    assert (secret["username"], secret["dbname"]) == (USER, DB)
    with connect(sandbox, aws["rds"]["primary"]["id"], password=secret["password"]) as conn:
        counts = {t: c for t, (c, _) in fingerprint(conn).items()}
        primary = fingerprint(conn)
    assert counts == {"customers": 1000, "products": 200, "orders": 3000, "order_items": 7500}
    with connect(sandbox, aws["rds"]["replica"]["id"], DR_REGION) as replica:
        assert fingerprint(replica) == primary
        assert replica.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            replica.execute("DELETE FROM orders")


def test_restore_from_snapshot_gets_the_snapshot_time_data(sandbox, cleanup):
    src = new_primary(sandbox, "dp-snap")
    cleanup.append((PRIMARY_REGION, "instance", src))
    with connect(sandbox, src) as conn:
        at_snapshot = fingerprint(conn)
        rds(sandbox).create_db_snapshot(DBInstanceIdentifier=src, DBSnapshotIdentifier=f"{src}-s1")
        cleanup.append((PRIMARY_REGION, "snapshot", f"{src}-s1"))
        add_orders(conn, 25, "after the snapshot")
        conn.execute("UPDATE customers SET country = 'NZ' WHERE id <= 10")
        later = fingerprint(conn)
    assert later["orders"][0] == at_snapshot["orders"][0] + 25

    restored = f"{src}-r1"
    rds(sandbox).restore_db_instance_from_db_snapshot(DBInstanceIdentifier=restored, DBSnapshotIdentifier=f"{src}-s1",
                                                      DBInstanceClass="db.t3.micro")
    cleanup.append((PRIMARY_REGION, "instance", restored))
    with connect(sandbox, restored) as conn:
        assert fingerprint(conn) == at_snapshot
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False  # a writable instance
        add_orders(conn, 1, "restored instance is writable")
    with connect(sandbox, src) as conn:
        assert fingerprint(conn) == later  # the source is untouched by the restore

    # A cross-region copy carries the same data.
    snap_arn = rds(sandbox).describe_db_snapshots(DBSnapshotIdentifier=f"{src}-s1")["DBSnapshots"][0]["DBSnapshotArn"]
    rds(sandbox, DR_REGION).copy_db_snapshot(SourceDBSnapshotIdentifier=snap_arn,
                                             TargetDBSnapshotIdentifier=f"{src}-s1-copy", SourceRegion=PRIMARY_REGION)
    cleanup.append((DR_REGION, "snapshot", f"{src}-s1-copy"))
    rds(sandbox, DR_REGION).restore_db_instance_from_db_snapshot(DBInstanceIdentifier=f"{src}-r2",
                                                                 DBSnapshotIdentifier=f"{src}-s1-copy")
    cleanup.append((DR_REGION, "instance", f"{src}-r2"))
    with connect(sandbox, f"{src}-r2", DR_REGION) as conn:
        assert fingerprint(conn) == at_snapshot


def test_delete_takes_the_final_snapshot_then_drops_the_database(sandbox, cleanup):
    src = new_primary(sandbox, "dp-del")
    cleanup.append((PRIMARY_REGION, "instance", src))
    with connect(sandbox, src) as conn:
        add_orders(conn, 3, "just before deletion")
        at_delete = fingerprint(conn)
    port = endpoint(sandbox, src)["Port"]
    rds(sandbox).delete_db_instance(DBInstanceIdentifier=src, FinalDBSnapshotIdentifier=f"{src}-final")
    cleanup.append((PRIMARY_REGION, "snapshot", f"{src}-final"))
    assert (PRIMARY_REGION, src) not in plane_instances(sandbox)
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(host="127.0.0.1", port=port, user=USER, password=MASTER_PASSWORD, dbname=DB,
                        connect_timeout=3)
    rds(sandbox).restore_db_instance_from_db_snapshot(DBInstanceIdentifier=f"{src}-back",
                                                      DBSnapshotIdentifier=f"{src}-final")
    cleanup.append((PRIMARY_REGION, "instance", f"{src}-back"))
    with connect(sandbox, f"{src}-back") as conn:
        assert fingerprint(conn) == at_delete


def test_paused_replication_then_promotion_misses_exactly_the_paused_writes(sandbox, cleanup):
    src = new_primary(sandbox, "dp-repl")
    cleanup.append((PRIMARY_REGION, "instance", src))
    src_arn = rds(sandbox).describe_db_instances(DBInstanceIdentifier=src)["DBInstances"][0]["DBInstanceArn"]
    replica = f"{src}-dr"
    rds(sandbox, DR_REGION).create_db_instance_read_replica(DBInstanceIdentifier=replica,
                                                            SourceDBInstanceIdentifier=src_arn,
                                                            SourceRegion=PRIMARY_REGION)
    cleanup.append((DR_REGION, "instance", replica))
    knob = ("knob", "replica-lag", "--instance", replica)
    sandbox.cli(*knob, "--seconds", "0")
    with connect(sandbox, src) as primary, connect(sandbox, replica, DR_REGION) as standby:
        def max_order(conn):
            return conn.execute("SELECT max(id) FROM orders").fetchone()[0]

        synced = add_orders(primary, 1, "in sync")[0]
        wait_until(lambda: max_order(standby) == synced, what="the replica to catch up")

        out = json.loads(sandbox.cli(*knob, "--pause").stdout)
        assert out["paused"] is True
        paused_writes = add_orders(primary, 17, "written while replication is paused")
        # Still missing on the replica after the time a live link needs to deliver them.
        time.sleep(1.0)
        assert max_order(standby) == synced
        assert plane_instances(sandbox)[(DR_REGION, replica)]["replication"]["held_messages"] > 0

    rds(sandbox, DR_REGION).promote_read_replica(DBInstanceIdentifier=replica)
    with connect(sandbox, src) as primary, connect(sandbox, replica, DR_REGION) as promoted:
        assert promoted.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
        on_primary = {r[0] for r in primary.execute("SELECT id FROM orders WHERE id > %s", (synced - 1,))}
        on_promoted = {r[0] for r in promoted.execute("SELECT id FROM orders WHERE id > %s", (synced - 1,))}
        assert on_primary - on_promoted == set(paused_writes)  # exactly the 17 paused writes are lost
        assert on_promoted == {synced}
        add_orders(promoted, 1, "the promoted replica takes writes")
    assert plane_instances(sandbox)[(DR_REGION, replica)]["role"] == "primary"


def test_replica_lag_delays_the_data_by_the_configured_seconds(sandbox, cleanup):
    src = new_primary(sandbox, "dp-lag")
    cleanup.append((PRIMARY_REGION, "instance", src))
    replica = f"{src}-rr"
    rds(sandbox).create_db_instance_read_replica(DBInstanceIdentifier=replica, SourceDBInstanceIdentifier=src)
    cleanup.append((PRIMARY_REGION, "instance", replica))
    out = json.loads(sandbox.cli("knob", "replica-lag", "--instance", replica, "--seconds", "2").stdout)
    assert out["lag_seconds"] == 2.0
    with connect(sandbox, src) as primary, connect(sandbox, replica) as standby:
        written = add_orders(primary, 1, "lagged")[0]
        t0 = time.monotonic()
        wait_until(lambda: standby.execute("SELECT max(id) FROM orders").fetchone()[0] == written,
                   what="the lagged write to arrive")
        assert time.monotonic() - t0 >= 1.8  # never before the lag (minus the insert's own round trip)


def test_point_in_time_restore_between_two_writes(sandbox, cleanup):
    src = new_primary(sandbox, "dp-pitr")
    cleanup.append((PRIMARY_REGION, "instance", src))
    with connect(sandbox, src) as conn:
        first = add_orders(conn, 1, "first write")[0]
        between = conn.execute("SELECT clock_timestamp()").fetchone()[0]  # after the first commit
        second = add_orders(conn, 1, "second write")[0]

    rds(sandbox).restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier=src,
                                                      TargetDBInstanceIdentifier=f"{src}-t1", RestoreTime=between)
    cleanup.append((PRIMARY_REGION, "instance", f"{src}-t1"))
    with connect(sandbox, f"{src}-t1") as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM orders WHERE id IN (%s, %s)", (first, second))}
        assert ids == {first}

    rds(sandbox).restore_db_instance_to_point_in_time(SourceDBInstanceIdentifier=src,
                                                      TargetDBInstanceIdentifier=f"{src}-latest",
                                                      UseLatestRestorableTime=True)
    cleanup.append((PRIMARY_REGION, "instance", f"{src}-latest"))
    with connect(sandbox, f"{src}-latest") as conn, connect(sandbox, src) as source:
        assert fingerprint(conn) == fingerprint(source)


def test_restore_time_outside_the_window_is_refused_and_creates_nothing(sandbox):
    src = sandbox.info["aws"]["rds"]["primary"]["id"]
    with pytest.raises(ClientError) as err:
        rds(sandbox).restore_db_instance_to_point_in_time(
            SourceDBInstanceIdentifier=src, TargetDBInstanceIdentifier="dp-too-early",
            RestoreTime="2020-01-01T00:00:00Z")
    assert err.value.response["Error"]["Code"] == "InvalidRestoreFault"
    assert "restorable window" in err.value.response["Error"]["Message"]
    assert not rds(sandbox).describe_db_instances(
        Filters=[{"Name": "db-instance-id", "Values": ["dp-too-early"]}])["DBInstances"]


def test_pause_knob_on_the_estate_replica_shows_in_status_and_grows_the_lag_metric(sandbox):
    try:
        out = json.loads(sandbox.cli("knob", "replica-lag", "--pause").stdout)
        assert out["replica"] == "shop-db-dr" and out["paused"] is True
        assert "PAUSED" in sandbox.cli("status").stdout
        time.sleep(0.2)
        later = json.loads(sandbox.cli("knob", "replica-lag", "--pause").stdout)
        assert later["replica_lag_seconds"] > out["replica_lag_seconds"]  # grows while paused, as RDS reports
    finally:
        out = json.loads(sandbox.cli("knob", "replica-lag", "--resume").stdout)
    assert out["paused"] is False and out["lag_seconds"] == 2.0


def test_knob_on_an_instance_that_is_not_a_replica_is_a_clear_error(sandbox):
    res = sandbox.cli("knob", "replica-lag", "--instance", "shop-db", "--seconds", "5", check=False)
    assert res.returncode == 1
    assert "not a replica" in res.stderr


def test_a_cross_region_replica_can_be_deleted_without_promotion(sandbox, cleanup):
    src = new_primary(sandbox, "dp-xdel")
    cleanup.append((PRIMARY_REGION, "instance", src))
    arn = rds(sandbox).describe_db_instances(DBInstanceIdentifier=src)["DBInstances"][0]["DBInstanceArn"]
    rds(sandbox, DR_REGION).create_db_instance_read_replica(DBInstanceIdentifier=f"{src}-dr",
                                                            SourceDBInstanceIdentifier=arn,
                                                            SourceRegion=PRIMARY_REGION)
    rds(sandbox, DR_REGION).delete_db_instance(DBInstanceIdentifier=f"{src}-dr", SkipFinalSnapshot=True)
    source = rds(sandbox).describe_db_instances(DBInstanceIdentifier=src)["DBInstances"][0]
    assert source["ReadReplicaDBInstanceIdentifiers"] == []
    assert (DR_REGION, f"{src}-dr") not in plane_instances(sandbox)
