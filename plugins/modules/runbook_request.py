#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the module: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: runbook_request
short_description: Refuse a runbook's request whose values cannot be right, before the lock and any call
version_added: 1.0.0
description:
  - Checks the extra vars and the estate settings a runbook reads, completely, before the runbook lock and any AWS
    or Kubernetes call, and fails with C(<Runbook> refused, nothing changed.) followed by every problem found, each
    naming the variable and how to fix it.
  - Times must exist in the calendar (V(2026-02-30T10:00:00Z) and year 0 are refused) and, where they must have
    happened, lie in the past; versions must be strings (a YAML boolean or number is refused) matching the whole
    pattern (no trailing newline); numbers must be finite and in range (V(1e400) and negative pauses are refused);
    environment, service and side names must be plain (no C(/), no C(..), not empty); the drill's markers table a plain
    SQL identifier; regions AWS region names; snapshot and instance ids what RDS accepts; report paths in an existing,
    writable directory; restore checks one SELECT statement each; backup retention settings non-empty tag filters and
    C(keep_last)/C(keep_days) of 1 or more.
  - The variables are read from the play (extra vars, inventory), not passed as options, so the task needs no
    arguments besides the runbook's name. What is checked for each runbook is listed in the collection's
    C(plugins/module_utils/runbook_request.py).
  - Then, in this order and still before any call, the estate variables the runbook reads must be defined (C(Missing
    estate variables...)), a failover or drill must be confirmed naming the environment where the inventory requires it
    (O(runbook=failover) C(-e confirm_failover=<environment>), O(runbook=failover_drill) C(-e confirm_drill=<environment>)),
    and an inventory with C(cloudops_sandbox) must have the sandbox sourced (E(AWS_ENDPOINT_URL) set).
  - The extra vars' types and choices are checked first, against the runbook's entry point of the collection's
    C(roles/runbook_inputs/meta/argument_specs.yml), with the message Ansible's role argument validation gives
    (C(Validation of arguments failed:)).
  - Sets the fact C(runbook_run) (runbook, title, environment, run_id, started_at, check_mode, and the lock's arguments
    when the inventory defines C(cloudops_lock)) that the C(cloudops.runbooks.runbook) role's entry points use.
  - Runs on the controller as an action plugin (no module process); changes nothing.
options:
  runbook:
    description:
      - The runbook whose request is checked, named after its playbook.
    type: str
    required: true
    choices: [status, deploy, rollback, failover, failover_drill, backup, backup_restore, release_lock]
  run_id:
    description:
      - The run's id in C(runbook_run); default C(<runbook>-<environment>-<UTC yyyymmddTHHMMSS>) (the drill's prefix is C(drill)).
    type: str
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
- name: Refuse extra vars whose values cannot be right
  cloudops.runbooks.runbook_request:
    runbook: failover
"""

RETURN = r"""
problems:
  description: Every problem found, each naming its variable; empty when the request is valid.
  returned: always
  type: list
  elements: str
  sample: ['failover_outage_started_at "2026-02-30T10:00:00Z" is not a time that exists (no such day in the calendar): ...']
checked:
  description: The variables that were defined and checked.
  returned: always
  type: list
  elements: str
  sample: [cloudops_budgets, cloudops_environment, failover_outage_started_at]
missing:
  description: The estate variables that are not defined, when that refused the run.
  returned: when estate variables are missing
  type: list
  elements: str
  sample: [cloudops_lock]
argument_errors:
  description: The extra vars' type and choice errors, when they refused the run.
  returned: when an extra var has the wrong type or choice
  type: list
  elements: str
ansible_facts:
  description: The run's identity, set when the request is accepted.
  returned: success
  type: complex
  contains:
    runbook_run:
      description: runbook, title, environment, run_id, started_at, check_mode and lock (the runbook_lock module's arguments).
      type: dict
      sample: {runbook: failover_drill, environment: sandbox, run_id: drill-sandbox-20260131T120000, check_mode: false}
"""
