#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_record
version_added: 1.0.0
short_description: Read or write the deploy records of services (ConfigMaps cloudops-deploy-<service>), all in one process
description:
  - The record of a service on a side is the ConfigMap C(cloudops-deploy-<service>) in the service's namespace of that
    side's cluster; key C(record.json) holds the whole record, keys C(version), C(outcome) and C(release) repeat its
    headline for C(kubectl get configmap -o yaml).
  - O(operation=read) reads the record of each entry of O(sources); O(operation=write) writes each entry of O(entries)
    (created, or its data replaced when it differs - an unchanged record reports no change). Side by side, one worker
    thread per record, with the collection's Kubernetes client and retry policy.
  - Check mode reads for real and predicts the writes.
options:
  operation:
    description: Read the records of O(sources) or write those of O(entries).
    type: str
    choices: [read, write]
    default: write
  sources:
    description: The records to read, C({service, side, namespace, kubeconfig, context}).
    type: list
    elements: dict
    default: []
  entries:
    description: The records to write, C({service, side, namespace, kubeconfig, context, record}).
    type: list
    elements: dict
    default: []
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Read the deploy records of web on both sides
  cloudops.runbooks.deploy_record:
    operation: read
    sources:
      - {service: web, side: primary, namespace: shop, kubeconfig: /etc/kube/primary.yaml}
      - {service: web, side: dr, namespace: shop, kubeconfig: /etc/kube/dr.yaml}
  register: read
"""

RETURN = r"""
records:
  description:
    - read - one entry per source C({service, side, found, record}) (the record parsed, null when there is none).
    - write - one entry per entry C({service, side, changed}).
  returned: success
  type: list
  elements: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import deploy_records


def _label(key):
    return "%s on %s" % (key[1], key[0])


def main():
    module = AnsibleModule(
        argument_spec=dict(
            operation=dict(type="str", choices=["read", "write"], default="write"),
            sources=dict(type="list", elements="dict", default=[]),
            entries=dict(type="list", elements="dict", default=[]),
        ),
        supports_check_mode=True,
    )
    if not k8s_retry.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=k8s_retry.KUBERNETES_IMPORT_ERROR)
    p = module.params
    worker = threads.WorkerModule(module)
    items = p["sources"] if p["operation"] == "read" else p["entries"]
    for item in items:
        missing = [key for key in ("service", "side", "namespace") + (("record",) if p["operation"] == "write" else ()) if not item.get(key)]
        if missing:
            where = "sources" if p["operation"] == "read" else "entries"
            module.fail_json(msg="%s entry %s lacks %s" % (where, item.get("service"), ", ".join(missing)))

    def run(item):
        def go():
            io = deploy_records.Records(worker, item.get("kubeconfig") or "", item.get("context") or "")
            try:
                if p["operation"] == "read":
                    return dict(io.read(item["service"], item["namespace"]), service=item["service"], side=item["side"])
                done = io.write(item, module.check_mode)
                return {"service": item["service"], "side": item["side"], "changed": done["changed"]}
            finally:
                io.close()
        return go

    found, failures = threads.run_all(dict(((item["side"], deploy_records.name_of(item["service"]), index), run(item))
                                           for index, item in enumerate(items)))
    if failures:
        threads.fail_from(module, failures, _label if len(failures) > 1 else None)
    records = list(found.values())
    module.exit_json(changed=any(r.get("changed") for r in records), records=records)


if __name__ == "__main__":
    main()
