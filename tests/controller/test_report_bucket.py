# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""cloudops_report_bucket (the S3 copy of the run evidence) is checked with the request, before the lock and any call."""

from __future__ import annotations


def test_a_wrong_report_bucket_refuses_the_run_naming_the_variable(playbook):
    rc, r = playbook.run("""
        - name: A bucket name S3 refuses
          cloudops.runbooks.runbook_request: {runbook: status}
          vars: {cloudops_report_bucket: Acme_Evidence}
          ignore_errors: true
        - name: A bucket
          cloudops.runbooks.runbook_request: {runbook: status}
          vars: {cloudops_report_bucket: acme-evidence}
        - name: None declared
          cloudops.runbooks.runbook_request: {runbook: status}
          vars: {cloudops_report_bucket: ""}
        """)
    assert rc == 0, r
    refused = r["A bucket name S3 refuses"]
    assert refused["failed"] is True and "ansible_facts" not in refused
    assert refused["msg"].startswith("Status refused, nothing changed.") and "cloudops_report_bucket must be an S3 bucket name" in refused["msg"]
    assert r["A bucket"].get("failed") is not True and r["None declared"].get("failed") is not True
