# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run summary every runbook publishes with set_stats (cloudops_summary); the logic is in plugin_utils."""

from __future__ import annotations

import os

from ansible.errors import AnsibleFilterError
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_summary


def run_summary(report, runbook, root="runs", project_dir="", run_id="", check_mode=False, over_budget_fails=True):
    # The run_evidence callback writes under CLOUDOPS_RUN_EVIDENCE_DIR when it is set (an operator's setting, e.g. in
    # an AWX execution environment): the published run_dir must say where the files really are.
    override = os.environ.get(evidence_summary.RUN_DIR_OVERRIDE_ENV, "")
    if override:
        root = os.path.abspath(override)
    try:
        return evidence_summary.build_summary(report, runbook, root=root, project_dir=project_dir, run_id=run_id,
                                              check_mode=bool(check_mode), over_budget_fails=bool(over_budget_fails))
    except ValueError as exc:
        raise AnsibleFilterError("cloudops.runbooks.run_summary: %s" % exc)


class FilterModule(object):
    def filters(self):
        return {"run_summary": run_summary}
