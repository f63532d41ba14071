"""Hooks that make moto's RDS API drive the data plane (plane.py), in the daemon process.

Each wrapped RDSResponse action runs moto's own handler first: a call moto refuses changes nothing. Then the data
plane applies the call before the answer leaves, so that when a runbook sees a snapshot or an instance, its data is
there — whatever order the calls come in. Checks moto does not make but RDS does (a restore time outside the
restorable window, a snapshot the sandbox holds no data for) are made *before* moto's handler, with RDS's error
codes. When the data plane itself fails, the error is logged, listed by `/health`, and the resource reads as RDS
shows a broken one (instance `incompatible-restore` or `failed`, snapshot `failed`).

Only postgres-engine instances get data; other engines keep moto's record-only behaviour.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Any, Callable

from sandbox.rdsdata.plane import DataPlane, DataPlaneError

log = logging.getLogger("sandbox.rdsdata.hooks")
UNREACHABLE_PORT = 1  # nothing listens on 127.0.0.1:1: connections to a failed instance are refused


def _split_arn(identifier: str, default_region: str) -> tuple[str, str]:
    """(region, name) of `arn:aws:rds:<region>:<account>:<type>:<name>` or of a plain identifier."""
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        return parts[3], parts[-1]
    return default_region, identifier


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


class Hooks:
    def __init__(self, plane: DataPlane):
        self.plane = plane

    # -- moto access -----------------------------------------------------------------------------------------------
    @staticmethod
    def _db(resp: Any, instance_id: str):
        return resp.backend.databases.get(instance_id)

    def _has_data(self, resp: Any, instance_id: str) -> bool:
        db = self._db(resp, instance_id)
        return db is not None and str(db.engine).lower() == "postgres"

    def _publish(self, resp: Any, instance_id: str) -> None:
        """The instance's Endpoint.Port becomes its server's real port (the address stays moto's name)."""
        db = self._db(resp, instance_id)
        inst = self.plane.instances.get((resp.region, instance_id))
        if db is not None and inst is not None:
            db.port = inst.server.port

    def _fail_instance(self, resp: Any, instance_id: str, status: str, op: str, exc: BaseException) -> None:
        self.plane.record_error(op, f"{resp.region}/{instance_id}", exc)
        db = self._db(resp, instance_id)
        if db is not None:
            db.status = status
            # moto copied the source's port into the new record: never let a client reach the source through it.
            db.port = UNREACHABLE_PORT

    # -- actions ---------------------------------------------------------------------------------------------------
    def create_db_instance(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if not self._has_data(resp, iid):
            return
        try:
            self.plane.create_instance(resp.region, iid, params.get("DBName"), params.get("MasterUsername") or "postgres",
                                       params.get("MasterUserPassword") or "")
            self._publish(resp, iid)
        except Exception as exc:  # noqa: BLE001 - reported through the API's status and /health
            self._fail_instance(resp, iid, "failed", "create", exc)

    @staticmethod
    def before_create_replica(resp: Any, params: dict[str, Any]) -> Any:
        """moto looks a cross-region replica's DBSubnetGroupName up in the *source* region (NotFound, where RDS
        uses the replica's region): hold it back from moto's handler and set it once the replica exists."""
        return resp.params.pop("DBSubnetGroupName", None) if params.get("DBSubnetGroupName") else None

    def create_db_instance_read_replica(self, resp: Any, params: dict[str, Any], subnet_group: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if subnet_group:
            resp.backend.modify_db_instance(iid, {"db_subnet_group_name": subnet_group})
        if not self._has_data(resp, iid):
            return
        src_region, src_id = _split_arn(params["SourceDBInstanceIdentifier"], resp.region)
        try:
            self.plane.create_replica(resp.region, iid, src_region, src_id)
            self._publish(resp, iid)
        except Exception as exc:  # noqa: BLE001
            self._fail_instance(resp, iid, "failed", "create-replica", exc)

    def promote_read_replica(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        self._detach_record(resp, iid)
        if (resp.region, iid) not in self.plane.instances:
            return
        try:
            self.plane.promote(resp.region, iid)
        except Exception as exc:  # noqa: BLE001
            self._fail_instance(resp, iid, "failed", "promote", exc)

    @staticmethod
    def _detach_record(resp: Any, instance_id: str) -> None:
        """RDS clears a promoted replica's source and drops it from the source's replica list; moto keeps both."""
        db = resp.backend.databases.get(instance_id)
        if db is None or not db.source_db_instance_identifier:
            return
        try:
            source = resp.backend.find_db_from_id(db.source_db_instance_identifier)
        except Exception:  # noqa: BLE001 - the source is gone: nothing lists the replica any more
            source = None
        if source is not None:
            source.replicas = [r for r in source.replicas if r not in (db.db_instance_identifier, db.db_instance_arn)]
        db.source_db_instance_identifier = None

    def create_db_snapshot(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid, sid = params["DBInstanceIdentifier"], params["DBSnapshotIdentifier"]
        if (resp.region, iid) not in self.plane.instances:
            return
        try:
            self.plane.snapshot(resp.region, sid, iid)
        except Exception as exc:  # noqa: BLE001
            self.plane.record_error("snapshot", f"{resp.region}/{sid}", exc)
            snap = resp.backend.database_snapshots.get(sid)
            if snap is not None:
                snap.status = "failed"

    def copy_db_snapshot(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        src_region, src_id = _split_arn(params["SourceDBSnapshotIdentifier"], resp.region)
        target = params["TargetDBSnapshotIdentifier"]
        if not self.plane.has_snapshot(src_region, src_id):
            return
        try:
            self.plane.copy_snapshot(src_region, src_id, resp.region, target)
        except Exception as exc:  # noqa: BLE001
            self.plane.record_error("copy-snapshot", f"{resp.region}/{target}", exc)
            snap = resp.backend.database_snapshots.get(target)
            if snap is not None:
                snap.status = "failed"

    def delete_db_snapshot(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        self.plane.delete_snapshot(resp.region, params["DBSnapshotIdentifier"])

    def before_restore_from_snapshot(self, resp: Any, params: dict[str, Any]) -> Any:
        """Which data the restore will get: a snapshot backup, or (automated snapshot) a point in time."""
        _, sid = _split_arn(params["DBSnapshotIdentifier"], resp.region)
        if self.plane.has_snapshot(resp.region, sid):
            return ("snapshot", sid)
        snap = resp.backend.database_snapshots.get(sid)
        if snap is None or str(snap.database.engine).lower() != "postgres":
            return None  # moto answers (not found) or no data plane for this engine
        source = snap.database.db_instance_identifier
        if snap.snapshot_type == "automated":
            try:
                start, _ = self.plane.restorable_window(resp.region, source)
            except DataPlaneError:
                start = None
            if start is not None:
                return ("time", source, max(_as_datetime(snap.created), start))
        from moto.rds.exceptions import RDSClientError

        raise RDSClientError("InvalidDBSnapshotState",
                             f"The sandbox holds no data for DB snapshot {sid} (taken before its source had data, "
                             "or its capture failed: see `python -m sandbox status`)")

    def restore_db_instance_from_db_snapshot(self, resp: Any, params: dict[str, Any], pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if pre is None or not self._has_data(resp, iid):
            return
        try:
            if pre[0] == "snapshot":
                self.plane.restore_from_snapshot(resp.region, iid, pre[1])
            else:
                self.plane.restore_to_time(resp.region, iid, pre[1], pre[2])
            self._publish(resp, iid)
        except Exception as exc:  # noqa: BLE001
            self._fail_instance(resp, iid, "incompatible-restore", "restore-snapshot", exc)

    def before_restore_to_time(self, resp: Any, params: dict[str, Any]) -> Any:
        """RDS refuses a restore time outside the source's window (InvalidRestoreFault); moto would accept any."""
        _, source = _split_arn(params.get("SourceDBInstanceIdentifier") or "", resp.region)
        if _truthy(params.get("UseLatestRestorableTime")) or not params.get("RestoreTime"):
            when = None
        else:
            when = _as_datetime(params["RestoreTime"])
        try:
            start, end = self.plane.restorable_window(resp.region, source)
        except DataPlaneError:
            return None  # not a postgres instance of ours (moto answers NotFound for unknown ones)
        if when is not None and not start <= when <= end:
            from moto.rds.exceptions import RDSClientError

            raise RDSClientError("InvalidRestoreFault",
                                 f"Restore time {when.isoformat()} is outside the restorable window of {source}: "
                                 f"{start.isoformat()} to {end.isoformat()}")
        return (source, when)

    def restore_db_instance_to_point_in_time(self, resp: Any, params: dict[str, Any], pre: Any) -> None:
        iid = params["TargetDBInstanceIdentifier"]
        if pre is None or not self._has_data(resp, iid):
            return
        try:
            self.plane.restore_to_time(resp.region, iid, pre[0], pre[1])
            self._publish(resp, iid)
        except Exception as exc:  # noqa: BLE001
            self._fail_instance(resp, iid, "incompatible-restore", "restore-to-time", exc)

    def delete_db_instance(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if (resp.region, iid) not in self.plane.instances:
            return
        final = None if _truthy(params.get("SkipFinalSnapshot")) else params.get("FinalDBSnapshotIdentifier")
        keep = params.get("DeleteAutomatedBackups") is not None and not _truthy(params.get("DeleteAutomatedBackups"))
        try:
            self.plane.delete_instance(resp.region, iid, final_snapshot=final, keep_automated_backups=keep)
        except Exception as exc:  # noqa: BLE001
            self.plane.record_error("delete", f"{resp.region}/{iid}", exc)

    def stop_db_instance(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if (resp.region, iid) in self.plane.instances:
            if params.get("DBSnapshotIdentifier"):
                self.plane.snapshot(resp.region, params["DBSnapshotIdentifier"], iid)
            self.plane.stop_instance(resp.region, iid)

    def start_db_instance(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if (resp.region, iid) in self.plane.instances:
            self.plane.start_instance(resp.region, iid)

    def reboot_db_instance(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        if (resp.region, iid) in self.plane.instances:
            self.plane.reboot_instance(resp.region, iid)

    def modify_db_instance(self, resp: Any, params: dict[str, Any], _pre: Any) -> None:
        iid = params["DBInstanceIdentifier"]
        new_id = params.get("NewDBInstanceIdentifier")
        if (resp.region, iid) not in self.plane.instances:
            return
        if new_id and new_id != iid:
            self.plane.rename_instance(resp.region, iid, new_id)
            iid = new_id
        if params.get("MasterUserPassword"):
            self.plane.set_master_password(resp.region, iid, params["MasterUserPassword"])
        self._publish(resp, iid)


BEFORE = {"create_db_instance_read_replica": "before_create_replica",
          "restore_db_instance_from_db_snapshot": "before_restore_from_snapshot",
          "restore_db_instance_to_point_in_time": "before_restore_to_time"}
ACTIONS = ("create_db_instance", "create_db_instance_read_replica", "promote_read_replica", "create_db_snapshot",
           "copy_db_snapshot", "delete_db_snapshot", "restore_db_instance_from_db_snapshot",
           "restore_db_instance_to_point_in_time", "delete_db_instance", "stop_db_instance", "start_db_instance",
           "reboot_db_instance", "modify_db_instance")
_ORIGINALS: dict[str, Callable[..., Any]] = {}


def _remove_replica(self: Any, replica: Any) -> None:
    """moto lists a cross-region replica on its source by ARN but removes it by identifier (ValueError: the
    delete of such a replica answers 500); remove whichever form is listed."""
    self.replicas = [r for r in self.replicas if r not in (replica.db_instance_identifier, replica.db_instance_arn)]


def install(plane: DataPlane) -> Hooks:
    """Wrap moto's RDSResponse actions (in this process) so that they drive `plane`. Idempotent."""
    from moto.rds.models import DBInstance
    from moto.rds.responses import RDSResponse

    DBInstance.remove_replica = _remove_replica

    hooks = Hooks(plane)
    for action in ACTIONS:
        original = _ORIGINALS.setdefault(action, getattr(RDSResponse, action))
        before = getattr(hooks, BEFORE[action]) if action in BEFORE else None
        after = getattr(hooks, action)

        def wrapper(self: Any, _original=original, _before=before, _after=after) -> Any:
            # A copy (moto's handlers mutate theirs), still answering both PascalCase and snake_case keys.
            params = type(self.params)(self.params)
            pre = _before(self, params) if _before else None
            result = _original(self)
            _after(self, params, pre)
            return result

        setattr(RDSResponse, action, functools.wraps(original)(wrapper))
    from sandbox.rdsdata import backup_replication

    backup_replication.install(plane)  # replicated automated backups: over the PITR wrapper above
    return hooks
