"""ElastiCache Redis in the sandbox (sandbox/elasticache.py): replication groups served by real redis-server
processes, a Global Datastore replicating for real through the lagged link, FailoverGlobalReplicationGroup swapping
the roles (a paused link loses the writes made meanwhile), Disassociate/DeleteGlobalReplicationGroup, TestFailover,
the timing model; then one AWS-only sandbox of inventories/sandbox-cache for the seeding, the knobs (cache-lag,
s3-replication: the CLI), the lag metrics and the S3 cross-region replication of the seeded buckets.

The in-process tests drive moto's in-memory ElastiCache (the same patches the daemon installs) and run in order,
each from where the previous one left the datastore."""
import datetime as dt
import json
import os
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox import elasticache, faults, knobs, timing
from sandbox.elasticache import command
from sandbox.tests.conftest import run_sandbox_cli

EAST, WEST = "us-east-1", "us-west-2"
GID = f"{elasticache.global_prefix(EAST)}-shop-cache"
LAG = 0.2


# -- the link's Redis framing -----------------------------------------------------------------------------------------
class _Session:
    streaming = False


def _frames(chunks):
    """Feed `chunks` (as the primary sends them, split anywhere) to RedisLink.frames: [(delayed?, bytes)]."""
    link = elasticache.RedisLink.__new__(elasticache.RedisLink)  # framing only: no listener
    session, buf, out = _Session(), b"", []
    for chunk in chunks:
        msgs, buf = link.frames(session, buf + chunk)
        out += msgs
    return out, buf, session


def test_the_link_delays_the_command_stream_not_the_handshake_nor_the_snapshot():
    rdb = b"REDIS0011" + b"x" * 20
    stream = b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n"
    wire = b"+PONG\r\n+OK\r\n+OK\r\n+FULLRESYNC 8f2e 0\r\n\n\n$%d\r\n" % len(rdb) + rdb + stream
    for split in (1, 7, len(wire)):  # however TCP cuts it
        out, rest, session = _frames([wire[i:i + split] for i in range(0, len(wire), split)])
        assert rest == b"" and session.streaming
        assert b"".join(m for _, m in out) == wire  # nothing lost or reordered
        undelayed = b"".join(m for delayed, m in out if not delayed)
        assert undelayed == wire[:len(wire) - len(stream)]  # the handshake, keep-alives and the RDB pass at once
    out, _, session = _frames([b"+CONTINUE 8f2e\r\n", stream])  # a partial resync: the stream follows at once
    assert [d for d, _ in out] == [False, True] and session.streaming
    out, rest, session = _frames([b"+PO"])  # half a line waits for the rest
    assert out == [] and rest == b"+PO" and not session.streaming


# -- in process: moto's ElastiCache with the sandbox's patches, real Redis -------------------------------------------
@pytest.fixture(scope="module")
def aws(tmp_path_factory):
    plane = elasticache.CachePlane(tmp_path_factory.mktemp("redis"), initial_lag_seconds=LAG)
    elasticache.install(plane)
    try:
        with mock_aws():
            yield plane, boto3.client("elasticache", region_name=EAST), boto3.client("elasticache", region_name=WEST)
    finally:
        timing.MODEL.reset()
        plane.shutdown()


def port(client, group):
    return client.describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"][0][
        "NodeGroups"][0]["PrimaryEndpoint"]["Port"]


def eventually(fn, want, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        got = fn()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.05)


