# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Blue/green traffic decisions: which colour an ALB listener serves, and how healthy a target group is.

Pure functions over plain dicts (no AWS calls) so every branch is unit-tested without a cloud.
"""

from __future__ import annotations

# Target states that are neither "healthy" nor "unhealthy" (initial, draining, unused, unavailable)
# count as "other": they take no traffic, but they are not a failing check either.
HEALTHY = "healthy"
UNHEALTHY = "unhealthy"

# Values of active_colour besides a colour name.
SPLIT = "split"        # traffic shared between several target groups
UNKNOWN = "unknown"    # all traffic goes to a group that is not in the colour map
NONE = "none"          # the listener forwards nowhere (no forward action, or every weight is 0)


def active_colour(forward, colour_map):
    """Decide which colour a listener serves.

    forward: list of {"target_group_name": str, "weight": int} taken from the listener's forward
      action (a plain forward to one group is one entry of weight 1).
    colour_map: {"blue": "shop-primary-blue", "green": "shop-primary-green"} (may be empty).

    Returns {"active_colour": <colour>|"split"|"unknown"|"none", "weights": {label: percent}} where a label
    is the colour of the group, or the group name when the group has no colour. Percentages are rounded
    integers of the weight share, so a drill can compare them before and after a change.
    """
    by_name = dict((name, colour) for colour, name in (colour_map or {}).items())
    live = [entry for entry in forward or [] if int(entry.get("weight") or 0) > 0]
    total = sum(int(entry["weight"]) for entry in live)
    weights = {}
    for entry in live:
        label = by_name.get(entry["target_group_name"], entry["target_group_name"])
        weights[label] = weights.get(label, 0) + int(round(100.0 * int(entry["weight"]) / total))

    if not live:
        verdict = NONE
    elif len(weights) > 1:
        verdict = SPLIT
    else:
        only = live[0]["target_group_name"]
        verdict = by_name.get(only, UNKNOWN)
    return {"active_colour": verdict, "weights": weights}


def summarise_target_health(targets):
    """Count target states of one target group.

    targets: list of {"id": ..., "port": ..., "state": "healthy"|"unhealthy"|...} (describe_target_health,
      flattened). Returns counts plus "healthy": True when at least one target is healthy, which is when the
      ALB can still serve the group.
    """
    counts = {"healthy_count": 0, "unhealthy_count": 0, "other_count": 0}
    for target in targets or []:
        state = target.get("state")
        if state == HEALTHY:
            counts["healthy_count"] += 1
        elif state == UNHEALTHY:
            counts["unhealthy_count"] += 1
        else:
            counts["other_count"] += 1
    counts["total"] = len(targets or [])
    counts["healthy"] = counts["healthy_count"] > 0
    return counts


def idle_colour(active, colour_map):
    """The colour that receives no traffic when exactly one colour is active, else None.

    Deploy runbooks install the new version on this colour before shifting weights to it.
    """
    others = sorted(colour for colour in (colour_map or {}) if colour != active)
    if active not in (colour_map or {}) or len(others) != 1:
        return None
    return others[0]
