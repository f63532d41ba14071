# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""state_store_markers: marker names, one store's RPO, writing, measuring and purging over several stores."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import drill
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers as ssm

WRITTEN = drill.parse_written([{"seq": seq, "written_at": "2026-01-31T12:00:0%d.000000Z" % seq} for seq in range(1, 5)])


class Store(object):
    """A store in memory, as the adapters behave: a read-only one refuses the purge."""

    def __init__(self, kind, resource, held=None, writable=True):
        self.kind, self.resource, self.held, self.writable = kind, resource, dict(held or {}), writable

    def write(self, run_id, seq, written_at):
        if not self.writable:
            raise ssm.StoreError("%s is read-only" % self.resource)
        self.held[(run_id, seq)] = written_at

    def present(self, run_id):
        return dict((seq, when) for (run, seq), when in self.held.items() if run == run_id)

    def purge(self, run_id):
        if not self.writable:
            raise ssm.StoreError("%s is read-only" % self.resource)
        gone = [key for key in self.held if key[0] == run_id]
        for key in gone:
            del self.held[key]
        return len(gone)


def test_names_of_keys_and_objects():
    assert ssm.cache_key("drill-x", 3) == "cloudops-drill:drill-x:3" and ssm.seq_of_cache_key("cloudops-drill:drill-x:3") == 3
    assert ssm.cache_pattern("run*[1]") == "cloudops-drill:run\\*\\[1\\]:*"
    assert ssm.object_key("assets/", "drill-x", 3) == "assets/cloudops-drill/drill-x/000003"
    assert ssm.seq_of_object_key("assets/cloudops-drill/drill-x/000003") == 3
    assert ssm.object_prefix("", "r") == "cloudops-drill/r/"


def test_a_store_rpo_uses_the_written_times_when_the_copy_has_none():
    rpo = ssm.store_rpo("bucket", "assets-dr", WRITTEN, {1: None, 2: None})
    assert (rpo["present_count"], rpo["missing_seqs"], rpo["rpo_rows"], rpo["rpo_seconds"]) == (2, [3, 4], 2, 2.0)
    assert ssm.store_rpo("cache", "c", WRITTEN, dict((seq, None) for seq in range(1, 5)))["rpo_seconds"] == 0.0


def test_write_measure_and_purge_over_stores():
    primary, dr = Store("cache", "shop-cache"), Store("cache", "shop-cache-dr")
    bucket = Store("bucket", "assets")
    for seq, when in WRITTEN:
        ssm.write_each([primary, bucket], "r1", seq, when)
    dr.held = dict((key, value) for key, value in primary.held.items() if key[1] < 4)  # the link had not delivered 4
    measured = ssm.measure([dr], "r1", WRITTEN, "promoted")
    assert measured[0]["missing_seqs"] == [4] and measured[0]["moment"] == "promoted"
    assert ssm.summary_clause(measured) == "; cache shop-cache-dr 3 of 4 markers (RPO 1.0s, once promoted)"
    assert ssm.measures_of(measured) == {"cache_markers_missing": 1}
    # The group that takes writes purges: the read-only one is passed over.
    primary.writable = False
    assert ssm.purge_writable([primary, dr], "r1") == {"kind": "cache", "resource": "shop-cache-dr", "deleted": 3}
    with pytest.raises(ssm.StoreError, match="shop-cache is read-only"):
        ssm.purge_writable([primary], "r1")
    assert ssm.purge_each([bucket], "r1") == [{"kind": "bucket", "resource": "assets", "deleted": 4}]
