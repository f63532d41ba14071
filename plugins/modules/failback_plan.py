#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the module: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: failback_plan
short_description: Judge the failover record for a failback and plan it, or refuse it before any change
version_added: 1.0.0
description:
  - With O(stage=progress) (before the runbook lock), from the progress records read on the DR cluster, refuses a
    failback when there is no failover record (C(cloudops-failover)), when it does not say C(failed_over), or when the
    estate was already failed back; else sets the fact C(failback_progress) (the run id - a new one, or the interrupted
    failback's, recorded under the record's C(failback) key - and that progress).
  - With O(stage=plan) (under the lock), from the read of the estate (M(cloudops.runbooks.estate_status)'s result, which
    may have failed) and the inventory's C(cloudops_failover), C(cloudops_failback), C(cloudops_eks), C(cloudops_rds), C(cloudops_dns),
    C(cloudops_db) and C(cloudops_budgets), refuses when the primary region could not be read or its EKS cluster is not
    C(ACTIVE), or when the inventory lacks what the failback needs; else sets the fact C(failback_plan) (every step's
    arguments and, for a resumed run, the steps still to run).
  - Runs on the controller as an action plugin (no module process); changes nothing. The logic is the collection's
    C(plugins/module_utils/failback.py).
options:
  stage:
    description: V(progress) judges the failover record; V(plan) plans the run.
    type: str
    choices: [plan, progress]
    default: plan
  records:
    description: With O(stage=progress), M(cloudops.runbooks.runbook_record)'s C(records) (C(cloudops-failover)).
    type: dict
  status:
    description: With O(stage=plan), the result of M(cloudops.runbooks.estate_status) (registered with C(failed_when) false).
    type: dict
  old_primary:
    description: With O(stage=plan), what happens to the old primary instance - V(snapshot) (deleted with a final snapshot) or V(delete).
    type: str
  since:
    description: With O(stage=plan), the run's start (ISO 8601); the preflight step is recorded from then to now, followed by O(steps).
    type: str
  steps:
    description: With O(since), recorded steps to add after the preflight step.
    type: list
    elements: dict
attributes:
  check_mode:
    support: full
    details:
      - Runs the same in check mode.
  diff_mode:
    support: none
    details:
      - Changes nothing.
  action:
    support: full
    description: Runs on the controller (an action plugin).
extends_documentation_fragment:
  - cloudops.runbooks.attributes
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: The failover record says failed_over (else refused)
  cloudops.runbooks.failback_plan:
    stage: progress
    records: "{{ records.records }}"

- name: Plan the failback
  cloudops.runbooks.failback_plan:
    status: "{{ status_read }}"
    old_primary: snapshot
"""

RETURN = r"""
ansible_facts:
  description: C(failback_progress) (O(stage=progress)) or C(failback_plan) (O(stage=plan)).
  returned: success
  type: dict
  sample: {failback_plan: {run: [replica, catchup, writes_stop, switchover], old_primary: snapshot}}
"""
