#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_promote
version_added: 1.0.0
short_description: Promote an RDS read replica to a standalone writable instance, gated on its lag against the RPO budget
description:
  - Reads the replica (its replication role, as M(cloudops.runbooks.rds_replication_info) decides it, and the
    C(StatusInfos) read replication state) and its latest C(ReplicaLag) datapoint from CloudWatch, and refuses to
    promote, before any change, when the lag is over O(rpo_budget_seconds), when there is no datapoint in
    O(lag_lookback_seconds) (the data loss would be unknown) or when RDS reports read replication in C(error) or
    C(stopped), unless O(max_lag_override=true) says the loss is accepted.
  - Then calls C(PromoteReadReplica) and waits until the instance is C(available) and detached (no
    C(ReadReplicaSourceDBInstanceIdentifier), no C(StatusInfos) read replication), which is when RDS accepts writes
    on it. RV(duration_seconds) is the time from the promote call until then, the database part of an RTO.
  - The source instance is looked up only to decide the role, and a failure to read it (its region is down, the
    reason for the failover) is tolerated; the replica's own fields then decide.
  - Idempotent. An instance that is not a read replica (already promoted, or standalone) is left alone
    (RV(promoted=false), C(changed=false)); a replica that is still being modified (an earlier promotion was
    interrupted) is waited for first and then decided again, so a re-run converges.
  - Check mode reads everything and applies the gate (a refusal is reported in check mode too), then predicts the
    promotion; C(--diff) shows the role and source before and after.
  - This checks the RDS API's view. To prove that the database itself takes writes, read it with
    M(cloudops.runbooks.rds_data_info) (RV(cloudops.runbooks.rds_data_info#module:in_recovery) is V(false) on a promoted
    instance) or write to it in the smoke test.
options:
  instance_id:
    description:
      - Identifier of the read replica to promote, in the module's region.
    type: str
    required: true
    aliases: [db_instance_identifier]
  rpo_budget_seconds:
    description:
      - Replica lag, in seconds, the recovery point objective allows. A larger (or unknown) lag refuses the promotion.
    type: int
    required: true
  max_lag_override:
    description:
      - Promote even when the lag is over the budget, unknown, or read replication is broken. The loss is accepted;
        RV(lag_gate.overridden) records that it was.
      - Use it when the primary region is gone and no better copy of the data exists.
    type: bool
    default: false
  lag_lookback_seconds:
    description:
      - How far back to look for the latest C(ReplicaLag) datapoint (CloudWatch publishes one per minute).
    type: int
    default: 300
  backup_retention_period:
    description:
      - Days of automated backups the promoted instance keeps (C(PromoteReadReplica) C(BackupRetentionPeriod)).
        Default RDS's (the replica's setting).
      - Keep it above 0 so the new primary can be restored to a point in time and get read replicas.
    type: int
  wait:
    description:
      - Wait until the promoted instance is available and detached.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait (for an instance that is not available before the promotion, and then for the promotion).
    type: int
    default: 1800
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
"""

EXAMPLES = r"""
- name: Promote the DR replica if it is at most 60 s behind
  cloudops.runbooks.rds_promote:
    instance_id: shop-db-dr
    region: us-west-2
    rpo_budget_seconds: 60
    backup_retention_period: 7
  register: promoted

- name: The primary region is gone; promote whatever the replica has
  cloudops.runbooks.rds_promote:
    instance_id: shop-db-dr
    region: us-west-2
    rpo_budget_seconds: 60
    max_lag_override: true

- name: Show the lag at promotion and how long it took
  ansible.builtin.debug:
    msg: "lag {{ promoted.lag_at_promotion_seconds }} s ({{ promoted.lag_verdict }}), promoted in {{ promoted.duration_seconds }} s"
