# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""rds_restore with cluster_id: an Aurora DB cluster restored from a cluster snapshot or to a point in time of
another cluster, plus one DB instance in it (an Aurora cluster without an instance serves nothing), or both deleted.

The same contract as the instance restore of plugins/modules/rds_restore.py: the restored cluster is tagged
cloudops:restored-from (the snapshot id or `<source cluster>@<UTC time>`/`@latest`) and that tag makes it idempotent
(an existing cluster of that name restored from the same point is only waited for; any other is refused); a restore
time is checked against the source's restorable window before the call; from the restore call on every failure says
created=True; state=absent deletes only a cluster carrying the tag (only_if_restored), its instances first.
"""

from __future__ import annotations

import datetime
import time

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots

CLUSTER_FAILED = frozenset(["failed", "incompatible-restore", "incompatible-parameters", "inaccessible-encryption-credentials"])


def _wait(module, describe, status_key, failed, what):
    outcome = waiting.poll_until(
        describe, lambda found: found is None or backup.wait_outcome(found.get(status_key), backup.AVAILABLE, failed) != "waiting",
        module.params["wait_timeout"])
    found = outcome["result"]
    if found is None:
        module.fail_json(msg="%s disappeared while waiting for it to become available" % what, changed=True)
    if found.get(status_key) != backup.AVAILABLE:
        hint = ("the restore failed: see its RDS events, then delete it (state: absent) before trying again"
                if found.get(status_key) in failed else
                "still %s after %s s: raise wait_timeout, or run again later (it is not restored twice)"
                % (found.get(status_key), module.params["wait_timeout"]))
        module.fail_json(msg="%s is %s: %s" % (what, found.get(status_key), hint), changed=True)
    return found


def _wait_cluster(module, conn, cluster_id):
    return _wait(module, lambda: rds_snapshots.describe_cluster(module, conn, cluster_id), "Status", CLUSTER_FAILED,
                 "restored cluster %s" % cluster_id)


def _wait_instance(module, conn, instance_id):
    return _wait(module, lambda: rds.describe_instance(module, conn, instance_id), "DBInstanceStatus", backup.INSTANCE_FAILED,
                 "instance %s of the restored cluster" % instance_id)


def _mark_created(module):
    fail = module.fail_json

    def fail_json(**kwargs):
        kwargs.setdefault("created", True)
        fail(**kwargs)

    module.fail_json = fail_json


def _instance_ids(cluster):
    return sorted(m.get("DBInstanceIdentifier") for m in (cluster or {}).get("DBClusterMembers") or [])


def absent(module, conn):
    params = module.params
    cluster_id = params["cluster_id"]
    found = rds_snapshots.describe_cluster(module, conn, cluster_id)
    if found is None:
        module.exit_json(changed=False, instance=None, cluster=None, restored_from=None, duration_seconds=None)
    summary = backup.cluster_summary(found)
    label = summary["tags"].get(backup.RESTORED_FROM_TAG)
    if params["only_if_restored"] and label is None:
        module.fail_json(msg="cluster %s has no %s tag, so it was not restored by rds_restore: refusing to delete it "
                         "(set only_if_restored: false to delete it anyway)" % (cluster_id, backup.RESTORED_FROM_TAG))
    if found.get("DeletionProtection"):
        module.fail_json(msg="cluster %s has deletion protection on: turn it off before deleting it" % cluster_id)
    members = _instance_ids(found)
    extra = {"diff": {"before": {"cluster_id": summary["id"], "instances": members, "restored_from": label}, "after": {}}} \
        if module._diff else {}
    if module.check_mode:
        module.exit_json(changed=True, instance=None, cluster=None, restored_from=label, duration_seconds=None, **extra)
    started = time.monotonic()
    for instance_id in members:
        rds_snapshots.delete_instance(module, conn, instance_id, True, None, True)
    for instance_id in members:  # a cluster with members cannot be deleted
        outcome = waiting.poll_until(lambda i=instance_id: rds.describe_instance(module, conn, i), lambda still: still is None,
                                     params["wait_timeout"])
        if outcome["result"] is not None:
            module.fail_json(msg="instance %s of cluster %s is still %s after %s s: raise wait_timeout or run again later"
                             % (instance_id, cluster_id, outcome["result"].get("DBInstanceStatus"), params["wait_timeout"]),
                             changed=True)
    rds_snapshots.delete_cluster(module, conn, cluster_id)
    duration = None
    if params["wait"]:
        outcome = waiting.poll_until(lambda: rds_snapshots.describe_cluster(module, conn, cluster_id), lambda still: still is None,
                                     params["wait_timeout"])
        if outcome["result"] is not None:
            module.fail_json(msg="cluster %s is still %s after %s s: raise wait_timeout or check it later"
                             % (cluster_id, outcome["result"].get("Status"), params["wait_timeout"]), changed=True)
        duration = round(time.monotonic() - started, 3)
    module.exit_json(changed=True, instance=None, cluster=None, restored_from=label, duration_seconds=duration, **extra)


def _request(params):
    """(point_in_time, restore_time or None, label); BackupError for a request that cannot be carried out."""
    pitr = bool(params["source_cluster_id"])
    if params["source_instance_id"]:
        raise backup.BackupError("with cluster_id, restore to a point in time of source_cluster_id (an Aurora cluster), "
                                 "not source_instance_id")
    if not params["instance_id"]:
        raise backup.BackupError("with cluster_id, give instance_id too: the DB instance created in the restored cluster "
                                 "(an Aurora cluster without an instance serves nothing)")
    if backup.RESTORED_FROM_TAG in (params["tags"] or {}):
        raise backup.BackupError("tags may not set %s: the module sets it to what the cluster is restored from"
                                 % backup.RESTORED_FROM_TAG)
    if pitr and bool(params["restore_time"]) == bool(params["use_latest_restorable_time"]):
        raise backup.BackupError("a point-in-time restore needs exactly one of restore_time and use_latest_restorable_time")
    if not pitr and (params["restore_time"] or params["use_latest_restorable_time"]):
        raise backup.BackupError("restore_time and use_latest_restorable_time need source_cluster_id (the cluster whose "
                                 "data to restore)")
    if not pitr and not params["snapshot_id"]:
        raise backup.BackupError("give snapshot_id (a cluster snapshot) or source_cluster_id to restore from")
    restore_time = backup.parse_time(params["restore_time"]) if params["restore_time"] else None
    label = backup.restored_from_label(params["snapshot_id"], params["source_cluster_id"], restore_time,
                                       params["use_latest_restorable_time"])
    return pitr, restore_time, label


def _source(module, conn, pitr, restore_time):
    """(template entry for the prediction, window or None): the source cluster or snapshot, refused when unusable."""
    params = module.params
    if pitr:
        source = rds_snapshots.describe_cluster(module, conn, params["source_cluster_id"])
        if source is None:
            module.fail_json(msg="source cluster %s not found in %s: point-in-time restores stay in the source's region"
                             % (params["source_cluster_id"], module.region))
        window = None
        try:
            window = backup.cluster_restore_window(source, datetime.datetime.now(backup.UTC))
            if restore_time is not None:
                backup.check_in_window(restore_time, window, params["source_cluster_id"])
        except backup.BackupError as e:
            module.fail_json(msg=str(e), window=window)
        return source, window
    snapshot = rds_snapshots.describe_snapshot(module, conn, params["snapshot_id"], cluster=True)
    if snapshot is None:
        module.fail_json(msg="cluster snapshot %s not found in %s: check snapshot_id and region (copy it here first with "
                         "rds_snapshot_copy)" % (params["snapshot_id"], module.region))
    if snapshot.get("Status") != backup.AVAILABLE:
        module.fail_json(msg="cluster snapshot %s is %s: only an available snapshot can be restored"
                         % (params["snapshot_id"], snapshot.get("Status")))
    return snapshot, None


def present(module, conn):
    params = module.params
    cluster_id, instance_id = params["cluster_id"], params["instance_id"]
    try:
        pitr, restore_time, label = _request(params)
    except backup.BackupError as e:
        module.fail_json(msg=str(e))

    template, window = None, None
    existing = rds_snapshots.describe_cluster(module, conn, cluster_id)
    if existing is not None:
        if not backup.restored_from_matches(existing, label):
            found = backup.tags_to_dict(existing.get("TagList")).get(backup.RESTORED_FROM_TAG)
            module.fail_json(msg="cluster %s exists and was not restored from %s (%s): pick another cluster_id or delete it"
                             % (cluster_id, label, "its %s tag says %s" % (backup.RESTORED_FROM_TAG, found) if found
                                else "it has no %s tag" % backup.RESTORED_FROM_TAG))
    else:
        template, window = _source(module, conn, pitr, restore_time)

    tags = dict(backup.normalise_tags(params["tags"]), **{backup.RESTORED_FROM_TAG: label})
    instance = rds.describe_instance(module, conn, instance_id)
    if instance is not None and not backup.same_id(instance.get("DBClusterIdentifier"), cluster_id):
        module.fail_json(msg="instance %s exists and is not in cluster %s: pick another instance_id" % (instance_id, cluster_id))
    if existing is not None and instance is not None:  # an earlier run did it all: only wait
        if params["wait"] and not module.check_mode:
            existing = _wait_cluster(module, conn, cluster_id)
            instance = _wait_instance(module, conn, instance_id)
        module.exit_json(changed=False, instance=backup.instance_summary(instance), cluster=backup.cluster_summary(existing),
                         restored_from=label, duration_seconds=None, created=False)

    diff = {"before": {}, "after": {"cluster_id": cluster_id.lower(), "instance_id": instance_id.lower(), "restored_from": label,
                                    "instance_class": params["db_instance_class"],
                                    "db_subnet_group_name": params["db_subnet_group_name"],
                                    "vpc_security_group_ids": params["vpc_security_group_ids"], "tags": tags}}
    extra = {"diff": diff} if module._diff else {}
    if existing is None and window is not None:
        extra["window"] = window
    if module.check_mode:
        source = existing or template
        predicted = {"id": instance_id.lower(), "arn": None, "status": None, "endpoint": {"address": None, "port": None},
                     "engine": source.get("Engine"), "engine_version": source.get("EngineVersion"),
                     "instance_class": params["db_instance_class"], "db_name": source.get("DatabaseName"), "multi_az": False,
                     "deletion_protection": params["deletion_protection"], "created": None, "tags": tags}
        module.exit_json(changed=True, instance=predicted, cluster=None, restored_from=label, duration_seconds=None,
                         created=False, **extra)

    started = time.monotonic()
    _mark_created(module)
    if existing is None:
        call = {"DBClusterIdentifier": cluster_id, "Engine": template.get("Engine"), "Tags": backup.dict_to_tags(tags),
                "DBSubnetGroupName": params["db_subnet_group_name"], "VpcSecurityGroupIds": params["vpc_security_group_ids"],
                "DeletionProtection": params["deletion_protection"]}
        if pitr:
            call.update(SourceDBClusterIdentifier=params["source_cluster_id"], RestoreType="full-copy")
            if restore_time is not None:
                call["RestoreToTime"] = restore_time
            else:
                call["UseLatestRestorableTime"] = True
            call.pop("Engine")
        else:
            call["SnapshotIdentifier"] = params["snapshot_id"]
        existing = rds_snapshots.restore_cluster(module, conn, dict((k, v) for k, v in call.items() if v is not None), pitr)
    cluster = _wait_cluster(module, conn, cluster_id) if params["wait"] else existing
    if instance is None:
        call = {"DBInstanceIdentifier": instance_id, "DBClusterIdentifier": cluster_id,
                "Engine": (cluster or existing or template).get("Engine"),
                "DBInstanceClass": params["db_instance_class"], "DBParameterGroupName": params["db_parameter_group_name"],
                "PubliclyAccessible": params["publicly_accessible"], "Tags": backup.dict_to_tags(tags)}
        instance = rds_snapshots.create_cluster_instance(module, conn, dict((k, v) for k, v in call.items() if v is not None))
    duration = None
    if params["wait"]:
        instance = _wait_instance(module, conn, instance_id)
        duration = round(time.monotonic() - started, 3)
    cluster = rds_snapshots.describe_cluster(module, conn, cluster_id) or cluster  # with its member
    module.exit_json(changed=True, instance=backup.instance_summary(instance),
                     cluster=backup.cluster_summary(cluster) if cluster else None, restored_from=label,
                     duration_seconds=duration, created=True, **extra)


def run(module, conn):
    """rds_restore's cluster_id path."""
    if module.params["state"] == "absent":
        absent(module, conn)
    present(module, conn)
