# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""drill: the sequence numbers a write uses and the RPO (rows and seconds) that missing markers measure."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import drill

T0 = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)


def at(seconds):
    return T0 + datetime.timedelta(seconds=seconds)


def written(*pairs):
    """Markers as a write returns them: [{seq, written_at ISO}]."""
    return drill.parse_written([drill.marker(seq, at(offset)) for seq, offset in pairs])


def test_a_write_continues_after_the_runs_highest_seq():
    assert drill.planned_seqs(0, 3) == [1, 2, 3]
    assert drill.planned_seqs(None, 1) == [1]
    assert drill.planned_seqs(10, 2) == [11, 12]
    with pytest.raises(drill.MarkerError, match="count must be 1 or more"):
        drill.planned_seqs(0, 0)


def test_marker_times_are_utc_iso():
    local = datetime.timezone(datetime.timedelta(hours=2))
    assert drill.marker(3, datetime.datetime(2026, 1, 31, 14, 0, 0, 250000, tzinfo=local)) == {
        "seq": 3, "written_at": "2026-01-31T12:00:00.250000+00:00"}
    assert drill.marker("4", None) == {"seq": 4, "written_at": None}


def test_parse_written_sorts_merges_and_names_bad_items():
    parsed = drill.parse_written([{"seq": 2, "written_at": "2026-01-31T12:00:02Z"}, {"seq": "1", "written_at": None},
                                  {"seq": 2, "written_at": "2026-01-31T12:00:02Z"}])
    assert parsed == [(1, None), (2, at(2))]
    with pytest.raises(drill.MarkerError, match=r"written\[1\] is not a marker"):
        drill.parse_written([{"seq": 1}, {"written_at": "2026-01-31T12:00:00Z"}])
    with pytest.raises(drill.MarkerError, match=r"written\[0\].seq 'x' is not an integer"):
        drill.parse_written([{"seq": "x"}])
    with pytest.raises(drill.MarkerError, match=r"written\[0\].written_at 'yesterday' is not an ISO 8601 time"):
        drill.parse_written([{"seq": 1, "written_at": "yesterday"}])


def test_present_summary():
    assert drill.present_summary([]) == {"present_count": 0, "present_max_seq": None, "newest_present_at": None}
    assert drill.present_summary([(1, at(0)), (2, at(5))]) == {
        "present_count": 2, "present_max_seq": 2, "newest_present_at": "2026-01-31T12:00:05+00:00"}


def test_nothing_missing_is_an_rpo_of_zero():
    out = drill.rpo(written((1, 0), (2, 1)), [(1, at(0)), (2, at(1)), (3, at(2))])
    assert out == {"written_count": 2, "missing_count": 0, "missing_seqs": [], "rpo_rows": 0, "rpo_seconds": 0.0,
                   "rpo_basis": "nothing_missing"}


def test_the_rpo_runs_from_the_newest_present_marker_to_the_newest_missing_one():
    # Markers 1-5 reached the replica before its replication paused; 6-8 were written during the pause (at 10-12 s).
    marks = written((1, 0), (2, 1), (3, 2), (4, 3), (5, 4), (6, 10), (7, 11), (8, 12.5))
    out = drill.rpo(marks, [(seq, at(seq - 1)) for seq in range(1, 6)])
    assert (out["missing_count"], out["missing_seqs"], out["rpo_rows"]) == (3, [6, 7, 8], 3)
    assert (out["rpo_seconds"], out["rpo_basis"]) == (8.5, "newest_present")


def test_the_newest_present_marker_may_come_from_an_earlier_write_of_the_run():
    # Only the second write's markers are passed; the first write's 1-5 are on the database.
    out = drill.rpo(written((6, 10), (7, 11)), [(seq, at(seq - 1)) for seq in range(1, 6)])
    assert (out["written_count"], out["missing_seqs"], out["rpo_seconds"]) == (2, [6, 7], 7.0)


def test_with_no_marker_present_the_rpo_adds_the_mean_spacing_before_the_first():
    out = drill.rpo(written((1, 0), (2, 2), (3, 4)), [])
    assert (out["missing_count"], out["rpo_seconds"], out["rpo_basis"]) == (3, 6.0, "none_present")
    single = drill.rpo(written((1, 0)), [])
    assert (single["rpo_rows"], single["rpo_seconds"], single["rpo_basis"]) == (1, 0.0, "none_present")


def test_markers_present_only_after_the_first_missing_one_do_not_bound_the_loss():
    out = drill.rpo(written((1, 0), (2, 1), (3, 2)), [(3, at(2))])
    assert (out["missing_seqs"], out["rpo_seconds"], out["rpo_basis"]) == ([1, 2], 2.0, "none_present")


def test_markers_without_times_give_rows_but_no_seconds():
    out = drill.rpo(drill.parse_written([{"seq": 1, "written_at": None}, {"seq": 2, "written_at": None}]), [(1, at(0))])
    assert (out["rpo_rows"], out["missing_seqs"], out["rpo_seconds"], out["rpo_basis"]) == (1, [2], None, None)


def test_qualified_name_quotes_for_to_regclass():
    assert drill.qualified_name("public", "cloudops_drill_markers") == '"public"."cloudops_drill_markers"'
    assert drill.qualified_name('odd"s', "t.x") == '"odd""s"."t.x"'
