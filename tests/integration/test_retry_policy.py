# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's one retry policy on a private sandbox (plugins/module_utils/_aws/common.py, _k8s/client.py):

- dropped connections are retried like throttling (issue 14, defect 3: `status.yml` failed at 80 % resets of
  DescribeNodegroup, with throttling it passed);
- a mutating call whose response is lost (`reset-after`: moto applied it, then the connection was aborted) is not
  applied a second time: a runbook under such faults applies the same mutating calls as a run without faults.
"""

from __future__ import annotations

import collections
import json
import subprocess

import pytest

from conftest import BIN, REPO, ansible_env, ok, sandbox_cli

APPLIED = ("ok", "error", "reset-after")  # reached moto (sandbox/faults.py APPLIED_OUTCOMES)


def calls(sandbox, reset=False):
    return json.loads(sandbox_cli(sandbox["state"], "api-calls", "--json", *(["--reset"] if reset else [])).stdout)["calls"]


def applied_mutations(log):
    """(service, operation) -> how many mutating calls moto applied."""
    return collections.Counter((c["service"], c["operation"]) for c in log if c["mutating"] and c["outcome"] in APPLIED)


def test_status_survives_eighty_percent_of_describe_nodegroup_resets(fresh_sandbox, run_playbook):
    calls(fresh_sandbox, reset=True)
    # Seed 20: the calls of DescribeNodegroup go reset x6, ok x3, ...: the first call is reset 6 times in a row, more than
    # botocore's default budget. status reads both regions at once, so the two regions' calls take turns in that
    # sequence in any order; with at most 6 resets before the second success, no call can exhaust the policy's 10.
    sandbox_cli(fresh_sandbox["state"], "knob", "faults", "--rate", "0.8", "--kinds", "reset", "--operations", "DescribeNodegroup",
                "--seed", "20")
    try:
        proc, report = run_playbook(env=fresh_sandbox["env"])
    finally:
        sandbox_cli(fresh_sandbox["state"], "knob", "faults", "--rate", "0")
    ok(proc)
    log = [c for c in calls(fresh_sandbox) if c["operation"] == "DescribeNodegroup"]
    assert sum(1 for c in log if c["outcome"] == "reset") >= 3, log
    assert [(g["name"], g["desired_size"]) for g in report["eks"]["primary"]["nodegroups"]] == [("shop-primary-workers", 3)]
    assert [(g["name"], g["desired_size"]) for g in report["eks"]["dr"]["nodegroups"]] == [("shop-dr-workers", 1)]


RUNBOOKS = {
    "deploy": ("playbooks/deploy.yml", {"deploy_service": "web", "deploy_version": "1.1.0"}),
    "failover_drill": ("playbooks/failover_drill.yml", {}),
}


def run(sandbox, collections_path, tmp_path, playbook, extra_vars):
    variables = dict(extra_vars, status_report_path=str(tmp_path / "status.json"))
    proc = subprocess.run([str(BIN / "ansible-playbook"), playbook, "-i", "inventories/sandbox", "-e", json.dumps(variables)],
                          cwd=REPO, env=ansible_env(collections_path, sandbox["env"], PYTHONUNBUFFERED="1"),
                          capture_output=True, text=True, timeout=1200)
    ok(proc)
    return proc


# test_reliability.py runs every runbook with lost responses among its faults in `make test`; this variant, with only
# lost responses, is long.
@pytest.mark.long
@pytest.mark.parametrize("runbook", sorted(RUNBOOKS))
def test_a_lost_response_is_never_applied_twice(sandbox, collections_path, tmp_path, runbook):
    """The same runbook without faults and with 30 % of the calls applied and their response lost: the same
    mutating calls applied, each as often."""
    playbook, extra_vars = RUNBOOKS[runbook]
    sandbox_cli(sandbox["state"], "reset")
    calls(sandbox, reset=True)
    run(sandbox, collections_path, tmp_path, playbook, extra_vars)
    expected = applied_mutations(calls(sandbox))

    sandbox_cli(sandbox["state"], "reset")
    calls(sandbox, reset=True)
    sandbox_cli(sandbox["state"], "knob", "faults", "--rate", "0.3", "--kinds", "reset-after", "--seed", "5")
    try:
        run(sandbox, collections_path, tmp_path, playbook, extra_vars)
    finally:
        sandbox_cli(sandbox["state"], "knob", "faults", "--rate", "0")
    log = calls(sandbox)
    sandbox_cli(sandbox["state"], "reset")
    lost = [(c["service"], c["operation"]) for c in log if c["outcome"] == "reset-after"]
    assert any(c["mutating"] for c in log if c["outcome"] == "reset-after"), lost
    found = applied_mutations(log)
    # DynamoDB (the runbook lock) is left out: its conditional writes are the lock's own business (locking.py).
    assert dict((k, v) for k, v in found.items() if k[0] != "dynamodb") == dict(
        (k, v) for k, v in expected.items() if k[0] != "dynamodb"), lost
