# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the upload of a run directory to S3 sends (the runbook_evidence_upload module): plain functions, no AWS call.

A runbook's run directory (report.json, report.md, junit.xml, report.html) goes to s3://<bucket>/<prefix>/<run id>/,
so an AWX job (whose container is gone when it ends) keeps its evidence; each object is sent once per content (its
MD5 is its ETag, so a re-run or a lost response never sends the same file twice).
"""

from __future__ import annotations

import hashlib
import os
import re

CONTENT_TYPES = {".json": "application/json", ".md": "text/markdown; charset=utf-8", ".xml": "application/xml",
                 ".html": "text/html; charset=utf-8"}
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


def bucket_problem(bucket):
    """Why `bucket` is no S3 bucket name ('' when it is one)."""
    if not isinstance(bucket, str) or not _BUCKET.match(bucket) or ".." in bucket:
        return ("cloudops_report_bucket must be an S3 bucket name (3-63 lower-case letters, digits, '.' and '-'), got %r"
                % (bucket,))
    return ""


def object_key(prefix, run_id, name):
    """<prefix>/<run id>/<name>, without empty or doubled slashes."""
    parts = [p.strip("/") for p in (str(prefix or ""), str(run_id), str(name))]
    return "/".join(p for p in parts if p)


def files_of(run_dir):
    """(name, path) of the regular files of the run directory, by name; a `.partial` file is never sent."""
    if not os.path.isdir(run_dir):
        return []
    return [(name, os.path.join(run_dir, name)) for name in sorted(os.listdir(run_dir))
            if os.path.isfile(os.path.join(run_dir, name)) and not name.endswith(".partial")]


def md5_of(data):
    return hashlib.md5(data).hexdigest()  # nosec - S3's ETag of a single-part upload, not a security use


def content_type(name):
    return CONTENT_TYPES.get(os.path.splitext(name)[1], "application/octet-stream")


def url(bucket, key):
    return "s3://%s/%s" % (bucket, key)