def members(client):
    gds = client.describe_global_replication_groups(GlobalReplicationGroupId=GID,
                                                     ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    return gds["Status"], {m["ReplicationGroupId"]: m["Role"] for m in gds["Members"]}


def error_code(call, **kwargs):
    with pytest.raises(ClientError) as err:
        call(**kwargs)
    return err.value.response["Error"]["Code"]


def test_a_replication_group_is_a_redis_server(aws):
    _, east, _ = aws
    rg = east.create_replication_group(ReplicationGroupId="shop-cache", ReplicationGroupDescription="cache",
                                       Engine="redis", EngineVersion="7.0", NumCacheClusters=2,
                                       AutomaticFailoverEnabled=True, CacheNodeType="cache.r6g.large")[
        "ReplicationGroup"]
    ng = rg["NodeGroups"][0]
    assert rg["MemberClusters"] == ["shop-cache-001", "shop-cache-002"]  # NumCacheClusters honoured
    assert {m["ReadEndpoint"]["Port"] for m in ng["NodeGroupMembers"]} == {ng["PrimaryEndpoint"]["Port"]}
    p = ng["PrimaryEndpoint"]["Port"]
    assert command(p, "SET", "cart:1", "3 items") == "OK" and command(p, "GET", "cart:1") == "3 items"
    assert info_role(p) == "master"


def info_role(p):
    return elasticache.info(p)["role"]


def test_a_global_datastore_replicates_to_the_secondary(aws):
    _, east, west = aws
    gds = east.create_global_replication_group(GlobalReplicationGroupIdSuffix="shop-cache",
                                               PrimaryReplicationGroupId="shop-cache")["GlobalReplicationGroup"]
    assert gds["GlobalReplicationGroupId"] == GID
    west.create_replication_group(ReplicationGroupId="shop-cache-dr", ReplicationGroupDescription="dr",
                                  GlobalReplicationGroupId=GID, NumCacheClusters=1)
    assert members(west) == ("available", {"shop-cache": "PRIMARY", "shop-cache-dr": "SECONDARY"})
    assert "Members" not in east.describe_global_replication_groups()["GlobalReplicationGroups"][0]
    info = west.describe_replication_groups(ReplicationGroupId="shop-cache-dr")["ReplicationGroups"][0][
        "GlobalReplicationGroupInfo"]
    assert info == {"GlobalReplicationGroupId": GID, "GlobalReplicationGroupMemberRole": "SECONDARY"}
    p, s = port(east, "shop-cache"), port(west, "shop-cache-dr")
    assert command(s, "GET", "cart:1") == "3 items"  # the initial sync
    command(p, "SET", "cart:2", "1 item")
    assert eventually(lambda: command(s, "GET", "cart:2"), "1 item") == "1 item"
    with pytest.raises(elasticache.CacheError, match="READONLY"):
        command(s, "SET", "x", "1")
    assert error_code(east.describe_global_replication_groups,
                      GlobalReplicationGroupId="nope") == "GlobalReplicationGroupNotFoundFault"


def test_the_link_lags_and_a_paused_link_loses_keys_at_failover(aws):
    plane, east, west = aws
    p, s = port(east, "shop-cache"), port(west, "shop-cache-dr")
    plane.set_replication(WEST, "shop-cache-dr", lag_seconds=1.0)
    command(p, "SET", "late", "1")
    time.sleep(0.3)
    assert command(s, "GET", "late") is None  # still on the wire
    assert eventually(lambda: command(s, "GET", "late"), "1") == "1"
    plane.set_replication(WEST, "shop-cache-dr", lag_seconds=LAG, paused=True)
    command(p, "SET", "lost", "1")
    time.sleep(0.5)
    assert command(s, "GET", "lost") is None
    assert plane.lag_seconds(plane.get(WEST, "shop-cache-dr")) >= LAG + 0.4  # grows while paused
    west.failover_global_replication_group(GlobalReplicationGroupId=GID, PrimaryRegion=WEST,
                                           PrimaryReplicationGroupId="shop-cache-dr")
    assert members(east) == ("available", {"shop-cache": "SECONDARY", "shop-cache-dr": "PRIMARY"})
    assert command(s, "SET", "after", "1") == "OK"  # the new primary is writable
    assert command(s, "GET", "lost") is None  # what the link held is gone
    assert eventually(lambda: command(p, "GET", "after"), "1") == "1"  # the old primary follows the new one
    assert command(p, "GET", "lost") is None  # and lost its own unreplicated write (full resync)
    assert info_role(p) == "slave" and info_role(s) == "master"
    roles = {g: c.describe_replication_groups(ReplicationGroupId=g)["ReplicationGroups"][0][
        "GlobalReplicationGroupInfo"]["GlobalReplicationGroupMemberRole"]
        for g, c in (("shop-cache", east), ("shop-cache-dr", west))}
    assert roles == {"shop-cache": "SECONDARY", "shop-cache-dr": "PRIMARY"}


def test_failover_back_under_realistic_timing(aws):
    _, east, west = aws
    timing.MODEL.configure("realistic", 1.0, {"elasticache.global_failover": 0.6})
    faults.CURRENT.exempt = False  # in this process a call is the sandbox's own unless the middleware says otherwise
    try:
        east.failover_global_replication_group(GlobalReplicationGroupId=GID, PrimaryRegion=EAST,
                                               PrimaryReplicationGroupId="shop-cache")
        assert members(east) == ("modifying", {"shop-cache": "SECONDARY", "shop-cache-dr": "PRIMARY"})
        assert error_code(east.failover_global_replication_group, GlobalReplicationGroupId=GID, PrimaryRegion=WEST,
                          PrimaryReplicationGroupId="shop-cache-dr") == "InvalidGlobalReplicationGroupState"
        time.sleep(0.7)
        timing.MODEL.settle()
        assert members(east) == ("available", {"shop-cache": "PRIMARY", "shop-cache-dr": "SECONDARY"})
    finally:
        timing.MODEL.reset()
        del faults.CURRENT.exempt
    p, s = port(east, "shop-cache"), port(west, "shop-cache-dr")
    command(p, "SET", "back", "1")  # the data moved at the call: the east group writes, the west follows
    assert eventually(lambda: command(s, "GET", "back"), "1") == "1"


def test_test_failover_moves_the_primary_node(aws):
    _, east, west = aws
    rg = east.test_failover(ReplicationGroupId="shop-cache", NodeGroupId="0001")["ReplicationGroup"]
    roles = {m["CacheClusterId"]: m["CurrentRole"] for m in rg["NodeGroups"][0]["NodeGroupMembers"]}
    assert roles == {"shop-cache-001": "replica", "shop-cache-002": "primary"}
    assert command(port(east, "shop-cache"), "SET", "same", "server") == "OK"  # same endpoint, same data
    assert error_code(west.test_failover, ReplicationGroupId="shop-cache-dr",
                      NodeGroupId="0001") == "InvalidReplicationGroupState"  # one node: nothing to fail over to


@pytest.fixture
def realistic():
    """The realistic profile with short durations, for calls made from this process."""
    timing.MODEL.configure("realistic", 1.0, {"elasticache.create_replication_group": 0.5,
                                              "elasticache.delete_replication_group": 0.3})
    faults.CURRENT.exempt = False
    yield
    timing.MODEL.reset()
    del faults.CURRENT.exempt


def test_a_new_secondary_is_creating_then_associated_and_a_member_cannot_be_deleted(aws, realistic):
    _, east, _ = aws
    assert error_code(boto3.client("elasticache", region_name=WEST).delete_replication_group,
                      ReplicationGroupId="shop-cache-dr") == "InvalidReplicationGroupState"
    eu = boto3.client("elasticache", region_name="eu-west-1")
    rg = eu.create_replication_group(ReplicationGroupId="shop-cache-eu", ReplicationGroupDescription="eu",
                                     GlobalReplicationGroupId=GID, NumCacheClusters=1)["ReplicationGroup"]
    assert rg["Status"] == "creating"
    status, roles = members(east)
    assert status == "modifying" and roles["shop-cache-eu"] == "SECONDARY"
    assert command(port(eu, "shop-cache-eu"), "GET", "cart:1") == "3 items"  # the data is there at the call
    time.sleep(0.6)
    assert eu.describe_replication_groups(ReplicationGroupId="shop-cache-eu")["ReplicationGroups"][0][
        "Status"] == "available"
    assert members(east)[0] == "available"
    eu.disassociate_global_replication_group(GlobalReplicationGroupId=GID, ReplicationGroupId="shop-cache-eu",
                                             ReplicationGroupRegion="eu-west-1")
    assert eu.delete_replication_group(ReplicationGroupId="shop-cache-eu")["ReplicationGroup"]["Status"] == "deleting"
    assert eu.describe_replication_groups(ReplicationGroupId="shop-cache-eu")["ReplicationGroups"]
    time.sleep(0.4)
    assert error_code(eu.describe_replication_groups,
                      ReplicationGroupId="shop-cache-eu") == "ReplicationGroupNotFoundFault"


def test_disassociate_then_delete_the_global_datastore(aws):
    plane, east, west = aws
    assert error_code(east.delete_global_replication_group, GlobalReplicationGroupId=GID,
                      RetainPrimaryReplicationGroup=True) == "InvalidGlobalReplicationGroupState"
    assert error_code(east.disassociate_global_replication_group, GlobalReplicationGroupId=GID,
                      ReplicationGroupId="shop-cache", ReplicationGroupRegion=EAST) == "InvalidParameterValue"
    west.disassociate_global_replication_group(GlobalReplicationGroupId=GID, ReplicationGroupId="shop-cache-dr",
                                               ReplicationGroupRegion=WEST)
    assert members(east)[1] == {"shop-cache": "PRIMARY"}
    assert command(port(west, "shop-cache-dr"), "SET", "standalone", "1") == "OK"
    east.delete_global_replication_group(GlobalReplicationGroupId=GID, RetainPrimaryReplicationGroup=True)
    assert east.describe_global_replication_groups()["GlobalReplicationGroups"] == []
    west.delete_replication_group(ReplicationGroupId="shop-cache-dr")
    assert not plane.has(WEST, "shop-cache-dr")
    assert [g["ReplicationGroupId"] for g in west.describe_replication_groups()["ReplicationGroups"]] == []


# -- one sandbox of inventories/sandbox-cache (AWS side only) ----------------------------------------------------------
TICK = 0.5


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("cache-sb")
    env = dict(os.environ, SANDBOX_REPLICA_LAG_TICK_SECONDS=str(TICK))
    run_sandbox_cli("up", "--state-dir", state_dir, "--inventory", "inventories/sandbox-cache", "--no-k8s", env=env,
                    timeout=240)
    try:
        yield knobs.Sandbox(state_dir)
    finally:
        run_sandbox_cli("down", "--state-dir", state_dir, check=False)


def client(sb, service, region):
    return boto3.client(service, endpoint_url=sb.endpoint, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing")


def points(sb, region, namespace, metric, dimensions):
    now = dt.datetime.now(dt.timezone.utc)
    found = client(sb, "cloudwatch", region).get_metric_statistics(
        Namespace=namespace, MetricName=metric, Dimensions=dimensions, StartTime=now - dt.timedelta(minutes=15),
        EndTime=now + dt.timedelta(minutes=1), Period=1, Statistics=["Maximum"])["Datapoints"]
    return sorted(found, key=lambda d: d["Timestamp"])


def lag_points(sb, node):
    return points(sb, WEST, "AWS/ElastiCache", "GlobalDatastoreReplicationLag", [{"Name": "CacheClusterId",
                                                                                   "Value": node}])


def latest(sb, region, namespace, metric, dimensions):
    found = points(sb, region, namespace, metric, dimensions)
    return found[-1]["Maximum"] if found else None


def test_the_sandbox_seeds_the_cache_and_the_buckets(sb):
    inv = sb.inventory["cloudops_cache"]
    seeded = sb.info["aws"]["cache"]
    assert seeded["global_datastore_id"] == inv["global_datastore_id"]
    east, west = client(sb, "elasticache", EAST), client(sb, "elasticache", WEST)
    gds = west.describe_global_replication_groups(GlobalReplicationGroupId=inv["global_datastore_id"],
                                                  ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    assert {m["ReplicationGroupId"]: m["Role"] for m in gds["Members"]} == {"shop-cache": "PRIMARY",
                                                                             "shop-cache-dr": "SECONDARY"}
    s = port(west, "shop-cache-dr")
    assert s == seeded["secondary"]["port"]
    assert command(s, "GET", "shop:config:currency") == "EUR"  # seeded on the primary, replicated
    assert len(lag_points(sb, "shop-cache-dr-001")) >= 10  # 10 minutes of history
    s3e, s3w = client(sb, "s3", EAST), client(sb, "s3", WEST)
    # Copied sandbox_seed.s3.replication_delay_seconds after the seed's put: not necessarily yet on a busy machine.
    assert eventually(lambda: s3e.head_object(Bucket="shop-assets-use1", Key="assets/logo.svg")["ReplicationStatus"],
                      "COMPLETED") == "COMPLETED"
    assert s3w.head_object(Bucket="shop-assets-usw2", Key="assets/logo.svg")["ReplicationStatus"] == "REPLICA"
    assert east.describe_replication_groups(ReplicationGroupId="shop-cache")["ReplicationGroups"][0][
        "MemberClusters"] == ["shop-cache-001", "shop-cache-002"]


def test_the_knobs_pause_the_cache_link_and_the_bucket_replication(sb):
    state = ["--state-dir", sb.paths.root]
    p, s = sb.info["aws"]["cache"]["primary"]["port"], sb.info["aws"]["cache"]["secondary"]["port"]
    out = json.loads(run_sandbox_cli("knob", "cache-lag", "--pause", *state).stdout)
    assert out["paused"] and out["replication_group_id"] == "shop-cache-dr"
    json.loads(run_sandbox_cli("knob", "s3-replication", "--pause", *state).stdout)
    command(p, "SET", "during-pause", "1")
    client(sb, "s3", EAST).put_object(Bucket="shop-assets-use1", Key="assets/new.css", Body=b"body{}")
    time.sleep(TICK * 3)
    assert command(s, "GET", "during-pause") is None
    assert lag_points(sb, "shop-cache-dr-001")[-1]["Maximum"] > 0.5  # the ticker publishes the growing lag
    crr = json.loads(run_sandbox_cli("knob", "s3-replication", *state).stdout)
    assert crr["paused"] and [x["key"] for x in crr["pending"]] == ["assets/new.css"]
    assert latest(sb, EAST, "AWS/S3", "OperationsPendingReplication",
                  [{"Name": "SourceBucket", "Value": "shop-assets-use1"},
                   {"Name": "DestinationBucket", "Value": "shop-assets-usw2"},
                   {"Name": "RuleId", "Value": "cloudops-dr"}]) == 1
    status = run_sandbox_cli("status", *state).stdout
    assert "shop-cache-dr" in status and "PAUSED" in status and "1 pending" in status
    run_sandbox_cli("knob", "cache-lag", "--resume", "--seeded", *state)
    run_sandbox_cli("knob", "s3-replication", "--resume", *state)
    assert eventually(lambda: command(s, "GET", "during-pause"), "1") == "1"
    s3e = client(sb, "s3", EAST)
    assert eventually(lambda: s3e.head_object(Bucket="shop-assets-use1", Key="assets/new.css")["ReplicationStatus"],
                      "COMPLETED") == "COMPLETED"


def test_a_failover_through_the_api_then_the_knob_follows_the_new_secondary(sb):
    gid = sb.inventory["cloudops_cache"]["global_datastore_id"]
    p, s = sb.info["aws"]["cache"]["primary"]["port"], sb.info["aws"]["cache"]["secondary"]["port"]
    client(sb, "elasticache", WEST).failover_global_replication_group(
        GlobalReplicationGroupId=gid, PrimaryRegion=WEST, PrimaryReplicationGroupId="shop-cache-dr")
    assert command(s, "SET", "dr-write", "1") == "OK"
    assert eventually(lambda: command(p, "GET", "dr-write"), "1") == "1"
    out = knobs.cache_lag(sb, seconds=0.1)
    assert out["replication_group_id"] == "shop-cache" and out["region"] == EAST
