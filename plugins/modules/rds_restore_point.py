#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_restore_point
version_added: 1.0.0
short_description: Choose the restore point of an RDS instance or Aurora cluster and check it against its restorable window
description:
  - Chooses what a restore of an RDS DB instance starts from, by O(mode)
    V(latest_snapshot) (the newest available snapshot of O(snapshot_types)), V(latest_restorable_time) or V(time)
    (O(restore_time)), and says how far back its data is (RV(gap_seconds)).
  - 'The restorable window is read from C(DescribeDBInstanceAutomatedBackups) when the API returns a C(RestoreWindow);
    otherwise it is computed from the instance: earliest = the later of C(InstanceCreateTime) and now minus
    C(BackupRetentionPeriod) days, latest = C(LatestRestorableTime). RV(window.source) says which.'
  - A O(restore_time) outside the window fails the task with both bounds in the message, before any restore is
    attempted. RDS itself would refuse the restore later; an emulator might not, and a runbook should not find out
    from a half-started restore.
  - Why our own module? M(amazon.aws.rds_instance) restores, but does not validate the window before calling nor
    report the restore point's age; with M(cloudops.runbooks.rds_restore) (adaptive waits instead of botocore
    waiters with fixed 30-60 s delays) this is the restore test of the backup_restore runbook.
  - With O(cluster_id), the same for an Aurora DB cluster - its cluster snapshots, and its window from the cluster's
    C(EarliestRestorableTime) and C(LatestRestorableTime) (RV(window.source) V(cluster)); RV(restore_point.source_instance)
    is then the cluster's id and RV(restore_point.source_cluster) true. A secondary cluster of a global database has
    no window (restore from the primary cluster).
  - Read-only; runs the same in check mode.
options:
  instance_id:
    description:
      - Identifier of the DB instance whose data is to be restored. Give it or O(cluster_id).
    type: str
    aliases: [db_instance_identifier, source_db_instance_identifier]
  cluster_id:
    version_added: 1.1.0
    description:
      - Identifier of the Aurora DB cluster whose data is to be restored, instead of an instance.
    type: str
    aliases: [db_cluster_identifier, source_db_cluster_identifier]
  mode:
    description:
      - V(latest_snapshot) picks the available snapshot of O(snapshot_types) whose data is newest.
      - V(latest_restorable_time) picks the instance's C(LatestRestorableTime).
      - V(time) picks O(restore_time), which must lie in the restorable window.
    type: str
    default: latest_restorable_time
    choices: [latest_snapshot, latest_restorable_time, time]
  restore_time:
    description:
      - The point in time to restore to, ISO 8601 (V(2026-01-31T12:00:00Z); without an offset it is UTC). Required
        with O(mode=time).
    type: str
  snapshot_types:
    description:
      - Snapshot types O(mode=latest_snapshot) chooses from.
    type: list
    elements: str
    choices: [manual, automated]
    default: [manual, automated]
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
- name: Restore test from the newest snapshot
  cloudops.runbooks.rds_restore_point:
    instance_id: shop-db
    mode: latest_snapshot
  register: point

- name: Restore the data as it was before the bad migration
  cloudops.runbooks.rds_restore_point:
    instance_id: shop-db
    mode: time
    restore_time: "2026-01-31T11:58:00Z"
  register: point

- name: Restore to the chosen point
  cloudops.runbooks.rds_restore:
    instance_id: shop-db-restore-test
    snapshot_id: "{{ point.restore_point.snapshot_id if point.restore_point.kind == 'snapshot' else omit }}"
    source_instance_id: "{{ point.restore_point.source_instance if point.restore_point.kind == 'time' else omit }}"
    restore_time: "{{ point.restore_point.time if point.restore_point.kind == 'time' else omit }}"
"""

RETURN = r"""
restore_point:
  description: What to restore from.
  returned: always
  type: dict
  contains:
    kind:
      description: V(snapshot) or V(time).
      type: str
      sample: snapshot
    snapshot_id:
      description: The snapshot to restore from (kind snapshot), else null.
      type: str
      sample: shop-db-20260131-120000
    snapshot_arn:
      description: Its ARN (kind snapshot), else null.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:snapshot:shop-db-20260131-120000
    snapshot_type:
      description: V(manual) or V(automated) (kind snapshot), else null.
      type: str
      sample: manual
    time:
      description: The data's point in time (ISO 8601, UTC), the snapshot's creation time or the restore time.
      type: str
      sample: '2026-01-31T12:00:03.120000+00:00'
    source_instance:
      description: The instance (with O(cluster_id), the cluster) whose data it is.
      type: str
      sample: shop-db
    source_cluster:
      description: True when the source is an Aurora cluster (O(cluster_id)); absent otherwise.
      type: bool
      returned: with O(cluster_id)
      sample: true
