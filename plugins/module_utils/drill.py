# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Failover drill decisions, apart from any database or AWS call: the marker rows a drill writes to the primary and
the recovery point (RPO, as rows and seconds) that the markers missing on the promoted database measure.

The SQL is here as templates with {table} placeholders for a psycopg.sql.Identifier (never formatted as text); the
I/O lives in module_utils/_db/markers.py. Times are ISO 8601 strings in UTC (as backup.iso gives them).
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup

DEFAULT_TABLE = "cloudops_drill_markers"

WRITE = "write"
READ = "read"
PURGE = "purge"

# How rpo_seconds was found (see rpo()).
NOTHING_MISSING = "nothing_missing"
NEWEST_PRESENT = "newest_present"
NONE_PRESENT = "none_present"

CREATE_SQL = ("CREATE TABLE IF NOT EXISTS {table} (seq bigint NOT NULL, run_id text NOT NULL,"
              " written_at timestamptz NOT NULL DEFAULT clock_timestamp(), PRIMARY KEY (run_id, seq))")
EXISTS_SQL = "SELECT to_regclass(%s) IS NOT NULL"
NEXT_SEQ_SQL = "SELECT coalesce(max(seq), 0) FROM {table} WHERE run_id = %s"
INSERT_SQL = "INSERT INTO {table} (seq, run_id) VALUES (%s, %s) RETURNING seq, written_at"
PRESENT_SQL = "SELECT seq, written_at FROM {table} WHERE run_id = %s ORDER BY seq"
COUNT_SQL = "SELECT count(*) FROM {table} WHERE run_id = %s"
PURGE_SQL = "DELETE FROM {table} WHERE run_id = %s"


class MarkerError(Exception):
    """Input that cannot be used; the message says what to change."""


def qualified_name(schema, name):
    """'schema.name' quoted for to_regclass (identifiers in double quotes, embedded quotes doubled)."""
    return ".".join('"%s"' % part.replace('"', '""') for part in (schema, name))


def marker(seq, written_at):
    """One marker as the module returns it: {seq, written_at (ISO 8601 UTC, None when not written)}."""
    return {"seq": int(seq), "written_at": backup.iso(written_at)}


def planned_seqs(highest, count):
    """The sequence numbers a write of count rows uses, continuing after the run's highest (0 when none)."""
    if count < 1:
        raise MarkerError("count must be 1 or more: the number of marker rows to write")
    return list(range(int(highest or 0) + 1, int(highest or 0) + 1 + count))


def parse_written(written):
    """The markers of `written` (what a write returned) as [(seq, datetime or None)] sorted by seq, duplicates merged.

    Each item needs an integer seq; written_at may be missing (a check-mode write predicts none), and then the RPO in
    seconds cannot be computed.
    """
    found = {}
    for index, item in enumerate(written or []):
        if not isinstance(item, dict) or item.get("seq") is None:
            raise MarkerError("written[%d] is not a marker: pass the markers list a write returned ({seq, written_at} items)" % index)
        try:
            seq = int(item["seq"])
        except (TypeError, ValueError):
            raise MarkerError("written[%d].seq %r is not an integer" % (index, item["seq"])) from None
        when = item.get("written_at")
        try:
            found[seq] = backup.parse_time(when, "written[%d].written_at" % index) if when else None
        except backup.BackupError as e:
            raise MarkerError(str(e)) from None
    return sorted(found.items())


def present_summary(present):
    """present: [(seq, written_at)] of the run's rows on the database. Returns {present_count, present_max_seq,
    newest_present_at}."""
    if not present:
        return {"present_count": 0, "present_max_seq": None, "newest_present_at": None}
    return {"present_count": len(present), "present_max_seq": max(int(seq) for seq, dummy in present),
            "newest_present_at": backup.iso(max(when for dummy, when in present))}


def rpo(written, present):
    """The recovery point the markers measure: which written markers the database lacks, as rows and seconds.

    written: parse_written() of the markers written to the primary (this run's, in any number of writes).
    present: [(seq, written_at)] of the run's rows found on the database (the promoted replica).

    rpo_rows is the number of written markers missing. rpo_seconds is the span of writes lost:
    - 0 when nothing is missing;
    - else from the newest present marker written before the first missing one (it may come from an earlier write
      of the run that is not in `written`) to the newest missing marker ("newest_present");
    - when the database has no marker of the run written before the first missing one, the span of the missing
      markers plus the gap before the first of them, estimated as their mean spacing (0 for a single marker), since
      the last write the database does have is unknown ("none_present"): a lower bound of the loss;
    - None when a missing marker has no written_at (a check-mode write).

    Returns {written_count, missing_count, missing_seqs, rpo_rows, rpo_seconds, rpo_basis}.
    """
    present_seqs = set(int(seq) for seq, dummy in present)
    missing = [(seq, when) for seq, when in written if seq not in present_seqs]
    out = {"written_count": len(written), "missing_count": len(missing), "missing_seqs": [seq for seq, dummy in missing],
           "rpo_rows": len(missing)}
    if not missing:
        return dict(out, rpo_seconds=0.0, rpo_basis=NOTHING_MISSING)
    times = [when for dummy, when in missing]
    if any(when is None for when in times):
        return dict(out, rpo_seconds=None, rpo_basis=None)
    first, last = min(times), max(times)
    before = [backup.parse_time(when) for dummy, when in present if when is not None and backup.parse_time(when) < first]
    if before:
        return dict(out, rpo_seconds=backup.seconds_between(max(before), last), rpo_basis=NEWEST_PRESENT)
    span = backup.seconds_between(first, last)
    gap = span / (len(times) - 1) if len(times) > 1 else 0.0
    return dict(out, rpo_seconds=round(span + gap, 3), rpo_basis=NONE_PRESENT)
