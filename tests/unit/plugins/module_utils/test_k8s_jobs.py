# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import k8s_jobs


@pytest.mark.parametrize("name", ["shop-green-smoke", "a", "a1-b2"])
def test_valid_names(name):
    assert k8s_jobs.validate_name(name) is None


@pytest.mark.parametrize("name", ["Shop", "-x", "x-", "a_b", "x" * 64, ""])
def test_invalid_names_say_the_rule(name):
    assert "DNS-1123" in k8s_jobs.validate_name(name)


def test_manifest_is_one_unrestarted_pod_labelled_as_ours():
    job = k8s_jobs.job_manifest("s1", "shop", "busybox:1.36", ["sh", "-c", "true"], env={"B": 2, "A": "x"},
                                labels={"app": "shop"}, active_deadline_seconds=60)
    spec = job["spec"]
    assert (job["kind"], job["metadata"]["namespace"], spec["backoffLimit"]) == ("Job", "shop", 0)
    assert spec["activeDeadlineSeconds"] == 60
    pod = spec["template"]["spec"]
    assert pod["restartPolicy"] == "Never"
    assert pod["containers"][0]["env"] == [{"name": "A", "value": "x"}, {"name": "B", "value": "2"}]
    assert job["metadata"]["labels"] == {"app.kubernetes.io/managed-by": "cloudops.runbooks", "app": "shop"}
    assert "args" not in pod["containers"][0]


@pytest.mark.parametrize("conditions, state", [
    ([], "running"),
    ([{"type": "Complete", "status": "True"}], "complete"),
    ([{"type": "SuccessCriteriaMet", "status": "True"}], "complete"),
    ([{"type": "Failed", "status": "True", "reason": "BackoffLimitExceeded"}], "failed"),
    ([{"type": "FailureTarget", "status": "True"}], "failed"),
    ([{"type": "Failed", "status": "False"}], "running"),
])
def test_job_state_from_conditions(conditions, state):
    assert k8s_jobs.job_state({"conditions": conditions}) == state


def test_failure_reason_and_exit_codes():
    status = {"conditions": [{"type": "Failed", "status": "True", "reason": "DeadlineExceeded",
                              "message": "Job was active longer than specified deadline"}]}
    assert k8s_jobs.failure_reason(status) == "DeadlineExceeded: Job was active longer than specified deadline"
    assert k8s_jobs.failure_reason({}) == "Failed"
    pods = [
        {"metadata": {"creationTimestamp": "2026-01-01T00:00:02Z"},
         "status": {"containerStatuses": [{"state": {"terminated": {"exitCode": 0}}}]}},
        {"metadata": {"creationTimestamp": "2026-01-01T00:00:01Z"},
         "status": {"containerStatuses": [{"state": {"terminated": {"exitCode": 1}}}, {"state": {"running": {}}}]}},
    ]
    assert k8s_jobs.exit_codes(pods) == [1, 0]
