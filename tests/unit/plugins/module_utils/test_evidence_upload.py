# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the copy of a run directory to S3 sends (module_utils/evidence_upload.py)."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import evidence_upload


@pytest.mark.parametrize("bucket", ["acme-evidence", "a.b-c", "abc", "x" * 63])
def test_bucket_names(bucket):
    assert evidence_upload.bucket_problem(bucket) == ""


@pytest.mark.parametrize("bucket", ["", "ab", "Acme", "acme_evidence", "-acme", "acme-", "a..b", "x" * 64, None, 5, "s3://acme"])
def test_wrong_bucket_names_are_refused_naming_the_variable(bucket):
    assert evidence_upload.bucket_problem(bucket).startswith("cloudops_report_bucket must be an S3 bucket name")


@pytest.mark.parametrize("prefix, key", [("runs", "runs/r1/report.json"), ("/runs/prod/", "runs/prod/r1/report.json"),
                                         ("", "r1/report.json"), (None, "r1/report.json")])
def test_object_keys(prefix, key):
    assert evidence_upload.object_key(prefix, "r1", "report.json") == key


def test_the_files_of_a_run_directory_but_partial_ones(tmp_path):
    for name in ("report.md", "report.json", "report.html.partial"):
        (tmp_path / name).write_text("x")
    (tmp_path / "sub").mkdir()
    assert [n for n, p in evidence_upload.files_of(str(tmp_path))] == ["report.json", "report.md"]
    assert evidence_upload.files_of(str(tmp_path / "missing")) == []


def test_md5_content_type_and_url():
    assert evidence_upload.md5_of(b"abc") == hashlib.md5(b"abc").hexdigest()
    assert evidence_upload.content_type("report.json") == "application/json"
    assert evidence_upload.content_type("junit.xml") == "application/xml"
    assert evidence_upload.content_type("x.bin") == "application/octet-stream"
    assert evidence_upload.url("b", "runs/r1/report.json") == "s3://b/runs/r1/report.json"
