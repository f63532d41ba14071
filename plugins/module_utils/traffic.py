# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Blue/green traffic decisions: which colour an ALB listener serves, how healthy a target group is, which
forward weights a switch sets (and what restores them), whether it must be refused, and canary schedules.

Pure functions over plain dicts (no AWS calls) so every branch is unit-tested without a cloud.
"""

from __future__ import annotations

import copy

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

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


def target_group_readiness(targets, min_healthy=None):
    """Whether a target group is ready to take traffic, from its targets (flattened describe_target_health).

    registered counts every target except draining ones (they are leaving). Ready means at least min_healthy
    healthy targets, or by default every registered target healthy and at least one registered.
    Returns {registered, healthy, unhealthy, states: {state: count}, need, ready, reasons: {reason: count}}.
    """
    states = {}
    reasons = {}
    for target in targets or []:
        state = target.get("state") or "unknown"
        states[state] = states.get(state, 0) + 1
        if state != HEALTHY and target.get("reason"):
            reasons[target["reason"]] = reasons.get(target["reason"], 0) + 1
    registered = sum(count for state, count in states.items() if state != "draining")
    healthy = states.get(HEALTHY, 0)
    need = max(registered, 1) if min_healthy is None else int(min_healthy)
    return {"registered": registered, "healthy": healthy, "unhealthy": states.get(UNHEALTHY, 0), "states": states,
            "need": need, "ready": healthy >= need, "reasons": reasons}


def readiness_text(name, readiness):
    """'shop-green: 0/2 healthy, need 2 (unhealthy: 2 Target.FailedHealthChecks)' for messages."""
    text = "%s: %s/%s healthy, need %s" % (name, readiness["healthy"], readiness["registered"], readiness["need"])
    others = sorted((state, count) for state, count in readiness["states"].items() if state != HEALTHY)
    if others:
        text += " (%s" % ", ".join("%s %s" % (state, count) for state, count in others)
        if readiness.get("reasons"):
            text += ": %s" % ", ".join("%s %s" % (reason, count) for reason, count in sorted(readiness["reasons"].items()))
        text += ")"
    return text


# --- Traffic switching ---------------------------------------------------------------------------------------
# A switch changes the weights of the forward action of one listener's default actions or of one listener rule.
# Weights are kept keyed by target group ARN in the action's order (dicts keep insertion order).

MAX_WEIGHT = 999        # ELBv2's limit per target group of a weighted forward
MAX_FORWARD_GROUPS = 5  # ELBv2's limit of target groups per forward action


def is_arn(value):
    return str(value).startswith("arn:")


def region_of_arn(arn):
    """The region field of an ARN, or None."""
    parts = str(arn).split(":")
    return parts[3] if len(parts) > 5 and parts[3] else None


def listener_of_rule(rule_arn):
    """The listener ARN of a rule ARN (…:listener-rule/app/NAME/LB/LISTENER/RULE -> …:listener/app/NAME/LB/LISTENER)."""
    head, sep, path = str(rule_arn).partition(":listener-rule/")
    if not sep or path.count("/") < 4:
        raise ValueError("%s is not a listener rule ARN (…:listener-rule/app/NAME/ID/LISTENER_ID/RULE_ID)" % rule_arn)
    return head + ":listener/" + path.rsplit("/", 1)[0]


def target_group_name(arn):
    """The target group name inside its ARN (…:targetgroup/NAME/ID), or None for any other string: the name a
    DescribeTargetGroups call would answer, without the call."""
    path = str(arn).split(":", 5)[-1].split("/") if is_arn(arn) else []
    return path[1] if len(path) == 3 and path[0] == "targetgroup" and path[1] else None


def load_balancer_of(arn):
    """The load balancer name inside a listener or rule ARN (…:listener/app/NAME/…), or None."""
    path = str(arn).split(":", 5)[-1].split("/")
    return path[2] if len(path) > 2 else None


def _weight(value, where):
    if isinstance(value, bool):
        raise ValueError("%s: weight %r is not a whole number from 0 to %s" % (where, value, MAX_WEIGHT))
    try:
        weight = int(str(value).strip())
    except ValueError:
        raise ValueError("%s: weight %r is not a whole number from 0 to %s" % (where, value, MAX_WEIGHT)) from None
    if not 0 <= weight <= MAX_WEIGHT:
        raise ValueError("%s: weight %s is outside 0..%s" % (where, weight, MAX_WEIGHT))
    return weight


def normalise_switch(item, index, default_region):
    """Validate one entry of the switches option and say where it points.

    Returns {region, load_balancer_name, port, listener_arn, rule_arn, rule_priority, forward: {group: weight},
    purge_unlisted, where}; raises ValueError with a message that names the entry (switches[0]) and what to fix.
    """
    where = "switches[%s]" % index
    name, listener_arn, rule_arn = item.get("load_balancer_name"), item.get("listener_arn"), item.get("rule_arn")
    port, priority = item.get("port"), item.get("rule_priority")
    if not (name or listener_arn or rule_arn):
        raise ValueError("%s: say which listener: load_balancer_name with port, or listener_arn, or rule_arn" % where)
    if name and (listener_arn or rule_arn):
        raise ValueError("%s: give load_balancer_name with port (and rule_priority for a rule), or ARNs, not both" % where)
    if name and port is None:
        raise ValueError("%s: load_balancer_name %s needs port (the listener's port)" % (where, name))
    if rule_arn and priority is not None:
        raise ValueError("%s: give rule_priority or rule_arn, not both" % where)
    if rule_arn:
        rule_listener = listener_of_rule(rule_arn)
        if listener_arn and listener_arn != rule_listener:
            raise ValueError("%s: rule %s belongs to listener %s, not %s" % (where, rule_arn, rule_listener, listener_arn))
        listener_arn = listener_arn or rule_listener
    forward = item.get("forward") or {}
    if not isinstance(forward, dict) or not forward:
        raise ValueError("%s: forward must map target group names or ARNs to weights, e.g. {shop-green: 100}" % where)
    weights = dict((str(group), _weight(value, "%s.forward.%s" % (where, group))) for group, value in forward.items())
    if not any(weights.values()):
        raise ValueError("%s: every weight in forward is 0, which would send the traffic nowhere" % where)

    region = item.get("region")
    arn_region = region_of_arn(listener_arn) if listener_arn else None
    if arn_region and region and region != arn_region:
        raise ValueError("%s: region %s does not match the region of %s" % (where, region, listener_arn))
    region = arn_region or region or default_region
    if not region:
        raise ValueError("%s: no region: set region (on the entry or the module) or AWS_REGION" % where)
    earlier = item.get("earlier") or []
    if not isinstance(earlier, (list, tuple)) or not all(isinstance(step, dict) for step in earlier):
        raise ValueError("%s: earlier must be a list of forward weights ({group: weight}), one per earlier step" % where)
    earlier = [dict((str(group), _weight(value, "%s.earlier[%s].%s" % (where, n, group))) for group, value in step.items())
               for n, step in enumerate(earlier)]
    for group in list(weights) + [group for step in earlier for group in step]:
        if is_arn(group) and region_of_arn(group) != region:
            raise ValueError("%s: target group %s is not in the listener's region %s" % (where, group, region))
    return {
        "region": region, "load_balancer_name": name, "port": port, "listener_arn": listener_arn, "rule_arn": rule_arn,
        "rule_priority": priority, "forward": weights, "purge_unlisted": bool(item.get("purge_unlisted")), "where": where,
        "earlier": earlier,
    }


def forward_action(actions):
    """(index, {target_group_arn: weight}) of the forward action in a listener's or rule's actions.

    A plain forward (TargetGroupArn without ForwardConfig) sends everything to one group: weight 1.
    (None, {}) when there is no forward action.
    """
    for index, action in enumerate(actions or []):
        if action.get("Type") != "forward":
            continue
        groups = (action.get("ForwardConfig") or {}).get("TargetGroups")
        if groups:
            return index, dict((group["TargetGroupArn"], int(group.get("Weight", 1))) for group in groups)
        if action.get("TargetGroupArn"):
            return index, {action["TargetGroupArn"]: 1}
        return index, {}
    return None, {}


def desired_forward(current, requested, purge_unlisted=False):
    """The forward weights to set, keyed by ARN: the current groups in their order with the requested weights,
    then the newly named groups in request order.

    A current group the request does not name keeps its place with weight 0 (it stays attached to the load
    balancer, so its health checks keep running and a rollback can send traffic back at once), or is removed
    with purge_unlisted. Raises ValueError beyond ELBv2's limit of groups or when nothing would get traffic.
    """
    desired = {}
    for arn in current:
        if arn in requested:
            desired[arn] = requested[arn]
        elif not purge_unlisted:
            desired[arn] = 0
    for arn, weight in requested.items():
        desired.setdefault(arn, weight)
    if len(desired) > MAX_FORWARD_GROUPS:
        raise ValueError("a forward action takes at most %s target groups; this one would have %s (set purge_unlisted: true "
                         "to drop the groups you do not name)" % (MAX_FORWARD_GROUPS, len(desired)))
    if not any(desired.values()):
        raise ValueError("every target group would get weight 0")
    return desired


def actions_with_forward(actions, index, weights):
    """A copy of the actions to send back to ModifyListener/ModifyRule, with only the forward weights replaced.

    The forward action keeps its Order and stickiness; other actions are kept as they are, except that an OIDC
    authentication action, whose client secret AWS never returns, says to keep the existing secret.
    """
    result = []
    for position, action in enumerate(actions):
        action = copy.deepcopy(action)
        if position == index:
            config = dict((key, value) for key, value in (action.get("ForwardConfig") or {}).items() if key != "TargetGroups")
            config["TargetGroups"] = [{"TargetGroupArn": arn, "Weight": weight} for arn, weight in weights.items()]
            action = dict((key, value) for key, value in action.items() if key not in ("TargetGroupArn", "ForwardConfig"))
            action["ForwardConfig"] = config
        elif action.get("Type") == "authenticate-oidc":
            oidc = action.setdefault("AuthenticateOidcConfig", {})
            if not oidc.get("ClientSecret"):
                oidc.pop("ClientSecret", None)
                oidc["UseExistingClientSecret"] = True
        result.append(action)
    return result


def gaining_groups(before, after):
    """ARNs whose share of the traffic grows from before to after (and is above 0): where traffic moves to."""
    before_total = sum(before.values())
    after_total = sum(after.values())
    gaining = []
    for arn, weight in after.items():
        # weight / after_total > before[arn] / before_total, without division.
        if weight > 0 and (before_total == 0 or weight * before_total > before.get(arn, 0) * after_total):
            gaining.append(arn)
    return gaining


def percent(weights, key):
    """The share of key in weights, in whole percent."""
    total = sum(weights.values())
    return int(round(100.0 * weights.get(key, 0) / total)) if total else 0


def named(weights, name_of):
    """{target group name: weight} from {arn: weight} (an ARN stays when its name is unknown)."""
    return dict((name_of.get(arn, arn), weight) for arn, weight in weights.items())


def switch_label(switch):
    """'shop-primary-alb:80 default action (us-east-1)' or '… rule 10 (…)' for messages and diff headers."""
    target = "default action" if not switch.get("rule_arn") else "rule %s" % (switch.get("rule_priority") or switch["rule_arn"])
    where = "%s:%s" % (switch.get("load_balancer_name"), switch.get("port")) if switch.get("port") else switch.get("listener_arn")
    return "%s %s (%s)" % (where, target, switch.get("region"))


def health_refusals(plans, health):
    """Groups that would get more traffic while having no healthy target, over the changing switches.

    plans: [{changed, before_arns, after_arns, label}]; health: {arn: {name, healthy, healthy_count,
    unhealthy_count, total, reasons}} for every gaining group. Returns [{group, arn, switch, percent, healthy_count,
    unhealthy_count, total}] in plan order.
    """
    refused = []
    for plan in plans:
        if not plan["changed"]:
            continue
        for arn in gaining_groups(plan["before_arns"], plan["after_arns"]):
            state = health[arn]
            if state["healthy"]:
                continue
            refused.append({"group": state["name"], "arn": arn, "switch": plan["label"], "percent": percent(plan["after_arns"], arn),
                            "healthy_count": state["healthy_count"], "unhealthy_count": state["unhealthy_count"],
                            "total": state["total"], "reasons": state.get("reasons") or {}})
    return refused


def refusal_message(refused):
    parts = []
    for item in refused:
        text = "%s (would get %s%% on %s) has %s healthy of %s targets" % (
            item["group"], item["percent"], item["switch"], item["healthy_count"], item["total"])
        if item["reasons"]:
            text += " (%s)" % ", ".join("%s %s" % (reason, count) for reason, count in sorted(item["reasons"].items()))
        parts.append(text)
    return ("Refusing to switch traffic, nothing was changed: %s. Make the targets healthy (cloudops.runbooks.alb_target_health "
            "waits for them), or set force: true to switch anyway." % "; ".join(parts))


def restore_switches(plans):
    """A switches list that puts every listener/rule back exactly as it was before (by ARN, unlisted groups removed):
    as read (`live_arns`) when check mode chained the before from earlier steps' predictions."""
    return [{"listener_arn": plan["listener_arn"], "rule_arn": plan.get("rule_arn"), "forward": dict(plan.get("live_arns") or plan["before_arns"]),
             "purge_unlisted": True} for plan in plans]


