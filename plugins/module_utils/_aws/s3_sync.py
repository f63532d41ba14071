# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The S3 I/O of s3_replication_sync: list the DR bucket's newest versions, read the primary's current version of the
keys written since the cut, copy DR's versions back (CopyObject across regions) and, with delete_removed, delete in the
primary what DR deleted. bucket_sync.py decides; every write goes through common.apply (a lost response never copies
or deletes twice)."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.cloudops.runbooks.plugins.module_utils import bucket_sync
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import paginate
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.s3 import head_object as head


def sync_bucket(module, spec, regions, since, delete_removed, check_mode, conns=None):
    """One cloudops_buckets item: (bucket_sync.bucket_result, decisions [(entry, verdict, primary)], deleted keys).
    conns: (primary client, DR client), built here when not given."""
    name, dr_name, prefix = spec["name"], spec["dr_name"], spec.get("prefix") or ""
    region, dr_region = spec.get("region") or regions.get("primary"), spec.get("dr_region") or regions.get("dr")
    src, dst = conns or (client(module, "s3", region=region), client(module, "s3", region=dr_region))
    doing, permission = "list the versions of DR bucket %s (%s)" % (dr_name, dr_region), "s3:ListBucketVersions on it"
    decisions, deleted = [], []
    try:
        params = dict(Bucket=dr_name, Prefix=prefix) if prefix else dict(Bucket=dr_name)
        newest = bucket_sync.latest(paginate(dst, "list_object_versions", **params))
        for entry in bucket_sync.changed_since(newest, since, prefix):
            key = entry["key"]
            doing, permission = "read %s in primary bucket %s (%s)" % (key, name, region), "s3:GetObject on it"
            primary = bucket_sync.head_entry(head(src, name, key))
            verdict = bucket_sync.judge(entry, primary)
            decisions.append((entry, verdict, primary))
            if check_mode:
                continue
            if verdict == bucket_sync.COPY:
                doing, permission = ("copy %s version %s from %s (%s) to %s (%s)" % (key, entry["version_id"], dr_name, dr_region, name, region),
                                     "s3:GetObjectVersion, s3:GetObjectVersionTagging on the DR bucket and s3:PutObject, "
                                     "s3:PutObjectTagging on the primary")
                copy(src, dst, name, dr_name, entry)
            elif verdict == bucket_sync.REMOVED and delete_removed:
                doing, permission = ("delete %s in primary bucket %s (%s), deleted in DR" % (key, name, region),
                                     "s3:DeleteObject on the primary")
                remove(src, name, key)
                deleted.append(key)
        if check_mode and delete_removed:
            deleted = [entry["key"] for entry, verdict, dummy in decisions if verdict == bucket_sync.REMOVED]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not %s: check cloudops_buckets (name, dr_name, regions) and %s" % (doing, permission))
    return bucket_sync.bucket_result(spec, (region, dr_region), decisions, deleted, delete_removed), decisions, deleted


def copy(src, dst, bucket, dr_bucket, entry):
    """CopyObject of DR's version into the primary (the request goes to the primary's region)."""
    key, version_id = entry["key"], entry["version_id"]
    params = bucket_sync.copy_request(bucket, key, dr_bucket, version_id, head(dst, dr_bucket, key, version_id))
    return apply(src.copy_object, params,
                 lambda: {} if bucket_sync.copy_applied(bucket_sync.head_entry(head(src, bucket, key)), version_id) else None)


def remove(src, bucket, key):
    """DeleteObject without a version: a delete marker, the older versions kept (a person can bring one back)."""
    return apply(src.delete_object, dict(Bucket=bucket, Key=key), lambda: {} if head(src, bucket, key) is None else None)
