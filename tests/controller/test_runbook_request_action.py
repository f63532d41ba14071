# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook_request action plugin in real ansible-playbook runs (conftest.py): what a run is refused for before
the lock and any call, in the frame's order (extra vars' types, values and settings, estate, confirmation, sandbox),
with the messages the playbooks gave before issue 15, and the runbook_run fact of an accepted request."""

from __future__ import annotations

import copy
import json
import re


def test_requests_in_the_sandbox_inventory(playbook, sandbox_vars):
    def failover_settings(**changes):
        settings = copy.deepcopy(sandbox_vars["cloudops_failover"])
        settings.update(changes)
        return json.dumps(settings)

    no_smoke = json.loads(failover_settings())
    del no_smoke["smoke_test"]
    rc, r = playbook.run("""
        - name: Failover accepted
          cloudops.runbooks.runbook_request: {runbook: failover}
        - name: The fact is there for the next task
          ansible.builtin.debug: {msg: "{{ runbook_run.run_id }} {{ runbook_run.lock.runbook }}"}
        - name: Drill with the run id given, in check mode
          cloudops.runbooks.runbook_request: {runbook: failover_drill, run_id: drill-sandbox-resumed}
          check_mode: true
        - name: Status
          cloudops.runbooks.runbook_request: {runbook: status}
        - name: Drill with too few markers
          cloudops.runbooks.runbook_request: {runbook: failover_drill}
          vars: {drill_markers_count: 1}
          ignore_errors: true
        - name: Failover with an override that is no boolean
          cloudops.runbooks.runbook_request: {runbook: failover}
          vars: {failover_max_lag_override: maybe}
          ignore_errors: true
        - name: Failover without a smoke test
          cloudops.runbooks.runbook_request: {runbook: failover}
          vars: {cloudops_failover: %s}
          ignore_errors: true
        - name: Failover that needs the confirmation
          cloudops.runbooks.runbook_request: {runbook: failover}
          vars: {cloudops_failover: %s}
          ignore_errors: true
        - name: Drill confirmed for another environment
          cloudops.runbooks.runbook_request: {runbook: failover_drill}
          vars: {cloudops_failover: %s, confirm_drill: staging}
          ignore_errors: true
        - name: Drill confirmed
          cloudops.runbooks.runbook_request: {runbook: failover_drill}
          vars: {cloudops_failover: %s, confirm_drill: sandbox}
        - name: No such runbook
          cloudops.runbooks.runbook_request: {runbook: deploy_everything}
          ignore_errors: true
        """ % (json.dumps(no_smoke), failover_settings(require_confirmation=True), failover_settings(require_confirmation=True),
               failover_settings(require_confirmation="yes")))
    assert rc == 0, r

    accepted = r["Failover accepted"]
    assert accepted.get("failed") is not True and accepted["changed"] is False and accepted["problems"] == []
    assert accepted["msg"].startswith("Failover request checked: cloudops_alb, cloudops_budgets, cloudops_eks, cloudops_environment, cloudops_failover")
    run = accepted["ansible_facts"]["runbook_run"]
    assert run["runbook"] == "failover" and run["title"] == "Failover" and run["environment"] == "sandbox" and run["check_mode"] is False
    assert re.fullmatch(r"failover-sandbox-[0-9]{8}T[0-9]{6}", run["run_id"]), run["run_id"]
    assert run["run_id"] == "failover-sandbox-" + re.sub("[-:]", "", run["started_at"][:19])
    assert run["lock"] == {"table_name": "cloudops-runbook-locks", "region": "us-west-2", "ttl_seconds": 900, "runbook": "failover", "user": None,
                           "inventory": "inventories/sandbox",
                           "release_command": "ansible-playbook playbooks/release_lock.yml -i inventories/sandbox -e lock_force=true",
                           "abandon_command": "ansible-playbook playbooks/release_lock.yml -i inventories/sandbox -e lock_abandon=<run_id>"}
    assert r["The fact is there for the next task"]["msg"] == "%s failover" % run["run_id"]

    drill = r["Drill with the run id given, in check mode"]["ansible_facts"]["runbook_run"]
    assert drill["run_id"] == "drill-sandbox-resumed" and drill["check_mode"] is True and drill["title"] == "Failover drill"
    assert re.fullmatch(r"status-sandbox-[0-9]{8}T[0-9]{6}", r["Status"]["ansible_facts"]["runbook_run"]["run_id"])

    few = r["Drill with too few markers"]
    assert few["failed"] is True and "ansible_facts" not in few
    assert few["msg"].startswith("Failover drill refused, nothing changed. drill_markers_count must be between 2 and 1000")

    typed = r["Failover with an override that is no boolean"]
    assert typed["failed"] is True and typed["msg"].startswith("Validation of arguments failed:\n")
    assert "failover_max_lag_override" in typed["msg"] and typed["argument_errors"]

    smoke = r["Failover without a smoke test"]
    assert smoke["failed"] is True and smoke["msg"] == (
        "Failover refused, nothing changed. cloudops_failover.smoke_test needs a job or an http check: the smoke test passing on DR "
        "ends the RTO clock.")

    assert r["Failover that needs the confirmation"]["msg"] == (
        "Failover refused before any AWS call, nothing changed: the sandbox environment requires a confirmation naming it. Run again with "
        "-e confirm_failover=sandbox (in AWX: answer the survey question confirm_failover).")
    assert r["Drill confirmed for another environment"]["msg"].endswith('The confirmation given, "staging", names another environment.')
    assert r["Drill confirmed"].get("failed") is not True and r["Drill confirmed"]["ansible_facts"]["runbook_run"]["runbook"] == "failover_drill"

    assert r["No such runbook"]["failed"] is True and "runbook must be one of status, deploy" in r["No such runbook"]["msg"]


def test_an_inventory_without_part_of_the_estate_and_an_unsourced_sandbox(playbook):
    rc, r = playbook.run("""
        - name: Failover without the DR cluster and DNS
          cloudops.runbooks.runbook_request: {runbook: failover}
          ignore_errors: true
        - name: Backup in the sandbox, not sourced
          cloudops.runbooks.runbook_request: {runbook: backup}
          ignore_errors: true
        - name: Backup where the inventory is no sandbox
          cloudops.runbooks.runbook_request: {runbook: backup}
          vars: {cloudops_sandbox: false}
        """, drop=("cloudops_eks", "cloudops_dns"), endpoint=False)
    assert rc == 0, r
    missing = r["Failover without the DR cluster and DNS"]
    # named as missing, as before, not as settings the failover cannot check without them
    assert missing["failed"] is True and missing["missing"] == ["cloudops_eks", "cloudops_dns"]
    assert missing["msg"].startswith("Missing estate variables: cloudops_eks, cloudops_dns. Run with an inventory")
    guard = r["Backup in the sandbox, not sourced"]
    assert guard["failed"] is True and guard["msg"] == "sandbox is not sourced: run `make sandbox && source .sandbox/env`"
    plain = r["Backup where the inventory is no sandbox"]
    assert plain.get("failed") is not True and plain["ansible_facts"]["runbook_run"]["run_id"].startswith("backup-sandbox-")
