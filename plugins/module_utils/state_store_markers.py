# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drill markers in the estate's state stores besides the database: keys in the ElastiCache cache and objects in the
replicated S3 buckets, written at the same instants as the database's marker rows (rds_drill_markers' O(cache) and
O(buckets)), read on the DR copy after the cut and purged afterwards.

A marker store is any object with:
  kind       'cache' or 'bucket'
  resource   the replication group or bucket it writes to / reads from (named in the report and in errors)
  write(run_id, seq, written_at)   one marker (written_at: ISO 8601 UTC); raises StoreError
  present(run_id) -> {seq: written_at or None}   the run's markers found there
  purge(run_id) -> int   deletes the run's markers (every version, for a bucket); the number deleted

The adapters are _cache/markers.py (Redis) and _aws/s3_markers.py (S3); this file holds what they share: the names
of the markers and the RPO of a store (module_utils/drill.py's arithmetic, one implementation for every store).
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import drill

CACHE = "cache"
BUCKET = "bucket"
MARKER_DIR = "cloudops-drill"
# A cache marker expires by itself after a day: a drill that died before its purge leaves nothing for good.
CACHE_MARKER_TTL_SECONDS = 86400


class StoreError(Exception):
    """A store could not be written or read; the message names the resource and what to check."""


def cache_key(run_id, seq):
    """The Redis key of marker seq of run run_id."""
    return "%s:%s:%d" % (MARKER_DIR, run_id, int(seq))


def cache_pattern(run_id):
    """SCAN MATCH pattern of run run_id's keys (glob characters in the run id escaped)."""
    escaped = "".join("\\" + char if char in "*?[]\\" else char for char in run_id)
    return "%s:%s:*" % (MARKER_DIR, escaped)


def seq_of_cache_key(key):
    return int(str(key).rsplit(":", 1)[1])


def object_prefix(bucket_prefix, run_id):
    """Where run run_id's objects go in a bucket: under the replication rule's prefix (so the rule copies them)."""
    return "%s%s/%s/" % (bucket_prefix or "", MARKER_DIR, run_id)


def object_key(bucket_prefix, run_id, seq):
    return "%s%06d" % (object_prefix(bucket_prefix, run_id), int(seq))


def seq_of_object_key(key):
    return int(str(key).rsplit("/", 1)[1])


def store_rpo(kind, resource, written, present):
    """One store's loss: written as drill.parse_written() gives it, present {seq: written_at}. Returns
    {kind, resource, written_count, present_count, missing_count, missing_seqs, rpo_rows, rpo_seconds, rpo_basis}."""
    found = sorted((int(seq), when) for seq, when in present.items())
    # A store's copy may not carry the written time: the written list has it for every seq it wrote.
    times = dict(written)
    found = [(seq, when or (backup.iso(times[seq]) if times.get(seq) else None)) for seq, when in found]
    out = drill.rpo(written, [(seq, when) for seq, when in found if when is not None])
    return dict(out, kind=kind, resource=resource, present_count=len([seq for seq, dummy in found if seq in times]))


def write_each(stores, run_id, seq, written_at):
    """One marker written to every store (after the database's row of the same seq and time)."""
    for store in stores:
        store.write(run_id, seq, written_at)


def measure(stores, run_id, written, moment):
    """What each store's copy holds of the markers written ([(seq, datetime)] as drill.parse_written gives them):
    store_rpo() per store plus `moment` ('cut': read just after the last marker, what a region lost at the cut would
    leave there; 'promoted': read on the copy once it was made the writer)."""
    return [dict(store_rpo(store.kind, store.resource, written, store.present(run_id)), moment=moment) for store in stores]


def purge_each(stores, run_id):
    """Each store's markers deleted: [{kind, resource, deleted}]."""
    return [{"kind": store.kind, "resource": store.resource, "deleted": store.purge(run_id)} for store in stores]


def purge_writable(candidates, run_id):
    """The cache's markers deleted on whichever of its groups takes writes now (the primary after a failback, the DR
    group while it serves): the first candidate that accepts the delete. Raises the first StoreError when none does."""
    first = None
    for store in candidates:
        try:
            return {"kind": store.kind, "resource": store.resource, "deleted": store.purge(run_id)}
        except StoreError as e:
            first = first or e
    if first is not None:
        raise first
    return None


def summary_clause(measured=(), purged=()):
    """The step detail's clause about the stores: '; cache shop-cache-dr 7 of 8 (RPO 0.5s at promotion); bucket ...'."""
    parts = []
    for item in measured:
        rpo = "RPO %ss" % item["rpo_seconds"] if item.get("rpo_seconds") is not None else "RPO unknown"
        moment = "at the cut" if item.get("moment") == "cut" else "once promoted"
        parts.append("%s %s %d of %d markers (%s, %s)" % (item["kind"], item["resource"], item["present_count"], item["written_count"], rpo, moment))
    for item in purged:
        parts.append("%s %s %d markers purged" % (item["kind"], item["resource"], item["deleted"]))
    return "".join("; " + part for part in parts)


def measures_of(measured=(), purged=()):
    """The step's measures about the stores: rpo_rows/rpo_seconds per store as <kind>_<n>_..., kept flat for reports."""
    out = {}
    for item in measured:
        out["%s_markers_missing" % item["kind"]] = out.get("%s_markers_missing" % item["kind"], 0) + item["missing_count"]
    for item in purged:
        out["%s_markers_deleted" % item["kind"]] = out.get("%s_markers_deleted" % item["kind"], 0) + item["deleted"]
    return out
