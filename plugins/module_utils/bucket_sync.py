# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Before a failback: what each primary bucket must get back from its DR copy (the s3_replication_sync module).

After a real failover the application wrote to the DR buckets (cross-region replication runs primary -> DR only, and
the primary region was down). Before the failback points the application back, every key whose newest version in the
DR bucket dates from the failover's cut (`since`) or later must be the newest version in the primary bucket too:

- copy: the primary lacks it (no such key, or an older different version);
- present: the primary already serves it - the same version id (a CRR replica keeps it), a copy this module made
  (its metadata `cloudops-synced-from` names the DR version) or the same ETag (same content);
- removed: the key was deleted in DR since the cut (its newest entry is a delete marker) but the primary still serves
  it: reported; deleted in the primary (a delete marker, older versions kept) only with delete_removed;
- conflict: the primary's newest version is newer than DR's and different: someone wrote it in the primary after DR's
  write; left as it is and reported (a person decides which one wins);
- too_large: a version over CopyObject's 5 GiB limit: not copied, the run fails naming it.

The readiness probe's objects (state_stores.PROBE_DIR) and the drill markers (state_store_markers.MARKER_DIR) are no
application data: skipped. Plain Python over boto3-shaped listings; the I/O is _aws/s3_sync.py.
"""

from __future__ import annotations

import datetime

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

COPY, PRESENT, REMOVED, CONFLICT, TOO_LARGE = "copy", "present", "removed", "conflict", "too_large"
SYNC_META = "cloudops-synced-from"   # metadata of a copy: the DR version id it was copied from
KEYS_SHOWN = 20                      # keys listed per bucket and kind in the result
MAX_COPY_BYTES = 5 * 1024 ** 3       # CopyObject's limit (a larger object needs a multipart copy)
# The headers of an object a copy with MetadataDirective REPLACE must give again (head_object's names).
CONTENT_HEADERS = ("ContentType", "CacheControl", "ContentDisposition", "ContentEncoding", "ContentLanguage", "Expires",
                   "WebsiteRedirectLocation")


class SyncError(Exception):
    """A request the module refuses before any call; the message names the option and what to fix."""


def _utc(value):
    return backup.parse_time(value)


def parse_since(since, now=None):
    """The failover's cut (ISO 8601; no zone = UTC) as an aware UTC datetime; refuses a time to come."""
    if since is None or not str(since).strip():
        raise SyncError("since is required: the failover's cut (ISO 8601 UTC, e.g. the failover record's started_at)")
    try:
        when = backup.parse_time(since, "since")
    except backup.BackupError as e:
        raise SyncError("%s (the failover's cut)" % e) from None
    now = _utc(now or datetime.datetime.now(datetime.timezone.utc))
    if when > now + datetime.timedelta(seconds=60):
        raise SyncError("since %s is in the future (now %s): give the failover's cut, when the application began writing to DR"
                        % (iso(when), iso(now)))
    return when


def iso(when):
    """2026-12-07T01:15:00Z (milliseconds only when there are some); None for None."""
    return None if when is None else backup.label_time(when)


def region_problems(buckets, regions):
    """Each bucket needs its two regions, given or from O(regions): what is missing, naming the variable."""
    out = []
    for index, spec in enumerate(buckets or []):
        for key, default in (("region", "primary"), ("dr_region", "dr")):
            if not (spec.get(key) or (regions or {}).get(default)):
                out.append("buckets[%d] (%s) has no %s: give it, or regions.%s (cloudops_regions.%s)."
                           % (index, spec.get("name"), key, default, default))
    return out


def skipped(key, prefix=""):
    """Whether a key is no application data: a readiness probe (PROBE_DIR under the rule's prefix, which may be shorter
    than the bucket's) or a drill marker (MARKER_DIR under the bucket's prefix)."""
    if str(key).startswith((prefix or "") + state_store_markers.MARKER_DIR + "/"):
        return True
    return ("/" + str(key)).find("/" + state_stores.PROBE_DIR) >= 0


