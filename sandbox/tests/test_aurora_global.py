"""Aurora PostgreSQL global database in the sandbox (sandbox/rdsdata/aurora.py, inventories/sandbox-aurora): real
data on both clusters, SwitchoverGlobalCluster / FailoverGlobalCluster as on AWS, their statuses under the timing
model, the AuroraGlobalDB*Lag metrics, faults. One sandbox for the module (AWS side only: no Kubernetes needed).

The tests run in order, each from where the previous one left the global database (a switchover, then the
switchover back; the failover, then the detach of the old primary), to keep the number of operations low."""
import datetime as dt
import os
import time
import uuid

import boto3
import psycopg
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import knobs
from sandbox.aws_seed import MASTER_PASSWORD
from sandbox.tests.conftest import run_sandbox_cli

INVENTORY = "inventories/sandbox-aurora"
GLOBAL_ID, PRIMARY, SECONDARY = "shop-global", "shop-aurora", "shop-aurora-dr"
REGIONS = {PRIMARY: "us-east-1", SECONDARY: "us-west-2"}
USER, DB = "shop_admin", "shop"
TICK = 0.5


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("aurora-sb")
    env = dict(os.environ, SANDBOX_REPLICA_LAG_TICK_SECONDS=str(TICK))
    run_sandbox_cli("up", "--state-dir", state_dir, "--inventory", INVENTORY, "--no-k8s", env=env, timeout=240)
    try:
        yield knobs.Sandbox(state_dir)
    finally:
        run_sandbox_cli("down", "--state-dir", state_dir, check=False)


