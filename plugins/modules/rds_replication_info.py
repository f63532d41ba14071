#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_replication_info
version_added: 1.0.0
short_description: Describe the replication state of an RDS instance
description:
  - Reads one RDS instance (status, engine, endpoint, backups, Multi-AZ), decides its replication role
    (V(primary), V(replica) or V(standalone)) and, for a replica, reads the latest C(ReplicaLag) datapoint
    from CloudWatch and compares it with an RPO budget.
  - The role comes from C(StatusInfos) when RDS reports read replication, else from the replication source
    pointer checked against the source instance (a replica whose source is gone or no longer lists it is
    V(standalone)), else from the instance's own replica list. RV(role_evidence) says which.
  - Read-only; runs the same in check mode.
options:
  instance_id:
    description:
      - Identifier of the DB instance.
    type: str
    required: true
    aliases: [db_instance_identifier]
  rpo_budget_seconds:
    description:
      - Replica lag, in seconds, that the recovery point objective allows.
      - When set, RV(lag_verdict) is V(ok), V(over) or V(unknown) (no datapoint in the lookback window).
    type: int
  lag_lookback_seconds:
    description:
      - How far back to look for the latest C(ReplicaLag) datapoint.
    type: int
    default: 600
  fail_when_missing:
    description:
      - Fail when the instance does not exist. With V(false) the module returns RV(exists=false) instead.
    type: bool
    default: true
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
- name: Read the DR replica and judge its lag against a 60 s RPO
  cloudops.runbooks.rds_replication_info:
    instance_id: shop-db-dr
    region: us-west-2
    rpo_budget_seconds: 60
  register: replica

- name: Refuse to fail over onto a stale replica
  ansible.builtin.assert:
    that: replica.lag_verdict == 'ok'
    fail_msg: "Replica lag {{ replica.replica_lag_seconds }} s is over the RPO budget"
"""

RETURN = r"""
region:
  description: Region the module read.
  returned: success
  type: str
  sample: us-east-1
exists:
  description: Whether the instance exists.
  returned: always
  type: bool
  sample: true
instance_id:
  description: The instance identifier.
  returned: always
  type: str
  sample: shop-db-dr
arn:
  description: Instance ARN.
  returned: success
  type: str
  sample: arn:aws:rds:us-west-2:123456789012:db:shop-db-dr
status:
  description: C(DBInstanceStatus).
  returned: success
  type: str
  sample: available
engine:
  description: Database engine.
  returned: success
  type: str
  sample: postgres
engine_version:
  description: Engine version.
  returned: success
  type: str
  sample: '15.4'
endpoint:
  description: Connection endpoint; empty while the instance is being created.
  returned: success
  type: dict
  sample:
    address: shop-db-dr.abc.us-west-2.rds.amazonaws.com
    port: 5432
role:
  description: 'Replication role: V(primary), V(replica) or V(standalone).'
  returned: success
  type: str
  sample: replica
role_evidence:
  description: The field that decided RV(role).
  returned: success
  type: str
  sample: ReadReplicaSourceDBInstanceIdentifier=arn:aws:rds:us-east-1:123456789012:db:shop-db
source:
  description: Replication source identifier or ARN; null when none.
  returned: success
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:db:shop-db
replicas:
  description: Identifiers or ARNs of the read replicas of this instance.
  returned: success
  type: list
  elements: str
  sample: []
backup_retention_period:
  description: Days automated backups are kept.
  returned: success
  type: int
  sample: 7
latest_restorable_time:
  description: Latest point-in-time restore target (ISO 8601).
  returned: success
  type: str
  sample: '2026-01-01T12:00:00+00:00'
multi_az:
  description: Whether the instance is Multi-AZ.
  returned: success
  type: bool
  sample: false
replica_lag_seconds:
  description: Latest C(ReplicaLag) datapoint (Maximum over one minute); null when none or not a replica.
  returned: success
  type: float
  sample: 2.0
lag_verdict:
  description: V(ok), V(over) or V(unknown) against O(rpo_budget_seconds); null without a budget or when not a replica.
  returned: success
  type: str
  sample: ok
rpo_budget_seconds:
  description: The budget the verdict used.
  returned: success
  type: int
  sample: 60
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here the replication state (C(replication
      <instance>), a gate with no pass/fail: the lag and its verdict against the RPO budget, for a replica)."
  returned: success
  type: dict
  version_added: 1.0.0
  sample:
    detail: shop-db-dr is replica, lag 2.0 s (within)
    measures: {replica_lag_seconds: 2.0, rpo_budget_seconds: 60}
    gates:
    - name: replication shop-db-dr
      passed: null
      detail: within
      numbers: {role: replica, replica_lag_seconds: 2.0, rpo_budget_seconds: 60, lag_verdict: within}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
            rpo_budget_seconds=dict(type="int"),
            lag_lookback_seconds=dict(type="int", default=600),
            fail_when_missing=dict(type="bool", default=True),
        ),
        supports_check_mode=True,
    )
    params = module.params
    info = rds.replication_info(module, module.region, params["instance_id"], params["rpo_budget_seconds"],
                                params["lag_lookback_seconds"], params["fail_when_missing"])
    module.exit_json(changed=False, step_summary=replication.replication_step_summary(info), **info)


if __name__ == "__main__":
    main()