def chain_forward(current, earlier, purge_unlisted=False):
    """The forward weights a listener/rule would have after the earlier steps' forwards (each {arn: weight}, in order)
    were applied to `current`: what check mode shows as the before of a later canary step."""
    for forward in earlier or []:
        current = desired_forward(current, forward, purge_unlisted)
    return current


def weight_lines(weights):
    """--diff text of forward weights, one line per target group, in percent of the traffic:
    'shop-blue: 90%'; with the raw weight when the weights do not add up to 100 ('shop-blue: 100% (weight 1)')."""
    total = sum(weights.values())
    lines = []
    for group, weight in weights.items():
        line = "%s: %s%%" % (group, percent(weights, group))
        if total != 100:
            line += " (weight %s)" % weight
        lines.append(line)
    return "".join(line + "\n" for line in lines)


def switch_diff(result):
    """One --diff entry of a switch: the share of each target group (by name) before and after, in percent. In check
    mode a later canary step's before is the earlier steps' prediction (`predicted_after_step`), said in its header."""
    label = switch_label(result)
    step = result.get("predicted_after_step")
    before_header = ("%s, as step %s would leave it (predicted)" % (label, step)) if step else label
    return {"before_header": before_header, "after_header": label,
            "before": weight_lines(result["before"]), "after": weight_lines(result["after"])}


