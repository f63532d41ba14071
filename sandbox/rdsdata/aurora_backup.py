"""Aurora cluster snapshots and cluster restores with data (the backup side of sandbox/rdsdata/aurora.py).

moto 5.2.5 keeps the records of cluster snapshots, but RestoreDBClusterFromSnapshot fails with HTTP 500 for a
snapshot of a global database member (KeyError in its copy of the cluster) and RestoreDBClusterToPointInTime copies
every attribute of the source, its global cluster membership included (the restored cluster would join the global
database). This module adds the data, and answers the two restores itself:

| RDS call                           | what happens                                                              |
|------------------------------------|---------------------------------------------------------------------------|
| CreateDBClusterSnapshot            | base backup of the cluster's server: its data at that moment              |
| CopyDBClusterSnapshot (any region) | the backup is copied                                                      |
| DeleteDBClusterSnapshot            | the backup is dropped                                                     |
| RestoreDBClusterFromSnapshot       | new standalone cluster, its server started on the snapshot's backup       |
| RestoreDBClusterToPointInTime      | new standalone cluster: the source's base backup + WAL replayed to the time |
| DeleteDBCluster with a final snapshot | the snapshot gets the data before the server goes (aurora.py)          |
| ModifyDBCluster MasterUserPassword | the master user's password changes on the cluster's server                 |

A restored cluster has no instances (as on AWS: CreateDBInstance with DBClusterIdentifier adds them, each answering
on the cluster's server, aurora.py), no global cluster, and the source's engine, version, master user and database
name; DBSubnetGroupName, VpcSecurityGroupIds, DBClusterParameterGroupName, Tags, KmsKeyId, Port (ignored: the
server's port), DeletionProtection, BackupRetentionPeriod come from the call. Point in time: the restorable window of
a cluster is that of its server (from its creation, restore or promotion to now; a secondary cluster has none):
EarliestRestorableTime is its start; a time outside it is refused with InvalidRestoreFault before anything changes.
moto's automated cluster snapshot (taken at the cluster's creation) holds no data of its own: its restore is the
source's point in time at its creation time (as hooks.py does for the instances' automated snapshots). Another
snapshot the sandbox holds no data for is refused with InvalidDBClusterSnapshotStateFault. In the data plane the cluster snapshot `<id>` is `cluster:<id>` (cluster and
DB snapshots are separate namespaces on AWS; aurora.cluster_snapshot_key).
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, Callable

from sandbox.rdsdata.aurora import ENGINE, Aurora, _error, _set_ports, _split_arn, data_key
from sandbox.rdsdata.aurora import cluster_snapshot_key as snapshot_key
from sandbox.rdsdata.plane import DataPlaneError

COPIED_ATTRIBUTES = ("engine", "engine_version", "master_username", "database_name", "storage_encrypted", "kms_key_id",
                     "db_cluster_parameter_group_name", "copy_tags_to_snapshot", "backup_retention_period")
OVERRIDES = {"DBSubnetGroupName": "db_subnet_group_name", "VpcSecurityGroupIds": "vpc_security_group_ids",
             "DBClusterParameterGroupName": "db_cluster_parameter_group_name", "KmsKeyId": "kms_key_id",
             "DeletionProtection": "deletion_protection", "BackupRetentionPeriod": "backup_retention_period",
             "CopyTagsToSnapshot": "copy_tags_to_snapshot", "EngineVersion": "engine_version",
             "DatabaseName": "database_name", "Tags": "tags"}


def _snapshot_ref(identifier: Any, default_region: str) -> tuple[str, str]:
    """(region, snapshot id) of a cluster snapshot ARN or id (an automated one's id holds a colon: `rds:...`)."""
    text = str(identifier or "")
    if text.startswith("arn:"):
        parts = text.split(":")
        return parts[3], ":".join(parts[6:])
    return default_region, text


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _tags(value: Any) -> list[dict[str, str]]:
    if isinstance(value, dict):  # moto's querystring parsing: {"Tag": [...]} or a list
        value = value.get("Tag") or value.get("member") or []
    return [{"Key": t.get("Key", t.get("key")), "Value": t.get("Value", t.get("value"))} for t in value or []]


def _ids(value: Any) -> list[str]:
    if isinstance(value, dict):
        value = value.get("VpcSecurityGroupId") or value.get("member") or []
    return [str(v) for v in value or []]


class BackupHooks:
    def __init__(self, aurora: Aurora):
        self.aurora = aurora
        self.plane = aurora.plane

    # -- snapshots -------------------------------------------------------------------------------------------------
    def _fail_snapshot(self, resp: Any, op: str, sid: str, exc: BaseException) -> None:
        self.plane.record_error(op, f"{resp.region}/{sid}", exc)
        snap = resp.backend.cluster_snapshots.get(sid)
        if snap is not None:
            snap.status = "failed"

    def create_db_cluster_snapshot(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        cid, sid = str(params["DBClusterIdentifier"]).lower(), params["DBClusterSnapshotIdentifier"]
        if not self.aurora.has(resp.region, cid):
            return
        try:
            snap = self.plane.snapshot(resp.region, snapshot_key(sid), data_key(cid))
            record = resp.backend.cluster_snapshots.get(sid)
            if record is not None:
                record.created = snap.taken_at
        except Exception as exc:  # noqa: BLE001 - reported through the snapshot's status and /health
            self._fail_snapshot(resp, "cluster-snapshot", sid, exc)

    def copy_db_cluster_snapshot(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        src_region, src_id = _snapshot_ref(params["SourceDBClusterSnapshotIdentifier"], resp.region)
        target = params["TargetDBClusterSnapshotIdentifier"]
        if not self.plane.has_snapshot(src_region, snapshot_key(src_id)):
            return
        try:
            snap = self.plane.copy_snapshot(src_region, snapshot_key(src_id), resp.region, snapshot_key(target))
            record = resp.backend.cluster_snapshots.get(target)
            if record is not None:  # a copy keeps the source's creation time (its data's moment)
                record.created = snap.taken_at
        except Exception as exc:  # noqa: BLE001
            self._fail_snapshot(resp, "copy-cluster-snapshot", target, exc)

    def delete_db_cluster_snapshot(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        self.plane.delete_snapshot(resp.region, snapshot_key(params["DBClusterSnapshotIdentifier"]))

    # -- restores (answered here: moto's handlers cannot restore a global database member) -------------------------
    def _new_cluster(self, resp: Any, params: dict[str, Any], source: Any) -> Any:
        cid = str(params["DBClusterIdentifier"]).lower()
        if cid in resp.backend.clusters:
            raise _error("DBClusterAlreadyExistsFault", f"DB cluster {cid} already exists.")
        props: dict[str, Any] = {k: getattr(source, k, None) for k in COPIED_ATTRIBUTES}
        props["db_cluster_parameter_group_name"] = getattr(source, "parameter_group", None)
        for key, attr in OVERRIDES.items():
            if params.get(key) is not None:
                value = params[key]
                if key == "Tags":
                    value = _tags(value)
                elif key == "VpcSecurityGroupIds":
                    value = _ids(value)
                elif key in ("DeletionProtection", "CopyTagsToSnapshot"):
                    value = _truthy(value)
                elif key == "BackupRetentionPeriod":
                    value = int(value)
                props[attr] = value
        props = {k: v for k, v in props.items() if v is not None}
        props["db_cluster_identifier"] = cid
        # moto requires a password record; the restored server keeps the source's (as on AWS): never read back.
        props["master_user_password"] = "restored-keeps-its-source-password"
        props["engine"] = params.get("Engine") or source.engine
        return resp.backend.create_db_cluster(props)

    def _serve(self, resp: Any, cluster: Any, restore: Callable[[], Any]) -> None:
        """Start the restored cluster's server; a failure reads as RDS shows it (incompatible-restore, no port)."""
        if cluster.engine != ENGINE:
            return
        try:
            inst = restore()
            _set_ports(cluster, inst.server.port)
            if inst.restorable_from is not None:
                cluster.earliest_restorable_time = inst.restorable_from
        except Exception as exc:  # noqa: BLE001 - reported through the API's status and /health
            self.plane.record_error("restore-cluster", f"{resp.region}/{cluster.db_cluster_identifier}", exc)
            cluster.status = "incompatible-restore"
            _set_ports(cluster, 1)

    def restore_db_cluster_from_snapshot(self, resp: Any) -> Any:
        from moto.core.responses import ActionResult

        params = resp.params
        region, sid = _snapshot_ref(params.get("SnapshotIdentifier"), resp.region)
        if region != resp.region:
            raise _error("InvalidParameterValue", f"Snapshot {params.get('SnapshotIdentifier')} is not in "
                                                  f"{resp.region}: copy it to this Region first.")
        snap = resp.backend.get_db_cluster_snapshot(sid)  # DBClusterSnapshotNotFoundFault
        source = snap.cluster
        has_data = self.plane.has_snapshot(resp.region, snapshot_key(sid))
        as_of = None if has_data else self._automated_point(resp.region, snap)
        if source.engine == ENGINE and not has_data and as_of is None:
            raise _error("InvalidDBClusterSnapshotStateFault",
                         f"The sandbox holds no data for DB cluster snapshot {sid} (its capture failed, or it was "
                         "taken of a cluster without a server: see `python -m sandbox status`)")
        cluster = self._new_cluster(resp, params, source)

        def restore() -> Any:
            if as_of is not None:  # an automated snapshot: the source's data as of the snapshot's time
                inst = self.plane.restore_to_time(resp.region, data_key(cluster.db_cluster_identifier),
                                                  data_key(source.db_cluster_identifier), as_of)
            else:
                inst = self.plane.restore_from_snapshot(resp.region, data_key(cluster.db_cluster_identifier),
                                                        snapshot_key(sid))
            inst.db_name = inst.db_name or source.database_name
            inst.master_user = inst.master_user or source.master_username
            return inst

        self._serve(resp, cluster, restore)
        return ActionResult({"DBCluster": cluster})

    def _automated_point(self, region: str, snap: Any) -> dt.datetime | None:
        """moto's automated cluster snapshots (one at creation) hold no data of their own: as hooks.py does for the
        instances' automated snapshots, their restore is the source's point in time at the snapshot's creation (no
        earlier than the source's window start). None: not automated, or no window in this region."""
        if snap.snapshot_type != "automated":
            return None
        try:
            start, end = self.plane.restorable_window(region, data_key(snap.cluster.db_cluster_identifier))
        except DataPlaneError:
            return None
        return min(max(_as_datetime(snap.created), start), end)

    def restore_db_cluster_to_point_in_time(self, resp: Any) -> Any:
        from moto.core.responses import ActionResult
        from moto.rds.exceptions import DBClusterNotFoundError

        params = resp.params
        _, source_id = _split_arn(str(params.get("SourceDBClusterIdentifier") or ""), resp.region)
        source = resp.backend.clusters.get(source_id)
        if source is None:
            raise DBClusterNotFoundError(source_id)
        latest = _truthy(params.get("UseLatestRestorableTime"))
        when = None if latest or not params.get("RestoreToTime") else _as_datetime(params["RestoreToTime"])
        if latest and params.get("RestoreToTime"):
            raise _error("InvalidParameterCombination", "Cannot specify both RestoreToTime and UseLatestRestorableTime")
        if not latest and when is None:
            raise _error("InvalidParameterCombination", "Either RestoreToTime or UseLatestRestorableTime is required")
        if source.engine == ENGINE:
            try:
                start, end = self.plane.restorable_window(resp.region, data_key(source_id))
            except DataPlaneError:
                raise _error("InvalidDBClusterStateFault",
                             f"DB cluster {source_id} has no automated backups to restore from (a secondary cluster "
                             "of a global database has none: restore from its primary)") from None
            if when is not None and not start <= when <= end:
                raise _error("InvalidRestoreFault",
                             f"Restore time {when.isoformat()} is outside the restorable window of {source_id}: "
                             f"{start.isoformat()} to {end.isoformat()}")
        cluster = self._new_cluster(resp, params, source)
        self._serve(resp, cluster, lambda: self.plane.restore_to_time(
            resp.region, data_key(cluster.db_cluster_identifier), data_key(source_id), when))
        return ActionResult({"DBCluster": cluster})

    # -- master password -------------------------------------------------------------------------------------------
    def modify_db_cluster(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        cid = str(params["DBClusterIdentifier"]).lower()
        if params.get("MasterUserPassword") and self.aurora.has(resp.region, cid):
            self.plane.set_master_password(resp.region, data_key(cid), params["MasterUserPassword"])


WRAPPED = ("create_db_cluster_snapshot", "copy_db_cluster_snapshot", "delete_db_cluster_snapshot", "modify_db_cluster")
REPLACED = ("restore_db_cluster_from_snapshot", "restore_db_cluster_to_point_in_time")
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def install(aurora: Aurora) -> BackupHooks:
    """Wrap / replace moto's RDS cluster snapshot and restore handlers (in this process). Idempotent; called by
    aurora.install."""
    from moto.rds.responses import RDSResponse

    hooks = BackupHooks(aurora)
    for action in WRAPPED:
        original = _ORIGINALS.setdefault(action, getattr(RDSResponse, action))

        def wrapper(self: Any, _original=original, _after=getattr(hooks, action)) -> Any:
            params = type(self.params)(self.params)
            result = _original(self)
            _after(self, params, None)
            return result

        setattr(RDSResponse, action, functools.wraps(original)(wrapper))
    for action in REPLACED:
        original = _ORIGINALS.setdefault(action, getattr(RDSResponse, action))

        def replacement(self: Any, _handler=getattr(hooks, action)) -> Any:
            return _handler(self)

        setattr(RDSResponse, action, functools.wraps(original)(replacement))
    return hooks
