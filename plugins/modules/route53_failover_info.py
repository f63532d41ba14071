#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_failover_info
version_added: 1.0.0
short_description: Describe the failover and weighted record sets of one DNS name
description:
  - Reads every record set of O(record_name) in the hosted zone O(zone_name), the configuration and
    status of the health checks they reference, and decides which side of a PRIMARY/SECONDARY failover
    pair Route 53 serves.
  - A health check counts as healthy when more than 18% of its checkers report success, as Route 53 does.
  - Read-only; runs the same in check mode.
options:
  zone_name:
    description:
      - Name of the hosted zone, for example V(example.com).
    type: str
    required: true
  record_name:
    description:
      - Fully qualified name of the record, for example V(app.example.com).
    type: str
    required: true
  private_zone:
    description:
      - Pick the private (V(true)) or public (V(false)) zone when a public and a private zone share O(zone_name).
      - By default the name must match exactly one zone.
    type: bool
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
- name: Which side does app.example.com resolve to?
  cloudops.runbooks.route53_failover_info:
    zone_name: example.com
    record_name: app.example.com
  register: dns

- name: Show the serving side
  ansible.builtin.debug:
    msg: "{{ dns.failover.serving }} ({{ dns.failover.primary }} healthy={{ dns.failover.primary_healthy }})"
"""

RETURN = r"""
zone_id:
  description: Hosted zone ID.
  returned: always
  type: str
  sample: Z0123456789ABCDEFGHIJ
records:
  description: Failover records of the name, PRIMARY first.
  returned: always
  type: list
  elements: dict
  sample:
  - name: app.example.com.
    type: CNAME
    set_identifier: primary
    failover: PRIMARY
    weight: null
    ttl: 60
    values:
    - shop-primary-alb.us-east-1.elb.amazonaws.com
    alias: null
    value: shop-primary-alb.us-east-1.elb.amazonaws.com
    health_check_id: 6d1b0f5c-0000-0000-0000-000000000000
weighted_records:
  description: Weighted records of the name (same fields as RV(records)).
  returned: always
  type: list
  elements: dict
  sample: []
weighted_shares:
  description: Percent of traffic per set identifier of the weighted records.
  returned: always
  type: dict
  sample: {}
other_records:
  description: Records of the name that are neither failover nor weighted.
  returned: always
  type: list
  elements: dict
  sample: []
health_checks:
  description: Health checks referenced by the records, keyed by ID.
  returned: always
  type: dict
  sample:
    6d1b0f5c-0000-0000-0000-000000000000:
      type: HTTP
      fqdn: shop-primary-alb.us-east-1.elb.amazonaws.com
      port: 80
      resource_path: /health
      request_interval: 10
      failure_threshold: 3
      healthy: true
      observations:
      - region: us-east-1
        status: 'Success: HTTP Status Code: 200'
failover:
  description: Decision over the failover pair.
  returned: always
  type: dict
  sample:
    primary: primary
    secondary: dr
    primary_healthy: true
    serving: PRIMARY
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            zone_name=dict(type="str", required=True),
            record_name=dict(type="str", required=True),
            private_zone=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    params = module.params
    info = route53.failover_info(module, client(module, "route53"), params["zone_name"], params["record_name"], params["private_zone"])
    module.exit_json(changed=False, **info)


if __name__ == "__main__":
    main()
