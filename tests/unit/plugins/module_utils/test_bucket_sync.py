# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""bucket_sync: what a primary bucket gets back from its DR copy before a failback (s3_replication_sync's decisions)."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import bucket_sync

UTC = datetime.timezone.utc
CUT = datetime.datetime(2026, 12, 7, 1, 15, 0, 400000, tzinfo=UTC)
SPEC = {"name": "b", "dr_name": "b-dr", "prefix": ""}


def at(seconds):
    return CUT.replace(microsecond=0) + datetime.timedelta(seconds=seconds)


def version(key, vid, seconds, etag='"e1"', size=10, latest=True):
    return {"Key": key, "VersionId": vid, "LastModified": at(seconds), "ETag": etag, "Size": size, "IsLatest": latest}


def marker(key, vid, seconds, latest=True):
    return {"Key": key, "VersionId": vid, "LastModified": at(seconds), "IsLatest": latest}


def test_since_is_read_as_utc_and_a_time_to_come_or_garbage_is_refused_naming_since():
    later = CUT + datetime.timedelta(hours=1)
    assert bucket_sync.parse_since("2026-12-07T01:15:00Z", now=later) == datetime.datetime(2026, 12, 7, 1, 15, tzinfo=UTC)
    assert bucket_sync.parse_since("2026-12-07T02:15:00+01:00", now=later) == datetime.datetime(2026, 12, 7, 1, 15, tzinfo=UTC)
    assert bucket_sync.parse_since("2026-12-07T01:15:00", now=later) == datetime.datetime(2026, 12, 7, 1, 15, tzinfo=UTC)
    assert bucket_sync.parse_since("2026-12-07T01:15:30Z", now=CUT)  # a clock a little ahead is no future
    with pytest.raises(bucket_sync.SyncError, match="since 'yesterday' is not an ISO 8601 time"):
        bucket_sync.parse_since("yesterday")
    with pytest.raises(bucket_sync.SyncError, match="since is required"):
        bucket_sync.parse_since("  ")
    with pytest.raises(bucket_sync.SyncError, match="is in the future"):
        bucket_sync.parse_since("2026-12-07T03:00:00Z", now=CUT)
    assert bucket_sync.iso(CUT) == "2026-12-07T01:15:00.400000Z" and bucket_sync.iso(at(0)) == "2026-12-07T01:15:00Z"


def test_each_bucket_needs_both_regions_given_or_from_regions():
    buckets = [{"name": "a", "dr_name": "a-dr"}, {"name": "b", "dr_name": "b-dr", "region": "eu-west-1", "dr_region": "eu-central-1"}]
    assert bucket_sync.region_problems(buckets, {"primary": "us-east-1", "dr": "us-west-2"}) == []
    assert bucket_sync.region_problems(buckets, {"primary": "us-east-1"}) == [
        "buckets[0] (a) has no dr_region: give it, or regions.dr (cloudops_regions.dr)."]


def test_probes_and_drill_markers_are_no_application_data():
    assert bucket_sync.skipped(".cloudops-readiness/probe-1")
    assert bucket_sync.skipped("assets/.cloudops-readiness/probe-1", "assets/img/")  # the rule's prefix may be shorter
    assert bucket_sync.skipped("cloudops-drill/run-1/000001")
    assert bucket_sync.skipped("assets/cloudops-drill/run-1/000001", "assets/")
    assert not bucket_sync.skipped("img/cloudops-drill.png") and not bucket_sync.skipped("x.cloudops-readiness/probe")


def test_the_newest_entry_of_each_key_written_at_or_after_the_cut_second():
    listing = {"Versions": [version("a", "a2", 5), version("a", "a1", -60, latest=False), version("old", "o1", -1),
                            version("same-second", "s1", 0), version("x/.cloudops-readiness/probe-1", "p1", 3),
                            version("cloudops-drill/r/000001", "m1", 3), version("gone", "g1", -30, latest=False)],
               "DeleteMarkers": [marker("gone", "g2", 7)]}
    newest = bucket_sync.latest(listing)
    assert newest["gone"]["deleted"] and newest["gone"]["etag"] is None and newest["a"]["version_id"] == "a2"
    assert [e["key"] for e in bucket_sync.changed_since(newest, CUT)] == ["a", "gone", "same-second"]
    assert [e["key"] for e in bucket_sync.changed_since(newest, CUT, "g")] == ["gone"]


def primary(vid="p1", seconds=-100, etag='"old"', synced=None):
    return bucket_sync.head_entry({"VersionId": vid, "ETag": etag, "LastModified": at(seconds),
                                   "Metadata": {bucket_sync.SYNC_META: synced} if synced else {}})


@pytest.mark.parametrize("dr, prim, verdict", [
    (version("k", "d1", 5), None, bucket_sync.COPY),                                # the primary never had it
    (version("k", "d1", 5), primary(), bucket_sync.COPY),                           # an older, different version
    (version("k", "d1", 5), primary(vid="d1", etag='"x"'), bucket_sync.PRESENT),    # a CRR replica keeps the version id
    (version("k", "d1", 5), primary(synced="d1", seconds=50), bucket_sync.PRESENT),  # this module's copy (KMS: new ETag)
    (version("k", "d1", 5, etag='"e1"'), primary(etag='"e1"'), bucket_sync.PRESENT),  # the same content
    (version("k", "d1", 5), primary(seconds=50), bucket_sync.CONFLICT),             # written in the primary after DR's
    (version("k", "d1", 5, size=6 * 1024 ** 3), None, bucket_sync.TOO_LARGE),
    (bucket_sync.latest({"DeleteMarkers": [marker("k", "m", 5)]})["k"], primary(), bucket_sync.REMOVED),
    (bucket_sync.latest({"DeleteMarkers": [marker("k", "m", 5)]})["k"], None, bucket_sync.PRESENT),
    (bucket_sync.latest({"DeleteMarkers": [marker("k", "m", 5)]})["k"], primary(seconds=50), bucket_sync.CONFLICT),
])
def test_judge(dr, prim, verdict):
    dr = bucket_sync.latest({"Versions": [dr]})["k"] if "Key" in dr else dr
    assert bucket_sync.judge(dr, prim) == verdict


