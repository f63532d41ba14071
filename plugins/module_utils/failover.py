# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 decisions: which side of a failover record pair serves, and how a weighted set is shared.

Pure functions over normalised record dicts (see _aws/route53.py: record_from_boto) and health results.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

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


# ------------------------------------------------------------------------------------ switching (route53_failover_switch)
#
# Records here are the flattened dicts of _aws/route53.py record_from_boto: name, type, set_identifier, failover,
# weight, ttl, values, alias, value, health_check_id. A record set is identified by name, type and set identifier.

PRIMARY, SECONDARY = "PRIMARY", "SECONDARY"
MAX_WEIGHT = 255


class SwitchError(Exception):
    """A refusal whose message says what to change."""


def fqdn(name):
    name = str(name or "").lower()
    return name if name.endswith(".") else name + "."


def record_key(record):
    return (fqdn(record.get("name")), str(record.get("type") or "").upper(), record.get("set_identifier"))


def _comparable(record):
    alias = record.get("alias") or None
    if alias:
        alias = (fqdn(alias.get("dns_name")), alias.get("hosted_zone_id"), bool(alias.get("evaluate_target_health")))
    weight = record.get("weight")
    return (record.get("failover"), None if weight is None else int(weight), record.get("ttl"),
            tuple(sorted(record.get("values") or [])), alias, record.get("health_check_id"))


def same_record(first, second):
    """Whether two records of one set identifier answer the same way (routing, TTL, values or alias, health check)."""
    return record_key(first) == record_key(second) and _comparable(first) == _comparable(second)


def routing_records(records, routing, record_type=None):
    """The failover (routing="failover") or weighted (routing="weighted") records of one type.

    Without record_type the records must all have one type; several types (an A and an AAAA pair) need it.
    """
    if routing == "failover":
        found = [record for record in records if record.get("failover") in (PRIMARY, SECONDARY)]
    else:
        found = [record for record in records if record.get("weight") is not None]
    if record_type:
        found = [record for record in found if str(record.get("type")).upper() == record_type.upper()]
    types = sorted(set(record.get("type") for record in found))
    if len(types) > 1:
        raise SwitchError("the name has %s records of types %s: set record_type to pick one" % (routing, ", ".join(types)))
    return sorted(found, key=lambda record: record.get("set_identifier") or "")


def pin_primary(pair, target):
    """The failover pair with the record of set identifier target as PRIMARY and the other as SECONDARY.

    Only the Failover role moves: each set identifier keeps its value (endpoint), TTL and health check. So the
    target answers whatever the health checks say, and stays the answer when the old primary's checks pass again
    (a pinned failover: the database behind it was promoted, traffic must not drift back by itself).
    """
    roles = sorted(record.get("failover") for record in pair)
    if roles != [PRIMARY, SECONDARY]:
        raise SwitchError("expected one PRIMARY and one SECONDARY failover record, found %s: fix the record set first"
                          % (", ".join("%s=%s" % (r.get("set_identifier"), r.get("failover")) for r in pair) or "none"))
    names = [record.get("set_identifier") for record in pair]
    if target not in names:
        raise SwitchError("no failover record with set identifier %r: target must be one of %s" % (target, ", ".join(names)))
    return [dict(record, failover=PRIMARY if record.get("set_identifier") == target else SECONDARY) for record in pair]


def set_weights(weighted, weights):
    """The weighted records with the weights of {set identifier: weight}; records not named keep theirs."""
    names = [record.get("set_identifier") for record in weighted]
    unknown = sorted(set(weights) - set(names))
    if unknown:
        raise SwitchError("no weighted record with set identifier %s: weights may name %s"
                          % (", ".join(unknown), ", ".join(names) or "nothing (the name has no weighted records)"))
    for name, weight in weights.items():
        try:
            value = int(weight)
        except (TypeError, ValueError):
            value = -1
        if value < 0 or value > MAX_WEIGHT or str(weight).strip() != str(value):
            raise SwitchError("weight of %s must be a whole number from 0 to %s, not %r" % (name, MAX_WEIGHT, weight))
    return [dict(record, weight=int(weights[record["set_identifier"]])) if record.get("set_identifier") in weights
            else dict(record) for record in weighted]


def normalise_wanted(records, record_name):
    """Records given to restore (a `before` list), checked and completed with the fields record_from_boto gives."""
    out = []
    for index, record in enumerate(records or []):
        missing = [key for key in ("name", "type", "set_identifier") if not record.get(key)]
        if missing:
            raise SwitchError("records[%s] lacks %s: pass the before list route53_failover_switch returned" % (index, ", ".join(missing)))
        if fqdn(record["name"]) != fqdn(record_name):
            raise SwitchError("records[%s] is for %s, not %s" % (index, record["name"], record_name))
        if not record.get("values") and not record.get("alias"):
            raise SwitchError("records[%s] (%s) has neither values nor alias" % (index, record["set_identifier"]))
        out.append(dict({"failover": None, "weight": None, "ttl": None, "values": [], "alias": None, "health_check_id": None},
                        **dict(record, name=fqdn(record["name"]), type=str(record["type"]).upper())))
    keys = [record_key(record) for record in out]
    if len(set(keys)) != len(keys):
        raise SwitchError("records names the same set identifier twice")
    return out


def plan_changes(current, desired):
    """[{"current": record|None, "desired": record}] for each desired record that is missing or differs."""
    by_key = dict((record_key(record), record) for record in current)
    changes = []
    for record in desired:
        found = by_key.get(record_key(record))
        if found is None or not same_record(found, record):
            changes.append({"current": found, "desired": record})
    return changes


def apply_changes(current, changes):
    """The records after the changes (current order, new records appended)."""
    replaced = dict((record_key(change["desired"]), change["desired"]) for change in changes)
    after = [replaced.pop(record_key(record), record) for record in current]
    return after + [record for record in (change["desired"] for change in changes) if record_key(record) in replaced]


def serving_set(pair, health):
    """The set identifier Route 53 answers with for a failover pair (failover_state's decision), None if none."""
    state = failover_state(pair, health)
    return state["primary"] if state["serving"] == PRIMARY else state["secondary"] if state["serving"] == SECONDARY else None


def weighted_unhealthy(weighted, health):
    """Set identifiers that get weight but whose health check fails; [] when any weighted record is healthy."""
    live = [record for record in weighted if int(record.get("weight") or 0) > 0]
    failing = [record.get("set_identifier") for record in live
               if record.get("health_check_id") and health.get(record["health_check_id"]) is False]
    return failing if live and len(failing) == len(live) else []


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def switch_step_summary(result, waited=True, check_mode=False):
    """step_summary of route53_failover_switch: the DNS change as a gate once one was sent and waited for (INSYNC
    passes); a read, a prediction (check mode) or a change sent without waiting (wait: false - route53_change_wait
    judges it) has no gate."""
    status = result.get("change_status")
    serving = result.get("serving")
    if not status:
        detail = ("would serve %s (check mode)" if check_mode else "serving %s") % serving if serving else None
        return steps.summary(detail, steps.numbers_of(result, ("insync_seconds",)))
    if not waited and status != "INSYNC":
        return steps.summary("serving %s, change %s sent (INSYNC not waited for)" % (serving, status))
    detail = "serving %s, change %s" % (serving, status)
    if result.get("insync_seconds") is not None:
        detail += " after %s s" % result["insync_seconds"]
    return steps.summary(detail, steps.numbers_of(result, ("insync_seconds",)),
                         [steps.gate("DNS change", status == "INSYNC", "serving %s" % serving if serving else None,
                                     steps.numbers_of(result, ("insync_seconds", "change_status", "serving", "mode")))])
