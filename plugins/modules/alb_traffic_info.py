#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: alb_traffic_info
version_added: 1.0.0
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
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
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
    params = module.params
    colours = dict((str(colour), str(group)) for colour, group in params["colours"].items())
    info = elbv2.traffic_info(module, client(module, "elbv2"), module.region, params["load_balancer_name"], params["listener_port"],
                              colours, params["rule_priority"])
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
