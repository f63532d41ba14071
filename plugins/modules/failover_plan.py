#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the module: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: failover_plan
short_description: Plan a failover or failover drill from the readiness audit, or refuse it before any change
version_added: 1.0.0
description:
  - From the readiness audit (the result of M(cloudops.runbooks.dr_readiness_info)), the DR load balancer's traffic
    when a name of C(cloudops_failover) uses C({colour}) (the result of M(cloudops.runbooks.alb_traffic_info)), and the
    inventory's C(cloudops_environment), C(cloudops_failover), C(cloudops_eks), C(cloudops_rds), C(cloudops_dns),
    C(cloudops_alb) and C(cloudops_budgets), either refuses the run (C(Failover refused, nothing changed.) with each
    blocking check that failed and what to do about it) or sets the facts C(failover_plan) and C(failover_readiness).
  - Blocking checks by default - failover V(replica_role), V(dr_cluster_active) and, unless O(max_lag_override),
    V(replica_lag); resuming a failover V(dr_cluster_active); a drill V(replica_role), V(replica_lag),
    V(source_backups), V(dr_cluster_active), V(dr_nodegroup_active), none when resuming.
  - With an estate's cache and buckets in the audit (its O(audit) holds their findings), a new failover or drill is
    also refused by V(cache_dr_member), V(bucket_versioning), V(bucket_replication_rule) and (a drill always; a
    failover unless O(max_lag_override)) V(cache_lag), V(bucket_replication_probe). The refusal names the
    replication group or bucket.
  - Runs on the controller as an action plugin (no module process); changes nothing. The logic is the collection's
    C(plugins/module_utils/failover_plan.py).
options:
  operation:
    description: What is planned.
    type: str
    required: true
    choices: [failover, drill]
  audit:
    description:
      - The readiness audit (M(cloudops.runbooks.dr_readiness_info)'s result, or the C(readiness) that
        M(cloudops.runbooks.estate_status) returns with its O(cloudops.runbooks.estate_status#module:readiness) option).
      - Required unless O(stage=progress).
    type: dict
  since:
    description:
      - With O(stage=plan), the run's start (ISO 8601); a plan that is not refused also records the preflight step (from
        then to now, the readiness summary as its detail; C(confirmation, readiness audit, plan)) in C(runbook_steps),
        as M(cloudops.runbooks.runbook_step) records a step, followed by O(steps).
    type: str
  steps:
    description:
      - With O(since), recorded steps to add after the preflight step (the status before that
        M(cloudops.runbooks.estate_status) read with the readiness, its C(cloudops_steps)).
    type: list
    elements: dict
  stage:
    description:
      - V(plan) plans the run (or refuses it). V(progress), before the runbook lock, judges the progress records alone
        (a drill refused while a failover is unfinished; the run id of an interrupted run to resume) and sets the facts
        C(failover_progress) and C(failover_capacity) (what a drill reads with its status before to put the DR capacity
        back - the node group's sizes, the workloads' replicas).
    type: str
    choices: [plan, progress]
    default: plan
  traffic:
    description: The DR load balancer's traffic (M(cloudops.runbooks.alb_traffic_info)'s result), needed when a name uses C({colour}).
    type: dict
  records:
    description:
      - The progress records of a failover and a drill (M(cloudops.runbooks.runbook_record)'s C(records) of
        V(cloudops-failover) and V(cloudops-failover-drill)). A drill is refused while a failover is unfinished; an
        unfinished run of the same runbook is resumed (its run id, fewer blocking checks).
    type: dict
    default: {}
  max_lag_override:
    description: A failover may promote a replica whose lag is over the RPO budget or unknown.
    type: bool
    default: false
  blocking_checks:
    description: The checks that refuse the run; empty gives the operation's default.
    type: list
    elements: str
    default: []
attributes:
  check_mode:
    support: full
    description: Runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing.
  action:
    support: full
    description: Runs on the controller.
extends_documentation_fragment:
  - cloudops.runbooks.attributes
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Plan the failover (refused here when a blocking readiness check failed)
  cloudops.runbooks.failover_plan:
    operation: failover
    audit: "{{ readiness_audit }}"
    traffic: "{{ dr_traffic | default(omit) }}"
"""

RETURN = r"""
readiness:
  description: passed, failed_checks, findings, blocking_checks (also when the run is refused).
  returned: with O(stage=plan)
  type: dict
cloudops_step:
  description: With O(since), the steps recorded (the preflight step, then O(steps)); also as C(results), one per step.
  returned: with O(since)
  type: list
  elements: dict
ansible_facts:
  description: The plan and the readiness part of the report.
  returned: success
  type: complex
  contains:
    failover_plan:
      description: primary, replica, budgets, promote, dr, dr_colour, nodegroup, workloads, app_db, dns, smoke_test, record, drill.
      type: dict
    failover_readiness:
      description: passed, failed_checks, findings, blocking_checks.
      type: dict
    failover_progress:
      description: >-
        What the records mean - resumed, resuming, run_id (the resumed run's, else runbook_run's), record (the resumed run's),
        other (the other runbook's record), refusal_note, first_started_at, supersede_drill (a failover takes over a drill in progress).
      type: dict
    failover_capacity:
      description: With O(stage=progress) - nodegroup (bool), workloads [{kind, name, namespace}], kubeconfig, context.
      type: dict
"""
