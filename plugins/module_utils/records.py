# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A runbook's progress record kept in a Kubernetes ConfigMap, apart from any API call: the ConfigMap a record is
written as, the record a ConfigMap holds, whether a write changes anything, and the step_summary of a read/write.

Key C(record.json) holds the whole record (JSON); C(run_id), C(phase) and C(outcome) repeat its headline for
C(kubectl get configmap -o yaml). The I/O is in plugins/modules/runbook_record.py (through _k8s/client.py).
"""

from __future__ import annotations

import json

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

RECORD_KEY = "record.json"
HEADLINE = ("run_id", "phase", "outcome")
MANAGED_BY = {"app.kubernetes.io/managed-by": "cloudops.runbooks"}


class RecordError(Exception):
    """Input that cannot be used; the message says what to change."""


def _text(value):
    return "" if value is None else str(value)


def record_data(record):
    """The ConfigMap's data for a record: record.json plus the headline keys (strings, '' when absent)."""
    if not isinstance(record, dict):
        raise RecordError("the record to write must be a dict (the whole record), not %s" % type(record).__name__)
    data = {RECORD_KEY: json.dumps(record, sort_keys=True, separators=(",", ":"))}
    data.update((key, _text(record.get(key))) for key in HEADLINE)
    return data


def labels(name):
    return dict(MANAGED_BY, **{"cloudops.io/record": name})


def configmap(name, namespace, record):
    """The whole ConfigMap of a record (what a create sends)."""
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace, "labels": labels(name)},
            "data": record_data(record)}


def patch(name, record):
    """The merge patch that makes an existing ConfigMap hold the record (other keys and labels are left alone)."""
    return {"metadata": {"labels": labels(name)}, "data": record_data(record)}


def parse(obj):
    """The record an existing ConfigMap (a dict as the API serves it) holds, or None: no ConfigMap, no record.json.
    A record.json that is not JSON raises RecordError naming the ConfigMap."""
    if not obj:
        return None
    data = obj.get("data") or {}
    if RECORD_KEY not in data:
        return None
    try:
        return json.loads(data[RECORD_KEY])
    except ValueError as e:
        meta = obj.get("metadata") or {}
        raise RecordError("ConfigMap %s/%s has a %s that is not JSON (%s): fix or delete it"
                          % (meta.get("namespace"), meta.get("name"), RECORD_KEY, e)) from None


def needs_write(obj, name, record):
    """Whether writing the record changes the ConfigMap (absent, other data, or missing labels)."""
    if not obj:
        return True
    data = obj.get("data") or {}
    current_labels = (obj.get("metadata") or {}).get("labels") or {}
    wanted = record_data(record)
    if any(data.get(key) != value for key, value in wanted.items() if key != RECORD_KEY):
        return True
    if any(current_labels.get(key) != value for key, value in labels(name).items()):
        return True
    try:
        return json.loads(data.get(RECORD_KEY) or "null") != record
    except ValueError:
        return True


def unique_names(names):
    """The names in order, each once; empty names refused."""
    out = []
    for name in names or []:
        if not name or not str(name).strip():
            raise RecordError("read lists an empty ConfigMap name")
        if name not in out:
            out.append(name)
    return out


def step_summary(namespace, records, written=None, changed=False, check_mode=False):
    """step_summary of one call: records {name: record or None} read; written, the name written (or None)."""
    parts = []
    if written:
        verb = ("would be written" if changed else "unchanged") if check_mode else ("written" if changed else "unchanged")
        parts.append("record %s/%s %s" % (namespace, written, verb))
    found = sorted(name for name, record in records.items() if record is not None)
    if records:
        parts.append("read %d (%s)" % (len(records), ", ".join(
            "%s: %s" % (name, (records[name] or {}).get("outcome") or "present" if records[name] is not None else "none")
            for name in sorted(records))))
    return steps.summary("; ".join(parts), {"read": len(records), "found": len(found), "written": int(bool(written and changed))})