"""

RETURN = r"""
promoted:
  description: Whether this run promoted the instance (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
instance:
  description: The instance after the promotion (before it, in check mode or when nothing was done).
  returned: always
  type: dict
  contains:
    id:
      description: Instance identifier.
      type: str
      sample: shop-db-dr
    arn:
      description: Instance ARN.
      type: str
      sample: arn:aws:rds:us-west-2:123456789012:db:shop-db-dr
    status:
      description: C(DBInstanceStatus).
      type: str
      sample: available
    endpoint:
      description: Connection endpoint.
      type: dict
      sample: {address: shop-db-dr.abc.us-west-2.rds.amazonaws.com, port: 5432}
    engine:
      description: Database engine.
      type: str
      sample: postgres
    engine_version:
      description: Engine version.
      type: str
      sample: '15.4'
    instance_class:
      description: Instance class.
      type: str
      sample: db.t3.medium
    backup_retention_period:
      description: Days automated backups are kept.
      type: int
      sample: 7
    multi_az:
      description: Whether the instance is Multi-AZ.
      type: bool
      sample: true
    role:
      description: Replication role (V(replica), V(primary) or V(standalone)).
      type: str
      sample: standalone
    source:
      description: Replication source (identifier or ARN); null once detached.
      type: str
      sample: null
role_before:
  description: Replication role before the run, with the field that decided it in RV(role_evidence).
  returned: always
  type: str
  sample: replica
role_evidence:
  description: The field that decided RV(role_before).
  returned: always
  type: str
  sample: ReadReplicaSourceDBInstanceIdentifier=arn:aws:rds:us-east-1:123456789012:db:shop-db
source:
  description: The replication source before the promotion (what a failback replicates from again); null when none.
  returned: always
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:db:shop-db
lag_at_promotion_seconds:
  description: The latest C(ReplicaLag) datapoint read just before the promotion; null when none or not a replica.
  returned: always
  type: float
  sample: 2.0
lag_verdict:
  description: V(ok), V(over) or V(unknown) against O(rpo_budget_seconds); null when the instance was not a replica.
  returned: always
  type: str
  sample: ok
lag_gate:
  description: The gate's decision; null when the instance was not a replica.
  returned: always
  type: dict
  contains:
    allowed:
      description: Whether the promotion was allowed.
      type: bool
      sample: true
    overridden:
      description: Whether it was allowed only because of O(max_lag_override).
      type: bool
      sample: false
    reason:
      description: The decision with its numbers.
      type: str
      sample: replica lag 2 s is within the RPO budget of 60 s
    replication:
      description: The C(StatusInfos) read replication entry (status, normal, message); null when RDS reports none.
      type: dict
      sample: null
rpo_budget_seconds:
  description: The budget the gate used.
  returned: always
  type: int
  sample: 60
started_at:
  description: UTC time of the promote call (ISO 8601); null when nothing was promoted.
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
available_at:
  description: UTC time the promoted instance was seen available and detached; null without a wait or a promotion.
  returned: always
  type: str
  sample: '2026-01-31T12:04:10.500000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) from the promote call to RV(available_at); null without a wait or a promotion.
  returned: always
  type: float
  sample: 250.375
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here the lag gate (C(lag at promotion):
      allowed or not, with the lag, the budget, whether it was overridden)."
  returned: when the lag gate was applied (not when there was nothing to promote)
  type: dict
  version_added: 1.0.0
  sample:
    detail: 'promoted: lag 2.0 s within the RPO budget 60 s'
    measures: {lag_at_promotion_seconds: 2.0, rpo_budget_seconds: 60}
    gates:
    - name: lag at promotion
      passed: true
      detail: lag 2.0 s within the RPO budget 60 s
      numbers: {lag_at_promotion_seconds: 2.0, rpo_budget_seconds: 60, lag_verdict: within, promoted: true,
        overridden: false}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def summary(instance, role):
    out = backup.instance_summary(instance)
    return {
        "id": out["id"], "arn": out["arn"], "status": out["status"], "endpoint": out["endpoint"], "engine": out["engine"],
        "engine_version": out["engine_version"], "instance_class": out["instance_class"],
        "backup_retention_period": instance.get("BackupRetentionPeriod"), "multi_az": out["multi_az"], "role": role,
        "source": instance.get("ReadReplicaSourceDBInstanceIdentifier"),
    }


def wait_for(module, conn, instance_id, done, what, seen=None, **context):
    """Poll the instance until done(instance); fail on a status waiting cannot fix, or at the timeout. seen: the
    instance as the call that started the operation answered (AWS answers a promotion `modifying`, still attached):
    it stands for the first probe."""
    outcome = waiting.poll_until(
        lambda: rds.describe_instance(module, conn, instance_id),
        lambda found: found is None or found.get("DBInstanceStatus") in backup.INSTANCE_FAILED or done(found),
        module.params["wait_timeout"], delays=waiting.operation_pauses(), **({"seen": seen} if seen else {})
    )
    found = outcome["result"]
    if found is None:
        module.fail_json(msg="instance %s disappeared while waiting for it to be %s" % (instance_id, what), **context)
    status = found.get("DBInstanceStatus")
    if not outcome["done"] or status in backup.INSTANCE_FAILED:
        role = replication.replication_role(found)[0]
        module.fail_json(msg="instance %s is %s (%s) after %s s, not %s: %s" % (
            instance_id, status, role, outcome["elapsed"], what,
            "see its RDS events" if status in backup.INSTANCE_FAILED else "raise wait_timeout, or run again later (it converges)"),
            instance=summary(found, role), **context)
    return found


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
            rpo_budget_seconds=dict(type="int", required=True),
            max_lag_override=dict(type="bool", default=False),
            lag_lookback_seconds=dict(type="int", default=300),
            backup_retention_period=dict(type="int"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        supports_check_mode=True,
    )
    params = module.params
    instance_id = params["instance_id"]
    if params["rpo_budget_seconds"] < 0:
        module.fail_json(msg="rpo_budget_seconds must be 0 or more")
    if params["backup_retention_period"] is not None and not 0 <= params["backup_retention_period"] <= 35:
        module.fail_json(msg="backup_retention_period must be from 0 to 35 days")
    conn = client(module, "rds")
    nothing = dict(promoted=False, lag_at_promotion_seconds=None, lag_verdict=None, lag_gate=None,
                   rpo_budget_seconds=params["rpo_budget_seconds"], started_at=None, available_at=None, duration_seconds=None)

    instance = rds.describe_instance(module, conn, instance_id)
    if instance is None:
        module.fail_json(msg="RDS instance %s not found in %s: check instance_id and region (the replica's region)"
                         % (instance_id, module.region), changed=False)
    if (instance.get("DBInstanceStatus") != backup.AVAILABLE and params["wait"] and not module.check_mode
            and replication.replication_role(instance)[0] == replication.REPLICA):
        # An earlier promotion may be under way (RDS shows "modifying"): let it finish, then decide again.
        instance = wait_for(module, conn, instance_id, lambda found: found.get("DBInstanceStatus") == backup.AVAILABLE,
                            "available", changed=False)
    role, evidence = replication.replication_role(instance, rds_failover.source_instance(module, conn, instance))
    source = instance.get("ReadReplicaSourceDBInstanceIdentifier")

    if role != replication.REPLICA:
        if params["wait"] and not module.check_mode and instance.get("DBInstanceStatus") != backup.AVAILABLE:
            instance = wait_for(module, conn, instance_id, lambda found: found.get("DBInstanceStatus") == backup.AVAILABLE,
                                "available", changed=False)
        module.exit_json(changed=False, instance=summary(instance, role), role_before=role, role_evidence=evidence,
                         source=source, msg="%s is %s (%s): nothing to promote" % (instance_id, role, evidence),
                         step_summary=steps.summary("already promoted (%s)" % role), **nothing)

    if instance.get("DBInstanceStatus") != backup.AVAILABLE and module.check_mode:
        predicted = dict(nothing)
        predicted["promoted"] = True
        module.exit_json(changed=True, instance=summary(instance, role), role_before=role, role_evidence=evidence, source=source,
                         msg="replica %s is %s: a real run waits until it is available, then applies the lag gate"
                         % (instance_id, instance.get("DBInstanceStatus")), **predicted)
    if instance.get("DBInstanceStatus") != backup.AVAILABLE:
        module.fail_json(msg="replica %s is %s: RDS promotes only an available instance; run with wait: true to wait for it"
                         % (instance_id, instance.get("DBInstanceStatus")), changed=False, instance=summary(instance, role))

    points = cloudwatch.metric_datapoints(module, client(module, "cloudwatch"), "AWS/RDS", "ReplicaLag",
                                          {"DBInstanceIdentifier": instance["DBInstanceIdentifier"]}, params["lag_lookback_seconds"])
    lag = replication.latest_datapoint(points)
    state = replication.replication_status(instance)
    gate = replication.promotion_gate(lag, params["rpo_budget_seconds"], params["max_lag_override"], state,
                                      params["lag_lookback_seconds"])
    result = dict(nothing, role_before=role, role_evidence=evidence, source=source)
    result.update(lag_at_promotion_seconds=lag, lag_verdict=gate["verdict"],
                  lag_gate={"allowed": gate["allowed"], "overridden": gate["overridden"], "reason": gate["reason"], "replication": state})
    result["step_summary"] = replication.promotion_step_summary(result)
    if not gate["allowed"]:
        module.fail_json(msg="Refusing to promote %s, nothing was changed: %s" % (instance_id, gate["reason"]), changed=False,
                         instance=summary(instance, role), **result)

    retention = params["backup_retention_period"]
    after_retention = retention if retention is not None else instance.get("BackupRetentionPeriod")
    if module._diff:
        result["diff"] = {"before": {"instance_id": instance["DBInstanceIdentifier"], "role": role, "source": source,
                                     "backup_retention_period": instance.get("BackupRetentionPeriod")},
                          "after": {"instance_id": instance["DBInstanceIdentifier"], "role": replication.STANDALONE, "source": None,
                                    "backup_retention_period": after_retention}}
    result["promoted"] = True
    result["step_summary"] = replication.promotion_step_summary(result)
    if module.check_mode:
        module.exit_json(changed=True, instance=summary(instance, role), **result)

    watch = timing.Stopwatch()
    promoted = rds_failover.promote_read_replica(module, conn, instance_id, retention, changed=False, role_before=role, source=source)
    result["started_at"] = watch.started_at
    if not params["wait"]:
        module.exit_json(changed=True, instance=summary(promoted, replication.replication_role(promoted)[0]), **result)
    found = wait_for(module, conn, instance_id,
                     lambda item: item.get("DBInstanceStatus") == backup.AVAILABLE and replication.detached(item),
                     "available and detached", seen=promoted, changed=True, role_before=role, source=source)
    times = watch.stop()
    result.update(available_at=times["finished_at"], duration_seconds=times["duration_seconds"])
    result["step_summary"] = replication.promotion_step_summary(result)
    module.exit_json(changed=True, instance=summary(found, replication.replication_role(found)[0]), **result)


if __name__ == "__main__":
    main()
