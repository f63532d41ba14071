# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The frame's controller-side notification checks: notify_problems, notify_enabled."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.filter import notify as filters

SLACK = {"name": "s", "type": "slack", "webhook_url": "https://hooks.slack.com/services/T/B/secret"}


def test_the_filters_are_registered():
    assert set(filters.FilterModule().filters()) == {"notify_problems", "notify_enabled"}


def test_notify_problems_and_enabled():
    assert filters.notify_problems(None) == [] and filters.notify_problems({"channels": (SLACK,)}) == []
    assert filters.notify_problems({"channels": [{"name": "s", "type": "slack"}]}) == [
        "cloudops_notify.channels[0] (s).webhook_url is required for a slack channel"]
    assert filters.notify_enabled({"channels": [SLACK]}) is True
    assert filters.notify_enabled({"channels": [SLACK], "enabled": False}) is False
    assert filters.notify_enabled(None) is False and filters.notify_enabled({}) is False
