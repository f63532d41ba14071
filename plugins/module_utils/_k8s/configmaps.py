# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A runbook's progress record in a ConfigMap: the reads and writes of runbook_record, shared with runbook_lock (which
writes a run's first record in the process that marks it unfinished). Decisions in module_utils/records.py."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_state
from ansible_collections.cloudops.runbooks.plugins.module_utils import records
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry

try:
    from kubernetes import client as k8s_client
    from kubernetes.client.rest import ApiException
except ImportError:
    pass  # k8s_retry.module_api_client reports the missing library


class ConfigMaps(object):
    def __init__(self, module, api, namespace):
        self.module, self.api, self.core, self.namespace = module, api, k8s_client.CoreV1Api(api), namespace

    def _fail(self, exc, what):
        self.module.fail_json(msg="%s failed: %s %s %s" % (what, getattr(exc, "status", ""), getattr(exc, "reason", ""),
                                                           str(getattr(exc, "body", None) or exc)[:500]))

    def read(self, name):
        """The ConfigMap as a camelCase dict, or None when it does not exist."""
        try:
            return self.api.sanitize_for_serialization(self.core.read_namespaced_config_map(name, self.namespace))
        except ApiException as exc:
            if exc.status == 404:
                return None
            self._fail(exc, "reading ConfigMap %s/%s" % (self.namespace, name))
        except Exception as exc:  # urllib3 errors after the retries
            self._fail(exc, "reading ConfigMap %s/%s" % (self.namespace, name))

    def write(self, name, record, existing):
        what = "writing ConfigMap %s/%s" % (self.namespace, name)
        try:
            if existing is None:
                k8s_retry.create(lambda: self.core.create_namespaced_config_map(self.namespace, records.configmap(name, self.namespace, record)),
                                 lambda: self.read(name))
            else:
                self.core.patch_namespaced_config_map(name, self.namespace, records.patch(name, record))
        except ApiException as exc:
            if exc.status == 404:
                self.module.fail_json(msg="%s failed: namespace %s does not exist in this cluster (check the kubeconfig/context "
                                          "and the record's namespace)" % (what, self.namespace))
            self._fail(exc, what)
        except Exception as exc:  # urllib3 errors after the retries
            self._fail(exc, what)


def write_record(module, io, name, record):
    """Write the record (unless it is there already; never in check mode): {changed, written, record, before}."""
    existing = io.read(name)
    before = records.parse(existing) if existing is not None else None
    changed = records.needs_write(existing, name, record)
    if changed and not module.check_mode:
        io.write(name, record, existing)
    return {"changed": changed, "written": "%s/%s" % (io.namespace, name) if changed else None, "record": record, "before": before}


def failover_production(module, kubeconfig, context, namespace, name=failover_state.FAILOVER_RECORD):
    """Which side serves production (failover_state.production()), from the failover record on the DR cluster."""
    api = k8s_retry.module_api_client(module, kubeconfig or None, context or None)
    found = ConfigMaps(module, api, namespace).read(name)
    try:
        return failover_state.production(records.parse(found) if found is not None else None)
    except records.RecordError as e:
        module.fail_json(msg=str(e))
