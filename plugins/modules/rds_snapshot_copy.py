#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_snapshot_copy
version_added: 1.0.0
short_description: Copy an RDS snapshot into this region (or across regions) and wait until the copy is available
description:
  - Copies an RDS DB snapshot, or an Aurora DB cluster snapshot, into the module's O(region) under O(snapshot_id),
    for example the primary's nightly snapshot into the DR region. A cross-region copy passes C(SourceRegion), so
    botocore presigns the request in the source region.
  - The source is looked up first (in O(source_region), or the region of its ARN); it must exist and be available.
    An encrypted source copied across regions needs O(kms_key_id), a key of the target region (RDS refuses otherwise).
  - Every copy it makes is tagged C(managed-by=cloudops.runbooks) in the copy call itself, on top of O(tags) (and
    the source's tags with O(copy_tags)). M(cloudops.runbooks.rds_snapshot_retention) never deletes a snapshot
    without it.
  - Idempotent by O(snapshot_id). When the target exists and carries C(managed-by=cloudops.runbooks) (an earlier or
    interrupted run copied it), nothing is copied again; tags of O(tags) it lacks are added. A target this module
    did not copy (without that tag, or not manual), or that RDS reports as copied from another snapshot, is refused
    before any change and never tagged.
  - Why not M(amazon.aws.rds_instance_snapshot)? Its waits use botocore waiters with fixed 30-60 s delays, which add
    to the recovery time; this module polls adaptively (0.5 s growing to 1.5 s) and returns how long it waited.
  - Check mode reports whether a copy would be made; C(--diff) shows the target before and after.
options:
  source_snapshot:
    description:
      - ARN of the snapshot to copy, or its identifier together with O(source_region) (or, for a copy within the
        region, alone).
      - An instance snapshot is looked for first, then a cluster snapshot.
    type: str
    required: true
    aliases: [source_db_snapshot_identifier]
  source_region:
    description:
      - Region of the source snapshot. Defaults to the region of an ARN in O(source_snapshot), else the module's region.
    type: str
  snapshot_id:
    description:
      - Identifier of the copy in the module's O(region).
    type: str
    required: true
    aliases: [db_snapshot_identifier, target_db_snapshot_identifier]
  kms_key_id:
    description:
      - KMS key (id, ARN or alias, for example V(alias/aws/rds)) of the target region to encrypt the copy with.
        Required to copy an encrypted snapshot across regions.
    type: str
  copy_tags:
    description:
      - Copy the source snapshot's tags to the copy. RDS ignores this when O(tags) is not empty, so the module then
        adds the source's tags to O(tags) itself (O(tags) wins for a key in both).
    type: bool
    default: true
  tags:
    description:
      - Tags of the copy. On an existing copy (one this module made), missing or different tags are added; others
        are left alone.
      - C(managed-by=cloudops.runbooks) is always added; another value for C(managed-by) is refused.
    type: dict
    default: {}
  wait:
    description:
      - Wait until the copy is C(available). A copy that turns C(failed) fails the task at once.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for the copy to become available.
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
- name: Copy the primary's snapshot into the DR region, encrypted with the DR region's RDS key
  cloudops.runbooks.rds_snapshot_copy:
    region: us-west-2
    source_snapshot: "{{ backup.snapshot.arn }}"
    snapshot_id: "{{ backup.snapshot.id }}-dr"
    kms_key_id: alias/aws/rds
    tags:
      copied_from: "{{ backup.snapshot.arn }}"
  register: dr_copy

- name: Copy a snapshot by id from us-east-1
  cloudops.runbooks.rds_snapshot_copy:
    region: us-west-2
    source_snapshot: shop-db-20260131-120000
    source_region: us-east-1
    snapshot_id: shop-db-20260131-120000-dr
    kms_key_id: alias/aws/rds
"""

RETURN = r"""
snapshot:
  description: The copy (in check mode, what would be created; fields RDS has not set yet are null).
  returned: always
  type: dict
  contains:
    id:
      description: Identifier of the copy.
      type: str
      sample: shop-db-20260131-120000-dr
    arn:
      description: ARN of the copy.
      type: str
      sample: arn:aws:rds:us-west-2:123456789012:snapshot:shop-db-20260131-120000-dr
    status:
      description: C(Status), V(available) after a successful wait.
      type: str
      sample: available
    kind:
      description: V(instance) or V(cluster) snapshot.
      type: str
      sample: instance
    source:
      description: The instance or cluster the data comes from.
      type: str
      sample: shop-db
    type:
      description: V(manual) (copies are manual snapshots).
      type: str
      sample: manual
    created:
      description: C(SnapshotCreateTime) of the copy (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T12:05:00+00:00'
    data_time:
      description: When the data is from (C(OriginalSnapshotCreateTime), the source snapshot's time).
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
      description: Whether the copy is encrypted.
      type: bool
      sample: true
    kms_key_id:
      description: KMS key of the copy.
      type: str
      sample: arn:aws:kms:us-west-2:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab
    source_snapshot:
      description: The snapshot RDS reports this one was copied from, when it reports it.
      type: str
      sample: arn:aws:rds:us-east-1:123456789012:snapshot:shop-db-20260131-120000
    tags:
      description: Tags of the copy.
      type: dict
      sample: {reason: nightly, managed-by: cloudops.runbooks}
source_arn:
  description: ARN of the source snapshot (O(source_snapshot) as given when the copy exists and its source is gone).
  returned: always
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:snapshot:shop-db-20260131-120000
waited_seconds:
  description: Seconds from the copy call until the copy was available (0 when nothing was copied or O(wait=false)).
  returned: always
  type: float
  sample: 95.2
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def find_snapshot(module, conn, snapshot_id):
    """(entry, cluster) of an instance snapshot, else a cluster snapshot (an ARN says which); (None, None) when neither."""
    for cluster in (False, True):
        if cluster and ":snapshot:" in snapshot_id:
            break
        if not cluster and ":cluster-snapshot:" in snapshot_id:
            continue
        found = rds_snapshots.describe_snapshot(module, conn, snapshot_id, cluster)
        if found is not None:
            return found, cluster
    return None, None


def source_missing(module, conn, source):
    """The source does not exist: in check mode predict the copy (an earlier task of the same check run may only have
    predicted the source), else fail."""
    message = "source snapshot %s not found in %s" % (source, conn.meta.region_name)
    if module.check_mode:
        # A result message, not module.warn: amazon.aws's warn() makes ansible-core 2.19 print a deprecation.
        predicted = dict(id=module.params["snapshot_id"].lower(), arn=None, status=None, kind=None, source=None,
                         type=backup.MANUAL, created=None, data_time=None, engine=None, engine_version=None,
                         allocated_storage=None, encrypted=None, kms_key_id=module.params["kms_key_id"],
                         source_snapshot=source, tags=backup.normalise_tags(module.params["tags"]))
        module.exit_json(changed=True, source_arn=None, waited_seconds=0.0, snapshot=predicted,
                         msg=message + ": in check mode an earlier task may only have predicted it, so a copy is "
                         "predicted; a real run needs it to exist")
    module.fail_json(msg=message + ": check source_snapshot and source_region (an ARN selects its own region)")


def wait_available(module, conn, snapshot_id, cluster):
    outcome = waiting.poll_until(
        lambda: rds_snapshots.describe_snapshot(module, conn, snapshot_id, cluster),
        lambda found: found is None or backup.wait_outcome(found.get("Status"), backup.AVAILABLE, backup.SNAPSHOT_FAILED) != "waiting",
        module.params["wait_timeout"],
    )
    found = outcome["result"]
    if found is None:
        module.fail_json(msg="copy %s disappeared while waiting for it (deleted by someone else?)" % snapshot_id, changed=True)
    summary = backup.snapshot_summary(found)
    if summary["status"] != backup.AVAILABLE:
        hint = ("the copy failed: see the RDS events in %s (a KMS key the copy may not use?)" % module.region
                if summary["status"] in backup.SNAPSHOT_FAILED
                else "still %s after %s s: raise wait_timeout, or run again later (the snapshot id is reused)"
                % (summary["status"], module.params["wait_timeout"]))
        module.fail_json(msg="copy %s is not available: %s" % (snapshot_id, hint), changed=True, snapshot=summary)
    return found


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            source_snapshot=dict(type="str", required=True, aliases=["source_db_snapshot_identifier"]),
            source_region=dict(type="str"),
            snapshot_id=dict(type="str", required=True, aliases=["db_snapshot_identifier", "target_db_snapshot_identifier"]),
            kms_key_id=dict(type="str"),
            copy_tags=dict(type="bool", default=True),
            tags=dict(type="dict", default={}),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        supports_check_mode=True,
    )
    params = module.params
    target_id = params["snapshot_id"]
    source_region = params["source_region"] or rds.region_of_arn(params["source_snapshot"]) or module.region
    arn_region = rds.region_of_arn(params["source_snapshot"])
    if arn_region and params["source_region"] and arn_region != params["source_region"]:
        module.fail_json(msg="source_snapshot is an ARN of %s but source_region is %s: drop source_region or fix it"
                         % (arn_region, params["source_region"]))
    conn = client(module, "rds")
    source_conn = client(module, "rds", region=source_region) if source_region != module.region else conn
    source, cluster = find_snapshot(module, source_conn, params["source_snapshot"])
    if source is not None:
        existing = rds_snapshots.describe_snapshot(module, conn, target_id, cluster)
    else:
        # The copy may exist from an earlier run whose source has been pruned since: still nothing to do.
        existing, cluster = find_snapshot(module, conn, target_id)
        if existing is None:
            source_missing(module, source_conn, params["source_snapshot"])
    source_summary = backup.snapshot_summary(source) if source is not None else None
    source_arn = source_summary["arn"] if source_summary else params["source_snapshot"]
    try:
        tags = backup.with_owner_tags(params["tags"])
    except backup.BackupError as e:
        module.fail_json(msg=str(e))
    if params["copy_tags"] and source_summary:
        tags = dict(source_summary["tags"], **tags)  # RDS would drop the source's tags when Tags is given

    if existing is not None:
        before = backup.snapshot_summary(existing)
        if not backup.owned(existing):
            # Never adopt (nor tag) a snapshot this module did not copy: retention would later prune it.
            module.fail_json(msg="snapshot %s already exists in %s and was not copied by cloudops.runbooks (%s): a backup "
                             "never adopts or tags a snapshot it did not take, so nothing was changed. Pick another "
                             "snapshot_id" % (target_id, module.region, backup.not_owned_reason(existing)), snapshot=before)
        copied_from = before["source_snapshot"]
        if source_summary and copied_from and not (backup.same_id(copied_from, source_arn) or backup.same_id(copied_from, source_summary["id"])):
            module.fail_json(msg="snapshot %s already exists in %s as a copy of %s, not of %s: pick another snapshot_id"
                             % (target_id, module.region, copied_from, source_arn))
        if source_summary and not copied_from and not backup.same_id(before["source"], source_summary["source"]):
            module.fail_json(msg="snapshot %s already exists in %s with data of %s, not of %s (the source of %s): pick another "
                             "snapshot_id" % (target_id, module.region, before["source"], source_summary["source"], source_arn))
        missing = backup.tags_to_add(before["tags"], tags)
        if missing and not module.check_mode:
            rds_snapshots.add_tags(module, conn, before["arn"], backup.dict_to_tags(missing))
        if params["wait"] and not module.check_mode and before["status"] != backup.AVAILABLE:
            existing = wait_available(module, conn, target_id, cluster)
        after = backup.snapshot_summary(existing)
        after["tags"] = dict(before["tags"], **missing)
        result = dict(changed=bool(missing), snapshot=after, source_arn=source_arn, waited_seconds=0.0)
        if module._diff:
            result["diff"] = {"before": {"tags": before["tags"]}, "after": {"tags": after["tags"]}}
        module.exit_json(**result)

    if source_summary["status"] != backup.AVAILABLE:
        module.fail_json(msg="source snapshot %s is %s: only an available snapshot can be copied; wait for it (rds_snapshot "
                         "waits by default)" % (source_arn, source_summary["status"]))
    cross_region = source_region != module.region
    if cross_region and source_summary["encrypted"] and not params["kms_key_id"]:
        module.fail_json(msg="source snapshot %s is encrypted: a copy into %s needs kms_key_id, a KMS key of %s "
                         "(alias/aws/rds is the region's AWS-managed RDS key)" % (source_arn, module.region, module.region))

    final_tags = tags if tags else (source_summary["tags"] if params["copy_tags"] else {})
    diff = {"before": {}, "after": {"snapshot_id": target_id.lower(), "source_arn": source_arn, "region": module.region,
                                    "kms_key_id": params["kms_key_id"], "tags": final_tags}}
    if module.check_mode:
        predicted = dict(source_summary, id=target_id.lower(), arn=None, status=None, type=backup.MANUAL, created=None,
                         kms_key_id=params["kms_key_id"] or source_summary["kms_key_id"], source_snapshot=source_arn,
                         tags=final_tags)
        module.exit_json(changed=True, snapshot=predicted, source_arn=source_arn, waited_seconds=0.0,
                         **({"diff": diff} if module._diff else {}))

    started = time.monotonic()
    copied = rds_snapshots.copy_snapshot(module, conn, source_arn, target_id, params["kms_key_id"], params["copy_tags"],
                                         backup.dict_to_tags(tags), source_region if cross_region else None, cluster)
    waited = 0.0
    if params["wait"]:
        copied = wait_available(module, conn, target_id, cluster)
        waited = round(time.monotonic() - started, 3)
    result = dict(changed=True, snapshot=backup.snapshot_summary(copied), source_arn=source_arn, waited_seconds=waited)
    if module._diff:
        result["diff"] = diff
    module.exit_json(**result)


if __name__ == "__main__":
    main()
