# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""drill_markers: the pacing of one write's markers and the step summaries of a write, a read and a purge."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
from ansible_collections.cloudops.runbooks.plugins.module_utils import drill_markers


def test_markers_are_due_evenly_over_the_spread_the_first_at_once():
    assert drill_markers.marker_offsets(5, 2.0) == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert drill_markers.marker_offsets(3, 0) == [0.0, 0.0, 0.0]
    assert drill_markers.marker_offsets(1, 10) == [0.0]
    assert drill_markers.marker_offsets(4, None) == [0.0, 0.0, 0.0, 0.0]  # back to back, as before


@pytest.mark.parametrize("count, spread, message", [(0, 1, "count must be 1 or more"), (3, -1, "spread_seconds must be 0 or more")])
def test_bad_pacing_is_refused_with_what_to_change(count, spread, message):
    with pytest.raises(drill.MarkerError, match=message):
        drill_markers.marker_offsets(count, spread)


def test_the_role_spread_is_count_minus_one_intervals():
    assert drill_markers.spread_for(8, 0.5) == 3.5
    assert drill_markers.spread_for(1, 0.5) == 0.0
    assert drill_markers.spread_for(10, None) == 0.0


def test_step_summaries():
    written = [{"seq": 3, "written_at": "t1"}, {"seq": 4, "written_at": "t2"}]
    summary = drill_markers.write_summary(written, 0.5)
    assert summary == {"detail": "2 markers written, seq 3-4, over 0.5s", "gates": [],
                       "measures": {"markers": 2, "first_seq": 3, "last_seq": 4, "spread_seconds": 0.5}}
    assert drill_markers.write_summary(written[:1], None, check_mode=True)["detail"] == "1 markers to write (check mode), seq 3, over 0s"

    read = drill_markers.read_summary({"instance_id": "shop-db-dr", "present_count": 5, "written_count": 8, "missing_count": 3,
                                       "rpo_rows": 3, "rpo_seconds": 1.5, "rpo_basis": "newest_present", "missing_seqs": [6, 7, 8],
                                       "in_recovery": False})
    assert read["detail"] == "5 of 8 markers present, missing 6,7,8"
    assert read["measures"] == {"present": 5, "written": 8, "rpo_rows": 3, "rpo_seconds": 1.5}
    # The gate the evidence report showed for a read (formerly the callback's own extractor).
    assert read["gates"] == [{"name": "markers on shop-db-dr", "passed": None, "detail": "newest_present",
                              "numbers": {"written_count": 8, "present_count": 5, "missing_count": 3, "rpo_rows": 3,
                                          "rpo_seconds": 1.5, "in_recovery": False}}]
    complete = drill_markers.read_summary({"instance_id": "x", "present_count": 2, "written_count": 2, "rpo_rows": 0,
                                           "rpo_seconds": 0.0, "missing_seqs": [], "in_recovery": True})
    assert complete["detail"].endswith("missing none") and complete["gates"][0]["numbers"]["in_recovery"] is True
    assert drill_markers.read_summary({"present_count": 2}) == {"detail": "2 markers present", "measures": {"present": 2}, "gates": []}
    assert drill_markers.purge_summary(4) == {"detail": "4 rows deleted", "measures": {"deleted": 4}, "gates": []}


def test_a_read_followed_by_the_purge_from_the_primary_is_one_step():
    read = drill_markers.read_summary({"instance_id": "shop-db-dr", "present_count": 7, "written_count": 8, "rpo_rows": 1,
                                       "rpo_seconds": 0.5, "missing_seqs": [8], "missing_count": 1, "rpo_basis": "newest_present"})
    both = drill_markers.read_and_purge_summary(read, "shop-db", 8)
    assert both["detail"] == "7 of 8 markers present, missing 8; 8 rows purged from shop-db"
    assert both["measures"] == dict(read["measures"], deleted=8) and both["gates"] == read["gates"]
    assert drill_markers.read_and_purge_summary(read, "shop-db", 8, check_mode=True)["detail"].endswith("8 rows would be purged from shop-db")
