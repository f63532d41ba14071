# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 decisions: which side of a failover record pair serves, and how a weighted set is shared.

Pure functions over normalised record dicts (see _aws/route53.py: record_from_boto) and health results.
"""

from __future__ import annotations

# Route 53 counts a health check healthy when more than 18% of its checkers report success.
HEALTHY_CHECKER_SHARE = 0.18


def health_check_healthy(observations):
    """Decide health from get_health_check_status observations: True/False, None when there are none."""
    if not observations:
        return None
    ok = [obs for obs in observations if str(obs.get("status", "")).startswith("Success")]
    return float(len(ok)) / len(observations) > HEALTHY_CHECKER_SHARE


def failover_state(records, health):
    """Summarise a PRIMARY/SECONDARY failover pair.

    records: list of {"set_identifier", "failover": "PRIMARY"|"SECONDARY", "value", "health_check_id"}.
    health: {health_check_id: True|False|None}.

    Returns {"primary": set id|None, "secondary": set id|None, "primary_healthy": bool|None, "serving":
    "PRIMARY"|"SECONDARY"|"none"}. A record without a health check counts as healthy, as Route 53 does;
    "serving" follows Route 53: PRIMARY unless its health check is failing and a SECONDARY exists.
    """
    by_role = {}
    for record in records or []:
        if record.get("failover") in ("PRIMARY", "SECONDARY"):
            by_role.setdefault(record["failover"], record)
    primary = by_role.get("PRIMARY")
    secondary = by_role.get("SECONDARY")

    primary_healthy = None
    if primary is not None:
        check = primary.get("health_check_id")
        primary_healthy = True if not check else health.get(check)

    if primary is not None and (primary_healthy is not False or secondary is None):
        serving = "PRIMARY"
    elif secondary is not None:
        serving = "SECONDARY"
    else:
        serving = "none"
    return {
        "primary": primary.get("set_identifier") if primary else None,
        "secondary": secondary.get("set_identifier") if secondary else None,
        "primary_healthy": primary_healthy,
        "serving": serving,
    }


def weighted_shares(records):
    """Percent of traffic per set identifier of a weighted record set ({} when no weights)."""
    weighted = [record for record in records or [] if record.get("weight") is not None]
    total = sum(int(record["weight"]) for record in weighted)
    if not total:
        return dict((record["set_identifier"], 0) for record in weighted)
    return dict((record["set_identifier"], int(round(100.0 * int(record["weight"]) / total))) for record in weighted)
