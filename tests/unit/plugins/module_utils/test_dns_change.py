# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""dns_change: a Route 53 change waited for apart from its switch, counted from its submission."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import dns_change


def test_insync_is_counted_from_the_submission_never_less_than_the_wait():
    assert dns_change.insync_seconds("C1", "2026-01-31T12:00:00Z", "2026-01-31T12:00:31.5+00:00", 2.0) == 31.5
    submitted = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)  # GetChange's SubmittedAt
    assert dns_change.insync_seconds("C1", submitted, "2026-01-31T12:00:01+00:00", 2.0) == 2.0
    assert dns_change.insync_seconds("C1", None, "2026-01-31T12:00:01+00:00", 2.5) == 2.5
    assert dns_change.insync_seconds(None, None, "2026-01-31T12:00:01+00:00", 0.0) == 0.0


def test_a_bad_submission_time_is_named():
    with pytest.raises(dns_change.ChangeError, match="submitted_at"):
        dns_change.parse_submitted("yesterday")


def test_step_summary_gates_on_insync():
    done = dns_change.insync_step_summary({"change_id": "C1", "change_status": "INSYNC", "insync_seconds": 3.2, "waited_seconds": 1.0})
    assert done["detail"] == "change C1 INSYNC after 3.2 s" and done["gates"][0]["passed"] is True
    assert done["measures"] == {"insync_seconds": 3.2, "waited_seconds": 1.0}
    late = dns_change.insync_step_summary({"change_id": "C1", "change_status": "PENDING", "waited_seconds": 300.0})
    assert late["detail"] == "change C1 still PENDING after 300.0 s" and late["gates"][0]["passed"] is False
    assert dns_change.insync_step_summary({"change_id": None, "change_status": "INSYNC"})["detail"] == "no change to wait for"