# --- Filters' logic ----------------------------------------------------------------------------------------------

def _whole(value, what):
    if isinstance(value, bool):
        raise ValueError("%s %r is not a whole number" % (what, value))
    try:
        number = float(str(value).strip())
    except ValueError:
        raise ValueError("%s %r is not a whole number" % (what, value)) from None
    if number != int(number):
        raise ValueError("%s %r is not a whole number" % (what, value))
    return int(number)


def canary_schedule(steps, from_group, to_group):
    """Forward weights per canary step: [10, 50, 100] -> [{from: 90, to: 10}, {from: 50, to: 50}, {to: 100}].

    Steps are percentages of traffic on to_group, strictly increasing, each 0 < step <= 100, the last 100.
    The last step names only to_group: the switch module keeps from_group attached with weight 0.
    """
    if not from_group or not to_group or from_group == to_group:
        raise ValueError("canary_schedule needs two different groups, got %r and %r" % (from_group, to_group))
    if isinstance(steps, (str, bytes, dict)) or not steps:
        raise ValueError("canary_schedule needs a non-empty list of percentages, e.g. [10, 50, 100]; got %r" % (steps,))
    percents = [_whole(step, "canary step") for step in steps]
    for previous, step in zip([0] + percents, percents):
        if not 0 < step <= 100:
            raise ValueError("canary step %s is outside 1..100 (steps %s)" % (step, percents))
        if step <= previous:
            raise ValueError("canary steps must increase: %s comes after %s (steps %s)" % (step, previous, percents))
    if percents[-1] != 100:
        raise ValueError("canary steps must end at 100 so all traffic reaches %s (steps %s)" % (to_group, percents))
    return [{to_group: 100} if step == 100 else {from_group: 100 - step, to_group: step} for step in percents]