def rds(sb, region, attempts=2):
    """A client as a runbook has (not the sandbox's own user agent: its calls are timed and faulted)."""
    return boto3.client("rds", endpoint_url=sb.endpoint, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": attempts, "mode": "standard"}))


def arn(cluster):
    return f"arn:aws:rds:{REGIONS[cluster]}:123456789012:cluster:{cluster}"


def global_cluster(sb):
    return rds(sb, "us-east-1").describe_global_clusters(GlobalClusterIdentifier=GLOBAL_ID)["GlobalClusters"][0]


def writer(gc):
    return [m["DBClusterArn"].split(":")[-1] for m in gc["GlobalClusterMembers"] if m["IsWriter"]]


def cluster(sb, name):
    return rds(sb, REGIONS[name]).describe_db_clusters(DBClusterIdentifier=name)["DBClusters"][0]


def connect(sb, name):
    return psycopg.connect(host="127.0.0.1", port=cluster(sb, name)["Port"], user=USER, password=MASTER_PASSWORD,
                           dbname=DB, autocommit=True, connect_timeout=10)


def marks(sb, name, tag):
    with connect(sb, name) as conn:
        try:
            return conn.execute("SELECT count(*) FROM drill_marks WHERE tag = %s", (tag,)).fetchone()[0]
        except psycopg.errors.UndefinedTable:  # created on the writer, not replicated yet
            return 0


def write_marks(sb, name, tag, n):
    with connect(sb, name) as conn:
        conn.execute("CREATE TABLE IF NOT EXISTS drill_marks (id serial PRIMARY KEY, tag text, at timestamptz "
                     "DEFAULT clock_timestamp())")
        for _ in range(n):
            conn.execute("INSERT INTO drill_marks (tag) VALUES (%s)", (tag,))


def wait_for(check, timeout=30.0):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def switch(sb, target, **kw):
    client = rds(sb, REGIONS[target])
    if kw:
        return client.failover_global_cluster(GlobalClusterIdentifier=GLOBAL_ID, TargetDbClusterIdentifier=arn(target),
                                              **kw)["GlobalCluster"]
    return client.switchover_global_cluster(GlobalClusterIdentifier=GLOBAL_ID,
                                            TargetDbClusterIdentifier=arn(target))["GlobalCluster"]


def errors(sb):
    return knobs.http_json(sb.control + "/rds")["errors"]


# -- tests -------------------------------------------------------------------------------------------------------------
def test_seeded_global_database_has_the_shapes_aws_returns(sb):
    gc = global_cluster(sb)
    assert (gc["Status"], gc["Engine"], writer(gc)) == ("available", "aurora-postgresql", [PRIMARY])
    members = {m["DBClusterArn"]: m for m in gc["GlobalClusterMembers"]}
    assert members[arn(PRIMARY)]["Readers"] == [arn(SECONDARY)]
    assert members[arn(SECONDARY)]["SynchronizationStatus"] == "connected" and "FailoverState" not in gc
    primary, secondary = cluster(sb, PRIMARY), cluster(sb, SECONDARY)
    assert {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in primary["DBClusterMembers"]} == {
        "shop-aurora-1": True, "shop-aurora-2": False}
    assert [m["IsClusterWriter"] for m in secondary["DBClusterMembers"]] == [False]  # no writer in a secondary
    assert primary["Endpoint"] != primary["ReaderEndpoint"] and primary["Port"] != secondary["Port"]
    instances = rds(sb, "us-east-1").describe_db_instances(
        Filters=[{"Name": "db-cluster-id", "Values": [PRIMARY]}])["DBInstances"]
    assert {i["Endpoint"]["Port"] for i in instances} == {primary["Port"]}  # every instance answers on the cluster
    with pytest.raises(ClientError, match="GlobalClusterNotFoundFault"):
        rds(sb, "us-east-1").describe_global_clusters(GlobalClusterIdentifier="nope")
    # The secondary's server follows the writer's through a link at the inventory's seeded lag.
    servers = {i["instance_id"]: i for i in knobs.http_json(sb.control + "/rds")["instances"]}
    assert servers["aurora--" + SECONDARY]["replication"]["lag_seconds"] == float(
        sb.inventory["sandbox_seed"]["rds"]["initial_replica_lag_seconds"]) == 0.5
    assert (servers["aurora--" + PRIMARY]["port"], servers["aurora--" + SECONDARY]["port"]) == (
        primary["Port"], secondary["Port"])


def test_the_writer_holds_the_application_data_and_the_secondary_follows_read_only(sb):
    tables = ("SELECT (SELECT count(*) FROM customers), (SELECT count(*) FROM orders), "
              "(SELECT count(*) FROM order_items)")
    with connect(sb, PRIMARY) as conn:
        assert conn.execute(tables).fetchone() == (1000, 3000, 7500)
    tag = uuid.uuid4().hex[:8]
    write_marks(sb, PRIMARY, tag, 3)
    assert wait_for(lambda: marks(sb, SECONDARY, tag) == 3, 10)
    with connect(sb, SECONDARY) as conn:
        assert conn.execute(tables).fetchone() == (1000, 3000, 7500)
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("DELETE FROM orders")


def test_switchover_loses_no_committed_write_and_swaps_the_roles(sb):
    ports = {name: cluster(sb, name)["Port"] for name in (PRIMARY, SECONDARY)}
    knobs.global_lag(sb, seconds=1.0)  # commits reach the secondary a second late: the switchover must wait
    tag = uuid.uuid4().hex[:8]
    write_marks(sb, PRIMARY, tag, 20)
    gc = switch(sb, SECONDARY)
    assert gc["Status"] == "available" and writer(gc) == [SECONDARY] and "FailoverState" not in gc
    assert marks(sb, SECONDARY, tag) == 20  # nothing lost
    assert {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster(sb, SECONDARY)["DBClusterMembers"]} == {
        "shop-aurora-dr-1": True}
    assert not any(m["IsClusterWriter"] for m in cluster(sb, PRIMARY)["DBClusterMembers"])
    with connect(sb, PRIMARY) as conn:  # the old writer: a read-only secondary now, on the same endpoint
        assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True
        with pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
            conn.execute("INSERT INTO drill_marks (tag) VALUES ('x')")
    write_marks(sb, SECONDARY, tag + "-dr", 2)  # written in DR, replicated back
    assert wait_for(lambda: marks(sb, PRIMARY, tag + "-dr") == 2, 15)
    assert {name: cluster(sb, name)["Port"] for name in (PRIMARY, SECONDARY)} == ports  # endpoints unchanged
    knobs.global_lag(sb, seconds=0.5)
    assert errors(sb) == []


def test_failback_statuses_under_a_short_timing_and_the_estate_as_declared_again(sb):
    """The switchover back (the writer is in DR after the previous test), timed: its statuses on the way."""
    assert writer(global_cluster(sb)) == [SECONDARY]
    tag = uuid.uuid4().hex[:8]
    write_marks(sb, SECONDARY, tag, 3)
    knobs.timing(sb, "realistic", 1.0, durations={"rds.global_switchover": 3.0})
    try:
        gc = switch(sb, PRIMARY)
        assert gc["Status"] == "switching-over" and writer(gc) == [SECONDARY]
        assert gc["FailoverState"] == {"Status": "switching-over", "FromDbClusterArn": arn(SECONDARY),
                                       "ToDbClusterArn": arn(PRIMARY), "IsDataLossAllowed": False}
        with pytest.raises(ClientError, match="InvalidGlobalClusterStateFault"):
            switch(sb, PRIMARY)  # one operation at a time
        done = wait_for(lambda: (lambda g: g if g["Status"] == "available" else None)(global_cluster(sb)), 30)
        assert done and writer(done) == [PRIMARY] and "FailoverState" not in done
        transitions = [t for t in knobs.api_calls(sb)["transitions"] if t["operation"] == "SwitchoverGlobalCluster"]
        assert transitions and transitions[-1]["observed_at"] >= transitions[-1]["final_at"]
        assert 2.5 <= transitions[-1]["final_at"] - transitions[-1]["started_at"] <= 3.5
    finally:
        knobs.timing(sb, "instant", 1.0)
    assert marks(sb, PRIMARY, tag) == 3 and errors(sb) == []
    assert [m["IsClusterWriter"] for m in cluster(sb, SECONDARY)["DBClusterMembers"]] == [False]
    assert {m["DBInstanceIdentifier"]: m["IsClusterWriter"] for m in cluster(sb, PRIMARY)["DBClusterMembers"]} == {
        "shop-aurora-1": True, "shop-aurora-2": False}


def test_switchover_to_the_writer_or_a_stranger_is_refused(sb):
    with pytest.raises(ClientError, match="InvalidParameterValue"):
        switch(sb, PRIMARY)
    with pytest.raises(ClientError, match="DBClusterNotFoundFault"):
        rds(sb, "us-west-2").switchover_global_cluster(
            GlobalClusterIdentifier=GLOBAL_ID, TargetDbClusterIdentifier="arn:aws:rds:us-west-2:123456789012:cluster:x")
    with pytest.raises(ClientError, match="GlobalClusterNotFoundFault"):
        rds(sb, "us-west-2").switchover_global_cluster(GlobalClusterIdentifier="nope",
                                                       TargetDbClusterIdentifier=arn(SECONDARY))


def test_lag_metrics_follow_the_link_per_secondary_cluster(sb):
    cw = sb.client("cloudwatch", REGIONS[SECONDARY])

    def latest(metric):
        now = dt.datetime.now(dt.timezone.utc)
        points = cw.get_metric_statistics(Namespace="AWS/RDS", MetricName=metric, Period=60, Statistics=["Maximum"],
                                          Dimensions=[{"Name": "DBClusterIdentifier", "Value": SECONDARY}],
                                          StartTime=now - dt.timedelta(seconds=5),
                                          EndTime=now + dt.timedelta(minutes=1), Unit="Milliseconds")
        return max((p["Maximum"] for p in points["Datapoints"]), default=None)

    knobs.global_lag(sb, seconds=2.0)
    try:
        assert latest("AuroraGlobalDBReplicationLag") >= 2000 and latest("AuroraGlobalDBRPOLag") >= 2000
        knobs.global_lag(sb, paused=True)
        time.sleep(3 * TICK)  # the daemon's ticker publishes the growing lag
        assert latest("AuroraGlobalDBRPOLag") > 2000 + 1000 * TICK
    finally:
        knobs.global_lag(sb, seconds=0.5, paused=False)
    # Ten minutes of seeded history, one datapoint a minute, as the dashboards read it.
    now = dt.datetime.now(dt.timezone.utc)
    seeded = cw.get_metric_statistics(Namespace="AWS/RDS", MetricName="AuroraGlobalDBReplicationLag", Period=60,
                                      Statistics=["Average"], StartTime=now - dt.timedelta(minutes=15), EndTime=now,
                                      Dimensions=[{"Name": "DBClusterIdentifier", "Value": SECONDARY}])
    assert len(seeded["Datapoints"]) >= 10


def test_the_fault_injector_applies_to_the_global_operations(sb):
    knobs.faults(sb, rate=1.0, kinds=["throttle"], operations=["SwitchoverGlobalCluster"])
    try:
        with pytest.raises(ClientError, match="Throttl"):
            rds(sb, REGIONS[SECONDARY], attempts=1).switchover_global_cluster(
                GlobalClusterIdentifier=GLOBAL_ID, TargetDbClusterIdentifier=arn(SECONDARY))
    finally:
        knobs.faults(sb, rate=0.0)
    assert writer(global_cluster(sb)) == [PRIMARY]


def test_failover_with_a_paused_link_loses_exactly_the_unreplicated_writes(sb):
    kept, lost = uuid.uuid4().hex[:8], uuid.uuid4().hex[:8]
    write_marks(sb, PRIMARY, kept, 5)
    assert wait_for(lambda: marks(sb, SECONDARY, kept) == 5, 10)
    knobs.global_lag(sb, paused=True)  # the primary Region cut off
    write_marks(sb, PRIMARY, lost, 7)
    # A switchover cannot bring the secondary in sync now; FailoverGlobalCluster without AllowDataLoss is one.
    with pytest.raises(ClientError, match="InvalidGlobalClusterStateFault"):
        switch(sb, SECONDARY)
    with pytest.raises(ClientError, match="InvalidGlobalClusterStateFault"):
        switch(sb, SECONDARY, AllowDataLoss=False)
    assert writer(global_cluster(sb)) == [PRIMARY] and marks(sb, PRIMARY, lost) == 7  # nothing changed
    knobs.timing(sb, "realistic", 1.0, durations={"rds.global_failover": 2.0})
    try:
        gc = switch(sb, SECONDARY, AllowDataLoss=True)
        assert gc["Status"] == "failing-over" and writer(gc) == [PRIMARY]
        assert gc["FailoverState"] == {"Status": "failing-over", "FromDbClusterArn": arn(PRIMARY),
                                       "ToDbClusterArn": arn(SECONDARY), "IsDataLossAllowed": True}
        old = [m for m in gc["GlobalClusterMembers"] if m["DBClusterArn"] == arn(PRIMARY)][0]
        assert old["SynchronizationStatus"] == "pending-resync"
        gc = wait_for(lambda: (lambda g: g if g["Status"] == "available" else None)(global_cluster(sb)), 30)
    finally:
        knobs.timing(sb, "instant", 1.0)
    assert gc and writer(gc) == [SECONDARY] and "FailoverState" not in gc
    assert (marks(sb, SECONDARY, kept), marks(sb, SECONDARY, lost)) == (5, 0)
    # The old primary rejoined as a secondary of the new writer (its unreplicated writes are gone from it too) ...
    old = [m for m in gc["GlobalClusterMembers"] if m["DBClusterArn"] == arn(PRIMARY)][0]
    assert old["SynchronizationStatus"] == "connected" and marks(sb, PRIMARY, lost) == 0
    # ... and they are in the snapshot Aurora takes of the old primary before it rejoins.
    snaps = rds(sb, "us-east-1").describe_db_cluster_snapshots(DBClusterIdentifier=PRIMARY)["DBClusterSnapshots"]
    assert any(s["DBClusterSnapshotIdentifier"].startswith(f"rds:unplanned-global-failover-{PRIMARY}-") for s in snaps)
    status = knobs.http_json(sb.control + "/rds")
    assert any(s["snapshot_id"].startswith("cluster:rds:unplanned-global-failover-") for s in status["snapshots"])
    assert knobs.global_lag(sb, seconds=0.5)["cluster_id"] == PRIMARY  # the link now runs DR -> primary
    write_marks(sb, SECONDARY, lost + "-after", 1)
    assert wait_for(lambda: marks(sb, PRIMARY, lost + "-after") == 1, 15)
    assert errors(sb) == []  # the writer stays in DR: the next test detaches the old primary


def test_detach_and_promote_makes_the_secondary_a_standalone_writer(sb):
    """The manual unplanned path (RemoveFromGlobalCluster), last: it changes the estate for good. After the failover
    above the writer is in DR and the declared primary its secondary."""
    tag = uuid.uuid4().hex[:8]
    write_marks(sb, SECONDARY, tag, 2)
    assert wait_for(lambda: marks(sb, PRIMARY, tag) == 2, 10)
    rds(sb, "us-east-1").remove_from_global_cluster(GlobalClusterIdentifier=GLOBAL_ID, DbClusterIdentifier=arn(PRIMARY))
    assert [m["DBClusterArn"] for m in global_cluster(sb)["GlobalClusterMembers"]] == [arn(SECONDARY)]
    assert [m["IsClusterWriter"] for m in cluster(sb, PRIMARY)["DBClusterMembers"]] == [True, False]
    write_marks(sb, PRIMARY, tag + "-standalone", 1)
    assert marks(sb, PRIMARY, tag + "-standalone") == 1 and marks(sb, SECONDARY, tag + "-standalone") == 0
    assert errors(sb) == []
