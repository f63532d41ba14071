# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Forward weights of ALB listeners and rules switched (alb_traffic_switch, and the deploy's coarse modules): each
listener, rule and target group described once, the weights decided by module_utils/traffic.py, the gaining target
groups' health checked first (unless forced), then one modify call per changing listener or rule, read back."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


SWITCH_SPEC = dict(
    load_balancer_name=dict(type="str"),
    port=dict(type="int", aliases=["listener_port"]),
    listener_arn=dict(type="str"),
    rule_priority=dict(type="int"),
    rule_arn=dict(type="str"),
    forward=dict(type="dict", required=True),
    purge_unlisted=dict(type="bool", default=False),
    region=dict(type="str"),
)


def locate(request, reads, fail):
    """The listener (and rule) a request points at, and the actions whose forward weights change."""
    where = request["where"]
    if request["load_balancer_name"]:
        name = request["load_balancer_name"]
        lb = reads.load_balancer(name)
        if lb is None:
            fail("%s: load balancer %s not found in %s: check load_balancer_name and region" % (where, name, reads.region))
        listeners = reads.listeners(lb["LoadBalancerArn"])
        listener = next((item for item in listeners if item.get("Port") == request["port"]), None)
        if listener is None:
            fail("%s: load balancer %s has no listener on port %s (its ports: %s)" % (
                where, name, request["port"], ", ".join(str(item.get("Port")) for item in listeners) or "none"))
    else:
        listener = reads.listener(request["listener_arn"])
        if listener is None:
            fail("%s: listener %s not found: check listener_arn (or rule_arn)" % (where, request["listener_arn"]))
    rule = None
    if request["rule_priority"] is not None or request["rule_arn"]:
        rules = reads.rules(listener["ListenerArn"]) or []
        if request["rule_arn"]:
            rule = next((item for item in rules if item["RuleArn"] == request["rule_arn"]), None)
            missing = "rule %s" % request["rule_arn"]
        else:
            rule = next((item for item in rules if str(item.get("Priority")) == str(request["rule_priority"])), None)
            missing = "rule with priority %s" % request["rule_priority"]
        if rule is None:
            fail("%s: listener %s:%s (%s) has no %s (its rule priorities: %s)" % (
                where, traffic.load_balancer_of(listener["ListenerArn"]), listener.get("Port"), listener["ListenerArn"], missing,
                ", ".join(str(item.get("Priority")) for item in rules if not item.get("IsDefault")) or "none"))
        if rule.get("IsDefault"):
            rule = None  # the default rule is the listener's default action, changed through ModifyListener
    priority = rule.get("Priority") if rule else None
    return {
        "region": reads.region,
        "load_balancer_name": traffic.load_balancer_of(listener["ListenerArn"]),
        "port": listener.get("Port"),
        "listener_arn": listener["ListenerArn"],
        "rule_arn": rule["RuleArn"] if rule else None,
        "rule_priority": int(priority) if priority is not None and str(priority).isdigit() else None,
        "actions": rule["Actions"] if rule else listener.get("DefaultActions") or [],
    }


def plan_switches(requests, reads_of, fail, chain=False):
    """Describe what the requests point at (each thing once), resolve target group names, decide the weights.

    reads_of(region) gives that region's elbv2.Reads. With `chain` (check mode), a request's `earlier` forwards (the
    earlier steps of its canary schedule) are applied to the weights read first, so the plan's before is what those
    steps would leave (`live_arns` keeps what was read). Returns (plans, {region: {arn: name}}).
    """
    located = [dict(locate(request, reads_of(request["region"]), fail), request=request) for request in requests]
    seen = {}
    for item in located:
        key = (item["listener_arn"], item["rule_arn"])
        if key in seen:
            fail("%s and %s both switch %s: list each listener or rule once" % (
                seen[key], item["request"]["where"], traffic.switch_label(item)))
        seen[key] = item["request"]["where"]

    for region in sorted(set(item["region"] for item in located)):
        mine = [item for item in located if item["region"] == region]
        asked = [group for item in mine for forward in [item["request"]["forward"]] + (item["request"].get("earlier") if chain else [])
                 for group in forward]
        names = [group for group in asked if not traffic.is_arn(group)]
        arns = [group for group in asked if traffic.is_arn(group)]
        arns += [arn for item in mine for arn in traffic.forward_action(item["actions"])[1]]
        reads_of(region).target_groups(names=names, arns=arns)

    plans = []
    for item in located:
        reads = reads_of(item["region"])
        where = item["request"]["where"]
        index, current = traffic.forward_action(item["actions"])
        if index is None:
            fail("%s: %s does not forward (its action types: %s); this module changes only the weights of a forward action" % (
                where, traffic.switch_label(item), ", ".join(action.get("Type", "?") for action in item["actions"]) or "none"))
        requested = {}
        for group, weight in item["request"]["forward"].items():
            arn = reads.group_arn(group)
            if arn in requested:
                fail("%s: forward names target group %s twice (by name and by ARN)" % (where, reads.group_names().get(arn, group)))
            requested[arn] = weight
        live, earlier = current, (item["request"].get("earlier") or []) if chain else []
        try:
            current = traffic.chain_forward(current, [dict((reads.group_arn(group), weight) for group, weight in forward.items())
                                                      for forward in earlier], item["request"]["purge_unlisted"])
            desired = traffic.desired_forward(current, requested, item["request"]["purge_unlisted"])
        except ValueError as e:
            fail("%s: %s" % (where, e))
        plan = dict((key, value) for key, value in item.items() if key != "request")
        plan.update(index=index, before_arns=current, after_arns=desired, changed=desired != current, label=traffic.switch_label(item))
        if earlier:
            plan.update(live_arns=live, predicted_after_step=len(earlier))
        plans.append(plan)
    return plans, dict((region, reads_of(region).group_names()) for region in set(plan["region"] for plan in plans))


