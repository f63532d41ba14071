# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover_plan action plugin in real ansible-playbook runs (conftest.py) with the sandbox inventory's
variables: the refusals roles/failover_preflight and the playbooks gave before issue 15 (a failover under way, no
single DR colour, a blocking readiness check), and the facts failover_plan, failover_readiness and failover_progress."""

from __future__ import annotations

import copy
import json


def finding(check, passed, detail="ok"):
    return {"check": check, "passed": passed, "detail": detail}


def readiness_audit(failing=None):
    """dr_readiness_info's result with the checks in `failing` ({check: detail}) failed."""
    failing = failing or {}
    checks = ["replica_role", "replica_lag", "source_backups", "dr_cluster_active", "dr_nodegroup_active", "dns_failover_time"]
    findings = [finding(c, c not in failing, failing.get(c, "ok")) for c in checks]
    return json.dumps({"passed": not failing, "failed_checks": [c for c in checks if c in failing], "findings": findings})


BLUE = json.dumps({"active_colour": "blue", "weights": {"blue": 100, "green": 0}})
SPLIT = json.dumps({"active_colour": None, "weights": {"blue": 50, "green": 50}})
IN_PROGRESS = json.dumps({"cloudops-failover": {"run_id": "failover-sandbox-20260130T080000", "started_at": "2026-01-30T08:00:00.000000Z",
                                                "outcome": "in_progress"}, "cloudops-failover-drill": None})
FAILED_OVER = json.dumps({"cloudops-failover": {"run_id": "failover-sandbox-20260130T080000", "outcome": "failed_over"}})
DRILL_UNFINISHED = json.dumps({"cloudops-failover": None,
                               "cloudops-failover-drill": {"run_id": "drill-sandbox-20260130T090000", "started_at": "2026-01-30T09:00:00.000000Z",
                                                           "outcome": "in_progress"}})


