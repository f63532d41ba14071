# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""S3 reads of a bucket's replication to DR, and the readiness probe: one object written into the source bucket,
waited for in the DR bucket, then deleted on both sides (every version of its key). state_stores.bucket_findings
judges what this reads."""

from __future__ import annotations

import time
import uuid

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code

from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client

PROBE_META = "cloudops-readiness-probe"
NOT_FOUND = ("404", "NoSuchKey", "NoSuchVersion", "NotFound")


def versioning_status(module, conn, bucket):
    """The bucket's versioning Status: Enabled / Suspended, '' when never enabled, None when the bucket does not exist."""
    try:
        return conn.get_bucket_versioning(Bucket=bucket, aws_retry=True).get("Status") or ""
    except is_boto3_error_code("NoSuchBucket"):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not read the versioning of bucket %s: check cloudops_buckets, its region and "
                             "s3:GetBucketVersioning permission" % bucket)
    return None


def replication_configuration(module, conn, bucket):
    """The bucket's ReplicationConfiguration, or None when it has none."""
    try:
        return conn.get_bucket_replication(Bucket=bucket, aws_retry=True).get("ReplicationConfiguration")
    except is_boto3_error_code(["ReplicationConfigurationNotFoundError", "NoSuchBucket"]):
        return None
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:  # pylint: disable=duplicate-except
        module.fail_json_aws(e, msg="Could not read the replication configuration of bucket %s: check "
                             "s3:GetReplicationConfiguration permission" % bucket)
    return None


def head_object(conn, bucket, key, version_id=None):
    """head_object's answer, or None when the key (version) is not there (its current version may be a delete marker)."""
    params = dict(Bucket=bucket, Key=key, aws_retry=True)
    if version_id:
        params["VersionId"] = version_id
    try:
        return conn.head_object(**params)
    except botocore.exceptions.ClientError as e:
        if e.response.get("Error", {}).get("Code") in NOT_FOUND:
            return None
        raise


def _versions(conn, bucket, key):
    """[(key, version id)] of every version and delete marker of exactly that key."""
    found = conn.list_object_versions(Bucket=bucket, Prefix=key, aws_retry=True)
    return [(item["Key"], item["VersionId"]) for item in (found.get("Versions") or []) + (found.get("DeleteMarkers") or [])
            if item.get("Key") == key]


def remove_key(conn, bucket, key):
    """Delete every version of the key (a probe leaves nothing behind, not even a delete marker). Returns how many."""
    removed = 0
    for name, version in _versions(conn, bucket, key):
        apply(conn.delete_object, dict(Bucket=bucket, Key=name, VersionId=version),
              lambda name=name, version=version: None if (name, version) in _versions(conn, bucket, name) else {})
        removed += 1
    return removed


def probe(module, source, target, rule, budget, token=None):
    """Write a probe object into the source bucket, wait up to budget seconds for it in the DR bucket, delete it on
    both sides. source/target: (client, bucket). {key, version_id, arrived, seconds (from the put to its first sight in
    DR), waited_seconds, status (the source's ReplicationStatus at the end), cleaned: versions deleted}."""
    (src, bucket), (dst, dr_bucket) = source, target
    token = token or uuid.uuid4().hex[:16]
    key = state_stores.probe_key(rule, token)
    result = {"key": key, "version_id": None, "arrived": False, "seconds": None, "waited_seconds": None, "status": None, "cleaned": 0}
    try:
        try:
            put = apply(src.put_object, dict(Bucket=bucket, Key=key, Body=token.encode("ascii"), Metadata={PROBE_META: token}),
                        lambda: head_object(src, bucket, key))
            started = time.monotonic()
            result["version_id"] = put.get("VersionId")
            outcome = waiting.poll_until(lambda: head_object(dst, dr_bucket, key, result["version_id"]), lambda found: found is not None,
                                         budget, delays=waiting.backoff(start=0.25, factor=1.5, cap=2.0))
            result["waited_seconds"] = round(time.monotonic() - started, 3)
            result["arrived"] = outcome["done"]
            if outcome["done"]:
                result["seconds"] = outcome["elapsed"]
            head = head_object(src, bucket, key, result["version_id"]) or {}
            result["status"] = head.get("ReplicationStatus")
        finally:
            if result["version_id"] is not None or head_object(src, bucket, key) is not None:
                result["cleaned"] = remove_key(src, bucket, key) + remove_key(dst, dr_bucket, key)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="The readiness probe %s (written into %s, waited for in %s, then deleted on both) failed: check "
                             "s3:PutObject, s3:GetObject, s3:ListBucketVersions and s3:DeleteObjectVersion on both buckets"
                             % (key, bucket, dr_bucket))
    return result


def bucket_read(module, spec, primary_region, dr_region, budget):
    """The readiness of one cloudops_buckets entry: [versioning, rule, probe] findings. The probe is written only when
    both buckets are versioned and an enabled rule replicates its key (otherwise the findings say why it was not)."""
    region, dr = spec.get("region") or primary_region, spec.get("dr_region") or dr_region
    src, dst = client(module, "s3", region=region), client(module, "s3", region=dr)
    versioning = {spec["name"]: versioning_status(module, src, spec["name"]), spec["dr_name"]: versioning_status(module, dst, spec["dr_name"])}
    configuration = replication_configuration(module, src, spec["name"]) if versioning[spec["name"]] is not None else None
    rule = state_stores.matching_rule(configuration, spec["dr_name"], spec.get("prefix") or "")[0]
    found = None
    if rule is not None and all(status == "Enabled" for status in versioning.values()):
        found = probe(module, (src, spec["name"]), (dst, spec["dr_name"]), rule, budget)
    findings = state_stores.bucket_findings(spec, region, dr, versioning, configuration, found, budget)
    if found is not None:
        findings[-1]["numbers"]["probe_key"] = found["key"]
        findings[-1]["numbers"]["probe_versions_deleted"] = found["cleaned"]
    return findings