def test_a_copy_keeps_metadata_and_content_headers_and_names_its_dr_version():
    head = {"Metadata": {"owner": "web"}, "ContentType": "image/png", "CacheControl": "", "ETag": '"e"'}
    params = bucket_sync.copy_request("b", "img/a.png", "b-dr", "d1", head)
    assert params == {"Bucket": "b", "Key": "img/a.png", "CopySource": {"Bucket": "b-dr", "Key": "img/a.png", "VersionId": "d1"},
                      "MetadataDirective": "REPLACE", "Metadata": {"owner": "web", "cloudops-synced-from": "d1"},
                      "TaggingDirective": "COPY", "ContentType": "image/png"}
    assert bucket_sync.copy_applied(primary(synced="d1"), "d1") and not bucket_sync.copy_applied(primary(), "d1")
    assert not bucket_sync.copy_applied(None, "d1")


def decided():
    new = bucket_sync.latest({"Versions": [version("n%02d" % i, "v%d" % i, 5) for i in range(25)] + [version("same", "s", 5)],
                              "DeleteMarkers": [marker("del", "m", 5)]})
    decisions = [(new["n%02d" % i], bucket_sync.COPY, None) for i in range(25)]
    decisions += [(new["same"], bucket_sync.PRESENT, primary(vid="s")), (new["del"], bucket_sync.REMOVED, primary())]
    return decisions


def test_a_bucket_result_counts_and_lists_the_first_20_keys_and_the_summary_says_what_happened():
    result = bucket_sync.bucket_result(SPEC, ("us-east-1", "us-west-2"), decided(), [], False)
    assert {k: result[k] for k in ("bucket", "dr_bucket", "region", "dr_region", "examined", "copied", "already_present", "removed",
                                   "deleted", "conflicts", "too_large")} == {
        "bucket": "b", "dr_bucket": "b-dr", "region": "us-east-1", "dr_region": "us-west-2", "examined": 27, "copied": 25,
        "already_present": 1, "removed": 1, "deleted": 0, "conflicts": 0, "too_large": 0}
    assert result["keys"] == ["n%02d" % i for i in range(20)] and result["removed_keys"] == ["del"]
    total = bucket_sync.totals([result])
    assert total == {"buckets": 1, "examined": 27, "copied": 25, "already_present": 1, "removed": 1, "deleted": 0, "conflicts": 0,
                     "too_large": 0}
    summary = bucket_sync.step_summary([result], total, CUT)
    assert summary["detail"] == ("copied 25 object(s) the DR bucket(s) took since 2026-12-07T01:15:00.400000Z back to 1 primary "
                                 "bucket(s); 1 already there; 1 deleted in DR, kept in the primary (delete_removed false)")
    assert summary["measures"]["copied"] == 25 and summary["gates"][0]["name"] == "bucket sync b"
    assert summary["gates"][0]["passed"] is None and summary["gates"][0]["numbers"]["removed"] == 1
    check = bucket_sync.step_summary([bucket_sync.bucket_result(SPEC, ("r", "d"), decided(), ["del"], True)],
                                     bucket_sync.totals([bucket_sync.bucket_result(SPEC, ("r", "d"), decided(), ["del"], True)]), CUT, True)
    assert check["detail"].startswith("would copy 25") and check["detail"].endswith("1 deleted in DR, 1 would be deleted in the primary")
    assert bucket_sync.fail_message([result]) == ""


def test_conflicts_fail_the_bucket_gate_and_too_large_fails_the_run_naming_the_keys():
    new = bucket_sync.latest({"Versions": [version("c", "c1", 5), version("big", "b1", 5, size=6 * 1024 ** 3)]})
    result = bucket_sync.bucket_result(SPEC, ("r", "d"), [(new["c"], bucket_sync.CONFLICT, primary(seconds=60)),
                                                          (new["big"], bucket_sync.TOO_LARGE, None)], [], False)
    summary = bucket_sync.step_summary([result], bucket_sync.totals([result]), CUT)
    assert summary["gates"][0]["passed"] is False
    assert summary["detail"].endswith("1 newer in the primary, left as they are; 1 over 5 GiB not copied")
    assert bucket_sync.fail_message([result]).startswith("Objects over 5 GiB (CopyObject's limit) were not copied from DR to the "
                                                         "primary: b: big.")


def test_the_diff_shows_each_key_changed_before_and_after():
    decisions = decided()
    result = bucket_sync.bucket_result(SPEC, ("r", "d"), decisions, ["del"], True)
    out = bucket_sync.diff([(result, decisions, ["del"])])
    assert out["before"]["b"]["n00"] == "absent" and out["after"]["b"]["n00"] == "copy of b-dr version v0"
    assert out["before"]["b"]["del"] == "version p1 (2026-12-07T01:13:20Z)" and out["after"]["b"]["del"].startswith("deleted")
    assert "same" not in out["before"]["b"]
    assert bucket_sync.diff([(bucket_sync.bucket_result(SPEC, ("r", "d"), [], [], False), [], [])]) == {"before": {}, "after": {}}
