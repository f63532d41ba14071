# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""records: a progress record as a ConfigMap and back, whether a write changes anything, the step summary."""

from __future__ import annotations

import json

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import records

RECORD = {"run_id": "drill-1", "phase": "failover", "outcome": "in_progress", "dns_before": [{"set_identifier": "primary"}]}


def test_a_record_round_trips_through_its_configmap_with_its_headline():
    cm = records.configmap("cloudops-failover-drill", "ops", RECORD)
    assert cm["metadata"] == {"name": "cloudops-failover-drill", "namespace": "ops",
                              "labels": {"app.kubernetes.io/managed-by": "cloudops.runbooks", "cloudops.io/record": "cloudops-failover-drill"}}
    assert (cm["data"]["run_id"], cm["data"]["phase"], cm["data"]["outcome"]) == ("drill-1", "failover", "in_progress")
    assert json.loads(cm["data"]["record.json"]) == RECORD
    assert records.parse(cm) == RECORD
    assert records.record_data({"phase": None})["run_id"] == "" and records.record_data({"phase": None})["phase"] == ""
    assert records.patch("x", RECORD)["data"] == cm["data"]


def test_no_configmap_or_no_record_is_none_and_a_broken_one_is_named():
    assert records.parse(None) is None and records.parse({"data": {"other": "1"}}) is None and records.parse({}) is None
    with pytest.raises(records.RecordError, match="ConfigMap ops/cm has a record.json that is not JSON"):
        records.parse({"metadata": {"name": "cm", "namespace": "ops"}, "data": {"record.json": "{"}})
    with pytest.raises(records.RecordError, match="must be a dict"):
        records.record_data(["not", "a", "dict"])


def test_a_write_is_needed_only_when_the_configmap_differs():
    cm = records.configmap("cm", "ops", RECORD)
    assert not records.needs_write(cm, "cm", dict(RECORD))
    # Key order and spacing of record.json do not matter; the content does.
    respaced = dict(cm, data=dict(cm["data"], **{"record.json": json.dumps(RECORD, indent=2)}))
    assert not records.needs_write(respaced, "cm", RECORD)
    assert records.needs_write(None, "cm", RECORD)
    assert records.needs_write(cm, "cm", dict(RECORD, phase="failback"))
    assert records.needs_write(dict(cm, metadata={"name": "cm"}), "cm", RECORD)  # labels missing
    assert records.needs_write(dict(cm, data=dict(cm["data"], **{"record.json": "{"})), "cm", RECORD)


def test_names_are_read_once_each():
    assert records.unique_names(["a", "b", "a"]) == ["a", "b"] and records.unique_names(None) == []
    with pytest.raises(records.RecordError, match="empty ConfigMap name"):
        records.unique_names(["a", " "])


def test_step_summary():
    summary = records.step_summary("ops", {"a": None, "b": {"outcome": "failed"}, "c": {}}, written="b", changed=True)
    assert summary["detail"] == "record ops/b written; read 3 (a: none, b: failed, c: present)"
    assert summary["measures"] == {"read": 3, "found": 2, "written": 1} and summary["gates"] == []
    assert records.step_summary("ops", {}, written="b", changed=True, check_mode=True)["detail"] == "record ops/b would be written"
    assert records.step_summary("ops", {}, written="b", changed=False)["measures"]["written"] == 0
