#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: runbook_evidence_upload
version_added: 1.0.0
short_description: Copy a runbook's run directory to an S3 bucket (one process), so an AWX job keeps its evidence
description:
  - Uploads the files of O(run_dir) (C(report.json), C(report.md), C(junit.xml), C(report.html)) to
    C(s3://<bucket>/<prefix>/<run_id>/<file>). The close of every runbook runs it (through
    M(cloudops.runbooks.runbook_evidence)) when the environment declares C(cloudops_report_bucket) (and optionally
    C(cloudops_report_prefix), default V(runs), and C(cloudops_report_region), default the primary region of
    C(cloudops_regions)).
  - An object whose content is already there (same MD5 as its ETag) is not sent again; a lost response never sends a
    file twice.
  - The files are the run evidence, already masked of secrets; nothing else is sent.
  - Missing files (a run directory not written) are not an error - the result says no file was found.
  - Uses the collection's retry policy (throttling, 5xx and network errors retried with backoff).
options:
  bucket:
    description: The S3 bucket.
    type: str
    required: true
  prefix:
    description: The key prefix the run directories go under.
    type: str
    default: runs
  run_id:
    description: The run's id (the directory name under O(prefix)).
    type: str
    required: true
  run_dir:
    description: The run directory on the host the task runs on (the controller).
    type: path
    required: true
attributes:
  check_mode:
    support: full
    description: Says which files would be uploaded, sends none.
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Report | the run directory to S3
  cloudops.runbooks.runbook_evidence_upload:
    bucket: acme-cloudops-evidence
    prefix: runs/prod
    run_id: "{{ summary.run_id }}"
    run_dir: "{{ summary.run_dir }}"
    region: us-east-1
"""

RETURN = r"""
uploaded:
  description: The objects sent by this run (S3 URLs).
  returned: always
  type: list
  elements: str
  sample: [s3://acme-cloudops-evidence/runs/prod/drill-prod-20261206T101500/report.json]
unchanged:
  description: The objects that were already there with the same content.
  returned: always
  type: list
  elements: str
location:
  description: Where the run directory is in S3 (C(s3://<bucket>/<prefix>/<run_id>/)).
  returned: always
  type: str
  sample: s3://acme-cloudops-evidence/runs/prod/drill-prod-20261206T101500/
"""

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.botocore import is_boto3_error_code
from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import evidence_upload
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply, client


def _etag(conn, bucket, key):
    try:
        head = conn.head_object(Bucket=bucket, Key=key, aws_retry=True)
    except is_boto3_error_code(["404", "NoSuchKey", "NotFound"]):
        return None
    return str(head.get("ETag") or "").strip('"')


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(bucket=dict(type="str", required=True), prefix=dict(type="str", default="runs"),
                           run_id=dict(type="str", required=True), run_dir=dict(type="path", required=True)),
        supports_check_mode=True,
    )
    p = module.params
    problem = evidence_upload.bucket_problem(p["bucket"])
    if problem:
        module.fail_json(msg=problem)
    location = evidence_upload.url(p["bucket"], evidence_upload.object_key(p["prefix"], p["run_id"], "")) + "/"
    files = evidence_upload.files_of(p["run_dir"])
    if not files:
        module.exit_json(changed=False, uploaded=[], unchanged=[], location=location,
                         msg="no file in %s: nothing uploaded" % p["run_dir"])
    conn = client(module, "s3")
    uploaded, unchanged = [], []
    for name, path in files:
        key = evidence_upload.object_key(p["prefix"], p["run_id"], name)
        with open(path, "rb") as handle:
            data = handle.read()
        digest = evidence_upload.md5_of(data)
        try:
            if _etag(conn, p["bucket"], key) == digest:
                unchanged.append(evidence_upload.url(p["bucket"], key))
                continue
            if not module.check_mode:
                apply(conn.put_object, dict(Bucket=p["bucket"], Key=key, Body=data, ContentType=evidence_upload.content_type(name)),
                      lambda key=key, digest=digest: {} if _etag(conn, p["bucket"], key) == digest else None)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            module.fail_json_aws(e, msg="could not upload %s to %s (check the bucket exists in that region and the "
                                 "credentials may s3:PutObject and s3:GetObject there)" % (name, evidence_upload.url(p["bucket"], key)))
        uploaded.append(evidence_upload.url(p["bucket"], key))
    module.exit_json(changed=bool(uploaded), uploaded=uploaded, unchanged=unchanged, location=location,
                     msg="%s %d file(s) to %s" % ("would upload" if module.check_mode else "uploaded", len(uploaded), location))


if __name__ == "__main__":
    main()
