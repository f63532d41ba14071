# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cache's part of the failover drill (issue 20 item 3) on one sandbox of inventories/sandbox-cache (AWS side only:
the Global Datastore on real redis-server processes, sandbox/elasticache.py): elasticache_global_failover run through
ansible (the lag gate and the catch-up against the cache-lag knob, check mode, the failover to DR, the idempotent re-run,
the failback, the refusals before any call) and CacheMarkers (module_utils/_cache/markers.py) in this process on the same
Redis servers (markers written on the primary reach the secondary after the link's lag; those written while the link is
paused are missing after a failover; purge; a read-only secondary refuses). The tests run in order, each from where
the previous one left the datastore; the last one breaks it for good."""

from __future__ import annotations

import sys
import time

import pytest

from conftest import REPO, own_sandbox, run_module, sandbox_cli, sandbox_client

boto3 = pytest.importorskip("boto3")
pytest.importorskip("redis")
if str(REPO / "collections") not in sys.path:  # CacheMarkers runs in this process (`make integration` sets no PYTHONPATH)
    sys.path.insert(0, str(REPO / "collections"))

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.module_utils.state_store_markers import StoreError  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.module_utils._cache.markers import CacheMarkers  # noqa: E402

INVENTORY = "inventories/sandbox-cache"
PRIMARY, DR = "us-east-1", "us-west-2"
GID = "qwmzn-shop-cache"
CACHE = {"global_datastore_id": GID, "primary": {"region": PRIMARY, "replication_group_id": "shop-cache"},
         "secondary": {"region": DR, "replication_group_id": "shop-cache-dr"}}
CONNECTION = {"host_override": "127.0.0.1"}  # moto's endpoint names do not resolve; the ports are the servers'
TICK = 0.5          # the sandbox publishes the lag metrics this often
LOOKBACK = 3        # lag_lookback_seconds: the lag of the last few ticks (the default 300 s would keep a knob's spike)
TO_DR = {"global_datastore_id": GID, "replication_group_id": "shop-cache-dr", "region": DR, "lag_lookback_seconds": LOOKBACK}
TO_PRIMARY = {"global_datastore_id": GID, "replication_group_id": "shop-cache", "region": PRIMARY, "lag_lookback_seconds": LOOKBACK}


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SANDBOX_REPLICA_LAG_TICK_SECONDS", str(TICK))
        with own_sandbox(tmp_path_factory.mktemp("sandbox-cache-failover"), "--inventory", INVENTORY, "--no-k8s") as found:
            patch.delenv("SANDBOX_REPLICA_LAG_TICK_SECONDS")
            yield found


class AwsModule(object):
    """What CacheMarkers asks of the AnsibleAWSModule: clients of the sandbox's moto (retrying wrapper), params."""

    params = {"aws_config": None}

    def __init__(self, env):
        self.env = env

    def client(self, service, retry_decorator=None, aws_config=None, region=None, **extra):
        raw = boto3.client(service, region_name=region, endpoint_url=self.env["AWS_ENDPOINT_URL"], config=aws_config,
                           aws_access_key_id=self.env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=self.env["AWS_SECRET_ACCESS_KEY"])
        return RetryingBotoClientWrapper(raw, retry_decorator)

    def fail_json_aws(self, error, msg=None, **extra):
        raise AssertionError("%s: %s" % (msg, error))


def store(sb, side):
    return CacheMarkers(AwsModule(sb["env"]), CACHE, side, CONNECTION)


def eventually(probe, want, timeout=10.0):
    deadline = time.monotonic() + timeout
    while True:
        got = probe()
        if got == want or time.monotonic() > deadline:
            return got
        time.sleep(0.1)


def failover(sb, collections_path, args, check=False, diff=False):
    return run_module(collections_path, sb["env"], "elasticache_global_failover", args, check=check, diff=diff, inventory=INVENTORY)


def roles(sb):
    found = sandbox_client(sb, "elasticache", DR).describe_global_replication_groups(
        GlobalReplicationGroupId=GID, ShowMemberInfo=True)["GlobalReplicationGroups"][0]
    return found["Status"], dict((m["ReplicationGroupId"], m["Role"]) for m in found["Members"])


