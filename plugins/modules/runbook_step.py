#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the module: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: runbook_step
short_description: Run one runbook step (one module process, or none) and record it as data
version_added: 1.0.0
description:
  - A runbook step is one idea of a runbook (the lag gate and promotion, the DNS switch, the smoke test). This task
    runs the step's O(module) once with O(args) (one module process; none without O(module)), times it, and returns
    the module's own result plus RV(cloudops_step), the step recorded in the collection's standard shape, and the
    fact C(runbook_steps), the run's steps so far with this one last, so a playbook holds its steps as data without
    C(set_fact).
  - The run_evidence callback builds the report's steps from these results (not from task names), so renaming a task
    does not change a report.
  - The step's detail, measures and gates come from the module's C(step_summary) (modules of this collection that
    are runbook steps return one); O(detail) replaces the detail, O(measures) are merged over the module's, O(gates)
    are added after the module's.
  - B(Failure.) When the module fails, the step's outcome is V(failed), its C(error) the module's C(msg), and the task
    fails with the module's C(msg). Ansible applies no facts of a failed (or skipped) task, even with C(ignore_errors),
    so such a step is B(not) added to C(runbook_steps); it is in the task's result (C(register), or
    C(ansible_failed_result.cloudops_step) in a C(rescue)), and O(record) adds it to the list.
  - B(Check mode) and diff mode are passed to the module, which predicts (a module that does not support check mode is
    skipped, outcome V(skipped)). Without O(module) the step is recorded the same in check mode.
  - The arguments of O(args) get the play's C(module_defaults) of the module (its own entry or its action group, such
    as C(group/cloudops.runbooks.aws)), as if the module were the task's.
  - C(async) is not supported (use a module's own C(wait) option instead). In a C(loop), every item sees the list as it was
    before the task, so only the last item's step is added to C(runbook_steps); give each step its own task.
    C(failed_when) and C(changed_when) change the task's status, not the recorded step's outcome.
  - C(runbook_steps) is a host fact (in C(ansible_facts.runbook_steps), and C(runbook_steps) while facts are injected
    as variables); a variable of the same name set by the playbook or the inventory hides it, so do not define one.
    It lasts for the ansible-playbook run (steps a persistent fact cache kept from an earlier run are not counted).
  - Runs on the controller as an action plugin; the step's module runs where the task runs.
options:
  step:
    description:
      - The step's id, lower-case letters, digits and C(_) (such as V(promote)). Required unless O(record) is given.
    type: str
  phase:
    description:
      - The phase the step belongs to (such as V(failover), V(failback)).
    type: str
  title:
    description:
      - What the step does, for a person reading the report. Default the task's name.
    type: str
  module:
    description:
      - The module the step runs, by its full name (such as V(cloudops.runbooks.rds_promote)); run once.
      - A module that runs as an action plugin on the controller (such as C(ansible.builtin.copy) or
        C(cloudops.runbooks.runbook_request)) is refused; run it as a task of its own.
      - Without it the step is made of O(detail), O(measures) and O(gates) only (no module process).
    type: str
  args:
    description:
      - The arguments of O(module).
    type: dict
  detail:
    description:
      - One line a person reads in the report; replaces the module's C(step_summary.detail).
    type: str
  measures:
    description:
      - Numbers of the step (flat; a nested dictionary becomes dotted keys, lists are left out with a warning),
        merged over the module's C(step_summary.measures).
    type: dict
  gates:
    description:
      - Gates of the step, each a dictionary of C(name), C(passed) (true, false or null), C(detail) and C(numbers),
        added after the module's.
    type: list
    elements: dict
  outcome:
    description:
      - The outcome of a step without O(module) (default V(ok)) - V(failed) records, in a C(rescue), a step that failed
        in a task that was not a runbook_step. The task itself does not fail.
    type: str
    choices: [ok, changed, failed, skipped]
  since:
    description:
      - When the step began, if before this task (ISO 8601), for a step made of several tasks whose last one is this
        one - e.g. a module result's C(started_at). The recorded start is the earlier of this and the task's start.
    type: str
  record:
    description:
      - Adds an already recorded step (a result's RV(cloudops_step), or a list of them) to C(runbook_steps) and runs
        nothing, for a failed step whose facts Ansible did not apply
        (the failed result's C(cloudops_step), C(ansible_failed_result.cloudops_step) in a C(rescue)). Not with O(module) or O(args).
    type: raw
attributes:
  check_mode:
    support: full
    description: Passed to the module, which predicts; a step without a module is recorded the same.
  diff_mode:
    support: full
    description: Passed to the module.
  action:
    support: full
    description: Runs on the controller; the module runs where the task runs.
  async:
    support: none
    description: Not supported; use the step module's own C(wait) option.
extends_documentation_fragment:
  - cloudops.runbooks.attributes
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Promote the DR replica (lag gate)
  cloudops.runbooks.runbook_step:
    step: promote
    phase: failover
    title: "lag gate and promotion of {{ cloudops_estate.dr.rds_instance }}"
    module: cloudops.runbooks.rds_promote
    args:
      instance_id: "{{ cloudops_estate.dr.rds_instance }}"
      region: "{{ cloudops_estate.dr.region }}"
      rpo_budget_seconds: "{{ cloudops_budgets.rpo_seconds }}"
  register: promote

- name: Record the outage as a step of its own (no module process)
  cloudops.runbooks.runbook_step:
    step: outage
    phase: drill
    title: primary cut off
    detail: "primary ingress cut at {{ cut_at }}"
    measures:
      cut_at_epoch: "{{ cut_epoch }}"

- name: A step that may fail, kept in the list
  block:
    - name: Smoke test of the DR side
      cloudops.runbooks.runbook_step:
        step: smoke_test
        phase: failover
        module: cloudops.runbooks.k8s_job_run
        args: "{{ smoke_job }}"
  rescue:
    - name: Keep the failed step in runbook_steps
      cloudops.runbooks.runbook_step:
        record: "{{ ansible_failed_result.cloudops_step }}"

- name: The steps so far
  ansible.builtin.debug:
    msg: "{{ ansible_facts.runbook_steps | map(attribute='step') | list }}"
"""

RETURN = r"""
cloudops_step:
  description:
    - The step recorded. Not returned with O(record).
    - C(outcome) is V(ok), V(changed), V(failed) or V(skipped) (the module's result); C(error) the module's C(msg) when
      it failed, else null; C(module) the module's full name, null without O(module); times ISO 8601 UTC.
  returned: unless O(record) is given
  type: dict
  sample:
    step: promote
    phase: failover
    title: lag gate and promotion of orders-dr
    module: cloudops.runbooks.rds_promote
    started_at: "2026-12-06T08:30:01.120Z"
    finished_at: "2026-12-06T08:30:04.370Z"
    duration_seconds: 3.25
    outcome: changed
    detail: orders-dr promoted, lag 0.4 s within the 30 s budget
    error: null
    measures: {lag_at_promotion_seconds: 0.4}
    gates: [{name: lag at promotion, passed: true, detail: lag 0.4 s <= 30 s, numbers: {lag_at_promotion_seconds: 0.4}}]
ansible_facts:
  description: The run's steps (the module's own facts, if any, are kept).
  returned: unless the step failed or was skipped
  type: dict
  contains:
    runbook_steps:
      description: Every step recorded in this run so far, this one last (each as RV(cloudops_step)).
      type: list
      elements: dict
    runbook_steps_run:
      description: Which ansible-playbook run the list belongs to (an internal token).
      type: str
msg:
  description: The module's message; the reason when the step's arguments are wrong.
  returned: when the module gives one, or on an error of the step's arguments
  type: str
"""
