#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: k8s_job_run
version_added: 1.0.0
short_description: Run a Kubernetes Job to completion (a smoke test) and report how it ended
description:
  - Creates a one-pod Job (never restarted, O(backoff_limit) retries), waits until it is C(Complete) or C(Failed),
    and fails the task when the Job failed or did not finish within O(timeout), with the exit codes.
  - The wait polls adaptively (0.5 s growing to 1.5 s) and watches for both outcomes, so a failing Job is reported
    as soon as Kubernetes marks it failed, not at the timeout (C(kubernetes.core.k8s) waits for one condition).
  - A finished Job of the same name from an earlier run is deleted first (O(delete_previous)); a Job of that
    name that is still running is refused, so two runs never overlap.
  - With O(cleanup=true) a Job that succeeded is deleted afterwards (the cluster is left as found, the task reports
    no change); a failed Job is kept for inspection (C(kubectl logs job/NAME)).
  - In check mode nothing is created; the task reports a change when a Job would be left behind.
options:
  name:
    description: Name of the Job (a DNS-1123 label).
    type: str
    required: true
  namespace:
    description: Namespace to run the Job in.
    type: str
    required: true
  image:
    description: Container image of the Job's single container.
    type: str
    required: true
  command:
    description: Entrypoint of the container (exec form, a list).
    type: list
    elements: str
  args:
    description: Arguments of the container.
    type: list
    elements: str
  env:
    description: Environment variables of the container (name to value).
    type: dict
    default: {}
  labels:
    description: Extra labels of the Job and its pod.
    type: dict
    default: {}
  backoff_limit:
    description: Retries before the Job counts as failed.
    type: int
    default: 0
  timeout:
    description: Seconds to wait for the Job to finish; also its C(activeDeadlineSeconds).
    type: int
    default: 300
  delete_previous:
    description: Delete a finished Job of the same name before creating this one.
    type: bool
    default: true
  cleanup:
    description: Delete the Job (and its pod) after it succeeded.
    type: bool
    default: true
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.kubernetes
"""

EXAMPLES = r"""
- name: Smoke-test the green release before it gets traffic
  cloudops.runbooks.k8s_job_run:
    name: shop-green-smoke
    namespace: shop
    image: busybox:1.36
    command: [sh, -c, "wget -qO- http://$SMOKE_TARGET/healthz"]
    env:
      SMOKE_TARGET: shop-green
    kubeconfig: "{{ cloudops_eks.primary.kubeconfig }}"
    timeout: 120
"""

RETURN = r"""
job:
  description: How the Job ended.
  returned: success or when the Job ran
  type: dict
  contains:
    name:
      description: Job name.
      type: str
      sample: shop-green-smoke
    namespace:
      description: Job namespace.
      type: str
      sample: shop
    outcome:
      description: V(complete), V(failed), V(timeout), or V(skipped) in check mode.
      type: str
      sample: complete
    succeeded:
      description: Pods that succeeded.
      type: int
      sample: 1
    failed:
      description: Pods that failed.
      type: int
      sample: 0
    exit_codes:
      description: Exit codes of the Job's terminated containers.
      type: list
      elements: int
      sample: [0]
    duration_seconds:
      description: From creation to the outcome.
      type: float
      sample: 2.4
    polls:
      description: Status reads the wait took.
      type: int
      sample: 4
    deleted:
      description: Whether the Job was deleted afterwards (O(cleanup)).
      type: bool
      sample: true
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here the Job's outcome as a gate (C(job
      <name>): complete passes, failed or timeout fails, skipped in check mode is no verdict)."
  returned: when the Job ran or was predicted
  type: dict
  version_added: 1.0.0
  sample:
    detail: 'job web-smoke: complete in 4.2 s'
    measures: {duration_seconds: 4.2, succeeded: 1, failed: 0}
    gates:
    - name: job web-smoke
      passed: true
      detail: complete
      numbers: {outcome: complete, succeeded: 1, failed: 0, duration_seconds: 4.2}
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import jobs


def main():
    module = AnsibleModule(
        argument_spec=dict(jobs.job_options(), kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
                           context=dict(type="str", aliases=["kube_context"])),
        supports_check_mode=True,
    )
    if not jobs.HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=jobs.KUBERNETES_IMPORT_ERROR)
    module.exit_json(**jobs.run(module, module.params))


if __name__ == "__main__":
    main()
