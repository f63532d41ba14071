# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A Route 53 change batch waited for apart from the switch that sent it (route53_change_wait): how long it took to
be INSYNC, counted from its submission, and the step summary. Pure functions; the I/O is _aws/route53.get_change.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps


class ChangeError(Exception):
    """Input that cannot be used; the message says what to change."""


def parse_submitted(value):
    """submitted_at (ISO 8601) as an aware datetime."""
    try:
        return backup.parse_time(value, "submitted_at")
    except backup.BackupError as e:
        raise ChangeError(str(e)) from None


def insync_seconds(change_id, submitted, finished_at, waited_seconds):
    """Seconds from the submission (a datetime or ISO string; None: unknown) to finished_at, never less than the wait
    itself; 0 without a change."""
    if change_id is None:
        return 0.0
    if submitted is None:
        return waited_seconds
    return max(backup.seconds_between(submitted, finished_at), waited_seconds)


def insync_step_summary(result):
    """step_summary of route53_change_wait: the change's INSYNC as a gate."""
    status, change_id = result.get("change_status"), result.get("change_id")
    if change_id is None:
        detail = "no change to wait for"
    elif result.get("insync_seconds") is not None:
        detail = "change %s %s after %s s" % (change_id, status, result["insync_seconds"])
    else:
        detail = "change %s still %s after %s s" % (change_id, status, result.get("waited_seconds"))
    numbers = steps.numbers_of(result, ("insync_seconds", "waited_seconds", "change_status"))
    return steps.summary(detail, steps.numbers_of(result, ("insync_seconds", "waited_seconds")),
                         [steps.gate("DNS change INSYNC", status == "INSYNC", detail, numbers)])
