#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_snapshot
version_added: 1.0.0
short_description: Take a tagged manual snapshot of an RDS instance or Aurora cluster and wait until it is available
description:
  - Takes a manual snapshot of an RDS DB instance (O(instance_id)) or an Aurora DB cluster (O(cluster_id)), tagged
    with O(tags) (the backup runbook records why, who asked and the Helm revision it guards), and waits until it is
    C(available).
  - Every snapshot it takes is tagged C(managed-by=cloudops.runbooks) in the create call itself, on top of O(tags).
    That tag is how the collection recognises its own snapshots - M(cloudops.runbooks.rds_snapshot_retention) never
    deletes a snapshot without it.
  - Idempotent by O(snapshot_id). When a snapshot of that id already exists for the same source and carries
    C(managed-by=cloudops.runbooks) (an earlier or interrupted run of this module took it), nothing is taken again;
    tags of O(tags) it lacks are added (tags are never removed).
  - A snapshot of that id that this module did not take - without the C(managed-by=cloudops.runbooks) tag (taken by
    hand or by another tool), not manual, or taken of another source - is refused before any change and never
    tagged, so a backup cannot adopt it (and retention can never prune it).
  - Why not M(amazon.aws.rds_instance_snapshot)? Its waits use botocore waiters with fixed 30-60 s delays, which add
    to the recovery time; this module polls adaptively (0.5 s growing to 1.5 s) and returns how long it waited.
  - Check mode reports whether a snapshot would be taken (or tags added) without doing it; C(--diff) shows the
    snapshot before and after.
options:
  instance_id:
    description:
      - Identifier of the DB instance to snapshot. Mutually exclusive with O(cluster_id).
    type: str
    aliases: [db_instance_identifier]
  cluster_id:
    description:
      - Identifier of the Aurora DB cluster to snapshot (a cluster snapshot). Mutually exclusive with O(instance_id).
    type: str
    aliases: [db_cluster_identifier]
  snapshot_id:
    description:
      - Identifier of the snapshot, unique in the region (RDS stores it in lower case).
    type: str
    required: true
    aliases: [db_snapshot_identifier, db_cluster_snapshot_identifier]
  tags:
    description:
      - Tags of the snapshot, for example C(reason), C(requested_by), C(helm_revision). Values become strings.
      - On an existing snapshot (one this module took), missing or different tags are added; tags not listed here
        are left alone.
      - C(managed-by=cloudops.runbooks) is always added; another value for C(managed-by) is refused.
    type: dict
    default: {}
  wait:
    description:
      - Wait until the snapshot is C(available). A snapshot that turns C(failed) fails the task at once.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the snapshot to become available.
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
- name: Snapshot the primary before a deploy, recording why and the release it guards
  cloudops.runbooks.rds_snapshot:
    instance_id: shop-db
    region: us-east-1
    snapshot_id: "shop-db-{{ now(utc=true, fmt='%Y%m%d-%H%M%S') }}"
    tags:
      reason: pre-deploy
      requested_by: "{{ awx_user_name | default(lookup('ansible.builtin.env', 'USER')) }}"
      helm_revision: "{{ shop_release.revision }}"
      managed-by: cloudops.runbooks
  register: backup

- name: Snapshot an Aurora cluster, without waiting
  cloudops.runbooks.rds_snapshot:
    cluster_id: orders-aurora
    snapshot_id: orders-aurora-nightly-20260131
    wait: false
