# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The DR readiness of the estate's cache and buckets (issue 20 items 2 and 4) on one sandbox of
inventories/sandbox-cache: the real Global Datastore (redis-server processes, the lag knob) and real S3 cross-region
replication (the pause knob). dr_readiness_info's findings, each naming its resource, in the good estate and with each
fault; the drill refused before any change. Each test puts back what it broke; the last one breaks the datastore for
good (nothing runs after it on this sandbox)."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import BIN, REPO, ansible_env, flat, own_sandbox, run_module, sandbox_cli, sandbox_client

INVENTORY = "inventories/sandbox-cache"
PRIMARY, DR = "us-east-1", "us-west-2"
BUCKET, DR_BUCKET = "shop-assets-use1", "shop-assets-usw2"
CACHE = {"global_datastore_id": "qwmzn-shop-cache", "primary": {"region": PRIMARY, "replication_group_id": "shop-cache"},
         "secondary": {"region": DR, "replication_group_id": "shop-cache-dr"}}
PROBES = ".cloudops-readiness/"


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


@pytest.mark.long
def test_a_drill_of_a_ready_estate_reports_the_cache_and_bucket_findings(cache_sb, collections_path, tmp_path):
    """The whole drill on the cache estate (long: ~2 min): it passes, its report's readiness holds the cache and bucket
    findings (passed), and no probe is left behind."""
    proc, out, _, reported = run_playbook(cache_sb, collections_path, tmp_path, "failover_drill")
    assert proc.returncode == 0 and reported, out[-4000:]
    report = json.loads((tmp_path / "failover_drill.json").read_text())
    assert report["outcome"] == "passed", report.get("error")
    stores = [(f["check"], f["resource"], f["passed"]) for f in report["readiness"]["findings"] if f.get("resource")]
    assert stores == [("cache_dr_member", "shop-cache-dr", True), ("cache_lag", "shop-cache-dr", True),
                      ("bucket_versioning", BUCKET, True), ("bucket_replication_rule", BUCKET, True),
                      ("bucket_replication_probe", BUCKET, True)]
    assert probes_left(cache_sb) == []


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
