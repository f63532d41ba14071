# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the deploy and rollback runbooks: the idle colour, the canary weight schedule, forward diffs.

The logic lives in module_utils/traffic.py (unit-tested there); these wrappers turn its ValueErrors into
filter errors that name what to fix.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic


def idle_colour(active_colour, colours, strict=True):
    """The colour to deploy to: the only colour of colours (a list, or a colour map dict) that is not active."""
    if isinstance(colours, dict):
        names = list(colours)
    elif isinstance(colours, (list, tuple)):
        names = [str(colour) for colour in colours]
    else:
        raise AnsibleFilterError("idle_colour: colours must be a list of colour names or a colour map, got %r" % (colours,))
    idle = traffic.idle_colour(active_colour, dict((name, name) for name in names))
    if idle is None and strict:
        raise AnsibleFilterError(
            "idle_colour: no single idle colour when the active colour is %r among %s: traffic must go to exactly one of "
            "two colours (finish or roll back a canary first)" % (active_colour, names))
    return idle


def canary_schedule(steps, from_group, to_group):
    """Forward weights per canary step, e.g. [10, 50, 100] -> [{blue: 90, green: 10}, {blue: 50, green: 50}, {green: 100}]."""
    try:
        return traffic.canary_schedule(steps, from_group, to_group)
    except ValueError as e:
        raise AnsibleFilterError("canary_schedule: %s" % e) from None


def forward_diff(before, after):
    """The groups whose forward weight changed between two forward configs: [{group, before, after}]."""
    try:
        return traffic.forward_diff(before, after)
    except (ValueError, AttributeError) as e:
        raise AnsibleFilterError("forward_diff: %s" % e) from None


class FilterModule(object):
    def filters(self):
        return {"idle_colour": idle_colour, "canary_schedule": canary_schedule, "forward_diff": forward_diff}
