#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_change_wait
version_added: 1.0.0
short_description: Wait until a Route 53 change batch is INSYNC
description:
  - Polls C(GetChange) of O(change_id) adaptively until Route 53 reports it C(INSYNC) on all its name servers, or
    fails at O(wait_timeout) saying the change's status.
  - With M(cloudops.runbooks.route53_failover_switch) O(cloudops.runbooks.route53_failover_switch#module:wait=false),
    a runbook sends the DNS change, does other work while Route 53 propagates it, and waits with this module only
    when it needs the change served (the failover runbooks overlap it with the application's repoint and scale-up).
  - RV(insync_seconds) is counted from O(submitted_at) when given (the switch's RV(cloudops.runbooks.route53_failover_switch#module:started_at)),
    else from the change's C(SubmittedAt), so it is the propagation time, not only this module's wait. It is an upper
    bound - the change is seen C(INSYNC) at the first poll after it is, and this module's first poll comes when the
    runbook gets to it.
  - A change id of null (a switch that changed nothing, or whose lost answer was read back in place) is INSYNC at once.
  - Read-only; runs in check mode too.
options:
  change_id:
    description: ID of the change batch (RV(cloudops.runbooks.route53_failover_switch#module:change_id)), with or without C(/change/).
    type: str
  submitted_at:
    description: When the change was submitted (ISO 8601), to count RV(insync_seconds) from.
    type: str
  wait_timeout:
    description: Seconds to wait for C(INSYNC).
    type: int
    default: 300
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
- name: Switch DNS to DR without waiting
  cloudops.runbooks.route53_failover_switch:
    zone_name: example.com
    record_name: app.example.com
    target: dr
    wait: false
  register: dns

- name: Wait until the switch is served everywhere
  cloudops.runbooks.route53_change_wait:
    change_id: "{{ dns.change_id }}"
    submitted_at: "{{ dns.started_at }}"
"""

RETURN = r"""
change_id:
  description: The change's ID (without C(/change/)); null when none was given.
  returned: always
  type: str
  sample: C2682N5HXP0BZ4
change_status:
  description: C(INSYNC) (or C(PENDING) when the wait timed out).
  returned: always
  type: str
  sample: INSYNC
insync_seconds:
  description: Seconds from the submission (see the description) until the change was seen C(INSYNC); 0 without a change.
  returned: success
  type: float
  sample: 31.5
waited_seconds:
  description: Seconds this module waited.
  returned: always
  type: float
  sample: 12.0
finished_at:
  description: UTC time the change was seen C(INSYNC) (ISO 8601).
  returned: success
  type: str
  sample: '2026-01-31T12:00:31.625000+00:00'
step_summary:
  description: The wait as a runbook step - C(detail), C(measures) (C(insync_seconds), C(waited_seconds)), C(gates) (C(DNS change INSYNC)).
  returned: always
  type: dict
  sample: {detail: change C2682N5HXP0BZ4 INSYNC after 31.5 s, measures: {insync_seconds: 31.5, waited_seconds: 12.0},
           gates: [{name: DNS change INSYNC, passed: true, detail: change C2682N5HXP0BZ4 INSYNC after 31.5 s,
                    numbers: {insync_seconds: 31.5, waited_seconds: 12.0, change_status: INSYNC}}]}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            change_id=dict(type="str"),
            submitted_at=dict(type="str"),
            wait_timeout=dict(type="int", default=300),
        ),
        supports_check_mode=True,
    )
    params = module.params
    conn = client(module, "route53") if params["change_id"] else None
    result = route53.wait_insync(module, conn, params["change_id"], params["submitted_at"], params["wait_timeout"])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