def port(sb, side):
    spec = CACHE[side]
    return sandbox_client(sb, "elasticache", spec["region"]).describe_replication_groups(
        ReplicationGroupId=spec["replication_group_id"])["ReplicationGroups"][0]["NodeGroups"][0]["PrimaryEndpoint"]["Port"]


def knob(sb, *args):
    return sandbox_cli(sb["state"], "knob", "cache-lag", *args)


def test_markers_written_on_the_primary_reach_the_secondary_and_are_purged_there_from(sb):
    primary, secondary = store(sb, "primary"), store(sb, "secondary")
    written = dict((seq, "2026-12-07T01:00:%02d.000Z" % seq) for seq in range(1, 6))
    for seq, when in written.items():
        primary.write("drill-a", seq, when)
    assert primary.present("drill-a") == written
    assert eventually(lambda: secondary.present("drill-a"), written) == written  # after the link's lag
    assert secondary.target == ("127.0.0.1", port(sb, "secondary"), False)
    with pytest.raises(StoreError) as raised:
        secondary.purge("drill-a")
    assert "cache shop-cache-dr (us-west-2) at 127.0.0.1:%d is read-only" % port(sb, "secondary") in str(raised.value)
    with pytest.raises(StoreError, match="is read-only"):
        secondary.write("drill-a", 6, "t")
    assert primary.purge("drill-a") == 5 and primary.purge("drill-a") == 0
    assert eventually(lambda: secondary.present("drill-a"), {}) == {}


def test_the_lag_gate_and_the_catch_up_refuse_a_lagging_target_before_any_change(sb, collections_path):
    knob(sb, "--seconds", "30")
    gated = failover(sb, collections_path, dict(TO_DR, max_lag_seconds=5))
    assert gated["failed"] and not gated["changed"]
    assert gated["msg"].startswith("Not failed over: GlobalDatastoreReplicationLag of shop-cache-dr is 30 s, over max_lag_seconds "
                                   "5 s: failing over now loses about 30 s of cache writes")
    assert gated["lag_gate"]["verdict"] == "over" and gated["step_summary"]["gates"][0]["passed"] is False
    waited = failover(sb, collections_path, dict(TO_DR, catch_up={"max_lag_seconds": 1, "timeout": 2}))
    assert waited["failed"] and not waited["changed"] and waited["catch_up"]["caught_up"] is False
    assert waited["msg"].startswith("Not failed over: GlobalDatastoreReplicationLag of shop-cache-dr (us-west-2) is still 30 s after ")
    assert "not within catch_up.max_lag_seconds 1 s" in waited["msg"] and waited["catch_up"]["reads"] >= 2
    assert roles(sb) == ("available", {"shop-cache": "PRIMARY", "shop-cache-dr": "SECONDARY"})


