#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: alb_traffic_switch
version_added: 1.0.0
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
  - Check mode predicts the result without changing anything; C(--diff) shows each target group's share of the
    traffic (in percent, with the weight when the weights do not add up to 100) before and after each changed switch.
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
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
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

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import traffic_switch

SWITCH_SPEC = traffic_switch.SWITCH_SPEC


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            switches=dict(type="list", elements="dict", required=True, options=SWITCH_SPEC),
            require_healthy=dict(type="bool", default=True),
            force=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    module.exit_json(**traffic_switch.switch(module, module.params["switches"], module.params["require_healthy"], module.params["force"],
                                             module.check_mode, module._diff, module.region))


if __name__ == "__main__":
    main()
