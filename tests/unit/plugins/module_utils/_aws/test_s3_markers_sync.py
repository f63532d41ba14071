# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 adapters of issue 20 item 3 on a small versioned S3 of the test's own: the drill markers (_aws/s3_markers:
write, present, purge of every version, errors naming the bucket) and the failback's copy back (_aws/s3_sync), each
write sent once when its response is lost."""

from __future__ import annotations

import datetime
import itertools

import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers as markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common, s3_markers, s3_sync

LOST = botocore.exceptions.ConnectionClosedError(endpoint_url="https://aws.example/")
UTC = datetime.timezone.utc
T0 = datetime.datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(common.time, "sleep", lambda seconds: None)


def client_error(code, operation, status=400):
    return botocore.exceptions.ClientError({"Error": {"Code": code, "Message": code}, "ResponseMetadata": {"HTTPStatusCode": status}},
                                           operation)


class Pages(object):
    def __init__(self, call, params):
        self.call, self.params = call, params

    def paginate(self, **params):
        self.params = params
        return self

    def build_full_result(self):
        return self.call(**self.params)


class S3(object):
    """Versioned buckets {name: {key: [version dicts, newest last]}} shared by the clients of every region; `lose`:
    {operation: how many responses to lose (the request applied)}."""

    def __init__(self, *buckets):
        self.buckets = dict((name, {}) for name in buckets)
        self.n = itertools.count(1)
        self.clock = itertools.count(1)
        self.lose, self.calls = {}, []

    def _bucket(self, name, operation):
        if name not in self.buckets:
            raise client_error("NoSuchBucket", operation, 404)
        return self.buckets[name]

    def _lost(self, operation):
        if self.lose.get(operation):
            self.lose[operation] -= 1
            raise LOST

    def add(self, bucket, key, body=b"x", metadata=None, deleted=False, when=None, **headers):
        vid = "v%d" % next(self.n)
        when = when or T0 + datetime.timedelta(seconds=next(self.clock))
        self.buckets[bucket].setdefault(key, []).append(dict(
            VersionId=vid, Body=body, Metadata=dict(metadata or {}), deleted=deleted, LastModified=when,
            ETag='"%s"' % (abs(hash(body)) if not deleted else ""), **headers))
        return vid

    # -- the calls ------------------------------------------------------------------------------------------------
    def get_paginator(self, operation):
        return Pages(getattr(self, operation), {})

    def put_object(self, Bucket, Key, Body, ContentType=None, Metadata=None):
        self.calls.append("put_object")
        self._bucket(Bucket, "PutObject")
        vid = self.add(Bucket, Key, Body, Metadata, ContentType=ContentType)
        self._lost("put_object")
        return {"VersionId": vid}

    def head_object(self, Bucket, Key, VersionId=None):
        versions = self._bucket(Bucket, "HeadObject").get(Key) or []
        found = [v for v in versions if v["VersionId"] == VersionId] if VersionId else versions[-1:]
        if not found or found[0]["deleted"]:
            raise client_error("404", "HeadObject", 404)
        v = found[0]
        return dict((k, v[k]) for k in v if k not in ("Body", "deleted"))

    def list_objects_v2(self, Bucket, Prefix=""):
        items = self._bucket(Bucket, "ListObjectsV2")
        return {"Contents": [{"Key": k} for k, vs in sorted(items.items()) if k.startswith(Prefix) and not vs[-1]["deleted"]]}

    def list_object_versions(self, Bucket, Prefix=""):
        out = {"Versions": [], "DeleteMarkers": []}
        for key, versions in sorted(self._bucket(Bucket, "ListObjectVersions").items()):
            if key.startswith(Prefix):
                for index, v in enumerate(versions):
                    entry = {"Key": key, "VersionId": v["VersionId"], "LastModified": v["LastModified"], "IsLatest": index == len(versions) - 1}
                    if v["deleted"]:
                        out["DeleteMarkers"].append(entry)
                    else:
                        out["Versions"].append(dict(entry, ETag=v["ETag"], Size=len(v["Body"])))
        return out

    def delete_objects(self, Bucket, Delete):
        self.calls.append("delete_objects")
        items = self._bucket(Bucket, "DeleteObjects")
        for obj in Delete["Objects"]:
            versions = items.get(obj["Key"]) or []
            versions[:] = [v for v in versions if v["VersionId"] != obj["VersionId"]]
            if not versions:
                items.pop(obj["Key"], None)
        self._lost("delete_objects")
        return {}

    def delete_object(self, Bucket, Key):
        self.calls.append("delete_object")
        self.add(Bucket, Key, b"", deleted=True)
        self._lost("delete_object")
        return {}

    def copy_object(self, Bucket, Key, CopySource, MetadataDirective, Metadata, TaggingDirective, **headers):
        self.calls.append("copy_object")
        source = self.head_object(CopySource["Bucket"], CopySource["Key"], CopySource["VersionId"])
        body = [v for v in self.buckets[CopySource["Bucket"]][CopySource["Key"]] if v["VersionId"] == CopySource["VersionId"]][0]["Body"]
        vid = self.add(Bucket, Key, body, Metadata, **headers)
        assert MetadataDirective == "REPLACE" and TaggingDirective == "COPY" and source
        self._lost("copy_object")
        return {"VersionId": vid}


def wrap(raw):
    return RetryingBotoClientWrapper(raw, common.CloudopsRetry.policy())


class Module(object):
    params = {}

    def fail_json_aws(self, e, msg, **kwargs):
        raise AssertionError("failed: %s (%s)" % (msg, e))


SPEC = {"name": "b", "dr_name": "b-dr", "prefix": "assets/"}
REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}


def test_each_side_names_its_bucket_and_region_and_a_missing_one_says_what_to_set(monkeypatch):
    s3 = S3("b", "b-dr")
    monkeypatch.setattr(s3_markers, "client", lambda module, service, region: (service, region))
    assert [(m.resource, m.conn) for m in s3_markers.stores(Module(), [SPEC, dict(SPEC, name="c", dr_name="c-dr", dr_region="eu-west-1")],
                                                            "dr", REGIONS)] == [("b-dr", ("s3", "us-west-2")), ("c-dr", ("s3", "eu-west-1"))]
    assert s3_markers.BucketMarkers(Module(), SPEC, "primary", REGIONS, conn=wrap(s3)).resource == "b"
    dr = s3_markers.BucketMarkers(Module(), dict(SPEC, dr_region="eu-west-1"), "dr", REGIONS, conn=wrap(s3))
    assert (dr.kind, dr.resource, dr.region) == ("bucket", "b-dr", "eu-west-1")
    with pytest.raises(markers.StoreError, match=r"bucket b-dr: no region: set cloudops_buckets\[\].dr_region or cloudops_regions.dr"):
        s3_markers.BucketMarkers(Module(), SPEC, "dr", {"primary": "us-east-1"}, conn=wrap(s3))
    with pytest.raises(markers.StoreError, match="side must be one of primary, dr"):
        s3_markers.BucketMarkers(Module(), SPEC, "secondary", REGIONS, conn=wrap(s3))


def test_markers_are_written_once_under_the_prefix_found_and_every_version_purged():
    s3 = S3("b", "b-dr")
    store = s3_markers.BucketMarkers(Module(), SPEC, "primary", REGIONS, conn=wrap(s3))
    s3.lose["put_object"] = 1
    store.write("run-1", 1, "2026-12-07T01:00:01.000Z")          # the response lost: asked, not sent again
    store.write("run-1", 2, "2026-12-07T01:00:02.000Z")
    store.write("run-1", 2, "2026-12-07T01:00:02.500Z")          # a second version of the same key
    store.write("run-2", 1, "2026-12-07T01:00:03.000Z")
    assert s3.calls.count("put_object") == 3 + 1 - 0 and sorted(s3.buckets["b"]) == [
        "assets/cloudops-drill/run-1/000001", "assets/cloudops-drill/run-1/000002", "assets/cloudops-drill/run-2/000001"]
    assert len(s3.buckets["b"]["assets/cloudops-drill/run-1/000001"]) == 1
    assert s3.head_object("b", "assets/cloudops-drill/run-1/000002")["Metadata"] == {"written-at": "2026-12-07T01:00:02.500Z"}
    s3.add("b", "assets/cloudops-drill/run-1/notes.txt")        # not a marker: ignored
    assert store.present("run-1") == {1: None, 2: None}
    s3.lose["delete_objects"] = 1
    assert store.purge("run-1") == 4                              # 3 versions of markers + the stray object
    assert sorted(s3.buckets["b"]) == ["assets/cloudops-drill/run-2/000001"] and store.present("run-1") == {}
    assert store.purge("run-1") == 0


def test_store_errors_name_the_bucket_the_side_and_what_to_check():
    store = s3_markers.BucketMarkers(Module(), SPEC, "dr", REGIONS, conn=wrap(S3("b")))
    with pytest.raises(markers.StoreError) as e:
        store.present("run-1")
    assert str(e.value) == ("bucket b-dr (dr): could not list the drill markers under assets/cloudops-drill/run-1/: the bucket does not "
                            "exist in us-west-2: check cloudops_buckets (dr_name, dr_region) and its region")

    class Denied(S3):
        def put_object(self, **kwargs):
            raise client_error("AccessDenied", "PutObject", 403)

    class Elsewhere(S3):
        def list_objects_v2(self, **kwargs):
            raise client_error("PermanentRedirect", "ListObjectsV2", 301)

    store = s3_markers.BucketMarkers(Module(), dict(SPEC, region="eu-west-1"), "primary", REGIONS, conn=wrap(Elsewhere("b")))
    with pytest.raises(markers.StoreError, match=r"bucket b \(primary\): could not list .*: it is not in eu-west-1 \(PermanentRedirect\): "
                                                 r"check cloudops_buckets \(region\) or cloudops_regions.primary"):
        store.present("r")

    store = s3_markers.BucketMarkers(Module(), SPEC, "primary", REGIONS, conn=wrap(Denied("b")))
    with pytest.raises(markers.StoreError, match=r"bucket b \(primary\): could not write drill marker assets/cloudops-drill/r/000003: "
                                                 r"access denied \(AccessDenied\): the runbook's credentials need s3:PutObject on it"):
        store.write("r", 3, "2026-12-07T01:00:01Z")


def sync(s3, since, delete_removed=False, check_mode=False, spec=None):
    return s3_sync.sync_bucket(Module(), spec or SPEC, REGIONS, since, delete_removed, check_mode, conns=(wrap(s3), wrap(s3)))


def test_what_dr_took_since_the_cut_is_copied_back_once_and_a_second_run_copies_nothing():
    s3 = S3("b", "b-dr")
    s3.add("b", "assets/old.txt", b"old")                        # before the cut, both sides
    s3.add("b-dr", "assets/old.txt", b"old")
    s3.add("b", "assets/page.html", b"v1")                        # changed in DR after the cut
    cut = T0 + datetime.timedelta(seconds=100)
    s3.add("b-dr", "assets/page.html", b"v2", {"owner": "web"}, when=cut + datetime.timedelta(seconds=5), ContentType="text/html")
    s3.add("b-dr", "assets/new.png", b"png", when=cut + datetime.timedelta(seconds=6))
    s3.add("b-dr", "assets/.cloudops-readiness/probe-1", b"p", when=cut + datetime.timedelta(seconds=7))
    s3.add("b-dr", "assets/cloudops-drill/r/000001", b"m", when=cut + datetime.timedelta(seconds=7))
    s3.add("b-dr", "other/outside-prefix", b"o", when=cut + datetime.timedelta(seconds=7))
    s3.add("b", "assets/gone.txt", b"g")
    s3.add("b-dr", "assets/gone.txt", b"", deleted=True, when=cut + datetime.timedelta(seconds=8))

    result, decisions, deleted = sync(s3, cut, check_mode=True)
    assert (result["copied"], result["already_present"], result["removed"], result["deleted"]) == (2, 0, 1, 0)
    assert "copy_object" not in s3.calls and result["keys"] == ["assets/new.png", "assets/page.html"]

    s3.lose["copy_object"] = 1
    result, decisions, deleted = sync(s3, cut)
    assert (result["examined"], result["copied"], result["removed"], result["removed_keys"]) == (3, 2, 1, ["assets/gone.txt"])
    assert s3.calls.count("copy_object") == 2                   # the lost one was not sent again
    page = s3.head_object("b", "assets/page.html")
    assert page["Metadata"] == {"owner": "web", "cloudops-synced-from": decisions[2][0]["version_id"]}
    assert page["ContentType"] == "text/html"
    assert s3.head_object("b", "assets/gone.txt")                 # kept: delete_removed false

    again, dummy, dummy2 = sync(s3, cut)
    assert (again["copied"], again["already_present"], again["removed"]) == (0, 2, 1) and s3.calls.count("copy_object") == 2

    s3.lose["delete_object"] = 1
    result, dummy, deleted = sync(s3, cut, delete_removed=True)
    assert deleted == ["assets/gone.txt"] and s3.calls.count("delete_object") == 1
    assert len(s3.buckets["b"]["assets/gone.txt"]) == 2           # a delete marker over the kept version
    last, dummy, dummy2 = sync(s3, cut, delete_removed=True)
    assert (last["copied"], last["deleted"], last["already_present"]) == (0, 0, 3)


def test_a_missing_dr_bucket_fails_naming_it_and_the_permission():
    with pytest.raises(AssertionError, match=r"Could not list the versions of DR bucket b-dr \(us-west-2\): check cloudops_buckets"):
        sync(S3("b"), T0)
