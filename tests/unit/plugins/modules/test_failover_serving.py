# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""failover_serving: the smoke-test Job and the Route 53 INSYNC wait side by side in one process, recorded as two
steps with their own times; a failure of either fails the module with both steps. The Job and the change are
stand-ins here; tests/integration/test_failover_playbooks.py runs them on the sandbox."""

from __future__ import annotations

import json
import threading

import pytest

pytest.importorskip("boto3")

from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps  # noqa: E402
from ansible_collections.cloudops.runbooks.plugins.modules import failover_serving  # noqa: E402

SMOKE = {"name": "failover-smoke", "namespace": "shop", "image": "curl", "command": ["true"], "kubeconfig": "", "context": ""}


class Both(object):
    def __init__(self, monkeypatch, job_fails=False, pending=False):
        self.barrier = threading.Barrier(2, timeout=10)
        self.job_fails, self.pending, self.specs = job_fails, pending, []
        monkeypatch.setattr(failover_serving, "client", lambda module, service, region=None: service)
        monkeypatch.setattr(failover_serving.route53, "get_change", self.get_change)
        monkeypatch.setattr(failover_serving.jobs, "run", self.run_job)
        monkeypatch.setattr(failover_serving.route53.waiting.time, "sleep", lambda seconds: None)
        self.polls = 0

    def get_change(self, module, conn, change_id):
        if self.polls == 0:
            self.barrier.wait()  # the Job runs at the same time
        self.polls += 1
        return {"Id": change_id, "Status": "PENDING" if self.pending else "INSYNC"}

    def run_job(self, module, spec):
        self.specs.append(spec)
        self.barrier.wait()
        job = {"name": spec["name"], "namespace": spec["namespace"], "outcome": "failed" if self.job_fails else "complete",
               "succeeded": 0 if self.job_fails else 1, "exit_codes": [1 if self.job_fails else 0]}
        summary = steps.summary("job %s" % job["outcome"], {}, [{"name": "job failover-smoke", "passed": not self.job_fails}])
        if self.job_fails:
            module.fail_json(msg="Job shop/failover-smoke failed", changed=True, job=job, step_summary=summary)
        return {"changed": False, "job": job, "step_summary": summary}

    def run(self, capsys, **args):
        base = {"smoke": SMOKE, "change_id": "/change/C1", "submitted_at": "2026-01-31T12:00:00Z", "wait_timeout": 5,
                "region": "us-east-1"}
        with patch_module_args(dict(base, **args)):
            with pytest.raises(SystemExit):
                failover_serving.main()
        return json.loads(capsys.readouterr().out)


def test_both_run_at_once_and_are_recorded_as_two_steps(monkeypatch, capsys):
    both = Both(monkeypatch)
    result = both.run(capsys)
    assert "failed" not in result
    smoke, insync = result["cloudops_step"]
    assert (smoke["step"], smoke["phase"], smoke["outcome"], insync["step"], insync["outcome"]) == (
        "smoke_test", "failover", "ok", "dns_insync", "ok")
    assert smoke["gates"][0]["name"] == "job failover-smoke" and insync["gates"][0]["name"] == "DNS change INSYNC"
    assert result["serving_at"] == max(smoke["finished_at"], insync["finished_at"])
    assert (result["smoke_passed_at"], result["dns_insync_at"]) == (smoke["finished_at"], insync["finished_at"])
    assert result["insync"]["change_id"] == "C1" and both.specs[0]["kubeconfig"] is None  # empty: the default kubeconfig


def test_a_failed_smoke_test_fails_the_module_with_both_steps(monkeypatch, capsys):
    result = Both(monkeypatch, job_fails=True).run(capsys)
    assert result["failed"] is True and result["msg"].startswith("smoke test: Job shop/failover-smoke failed")
    assert [s["outcome"] for s in result["cloudops_step"]] == ["failed", "ok"]
    assert result["smoke_passed_at"] is None and result["dns_insync_at"] and result["serving_at"] is None


def test_a_change_not_insync_in_time_fails_its_step(monkeypatch, capsys):
    both = Both(monkeypatch, pending=True)
    result = both.run(capsys, wait_timeout=1)
    assert result["failed"] is True and "DNS INSYNC: change C1 is still PENDING" in result["msg"]
    assert [s["outcome"] for s in result["cloudops_step"]] == ["ok", "failed"]


def test_without_a_job_the_smoke_step_has_no_module(monkeypatch, capsys):
    both = Both(monkeypatch)
    both.barrier = threading.Barrier(1)
    result = both.run(capsys, smoke=None)
    smoke = result["cloudops_step"][0]
    assert (smoke["step"], smoke["module"], smoke["outcome"]) == ("smoke_test", None, "ok") and result["smoke"] is None