"""

RETURN = r"""
snapshot:
  description: The snapshot (in check mode, what would be created; fields RDS has not set yet are null).
  returned: always
  type: dict
  contains:
    id:
      description: Snapshot identifier.
      type: str
      sample: shop-db-20260131-120000
    arn:
      description: Snapshot ARN.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:snapshot:shop-db-20260131-120000
    status:
      description: C(Status), V(available) after a successful wait.
      type: str
      sample: available
    kind:
      description: V(instance) or V(cluster) snapshot.
      type: str
      sample: instance
    source:
      description: The instance or cluster the snapshot was taken of.
      type: str
      sample: shop-db
    type:
      description: V(manual) or V(automated).
      type: str
      sample: manual
    created:
      description: C(SnapshotCreateTime) (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T12:00:03.120000+00:00'
    data_time:
      description: When the snapshot's data is from (C(OriginalSnapshotCreateTime), kept by copies; else RV(snapshot.created)).
      type: str
      sample: '2026-01-31T12:00:03.120000+00:00'
    engine:
      description: Database engine.
      type: str
      sample: postgres
    engine_version:
      description: Engine version.
      type: str
      sample: '15.4'
    allocated_storage:
      description: Allocated storage in GiB.
      type: int
      sample: 20
    encrypted:
      description: Whether the snapshot is encrypted.
      type: bool
      sample: true
    kms_key_id:
      description: KMS key of an encrypted snapshot.
      type: str
      sample: arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    source_snapshot:
      description: The snapshot this one was copied from, when RDS reports it.
      type: str
      sample: null
    tags:
      description: Tags of the snapshot.
      type: dict
      sample: {reason: pre-deploy, requested_by: alice, helm_revision: '42'}
waited_seconds:
  description: Seconds spent waiting for the snapshot to become available (0 when it already was or O(wait=false)).
  returned: always
  type: float
  sample: 42.5
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def wait_available(module, conn, snapshot_id, cluster, changed):
    """Poll until the snapshot is available; fail (saying what changed) when it fails or the wait times out."""
    outcome = waiting.poll_until(
        lambda: rds_snapshots.describe_snapshot(module, conn, snapshot_id, cluster),
        lambda found: found is None or backup.wait_outcome(found.get("Status"), backup.AVAILABLE, backup.SNAPSHOT_FAILED) != "waiting",
        module.params["wait_timeout"],
    )
    found = outcome["result"]
    if found is None:
        module.fail_json(msg="snapshot %s disappeared while waiting for it (deleted by someone else?)" % snapshot_id, changed=changed)
    summary = backup.snapshot_summary(found)
    if summary["status"] != backup.AVAILABLE:
        hint = ("it failed: see the RDS events of %s" % summary["source"] if summary["status"] in backup.SNAPSHOT_FAILED
                else "still %s after %s s: raise wait_timeout, or run again later (the snapshot id is reused)"
                % (summary["status"], module.params["wait_timeout"]))
        module.fail_json(msg="snapshot %s is not available: %s" % (snapshot_id, hint), changed=changed, snapshot=summary,
                         waited_seconds=outcome["elapsed"])
    return found, outcome["elapsed"]


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            instance_id=dict(type="str", aliases=["db_instance_identifier"]),
            cluster_id=dict(type="str", aliases=["db_cluster_identifier"]),
            snapshot_id=dict(type="str", required=True, aliases=["db_snapshot_identifier", "db_cluster_snapshot_identifier"]),
            tags=dict(type="dict", default={}),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        mutually_exclusive=[["instance_id", "cluster_id"]],
        required_one_of=[["instance_id", "cluster_id"]],
        supports_check_mode=True,
    )
    params = module.params
    cluster = bool(params["cluster_id"])
    source_id = params["cluster_id"] or params["instance_id"]
    snapshot_id = params["snapshot_id"]
    what = "cluster" if cluster else "instance"
    try:
        tags = backup.with_owner_tags(params["tags"])
    except backup.BackupError as e:
        module.fail_json(msg=str(e))
    conn = client(module, "rds")

    existing = rds_snapshots.describe_snapshot(module, conn, snapshot_id, cluster)
    if existing is not None:
        if not backup.same_id(backup.snapshot_source(existing), source_id):
            module.fail_json(msg="snapshot %s already exists in %s but was taken of %s, not of %s %s: pick another snapshot_id"
                             % (snapshot_id, module.region, backup.snapshot_source(existing), what, source_id))
        if not backup.owned(existing):
            # Never adopt (nor tag) a snapshot this module did not take: retention would later prune it.
            module.fail_json(msg="snapshot %s already exists in %s and was not taken by cloudops.runbooks (%s): a backup "
                             "never adopts or tags a snapshot it did not take, so nothing was changed. Pick another "
                             "snapshot_id (or leave it to the default, a new one)"
                             % (snapshot_id, module.region, backup.not_owned_reason(existing)),
                             snapshot=backup.snapshot_summary(existing))
        before = backup.snapshot_summary(existing)
        missing = backup.tags_to_add(before["tags"], tags)
        changed = bool(missing)
        waited = 0.0
        if not module.check_mode:
            if missing:
                rds_snapshots.add_tags(module, conn, before["arn"], backup.dict_to_tags(missing))
            if params["wait"] and before["status"] != backup.AVAILABLE:
                existing, waited = wait_available(module, conn, snapshot_id, cluster, changed)
        after = backup.snapshot_summary(existing)
        after["tags"] = dict(before["tags"], **missing)
        result = dict(changed=changed, snapshot=after, waited_seconds=waited)
        if module._diff:
            result["diff"] = {"before": {"tags": before["tags"]}, "after": {"tags": after["tags"]}}
        module.exit_json(**result)

    source = (rds_snapshots.describe_cluster(module, conn, source_id) if cluster
              else rds.describe_instance(module, conn, source_id))
    if source is None:
        option = "cluster_id" if cluster else "instance_id"
        module.fail_json(msg="RDS %s %s not found in %s: check %s and region" % (what, source_id, module.region, option))
    status = source.get("Status") if cluster else source.get("DBInstanceStatus")

    predicted = {"id": snapshot_id.lower(), "arn": None, "status": None, "kind": what, "source": source_id, "type": backup.MANUAL,
                 "created": None, "data_time": None, "engine": source.get("Engine"), "engine_version": source.get("EngineVersion"),
                 "allocated_storage": source.get("AllocatedStorage"),
                 "encrypted": bool(source.get("StorageEncrypted")), "kms_key_id": source.get("KmsKeyId"),
                 "source_snapshot": None, "tags": tags}
    diff = {"before": {}, "after": {"snapshot_id": predicted["id"], "source": source_id, "tags": tags}}
    if module.check_mode:
        module.exit_json(changed=True, snapshot=predicted, waited_seconds=0.0, **({"diff": diff} if module._diff else {}))

    started = time.monotonic()
    created = rds_snapshots.create_snapshot(module, conn, source_id, snapshot_id, backup.dict_to_tags(tags), cluster, status)
    waited = 0.0
    if params["wait"]:
        created, waited = wait_available(module, conn, snapshot_id, cluster, True)
        waited = round(time.monotonic() - started, 3)
    result = dict(changed=True, snapshot=backup.snapshot_summary(created), waited_seconds=waited)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