def latest(listing):
    """{key: the newest entry} of a ListObjectVersions result (Versions and DeleteMarkers, IsLatest): each entry
    {key, version_id, last_modified, etag, size, deleted}."""
    out = {}
    for deleted, items in ((False, listing.get("Versions") or []), (True, listing.get("DeleteMarkers") or [])):
        for item in items:
            if not item.get("IsLatest"):
                continue
            out[item["Key"]] = {"key": item["Key"], "version_id": item.get("VersionId"), "last_modified": item.get("LastModified"),
                                "etag": None if deleted else item.get("ETag"), "size": None if deleted else item.get("Size"),
                                "deleted": deleted}
    return out


def since_floor(since):
    """S3 lists LastModified in whole seconds: a write in the cut's second counts as after it."""
    return _utc(since).replace(microsecond=0)


def changed_since(newest, since, prefix=""):
    """The entries of latest() written at or after the cut, under the prefix, probes and markers left out, by key."""
    floor = since_floor(since)
    return [entry for key, entry in sorted(newest.items())
            if str(key).startswith(prefix or "") and not skipped(key, prefix)
            and entry.get("last_modified") is not None and _utc(entry["last_modified"]) >= floor]


def head_entry(head):
    """The primary's current version from head_object (None: no such key, or a delete marker)."""
    if head is None:
        return None
    return {"version_id": head.get("VersionId"), "etag": head.get("ETag"), "last_modified": head.get("LastModified"),
            "metadata": dict(head.get("Metadata") or {})}


def same_version(dr, primary):
    if primary is None or dr.get("deleted"):
        return False
    if dr.get("version_id") and primary.get("version_id") == dr["version_id"]:
        return True
    if dr.get("version_id") and (primary.get("metadata") or {}).get(SYNC_META) == dr["version_id"]:
        return True
    return bool(dr.get("etag")) and primary.get("etag") == dr["etag"]


def judge(dr, primary):
    """COPY, PRESENT, REMOVED, CONFLICT or TOO_LARGE for one key: dr = its newest entry in DR (latest()), primary = its
    current version in the primary (head_entry(), None when absent)."""
    if dr.get("deleted"):
        if primary is None:
            return PRESENT  # deleted on both sides
        if primary.get("last_modified") and dr.get("last_modified") and _utc(primary["last_modified"]) > _utc(dr["last_modified"]):
            return CONFLICT
        return REMOVED
    if same_version(dr, primary):
        return PRESENT
    if primary is not None and primary.get("last_modified") and dr.get("last_modified") \
            and _utc(primary["last_modified"]) > _utc(dr["last_modified"]):
        return CONFLICT
    if dr.get("size") is not None and int(dr["size"]) > MAX_COPY_BYTES:
        return TOO_LARGE
    return COPY


def copy_request(bucket, key, dr_bucket, version_id, dr_head):
    """CopyObject's parameters: DR's version into the primary bucket, its metadata and content headers kept, plus
    SYNC_META naming the DR version (so a re-run knows the copy, whatever its ETag: KMS, multipart)."""
    metadata = dict((dr_head or {}).get("Metadata") or {})
    metadata[SYNC_META] = str(version_id)
    params = {"Bucket": bucket, "Key": key, "CopySource": {"Bucket": dr_bucket, "Key": key, "VersionId": version_id},
              "MetadataDirective": "REPLACE", "Metadata": metadata, "TaggingDirective": "COPY"}
    for header in CONTENT_HEADERS:
        if (dr_head or {}).get(header) not in (None, ""):
            params[header] = dr_head[header]
    return params


def copy_applied(primary, version_id):
    """applied() of a copy: whether the primary's current version (head_entry()) is the copy of that DR version."""
    return primary is not None and (primary.get("metadata") or {}).get(SYNC_META) == str(version_id)


