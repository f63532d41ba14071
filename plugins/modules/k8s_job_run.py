#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: k8s_job_run
version_added: 0.2.0
short_description: Run a Kubernetes Job to completion (a smoke test) and report how it ended
description:
  - Creates a one-pod Job (never restarted, O(backoff_limit) retries), waits until it is C(Complete) or C(Failed),
    and fails the task when the Job failed or did not finish within O(timeout), with the exit codes.
  - The wait polls adaptively (0.5 s growing to 5 s) and watches for both outcomes, so a failing Job is reported
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
extends_documentation_fragment:
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
  version_added: 0.8.0
  sample:
    detail: 'job web-smoke: complete in 4.2 s'
    measures: {duration_seconds: 4.2, succeeded: 1, failed: 0}
    gates:
    - name: job web-smoke
      passed: true
      detail: complete
      numbers: {outcome: complete, succeeded: 1, failed: 0, duration_seconds: 4.2}
"""

import traceback

from ansible.module_utils.basic import AnsibleModule, missing_required_lib

from ansible_collections.cloudops.runbooks.plugins.module_utils import k8s_jobs
from ansible_collections.cloudops.runbooks.plugins.module_utils.waiting import poll_until
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry

try:
    from kubernetes import client as k8s_client
    from kubernetes.client.rest import ApiException
except ImportError:
    HAS_KUBERNETES = False
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None


def api_error(module, exc, what):
    body = getattr(exc, "body", None) or ""
    module.fail_json(msg="%s failed: %s %s %s" % (what, getattr(exc, "status", ""), getattr(exc, "reason", ""), str(body)[:500]))


def read_job(api, batch, module, name, namespace):
    """The Job as the API serves it (camelCase), None when there is none."""
    try:
        return api.sanitize_for_serialization(batch.read_namespaced_job(name, namespace))
    except ApiException as exc:
        if exc.status == 404:
            return None
        api_error(module, exc, "reading Job %s/%s" % (namespace, name))


def pods_of(api, core, name, namespace):
    items = core.list_namespaced_pod(namespace, label_selector="job-name=%s" % name).items
    return [api.sanitize_for_serialization(pod) for pod in items]


def delete_job(batch, module, name, namespace):
    try:
        batch.delete_namespaced_job(name, namespace, propagation_policy="Background")
    except ApiException as exc:
        if exc.status != 404:
            api_error(module, exc, "deleting Job %s/%s" % (namespace, name))


def main():
    module = AnsibleModule(
        argument_spec=dict(
            name=dict(type="str", required=True),
            namespace=dict(type="str", required=True),
            image=dict(type="str", required=True),
            command=dict(type="list", elements="str"),
            args=dict(type="list", elements="str"),
            env=dict(type="dict", default={}),
            labels=dict(type="dict", default={}),
            backoff_limit=dict(type="int", default=0),
            timeout=dict(type="int", default=300),
            delete_previous=dict(type="bool", default=True),
            cleanup=dict(type="bool", default=True),
            kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
            context=dict(type="str", aliases=["kube_context"]),
        ),
        supports_check_mode=True,
    )
    if not HAS_KUBERNETES:
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    p = module.params
    name, namespace = p["name"], p["namespace"]
    problem = k8s_jobs.validate_name(name)
    if problem:
        module.fail_json(msg=problem)
    if p["timeout"] <= 0:
        module.fail_json(msg="timeout must be a positive number of seconds")

    try:
        api = k8s_retry.api_client(p["kubeconfig"], p["context"])
    except Exception as exc:  # the client raises ConfigException, IOError, ... for an unusable kubeconfig
        module.fail_json(msg="cannot load kubeconfig %s: %s" % (p["kubeconfig"] or "(default)", exc))
    batch, core = k8s_client.BatchV1Api(api), k8s_client.CoreV1Api(api)

    existing = read_job(api, batch, module, name, namespace)
    if existing is not None:
        if k8s_jobs.job_state(existing.get("status")) == k8s_jobs.RUNNING:
            module.fail_json(msg="Job %s/%s from an earlier run is still running: wait for it or delete it "
                                 "(kubectl -n %s delete job %s)" % (namespace, name, namespace, name))
        if not p["delete_previous"]:
            module.fail_json(msg="Job %s/%s already exists: delete it or set delete_previous=true" % (namespace, name))

    if module.check_mode:
        predicted = {"name": name, "namespace": namespace, "outcome": "skipped"}
        module.exit_json(changed=not p["cleanup"], job=predicted, step_summary=k8s_jobs.job_step_summary(predicted))

    if existing is not None:
        delete_job(batch, module, name, namespace)
        gone = poll_until(lambda: read_job(api, batch, module, name, namespace), lambda job: job is None, 30)
        if not gone["done"]:
            module.fail_json(msg="the previous Job %s/%s was not deleted within 30 s" % (namespace, name))

    manifest = k8s_jobs.job_manifest(name, namespace, p["image"], p["command"], p["args"], p["env"], p["labels"],
                                     p["backoff_limit"], active_deadline_seconds=p["timeout"])
    try:  # a create whose response is lost is not sent again when the Job is there
        k8s_retry.create(lambda: batch.create_namespaced_job(namespace, manifest),
                         lambda: read_job(api, batch, module, name, namespace))
    except ApiException as exc:
        api_error(module, exc, "creating Job %s/%s" % (namespace, name))

    def probe():
        job = read_job(api, batch, module, name, namespace) or {}
        return k8s_jobs.job_state(job.get("status")), job

    waited = poll_until(probe, lambda res: res[0] != k8s_jobs.RUNNING, p["timeout"])
    state, job = waited["result"]
    status = job.get("status") or {}
    result = {"name": name, "namespace": namespace, "outcome": state if waited["done"] else "timeout",
              "succeeded": status.get("succeeded") or 0, "failed": status.get("failed") or 0,
              "exit_codes": k8s_jobs.exit_codes(pods_of(api, core, name, namespace)),
              "duration_seconds": waited["elapsed"], "polls": waited["polls"], "deleted": False}
    summary = k8s_jobs.job_step_summary(result)
    if state == k8s_jobs.COMPLETE:
        if p["cleanup"]:
            delete_job(batch, module, name, namespace)
            result["deleted"] = True
        module.exit_json(changed=not p["cleanup"], job=result, step_summary=summary)
    if not waited["done"]:
        module.fail_json(changed=True, job=result, step_summary=summary,
                         msg="Job %s/%s did not finish within %s s (still running; exit codes so far %s)"
                             % (namespace, name, p["timeout"], result["exit_codes"]))
    module.fail_json(changed=True, job=result, step_summary=summary,
                     msg="Job %s/%s failed (%s; exit codes %s); it is kept for inspection: kubectl -n %s logs job/%s"
                         % (namespace, name, k8s_jobs.failure_reason(status), result["exit_codes"],
                            namespace, name))


if __name__ == "__main__":
    main()
