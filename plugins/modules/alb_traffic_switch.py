#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: alb_traffic_switch
version_added: 0.2.0
short_description: Set the forward weights of ALB listeners and listener rules (blue-green flip, canary step, rollback)
description:
  - Changes only the target group weights of the forward action of each listed listener default action or
    listener rule. Everything else (other actions, conditions, certificates, stickiness, the load balancer itself)
    is left as it is; nothing is re-declared or purged.
  - Many listeners and rules, in several regions, in one call. Each load balancer, listener set and rule set is
    described once however many switches share it; only the listeners and rules whose weights differ are modified.
  - Refuses, before any change, when a target group whose share of the traffic would grow has no healthy target
    (O(require_healthy)), unless O(force=true).
  - Returns the weights before and after each switch and RV(restore), a O(switches) list that puts every listener
    and rule back exactly as it was; feed it back to this module to roll back.
  - Check mode predicts the result without changing anything; C(--diff) shows the weights before and after each
    changed switch.
options:
  switches:
    description:
      - The listeners and rules to change.
      - Say which listener with O(switches[].load_balancer_name) and O(switches[].port), or O(switches[].listener_arn).
        Without O(switches[].rule_priority) or O(switches[].rule_arn) the listener's default action changes.
    type: list
    elements: dict
    required: true
    suboptions:
      load_balancer_name:
        description: Name of the Application Load Balancer.
        type: str
      port:
        description: Port of the listener, with O(switches[].load_balancer_name).
        type: int
        aliases: [listener_port]
      listener_arn:
        description: ARN of the listener (instead of the load balancer name and port).
        type: str
      rule_priority:
        description: Priority of the listener rule to change.
        type: int
      rule_arn:
        description: ARN of the listener rule to change; the listener is taken from it when not given.
        type: str
      forward:
        description:
          - "Target group name or ARN to weight (0 to 999), for example C({shop-green: 100}) for a blue-green flip
            or C({shop-blue: 90, shop-green: 10}) for a canary step."
          - Groups the forward action has now but this does not name keep their place with weight 0, so they stay
            attached to the load balancer (their health checks keep running) and a rollback is immediate.
        type: dict
        required: true
      purge_unlisted:
        description:
          - Remove from the forward action the target groups O(switches[].forward) does not name, instead of
            setting them to weight 0. RV(restore) sets it to put back exactly the groups that were there.
        type: bool
        default: false
      region:
        description:
          - Region of this switch when it differs from the module's O(region) (one call can switch the listeners
            of both sides). An ARN's own region always wins.
        type: str
  require_healthy:
    description:
      - Refuse, before any change, when a target group whose share of the traffic would grow has no healthy target.
        The message names the groups and their target states.
    type: bool
    default: true
  force:
    description:
      - Switch even when O(require_healthy) would refuse (for example to move traffic during an incident).
    type: bool
    default: false
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
notes:
  - Weights are compared as they are written. V(1) and V(100) both send all traffic to a lone group, but changing
    one to the other is a change.
  - A switch whose weights already match is not modified and is not checked for health.
"""

EXAMPLES = r"""
- name: Blue-green flip of both sides in one task
  cloudops.runbooks.alb_traffic_switch:
    switches:
      - load_balancer_name: shop-primary-alb
        port: 443
        region: us-east-1
        forward:
          shop-primary-green: 100
      - load_balancer_name: shop-dr-alb
        port: 443
        region: us-west-2
        forward:
          shop-dr-green: 100
  register: flip

- name: Canary step on a listener rule
  cloudops.runbooks.alb_traffic_switch:
    switches:
      - load_balancer_name: shop-primary-alb
        port: 443
        rule_priority: 10
        forward:
          shop-primary-catalog-blue: 90
          shop-primary-catalog-green: 10
    region: us-east-1

- name: Roll back exactly to what was there before the flip
  cloudops.runbooks.alb_traffic_switch:
    switches: "{{ flip.restore }}"
    force: true
