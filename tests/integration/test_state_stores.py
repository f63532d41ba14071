# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate's cache and buckets (issue 20) on one sandbox of inventories/sandbox-cache: the real Global Datastore
(redis-server processes, the lag knob) and real S3 cross-region replication (the pause knob).
- Readiness (items 2 and 4): dr_readiness_info's findings, each naming its resource, in the good estate and with each
  fault; the failover and the drill refused before any change.
- The runbooks (item 3): the drill fails the cache over and back, counts its markers in Redis and S3 (a row per store
  in the report), repoints the application's cache and bucket settings with its database and puts them back; a real
  failover moves them to DR and the failback brings back what the application wrote there (long).
What each test checks is read back from the sandbox (the Global Datastore, Redis itself, both buckets' versions, the
Secrets). Each test puts back what it broke; the last one breaks the datastore for good (nothing runs after it)."""

from __future__ import annotations

import base64
import json
import re
import subprocess

import pytest
import redis

from conftest import BIN, REPO, ansible_env, flat, ok, own_sandbox, run_module, sandbox_cli, sandbox_client
from test_failover_playbooks import Runbooks, load

INVENTORY = "inventories/sandbox-cache"
PRIMARY, DR = "us-east-1", "us-west-2"
BUCKET, DR_BUCKET = "shop-assets-use1", "shop-assets-usw2"
CACHE = {"global_datastore_id": "qwmzn-shop-cache", "primary": {"region": PRIMARY, "replication_group_id": "shop-cache"},
         "secondary": {"region": DR, "replication_group_id": "shop-cache-dr"}}
PROBES = ".cloudops-readiness/"
GLOBAL = CACHE["global_datastore_id"]
CACHE_PRIMARY, CACHE_DR = "shop-cache", "shop-cache-dr"


@pytest.fixture(scope="module")
def cache_sb(tmp_path_factory):
    """A sandbox of inventories/sandbox-cache of this file's own, stopped at the end."""
    with own_sandbox(tmp_path_factory.mktemp("sandbox-cache"), "--inventory", INVENTORY) as sb:
        yield sb


def audit(sb, collections_path, rpo=60):
    args = {"cache": CACHE, "buckets": [{"name": BUCKET, "dr_name": DR_BUCKET}], "regions": {"primary": PRIMARY, "dr": DR},
            "rpo_budget_seconds": rpo, "region": DR}
    result = run_module(collections_path, sb["env"], "dr_readiness_info", args, inventory=INVENTORY)
    assert not result.get("failed"), result.get("msg")
    return result


def by_check(result):
    return dict((f["check"], f) for f in result["findings"])


def probes_left(sb):
    """Probe objects (any version or delete marker) left in either bucket."""
    left = []
    for bucket, region in ((BUCKET, PRIMARY), (DR_BUCKET, DR)):
        found = sandbox_client(sb, "s3", region).list_object_versions(Bucket=bucket, Prefix=PROBES)
        left += [(bucket, v["Key"]) for v in found.get("Versions", []) + found.get("DeleteMarkers", [])]
    return left


def knob(sb, *args):
    return sandbox_cli(sb["state"], "knob", *args)


def test_a_ready_estate_passes_every_cache_and_bucket_check(cache_sb, collections_path):
    result = audit(cache_sb, collections_path)
    assert result["passed"], result["findings"]
    assert [(f["check"], f["resource"]) for f in result["findings"]] == [
        ("cache_dr_member", "shop-cache-dr"), ("cache_lag", "shop-cache-dr"), ("bucket_versioning", BUCKET),
        ("bucket_replication_rule", BUCKET), ("bucket_replication_probe", BUCKET)]
    probe = by_check(result)["bucket_replication_probe"]["numbers"]
    assert 0 < probe["replication_seconds"] <= 60 and probe["replication_status"] == "COMPLETED"
    assert probe["probe_versions_deleted"] == 2 and probes_left(cache_sb) == []


# -- the runbooks: the drill, a failover and its failback (issue 20 item 3)
# They run on the ready estate, before the faults below: a lag raised by a knob stays in its minute of the metric (the
# audit reads the Maximum per minute, as on AWS) and would refuse them. ----------------------------------------------
class StoreRunbooks(Runbooks):
    def run(self, playbook, inventory=INVENTORY, extra_vars=None, check=False, env=None):
        if "failback" not in playbook:
            return super(StoreRunbooks, self).run(playbook, inventory, extra_vars, check, env)
        report = self.tmp_path / "failback-report.json"
        proc, dummy, status = super(StoreRunbooks, self).run(playbook, inventory, dict(extra_vars or {}, failback_report_path=str(report)),
                                                            check, env)
        return proc, load(report), status

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
def rb(cache_sb, collections_path, tmp_path):
    return StoreRunbooks(cache_sb, collections_path, tmp_path)


def secret_values(secret):
    return dict((key, base64.b64decode(value).decode()) for key, value in (secret.data or {}).items())


def test_the_drill_fails_the_cache_over_and_back_and_counts_its_markers_in_redis_and_s3(rb):
    proc, report, _ = rb.run("playbooks/failover_drill.yml")
    ok(proc)
    assert report["outcome"] == "passed", (report["outcome"], report.get("error"), report.get("failback_error"))
    run_id = report["run_id"]
    stores = [(f["check"], f["resource"], f["passed"]) for f in report["readiness"]["findings"] if f.get("resource")]
    assert stores == [("cache_dr_member", "shop-cache-dr", True), ("cache_lag", "shop-cache-dr", True),
                      ("bucket_versioning", BUCKET, True), ("bucket_replication_rule", BUCKET, True),
                      ("bucket_replication_probe", BUCKET, True)]
    assert probes_left(rb.sandbox) == []
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


