#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_read_replica
version_added: 1.0.0
short_description: Have an RDS read replica of a given source (in this or another region), or delete a replica or promoted replica
description:
  - With O(state=present), makes sure O(instance_id) is a read replica of O(source_instance) in the module's region; it
    creates it with C(CreateDBInstanceReadReplica) (cross-region when the source is in another region; botocore signs
    the request in the source's region) and waits until it is C(available) and replicating from that source.
    RV(duration_seconds) is the time from the create call until then. This is how a failback rebuilds the DR replica
    after a drill or a failover promoted it.
  - Idempotent. An instance of that name that already replicates from the source is left as it is (its class, tags and
    other settings are not changed; M(amazon.aws.rds_instance) modifies them); one that is still being created is
    waited for. An instance of that name that is standalone (a promoted replica), a primary or a replica of another
    source holds other data, so the task fails naming what it found; delete it first (O(state=absent)). One that is
    being deleted is waited for until it is gone, then created again, so a re-run after an interruption converges.
  - RDS shows a same-region source by identifier and a cross-region source by ARN; either spelling of O(source_instance)
    matches either.
  - With O(state=absent), deletes O(instance_id), a read replica or a promoted (standalone) one, and waits until it is
    gone. To keep anyone from dropping data by accident, one of O(skip_final_snapshot=true) and O(final_snapshot_id) is
    required (RDS takes no final snapshot of a read replica, so a replica needs O(skip_final_snapshot=true)). An
    instance that has read replicas of its own (a primary) is never deleted.
  - Why not M(amazon.aws.rds_instance) with C(read_replica)? Its waits use botocore waiters with fixed 30-60 s delays
    (added recovery time); it does not check that an existing instance replicates from the requested source; and it
    has no guard against deleting a primary. This module polls adaptively (0.5 s growing to 1.5 s).
  - Check mode predicts the result (the source is read and checked) without changing anything; C(--diff) shows the
    instance's role and source before and after.
options:
  instance_id:
    description:
      - Identifier of the replica, in the module's region.
    type: str
    required: true
    aliases: [db_instance_identifier]
  state:
    description:
      - V(present) creates the replica, V(absent) deletes the instance.
    type: str
    default: present
    choices: [present, absent]
  source_instance:
    description:
      - The instance to replicate from, as an ARN (required by RDS for a cross-region replica; the module looks the ARN
        up when given an identifier) or an identifier. Required with O(state=present).
    type: str
    aliases: [source_db_instance_identifier]
  source_region:
    description:
      - Region of O(source_instance). Default the ARN's region, or the module's region for an identifier.
    type: str
  db_instance_class:
    description:
      - Instance class of the replica; RDS's default is the source's.
    type: str
    aliases: [instance_class]
  db_subnet_group_name:
    description:
      - DB subnet group of the replica, in the module's region (needed for a cross-region replica in a VPC).
    type: str
    aliases: [subnet_group]
  vpc_security_group_ids:
    description:
      - VPC security groups of the replica (of the module's region).
    type: list
    elements: str
  kms_key_id:
    description:
      - KMS key of the replica's storage, in the module's region. RDS requires it for a cross-region replica of an
        encrypted source.
    type: str
  multi_az:
    description:
      - Whether the replica is Multi-AZ; RDS's default when not given.
    type: bool
  tags:
    description:
      - Tags of the replica when it is created (an existing replica's tags are left alone).
    type: dict
    default: {}
  replace:
    description:
      - With O(state=present), an instance of that name that is not a replica of O(source_instance) (a DR replica
        promoted by a failover drill) is deleted - with O(final_snapshot_id) or O(skip_final_snapshot), waited until
        gone - and the replica created, in one task (a drill's failback). An instance with read replicas of its own is
        still refused.
      - V(false) (the default) refuses such an instance and changes nothing.
    type: bool
    default: false
    version_added: 1.0.0
  refusal_hint:
    description:
      - With O(state=present), what to do about an existing instance that is refused, said in the refusal instead of
        the module's own advice (the failover_replica role names the drill record).
    type: str
    version_added: 1.0.0
  skip_final_snapshot:
    description:
      - With O(state=absent) (or O(replace)), V(true) deletes without a final snapshot. No default on purpose; give it
        or O(final_snapshot_id).
    type: bool
  final_snapshot_id:
    description:
      - With O(state=absent) (or O(replace)), the identifier of the final snapshot to take before deleting (not for a
        read replica).
    type: str
    aliases: [final_db_snapshot_identifier]
  delete_automated_backups:
    description:
      - With O(state=absent), delete the instance's automated backups too (RDS's default).
    type: bool
    default: true
  wait:
    description:
      - Wait until the replica is available and replicating (O(state=present)) or gone (O(state=absent)). A replica
        whose creation fails (C(failed), C(incompatible-parameters), ...) or whose read replication reports C(error)
        fails the task at once.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait.
    type: int
    default: 3600
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
- name: Delete the promoted DR instance after the drill
  cloudops.runbooks.rds_read_replica:
    instance_id: shop-db-dr
    region: us-west-2
    state: absent
    skip_final_snapshot: true

- name: Rebuild the DR replica of the primary
  cloudops.runbooks.rds_read_replica:
    instance_id: shop-db-dr
    region: us-west-2
    source_instance: arn:aws:rds:us-east-1:123456789012:db:shop-db
    db_instance_class: db.t3.medium
    db_subnet_group_name: shop-dr-db-subnets
    kms_key_id: alias/aws/rds
    tags:
      Role: replica
  register: replica

- name: Keep a final snapshot of a promoted instance that took writes
  cloudops.runbooks.rds_read_replica:
    instance_id: shop-db-dr
    region: us-west-2
    state: absent
    final_snapshot_id: shop-db-dr-final-20260131
"""

RETURN = r"""
instance:
  description: The replica (in check mode, what would be created); null after O(state=absent).
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
      description: C(DBInstanceStatus), V(available) after a successful wait.
      type: str
      sample: available
    endpoint:
      description: Connection endpoint (null parts while it is being created).
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
    db_name:
      description: The database of the source (C(DBName)).
      type: str
      sample: shop
    multi_az:
      description: Whether the instance is Multi-AZ.
      type: bool
      sample: false
    deletion_protection:
      description: Whether deletion protection is on.
      type: bool
      sample: false
    created:
      description: C(InstanceCreateTime) (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T12:10:00+00:00'
    tags:
      description: Tags of the instance.
      type: dict
      sample: {Role: replica}
    role:
      description: Replication role (V(replica), V(primary) or V(standalone)).
      type: str
      sample: replica
    source:
      description: The replication source as RDS shows it (identifier, or ARN for a cross-region source).
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:db:shop-db
    replication:
      description: The C(StatusInfos) read replication entry (status, normal, message); null when RDS reports none.
      type: dict
      sample: {status: replicating, normal: true, message: null}
    db_subnet_group_name:
      description: The instance's DB subnet group.
      type: str
      sample: shop-dr-db-subnets
source:
  description: The requested source as C(CreateDBInstanceReadReplica) gets it (the ARN for a cross-region source); null with O(state=absent).
  returned: always
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:db:shop-db
created:
  description: Whether this run created the replica (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
deleted:
  description: Whether this run deleted the instance (in check mode, whether it would).
  returned: always
  type: bool
  sample: false
started_at:
  description: UTC time of the create or delete call (ISO 8601); null when nothing was called.
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time the replica was seen replicating, or the instance gone; null without a wait or a call.
  returned: always
  type: str
  sample: '2026-01-31T12:09:30.500000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) from the call to RV(finished_at); null without a wait or a call.
  returned: always
  type: float
  sample: 570.375
found:
  description: The instance of that name before the run - C(exists), C(role), C(source).
  returned: O(state=present)
  type: dict
  version_added: 1.0.0
  sample: {exists: true, role: standalone, source: null}
action:
  description: V(kept) (already a replica of the source), V(created), or V(rebuilt) (deleted, then created; O(replace)).
  returned: O(state=present)
  type: str
  version_added: 1.0.0
  sample: rebuilt
delete_seconds:
  description: With O(replace), seconds the deletion took until the instance was gone; null when nothing was deleted.
  returned: O(state=present)
  type: float
  version_added: 1.0.0
  sample: 240.5
step_summary:
  description: The run as a runbook step - C(detail), C(measures) (C(delete_seconds), C(create_seconds)), C(gates) (none).
  returned: success
  type: dict
  version_added: 1.0.0
  sample: {detail: shop-db-dr rebuilt as a replica of shop-db, measures: {delete_seconds: 240.5, create_seconds: 570.375}, gates: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import replica_rebuild
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def summary(instance):
    """rds_restore's instance summary plus the replication fields."""
    if instance is None:
        return None
    out = backup.instance_summary(instance)
    out.update(role=replication.replication_role(instance)[0], source=instance.get("ReadReplicaSourceDBInstanceIdentifier"),
               replication=replication.replication_status(instance),
               db_subnet_group_name=(instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"))
    return out


def outcome(**values):
    out = dict(instance=None, source=None, created=False, deleted=False, started_at=None, finished_at=None, duration_seconds=None)
    out.update(values)
    return out


def wait_gone(module, conn, instance_id, **context):
    """Poll until the instance no longer exists; fail at the timeout."""
    done = waiting.poll_until(lambda: rds.describe_instance(module, conn, instance_id), lambda found: found is None,
                              module.params["wait_timeout"], delays=waiting.operation_pauses())
    if done["result"] is not None:
        module.fail_json(msg="instance %s is still %s after %s s: raise wait_timeout or run again later (it converges)"
                         % (instance_id, done["result"].get("DBInstanceStatus"), module.params["wait_timeout"]),
                         **outcome(instance=summary(done["result"]), **context))


def wait_replicating(module, conn, instance_id, wanted, **context):
    """Poll until the replica is available and replicating from wanted; fail at once when it cannot get there."""
    done = rds.wait_replicating(module, conn, instance_id, wanted, module.region, module.params["wait_timeout"])
    if done["failure"]:
        module.fail_json(msg=done["failure"].replace("raise the timeout", "raise wait_timeout"),
                         **outcome(instance=summary(done["instance"]), **context))
    return done["instance"]


def refuse_deletion(module, instance, before, **context):
    """Fail when the instance must not be deleted (a primary with replicas, a final snapshot of a replica, deletion
    protection)."""
    params = module.params
    instance_id = params["instance_id"]
    if instance.get("ReadReplicaDBInstanceIdentifiers"):
        module.fail_json(msg="%s has read replicas (%s): it is a primary, and this module never deletes one; delete or promote "
                         "its replicas first" % (instance_id, ", ".join(instance["ReadReplicaDBInstanceIdentifiers"])),
                         **outcome(instance=before, **context))
    if params["final_snapshot_id"] and before["role"] == replication.REPLICA:
        module.fail_json(msg="%s is a read replica: RDS takes no final snapshot of a replica (its data is its source's); set "
                         "skip_final_snapshot: true" % instance_id, **outcome(instance=before, **context))
    if instance.get("DeletionProtection"):
        module.fail_json(msg="%s has deletion protection on: turn it off (amazon.aws.rds_instance deletion_protection: false) "
                         "before deleting it" % instance_id, **outcome(instance=before, **context))


def delete(module, conn, wait, **context):
    """Delete the instance (final snapshot as asked) and, with wait, wait until it is gone. Returns the timings."""
    params = module.params
    watch = timing.Stopwatch()
    rds_snapshots.delete_instance(module, conn, params["instance_id"], not params["final_snapshot_id"], params["final_snapshot_id"],
                                  params["delete_automated_backups"])
    times = {"started_at": watch.started_at, "finished_at": None, "duration_seconds": None}
    if wait:
        wait_gone(module, conn, params["instance_id"], deleted=True, started_at=watch.started_at, **context)
        times = watch.stop()
    return times


def absent(module, conn):
    params = module.params
    instance_id = params["instance_id"]
    found = rds.describe_instance(module, conn, instance_id)
    if found is None:
        module.exit_json(changed=False, msg="%s does not exist in %s" % (instance_id, module.region), **outcome())
    before = summary(found)
    if found.get("DBInstanceStatus") == "deleting":
        if params["wait"] and not module.check_mode:
            wait_gone(module, conn, instance_id)
        module.exit_json(changed=False, msg="%s was already being deleted" % instance_id, **outcome())
    refuse_deletion(module, found, before)
    result = outcome(deleted=True)
    if module._diff:
        result["diff"] = {"before": {"instance_id": before["id"], "status": before["status"], "role": before["role"],
                                     "source": before["source"]}, "after": {}}
    if module.check_mode:
        module.exit_json(changed=True, **result)
    times = delete(module, conn, params["wait"])
    result.update(times)
    module.exit_json(changed=True, **result)


def source_location(module):
    """(source_region, instance_key of the source), or the task fails when the ARN and source_region disagree."""
    params = module.params
    arn_region = rds.region_of_arn(params["source_instance"])
    if arn_region and params["source_region"] and arn_region != params["source_region"]:
        module.fail_json(msg="source_instance is an ARN of %s but source_region is %s: drop source_region (the ARN's region is "
                         "used) or fix it" % (arn_region, params["source_region"]))
    region = arn_region or params["source_region"] or module.region
    return region, replication.instance_key(params["source_instance"], region)


def create_params(params, source_id):
    call = {
        "DBInstanceIdentifier": params["instance_id"],
        "SourceDBInstanceIdentifier": source_id,
        "DBInstanceClass": params["db_instance_class"],
        "DBSubnetGroupName": params["db_subnet_group_name"],
        "VpcSecurityGroupIds": params["vpc_security_group_ids"],
        "KmsKeyId": params["kms_key_id"],
        "MultiAZ": params["multi_az"],
        "Tags": backup.dict_to_tags(params["tags"]) if params["tags"] else None,
    }
    return dict((key, value) for key, value in call.items() if value is not None)


def present(module, conn, source_region, wanted):
    params = module.params
    instance_id = params["instance_id"]
    existing = rds.describe_instance(module, conn, instance_id)
    plan = replication.replica_plan(existing, wanted, module.region)
    done = replica_rebuild.action(plan["action"])
    seen = dict(found=replica_rebuild.found_view(existing), action=done, delete_seconds=None)
    if plan["action"] == replication.REFUSE:
        if not params["replace"]:
            refused = outcome(instance=summary(existing), **seen)
            refused["action"] = replica_rebuild.REFUSED
            module.fail_json(msg=replica_rebuild.refusal(instance_id, plan["reason"], params["refusal_hint"]), **refused)
        refuse_deletion(module, existing, summary(existing), **seen)
    if plan["action"] == replication.KEEP:
        if params["wait"] and not module.check_mode and not replication.replicating(existing, wanted, module.region):
            existing = wait_replicating(module, conn, instance_id, wanted, **seen)
        source = existing.get("ReadReplicaSourceDBInstanceIdentifier")
        kept = outcome(instance=summary(existing), source=source, **seen)
        module.exit_json(changed=False, msg=plan["reason"], step_summary=replica_rebuild.step_summary(instance_id, source, done), **kept)

    cross_region = source_region != module.region
    source_conn = client(module, "rds", region=source_region) if cross_region else conn
    source = rds.describe_instance(module, source_conn, params["source_instance"])
    if source is None:
        module.fail_json(msg="source instance %s not found in %s: check source_instance and source_region"
                         % (params["source_instance"], source_region), **outcome())
    if not source.get("BackupRetentionPeriod"):
        module.fail_json(msg="source instance %s keeps no automated backups (BackupRetentionPeriod 0): RDS makes read replicas "
                         "only of an instance with automated backups; enable them first" % source["DBInstanceIdentifier"],
                         **outcome())
    source_id = source["DBInstanceArn"] if cross_region else source["DBInstanceIdentifier"]
    call = create_params(params, source_id)
    predicted = {"id": instance_id.lower(), "arn": None, "status": None, "endpoint": {"address": None, "port": None},
                 "engine": source.get("Engine"), "engine_version": source.get("EngineVersion"),
                 "instance_class": params["db_instance_class"] or source.get("DBInstanceClass"), "db_name": source.get("DBName"),
                 "multi_az": params["multi_az"], "deletion_protection": False, "created": None,
                 "tags": backup.normalise_tags(params["tags"]), "role": replication.REPLICA, "source": source_id,
                 "replication": None, "db_subnet_group_name": params["db_subnet_group_name"]}
    result = outcome(instance=predicted, source=source_id, created=True, deleted=done == replica_rebuild.REBUILT, **seen)
    if module._diff:
        result["diff"] = {"before": {"instance_id": existing["DBInstanceIdentifier"], "status": existing.get("DBInstanceStatus")}
                          if existing else {},
                          "after": {"instance_id": predicted["id"], "role": replication.REPLICA, "source": source_id,
                                    "instance_class": predicted["instance_class"],
                                    "db_subnet_group_name": params["db_subnet_group_name"], "tags": predicted["tags"]}}
    if module.check_mode:
        module.exit_json(changed=True, step_summary=replica_rebuild.step_summary(instance_id, source_id, done, check_mode=True), **result)
    if done == replica_rebuild.REBUILT:
        # Always waited for: the replica is created under the same name.
        seen["delete_seconds"] = result["delete_seconds"] = delete(module, conn, True, **seen)["duration_seconds"]
    if plan["action"] == replication.WAIT_DELETED:
        if not params["wait"]:
            module.fail_json(msg="%s is being deleted: run with wait: true (it is waited for, then created again), or later"
                             % instance_id, **outcome(instance=summary(existing)))
        wait_gone(module, conn, instance_id)

    watch = timing.Stopwatch()
    created = rds_failover.create_read_replica(module, conn, call, source_region if cross_region else None,
                                               **outcome(source=source_id, deleted=result["deleted"], **seen))
    result.update(instance=summary(created), started_at=watch.started_at)
    if params["wait"]:
        replica = wait_replicating(module, conn, instance_id, wanted, source=source_id, created=True, started_at=watch.started_at,
                                   deleted=result["deleted"], **seen)
        times = watch.stop()
        result.update(instance=summary(replica), finished_at=times["finished_at"], duration_seconds=times["duration_seconds"])
    result["step_summary"] = replica_rebuild.step_summary(instance_id, source_id, done, result["delete_seconds"], result["duration_seconds"])
    module.exit_json(changed=True, **result)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            source_instance=dict(type="str", aliases=["source_db_instance_identifier"]),
            source_region=dict(type="str"),
            db_instance_class=dict(type="str", aliases=["instance_class"]),
            db_subnet_group_name=dict(type="str", aliases=["subnet_group"]),
            vpc_security_group_ids=dict(type="list", elements="str"),
            kms_key_id=dict(type="str"),
            multi_az=dict(type="bool"),
            tags=dict(type="dict", default={}),
            replace=dict(type="bool", default=False),
            refusal_hint=dict(type="str"),
            skip_final_snapshot=dict(type="bool"),
            final_snapshot_id=dict(type="str", aliases=["final_db_snapshot_identifier"]),
            delete_automated_backups=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
        ),
        required_if=[["state", "present", ["source_instance"]],
                     ["state", "absent", ["skip_final_snapshot", "final_snapshot_id"], True]],
        supports_check_mode=True,
    )
    params = module.params
    if params["wait_timeout"] < 0:
        module.fail_json(msg="wait_timeout must be 0 or more seconds")
    if params["state"] == "absent" or params["replace"]:
        if params["skip_final_snapshot"] and params["final_snapshot_id"]:
            module.fail_json(msg="give either skip_final_snapshot: true or final_snapshot_id, not both")
        if params["skip_final_snapshot"] is False and not params["final_snapshot_id"]:
            module.fail_json(msg="skip_final_snapshot is false: give final_snapshot_id for the final snapshot")
        if params["replace"] and params["skip_final_snapshot"] is None and not params["final_snapshot_id"]:
            module.fail_json(msg="replace: true may delete the instance: give skip_final_snapshot: true or final_snapshot_id")
    if params["state"] == "absent":
        absent(module, client(module, "rds"))
    source_region, wanted = source_location(module)
    present(module, client(module, "rds"), source_region, wanted)


if __name__ == "__main__":
    main()
