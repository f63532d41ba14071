#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: failover_serving
version_added: 1.0.0
short_description: DR serves - the smoke-test Job on DR and the Route 53 change INSYNC, side by side, as two steps
description:
  - The end of a failover's RTO path in one module process. Two things run at once, each in its own worker thread - the
    smoke-test Job on the DR cluster (as M(cloudops.runbooks.k8s_job_run) runs it, the same code) and the wait for the
    Route 53 change sent without a wait (as M(cloudops.runbooks.route53_change_wait) waits, the same code). The smoke
    test reaches the application inside the DR cluster, not through DNS, so it need not wait for the change.
  - Returns each as a recorded runbook step with its own C(finished_at) (RV(cloudops_step), a list of two - V(smoke_test)
    then V(dns_insync)), for the playbook to add with C(cloudops.runbooks.runbook_step) O(cloudops.runbooks.runbook_step#module:record);
    DR serves when both are done (the RTO clock stops at the later).
  - Fails when either fails (after both ended), with both steps in RV(cloudops_step) and the failure of each named.
  - Check mode - the Job is predicted (nothing created) and the change read as it is.
options:
  smoke:
    description:
      - The smoke-test Job, with the options of M(cloudops.runbooks.k8s_job_run). Without it the V(smoke_test) step is
        recorded with no module (the playbook runs its HTTP check itself).
    type: dict
    suboptions:
      name: {description: Job name., type: str, required: true}
      namespace: {description: Namespace., type: str, required: true}
      image: {description: Container image., type: str, required: true}
      command: {description: Command., type: list, elements: str}
      args: {description: Arguments., type: list, elements: str}
      env: {description: Environment variables., type: dict, default: {}}
      labels: {description: Extra labels., type: dict, default: {}}
      backoff_limit: {description: Retries of the Job's pod., type: int, default: 0}
      timeout: {description: Seconds the Job may run., type: int, default: 300}
      delete_previous: {description: Delete a finished Job of the same name first., type: bool, default: true}
      cleanup: {description: Delete the Job when it succeeded., type: bool, default: true}
      kubeconfig: {description: Kubeconfig of the DR cluster (empty is the default)., type: path}
      context: {description: Its context., type: str}
  change_id:
    description: The Route 53 change to wait for (M(cloudops.runbooks.route53_failover_switch)'s C(change_id)); none is INSYNC at once.
    type: str
  submitted_at:
    description: When the change was sent (its C(started_at)), for the INSYNC time.
    type: str
  wait_timeout:
    description: Seconds to wait for INSYNC.
    type: int
    default: 300
  phase:
    description: The phase of the two recorded steps.
    type: str
    default: failover
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Smoke-test DR while Route 53 propagates, and wait for INSYNC (one process, two steps)
  cloudops.runbooks.failover_serving:
    smoke:
      name: failover-smoke
      namespace: shop
      image: curlimages/curl:8.7.1
      command: [sh, -c, "curl -fsS http://shop-blue/healthz"]
      kubeconfig: "{{ cloudops_eks.dr.kubeconfig }}"
    change_id: "{{ dns.change_id }}"
    submitted_at: "{{ dns.started_at }}"
  register: serving

- name: Add both to the run's steps
  cloudops.runbooks.runbook_step:
    record: "{{ serving.cloudops_step }}"
"""

RETURN = r"""
results:
  description: The same steps, one per item (C(cloudops_step)), as the run evidence reads several steps of one task.
  returned: always
  type: list
  elements: dict
cloudops_step:
  description: The two recorded steps, V(smoke_test) then V(dns_insync), each with its own timing, outcome and gates.
  returned: always
  type: list
  elements: dict
  sample: [{step: smoke_test, phase: failover, outcome: ok, finished_at: '2026-01-31T12:00:04.100Z'},
           {step: dns_insync, phase: failover, outcome: ok, finished_at: '2026-01-31T12:00:03.200Z'}]
smoke:
  description: The Job's result as M(cloudops.runbooks.k8s_job_run) returns it (C(job), C(changed), C(step_summary)); null without O(smoke).
  returned: always
  type: dict
insync:
  description: The wait's result as M(cloudops.runbooks.route53_change_wait) returns it (C(change_id), C(change_status), C(insync_seconds), ...).
  returned: always
  type: dict
smoke_passed_at:
  description: When the smoke test passed (its step's C(finished_at)); null when it failed.
  returned: always
  type: str
  sample: '2026-01-31T12:00:04.100Z'
dns_insync_at:
  description: When the change was seen INSYNC (its step's C(finished_at)); null when the wait failed.
  returned: always
  type: str
  sample: '2026-01-31T12:00:03.200Z'
serving_at:
  description: When both were done (the later C(finished_at)); null when either failed.
  returned: always
  type: str
  sample: '2026-01-31T12:00:04.100Z'
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import jobs

NAME = "cloudops.runbooks.failover_serving"
SMOKE = {"step": "smoke_test", "title": "smoke test on DR"}
INSYNC = {"step": "dns_insync", "title": "Route 53 change served everywhere (INSYNC)"}


def wait_insync(worker, params):
    """route53_change_wait's work: {changed, change_id, change_status, waited_seconds, insync_seconds, finished_at, step_summary}."""
    conn = client(worker, "route53") if params["change_id"] else None
    return route53.wait_insync(worker, conn, params["change_id"], params["submitted_at"], params["wait_timeout"])


def smoke_test(worker, params):
    spec = dict(params["smoke"])
    spec["kubeconfig"], spec["context"] = spec.get("kubeconfig") or None, spec.get("context") or None
    return jobs.run(worker, spec)


def timed(work):
    """Run work() in a worker thread: {result, failed, msg, started, finished} (a failure is kept, not raised)."""
    def run():
        started = time.time()
        try:
            return {"result": work(), "failed": False, "msg": None, "started": started, "finished": time.time()}
        except threads.WorkerFailed as e:
            return {"result": dict(e.kwargs, failed=True, msg=threads._text(e)), "failed": True, "msg": threads._text(e),  # pylint: disable=protected-access
                    "started": started, "finished": time.time()}
    return run


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            smoke=dict(type="dict", options=jobs.job_options()),
            change_id=dict(type="str"),
            submitted_at=dict(type="str"),
            wait_timeout=dict(type="int", default=300),
            phase=dict(type="str", default="failover"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    if params["smoke"] and not jobs.HAS_KUBERNETES:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=jobs.KUBERNETES_IMPORT_ERROR)
    worker = threads.WorkerModule(module)
    tasks = {"insync": timed(lambda: wait_insync(worker, params))}
    if params["smoke"]:
        tasks["smoke"] = timed(lambda: smoke_test(worker, params))
    began = time.time()  # both steps start here, side by side
    done, dummy = threads.run_all(tasks)

    smoke = done.get("smoke")
    insync = done["insync"]
    recorded = [
        steps.make_step(SMOKE["step"], began, smoke["finished"], phase=params["phase"], title=SMOKE["title"], module=NAME,
                        result=smoke["result"]) if smoke
        else steps.make_step(SMOKE["step"], began, began, phase=params["phase"], title=SMOKE["title"]),
        steps.make_step(INSYNC["step"], began, insync["finished"], phase=params["phase"], title=INSYNC["title"], module=NAME,
                        result=insync["result"]),
    ]
    failures = [("smoke test: %s" % smoke["msg"]) if smoke and smoke["failed"] else None,
                ("DNS INSYNC: %s" % insync["msg"]) if insync["failed"] else None]
    failures = [text for text in failures if text]
    # Both steps, also one per item of `results` as the run evidence reads a task's several steps.
    result = dict(changed=bool(smoke and smoke["result"].get("changed")), cloudops_step=recorded,
                  results=[{"cloudops_step": step} for step in recorded],
                  smoke=smoke["result"] if smoke else None, insync=insync["result"],
                  smoke_passed_at=recorded[0]["finished_at"] if recorded[0]["outcome"] != "failed" else None,
                  dns_insync_at=recorded[1]["finished_at"] if recorded[1]["outcome"] != "failed" else None,
                  serving_at=None if failures else max(step["finished_at"] for step in recorded))
    if failures:
        module.fail_json(msg="; ".join(failures), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
