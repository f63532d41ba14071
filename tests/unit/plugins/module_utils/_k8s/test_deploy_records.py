# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy record ConfigMap: its shape (as roles/deploy_record wrote it with kubernetes.core.k8s), parsing, and a
write that changes nothing when the record is the same."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("kubernetes")

from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import deploy_records  # noqa: E402

ENTRY = {"service": "web", "side": "primary", "namespace": "shop",
         "record": {"service": "web", "version": "1.1.0", "outcome": "in_progress", "release": "shop-green", "revision": None}}


def test_manifest_has_the_name_labels_and_keys_of_the_record():
    cm = deploy_records.manifest(ENTRY)
    assert cm["metadata"] == {"name": "cloudops-deploy-web", "namespace": "shop",
                              "labels": {"app.kubernetes.io/managed-by": "cloudops.runbooks", "cloudops.io/service": "web"}}
    assert json.loads(cm["data"]["record.json"]) == ENTRY["record"]
    assert (cm["data"]["version"], cm["data"]["outcome"], cm["data"]["release"]) == ("1.1.0", "in_progress", "shop-green")


def test_parse():
    assert deploy_records.parse(None) == {"found": False, "record": None}
    assert deploy_records.parse({"data": {}}) == {"found": True, "record": None}
    assert deploy_records.parse({"data": {"record.json": '{"a": 1}'}}) == {"found": True, "record": {"a": 1}}


class FakeCore(object):
    def __init__(self, existing=None):
        self.existing, self.calls = existing, []

    def read_namespaced_config_map(self, name, namespace):
        self.calls.append(("read", name, namespace))
        if self.existing is None:
            from kubernetes.client.rest import ApiException
            raise ApiException(status=404)
        return self.existing

    def create_namespaced_config_map(self, namespace, body):
        self.calls.append(("create", namespace))
        self.existing = body
        return body

    def patch_namespaced_config_map(self, name, namespace, body):
        self.calls.append(("patch", name, namespace))
        self.existing = dict(self.existing, data=body["data"])
        return self.existing


class FakeApi(object):
    def sanitize_for_serialization(self, obj):
        return obj


def records_with(core):
    io = deploy_records.Records.__new__(deploy_records.Records)
    io.module, io.api, io.core = None, FakeApi(), core
    return io


def test_write_creates_then_changes_nothing_then_patches():
    core = FakeCore()
    io = records_with(core)
    assert io.write(ENTRY)["changed"] is True
    assert [c[0] for c in core.calls] == ["read", "create"]
    assert io.write(ENTRY)["changed"] is False  # the same record again: no write
    assert [c[0] for c in core.calls] == ["read", "create", "read"]
    done = io.write(dict(ENTRY, record=dict(ENTRY["record"], outcome="deployed")))
    assert done["changed"] is True and done["before"]["outcome"] == "in_progress"
    assert core.calls[-1][0] == "patch"


def test_write_in_check_mode_predicts():
    core = FakeCore()
    assert records_with(core).write(ENTRY, check_mode=True)["changed"] is True
    assert [c[0] for c in core.calls] == ["read"]
