# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Issue 20 item 3 for the buckets, on one AWS-only sandbox of inventories/sandbox-cache (real S3 cross-region
replication: the delay and pause knob): the drill markers as S3 objects (_aws/s3_markers.BucketMarkers: written in the
primary bucket, present in DR after the replication delay, missing while replication is paused, purged on both sides
to the last version), and the failback's copy back (s3_replication_sync: what the application wrote to the DR bucket
after a failover copied to the primary, check mode and --diff first, idempotent, deletes only with delete_removed)."""

from __future__ import annotations

import datetime
import sys
import time

import pytest

from conftest import collections_root, own_sandbox, run_module, sandbox_cli, sandbox_client

INVENTORY = "inventories/sandbox-cache"
PRIMARY, DR = "us-east-1", "us-west-2"
BUCKET, DR_BUCKET = "shop-assets-use1", "shop-assets-usw2"
SPEC = {"name": BUCKET, "dr_name": DR_BUCKET, "prefix": ""}
REGIONS = {"primary": PRIMARY, "dr": DR}


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    with own_sandbox(tmp_path_factory.mktemp("sandbox-buckets"), "--inventory", INVENTORY, "--no-k8s") as sandbox:
        yield sandbox


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    """This collection importable in this process (the markers adapter is no module: the drill's modules call it)."""
    root = str(collections_root(tmp_path_factory.mktemp("collections-inproc")))
    sys.path.insert(0, root)
    from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers
    from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import s3_markers
    return state_store_markers, s3_markers


class Module(object):
    """What _aws/common.client() needs of an AnsibleAWSModule: boto3 clients of the sandbox under the retry wrapper."""

    params = {}

    def __init__(self, sandbox):
        self.sandbox = sandbox

    def client(self, service, retry_decorator=None, aws_config=None, region=None):
        from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
        return RetryingBotoClientWrapper(sandbox_client(self.sandbox, service, region), retry_decorator)


def stores(sb, collection):
    dummy, s3_markers = collection
    return (s3_markers.BucketMarkers(Module(sb), SPEC, "primary", REGIONS),
            s3_markers.BucketMarkers(Module(sb), SPEC, "dr", REGIONS))


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def wait_for(probe, done, timeout):
    started = time.monotonic()
    while True:
        value = probe()
        if done(value) or time.monotonic() - started > timeout:
            return value, round(time.monotonic() - started, 2)
        time.sleep(0.2)


def versions_left(sb, run_id):
    left = []
    for bucket, region in ((BUCKET, PRIMARY), (DR_BUCKET, DR)):
        found = sandbox_client(sb, "s3", region).list_object_versions(Bucket=bucket, Prefix="cloudops-drill/%s/" % run_id)
        left += [(bucket, v["Key"]) for v in found.get("Versions", []) + found.get("DeleteMarkers", [])]
    return left


def test_markers_written_in_the_primary_reach_dr_after_the_delay_and_are_purged_on_both_sides(sb, collection):
    markers, dummy = collection
    primary, dr = stores(sb, collection)
    assert (primary.kind, primary.resource, dr.resource) == ("bucket", BUCKET, DR_BUCKET)
    written = []
    for seq in range(1, 6):
        written.append({"seq": seq, "written_at": now_iso()})
        primary.write("drill-1", seq, written[-1]["written_at"])
    early = dr.present("drill-1")
    assert primary.present("drill-1") == dict((seq, None) for seq in range(1, 6))
    assert len(early) < 5                                 # the sandbox's CRR copies after 1 s
    found, seconds = wait_for(lambda: dr.present("drill-1"), lambda got: len(got) == 5, 15)
    assert sorted(found) == [1, 2, 3, 4, 5], "only %s reached %s after %s s" % (sorted(found), DR_BUCKET, seconds)
    from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
    rpo = markers.store_rpo("bucket", DR_BUCKET, drill.parse_written(written), found)
    assert (rpo["rpo_rows"], rpo["rpo_seconds"], rpo["present_count"]) == (0, 0.0, 5)
    assert primary.purge("drill-1") == 5 and dr.purge("drill-1") == 5
    assert versions_left(sb, "drill-1") == [] and dr.present("drill-1") == {} and primary.purge("drill-1") == 0


def test_markers_written_while_replication_is_paused_are_missing_in_dr(sb, collection):
    markers, dummy = collection
    primary, dr = stores(sb, collection)
    from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
    written = [{"seq": 1, "written_at": now_iso()}]
    primary.write("drill-2", 1, written[0]["written_at"])
    wait_for(lambda: dr.present("drill-2"), lambda got: 1 in got, 15)
    sandbox_cli(sb["state"], "knob", "s3-replication", "--pause")
    try:
        for seq in (2, 3, 4):
            time.sleep(0.2)
            written.append({"seq": seq, "written_at": now_iso()})
            primary.write("drill-2", seq, written[-1]["written_at"])
        time.sleep(1.5)                                    # past the 1 s delay: held, not late
        found = dr.present("drill-2")
        rpo = markers.store_rpo("bucket", DR_BUCKET, drill.parse_written(written), found)
        assert (rpo["present_count"], rpo["missing_seqs"], rpo["rpo_rows"]) == (1, [2, 3, 4], 3)
        assert 0.5 <= rpo["rpo_seconds"] <= 3 and rpo["rpo_basis"] == "newest_present"
    finally:
        sandbox_cli(sb["state"], "knob", "s3-replication", "--resume")
    found, seconds = wait_for(lambda: dr.present("drill-2"), lambda got: len(got) == 4, 15)
    assert sorted(found) == [1, 2, 3, 4]                   # resumed: the held copies went
    assert primary.purge("drill-2") == 4 and dr.purge("drill-2") == 4 and versions_left(sb, "drill-2") == []


def sync(sb, collections_path, since, check=False, diff=False, **extra):
    args = dict({"buckets": [SPEC], "regions": REGIONS, "since": since, "region": PRIMARY}, **extra)
    return run_module(collections_path, sb["env"], "s3_replication_sync", args, check=check, diff=diff, inventory=INVENTORY)


def test_what_the_application_wrote_to_dr_after_a_failover_is_copied_back_once(sb, collections_path, collection):
    markers, dummy = collection
    primary_s3, dr_s3 = sandbox_client(sb, "s3", PRIMARY), sandbox_client(sb, "s3", DR)
    wait_for(lambda: dr_s3.list_objects_v2(Bucket=DR_BUCKET).get("KeyCount", 0), lambda n: n >= 2, 15)  # the seed objects
    since = now_iso()
    time.sleep(1.1)                                        # DR's writes in a later second than the cut
    # The application, failed over, writes to the DR bucket (nothing replicates DR -> primary).
    dr_s3.put_object(Bucket=DR_BUCKET, Key="assets/uploads/new.png", Body=b"png", ContentType="image/png", Metadata={"owner": "web"})
    dr_s3.put_object(Bucket=DR_BUCKET, Key="assets/terms.html", Body=b"<p>terms v2</p>", ContentType="text/html")
    dr_s3.delete_object(Bucket=DR_BUCKET, Key="assets/logo.svg")
    dr_s3.put_object(Bucket=DR_BUCKET, Key=".cloudops-readiness/probe-x", Body=b"p")
    dr_s3.put_object(Bucket=DR_BUCKET, Key="cloudops-drill/run-x/000001", Body=b"m")

    checked = sync(sb, collections_path, since, check=True, diff=True, delete_removed=True)
    assert not checked.get("failed"), checked.get("msg")
    bucket = checked["buckets"][0]
    assert checked["changed"] and (bucket["copied"], bucket["removed"], bucket["deleted"]) == (2, 1, 1)
    assert bucket["keys"] == ["assets/terms.html", "assets/uploads/new.png"] and bucket["removed_keys"] == ["assets/logo.svg"]
    assert sorted(checked["diff"]["after"][BUCKET]) == ["assets/logo.svg", "assets/terms.html", "assets/uploads/new.png"]
    assert checked["diff"]["before"][BUCKET]["assets/uploads/new.png"] == "absent"
    assert primary_s3.get_object(Bucket=BUCKET, Key="assets/terms.html")["Body"].read() == b"<p>terms</p>"  # check mode: nothing

    done = sync(sb, collections_path, since)
    assert not done.get("failed"), done.get("msg")
    assert done["changed"] and done["totals"]["copied"] == 2 and done["totals"]["removed"] == 1 and done["totals"]["deleted"] == 0
    assert done["step_summary"]["detail"].startswith("copied 2 object(s) the DR bucket(s) took since")
    new = primary_s3.get_object(Bucket=BUCKET, Key="assets/uploads/new.png")
    assert new["Body"].read() == b"png" and new["ContentType"] == "image/png" and new["Metadata"]["owner"] == "web"
    assert primary_s3.get_object(Bucket=BUCKET, Key="assets/terms.html")["Body"].read() == b"<p>terms v2</p>"
    assert primary_s3.head_object(Bucket=BUCKET, Key="assets/logo.svg")        # kept: delete_removed false
    for key in (".cloudops-readiness/probe-x", "cloudops-drill/run-x/000001"):  # no application data
        assert primary_s3.list_object_versions(Bucket=BUCKET, Prefix=key).get("Versions") is None

    time.sleep(1.5)                                         # the copies replicate primary -> DR as any put does
    again = sync(sb, collections_path, since)
    assert not again["changed"] and again["totals"]["copied"] == 0 and again["totals"]["already_present"] == 2

    deleting = sync(sb, collections_path, since, delete_removed=True)
    assert deleting["changed"] and deleting["buckets"][0]["deleted_keys"] == ["assets/logo.svg"]
    versions = primary_s3.list_object_versions(Bucket=BUCKET, Prefix="assets/logo.svg")
    assert len(versions["DeleteMarkers"]) == 1 and len(versions["Versions"]) == 1  # a delete marker, the version kept
    last = sync(sb, collections_path, since, delete_removed=True)
    assert not last["changed"] and last["totals"]["already_present"] == 3


def test_a_bad_since_or_missing_region_is_refused_before_any_call(sb, collections_path):
    refused = run_module(collections_path, sb["env"], "s3_replication_sync",
                         {"buckets": [SPEC], "regions": {"primary": PRIMARY}, "since": "yesterday", "region": PRIMARY},
                         inventory=INVENTORY)
    assert refused["failed"] and refused["msg"].startswith("s3_replication_sync refused, nothing copied: buckets[0] (%s) has no "
                                                           "dr_region: give it, or regions.dr" % BUCKET)
    assert "since 'yesterday' is not an ISO 8601 time" in refused["msg"]