def bucket_result(spec, regions, decisions, deleted, delete_removed):
    """One bucket's result. decisions: [(entry, verdict, primary)] of changed_since()'s entries; deleted: the keys
    deleted in the primary (delete_removed)."""
    by = dict((kind, [entry["key"] for entry, verdict, dummy in decisions if verdict == kind])
              for kind in (COPY, PRESENT, REMOVED, CONFLICT, TOO_LARGE))
    return {"bucket": spec["name"], "dr_bucket": spec["dr_name"], "region": regions[0], "dr_region": regions[1],
            "examined": len(decisions), "copied": len(by[COPY]), "already_present": len(by[PRESENT]),
            "removed": len(by[REMOVED]), "deleted": len(deleted), "conflicts": len(by[CONFLICT]), "too_large": len(by[TOO_LARGE]),
            "keys": by[COPY][:KEYS_SHOWN], "removed_keys": by[REMOVED][:KEYS_SHOWN], "deleted_keys": list(deleted)[:KEYS_SHOWN],
            "conflict_keys": by[CONFLICT][:KEYS_SHOWN], "too_large_keys": by[TOO_LARGE][:KEYS_SHOWN],
            "delete_removed": bool(delete_removed)}


TOTAL_KEYS = ("examined", "copied", "already_present", "removed", "deleted", "conflicts", "too_large")


def totals(results):
    out = dict((key, sum(int(r.get(key) or 0) for r in results)) for key in TOTAL_KEYS)
    out["buckets"] = len(results)
    return out


def summary_detail(results, total, since, check_mode=False):
    parts = ["%s %d object(s) the DR bucket(s) took since %s back to %d primary bucket(s)" % (
        "would copy" if check_mode else "copied", total["copied"], iso(since), total["buckets"]),
        "%d already there" % total["already_present"]]
    if total["deleted"]:
        would = "would be " if check_mode else ""
        parts.append("%d deleted in DR, %d %sdeleted in the primary" % (total["removed"], total["deleted"], would))
    elif total["removed"]:
        parts.append("%d deleted in DR, kept in the primary (delete_removed false)" % total["removed"])
    if total["conflicts"]:
        parts.append("%d newer in the primary, left as they are" % total["conflicts"])
    if total["too_large"]:
        parts.append("%d over 5 GiB not copied" % total["too_large"])
    return "; ".join(parts)


def step_summary(results, total, since, check_mode=False):
    gates = [steps.gate("bucket sync %s" % r["bucket"], None if r["conflicts"] == 0 and r["too_large"] == 0 else False,
                        "%s -> %s: %d copied, %d already there, %d removed in DR, %d deleted, %d conflicts"
                        % (r["dr_bucket"], r["bucket"], r["copied"], r["already_present"], r["removed"], r["deleted"], r["conflicts"]),
                        dict((key, r[key]) for key in TOTAL_KEYS)) for r in results]
    return steps.summary(summary_detail(results, total, since, check_mode), dict(total, since=iso(since)), gates)


def fail_message(results):
    """The failure of a run that left keys the primary lacks (over 5 GiB), naming them; '' when none."""
    large = ["%s: %s" % (r["bucket"], ", ".join(r["too_large_keys"])) for r in results if r["too_large"]]
    if not large:
        return ""
    return ("Objects over 5 GiB (CopyObject's limit) were not copied from DR to the primary: %s. Copy them with a multipart "
            "copy (aws s3 cp s3://<dr_bucket>/<key> s3://<bucket>/<key>), then run this again." % "; ".join(large))


def describe(primary):
    if primary is None:
        return "absent"
    return "version %s (%s)" % (primary.get("version_id"), iso(primary.get("last_modified")) if primary.get("last_modified") else "?")


def diff(results_decisions):
    """--diff: per primary bucket, the keys this run changes: before (its current version or absent), after."""
    before, after = {}, {}
    for result, decisions, deleted in results_decisions:
        b, a = {}, {}
        for entry, verdict, primary in decisions:
            if verdict == COPY:
                b[entry["key"]] = describe(primary)
                a[entry["key"]] = "copy of %s version %s" % (result["dr_bucket"], entry["version_id"])
            elif verdict == REMOVED and entry["key"] in deleted:
                b[entry["key"]] = describe(primary)
                a[entry["key"]] = "deleted (a delete marker; older versions kept)"
        if b:
            before[result["bucket"]], after[result["bucket"]] = b, a
    return {"before": before, "after": after}
