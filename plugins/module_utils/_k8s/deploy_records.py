# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy records (ConfigMap cloudops-deploy-<service>, key record.json) read and written with the collection's
Kubernetes client (_k8s/client.py: the one retry policy; a create is never sent twice).

The ConfigMap is the one roles/deploy_record wrote with kubernetes.core.k8s: the same name, labels and data keys, so
records written by either are read by both. A write replaces the data only when it differs (changed=False else).
"""

from __future__ import annotations

import json

from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry

try:
    from kubernetes import client as k8s_client
    from kubernetes.client.rest import ApiException
except ImportError:  # module_api_client reports the missing library
    pass

MANAGED_BY = "cloudops.runbooks"


def name_of(service):
    return "cloudops-deploy-%s" % service


def manifest(entry):
    """The ConfigMap of a deploy_record entry {service, namespace, record}."""
    record = entry.get("record") or {}
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name_of(entry["service"]), "namespace": entry["namespace"],
                         "labels": {"app.kubernetes.io/managed-by": MANAGED_BY, "cloudops.io/service": str(entry["service"])}},
            "data": data_of(record)}


def data_of(record):
    """The ConfigMap data of a record: the record as JSON (what the runbooks read) and three keys for kubectl."""
    def text(value):
        return "" if value is None else str(value)
    return {"record.json": json.dumps(record, sort_keys=True), "version": text(record.get("version")),
            "outcome": text(record.get("outcome")), "release": text(record.get("release"))}


def parse(configmap):
    """{found, record} of a ConfigMap read (None: not found)."""
    if configmap is None:
        return {"found": False, "record": None}
    data = (configmap.get("data") if isinstance(configmap, dict) else None) or {}
    return {"found": True, "record": json.loads(data["record.json"]) if "record.json" in data else None}


def _fail(module, exc, what):
    body = getattr(exc, "body", None) or ""
    module.fail_json(msg="%s failed: %s %s %s" % (what, getattr(exc, "status", ""), getattr(exc, "reason", ""), str(body)[:500]))


class Records(object):
    """Reads and writes the deploy records of one cluster (kubeconfig/context)."""

    def __init__(self, module, kubeconfig=None, context=None):
        self.module = module
        self.api = k8s_retry.module_api_client(module, kubeconfig or None, context or None)
        self.core = k8s_client.CoreV1Api(self.api)

    def close(self):
        self.api.close()

    def read_raw(self, service, namespace):
        try:
            return self.api.sanitize_for_serialization(self.core.read_namespaced_config_map(name_of(service), namespace))
        except ApiException as exc:
            if exc.status == 404:
                return None
            _fail(self.module, exc, "reading ConfigMap %s/%s" % (namespace, name_of(service)))

    def read(self, service, namespace):
        """{found, record} of a service's record in a namespace."""
        return parse(self.read_raw(service, namespace))

    def write(self, entry, check_mode=False):
        """Write a deploy_record entry {service, namespace, record}: create, or replace the data when it differs.
        Returns {changed, before (record or None), after (record)}."""
        wanted = manifest(entry)
        namespace, name = entry["namespace"], wanted["metadata"]["name"]
        current = self.read_raw(entry["service"], namespace)
        before = parse(current)["record"]
        if current is not None and (current.get("data") or {}) == wanted["data"] and all(
                ((current.get("metadata") or {}).get("labels") or {}).get(k) == v for k, v in wanted["metadata"]["labels"].items()):
            return {"changed": False, "before": before, "after": entry.get("record")}
        if not check_mode:
            try:
                if current is None:
                    k8s_retry.create(lambda: self.core.create_namespaced_config_map(namespace, wanted),
                                     lambda: self.read_raw(entry["service"], namespace))
                else:
                    labels = dict((current.get("metadata") or {}).get("labels") or {}, **wanted["metadata"]["labels"])
                    body = {"metadata": {"labels": labels}, "data": wanted["data"]}
                    self.core.patch_namespaced_config_map(name, namespace, body)
            except ApiException as exc:
                _fail(self.module, exc, "writing ConfigMap %s/%s" % (namespace, name))
        return {"changed": True, "before": before, "after": entry.get("record")}