def result_of(plan, names):
    name_of = names.get(plan["region"], {})
    out = {
        "region": plan["region"], "load_balancer_name": plan["load_balancer_name"], "port": plan["port"],
        "listener_arn": plan["listener_arn"], "rule_arn": plan["rule_arn"], "rule_priority": plan["rule_priority"],
        "before": traffic.named(plan["before_arns"], name_of), "after": traffic.named(plan["after_arns"], name_of),
        "before_arns": dict(plan["before_arns"]), "after_arns": dict(plan["after_arns"]), "changed": plan["changed"],
    }
    if plan.get("predicted_after_step"):
        out.update(predicted_after_step=plan["predicted_after_step"], live=traffic.named(plan["live_arns"], name_of))
    return out


def health_of_gaining(module, plans, names, conn_of):
    """Target health of every group whose share grows on a changing switch (each group described once)."""
    health = {}
    for plan in plans:
        if not plan["changed"]:
            continue
        for arn in traffic.gaining_groups(plan["before_arns"], plan["after_arns"]):
            if arn not in health:
                targets = elbv2.target_health(module, conn_of(plan["region"]), arn)
                summary = traffic.summarise_target_health(targets)
                summary.update(name=names.get(plan["region"], {}).get(arn, arn),
                               reasons=traffic.target_group_readiness(targets)["reasons"])
                health[arn] = summary
    return health


def with_defaults(switches):
    """Switch entries as the module's argument spec would give them (every option, purge_unlisted false)."""
    out = []
    for entry in switches or []:
        spec = dict(dict.fromkeys(SWITCH_SPEC), purge_unlisted=False)
        spec.update((key, value) for key, value in entry.items() if key in SWITCH_SPEC or key in ("listener_port", "earlier"))
        if spec.get("port") is None and entry.get("listener_port") is not None:
            spec["port"] = entry["listener_port"]
        spec.pop("listener_port", None)
        out.append(spec)
    return out


def switch(module, switches, require_healthy=True, force=False, check_mode=False, diff=False, region=None, shared=None):
    """alb_traffic_switch of `switches` (entries of SWITCH_SPEC, defaults applied): {changed, switches, restore[, diff]}.
    Fails the module (fail_json) on a bad request, a refusal for health (with `refused`) or a failed call (with what
    was changed before it and how to put it back). shared: reads_of(region) giving Reads shared with the other
    switches of a deploy wave (_aws/shared.SharedReads: load balancers, listeners, rules and target groups described
    once for the wave; each switch changes only its own listener or rule); the gaining groups' health is read here."""
    def fail(msg, **extra):
        module.fail_json(msg=msg, **extra)

    try:
        requests = [traffic.normalise_switch(item, index, region) for index, item in enumerate(switches)]
    except ValueError as e:
        fail(str(e))
    if not requests:
        fail("switches is empty: list at least one listener or rule")

    connections, reads = {}, {}

    def conn_of(region):
        if region not in connections:
            connections[region] = shared(region).conn if shared is not None else client(module, "elbv2", region=region)
        return connections[region]

    def reads_of(region):
        if region not in reads:
            reads[region] = shared(region) if shared is not None else elbv2.Reads(module, conn_of(region), region)
        return reads[region]

    plans, names = plan_switches(requests, reads_of, fail, chain=check_mode)

    if require_healthy and not force:
        refused = traffic.health_refusals(plans, health_of_gaining(module, plans, names, conn_of))
        if refused:
            fail(traffic.refusal_message(refused), changed=False, refused=refused,
                 switches=[result_of(plan, names) for plan in plans])

    done = []
    if not check_mode:
        for plan in plans:
            if not plan["changed"]:
                continue
            actions = traffic.actions_with_forward(plan["actions"], plan["index"], plan["after_arns"])
            # Should this call fail, the result still says what was changed before it and how to put it back.
            context = dict(changed=bool(done), switches=[result_of(item, names) for item in done], restore=traffic.restore_switches(done))
            if plan["rule_arn"]:
                now = elbv2.modify_rule(module, conn_of(plan["region"]), plan["rule_arn"], actions, **context).get("Actions")
            else:
                now = elbv2.modify_listener(module, conn_of(plan["region"]), plan["listener_arn"], actions, **context).get("DefaultActions")
            read_back = traffic.forward_action(now)[1]
            plan["after_arns"] = read_back or plan["after_arns"]
            done.append(plan)

    results = [result_of(plan, names) for plan in plans]
    extra = {}
    if diff:
        extra["diff"] = [traffic.switch_diff(result) for result in results if result["changed"]]
    return dict(changed=any(plan["changed"] for plan in plans), switches=results, restore=traffic.restore_switches(plans), **extra)
