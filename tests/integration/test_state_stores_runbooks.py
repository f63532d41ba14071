# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cache and the buckets in the failover, the drill and the failback (issue 20 item 3), on one sandbox of
inventories/sandbox-cache: real redis-server processes behind the Global Datastore, real S3 cross-region replication.
The drill fails the cache over and back, counts its markers in Redis and S3 (a row per store in the report), repoints
the application's cache and bucket settings with its database and puts them back; a real failover moves them to DR
and the failback brings back what the application wrote there. What each test checks is read back from the sandbox
(ElastiCache's Global Datastore, Redis itself, both buckets' versions, the Secrets). The tests run in file order and
share the sandbox: each leaves the estate as it found it."""

from __future__ import annotations

import pytest
import redis

from conftest import ok, own_sandbox
from test_failover_playbooks import DR, PRIMARY, Runbooks

INVENTORY = "inventories/sandbox-cache"
GLOBAL = "qwmzn-shop-cache"
CACHE_PRIMARY, CACHE_DR = "shop-cache", "shop-cache-dr"
BUCKET, DR_BUCKET = "shop-assets-use1", "shop-assets-usw2"


@pytest.fixture(scope="module")
def stores_sb(tmp_path_factory):
    """A sandbox of inventories/sandbox-cache of this file's own, stopped at the end."""
    with own_sandbox(tmp_path_factory.mktemp("sandbox-stores"), "--inventory", INVENTORY) as sb:
        yield sb


class StoreRunbooks(Runbooks):
    def run(self, playbook, inventory=INVENTORY, extra_vars=None, check=False, env=None):
        return super(StoreRunbooks, self).run(playbook, inventory, extra_vars, check, env)

    def cache_primary(self):
        """The '<region>/<group>' of the Global Datastore's primary member, read from ElastiCache."""
        found = self.aws("elasticache", DR).describe_global_replication_groups(GlobalReplicationGroupId=GLOBAL, ShowMemberInfo=True)
        members = found["GlobalReplicationGroups"][0]["Members"]
        return next("%s/%s" % (m["ReplicationGroupRegion"], m["ReplicationGroupId"]) for m in members if m["Role"].lower() == "primary")

    def redis(self, group, region):
        port = self.aws("elasticache", region).describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"][0][
            "NodeGroups"][0]["PrimaryEndpoint"]["Port"]
        return redis.Redis(host="127.0.0.1", port=port, socket_timeout=5, decode_responses=True)

    def endpoint(self, group, region):
        found = self.aws("elasticache", region).describe_replication_groups(ReplicationGroupId=group)["ReplicationGroups"][0]
        return found["NodeGroups"][0]["PrimaryEndpoint"]

    def cache_markers(self, run_id):
        """The run's marker keys left in either group."""
        return sorted(key for group, region in ((CACHE_PRIMARY, PRIMARY), (CACHE_DR, DR))
                      for key in self.redis(group, region).scan_iter(match="cloudops-drill:%s:*" % run_id))

    def bucket_versions(self, prefix):
        """Every version and delete marker under prefix in either bucket."""
        left = []
        for bucket, region in ((BUCKET, PRIMARY), (DR_BUCKET, DR)):
            found = self.aws("s3", region).list_object_versions(Bucket=bucket, Prefix=prefix)
            left += [(bucket, v["Key"]) for v in found.get("Versions", []) + found.get("DeleteMarkers", [])]
        return left


@pytest.fixture
def rb(stores_sb, collections_path, tmp_path):
    return StoreRunbooks(stores_sb, collections_path, tmp_path)


def secret_values(secret):
    from ansible_collections.cloudops.runbooks.plugins.module_utils import cutover
    return dict((key, cutover.unb64(value)) for key, value in (secret.data or {}).items())


