"""S3 cross-region replication in the sandbox (sandbox/s3replication.py), in this process on moto's in-memory S3: new
versions are copied to the destination bucket after the delay, ReplicationStatus PENDING/COMPLETED/FAILED on the
source and REPLICA on the copy, a pause holds every copy, rules' prefixes and priorities. (The daemon-side seeding and
the knob are covered by test_cache_sandbox.py.)"""
import time

import boto3
import pytest
from botocore.exceptions import ClientError
from moto import mock_aws

from sandbox import s3replication

DELAY = 0.3
ROLE = "arn:aws:iam::123456789012:role/crr"


@pytest.fixture(scope="module")
def replicator():
    rep = s3replication.install(DELAY)
    yield rep
    rep.reset()


@pytest.fixture
def s3(replicator):
    replicator.reset()
    replicator.configure(delay_seconds=DELAY, paused=False)
    with mock_aws():
        east = boto3.client("s3", region_name="us-east-1")
        west = boto3.client("s3", region_name="us-west-2")
        east.create_bucket(Bucket="src")
        west.create_bucket(Bucket="dst", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        west.create_bucket(Bucket="dst-logs", CreateBucketConfiguration={"LocationConstraint": "us-west-2"})
        for client, name in ((east, "src"), (west, "dst"), (west, "dst-logs")):
            client.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
        yield east, west
    replicator.configure(paused=False)


def rule(dest, prefix="", priority=1, status="Enabled"):
    return {"ID": f"to-{dest}-{priority}", "Priority": priority, "Status": status, "Filter": {"Prefix": prefix},
            "DeleteMarkerReplication": {"Status": "Disabled"}, "Destination": {"Bucket": f"arn:aws:s3:::{dest}"}}


def wait_status(client, bucket, key, want, timeout=5.0):
    deadline = time.monotonic() + timeout
    while True:
        status = client.head_object(Bucket=bucket, Key=key).get("ReplicationStatus")
        if status == want or time.monotonic() > deadline:
            return status
        time.sleep(0.05)


def missing(client, bucket, key):
    with pytest.raises(ClientError) as err:
        client.head_object(Bucket=bucket, Key=key)
    return err.value.response["Error"]["Code"] in ("404", "NoSuchKey")


def test_a_new_version_is_copied_after_the_delay(s3):
    east, west = s3
    east.put_bucket_replication(Bucket="src", ReplicationConfiguration={"Role": ROLE, "Rules": [rule("dst")]})
    version = east.put_object(Bucket="src", Key="a/k1", Body=b"hello", ContentType="text/plain",
                              Metadata={"owner": "shop"})["VersionId"]
    assert east.head_object(Bucket="src", Key="a/k1")["ReplicationStatus"] == "PENDING"
    assert missing(west, "dst", "a/k1")  # not before the delay
    assert wait_status(east, "src", "a/k1", "COMPLETED") == "COMPLETED"
    copy = west.get_object(Bucket="dst", Key="a/k1")
    assert copy["ReplicationStatus"] == "REPLICA"
    assert copy["VersionId"] == version  # S3 keeps the version id
    assert copy["Body"].read() == b"hello" and copy["Metadata"] == {"owner": "shop"}
    assert east.get_object(Bucket="src", Key="a/k1")["ReplicationStatus"] == "COMPLETED"


def test_pause_holds_the_copies_and_resume_sends_them(s3, replicator):
    east, west = s3
    with_metrics = {**rule("dst"), "Destination": {"Bucket": "arn:aws:s3:::dst", "Metrics": {"Status": "Enabled"}}}
    east.put_bucket_replication(Bucket="src", ReplicationConfiguration={"Role": ROLE, "Rules": [with_metrics]})
    replicator.configure(paused=True)
    east.put_object(Bucket="src", Key="held", Body=b"1")
    time.sleep(DELAY * 3)
    assert east.head_object(Bucket="src", Key="held")["ReplicationStatus"] == "PENDING"
    assert missing(west, "dst", "held")  # what a region failover would not find
    state = replicator.state()
    assert state["paused"] and [p["key"] for p in state["pending"]] == ["held"]
    assert state["oldest_pending_age_seconds"] >= DELAY * 2
    [metrics] = replicator.metrics()  # what the daemon's ticker publishes in AWS/S3
    assert (metrics["source_bucket"], metrics["destination_bucket"], metrics["region"]) == ("src", "dst", "us-east-1")
    assert metrics["OperationsPendingReplication"] == 1 and metrics["BytesPendingReplication"] == 1
    assert metrics["ReplicationLatency"] >= DELAY * 2
    replicator.configure(paused=False)
    assert wait_status(east, "src", "held", "COMPLETED") == "COMPLETED"
    assert west.head_object(Bucket="dst", Key="held")["ReplicationStatus"] == "REPLICA"
    [metrics] = replicator.metrics()
    assert metrics["OperationsPendingReplication"] == 0 and metrics["ReplicationLatency"] >= DELAY * 2


def test_no_rule_no_status_and_failed_without_versioning(s3):
    east, west = s3
    east.put_object(Bucket="src", Key="plain", Body=b"1")
    assert "ReplicationStatus" not in east.head_object(Bucket="src", Key="plain")
    east.put_bucket_replication(Bucket="src", ReplicationConfiguration={"Role": ROLE, "Rules": [rule("dst")]})
    west.put_bucket_versioning(Bucket="dst", VersioningConfiguration={"Status": "Suspended"})
    east.put_object(Bucket="src", Key="k", Body=b"1")
    assert wait_status(east, "src", "k", "FAILED") == "FAILED"
    assert missing(west, "dst", "k")
    assert replicator_state_failed() == 1


def replicator_state_failed():
    return s3replication.INSTALLED["replicator"].state()["failed"]


def test_prefix_and_priority_choose_the_destination(s3):
    east, west = s3
    east.put_bucket_replication(Bucket="src", ReplicationConfiguration={"Role": ROLE, "Rules": [
        rule("dst", prefix="assets/", priority=1), rule("dst-logs", prefix="assets/logs/", priority=2),
        rule("dst", prefix="tmp/", priority=3, status="Disabled")]})
    east.put_object(Bucket="src", Key="assets/logo.svg", Body=b"<svg/>")
    east.put_object(Bucket="src", Key="assets/logs/today", Body=b"log")
    east.put_object(Bucket="src", Key="tmp/scratch", Body=b"x")
    assert wait_status(east, "src", "assets/logo.svg", "COMPLETED") == "COMPLETED"
    assert wait_status(east, "src", "assets/logs/today", "COMPLETED") == "COMPLETED"
    assert west.head_object(Bucket="dst", Key="assets/logo.svg")["ReplicationStatus"] == "REPLICA"
    assert west.head_object(Bucket="dst-logs", Key="assets/logs/today")["ReplicationStatus"] == "REPLICA"
    assert missing(west, "dst", "assets/logs/today")
    assert "ReplicationStatus" not in east.head_object(Bucket="src", Key="tmp/scratch")  # disabled rule
