# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill markers as a runbook step, apart from any database call: when each marker of one write is due (the
pacing of a write's spread_seconds), and the step_summary of a write, a read and a purge (the standard step
result a runbook step returns: detail, measures, gates).

The SQL and the RPO arithmetic are in module_utils/drill.py; the I/O in module_utils/_db/markers.py.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

# The default spacing of the drill's markers (cloudops_failover.drill.markers.interval_seconds): a marker every half
# second keeps the loss measurable to about that, and a batch of 10 takes under 5 s in one process.
DEFAULT_INTERVAL_SECONDS = 0.5


def marker_offsets(count, spread_seconds):
    """Seconds after the first insert at which each of count markers is due: evenly over spread_seconds (the first at
    0, the last at spread_seconds; all at 0 when spread_seconds is 0 or count is 1)."""
    if count < 1:
        raise drill.MarkerError("count must be 1 or more: the number of marker rows to write")
    spread = float(spread_seconds or 0)
    if spread < 0:
        raise drill.MarkerError("spread_seconds must be 0 or more: the seconds the markers are written over")
    if count == 1 or spread == 0:
        return [0.0] * count
    step = spread / (count - 1)
    return [round(index * step, 6) for index in range(count)]


def spread_for(count, interval_seconds):
    """The spread of count markers interval_seconds apart (what the role passes)."""
    return round(max(int(count) - 1, 0) * max(float(interval_seconds or 0), 0.0), 6)


def _seq_range(markers):
    seqs = [item["seq"] for item in markers]
    return "%d-%d" % (min(seqs), max(seqs)) if len(seqs) > 1 else "%d" % seqs[0]


def write_summary(markers, spread_seconds, check_mode=False):
    """step_summary of a write: markers as the module returns them ({seq, written_at})."""
    verb = "to write (check mode)" if check_mode else "written"
    spread = round(float(spread_seconds or 0), 3)
    detail = "%d markers %s, seq %s, over %gs" % (len(markers), verb, _seq_range(markers), spread)
    return steps.summary(detail, {"markers": len(markers), "first_seq": markers[0]["seq"], "last_seq": markers[-1]["seq"],
                                  "spread_seconds": spread})


def read_summary(result):
    """step_summary of a read: result holds the module's instance_id, present_count, in_recovery and (with written) the
    RPO keys. With written, one gate - "markers on <instance>" (no pass/fail: the RPO is judged against its budget by
    the runbook), its detail the rpo_basis, its numbers the counts, the RPO and in_recovery."""
    measures = {"present": result.get("present_count", 0)}
    if "written_count" not in result:
        detail = "%d markers present" % measures["present"]
        return steps.summary(detail, measures)
    measures.update(written=result["written_count"], rpo_rows=result["rpo_rows"], rpo_seconds=result["rpo_seconds"])
    missing = ",".join(str(seq) for seq in result.get("missing_seqs") or []) or "none"
    detail = "%d of %d markers present, missing %s" % (measures["present"], result["written_count"], missing)
    numbers = steps.numbers_of(result, ("written_count", "present_count", "missing_count", "rpo_rows", "rpo_seconds", "in_recovery"))
    gates = [steps.gate("markers on %s" % result.get("instance_id"), None, result.get("rpo_basis"), numbers)]
    return steps.summary(detail, measures, gates)


def purge_summary(deleted, check_mode=False):
    """step_summary of a purge."""
    return steps.summary("%d rows %s" % (deleted, "would be deleted" if check_mode else "deleted"), {"deleted": deleted})


def read_and_purge_summary(read, instance_id, deleted, check_mode=False):
    """step_summary of a read followed by the purge of the run's rows from the primary (read_summary's, plus the
    purge: a clause of the detail and the `deleted` measure)."""
    detail = "%s; %d rows %s from %s" % (read.get("detail"), deleted, "would be purged" if check_mode else "purged", instance_id)
    return steps.summary(detail, dict(read.get("measures") or {}, deleted=deleted), read.get("gates"))
