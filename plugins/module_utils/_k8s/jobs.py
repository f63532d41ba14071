# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run-to-completion Job (a smoke test) run and waited for, with the collection's Kubernetes client
(_k8s/client.py: the one retry policy, a create never sent twice): k8s_job_run, and the deploy's coarse modules.
What a Job's status means is module_utils/k8s_jobs.py's."""

from __future__ import annotations

import traceback

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


def job_options():
    """The argument spec of one Job run (k8s_job_run's options, failover_serving's `smoke`)."""
    return dict(
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
        kubeconfig=dict(type="path"),
        context=dict(type="str"),
    )


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


def run(module, p, check_mode=None):
    """k8s_job_run of the options `p` (name, namespace, image, command, args, env, labels, backoff_limit, timeout,
    delete_previous, cleanup, kubeconfig, context): {changed, job, step_summary}; fails the module when the Job fails or
    does not finish within the timeout (with the Job's result). check_mode: the module's when None."""
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

    if module.check_mode if check_mode is None else check_mode:
        predicted = {"name": name, "namespace": namespace, "outcome": "skipped"}
        return dict(changed=not p["cleanup"], job=predicted, step_summary=k8s_jobs.job_step_summary(predicted))

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
        return dict(changed=not p["cleanup"], job=result, step_summary=summary)
    if not waited["done"]:
        module.fail_json(changed=True, job=result, step_summary=summary,
                         msg="Job %s/%s did not finish within %s s (still running; exit codes so far %s)"
                             % (namespace, name, p["timeout"], result["exit_codes"]))
    module.fail_json(changed=True, job=result, step_summary=summary,
                     msg="Job %s/%s failed (%s; exit codes %s); it is kept for inspection: kubectl -n %s logs job/%s"
                         % (namespace, name, k8s_jobs.failure_reason(status), result["exit_codes"],
                            namespace, name))