def test_the_drill_fails_the_cache_over_and_back_and_counts_its_markers_in_redis_and_s3(rb):
    proc, report, _ = rb.run("playbooks/failover_drill.yml")
    ok(proc)
    assert report["outcome"] == "passed", (report["outcome"], report.get("error"), report.get("failback_error"))
    run_id = report["run_id"]
    rows = dict((row["kind"], row) for row in report["rpo"]["stores"])
    # the cache's markers read on its DR group once promoted; the bucket's on the DR bucket at the cut (replication
    # copies a version 1 s after its write here, so the last marker cannot be there yet)
    assert (rows["cache"]["resource"], rows["cache"]["moment"], rows["cache"]["written"]) == (CACHE_DR, "promoted", 8)
    assert rows["cache"]["present"] + len(rows["cache"]["missing_seqs"]) == 8
    assert (rows["bucket"]["resource"], rows["bucket"]["moment"], rows["bucket"]["written"]) == (DR_BUCKET, "cut", 8)
    assert 8 in rows["bucket"]["missing_seqs"] and rows["bucket"]["seconds"] is not None
    assert all(row["within_budget"] for row in rows.values()) and report["rpo"]["within_budget"]
    steps = dict(((s["phase"], s["step"]), s) for s in report["steps"])
    assert steps[("failover", "cache")]["outcome"] == "changed" and steps[("failback", "cache")]["outcome"] == "changed"
    # the application's Secret on DR got the promoted cache's endpoint and the DR bucket with the database's
    cache_dr = rb.endpoint(CACHE_DR, DR)
    assert "ASSETS_BUCKET=%s, REDIS_HOST=%s, REDIS_PORT=%s" % (DR_BUCKET, cache_dr["Address"], cache_dr["Port"]) \
        in steps[("failover", "app_db")]["detail"]
    # everything back, read from the sandbox: the primary group is the primary again, the Secret (created by the
    # failover) is gone, no marker is left in Redis or in either bucket, the status after equals the status before
    assert rb.cache_primary() == "%s/%s" % (PRIMARY, CACHE_PRIMARY)
    assert report["status_before"]["cache"]["primary"] == "%s/%s" % (PRIMARY, CACHE_PRIMARY)
    assert report["status"]["equal"], report["status"]["differences"]
    assert rb.dr_object("Secret", "shop-db") is None
    assert rb.cache_markers(run_id) == [] and rb.bucket_versions("cloudops-drill/%s/" % run_id) == []
    # the printed report (roles/runbook/templates/drill.md.j2) has the cache and bucket rows
    assert "| RPO: markers the DR cache %s lacked once promoted | %d of 8 keys" % (CACHE_DR, len(rows["cache"]["missing_seqs"])) in proc.stdout
    assert "| RPO: markers the DR bucket %s lacked at the cut | %d of 8 objects" % (DR_BUCKET, len(rows["bucket"]["missing_seqs"])) in proc.stdout


def test_a_failover_moves_the_cache_and_the_buckets_and_the_failback_brings_back_what_dr_took(rb):
    proc, report, _ = rb.run("playbooks/failover.yml")
    ok(proc)
    assert report["outcome"] == "failed_over", report
    assert rb.cache_primary() == "%s/%s" % (DR, CACHE_DR)
    cache_dr = rb.endpoint(CACHE_DR, DR)
    settings = secret_values(rb.dr_object("Secret", "shop-db"))
    assert (settings["REDIS_HOST"], settings["REDIS_PORT"], settings["ASSETS_BUCKET"]) == (cache_dr["Address"], str(cache_dr["Port"]), DR_BUCKET)
    # production on DR writes to the DR cache and the DR bucket
    rb.redis(CACHE_DR, DR).set("shop:session:failover-test", "on-dr")
    rb.aws("s3", DR).put_object(Bucket=DR_BUCKET, Key="uploads/while-on-dr.txt", Body=b"written on DR")
    proc, report, _ = rb.run("playbooks/failback.yml")
    ok(proc)
    assert report["outcome"] == "failed_back", report
    steps = [(s["step"], s["outcome"]) for s in report["steps"]]
    assert ("buckets", "changed") in steps and ("cache", "changed") in steps, steps
    # back: the primary group the primary, holding what DR took; the object copied back to the primary bucket
    assert rb.cache_primary() == "%s/%s" % (PRIMARY, CACHE_PRIMARY)
    assert rb.redis(CACHE_PRIMARY, PRIMARY).get("shop:session:failover-test") == "on-dr"
    assert rb.aws("s3", PRIMARY).get_object(Bucket=BUCKET, Key="uploads/while-on-dr.txt")["Body"].read() == b"written on DR"
    # the DR Secret back as before the failover (the failover created it)
    assert rb.dr_object("Secret", "shop-db") is None