def test_check_mode_predicts_the_failover_and_changes_nothing(sb, collections_path):
    result = failover(sb, collections_path, dict(TO_DR, max_lag_seconds=60), check=True, diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["failed_over"] and result["requested_at"] is None
    assert result["diff"] == {"before": {"global_datastore_id": GID, "primary": "shop-cache (us-east-1)"},
                              "after": {"global_datastore_id": GID, "primary": "shop-cache-dr (us-west-2)"}}
    assert result["primary"]["endpoint"]["port"] == port(sb, "secondary")
    assert roles(sb) == ("available", {"shop-cache": "PRIMARY", "shop-cache-dr": "SECONDARY"})


def test_failover_to_dr_after_the_catch_up_then_a_re_run_changes_nothing(sb, collections_path):
    primary = store(sb, "primary")
    primary.write("drill-b", 1, "2026-12-07T01:01:00.000Z")
    knob(sb, "--seeded")  # the 30 s datapoints leave the lookback within LOOKBACK seconds: the catch-up waits for that
    result = failover(sb, collections_path, dict(TO_DR, max_lag_seconds=5, catch_up={"max_lag_seconds": 1, "timeout": 30}), diff=True)
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["failed_over"] and result["catch_up"]["caught_up"]
    assert result["lag_seconds"] <= 1 and result["lag_gate"]["allowed"]
    assert result["previous_primary"] == {"region": PRIMARY, "replication_group_id": "shop-cache"}
    assert result["primary"] == {"region": DR, "replication_group_id": "shop-cache-dr",
                                 "endpoint": {"address": result["primary"]["endpoint"]["address"], "port": port(sb, "secondary")}}
    assert result["requested_at"] <= result["available_at"] and result["waited_seconds"] >= 0
    assert [g["name"] for g in result["step_summary"]["gates"]] == ["cache catch-up", "cache lag"]
    assert roles(sb) == ("available", {"shop-cache": "SECONDARY", "shop-cache-dr": "PRIMARY"})
    dr = store(sb, "secondary")
    assert dr.present("drill-b") == {1: "2026-12-07T01:01:00.000Z"}  # it had reached DR before the failover
    dr.write("drill-b", 2, "2026-12-07T01:01:01.000Z")  # DR is writable now
    assert eventually(lambda: sorted(primary.present("drill-b")), [1, 2]) == [1, 2]  # and the old primary follows it
    again = failover(sb, collections_path, dict(TO_DR, max_lag_seconds=5))
    assert not again.get("failed") and not again["changed"] and not again["failed_over"] and again["requested_at"] is None
    assert again["primary"]["endpoint"]["port"] == port(sb, "secondary")
    assert again["step_summary"]["detail"] == "shop-cache-dr (us-west-2) already the primary of %s" % GID
    assert dr.purge("drill-b") == 2


def test_markers_written_while_the_link_is_paused_are_missing_after_the_failback(sb, collections_path):
    dr, primary = store(sb, "secondary"), store(sb, "primary")  # DR is the datastore's primary now
    dr.write("drill-c", 1, "2026-12-07T01:02:01.000Z")
    assert eventually(lambda: sorted(primary.present("drill-c")), [1]) == [1]
    assert knob(sb, "--pause").returncode == 0  # the datastore's current secondary: shop-cache
    dr.write("drill-c", 2, "2026-12-07T01:02:02.000Z")
    dr.write("drill-c", 3, "2026-12-07T01:02:03.000Z")
    time.sleep(4 * TICK)  # the paused lag grows past 1 s in the metric
    gated = failover(sb, collections_path, dict(TO_PRIMARY, max_lag_seconds=1))
    assert gated["failed"] and not gated["changed"] and "GlobalDatastoreReplicationLag of shop-cache is " in gated["msg"]
    assert roles(sb)[1]["shop-cache-dr"] == "PRIMARY" and sorted(primary.present("drill-c")) == [1]
    result = failover(sb, collections_path, TO_PRIMARY)  # no gate: an unplanned failback accepts the loss
    assert not result.get("failed"), result.get("msg")
    assert result["changed"] and result["lag_seconds"] > 1 and result["lag_gate"] is None
    assert result["primary"]["endpoint"]["port"] == port(sb, "primary")
    assert roles(sb) == ("available", {"shop-cache": "PRIMARY", "shop-cache-dr": "SECONDARY"})
    assert primary.present("drill-c") == {1: "2026-12-07T01:02:01.000Z"}  # 2 and 3 never reached it
    assert eventually(lambda: sorted(dr.present("drill-c")), [1]) == [1]  # DR resynchronised from the new primary
    assert primary.purge("drill-c") == 1


def test_refusals_name_the_resource_before_any_call(sb, collections_path):
    missing = failover(sb, collections_path, dict(TO_DR, global_datastore_id="qwmzn-nope"))
    assert missing["failed"] and missing["msg"].startswith("Not failed over: Global Datastore qwmzn-nope not found (asked in us-west-2)")
    stranger = failover(sb, collections_path, dict(TO_DR, replication_group_id="shop-cache-other"))
    assert stranger["failed"] and "replication group shop-cache-other not found in us-west-2" in stranger["msg"]
    assert "members: shop-cache (us-east-1, primary), shop-cache-dr (us-west-2, secondary)" in stranger["msg"]
    # DR lost: its group left the datastore (the last test: the datastore stays without its secondary)
    sandbox_client(sb, "elasticache", DR).disassociate_global_replication_group(
        GlobalReplicationGroupId=GID, ReplicationGroupId="shop-cache-dr", ReplicationGroupRegion=DR)
    left = failover(sb, collections_path, TO_DR)
    assert left["failed"] and not left["changed"]
    assert "shop-cache-dr in us-west-2 is not a member of Global Datastore %s (members: shop-cache (us-east-1, primary))" % GID in left["msg"]
    assert "re-added as a secondary first" in left["msg"]
    assert roles(sb) == ("available", {"shop-cache": "PRIMARY"})
