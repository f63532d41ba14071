#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: alb_traffic_info
version_added: 0.1.0
short_description: Describe where an ALB listener sends traffic and how healthy the targets are
description:
  - Reads the default forward action of one listener of an Application Load Balancer, the health of each
    target group it forwards to (and of each group of the colour map), and decides the active colour.
  - RV(active_colour) is the colour of the only group with a weight above 0, V(split) when several groups
    share traffic, V(unknown) when the only group is not in O(colours), V(none) when the listener forwards nowhere.
  - Read-only; runs the same in check mode.
options:
  load_balancer_name:
    description:
      - Name of the Application Load Balancer.
    type: str
    required: true
  listener_port:
    description:
      - Port of the listener to read.
    type: int
    default: 443
  rule_priority:
    description:
      - Read the forward action of the listener rule with this priority (a path- or host-routed service) instead
        of the listener's default action.
    type: int
  colours:
    description:
      - "Blue/green colour map, colour name to target group name, for example C({blue: shop-blue, green: shop-green})."
    type: dict
    default: {}
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Which colour serves the primary ALB?
  cloudops.runbooks.alb_traffic_info:
    load_balancer_name: shop-primary-alb
    listener_port: 80
    colours:
      blue: shop-primary-blue
      green: shop-primary-green
    region: us-east-1
  register: traffic

- name: Show the idle colour
  ansible.builtin.debug:
    msg: "Active {{ traffic.active_colour }}, idle {{ traffic.idle_colour }}"

- name: Which colour serves the catalog service (a path rule of the same listener)?
  cloudops.runbooks.alb_traffic_info:
    load_balancer_name: shop-primary-alb
    listener_port: 80
    rule_priority: 10
    colours:
      blue: shop-primary-catalog-blue
      green: shop-primary-catalog-green
    region: us-east-1
  register: catalog_traffic
"""

RETURN = r"""
region:
  description: Region the module read.
  returned: success
  type: str
  sample: us-east-1
load_balancer_arn:
  description: ARN of the load balancer.
  returned: always
  type: str
  sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/shop-primary-alb/50dc6c495c0c9188
dns_name:
  description: DNS name of the load balancer.
  returned: always
  type: str
  sample: shop-primary-alb-1.us-east-1.elb.amazonaws.com
listener_arn:
  description: ARN of the listener on O(listener_port).
  returned: always
  type: str
  sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/shop-primary-alb/50dc6c495c0c9188/f2f7dc8efc522ab2
rule_arn:
  description: ARN of the rule with O(rule_priority); null when the default action was read.
  returned: always
  type: str
  sample: arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/shop-primary-alb/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee
forward:
  description: The forward targets of the listener's default action (or of the rule), in their order.
  returned: always
  type: list
  elements: dict
  sample:
  - target_group_name: shop-primary-blue
    target_group_arn: arn:aws:elasticloadbalancing:...
    weight: 1
active_colour:
  description: Active colour, or V(split), V(unknown), V(none).
  returned: always
  type: str
  sample: blue
idle_colour:
  description: The other colour of a two-colour map when one colour is active; null otherwise.
  returned: always
  type: str
  sample: green
weights:
  description: Percent of traffic per colour (or per target group name for groups without a colour).
  returned: always
  type: dict
  sample:
    blue: 100
target_groups:
  description: Health per target group (forwarded groups and colour-map groups), keyed by target group name.
  returned: always
  type: dict
  sample:
    shop-primary-blue:
      colour: blue
      arn: arn:aws:elasticloadbalancing:...
      healthy: true
      healthy_count: 2
      unhealthy_count: 0
      other_count: 0
      total: 2
      targets:
      - id: i-0123
        port: 80
        state: healthy
        reason: null
        description: null
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            load_balancer_name=dict(type="str", required=True),
            listener_port=dict(type="int", default=443),
            rule_priority=dict(type="int"),
            colours=dict(type="dict", default={}),
        ),
        supports_check_mode=True,
    )
    name = module.params["load_balancer_name"]
    port = module.params["listener_port"]
    colours = dict((str(colour), str(group)) for colour, group in module.params["colours"].items())
    conn = client(module, "elbv2")

    lb = elbv2.load_balancer(module, conn, name)
    if lb is None:
        module.fail_json(msg="Load balancer %s not found in %s: check load_balancer_name and region" % (name, module.region))
    listener = elbv2.listener(module, conn, lb["LoadBalancerArn"], port)
    if listener is None:
        module.fail_json(msg="Load balancer %s has no listener on port %s: check listener_port" % (name, port))

    rule_arn = None
    if module.params["rule_priority"] is None:
        forward = elbv2.forward_of(listener)
    else:
        rules = elbv2.Reads(module, conn, module.region).rules(listener["ListenerArn"]) or []
        rule = next((item for item in rules if item.get("Priority") == str(module.params["rule_priority"])), None)
        if rule is None:
            module.fail_json(msg="Listener %s:%s has no rule with priority %s: check rule_priority"
                                 % (name, port, module.params["rule_priority"]))
        rule_arn = rule["RuleArn"]
        forward = elbv2.forward_of(rule)
    # The colour map names the groups; only forwarded groups outside it need a lookup by ARN.
    groups = elbv2.target_groups(module, conn, names=sorted(colours.values())) if colours else []
    known = set(group["TargetGroupArn"] for group in groups)
    unmapped = [item["target_group_arn"] for item in forward if item["target_group_arn"] not in known]
    if unmapped:
        groups += elbv2.target_groups(module, conn, arns=unmapped)
    name_of = dict((group["TargetGroupArn"], group["TargetGroupName"]) for group in groups)
    for item in forward:
        item["target_group_name"] = name_of.get(item["target_group_arn"])

    colour_of = dict((group, colour) for colour, group in colours.items())
    health = {}
    for arn, group_name in sorted(name_of.items(), key=lambda pair: pair[1]):
        targets = elbv2.target_health(module, conn, arn)
        health[group_name] = dict(traffic.summarise_target_health(targets), colour=colour_of.get(group_name), arn=arn, targets=targets)

    decision = traffic.active_colour(forward, colours)
    module.exit_json(
        changed=False,
        region=module.region,
        load_balancer_arn=lb["LoadBalancerArn"],
        dns_name=lb.get("DNSName"),
        listener_arn=listener["ListenerArn"],
        rule_arn=rule_arn,
        forward=[dict(target_group_name=item["target_group_name"], target_group_arn=item["target_group_arn"], weight=item["weight"]) for item in forward],
        active_colour=decision["active_colour"],
        idle_colour=traffic.idle_colour(decision["active_colour"], colours),
        weights=decision["weights"],
        target_groups=health,
    )


if __name__ == "__main__":
    main()
