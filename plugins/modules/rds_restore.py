#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_restore
version_added: 1.0.0
short_description: Restore an RDS instance or Aurora cluster from a snapshot or to a point in time, or delete it
description:
  - With O(state=present), restores a new DB instance O(instance_id) from a snapshot (O(snapshot_id)) or to a point
    in time of another instance (O(source_instance_id) with O(restore_time) or O(use_latest_restorable_time)), with
    the instance class, subnet group, security groups and parameter group the inventory gives, and waits until it is
    C(available). RV(duration_seconds) is the time from the restore call until then, the restore part of an RTO.
  - A O(restore_time) is checked against the source's restorable window (as M(cloudops.runbooks.rds_restore_point)
    does) before the restore call; a time outside it fails with both bounds and creates nothing.
  - The restored instance is tagged C(cloudops:restored-from) with the snapshot id, or C(<source>@<UTC time>) /
    C(<source>@latest). It makes the module idempotent; when O(instance_id) exists with the same tag, nothing is restored again (the
    module only waits for it); an instance of that name restored from something else, or not by this module, fails
    the task.
  - Restore-based DR. O(source_automated_backups_arn) restores to a point in time from automated backups replicated
    to the module's region (C(StartDBInstanceAutomatedBackupsReplication)); its window is theirs (C(RestoreWindow)).
    O(dr_restore_point) instead chooses, in the module's region, the newest restorable point of a source instance of
    another region (a cross-region snapshot copy or its replicated automated backups, as
    M(cloudops.runbooks.dr_readiness_info) reports it), refuses before any change when there is none or it is older
    than O(dr_restore_point.rpo_budget_seconds) without O(dr_restore_point.max_age_override), and restores from it
    (replicated backups at their latest restorable time). RV(restore_point) says what it chose and how old it was.
  - With O(state=absent), deletes the restored instance (by default without a final snapshot and with its automated
    backups, so a restore test leaves nothing behind) and waits until it is gone. By default only an instance that
    carries the C(cloudops:restored-from) tag is deleted (O(only_if_restored)), so a typo cannot delete a primary.
  - With O(cluster_id), the same for an Aurora DB cluster - restored from a cluster snapshot (O(snapshot_id)) or to a
    point in time of another cluster (O(source_cluster_id)), tagged and checked the same way - plus one DB instance
    O(instance_id) in it (an Aurora cluster without an instance serves nothing); RV(instance) is that instance (its
    endpoint answers for the cluster), RV(cluster) the cluster. O(state=absent) deletes the cluster's instances, then
    the cluster, without a final snapshot.
  - Why not M(amazon.aws.rds_instance)? Its waits use botocore waiters with fixed 30-60 s delays, which issue 8
    measured as added recovery time; this module polls adaptively (0.5 s growing to 1.5 s) and validates the restore
    time before calling.
  - Check mode predicts the result (including the window check) without changing anything; C(--diff) shows the
    instance before and after.