@pytest.mark.long
def test_a_failover_moves_the_cache_and_the_buckets_and_the_failback_brings_back_what_dr_took(rb):
    """Long (~2 min): the drill above takes the same steps and failback; the modules' own sandbox tests cover the
    copy back (test_bucket_markers.py) and the cache's failback (test_cache_failover.py)."""
    proc, report, _ = rb.run("playbooks/failover.yml")
    ok(proc)
    assert report["outcome"] == "failed_over", report
    assert "ElastiCache Global Datastore %s: primary %s (%s) -> %s (%s)" % (GLOBAL, CACHE_PRIMARY, PRIMARY, CACHE_DR, DR) in report["changes"]
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


def test_paused_bucket_replication_fails_the_probe_and_leaves_nothing(cache_sb, collections_path):
    knob(cache_sb, "s3-replication", "--pause")
    try:
        result = audit(cache_sb, collections_path, rpo=3)
    finally:
        knob(cache_sb, "s3-replication", "--resume")
    found = by_check(result)
    assert result["failed_checks"] == ["bucket_replication_probe"]
    assert found["bucket_replication_probe"]["resource"] == BUCKET
    assert "has not reached %s within the RPO budget of 3 s" % DR_BUCKET in found["bucket_replication_probe"]["detail"]
    assert found["bucket_replication_probe"]["numbers"]["replication_status"] == "PENDING"
    assert probes_left(cache_sb) == []  # the pending version was deleted before the link resumed: nothing copied later


def test_versioning_off_fails_without_writing_a_probe(cache_sb, collections_path):
    s3 = sandbox_client(cache_sb, "s3", DR)
    s3.put_bucket_versioning(Bucket=DR_BUCKET, VersioningConfiguration={"Status": "Suspended"})
    try:
        result = audit(cache_sb, collections_path)
    finally:
        s3.put_bucket_versioning(Bucket=DR_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    found = by_check(result)
    assert result["failed_checks"] == ["bucket_versioning", "bucket_replication_probe"]
    assert "%s Suspended" % DR_BUCKET in found["bucket_versioning"]["detail"] and found["bucket_versioning"]["resource"] == BUCKET
    assert "no probe written (bucket_versioning failed)" in found["bucket_replication_probe"]["detail"]
    assert probes_left(cache_sb) == []


def run_playbook(sb, collections_path, tmp_path, name):
    report = tmp_path / ("%s.json" % name)
    key = "drill_report_path" if name == "failover_drill" else "failover_report_path"
    proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/%s.yml" % name, "-i", INVENTORY, "-e",
                           json.dumps({"cloudops_run_dir_root": "", key: str(report)})],
                          cwd=REPO, env=ansible_env(collections_path, sb["env"]), capture_output=True, text=True, timeout=600)
    recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
    return proc, flat(proc.stdout), (int(recap.group(1)) if recap else None), report.exists()


def test_cache_lag_past_the_budget_refuses_failover_and_drill_before_any_change(cache_sb, collections_path, tmp_path):
    """The failover's audit (dr_readiness_info) and the drill's (estate_status) both find it; the failover offers the
    lag override, the drill does not."""
    knob(cache_sb, "cache-lag", "--seconds", "120")
    try:
        runs = dict((name, run_playbook(cache_sb, collections_path, tmp_path, name)) for name in ("failover", "failover_drill"))
    finally:
        knob(cache_sb, "cache-lag", "--seeded")
    finding = "cache_lag: cache shop-cache-dr: GlobalDatastoreReplicationLag 120 s over the RPO budget of 60 s"
    for name, what, hint in (("failover", "Failover", "-e failover_max_lag_override=true"),
                             ("failover_drill", "Failover drill", "wait for the cache and bucket replication to catch up")):
        proc, out, changed, reported = runs[name]
        assert proc.returncode != 0, out[-4000:]
        assert "%s refused, nothing changed. %s" % (what, finding) in out, out[-4000:]
        assert hint in out and changed == 0 and not reported
    rds = sandbox_client(cache_sb, "rds", DR).describe_db_instances(DBInstanceIdentifier="shop-db-dr")["DBInstances"][0]
    assert rds["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:shop-db")  # nothing promoted


def test_a_dr_cache_out_of_the_datastore_is_a_finding_naming_it(cache_sb, collections_path):
    """Last: the datastore keeps one member (a real disassociation; the sandbox goes down after)."""
    sandbox_client(cache_sb, "elasticache", PRIMARY).disassociate_global_replication_group(
        GlobalReplicationGroupId=CACHE["global_datastore_id"], ReplicationGroupId="shop-cache-dr", ReplicationGroupRegion=DR)
    result = audit(cache_sb, collections_path)
    found = by_check(result)
    assert result["failed_checks"] == ["cache_dr_member", "cache_lag"]
    assert "cache shop-cache-dr in us-west-2 is not a member of Global Datastore qwmzn-shop-cache (members: shop-cache (us-east-1))" \
        in found["cache_dr_member"]["detail"]
    assert found["cache_lag"]["resource"] == "shop-cache-dr"
