# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drill markers as S3 objects in a replicated bucket (state_store_markers' protocol, kind 'bucket').

A marker is one small object, `<prefix>cloudops-drill/<run id>/<seq:06d>` (state_store_markers.object_key: under the
bucket's replication prefix, so its rule copies it to DR), whose body and metadata (`written-at`) hold the instant it
was written. The drill writes them into the primary bucket (`side` primary) and counts them in the DR bucket (`side`
dr) after the cut; the purge deletes every version and delete marker of the run's keys in ONE bucket (each side is
purged by its own BucketMarkers).

Errors raise StoreError naming the bucket, its region and what to check (the cloudops_buckets entry, a permission);
no module.fail_json here, so a caller reading several stores reports them all.
"""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers as markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import s3
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import paginate

SIDES = ("primary", "dr")
WRITTEN_AT = "written-at"        # the object's metadata key (x-amz-meta-written-at)
DELETE_BATCH = 1000              # DeleteObjects' limit
WRONG_REGION = ("PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException", "301")


def side_bucket(spec, side, regions):
    """(bucket, region) of one side of a cloudops_buckets item: primary = name/region, dr = dr_name/dr_region; a
    missing region defaults to regions[side]. Raises StoreError naming what to set."""
    if side not in SIDES:
        raise markers.StoreError("bucket markers: side must be one of %s, got %r" % (", ".join(SIDES), side))
    name_key, region_key = ("name", "region") if side == "primary" else ("dr_name", "dr_region")
    bucket = (spec or {}).get(name_key)
    if not bucket:
        raise markers.StoreError("bucket markers: the cloudops_buckets item %r has no %s" % (spec, name_key))
    region = spec.get(region_key) or (regions or {}).get(side)
    if not region:
        raise markers.StoreError("bucket %s: no region: set cloudops_buckets[].%s or cloudops_regions.%s" % (bucket, region_key, side))
    return bucket, region


def stores(module, buckets, side, regions):
    """One BucketMarkers per cloudops_buckets item, on that side (the drill writes on 'primary', reads on 'dr')."""
    return [BucketMarkers(module, spec, side, regions) for spec in buckets or []]


def error_code(error):
    return (getattr(error, "response", None) or {}).get("Error", {}).get("Code")


class BucketMarkers(object):
    """The drill markers of one side of one cloudops_buckets item (module: an AnsibleAWSModule or a WorkerModule)."""

    kind = markers.BUCKET

    def __init__(self, module, bucket_spec, side, regions, conn=None):
        self.bucket, self.region = side_bucket(bucket_spec, side, regions)
        self.side = side
        self.prefix = bucket_spec.get("prefix") or ""
        self.resource = self.bucket
        self.conn = conn if conn is not None else client(module, "s3", region=self.region)

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _error(self, error, doing, permission):
        code = error_code(error)
        if code == "NoSuchBucket":
            why = "the bucket does not exist in %s: check cloudops_buckets (%s) and its region" % (
                self.region, "name, region" if self.side == "primary" else "dr_name, dr_region")
        elif code in WRONG_REGION:
            why = "it is not in %s (%s): check cloudops_buckets (%s) or cloudops_regions.%s" % (
                self.region, code, "region" if self.side == "primary" else "dr_region", self.side)
        elif code in ("AccessDenied", "AllAccessDisabled", "InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken"):
            why = "access denied (%s): the runbook's credentials need %s on it" % (code, permission)
        else:
            why = "%s: check the bucket, its region %s and %s" % (error, self.region, permission)
        return markers.StoreError("bucket %s (%s): could not %s: %s" % (self.bucket, self.side, doing, why))

    def _versions(self, run_id):
        """[{Key, VersionId}] of every version and delete marker under the run's prefix."""
        found = paginate(self.conn, "list_object_versions", Bucket=self.bucket, Prefix=markers.object_prefix(self.prefix, run_id))
        return [{"Key": item["Key"], "VersionId": item["VersionId"]}
                for item in (found.get("Versions") or []) + (found.get("DeleteMarkers") or [])]

    # -- the protocol ----------------------------------------------------------------------------------------------
    def write(self, run_id, seq, written_at):
        """One marker object (body and metadata: written_at). A lost response is not sent twice (the key's head
        carrying the same written_at means it is in place)."""
        key = markers.object_key(self.prefix, run_id, seq)

        def applied():
            head = s3.head_object(self.conn, self.bucket, key)
            return head if head is not None and (head.get("Metadata") or {}).get(WRITTEN_AT) == written_at else None

        try:
            apply(self.conn.put_object, dict(Bucket=self.bucket, Key=key, Body=str(written_at).encode("utf-8"),
                                             ContentType="text/plain", Metadata={WRITTEN_AT: str(written_at)}), applied)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            raise self._error(e, "write drill marker %s" % key, "s3:PutObject") from None

    def present(self, run_id):
        """{seq: None} of the run's marker objects in this bucket (one ListObjectsV2 walk; the written time is in
        each object's metadata, one HEAD each, so it is not read: store_rpo takes it from the written list)."""
        prefix = markers.object_prefix(self.prefix, run_id)
        try:
            found = paginate(self.conn, "list_objects_v2", Bucket=self.bucket, Prefix=prefix)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            raise self._error(e, "list the drill markers under %s" % prefix, "s3:ListBucket") from None
        out = {}
        for item in found.get("Contents") or []:
            try:
                out[markers.seq_of_object_key(item["Key"])] = None
            except (ValueError, IndexError):
                continue  # not a marker of ours (a key someone else put under the run's prefix)
        return out

    def purge(self, run_id):
        """Delete every version and delete marker of the run's keys in this bucket; the number of versions deleted."""
        prefix = markers.object_prefix(self.prefix, run_id)
        deleted = 0
        try:
            versions = self._versions(run_id)
            for start in range(0, len(versions), DELETE_BATCH):
                batch = versions[start:start + DELETE_BATCH]
                answer = apply(self.conn.delete_objects, dict(Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}),
                               lambda batch=batch: self._gone(run_id, batch))
                errors = (answer or {}).get("Errors") or []
                if errors:
                    first = errors[0]
                    raise markers.StoreError("bucket %s (%s): could not delete %d drill marker version(s) under %s (first: %s %s: "
                                             "%s): the runbook's credentials need s3:DeleteObjectVersion on it"
                                             % (self.bucket, self.side, len(errors), prefix, first.get("Key"), first.get("Code"),
                                                first.get("Message")))
                deleted += len(batch)
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
            raise self._error(e, "purge the drill markers under %s" % prefix,
                              "s3:ListBucketVersions and s3:DeleteObjectVersion") from None
        return deleted

    def _gone(self, run_id, batch):
        """applied() of a DeleteObjects batch: {} when none of its versions is left."""
        left = set((v["Key"], v["VersionId"]) for v in self._versions(run_id))
        return {} if not any((v["Key"], v["VersionId"]) in left for v in batch) else None
