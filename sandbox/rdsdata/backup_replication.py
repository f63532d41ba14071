"""Cross-region replicated automated backups, with data (moto 5.2.5 has none of the calls).

| RDS call (in the destination region)              | what the sandbox does                                      |
|---------------------------------------------------|------------------------------------------------------------|
| StartDBInstanceAutomatedBackupsReplication         | a replication record: source instance -> this region       |
| StopDBInstanceAutomatedBackupsReplication          | the record stops (its window stays, frozen at the stop)    |
| DescribeDBInstanceAutomatedBackups                 | moto's own list plus the replicated backups of the region, |
|                                                    | each with its RestoreWindow (EarliestTime, LatestTime)     |
| RestoreDBInstanceToPointInTime with                | a new instance in this region from the source's base       |
|   SourceDBInstanceAutomatedBackupsArn              | backup + WAL archive, replayed up to the time asked        |
| DeleteDBInstanceAutomatedBackup (replicated ARN)   | the record is gone                                         |

The data are the source's own (plane.py keeps one base backup and WAL archive per writable instance); what makes
them "replicated" is the window: RDS copies backups to the other region minutes behind, so the latest restorable
time in DR trails the source's by the replication delay (`delay_seconds`, default DEFAULT_DELAY_SECONDS; a knob:
`python -m sandbox knob backup-replication --delay N | --pause | --resume`). While paused (a region cut off, a broken
copy) the latest time stops moving and grows old: what the restore-based DR runbooks' RPO gate looks at. A restore
asks for a time inside that window (InvalidRestoreFault otherwise), so a restore "latest" in DR loses the commits of
the last `delay_seconds` before it: the RPO a drill measures with markers.

Restores read the source's backups in the data plane; a source deleted with its automated backups retained
(DeleteAutomatedBackups false) still restores; one deleted with them does not (the sandbox keeps no second copy).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import logging
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from sandbox.rdsdata.plane import DataPlane, DataPlaneError

log = logging.getLogger("sandbox.rdsdata.backup_replication")
DEFAULT_DELAY_SECONDS = 5.0
# DBInstance attributes a restore in DR takes from the source (RDS: the engine, storage and login come from the
# backup; network, class and parameter group from the request or the region's defaults).
KEPT = ("engine", "engine_version", "db_instance_class", "allocated_storage", "storage_type", "iops", "db_name",
        "master_username", "port", "license_model", "storage_encrypted", "multi_az",
        "backup_retention_period", "copy_tags_to_snapshot", "auto_minor_version_upgrade", "character_set_name")
OVERRIDES = {"DBInstanceClass": "db_instance_class", "DBSubnetGroupName": "db_subnet_group_name",
             "DBParameterGroupName": "db_parameter_group_name", "MultiAZ": "multi_az", "Port": "port",
             "StorageType": "storage_type", "PubliclyAccessible": "publicly_accessible",
             "DeletionProtection": "deletion_protection", "CopyTagsToSnapshot": "copy_tags_to_snapshot",
             "AvailabilityZone": "availability_zone", "OptionGroupName": "option_group_name",
             "DBName": "db_name"}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Replication:
    arn: str
    region: str  # the destination
    source_region: str
    source_id: str
    source_arn: str
    dbi_resource_id: str
    retention_days: int
    kms_key_id: str | None
    source_props: dict[str, Any]
    started_at: dt.datetime = field(default_factory=utcnow)
    delay_seconds: float = DEFAULT_DELAY_SECONDS
    paused_at: dt.datetime | None = None
    stopped_at: dt.datetime | None = None

    def window(self, plane: DataPlane) -> tuple[dt.datetime, dt.datetime] | None:
        """(earliest, latest) restorable time in the destination, or None while nothing has arrived yet."""
        try:
            start, end = plane.restorable_window(self.source_region, self.source_id)
        except DataPlaneError:
            return None
        earliest = max(start, self.started_at)
        frozen = min(t for t in (self.paused_at, self.stopped_at, utcnow()) if t is not None)
        latest = min(end, frozen - dt.timedelta(seconds=self.delay_seconds))
        return (earliest, latest) if latest >= earliest else None

    def status(self) -> str:
        return "retained" if self.stopped_at else "replicating"

    def describe(self, plane: DataPlane) -> dict[str, Any]:
        p = self.source_props
        out: dict[str, Any] = {
            "DBInstanceArn": self.source_arn, "DbiResourceId": self.dbi_resource_id, "Region": self.source_region,
            "DBInstanceIdentifier": self.source_id, "Status": self.status(), "Port": p.get("port"),
            "AllocatedStorage": p.get("allocated_storage"), "Engine": p.get("engine"),
            "EngineVersion": p.get("engine_version"), "MasterUsername": p.get("master_username"),
            "InstanceCreateTime": self.started_at, "Encrypted": bool(p.get("storage_encrypted")),
            "StorageType": p.get("storage_type") or "gp2", "KmsKeyId": self.kms_key_id,
            "DBInstanceAutomatedBackupsArn": self.arn, "BackupRetentionPeriod": self.retention_days,
            "RestoreWindow": {}}
        window = self.window(plane)
        if window:
            out["RestoreWindow"] = {"EarliestTime": window[0], "LatestTime": window[1]}
        return out

    def state(self, plane: DataPlane) -> dict[str, Any]:
        """The knob's and `/rds/backup-replication`'s view (JSON)."""
        window = self.window(plane)
        return {"arn": self.arn, "region": self.region, "source_region": self.source_region,
                "source_id": self.source_id, "status": self.status(), "delay_seconds": self.delay_seconds,
                "paused": self.paused_at is not None,
                "earliest": window[0].isoformat() if window else None,
                "latest": window[1].isoformat() if window else None}


class BackupReplication:
    def __init__(self, plane: DataPlane):
        self.plane = plane
        self.lock = threading.RLock()
        self.records: dict[str, Replication] = {}

    def reset(self) -> None:
        with self.lock:
            self.records.clear()

    def find(self, region: str, source_arn: str | None = None, arn: str | None = None) -> Replication | None:
        for rec in self.records.values():
            if rec.region == region and (arn is None or rec.arn == arn) and \
                    (source_arn is None or rec.source_arn == source_arn):
                return rec
        return None

    def configure(self, delay_seconds: float | None = None, paused: bool | None = None,
                  source_id: str | None = None) -> list[dict[str, Any]]:
        """The knob: every replication (or the one of `source_id`) gets the delay and/or is paused or resumed."""
        with self.lock:
            recs = [r for r in self.records.values() if source_id in (None, r.source_id)]
            if not recs:
                raise ValueError("no replicated automated backups" + (f" of {source_id}" if source_id else "") +
                                 " (StartDBInstanceAutomatedBackupsReplication in the DR region starts them)")
            for rec in recs:
                if delay_seconds is not None:
                    if delay_seconds < 0:
                        raise ValueError("delay seconds must be >= 0")
                    rec.delay_seconds = float(delay_seconds)
                if paused is True and rec.paused_at is None:
                    rec.paused_at = utcnow()
                elif paused is False:
                    rec.paused_at = None
            return [r.state(self.plane) for r in recs]

    def status(self) -> list[dict[str, Any]]:
        with self.lock:
            return [r.state(self.plane) for r in self.records.values()]


def _error(code: str, message: str) -> Exception:
    from moto.rds.exceptions import RDSClientError

    return RDSClientError(code, message)


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    parsed = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


def _source_instance(resp: Any, source_arn: str) -> Any:
    from moto.rds.models import rds_backends

    parts = source_arn.split(":")
    if len(parts) < 7 or parts[5] != "db":
        raise _error("InvalidParameterValue", f"SourceDBInstanceArn {source_arn!r} is not a DB instance ARN")
    region, iid = parts[3], parts[6]
    if region == resp.region:
        raise _error("InvalidParameterValue", "automated backups replicate to another region: call "
                                              "StartDBInstanceAutomatedBackupsReplication in the destination region")
    db = rds_backends[resp.current_account][region].databases.get(iid)
    if db is None:
        raise _error("DBInstanceNotFound", f"DBInstance {source_arn} not found.")
    return db


def _props(db: Any) -> dict[str, Any]:
    return {k: copy.deepcopy(getattr(db, k, None)) for k in KEPT}


def install(plane: DataPlane) -> BackupReplication:
    """Add the calls to moto's RDSResponse (in this process). Idempotent; after rdsdata.hooks' own wrappers (its
    RestoreDBInstanceToPointInTime is what a restore without SourceDBInstanceAutomatedBackupsArn still runs), before
    timing.install (which times the restore)."""
    from moto.core.responses import ActionResult
    from moto.rds.responses import RDSResponse

    state = BackupReplication(plane)
    INSTALLED["state"] = state
    original_reset = plane.reset

    def reset() -> None:
        state.reset()
        original_reset()

    plane.reset = reset  # type: ignore[method-assign]
    originals = {name: _ORIGINALS.setdefault(name, getattr(RDSResponse, name, None))
                 for name in ("describe_db_instance_automated_backups", "restore_db_instance_to_point_in_time",
                              "delete_db_instance_automated_backup")}

    def start_replication(self: Any) -> Any:
        source_arn = str(self.params.get("SourceDBInstanceArn") or "")
        db = _source_instance(self, source_arn)
        with state.lock:
            if state.find(self.region, source_arn=source_arn):
                raise _error("DBInstanceAutomatedBackupQuotaExceeded",
                             f"automated backups of {source_arn} already replicate to {self.region}")
            resource = "db-" + uuid.uuid5(uuid.NAMESPACE_URL, source_arn).hex[:26].upper()
            rec = Replication(
                arn=f"arn:aws:rds:{self.region}:{self.current_account}:auto-backup:ab-{uuid.uuid4().hex[:26]}",
                region=self.region, source_region=db.region, source_id=db.db_instance_identifier,
                source_arn=source_arn, dbi_resource_id=resource,
                retention_days=int(self.params.get("BackupRetentionPeriod") or 7),
                kms_key_id=self.params.get("KmsKeyId"), source_props=_props(db))
            state.records[rec.arn] = rec
            log.info("automated backups of %s replicate to %s (%s)", source_arn, self.region, rec.arn)
            return ActionResult({"DBInstanceAutomatedBackup": rec.describe(plane)})

    def stop_replication(self: Any) -> Any:
        source_arn = str(self.params.get("SourceDBInstanceArn") or "")
        with state.lock:
            rec = state.find(self.region, source_arn=source_arn)
            if rec is None:
                raise _error("InvalidDBInstanceState", f"automated backups of {source_arn} are not replicating to "
                                                       f"{self.region}")
            rec.stopped_at = rec.stopped_at or utcnow()
            return ActionResult({"DBInstanceAutomatedBackup": rec.describe(plane)})

    def describe(self: Any) -> Any:
        arn = self.params.get("DBInstanceAutomatedBackupsArn")
        iid = self.params.get("DBInstanceIdentifier")
        resource = self.params.get("DbiResourceId")
        with state.lock:
            mine = [r.describe(plane) for r in state.records.values() if r.region == self.region
                    and arn in (None, r.arn) and iid in (None, r.source_id) and resource in (None, r.dbi_resource_id)]
            sources = [r for r in state.records.values() if r.source_region == self.region]
        if arn:
            theirs = []
        else:
            theirs = []
            for backup in self.backend.describe_db_instance_automated_backups(db_instance_identifier=iid):
                entry = {"DBInstanceIdentifier": backup.db_instance_identifier, "Status": backup.status,
                         "Region": self.region}
                db = self.backend.databases.get(backup.db_instance_identifier)
                if db is not None:
                    entry.update({"DBInstanceArn": db.db_instance_arn, "Engine": db.engine,
                                  "EngineVersion": db.engine_version, "Port": db.port})
                    try:
                        start, end = plane.restorable_window(self.region, backup.db_instance_identifier)
                        entry["RestoreWindow"] = {"EarliestTime": start, "LatestTime": end}
                    except DataPlaneError:
                        pass
                replications = [{"DBInstanceAutomatedBackupsArn": r.arn} for r in sources
                                if r.source_id == backup.db_instance_identifier]
                if replications:
                    entry["DBInstanceAutomatedBackupsReplications"] = replications
                theirs.append(entry)
        if (arn or iid or resource) and not mine and not theirs:
            raise _error("DBInstanceAutomatedBackupNotFound",
                         f"No automated backup found for {arn or iid or resource} in {self.region}.")
        return ActionResult({"DBInstanceAutomatedBackups": theirs + mine})

    def delete_backup(self: Any) -> Any:
        arn = self.params.get("DBInstanceAutomatedBackupsArn")
        with state.lock:
            rec = state.find(self.region, arn=arn) if arn else None
            if rec is None:
                if originals["delete_db_instance_automated_backup"] is not None:
                    return originals["delete_db_instance_automated_backup"](self)
                raise _error("DBInstanceAutomatedBackupNotFound", f"No automated backup {arn} in {self.region}.")
            if not rec.stopped_at:
                raise _error("InvalidDBInstanceAutomatedBackupState",
                             f"{arn} is replicating: stop the replication first")
            described = rec.describe(plane)
            del state.records[rec.arn]
            return ActionResult({"DBInstanceAutomatedBackup": described})

    def restore_to_time(self: Any) -> Any:
        arn = self.params.get("SourceDBInstanceAutomatedBackupsArn")
        if not arn:
            return originals["restore_db_instance_to_point_in_time"](self)
        target = str(self.params.get("TargetDBInstanceIdentifier") or "")
        with state.lock:
            rec = state.find(self.region, arn=arn)
            if rec is None:
                raise _error("DBInstanceAutomatedBackupNotFound",
                             f"No automated backup {arn} in {self.region} (replicated backups are restored in the "
                             "region they replicate to).")
            if target in self.backend.databases:
                raise _error("DBInstanceAlreadyExists", "DB instance already exists")
            window = rec.window(plane)
            if window is None:
                raise _error("InvalidRestoreFault", f"{arn} has no restorable time yet (replication started "
                                                    f"{rec.started_at.isoformat()})")
            if _truthy(self.params.get("UseLatestRestorableTime")) or not self.params.get("RestoreTime"):
                when = window[1]
            else:
                when = _as_datetime(self.params["RestoreTime"])
                if not window[0] <= when <= window[1]:
                    raise _error("InvalidRestoreFault",
                                 f"Restore time {when.isoformat()} is outside the restorable window of {arn}: "
                                 f"{window[0].isoformat()} to {window[1].isoformat()}")
            kwargs = dict(rec.source_props)
            for param, key in OVERRIDES.items():
                if self.params.get(param) not in (None, ""):
                    kwargs[key] = self.params[param]
            groups = self.params.get("VpcSecurityGroupIds")
            if groups:
                kwargs["vpc_security_group_ids"] = list(groups)
            kwargs["tags"] = list(self.params.get("Tags") or [])
            kwargs["db_instance_identifier"] = target
            if kwargs.get("db_subnet_group_name") is None:
                kwargs.pop("db_subnet_group_name", None)
            new = self.backend.create_db_instance(kwargs)
            try:
                inst = plane.restore_to_time(self.region, target, rec.source_id, when,
                                             source_region=rec.source_region)
                new.port = inst.server.port
            except Exception as exc:  # noqa: BLE001 - reported through the API's status and /health
                plane.record_error("restore-replicated-backup", f"{self.region}/{target}", exc)
                new.status, new.port = "incompatible-restore", 1
            return ActionResult({"DBInstance": new})

    RDSResponse.start_db_instance_automated_backups_replication = start_replication
    RDSResponse.stop_db_instance_automated_backups_replication = stop_replication
    RDSResponse.describe_db_instance_automated_backups = describe
    RDSResponse.delete_db_instance_automated_backup = delete_backup
    RDSResponse.restore_db_instance_to_point_in_time = functools.wraps(
        originals["restore_db_instance_to_point_in_time"])(restore_to_time)
    return state


_ORIGINALS: dict[str, Callable[..., Any] | None] = {}
INSTALLED: dict[str, BackupReplication] = {}



def seed(seeder: Any, primary: dict[str, Any]) -> dict[str, Any] | None:
    """Restore-based DR estates (cloudops_rds.dr_restore, source automated_backups or newest): the primary's
    automated backups replicate to the DR region, as the estate's team set up (aws_seed.Seeder.rds calls it)."""
    spec = (seeder.inv.get("cloudops_rds") or {}).get("dr_restore") or {}
    if not spec or str(spec.get("source") or "newest") == "snapshot_copy" or "dr" not in seeder.sides:
        return None
    rds_dr = seeder.client("rds", spec.get("region") or "dr")
    got = rds_dr.start_db_instance_automated_backups_replication(
        SourceDBInstanceArn=primary["DBInstanceArn"],
        BackupRetentionPeriod=int(seeder.seed["rds"]["backup_retention_days"]),
        KmsKeyId=str(spec.get("kms_key_id") or "alias/aws/rds"))["DBInstanceAutomatedBackup"]
    return {"arn": got["DBInstanceAutomatedBackupsArn"], "region": spec.get("region")}
