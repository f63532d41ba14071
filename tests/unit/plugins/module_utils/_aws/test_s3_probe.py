# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The readiness probe of a replicated bucket (_aws/s3.probe) on an in-memory S3: written once even when its response
is lost, its trip measured, and every version of it deleted on both sides, arrived or not."""

from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common, s3

LOST = botocore.exceptions.ConnectionClosedError(endpoint_url="https://aws.example/")
RULE = {"ID": "dr", "Status": "Enabled", "Filter": {"Prefix": "assets/"}, "Destination": {"Bucket": "arn:aws:s3:::b-dr"}}


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(common.time, "sleep", lambda seconds: None)


class Module(object):
    def fail_json_aws(self, e, msg, **kwargs):
        raise AssertionError("failed: %s (%s)" % (msg, e))


def missing(operation):
    return botocore.exceptions.ClientError({"Error": {"Code": "404"}, "ResponseMetadata": {"HTTPStatusCode": 404}}, operation)


class Bucket(object):
    """One versioned bucket: {key: [version ids]}; `replica` receives each put at once unless paused."""

    def __init__(self, name, replica=None, lose_put=0):
        self.name, self.replica, self.lose_put, self.objects, self.puts, self.n = name, replica, lose_put, {}, 0, 0

    def put_object(self, Bucket, Key, Body, Metadata):
        self.puts += 1
        self.n += 1
        version = "v%d" % self.n
        self.objects.setdefault(Key, []).append(version)
        if self.replica is not None:
            self.replica.objects.setdefault(Key, []).append(version)
        if self.lose_put:
            self.lose_put -= 1
            raise LOST
        return {"VersionId": version}

    def head_object(self, Bucket, Key, VersionId=None):
        versions = self.objects.get(Key) or []
        if not versions or (VersionId and VersionId not in versions):
            raise missing("HeadObject")
        return {"VersionId": VersionId or versions[-1], "ReplicationStatus": "COMPLETED" if self.replica is not None else "PENDING"}

    def list_object_versions(self, Bucket, Prefix):
        return {"Versions": [{"Key": k, "VersionId": v} for k, vs in self.objects.items() if k.startswith(Prefix) for v in vs]}

    def delete_object(self, Bucket, Key, VersionId):
        self.objects[Key].remove(VersionId)
        if not self.objects[Key]:
            del self.objects[Key]
        return {}


def wrap(raw):
    return RetryingBotoClientWrapper(raw, common.CloudopsRetry.policy())


def test_an_arriving_probe_is_measured_and_deleted_on_both_sides():
    dr = Bucket("b-dr")
    src = Bucket("b", replica=dr)
    found = s3.probe(Module(), (wrap(src), "b"), (wrap(dr), "b-dr"), RULE, 5, token="t1")
    assert found["key"] == "assets/.cloudops-readiness/probe-t1"
    assert found["arrived"] and found["seconds"] is not None and found["status"] == "COMPLETED"
    assert found["cleaned"] == 2 and src.objects == {} and dr.objects == {}


def test_a_lost_put_is_not_sent_twice_and_a_probe_that_never_arrives_is_still_deleted():
    dr = Bucket("b-dr")
    src = Bucket("b", lose_put=1)  # replication paused: nothing reaches dr
    found = s3.probe(Module(), (wrap(src), "b"), (wrap(dr), "b-dr"), RULE, 0, token="t2")
    assert src.puts == 1 and not found["arrived"] and found["status"] == "PENDING" and found["seconds"] is None
    assert found["cleaned"] == 1 and src.objects == {} and dr.objects == {}
