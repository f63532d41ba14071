# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook frame's notification checks on the controller (no module process): whether an environment's
cloudops_notify turns notifications on, and what is wrong with it (module_utils/notify.py, the code the
cloudops.runbooks.runbook_notify module runs)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import notify


def notify_problems(declaration):
    """What is wrong with a cloudops_notify declaration, each naming the setting (never its value); [] when usable."""
    return notify.problems(_plain(declaration))


def notify_enabled(declaration):
    """Whether cloudops_notify declares a channel and is not turned off (enabled: false)."""
    return notify.enabled(_plain(declaration))


def _plain(value):
    """Ansible's lazy containers as plain dicts and lists (templated as they are read)."""
    if isinstance(value, dict):
        return dict((k, _plain(v)) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


class FilterModule(object):
    def filters(self):
        return {"notify_problems": notify_problems, "notify_enabled": notify_enabled}
