#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_snapshot_retention
version_added: 1.0.0
short_description: Prune the manual snapshots of an RDS instance or Aurora cluster by age and count
description:
  - Deletes the manual snapshots of one DB instance (O(instance_id)) or Aurora cluster (O(cluster_id)) in the module's
    region that a retention policy no longer keeps, and says why each snapshot goes or stays.
  - Only manual snapshots this collection took or copied (tagged C(managed-by=cloudops.runbooks) by
    M(cloudops.runbooks.rds_snapshot) and M(cloudops.runbooks.rds_snapshot_copy) when they create them) that also
    carry every tag of O(tag_filters) and are C(available) are candidates. Snapshots taken by hand or by another
    tool (without that tag) are never deleted, whatever O(tag_filters) say; automated snapshots (and AWS Backup,
    shared or public ones) are never touched; a snapshot still being created, copied or deleted is skipped with its
    status as the reason.
  - O(keep_last) keeps the newest K candidates, O(keep_days) the candidates whose data is at most N days old (a copy
    counts from its source's time, C(OriginalSnapshotCreateTime)). With both, a snapshot goes only when neither keeps
    it, so the newest K stay even when backups have stopped for longer than N days.
  - Why our own module? amazon.aws has no retention module; deleting one snapshot at a time with
    M(amazon.aws.rds_instance_snapshot) leaves the selection (and the guard against automated snapshots) to a loop
    in every playbook.
  - Check mode lists what would be deleted (RV(deleted)) without deleting; C(--diff) shows the snapshot ids before
    and after.
options:
  instance_id:
    description:
      - DB instance whose snapshots to prune. Mutually exclusive with O(cluster_id).
    type: str
    aliases: [db_instance_identifier]
  cluster_id:
    description:
      - Aurora DB cluster whose cluster snapshots to prune. Mutually exclusive with O(instance_id).
    type: str
    aliases: [db_cluster_identifier]
  keep_days:
    description:
      - Keep candidates whose data is at most this many days old.
      - At least one of O(keep_days) and O(keep_last) is required.
    type: int
  keep_last:
    description:
      - Keep the newest this many candidates (1 or more).
    type: int
  tag_filters:
    description:
      - Only snapshots with all these tags (same values) are candidates, for example C(reason=schedule nightly) to
        prune only the scheduled backups. This narrows the candidates; C(managed-by=cloudops.runbooks) is required
        in any case.
    type: dict
    default: {}
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
- name: Keep the runbook's snapshots of the last 14 days, and at least the newest 3
  cloudops.runbooks.rds_snapshot_retention:
    instance_id: shop-db
    region: us-east-1
    keep_days: 14
    keep_last: 3
    tag_filters:
      managed-by: cloudops.runbooks
  register: pruned

- name: Same in the DR region, for the copies
  cloudops.runbooks.rds_snapshot_retention:
    instance_id: shop-db
    region: us-west-2
    keep_days: 14
    keep_last: 3
    tag_filters:
      managed-by: cloudops.runbooks
"""

RETURN = r"""
deleted:
  description: Snapshots deleted (in check mode, that would be deleted), newest first.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Snapshot identifier.
      type: str
      sample: shop-db-20260101-020000
    created:
      description: When its data is from (ISO 8601, UTC).
      type: str
      sample: '2026-01-01T02:00:04+00:00'
    reason:
      description: Why it goes.
      type: str
      sample: 30.4 days old, older than keep_days 14 and beyond the newest 3 (#9)
kept:
  description: Every other snapshot of the source, newest first, with the reason it stays.
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Snapshot identifier.
      type: str
      sample: rds:shop-db-2026-01-31-02-00
    created:
      description: When its data is from (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T02:00:00+00:00'
    reason:
      description: Why it stays.
      type: str
      sample: 'automated snapshot: retention never touches snapshots that are not manual'
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", aliases=["db_instance_identifier"]),
            cluster_id=dict(type="str", aliases=["db_cluster_identifier"]),
            keep_days=dict(type="int"),
            keep_last=dict(type="int"),
            tag_filters=dict(type="dict", default={}),
        ),
        mutually_exclusive=[["instance_id", "cluster_id"]],
        required_one_of=[["instance_id", "cluster_id"], ["keep_days", "keep_last"]],
        supports_check_mode=True,
    )
    params = module.params
    cluster = bool(params["cluster_id"])
    source_id = params["cluster_id"] or params["instance_id"]
    conn = client(module, "rds")
    snapshots = rds_snapshots.list_snapshots(module, conn, source_id, cluster)
    try:
        delete, keep = backup.retention_plan(snapshots, params["keep_days"], params["keep_last"], params["tag_filters"],
                                             datetime.datetime.now(backup.UTC))
    except backup.BackupError as e:
        module.fail_json(msg=str(e))

    extra = {}
    if module._diff:
        before = sorted(item["id"] for item in delete + keep)
        gone = set(item["id"] for item in delete)
        extra["diff"] = {"before": {"snapshots": before}, "after": {"snapshots": [name for name in before if name not in gone]}}
    if not module.check_mode:
        done = []
        for item in delete:
            rds_snapshots.delete_snapshot(module, conn, item["id"], cluster, changed=bool(done), deleted=done, kept=keep)
            done.append(item)
    module.exit_json(changed=bool(delete), deleted=delete, kept=keep, **extra)


if __name__ == "__main__":
    main()