def test_plans_and_refusals_in_the_sandbox_inventory(playbook, sandbox_vars):
    no_colour = copy.deepcopy(sandbox_vars["cloudops_failover"])
    no_colour["dr_scale"]["workloads"] = [{"name": "shop-blue", "replicas": 2}]
    no_colour["smoke_test"]["job"]["env"] = {"SMOKE_TARGET": "shop-blue"}
    lagging = readiness_audit({"replica_lag": "lag 95 s over the RPO budget 60 s"})
    rc, r = playbook.run("""
        - name: The request
          cloudops.runbooks.runbook_request: {runbook: failover_drill}
        - name: Drill planned
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(passed)s, traffic: %(blue)s, records: {}}
        - name: The plan is a fact
          ansible.builtin.debug: {msg: "{{ failover_plan.workloads[0].name }} {{ failover_readiness.passed }} {{ failover_progress.run_id }}"}
        - name: Drill while a failover is under way
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(passed)s, traffic: %(blue)s, records: %(in_progress)s}
          ignore_errors: true
        - name: Drill while the DR traffic is split
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(passed)s, traffic: %(split)s}
          ignore_errors: true
        - name: Drill without colour needs no traffic
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(passed)s}
          vars: {cloudops_failover: %(no_colour)s}
        - name: Drill on a lagging replica
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(lagging)s, traffic: %(blue)s}
          ignore_errors: true
        - name: Drill after a real failover
          cloudops.runbooks.failover_plan:
            operation: drill
            audit: %(not_replica)s
            traffic: %(blue)s
            records: %(failed_over)s
          ignore_errors: true
        - name: Drill resumed
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(not_replica)s, traffic: %(blue)s, records: %(drill_unfinished)s}
        - name: Failover on a lagging replica, override given as text false
          cloudops.runbooks.failover_plan: {operation: failover, audit: %(lagging)s, traffic: %(blue)s, max_lag_override: "false"}
          ignore_errors: true
        - name: Failover on a lagging replica, override given
          cloudops.runbooks.failover_plan: {operation: failover, audit: %(lagging)s, traffic: %(blue)s, max_lag_override: "true"}
        - name: Neither failover nor drill
          cloudops.runbooks.failover_plan: {operation: failback, audit: %(passed)s}
          ignore_errors: true
        """ % {"passed": readiness_audit(), "blue": BLUE, "split": SPLIT, "in_progress": IN_PROGRESS, "no_colour": json.dumps(no_colour),
               "lagging": lagging, "not_replica": readiness_audit({"replica_role": "shop-db-dr is not a read replica"}),
               "failed_over": FAILED_OVER, "drill_unfinished": DRILL_UNFINISHED})
    assert rc == 0, r
    run_id = r["The request"]["ansible_facts"]["runbook_run"]["run_id"]

    planned = r["Drill planned"]
    assert planned.get("failed") is not True and planned["changed"] is False and planned["msg"] == "Failover drill planned: readiness passed"
    facts = planned["ansible_facts"]
    plan = facts["failover_plan"]
    assert plan["operation"] == "drill" and plan["environment"] == "sandbox" and plan["dr_colour"] == "blue"
    assert plan["primary"] == {"instance_id": "shop-db", "region": "us-east-1"} and plan["replica"] == {"instance_id": "shop-db-dr", "region": "us-west-2"}
    assert plan["budgets"] == {"rpo_seconds": 60, "rto_seconds": 900}
    assert plan["workloads"] == [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 2}]
    assert plan["smoke_test"]["job"]["env"] == {"SMOKE_TARGET": "shop-blue"} and plan["smoke_test"]["namespace"] == "shop"
    assert plan["nodegroup"] == {"min_size": 3, "desired_size": 3, "max_size": 6} and plan["dr"]["nodegroup_name"] == "shop-dr-workers"
    assert plan["app_db"]["secret_name"] == "shop-db" and plan["app_db"]["create_missing"] is True
    assert plan["dns"] == {"zone_name": "shop.sandbox.internal", "record_name": "app.shop.sandbox.internal", "dr_set_identifier": "dr",
                           "wait_timeout": 120}
    assert plan["drill"]["markers"] == {"count": 8, "table": "cloudops_drill_markers"} and plan["record"]["namespace"] == "shop"
    # the sandbox's database: a local PostgreSQL without TLS, the master secret
    assert plan["markers_login"] == {"login_db": "shop", "ssl_mode": "disable", "login_secret_id": "shop/db/master", "login_host": "127.0.0.1"}
    assert facts["failover_readiness"]["blocking_checks"] == ["replica_role", "replica_lag", "source_backups", "dr_cluster_active",
                                                              "dr_nodegroup_active"]
    progress = facts["failover_progress"]
    assert progress["resumed"] is False and progress["run_id"] == run_id
    assert r["The plan is a fact"]["msg"] == "shop-blue True %s" % run_id

    assert r["Drill while a failover is under way"]["msg"] == (
        "Failover drill refused, nothing changed: the failover failover-sandbox-20260130T080000 started 2026-01-30T08:00:00.000000Z is "
        "in_progress (ConfigMap shop/cloudops-failover on the DR cluster). Finish it with playbooks/failover.yml.")
    assert r["Drill while the DR traffic is split"]["msg"] == (
        'Failover drill refused, nothing changed: the DR load balancer shop-dr-alb forwards to {"blue": 50, "green": 50} (active colour '
        'None), so {colour} in cloudops_failover names no single release. Finish or roll back the DR deploy first.')
    plain = r["Drill without colour needs no traffic"]["ansible_facts"]["failover_plan"]
    assert plain["dr_colour"] is None and plain["workloads"][0]["name"] == "shop-blue"

    lag = r["Drill on a lagging replica"]
    assert lag["failed"] is True and "ansible_facts" not in lag and lag["readiness"]["failed_checks"] == ["replica_lag"]
    assert lag["msg"] == ("Failover drill refused, nothing changed. replica_lag: lag 95 s over the RPO budget 60 s. A drill must not lose "
                          "more than the RPO budget: wait for the replica to catch up and run it again.")
    # Refused by the failover record itself, before the readiness (issue 16: the failback comes first).
    assert r["Drill after a real failover"]["msg"] == (
        "Failover drill refused, nothing changed: the failover record says this estate failed over for real (run "
        "failover-sandbox-20260130T080000, ConfigMap shop/cloudops-failover on the DR cluster): production runs on us-west-2, and a drill "
        "would fail it back without the writes made there. Return to the primary region with playbooks/failback.yml first.")

    # a drill interrupted before its failback is resumed whatever the readiness says: it only fails back
    resumed = r["Drill resumed"]
    assert resumed.get("failed") is not True and resumed["msg"] == "Failover drill planned: readiness findings: replica_role"
    assert resumed["ansible_facts"]["failover_progress"]["resumed"] is True
    assert resumed["ansible_facts"]["failover_progress"]["run_id"] == "drill-sandbox-20260130T090000"
    assert resumed["ansible_facts"]["failover_readiness"]["blocking_checks"] == []

    refused = r["Failover on a lagging replica, override given as text false"]
    assert refused["failed"] is True and refused["msg"] == (
        "Failover refused, nothing changed. replica_lag: lag 95 s over the RPO budget 60 s. Wait for the replica to catch up, or accept "
        "losing the writes it lacks with -e failover_max_lag_override=true (when the primary region is gone and no better copy exists).")
    overridden = r["Failover on a lagging replica, override given"]
    assert overridden.get("failed") is not True and overridden["ansible_facts"]["failover_plan"]["max_lag_override"] is True
    assert overridden["ansible_facts"]["failover_readiness"]["blocking_checks"] == ["replica_role", "dr_cluster_active"]
    assert overridden["ansible_facts"]["failover_plan"]["markers_login"] is None

    assert r["Neither failover nor drill"]["msg"] == "failover_plan: operation must be failover or drill, got 'failback'"


