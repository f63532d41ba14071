#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_cluster_failover
version_added: 1.0.0
short_description: Fail an Aurora DB cluster over to another instance in its region and wait for the new writer
description:
  - Calls C(FailoverDBCluster) so that O(target_instance_id) (a reader of the cluster) becomes the writer, and waits
    until the cluster is C(available) with that writer. Without O(target_instance_id) RDS picks the reader, and the
    wait ends when the writer is another instance than before.
  - Idempotent with O(target_instance_id). When it already is the writer nothing is done (C(changed=false)). Without
    O(target_instance_id) every run fails over again.
  - For a cross-region failover of an Aurora global database use M(cloudops.runbooks.rds_global_cluster_failover);
    for an RDS (non-Aurora) read replica, M(cloudops.runbooks.rds_promote).
  - Check mode predicts the new writer; C(--diff) shows the writer before and after.
options:
  cluster_id:
    description:
      - Identifier of the Aurora DB cluster.
    type: str
    required: true
    aliases: [db_cluster_identifier]
  target_instance_id:
    description:
      - The reader instance to make the writer. Without it RDS chooses, by promotion tier.
    type: str
    aliases: [target_db_instance_identifier]
  wait:
    description:
      - Wait until the cluster is available with the new writer.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait.
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
- name: Make the reader in the other availability zone the writer
  cloudops.runbooks.rds_cluster_failover:
    cluster_id: shop-aurora
    target_instance_id: shop-aurora-b
  register: cluster_failover

- name: Show the writer change
  ansible.builtin.debug:
    msg: "{{ cluster_failover.writer_before }} -> {{ cluster_failover.writer_after }} in {{ cluster_failover.duration_seconds }} s"
"""

RETURN = r"""
cluster_id:
  description: The cluster identifier.
  returned: always
  type: str
  sample: shop-aurora
writer_before:
  description: The writer instance before the run.
  returned: always
  type: str
  sample: shop-aurora-a
writer_after:
  description: The writer after the run (in check mode, the predicted one; null when RDS will choose).
  returned: always
  type: str
  sample: shop-aurora-b
members:
  description: The cluster's instances after the run.
  returned: always
  type: list
  elements: dict
  sample: [{instance_id: shop-aurora-a, is_writer: false, promotion_tier: 1}, {instance_id: shop-aurora-b, is_writer: true, promotion_tier: 1}]
status:
  description: The cluster's C(Status) after the run.
  returned: always
  type: str
  sample: available
started_at:
  description: UTC time of the failover call (ISO 8601); null when nothing was done.
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time the new writer was seen; null without a wait or a failover.
  returned: always
  type: str
  sample: '2026-01-31T12:00:35.000000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) from the call to RV(finished_at); null without a wait or a failover.
  returned: always
  type: float
  sample: 34.875
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def members_of(cluster):
    return sorted(({"instance_id": member["DBInstanceIdentifier"], "is_writer": bool(member.get("IsClusterWriter")),
                    "promotion_tier": member.get("PromotionTier")} for member in cluster.get("DBClusterMembers") or []),
                  key=lambda member: member["instance_id"])


def writer_of(cluster):
    return next((member["instance_id"] for member in members_of(cluster) if member["is_writer"]), None)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            cluster_id=dict(type="str", required=True, aliases=["db_cluster_identifier"]),
            target_instance_id=dict(type="str", aliases=["target_db_instance_identifier"]),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
        ),
        supports_check_mode=True,
    )
    params = module.params
    cluster_id, target = params["cluster_id"], params["target_instance_id"]
    conn = client(module, "rds")
    cluster = rds_snapshots.describe_cluster(module, conn, cluster_id)
    if cluster is None:
        module.fail_json(msg="Aurora cluster %s not found in %s: check cluster_id and region" % (cluster_id, module.region))
    before = writer_of(cluster)
    names = [member["instance_id"] for member in members_of(cluster)]
    if target is not None:
        target = next((name for name in names if name.lower() == target.lower()), target)
        if target not in names:
            module.fail_json(msg="%s is not an instance of cluster %s: target_instance_id must be one of %s"
                             % (target, cluster_id, ", ".join(names) or "(no instances)"))
    if len(names) < 2:
        module.fail_json(msg="cluster %s has %s instance(s): a failover needs a reader to promote" % (cluster_id, len(names)))
    result = dict(cluster_id=cluster_id, writer_before=before, started_at=None, finished_at=None, duration_seconds=None)

    def settled(found):
        writer = writer_of(found)
        return found.get("Status") == "available" and writer is not None and (writer == target if target else writer != before)

    def wait_settled(**context):
        outcome = waiting.poll_until(lambda: rds_snapshots.describe_cluster(module, conn, cluster_id) or {},
                                     settled, params["wait_timeout"])
        found = outcome["result"]
        if not outcome["done"]:
            module.fail_json(msg="cluster %s is %s with writer %s after %s s (waiting for %s): raise wait_timeout or run again"
                             % (cluster_id, found.get("Status"), writer_of(found), outcome["elapsed"], target or "a new writer"),
                             members=members_of(found), **context)
        return found

    if target is not None and before == target:
        if params["wait"] and not module.check_mode and cluster.get("Status") != "available":
            cluster = wait_settled(changed=False)
        module.exit_json(changed=False, writer_after=before, members=members_of(cluster), status=cluster.get("Status"), **result)

    diff = {"before": {"cluster_id": cluster_id, "writer": before}, "after": {"cluster_id": cluster_id, "writer": target or "(chosen by RDS)"}}
    extra = {"diff": diff} if module._diff else {}
    if module.check_mode:
        module.exit_json(changed=True, writer_after=target, members=members_of(cluster), status=cluster.get("Status"), **dict(result, **extra))

    watch = timing.Stopwatch()
    answered = rds_failover.failover_db_cluster(module, conn, cluster_id, target, changed=False)
    result["started_at"] = watch.started_at
    if not params["wait"]:
        module.exit_json(changed=True, writer_after=target, members=members_of(answered), status=answered.get("Status"),
                         **dict(result, **extra))
    found = wait_settled(changed=True, **result)
    times = watch.stop()
    result.update(finished_at=times["finished_at"], duration_seconds=times["duration_seconds"])
    module.exit_json(changed=True, writer_after=writer_of(found), members=members_of(found), status=found.get("Status"), **dict(result, **extra))


if __name__ == "__main__":
    main()
