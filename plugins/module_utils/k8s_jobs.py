# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run-to-completion Kubernetes Jobs (smoke tests): the manifest, and what a Job's status means.

Plain Python (no kubernetes client): unit-tested in tests/unit.
"""

from __future__ import annotations

import re

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

RUNNING, COMPLETE, FAILED = "running", "complete", "failed"
MANAGED_BY = "cloudops.runbooks"
NAME_RE = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")


def validate_name(name):
    """A Job name must be a DNS-1123 label of at most 63 characters (its pods get a suffix)."""
    if len(name) > 63 or not NAME_RE.match(name):
        return ("Job name %r is not a valid DNS-1123 label (lower-case letters, digits and '-', at most 63 "
                "characters, starting and ending with a letter or digit)" % name)
    return None


def job_manifest(name, namespace, image, command=None, args=None, env=None, labels=None, backoff_limit=0,
                 active_deadline_seconds=None):
    """The Job: one pod, never restarted (a smoke test that fails once has failed), labelled as ours."""
    container = {"name": "smoke", "image": image}
    if command:
        container["command"] = list(command)
    if args:
        container["args"] = list(args)
    if env:
        container["env"] = [{"name": str(k), "value": str(v)} for k, v in sorted(env.items())]
    meta_labels = {"app.kubernetes.io/managed-by": MANAGED_BY}
    meta_labels.update(labels or {})
    spec = {
        "backoffLimit": int(backoff_limit),
        "template": {"metadata": {"labels": dict(meta_labels)},
                     "spec": {"restartPolicy": "Never", "containers": [container]}},
    }
    if active_deadline_seconds:
        spec["activeDeadlineSeconds"] = int(active_deadline_seconds)
    return {"apiVersion": "batch/v1", "kind": "Job",
            "metadata": {"name": name, "namespace": namespace, "labels": meta_labels}, "spec": spec}


def job_state(status):
    """complete / failed / running from a Job's status (conditions first, counters as a fallback)."""
    status = status or {}
    for cond in status.get("conditions") or []:
        if str(cond.get("status")) != "True":
            continue
        if cond.get("type") in ("Complete", "SuccessCriteriaMet"):
            return COMPLETE
        if cond.get("type") in ("Failed", "FailureTarget"):
            return FAILED
    return RUNNING


def failure_reason(status):
    """The Failed condition's reason and message, for the error."""
    for cond in (status or {}).get("conditions") or []:
        if cond.get("type") in ("Failed", "FailureTarget") and str(cond.get("status")) == "True":
            return "%s: %s" % (cond.get("reason") or "Failed", cond.get("message") or "")
    return "Failed"


def exit_codes(pods):
    """Exit codes of the pods' terminated containers, oldest pod first."""
    codes = []
    for pod in sorted(pods, key=lambda p: (p.get("metadata") or {}).get("creationTimestamp") or ""):
        for cs in ((pod.get("status") or {}).get("containerStatuses") or []):
            term = (cs.get("state") or {}).get("terminated")
            if term is not None:
                codes.append(term.get("exitCode"))
    return codes


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def job_step_summary(job):
    """step_summary of k8s_job_run: the Job's outcome as a gate (complete passes; skipped, in check mode, is no verdict)."""
    job = job if isinstance(job, dict) else {}
    if not job:
        return steps.summary()
    outcome = job.get("outcome")
    passed = None if outcome in (None, "skipped") else outcome == "complete"
    detail = "job %s: %s" % (job.get("name"), outcome)
    if job.get("duration_seconds") is not None:
        detail += " in %s s" % job["duration_seconds"]
    return steps.summary(detail, steps.numbers_of(job, ("duration_seconds", "succeeded", "failed")),
                         [steps.gate("job %s" % job.get("name"), passed, outcome,
                                     steps.numbers_of(job, ("outcome", "succeeded", "failed", "duration_seconds")))])