def test_the_progress_stage_before_the_lock(playbook):
    """stage: progress judges the records alone (the drill's refusal while a failover is unfinished, the run id of the
    run it resumes) and says what the drill reads with its status before to put the DR capacity back."""
    rc, r = playbook.run("""
        - name: The request
          cloudops.runbooks.runbook_request: {runbook: failover_drill}
        - name: A new drill
          cloudops.runbooks.failover_plan: {stage: progress, operation: drill, records: {}}
        - name: A drill resumed
          cloudops.runbooks.failover_plan: {stage: progress, operation: drill, records: %(drill_unfinished)s}
        - name: A drill while a failover is under way
          cloudops.runbooks.failover_plan: {stage: progress, operation: drill, records: %(in_progress)s}
          ignore_errors: true
        """ % {"in_progress": IN_PROGRESS, "drill_unfinished": DRILL_UNFINISHED})
    assert rc == 0, r
    run_id = r["The request"]["ansible_facts"]["runbook_run"]["run_id"]
    new = r["A new drill"]
    assert new["msg"] == "Failover drill: a new run" and "failover_plan" not in new["ansible_facts"]
    assert new["ansible_facts"]["failover_progress"]["run_id"] == run_id
    assert new["ansible_facts"]["failover_capacity"] == {
        "nodegroup": True, "workloads": [{"kind": "Deployment", "name": "shop-{colour}", "namespace": "shop"}],
        "kubeconfig": new["ansible_facts"]["failover_capacity"]["kubeconfig"], "context": ""}
    resumed = r["A drill resumed"]["ansible_facts"]["failover_progress"]
    assert resumed["resumed"] is True and resumed["run_id"] == "drill-sandbox-20260130T090000"
    assert r["A drill while a failover is under way"]["msg"].startswith(
        "Failover drill refused, nothing changed: the failover failover-sandbox-20260130T080000 started")


def test_a_plan_with_since_records_the_preflight_step_then_the_given_steps(playbook):
    """The preflight ends with the plan: with since, the plan records the preflight step (the readiness summary as its
    detail) and after it the steps the reads recorded (a new drill's status before), in runbook_steps and, for the run
    evidence, as results items; a refused plan records nothing."""
    status_before = json.dumps({"step": "status_before", "phase": "failover", "title": "status before", "module": "cloudops.runbooks.estate_status",
                                "started_at": "2026-01-31T12:00:01.000Z", "finished_at": "2026-01-31T12:00:02.000Z", "duration_seconds": 1.0,
                                "outcome": "ok", "detail": "read", "error": None, "measures": {}, "gates": []})
    rc, r = playbook.run("""
        - name: The request
          cloudops.runbooks.runbook_request: {runbook: failover_drill}
        - name: Planned
          cloudops.runbooks.failover_plan:
            operation: drill
            audit: %(passed)s
            traffic: %(blue)s
            since: "{{ runbook_run.started_at }}"
            steps: [%(status_before)s]
        - name: Refused
          cloudops.runbooks.failover_plan: {operation: drill, audit: %(lagging)s, traffic: %(blue)s, since: "{{ runbook_run.started_at }}"}
          ignore_errors: true
        - name: The steps so far
          ansible.builtin.debug: {msg: "{{ runbook_steps | map(attribute='step') | list }}"}
        """ % {"passed": readiness_audit(), "blue": BLUE, "status_before": status_before,
               "lagging": readiness_audit({"replica_lag": "lag 95 s over the RPO budget 60 s"})})
    assert rc == 0, r
    planned = r["Planned"]
    preflight, status = planned["cloudops_step"]
    assert (preflight["step"], preflight["phase"], preflight["title"], preflight["detail"], preflight["outcome"]) == (
        "preflight", "preflight", "confirmation, readiness audit, plan", "readiness passed", "ok")
    assert preflight["started_at"] <= preflight["finished_at"] and status["step"] == "status_before"
    assert [item["cloudops_step"]["step"] for item in planned["results"]] == ["preflight", "status_before"]
    assert "cloudops_step" not in r["Refused"] and r["The steps so far"]["msg"] == ["preflight", "status_before"]