def _weights_of(forward, what):
    """{group: weight} from a dict, or from a list of {target_group_name|group|name|target_group_arn, weight}."""
    if forward is None:
        return {}
    if isinstance(forward, dict):
        return dict((str(group), _whole(weight, "%s weight of %s" % (what, group))) for group, weight in forward.items())
    if isinstance(forward, (list, tuple)):
        weights = {}
        for entry in forward:
            group = next((entry.get(key) for key in ("target_group_name", "group", "name", "target_group_arn") if entry.get(key)), None)
            if group is None or "weight" not in entry:
                raise ValueError("%s entry %r needs a group name and a weight" % (what, entry))
            weights[str(group)] = _whole(entry["weight"], "%s weight of %s" % (what, group))
        return weights
    raise ValueError("%s must be a dict of group: weight or a list of {target_group_name, weight}, got %r" % (what, forward))


def forward_diff(before, after):
    """The groups whose weight changed: [{group, before, after}] (None where a side does not list the group).

    A group missing on one side counts as weight 0, so dropping a group that had 0 is not a change.
    Order: groups of before, then groups only in after.
    """
    old, new = _weights_of(before, "before"), _weights_of(after, "after")
    groups = list(old) + [group for group in new if group not in old]
    return [{"group": group, "before": old.get(group), "after": new.get(group)}
            for group in groups if old.get(group, 0) != new.get(group, 0)]


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def target_health_step_summary(result):
    """step_summary of alb_target_health: one gate per target group (ready or not, with its counts)."""
    gates = [steps.gate("targets %s" % group.get("name"), group.get("ready"), None,
                        steps.numbers_of(group, ("healthy", "unhealthy", "registered", "need")))
             for group in result.get("target_groups") or [] if isinstance(group, dict)]
    ready = sum(1 for g in gates if g["passed"])
    detail = "%d of %d target group(s) ready after %s s" % (ready, len(gates), result.get("elapsed_seconds"))
    return steps.summary(detail, steps.numbers_of(result, ("elapsed_seconds", "polls")), gates)
