#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: runbook_record
version_added: 1.0.0
short_description: Read and write a runbook's progress records (Kubernetes ConfigMaps) in one call
description:
  - A failover or a failover drill keeps its progress in a ConfigMap of the DR cluster (it must be reachable when the
    primary region is not), so a re-run after an interruption knows what was done and what to put back. Key
    C(record.json) holds the whole record; C(run_id), C(phase) and C(outcome) repeat its headline for
    C(kubectl get configmap -o yaml). The ConfigMap is labelled C(app.kubernetes.io/managed-by=cloudops.runbooks) and
    C(cloudops.io/record=<name>).
  - O(read) reads several records at once; O(write) writes one (the whole record, replacing the previous one; other
    keys of the ConfigMap are left alone). Both in one call write first, then read, so a record written is read back
    as written.
  - Idempotent - writing the record the ConfigMap already holds changes nothing. A create whose response was lost is
    read back instead of being sent twice; reads and patches are retried under the collection's retry policy.
  - Check mode reads and predicts, and never writes; a record O(write) would write is returned as RV(record), and
    in RV(records) when also read. C(--diff) shows the record before and after.
options:
  namespace:
    description: Namespace of the ConfigMaps.
    type: str
    required: true
  read:
    description: Names of the ConfigMaps to read; each one's record is in RV(records) (null when there is none).
    type: list
    elements: str
    default: []
  write:
    description: The record to write.
    type: dict
    suboptions:
      name:
        description: Name of the ConfigMap, for example V(cloudops-failover) or V(cloudops-failover-drill).
        type: str
        required: true
      data:
        description: The whole record (a dict; it replaces the previous one).
        type: dict
        required: true
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.kubernetes
"""

EXAMPLES = r"""
- name: Read the records of a failover and of a drill at once
  cloudops.runbooks.runbook_record:
    namespace: cloudops-system
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    read: [cloudops-failover, cloudops-failover-drill]
  register: progress

- name: Record that the drill started
  cloudops.runbooks.runbook_record:
    namespace: cloudops-system
    kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    write:
      name: cloudops-failover-drill
      data: {run_id: "{{ run_id }}", phase: started, outcome: in_progress}
"""

RETURN = r"""
records:
  description: The record of each ConfigMap of O(read), by name; null when the ConfigMap or its record does not exist.
  returned: always
  type: dict
  sample: {cloudops-failover: null, cloudops-failover-drill: {run_id: drill-20260131T120000, phase: failover, outcome: in_progress}}
record:
  description: The record written (or that would be, in check mode).
  returned: O(write) given
  type: dict
  sample: {run_id: drill-20260131T120000, phase: started, outcome: in_progress}
written:
  description: The ConfigMap written, C(namespace/name); null when nothing was (or would be) written.
  returned: always
  type: str
  sample: cloudops-system/cloudops-failover-drill
step_summary:
  description: The call as a runbook step - C(detail), C(measures) (C(read), C(found), C(written)) and C(gates) (none).
  returned: always
  type: dict
  sample: {detail: "record cloudops-system/cloudops-failover-drill written", measures: {read: 0, found: 0, written: 1}, gates: []}
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import records
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s.configmaps import ConfigMaps, write_record


def main():
    module = AnsibleModule(
        argument_spec=dict(
            namespace=dict(type="str", required=True),
            read=dict(type="list", elements="str", default=[]),
            write=dict(type="dict", options=dict(name=dict(type="str", required=True), data=dict(type="dict", required=True))),
            kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
            context=dict(type="str", aliases=["kube_context"]),
        ),
        supports_check_mode=True,
    )
    params = module.params
    namespace, write = params["namespace"], params["write"]
    try:
        names = records.unique_names(params["read"])
        if not names and not write:
            raise records.RecordError("nothing to do: give read (names) and/or write (name, data)")
        if write:
            records.record_data(write["data"])
    except records.RecordError as e:
        module.fail_json(msg=str(e))
    io = ConfigMaps(module, k8s_retry.module_api_client(module, params["kubeconfig"], params["context"]), namespace)

    result = dict(changed=False, records={}, written=None)
    try:
        if write:
            done = write_record(module, io, write["name"], write["data"])
            result.update(changed=done["changed"], record=done["record"], written=done["written"])
            if module._diff:
                result["diff"] = {"before": {"record": done["before"]}, "after": {"record": done["record"]}}
        for name in names:
            if write and name == write["name"] and module.check_mode:
                result["records"][name] = write["data"]  # the prediction: nothing was written
            else:
                result["records"][name] = records.parse(io.read(name))
    except records.RecordError as e:
        module.fail_json(msg=str(e), **result)
    result["step_summary"] = records.step_summary(namespace, result["records"], write["name"] if write else None,
                                                  result["changed"], module.check_mode)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
