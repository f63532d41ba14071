#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_failover_info
version_added: 0.1.0
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

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def pick_zone(module, zones):
    wanted = module.params["private_zone"]
    if wanted is not None:
        zones = [zone for zone in zones if zone.get("Config", {}).get("PrivateZone", False) == wanted]
    if len(zones) != 1:
        module.fail_json(
            msg="%s hosted zones named %s: check zone_name, or set private_zone when a public and a private zone share it"
            % (len(zones), module.params["zone_name"])
        )
    return zones[0]


def health_check_view(found):
    config = found["config"]
    return {
        "type": config.get("Type"),
        "fqdn": config.get("FullyQualifiedDomainName"),
        "ip_address": config.get("IPAddress"),
        "port": config.get("Port"),
        "resource_path": config.get("ResourcePath"),
        "request_interval": config.get("RequestInterval"),
        "failure_threshold": config.get("FailureThreshold"),
        "healthy": failover.health_check_healthy(found["observations"]),
        "observations": found["observations"],
    }


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            zone_name=dict(type="str", required=True),
            record_name=dict(type="str", required=True),
            private_zone=dict(type="bool"),
        ),
        supports_check_mode=True,
    )
    conn = client(module, "route53")
    zone = pick_zone(module, route53.hosted_zones(module, conn, module.params["zone_name"]))
    zone_id = zone["Id"].split("/")[-1]
    records = [route53.record_from_boto(item) for item in route53.record_sets(module, conn, zone_id, module.params["record_name"])]

    checks = sorted(set(record["health_check_id"] for record in records if record["health_check_id"]))
    health_checks = dict((check, health_check_view(route53.health_check(module, conn, check))) for check in checks)

    failover_records = sorted((r for r in records if r["failover"]), key=lambda r: (r["failover"], r["set_identifier"]))
    weighted = sorted((r for r in records if r["weight"] is not None), key=lambda r: r["set_identifier"])
    module.exit_json(
        changed=False,
        zone_id=zone_id,
        records=failover_records,
        weighted_records=weighted,
        weighted_shares=failover.weighted_shares(weighted),
        other_records=[r for r in records if not r["failover"] and r["weight"] is None],
        health_checks=health_checks,
        failover=failover.failover_state(failover_records, dict((k, v["healthy"]) for k, v in health_checks.items())),
    )


if __name__ == "__main__":
    main()