options:
  instance_id:
    description:
      - Identifier of the instance to restore into (or to delete with O(state=absent)).
      - With O(cluster_id), the DB instance created in the restored cluster (not needed with O(state=absent)).
      - Required unless O(cluster_id) is given.
    type: str
    aliases: [db_instance_identifier, target_db_instance_identifier]
  cluster_id:
    version_added: 1.1.0
    description:
      - Identifier of the Aurora DB cluster to restore into (or to delete, with its instances, with O(state=absent)).
    type: str
    aliases: [db_cluster_identifier]
  source_cluster_id:
    version_added: 1.1.0
    description:
      - With O(cluster_id), the Aurora cluster whose data to restore to a point in time (same region). Needs
        O(restore_time) or O(use_latest_restorable_time).
    type: str
    aliases: [source_db_cluster_identifier]
  state:
    description:
      - V(present) restores, V(absent) deletes.
    type: str
    default: present
    choices: [present, absent]
  snapshot_id:
    description:
      - Snapshot (id or ARN, in the module's region) to restore from. Mutually exclusive with O(source_instance_id).
    type: str
    aliases: [db_snapshot_identifier]
  source_instance_id:
    description:
      - Instance whose data to restore to a point in time (same region). Needs O(restore_time) or
        O(use_latest_restorable_time).
    type: str
    aliases: [source_db_instance_identifier]
  source_automated_backups_arn:
    version_added: 1.1.0
    description:
      - ARN of automated backups replicated to the module's region (C(DBInstanceAutomatedBackupsArn)) to restore from,
        to a point in time. Needs O(restore_time) or O(use_latest_restorable_time).
    type: str
    aliases: [source_db_instance_automated_backups_arn]
  dr_restore_point:
    version_added: 1.1.0
    description:
      - Restore from the newest restorable point in the module's region of O(dr_restore_point.source_instance_id)
        (restore-based DR). Exclusive with O(snapshot_id), O(source_instance_id), O(source_automated_backups_arn),
        O(restore_time) and O(use_latest_restorable_time).
      - An instance O(instance_id) restored already from a point of that source (a resumed run) is kept (waited for).
    type: dict
    suboptions:
      source_instance_id:
        description: The primary instance (in another region) whose data is restored.
        type: str
        required: true
      source:
        description: Which points count - V(newest) of both, V(snapshot_copy) only, V(automated_backups) only.
        type: str
        default: newest
        choices: [newest, snapshot_copy, automated_backups]
      rpo_budget_seconds:
        description: The restore point's age allowed (the RPO budget); none checks nothing.
        type: int
      max_age_override:
        description: Restore from a point older than O(dr_restore_point.rpo_budget_seconds) (the loss accepted).
        type: bool
        default: false
  restore_time:
    description:
      - Point in time to restore to, ISO 8601 (V(2026-01-31T12:00:00Z); without an offset it is UTC). It must lie in
        the source's restorable window.
    type: str
  use_latest_restorable_time:
    description:
      - Restore to the source's latest restorable time.
    type: bool
    default: false
  db_instance_class:
    description:
      - Instance class of the restored instance; defaults to the snapshot's or source's.
    type: str
    aliases: [instance_class]
  db_subnet_group_name:
    description:
      - DB subnet group of the restored instance.
    type: str
    aliases: [subnet_group]
  vpc_security_group_ids:
    description:
      - VPC security groups of the restored instance.
    type: list
    elements: str
  db_parameter_group_name:
    description:
      - DB parameter group of the restored instance.
    type: str
  multi_az:
    description:
      - Whether the restored instance is Multi-AZ; RDS's default when not given.
    type: bool
  publicly_accessible:
    description:
      - Whether the restored instance has a public address.
    type: bool
    default: false
  deletion_protection:
    description:
      - Deletion protection of the restored instance. Keep V(false) for a restore test that deletes it afterwards.
    type: bool
    default: false
  tags:
    description:
      - Tags of the restored instance. The module adds C(cloudops:restored-from), which may not be given here.
    type: dict
    default: {}
  skip_final_snapshot:
    description:
      - With O(state=absent), delete without a final snapshot.
    type: bool
    default: true
  final_snapshot_id:
    description:
      - With O(state=absent) and O(skip_final_snapshot=false), the final snapshot's identifier.
    type: str
    aliases: [final_db_snapshot_identifier]
  delete_automated_backups:
    description:
      - With O(state=absent), delete the instance's automated backups too.
    type: bool
    default: true
  only_if_restored:
    description:
      - With O(state=absent), refuse to delete an instance without the C(cloudops:restored-from) tag.
    type: bool
    default: true
  wait:
    description:
      - Wait until the restored instance is C(available) (O(state=present)) or gone (O(state=absent)). A restore that
        ends in a failed state (C(incompatible-restore), C(failed), ...) fails the task at once.
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
- name: Restore the newest snapshot into a throw-away instance in the primary's network
  cloudops.runbooks.rds_restore:
    instance_id: shop-db-restore-test
    snapshot_id: "{{ point.restore_point.snapshot_id }}"
    db_instance_class: db.t3.medium
    db_subnet_group_name: shop-primary-db-subnets
    vpc_security_group_ids: [sg-0123456789abcdef0]
    db_parameter_group_name: shop-postgres15
    tags:
      purpose: restore-test
  register: restored

- name: Restore the data as of 11:58 UTC
  cloudops.runbooks.rds_restore:
    instance_id: shop-db-before-migration
    source_instance_id: shop-db
    restore_time: "2026-01-31T11:58:00Z"
    db_subnet_group_name: shop-primary-db-subnets

- name: Restore-based DR - the newest restorable point of shop-db in us-west-2 (refused past the RPO budget)
  cloudops.runbooks.rds_restore:
    instance_id: shop-db-dr
    region: us-west-2
    dr_restore_point:
      source_instance_id: shop-db
      rpo_budget_seconds: 300
    db_subnet_group_name: shop-dr-db-subnets

- name: Delete the restore test instance and its automated backups
  cloudops.runbooks.rds_restore:
    instance_id: shop-db-restore-test
    state: absent

- name: Restore an Aurora cluster snapshot into a new cluster with one instance
  cloudops.runbooks.rds_restore:
    cluster_id: shop-aurora-restore-test
    instance_id: shop-aurora-restore-test-1
    snapshot_id: shop-aurora-20260131-120000
    db_instance_class: db.r6g.large
    db_subnet_group_name: shop-primary-db-subnets

- name: Delete the restored Aurora cluster and its instances
  cloudops.runbooks.rds_restore:
    cluster_id: shop-aurora-restore-test
    state: absent
"""

RETURN = r"""
cluster:
  description: With O(cluster_id), the restored Aurora cluster (null after O(state=absent) and in check mode).
  returned: when O(cluster_id) is given
  type: dict
  sample: {id: shop-aurora-restore-20260131-120000, status: available, members: [shop-aurora-restore-20260131-120000-1],
           endpoint: {address: shop-aurora-restore-20260131-120000.cluster-abc.us-east-1.rds.amazonaws.com, port: 5432}}
instance:
  description: The restored instance (in check mode, what would be created); null after O(state=absent).
  returned: always
  type: dict
  contains:
    id:
      description: Instance identifier.
      type: str
      sample: shop-db-restore-test
    arn:
      description: Instance ARN.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:db:shop-db-restore-test
    status:
      description: C(DBInstanceStatus), V(available) after a successful wait.
      type: str
      sample: available
    endpoint:
      description: Connection endpoint (null parts while it is being created).
      type: dict
      sample: {address: shop-db-restore-test.abc.us-east-1.rds.amazonaws.com, port: 5432}
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
      description: The database created with the instance (C(DBName)).
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
      sample: {'cloudops:restored-from': shop-db-20260131-120000, purpose: restore-test}
restored_from:
  description: The C(cloudops:restored-from) value (snapshot id, C(<source>@<UTC time>) or C(<source>@latest)).
  returned: always
  type: str
  sample: shop-db@2026-01-31T11:58:00Z
duration_seconds:
  description: >-
    Seconds from the restore call until the instance was available (O(state=present)), or from the delete call until
    it was gone (O(state=absent)); null when nothing was done or O(wait=false).
  returned: always
  type: float
  sample: 512.3
created:
  description: >-
    Whether this call sent the restore request (O(state=present)): then the instance is the caller's to delete, also
    when the task failed afterwards (a failed or timed-out wait). False when the instance existed already (the module
    only waited for it), in check mode, and when the task failed before the request.
  returned: with O(state=present), also when the task failed after the restore request
  type: bool
  sample: true
  version_added: 1.0.0
restore_point:
  description:
    - With O(dr_restore_point), the point chosen - C(kind) (V(snapshot_copy) or V(automated_backups)), C(time) (its
      data's, ISO 8601), C(age_seconds) at the choice, C(snapshot_id) or C(backups_arn), C(candidates) (how many of
      each kind) and C(verdict) (the gate - C(allowed), C(verdict), C(overridden), C(reason)). For an instance found
      restored already (a resumed run) only C(time) is known, from its tag.
  returned: with O(dr_restore_point)
  type: dict
  sample: {kind: automated_backups, time: '2026-01-31T11:59:10+00:00', age_seconds: 50.2, snapshot_id: null,
           backups_arn: 'arn:aws:rds:us-west-2:123456789012:auto-backup:ab-1', candidates: {snapshot_copy: 1, automated_backups: 1}}
step_summary:
  description: With O(dr_restore_point), the restore as a runbook step (C(detail), C(measures), C(gates) - the restore point gate).
  returned: with O(dr_restore_point)
  type: dict
window:
  description: The source's restorable window the O(restore_time) was checked against (point-in-time restores only).
  returned: when a point-in-time restore was requested
  type: dict
  sample: {earliest: '2026-01-24T12:00:00+00:00', latest: '2026-01-31T12:10:00+00:00', source: instance}
"""

import datetime
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_cluster_restore
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def wait_available(module, conn, instance_id, started):
    """Poll until the instance is available; fail with what to do when it fails or the wait times out."""
    outcome = waiting.poll_until(
        lambda: rds.describe_instance(module, conn, instance_id),
        lambda found: found is None or backup.wait_outcome(found.get("DBInstanceStatus"), backup.AVAILABLE, backup.INSTANCE_FAILED) != "waiting",
        module.params["wait_timeout"],
    )
    found = outcome["result"]
    if found is None:
        module.fail_json(msg="instance %s disappeared while waiting for it to become available" % instance_id, changed=True)
    status = found.get("DBInstanceStatus")
    if status != backup.AVAILABLE:
        if status in backup.INSTANCE_FAILED:
            hint = ("the restore failed: see its RDS events, then delete it (state: absent) before trying again")
        else:
            hint = "still %s after %s s: raise wait_timeout, or run again later (it is not restored twice)" % (status, module.params["wait_timeout"])
        module.fail_json(msg="restored instance %s is %s: %s" % (instance_id, status, hint), changed=True,
                         instance=backup.instance_summary(found))
    return found, round(time.monotonic() - started, 3)


def mark_created(module):
    """From the restore request on, every failure of the module says created=True: the instance may exist, and the
    caller (roles/db_restore) deletes what its run created."""
    fail = module.fail_json

    def fail_json(**kwargs):
        kwargs.setdefault("created", True)
        fail(**kwargs)

    module.fail_json = fail_json


def restore_params(params, label):
    """The boto3 arguments both restore calls share (target options and tags)."""
    tags = dict(backup.normalise_tags(params["tags"]), **{backup.RESTORED_FROM_TAG: label})
    out = {
        "DBInstanceClass": params["db_instance_class"],
        "DBSubnetGroupName": params["db_subnet_group_name"],
        "VpcSecurityGroupIds": params["vpc_security_group_ids"],
        "DBParameterGroupName": params["db_parameter_group_name"],
        "MultiAZ": params["multi_az"],
        "PubliclyAccessible": params["publicly_accessible"],
        "DeletionProtection": params["deletion_protection"],
        "Tags": backup.dict_to_tags(tags),
    }
    return dict((key, value) for key, value in out.items() if value is not None), tags


def absent(module, conn):
    params = module.params
    instance_id = params["instance_id"]
    found = rds.describe_instance(module, conn, instance_id)
    if found is None:
        module.exit_json(changed=False, instance=None, restored_from=None, duration_seconds=None)
    summary = backup.instance_summary(found)
    label = summary["tags"].get(backup.RESTORED_FROM_TAG)
    if params["only_if_restored"] and label is None:
        module.fail_json(msg="instance %s has no %s tag, so it was not restored by rds_restore: refusing to delete it "
                         "(set only_if_restored: false to delete it anyway)" % (instance_id, backup.RESTORED_FROM_TAG))
    if not params["skip_final_snapshot"] and not params["final_snapshot_id"]:
        module.fail_json(msg="skip_final_snapshot is false: give final_snapshot_id for the final snapshot")
    diff = {"before": {"instance_id": summary["id"], "status": summary["status"], "restored_from": label}, "after": {}}
    extra = {"diff": diff} if module._diff else {}
    if module.check_mode:
        module.exit_json(changed=True, instance=None, restored_from=label, duration_seconds=None, **extra)
    started = time.monotonic()
    if found.get("DBInstanceStatus") != "deleting":
        if found.get("DeletionProtection"):
            module.fail_json(msg="instance %s has deletion protection on: turn it off (amazon.aws.rds_instance "
                             "deletion_protection: false) before deleting it" % instance_id)
        rds_snapshots.delete_instance(module, conn, instance_id, params["skip_final_snapshot"], params["final_snapshot_id"],
                                      params["delete_automated_backups"])
    duration = None
    if params["wait"]:
        outcome = waiting.poll_until(lambda: rds.describe_instance(module, conn, instance_id), lambda still: still is None,
                                     params["wait_timeout"])
        if outcome["result"] is not None:
            module.fail_json(msg="instance %s is still %s after %s s: raise wait_timeout or check it later"
                             % (instance_id, outcome["result"].get("DBInstanceStatus"), params["wait_timeout"]), changed=True)
        duration = round(time.monotonic() - started, 3)
    module.exit_json(changed=True, instance=None, restored_from=label, duration_seconds=duration, **extra)


def replicated_window(module, conn, arn):
    """(the DBInstanceAutomatedBackups entry of arn in this region, its window {earliest, latest, source})."""
    entries = [e for e in rds_snapshots.region_automated_backups(module, conn)
               if e.get("DBInstanceAutomatedBackupsArn") == arn]
    if not entries:
        module.fail_json(msg="no automated backups %s in %s: replicated backups are restored in the region they "
                         "replicate to (check source_automated_backups_arn and region)" % (arn, module.region))
    window = entries[0].get("RestoreWindow") or {}
    if not (window.get("EarliestTime") and window.get("LatestTime")):
        module.fail_json(msg="automated backups %s have no restorable time yet (status %s): wait for the replication "
                         "to copy a backup" % (arn, entries[0].get("Status")))
    return entries[0], {"earliest": backup.iso(window["EarliestTime"]), "latest": backup.iso(window["LatestTime"]),
                        "source": "replicated_automated_backups"}


def dr_point_exit(module, found):
    """module.exit_json adding restore_point and step_summary (dr_restore_point restores)."""
    plain_exit = module.exit_json

    def exit_json(**kwargs):
        label = kwargs.get("restored_from") or ""
        instance = kwargs.get("instance")
        if module.check_mode and isinstance(instance, dict) and not (instance.get("endpoint") or {}).get("address"):
            instance["endpoint"] = restore_dr.predicted_endpoint(instance.get("id"), found.get("point"))
        kwargs["restore_point"] = restore_dr.point_result(found, label)
        verdict = found.get("verdict") or {"allowed": True, "reason": "restored already (%s)" % label}
        kwargs["step_summary"] = restore_dr.restore_step_summary(found, verdict, kwargs.get("instance"),
                                                                 kwargs.get("duration_seconds"), module.check_mode)
        plain_exit(**kwargs)
    return exit_json


def resolve_dr_point(module, conn):
    """dr_restore_point: keep an instance restored already from a point of the source (exits), else choose the
    newest point here, gate it (fails, nothing changed, when refused) and set the restore's parameters from it."""
    params = module.params
    spec = params["dr_restore_point"]
    source_id = spec["source_instance_id"]
    existing = rds.describe_instance(module, conn, params["instance_id"])
    if existing is not None:
        label = backup.tags_to_dict(existing.get("TagList")).get(backup.RESTORED_FROM_TAG) or ""
        if "@" in label:
            ours = label.lower().startswith(source_id.lower() + "@")
        else:
            snap = rds_snapshots.describe_snapshot(module, conn, label) if label else None
            ours = snap is not None and backup.same_id(snap.get("DBInstanceIdentifier"), source_id)
        if not ours:
            found = ("its %s tag says %s" % (backup.RESTORED_FROM_TAG, label) if label
                     else "it has no %s tag" % backup.RESTORED_FROM_TAG)
            module.fail_json(msg="instance %s exists and was not restored from a point of %s (%s): pick another "
                             "instance_id or delete it" % (params["instance_id"], source_id, found))
        module.exit_json = dr_point_exit(module, {"point": None, "age_seconds": None, "candidates": None, "verdict": None})
        if params["wait"] and not module.check_mode and existing.get("DBInstanceStatus") != backup.AVAILABLE:
            existing = wait_available(module, conn, params["instance_id"], time.monotonic())[0]
        module.exit_json(changed=False, instance=backup.instance_summary(existing), restored_from=label,
                         duration_seconds=None, created=False)
    read = rds_snapshots.dr_restore_points(module, conn, source_id)
    found = restore_dr.restore_point(read["snapshots"], read["backups"], source_id, None, module.region, spec["source"],
                                     datetime.datetime.now(backup.UTC))
    found["verdict"] = restore_dr.gate(found, spec["rpo_budget_seconds"], spec["max_age_override"], source_id, module.region)
    if not found["verdict"]["allowed"]:
        module.fail_json(msg="restore in %s refused, nothing changed: %s" % (module.region, found["verdict"]["reason"]),
                         refused=True, restore_point=restore_dr.point_result(found),
                         step_summary=restore_dr.restore_step_summary(found, found["verdict"]))
    point = found["point"]
    if point["kind"] == restore_dr.SNAPSHOT_COPY:
        params["snapshot_id"] = point["snapshot_id"]
    else:
        params["source_automated_backups_arn"] = point["backups_arn"]
        params["use_latest_restorable_time"] = True
    module.exit_json = dr_point_exit(module, found)


def present(module, conn):
    params = module.params
    instance_id = params["instance_id"]
    if params.get("dr_restore_point"):
        resolve_dr_point(module, conn)
    replicated = bool(params.get("source_automated_backups_arn"))
    pitr = bool(params["source_instance_id"]) or replicated
    try:
        if backup.RESTORED_FROM_TAG in (params["tags"] or {}):
            raise backup.BackupError("tags may not set %s: the module sets it to what the instance is restored from"
                                     % backup.RESTORED_FROM_TAG)
        if pitr and bool(params["restore_time"]) == bool(params["use_latest_restorable_time"]):
            raise backup.BackupError("a point-in-time restore needs exactly one of restore_time and use_latest_restorable_time")
        if not pitr and (params["restore_time"] or params["use_latest_restorable_time"]):
            raise backup.BackupError("restore_time and use_latest_restorable_time need source_instance_id (the instance "
                                     "whose data to restore)")
        restore_time = backup.parse_time(params["restore_time"]) if params["restore_time"] else None
    except backup.BackupError as e:
        module.fail_json(msg=str(e))
    replicated_entry = replicated_win = None
    if replicated:
        replicated_entry, replicated_win = replicated_window(module, conn, params["source_automated_backups_arn"])
    label = backup.restored_from_label(params["snapshot_id"], (replicated_entry or {}).get("DBInstanceIdentifier")
                                       or params["source_instance_id"], restore_time, params["use_latest_restorable_time"])

    existing = rds.describe_instance(module, conn, instance_id)
    if existing is not None:
        if not backup.restored_from_matches(existing, label):
            found = backup.tags_to_dict(existing.get("TagList")).get(backup.RESTORED_FROM_TAG)
            module.fail_json(msg="instance %s exists and was not restored from %s (%s): pick another instance_id or delete it"
                             % (instance_id, label, "its %s tag says %s" % (backup.RESTORED_FROM_TAG, found) if found
                                else "it has no %s tag" % backup.RESTORED_FROM_TAG))
        if params["wait"] and not module.check_mode and existing.get("DBInstanceStatus") != backup.AVAILABLE:
            existing = wait_available(module, conn, instance_id, time.monotonic())[0]
        module.exit_json(changed=False, instance=backup.instance_summary(existing), restored_from=label, duration_seconds=None,
                         created=False)

    window = None
    if replicated:
        window = replicated_win
        try:
            if restore_time is not None:
                backup.check_in_window(restore_time, window, params["source_automated_backups_arn"])
        except backup.BackupError as e:
            module.fail_json(msg=str(e), window=window)
        template = replicated_entry
    elif pitr:
        source = rds.describe_instance(module, conn, params["source_instance_id"])
        if source is None:
            module.fail_json(msg="source instance %s not found in %s: point-in-time restores stay in the source's region"
                             % (params["source_instance_id"], module.region))
        try:
            window = backup.restore_window(source, rds_snapshots.automated_backups(conn, params["source_instance_id"]),
                                           datetime.datetime.now(backup.UTC))
            if restore_time is not None:
                backup.check_in_window(restore_time, window, params["source_instance_id"])
        except backup.BackupError as e:
            module.fail_json(msg=str(e), window=window)
        template = source
    else:
        snapshot = rds_snapshots.describe_snapshot(module, conn, params["snapshot_id"])
        if snapshot is None:
            module.fail_json(msg="snapshot %s not found in %s: check snapshot_id and region (copy it here first with "
                             "rds_snapshot_copy)" % (params["snapshot_id"], module.region))
        if snapshot.get("Status") != backup.AVAILABLE:
            module.fail_json(msg="snapshot %s is %s: only an available snapshot can be restored" % (params["snapshot_id"], snapshot.get("Status")))
        template = snapshot

    call, tags = restore_params(params, label)
    predicted = {"id": instance_id.lower(), "arn": None, "status": None, "endpoint": {"address": None, "port": None},
                 "engine": template.get("Engine"), "engine_version": template.get("EngineVersion"),
                 "instance_class": params["db_instance_class"] or template.get("DBInstanceClass"),
                 "db_name": template.get("DBName"), "multi_az": params["multi_az"],
                 "deletion_protection": params["deletion_protection"], "created": None, "tags": tags}
    diff = {"before": {}, "after": {"instance_id": predicted["id"], "restored_from": label,
                                    "instance_class": predicted["instance_class"],
                                    "db_subnet_group_name": params["db_subnet_group_name"],
                                    "vpc_security_group_ids": params["vpc_security_group_ids"],
                                    "db_parameter_group_name": params["db_parameter_group_name"], "tags": tags}}
    extra = {"diff": diff} if module._diff else {}
    if window is not None:
        extra["window"] = window
    if module.check_mode:
        module.exit_json(changed=True, instance=predicted, restored_from=label, duration_seconds=None, created=False, **extra)

    started = time.monotonic()
    mark_created(module)
    if pitr:
        if replicated:
            call["SourceDBInstanceAutomatedBackupsArn"] = params["source_automated_backups_arn"]
        else:
            call["SourceDBInstanceIdentifier"] = params["source_instance_id"]
        call["TargetDBInstanceIdentifier"] = instance_id
        if restore_time is not None:
            call["RestoreTime"] = restore_time
        else:
            call["UseLatestRestorableTime"] = True
        created = rds_snapshots.restore_to_time(module, conn, call)
    else:
        call.update(DBInstanceIdentifier=instance_id, DBSnapshotIdentifier=params["snapshot_id"])
        created = rds_snapshots.restore_from_snapshot(module, conn, call)
    duration = None
    if params["wait"]:
        created, duration = wait_available(module, conn, instance_id, started)
    module.exit_json(changed=True, instance=backup.instance_summary(created), restored_from=label, duration_seconds=duration, created=True,
                     **extra)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", aliases=["db_instance_identifier", "target_db_instance_identifier"]),
            cluster_id=dict(type="str", aliases=["db_cluster_identifier"]),
            source_cluster_id=dict(type="str", aliases=["source_db_cluster_identifier"]),
            state=dict(type="str", default="present", choices=["present", "absent"]),
            snapshot_id=dict(type="str", aliases=["db_snapshot_identifier"]),
            source_instance_id=dict(type="str", aliases=["source_db_instance_identifier"]),
            source_automated_backups_arn=dict(type="str", aliases=["source_db_instance_automated_backups_arn"]),
            dr_restore_point=dict(type="dict", options=dict(
                source_instance_id=dict(type="str", required=True),
                source=dict(type="str", default="newest", choices=list(restore_dr.SOURCES)),
                rpo_budget_seconds=dict(type="int"),
                max_age_override=dict(type="bool", default=False))),
            restore_time=dict(type="str"),
            use_latest_restorable_time=dict(type="bool", default=False),
            db_instance_class=dict(type="str", aliases=["instance_class"]),
            db_subnet_group_name=dict(type="str", aliases=["subnet_group"]),
            vpc_security_group_ids=dict(type="list", elements="str"),
            db_parameter_group_name=dict(type="str"),
            multi_az=dict(type="bool"),
            publicly_accessible=dict(type="bool", default=False),
            deletion_protection=dict(type="bool", default=False),
            tags=dict(type="dict", default={}),
            skip_final_snapshot=dict(type="bool", default=True),
            final_snapshot_id=dict(type="str", aliases=["final_db_snapshot_identifier"]),
            delete_automated_backups=dict(type="bool", default=True),
            only_if_restored=dict(type="bool", default=True),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=3600),
        ),
        mutually_exclusive=[["snapshot_id", "source_instance_id", "source_cluster_id", "source_automated_backups_arn", "dr_restore_point"],
                            ["restore_time", "use_latest_restorable_time"], ["dr_restore_point", "restore_time"],
                            ["dr_restore_point", "use_latest_restorable_time"], ["cluster_id", "source_automated_backups_arn"],
                            ["cluster_id", "dr_restore_point"]],
        required_if=[["state", "present", ["snapshot_id", "source_instance_id", "source_cluster_id", "source_automated_backups_arn",
                                           "dr_restore_point"], True]],
        required_one_of=[["instance_id", "cluster_id"]],
        supports_check_mode=True,
    )
    conn = client(module, "rds")
    if module.params["cluster_id"]:
        rds_cluster_restore.run(module, conn)
    if module.params["source_cluster_id"]:
        module.fail_json(msg="source_cluster_id restores an Aurora cluster: give cluster_id (and instance_id, its instance)")
    if module.params["state"] == "absent":
        absent(module, conn)
    present(module, conn)


if __name__ == "__main__":
    main()