window:
  description: The instance's restorable window (null with O(mode=latest_snapshot) when the instance has none).
  returned: always
  type: dict
  contains:
    earliest:
      description: Earliest restorable time (ISO 8601, UTC).
      type: str
      sample: '2026-01-24T12:00:00+00:00'
    latest:
      description: Latest restorable time (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T12:10:00+00:00'
    source:
      description: V(automated_backups) (the API's C(RestoreWindow)) or V(instance) (computed from the instance).
      type: str
      sample: instance
gap_seconds:
  description: How far back the data is, now minus RV(restore_point.time), in seconds.
  returned: always
  type: float
  sample: 302.5
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here the restore point as a gate with no
      pass/fail (C(restore point), with its kind, time and how far back it is)."
  returned: success
  type: dict
  version_added: 1.0.0
  sample:
    detail: restore point latest_restorable at 2026-01-31T11:55:00Z, 300.0 s back
    measures: {gap_seconds: 300.0}
    gates:
    - name: restore point
      passed: null
      detail: latest_restorable
      numbers: {gap_seconds: 300.0, kind: latest_restorable, time: '2026-01-31T11:55:00Z'}
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", aliases=["db_instance_identifier", "source_db_instance_identifier"]),
            cluster_id=dict(type="str", aliases=["db_cluster_identifier", "source_db_cluster_identifier"]),
            mode=dict(type="str", default=backup.MODE_LATEST_RESTORABLE_TIME,
                      choices=[backup.MODE_LATEST_SNAPSHOT, backup.MODE_LATEST_RESTORABLE_TIME, backup.MODE_TIME]),
            restore_time=dict(type="str"),
            snapshot_types=dict(type="list", elements="str", choices=[backup.MANUAL, backup.AUTOMATED],
                                default=[backup.MANUAL, backup.AUTOMATED]),
        ),
        required_if=[["mode", backup.MODE_TIME, ["restore_time"]]],
        mutually_exclusive=[["instance_id", "cluster_id"]],
        required_one_of=[["instance_id", "cluster_id"]],
        supports_check_mode=True,
    )
    params = module.params
    instance_id = params["instance_id"]
    try:
        if params["restore_time"] is not None and params["mode"] != backup.MODE_TIME:
            raise backup.BackupError("restore_time is only used with mode time (mode is %s): drop it or set mode: time" % params["mode"])
        if params["restore_time"] is not None:
            backup.parse_time(params["restore_time"])
        if not params["snapshot_types"]:
            raise backup.BackupError("snapshot_types is empty: list manual, automated or both")
    except backup.BackupError as e:
        module.fail_json(msg=str(e))

    conn = client(module, "rds")
    cluster = bool(params["cluster_id"])
    if cluster:
        instance = rds_snapshots.describe_cluster(module, conn, params["cluster_id"])
    else:
        instance = rds.describe_instance(module, conn, instance_id)
    if instance is None:
        module.fail_json(msg="RDS %s %s not found in %s: check %s and region" % (
            "cluster" if cluster else "instance", params["cluster_id"] or instance_id, module.region,
            "cluster_id" if cluster else "instance_id"))
    now = datetime.datetime.now(backup.UTC)

    def read_window():
        if cluster:
            return backup.cluster_restore_window(instance, now)
        return backup.restore_window(instance, rds_snapshots.automated_backups(conn, instance_id), now)

    window, snapshots = None, None
    try:
        if params["mode"] == backup.MODE_LATEST_SNAPSHOT:
            snapshots = rds_snapshots.list_snapshots(
                module, conn, instance["DBClusterIdentifier"] if cluster else instance["DBInstanceIdentifier"], cluster)
            try:
                window = read_window()
            except backup.BackupError:
                window = None  # a snapshot restore does not need a window
        else:
            window = read_window()
        point = backup.choose_restore_point(params["mode"], instance, window, snapshots, params["restore_time"],
                                            params["snapshot_types"], now)
    except backup.BackupError as e:
        module.fail_json(msg=str(e), window=window)

    gap = backup.seconds_between(point["time"], now)
    module.exit_json(changed=False, restore_point=point, window=window, gap_seconds=gap,
                     step_summary=backup.restore_point_step_summary(point, gap))


if __name__ == "__main__":
    main()