"""

RETURN = r"""
switches:
  description: One entry per switch, in the order given.
  returned: always
  type: list
  elements: dict
  contains:
    region:
      description: Region of the listener.
      type: str
      sample: us-east-1
    load_balancer_name:
      description: Name of the load balancer.
      type: str
      sample: shop-primary-alb
    port:
      description: Port of the listener.
      type: int
      sample: 443
    listener_arn:
      description: ARN of the listener.
      type: str
      sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-primary-alb/50dc6c495c0c9188/f2f7dc8efc522ab2
    rule_arn:
      description: ARN of the listener rule; null for the listener's default action.
      type: str
      sample: null
    rule_priority:
      description: Priority of the listener rule; null for the listener's default action.
      type: int
      sample: null
    before:
      description: Forward weights before, by target group name, in the action's order.
      type: dict
      sample: {"shop-primary-blue": 1}
    after:
      description: Forward weights after (in check mode, as they would be), by target group name.
      type: dict
      sample: {"shop-primary-blue": 0, "shop-primary-green": 100}
    before_arns:
      description: RV(switches[].before) keyed by target group ARN.
      type: dict
      sample: {"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-primary-blue/da55431a692ab5c0": 1}
    after_arns:
      description: RV(switches[].after) keyed by target group ARN.
      type: dict
      sample: {"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-primary-green/a2d6a5397f597b93": 100}
    changed:
      description: Whether this switch changed (or in check mode would change) the weights.
      type: bool
      sample: true
restore:
  description:
    - A O(switches) list, by ARN with O(switches[].purge_unlisted=true), that puts every listener and rule back
      exactly as it was before this call. Pass it to this module to roll back.
  returned: always
  type: list
  elements: dict
  sample:
    - listener_arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-primary-alb/50dc6c495c0c9188/f2f7dc8efc522ab2
      rule_arn: null
      forward: {"arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-primary-blue/da55431a692ab5c0": 1}
      purge_unlisted: true
refused:
  description: When the module refused, the target groups that would have got more traffic without a healthy target.
  returned: on refusal
  type: list
  elements: dict
  sample:
    - group: shop-primary-green
      arn: arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/shop-primary-green/a2d6a5397f597b93
      switch: shop-primary-alb:80 default action (us-east-1)
      percent: 100
      healthy_count: 0
      unhealthy_count: 2
      total: 2
      reasons: {"Target.FailedHealthChecks": 2}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

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


def plan_switches(requests, reads_of, fail):
    """Describe what the requests point at (each thing once), resolve target group names, decide the weights.

    reads_of(region) gives that region's elbv2.Reads. Returns (plans, {region: {arn: name}}).
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
        names = [group for item in mine for group in item["request"]["forward"] if not traffic.is_arn(group)]
        arns = [group for item in mine for group in item["request"]["forward"] if traffic.is_arn(group)]
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
        try:
            desired = traffic.desired_forward(current, requested, item["request"]["purge_unlisted"])
        except ValueError as e:
            fail("%s: %s" % (where, e))
        plan = dict((key, value) for key, value in item.items() if key != "request")
        plan.update(index=index, before_arns=current, after_arns=desired, changed=desired != current, label=traffic.switch_label(item))
        plans.append(plan)
    return plans, dict((region, reads_of(region).group_names()) for region in set(plan["region"] for plan in plans))


def result_of(plan, names):
    name_of = names.get(plan["region"], {})
    return {
        "region": plan["region"], "load_balancer_name": plan["load_balancer_name"], "port": plan["port"],
        "listener_arn": plan["listener_arn"], "rule_arn": plan["rule_arn"], "rule_priority": plan["rule_priority"],
        "before": traffic.named(plan["before_arns"], name_of), "after": traffic.named(plan["after_arns"], name_of),
        "before_arns": dict(plan["before_arns"]), "after_arns": dict(plan["after_arns"]), "changed": plan["changed"],
    }


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


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            switches=dict(type="list", elements="dict", required=True, options=SWITCH_SPEC),
            require_healthy=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )

    def fail(msg, **extra):
        module.fail_json(msg=msg, **extra)

    try:
        requests = [traffic.normalise_switch(item, index, module.region) for index, item in enumerate(module.params["switches"])]
    except ValueError as e:
        fail(str(e))
    if not requests:
        fail("switches is empty: list at least one listener or rule")

    connections, reads = {}, {}

    def conn_of(region):
        if region not in connections:
            connections[region] = client(module, "elbv2", region=region)
        return connections[region]

    def reads_of(region):
        if region not in reads:
            reads[region] = elbv2.Reads(module, conn_of(region), region)
        return reads[region]

    plans, names = plan_switches(requests, reads_of, fail)

    if module.params["require_healthy"] and not module.params["force"]:
        refused = traffic.health_refusals(plans, health_of_gaining(module, plans, names, conn_of))
        if refused:
            fail(traffic.refusal_message(refused), changed=False, refused=refused,
                 switches=[result_of(plan, names) for plan in plans])

    done = []
    if not module.check_mode:
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
    if module._diff:
        extra["diff"] = [traffic.switch_diff(result) for result in results if result["changed"]]
    module.exit_json(changed=any(plan["changed"] for plan in plans), switches=results, restore=traffic.restore_switches(plans), **extra)


if __name__ == "__main__":
    main()
