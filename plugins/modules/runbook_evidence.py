#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# This file only documents the module: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: runbook_evidence
short_description: Write a runbook's run directory when the run_evidence callback is not enabled
version_added: 1.0.0
description:
  - The close of every runbook (role C(cloudops.runbooks.runbook), entry point C(close)) runs it after publishing the
    run summary. When the C(cloudops.runbooks.run_evidence) callback is enabled (C(callbacks_enabled)) it does nothing;
    the callback writes the run directory at the end of the playbook, with every task timed.
  - Otherwise (the collection installed and run from your own project or an AWX project without that setting) it
    writes the run directory C(<run_dir>/) named by O(summary) - C(report.json), C(report.md), C(junit.xml),
    C(report.html), the same schema as the callback's - from the run summary, O(report) and the steps the run recorded
    (C(cloudops.runbooks.runbook_step)'s C(runbook_steps) fact, else the report's own C(steps)). Without the callback
    there is no task timeline (C(tasks) is empty), no host counts and no progress lines.
  - E(CLOUDOPS_RUN_EVIDENCE_DIR), when set, moves the run directory to C(<that directory>/<run_id>/), as it does for
    the callback.
  - Secrets are masked as the callback masks them (values under secret-looking keys, the values of the controller's
    environment variables with secret-looking names, AWS access key ids, PEM private keys, URL passwords).
  - Written (and copied to S3) in check mode too - the evidence says what would happen; never reported as a change.
  - Runs on the controller as an action plugin; no module process.
attributes:
  check_mode:
    support: full
    description: Writes the run directory in check mode too (the evidence of what would happen); never a change.
  diff_mode:
    support: none
  action:
    support: full
    description: Runs on the controller.
  async:
    support: none
    description: Not supported; it takes well under a second.
extends_documentation_fragment:
  - cloudops.runbooks.attributes
author:
  - cloudops platform team (@cloudops)
options:
  summary:
    description:
      - The run summary (the C(cloudops.runbooks.run_summary) filter's result; its C(run_dir) says where to write).
    type: dict
    required: true
  report:
    description:
      - The runbook's own report.
    type: dict
  started_at:
    description:
      - When the run started (ISO 8601 UTC), for the run's duration and the steps' offsets.
    type: str
  bucket:
    description:
      - Also copy the run directory to C(s3://<bucket>/<prefix>/<run_id>/) with
        M(cloudops.runbooks.runbook_evidence_upload) (one module process; the run directory is then written even when
        the callback is enabled). The close passes the environment's C(cloudops_report_bucket).
      - A failed copy is a warning, not a failed task.
    type: str
  prefix:
    description:
      - The key prefix of the S3 copy (the close passes C(cloudops_report_prefix)).
    type: str
    default: runs
  region:
    description:
      - The bucket's region (the close passes C(cloudops_report_region), else the primary region of C(cloudops_regions)).
    type: str
  force:
    description:
      - Write the run directory even when the callback is enabled (the callback then overwrites it at the end).
    type: bool
    default: false
"""

EXAMPLES = r"""
- name: Report | the run directory (when the run_evidence callback is not enabled)
  cloudops.runbooks.runbook_evidence:
    summary: "{{ runbook_report | cloudops.runbooks.run_summary('status', project_dir=playbook_dir | cloudops.runbooks.project_dir) }}"
    report: "{{ runbook_report }}"
    started_at: "{{ runbook_run.started_at }}"
"""

RETURN = r"""
written:
  description: Whether this task wrote the run directory (false when the callback is enabled or the root is V('')).
  returned: success
  type: bool
  sample: true
run_dir:
  description: The run directory written.
  returned: success
  type: str
  sample: /home/me/ops/runs/status-prod-20261206T101500
upload:
  description: The S3 copy (when O(bucket) is given) - C(location), C(uploaded), C(unchanged), or C(failed) and C(msg).
  returned: when O(bucket) is given and the run directory was written
  type: dict
files:
  description: The files written in it.
  returned: when written
  type: list
  elements: str
  sample: [report.json, report.md, junit.xml, report.html]
"""
