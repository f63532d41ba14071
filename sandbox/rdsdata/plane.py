"""The RDS data plane: real PostgreSQL data behind moto's RDS control plane.

moto keeps the RDS *records*; this module keeps the *data*, following every RDS call that moves data (hooks.py
calls it from inside moto's request handlers, after moto accepted the call and before the answer leaves):

| RDS call                               | what happens to the data                                              |
|----------------------------------------|-----------------------------------------------------------------------|
| CreateDBInstance (postgres)            | new server from the template; master user and DBName created          |
| CreateDBInstanceReadReplica            | base backup of the source -> standby streaming through a lagged link  |
| CreateDBSnapshot / final snapshot      | base backup of the instance: its data at that moment                  |
| CopyDBSnapshot (any region)            | the backup is copied                                                  |
| RestoreDBInstanceFromDBSnapshot        | new server from the snapshot's backup (automated snapshots: PITR)     |
| RestoreDBInstanceToPointInTime         | the source's base backup + its archived WAL replayed up to the time   |
| PromoteReadReplica                     | link cut (undelivered WAL is lost), standby promoted, writable         |
| DeleteDBInstance                       | final snapshot if asked, server stopped, data dir dropped             |
| Stop/Start/RebootDBInstance, Modify    | server stopped/started/restarted; rename; master password change      |

Point-in-time granularity: every writable server archives its WAL; a restore replays it with
recovery_target_time, so it contains exactly the transactions committed at or before the requested time
(to the microsecond the API call carries). The restorable window of an instance starts when its first base backup
finished (at creation, restore or promotion) and ends now (or at its deletion).

Every operation runs under one lock: calls are applied in the order moto answered them.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
import shutil
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from sandbox.rdsdata.link import ReplicationLink
from sandbox.rdsdata.postgres import (
    REPLICATION_USER,
    PostgresError,
    Server,
    Toolbox,
    free_port,
    server_settings,
    write_file,
    write_settings,
)

log = logging.getLogger("sandbox.rdsdata")
ARCHIVE_TIMEOUT = 30.0
PROMOTE_TIMEOUT = 60


class DataPlaneError(RuntimeError):
    pass


class RestoreWindowError(DataPlaneError):
    """The requested restore time is outside the source's restorable window (RDS: InvalidRestoreFault)."""


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


@dataclass
class Instance:
    uid: str  # unique per incarnation: an identifier can be deleted and reused
    region: str
    instance_id: str
    server: Server
    archive_dir: Path
    db_name: str | None = None
    master_user: str | None = None
    role: str = "primary"  # primary (writable) | replica (standby following a link) | detached (standby, no source)
    source: tuple[str, str] | None = None  # (region, instance id) a replica follows
    link: ReplicationLink | None = None
    slot: str | None = None  # the replica's physical slot on its source
    base_dir: Path | None = None  # base backup PITR starts from
    restorable_from: dt.datetime | None = None
    restorable_until: dt.datetime | None = None  # set when the server stops for good; None = now
    created_at: dt.datetime = field(default_factory=utcnow)
    stopped: bool = False

    @property
    def key(self) -> tuple[str, str]:
        return (self.region, self.instance_id)


@dataclass
class Snapshot:
    region: str
    snapshot_id: str
    path: Path
    source_instance: str
    taken_at: dt.datetime


class DataPlane:
    def __init__(self, root: Path | None = None, tools: Toolbox | None = None):
        self.tools = tools or Toolbox.discover()
        self.root = root or self.tools.make_root()
        self.lock = threading.RLock()
        self.instances: dict[tuple[str, str], Instance] = {}
        self.retired: list[Instance] = []  # deleted instances whose automated backups are retained
        self.snapshots: dict[tuple[str, str], Snapshot] = {}
        self.errors: list[dict[str, Any]] = []
        self.replication_password = secrets.token_urlsafe(18)
        self.default_lag_seconds = 0.0
        for sub in ("servers", "snapshots", "archive", "bases", "run", "logs"):
            self.tools.make_dir(self.root / sub)
        self.template = self.root / "template"
        # initdb (~0.6 s) runs while the rest of the sandbox starts; the first instance waits for it.
        self._template_error: BaseException | None = None
        self._template_thread = threading.Thread(target=self._make_template, name="pg-template", daemon=True)
        self._template_thread.start()

    def _make_template(self) -> None:
        try:
            if not self.template.exists():
                self.tools.make_template(self.template)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the first create_instance
            self._template_error = exc

    def _wait_template(self) -> None:
        self._template_thread.join()
        if self._template_error is not None:
            raise DataPlaneError(f"initdb of the template cluster failed: {self._template_error}")

    # -- helpers ---------------------------------------------------------------------------------------------------
    def _new_server(self, uid: str, data_dir: Path) -> tuple[Server, Path]:
        archive = self.tools.make_dir(self.root / "archive" / uid)
        server = Server(self.tools, data_dir, free_port(), self.root / "run", self.root / "logs" / f"{uid}.log")
        return server, archive

    def _settings(self, server: Server, archive: Path, **extra: str) -> None:
        settings = server_settings(server.port, server.socket_dir, archive)
        settings.update(extra)
        write_settings(server.data_dir, settings, self.tools.user)

    def _uid(self, instance_id: str) -> str:
        return f"{instance_id}-{uuid.uuid4().hex[:8]}"

    def get(self, region: str, instance_id: str) -> Instance:
        try:
            return self.instances[(region, instance_id)]
        except KeyError:
            raise DataPlaneError(f"no data for DB instance {instance_id} in {region}") from None

    def _base_backup(self, server: Server, dest: Path, slot: str | None = None) -> dt.datetime:
        cmd = [self.tools.tool("pg_basebackup"), "-h", str(server.socket_dir), "-p", str(server.port),
               "-U", "postgres", "-D", str(dest), "-X", "stream", "-c", "fast", "--no-sync"]
        if slot:
            cmd += ["-S", slot]
        self.tools.run(cmd)
        return utcnow()

    def _take_pitr_base(self, inst: Instance) -> None:
        """The base backup point-in-time restores of this instance start from (its window opens here)."""
        dest = self.root / "bases" / inst.uid
        inst.restorable_from = self._base_backup(inst.server, dest)
        inst.base_dir = dest

    def _wait_writable(self, server: Server, timeout: float = PROMOTE_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.02
        while time.monotonic() < deadline:
            try:
                with server.connect() as conn:
                    if not conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]:
                        return
            except psycopg.OperationalError:  # restarting at the end of recovery
                pass
            time.sleep(delay)
            delay = min(delay * 2, 0.5)
        raise DataPlaneError(f"server {server.data_dir} still in recovery after {timeout:.0f} s:\n{server.log_tail()}")

    def _flush_archive(self, inst: Instance) -> dt.datetime:
        """Archive everything committed so far; returns a time T such that all commits <= T are archived.

        A commit record after T is archived too (recovery to a time needs to see a commit past it, or it fails
        with "recovery ended before configured recovery target was reached"): two empty transactions with an
        xid each (as RDS's own heartbeat writes do) around the boundary.
        """
        with inst.server.connect() as conn:
            conn.execute("SELECT txid_current()")
            boundary = conn.execute("SELECT clock_timestamp()").fetchone()[0]
            conn.execute("SELECT txid_current()")
            segment = conn.execute("SELECT pg_walfile_name(pg_switch_wal())").fetchone()[0]
        deadline = time.monotonic() + ARCHIVE_TIMEOUT
        delay = 0.02
        while not (inst.archive_dir / segment).exists():
            if time.monotonic() > deadline:
                raise DataPlaneError(f"WAL segment {segment} of {inst.instance_id} not archived after "
                                     f"{ARCHIVE_TIMEOUT:.0f} s:\n{inst.server.log_tail()}")
            time.sleep(delay)
            delay = min(delay * 2, 0.25)
        return boundary

    def _writable(self, inst: Instance) -> bool:
        return inst.role == "primary" and inst.server.running

    def _start_restored(self, inst: Instance, recovery: dict[str, str]) -> None:
        """Start a server on a copied base backup in archive recovery, wait until it promoted itself."""
        data = inst.server.data_dir
        for stale in ("standby.signal", "postmaster.pid"):
            (data / stale).unlink(missing_ok=True)
        write_file(data / "recovery.signal", "", self.tools.user)
        self._settings(inst.server, inst.archive_dir, recovery_target_action="promote", **recovery)
        inst.server.start()
        self._wait_writable(inst.server)
        self._settings(inst.server, inst.archive_dir)  # recovery settings served their purpose
        self._take_pitr_base(inst)

    # -- instances -------------------------------------------------------------------------------------------------
    def create_instance(self, region: str, instance_id: str, db_name: str | None, master_user: str,
                        master_password: str) -> Instance:
        with self.lock:
            self._wait_template()
            uid = self._uid(instance_id)
            data = self.root / "servers" / uid
            self.tools.copy_tree(self.template, data)
            server, archive = self._new_server(uid, data)
            self._settings(server, archive)
            inst = Instance(uid, region, instance_id, server, archive, db_name=db_name, master_user=master_user)
            server.start()
            with server.connect() as conn:
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN CREATEDB CREATEROLE PASSWORD {}").format(
                    sql.Identifier(master_user), sql.Literal(master_password)))
                conn.execute(sql.SQL("CREATE ROLE {} LOGIN REPLICATION PASSWORD {}").format(
                    sql.Identifier(REPLICATION_USER), sql.Literal(self.replication_password)))
                conn.execute(sql.SQL("GRANT pg_read_all_stats, pg_signal_backend TO {}").format(
                    sql.Identifier(master_user)))
                if db_name:
                    conn.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(
                        sql.Identifier(db_name), sql.Identifier(master_user)))
            self._take_pitr_base(inst)
            self.instances[inst.key] = inst
            log.info("instance %s/%s: server on port %d", region, instance_id, server.port)
            return inst

    def create_replica(self, region: str, instance_id: str, source_region: str, source_id: str) -> Instance:
        with self.lock:
            src = self.get(source_region, source_id)
            uid = self._uid(instance_id)
            slot = "replica_" + uid.replace("-", "_")
            with src.server.connect() as conn:
                conn.execute("SELECT pg_create_physical_replication_slot(%s)", (slot,))
            data = self.root / "servers" / uid
            self._base_backup(src.server, data, slot=slot)
            server, archive = self._new_server(uid, data)
            link = ReplicationLink(f"{source_id}->{instance_id}", src.server.port, self.default_lag_seconds)
            conninfo = (f"host=127.0.0.1 port={link.port} user={REPLICATION_USER} "
                        f"password={self.replication_password} sslmode=disable gssencmode=disable "
                        f"application_name={instance_id}")
            self._settings(server, archive, primary_conninfo=conninfo, primary_slot_name=slot)
            write_file(data / "standby.signal", "", self.tools.user)
            inst = Instance(uid, region, instance_id, server, archive, db_name=src.db_name,
                            master_user=src.master_user, role="replica", source=src.key, link=link, slot=slot)
            server.start()
            self.instances[inst.key] = inst
            log.info("replica %s/%s of %s/%s: port %d, link port %d", region, instance_id, source_region,
                     source_id, server.port, link.port)
            return inst

    def promote(self, region: str, instance_id: str) -> Instance:
        """Cut the link (what it still holds is lost, as when the source region is gone), then promote."""
        with self.lock:
            inst = self.get(region, instance_id)
            if inst.role == "primary":
                return inst  # already writable: RDS answers promote of a standalone instance the same way
            dropped = inst.link.cut() if inst.link else 0
            inst.link = None
            with inst.server.connect() as conn:
                if not conn.execute("SELECT pg_promote(true, %s)", (PROMOTE_TIMEOUT,)).fetchone()[0]:
                    raise DataPlaneError(f"pg_promote of {instance_id} did not finish in {PROMOTE_TIMEOUT} s")
            self._wait_writable(inst.server)
            self._settings(inst.server, inst.archive_dir)  # no primary_conninfo: a restart stays detached
            self._drop_slot(inst)
            inst.role, inst.source = "primary", None
            self._take_pitr_base(inst)
            log.info("promoted %s/%s (%d undelivered link messages dropped)", region, instance_id, dropped)
            return inst

    def _drop_slot(self, inst: Instance) -> None:
        src = self.instances.get(inst.source) if inst.source else None
        if not (src and inst.slot and src.server.running):
            return
        deadline = time.monotonic() + 10
        with src.server.connect() as conn:
            while time.monotonic() < deadline:  # the walsender may take a moment to notice the closed link
                active = conn.execute("SELECT active FROM pg_replication_slots WHERE slot_name = %s",
                                      (inst.slot,)).fetchone()
                if active is None:
                    return
                if not active[0]:
                    conn.execute("SELECT pg_drop_replication_slot(%s)", (inst.slot,))
                    return
                conn.execute("SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots "
                             "WHERE slot_name = %s AND active_pid IS NOT NULL", (inst.slot,))
                time.sleep(0.05)
        log.warning("slot %s on %s still active; left in place", inst.slot, src.instance_id)

    def delete_instance(self, region: str, instance_id: str, final_snapshot: str | None = None,
                        keep_automated_backups: bool = False) -> None:
        with self.lock:
            inst = self.get(region, instance_id)
            if final_snapshot:
                self.snapshot(region, final_snapshot, instance_id)
            for other in self.instances.values():
                if other.source == inst.key and other.link:  # its replicas lose their source
                    other.link.cut()
                    other.link, other.role = None, "detached"
            if inst.link:
                inst.link.cut()
            self._drop_slot(inst)
            if self._writable(inst):
                inst.restorable_until = self._flush_archive(inst)
            inst.server.stop()
            del self.instances[inst.key]
            shutil.rmtree(inst.server.data_dir, ignore_errors=True)
            if keep_automated_backups and inst.base_dir:
                self.retired.append(inst)
            else:
                self._drop_backups(inst)

    def _drop_backups(self, inst: Instance) -> None:
        shutil.rmtree(inst.archive_dir, ignore_errors=True)
        if inst.base_dir:
            shutil.rmtree(inst.base_dir, ignore_errors=True)

    def stop_instance(self, region: str, instance_id: str) -> None:
        with self.lock:
            inst = self.get(region, instance_id)
            if self._writable(inst):
                inst.restorable_until = self._flush_archive(inst)
            inst.server.stop()
            inst.stopped = True

    def start_instance(self, region: str, instance_id: str) -> None:
        with self.lock:
            inst = self.get(region, instance_id)
            if not inst.server.running:
                inst.server.start()
            inst.stopped, inst.restorable_until = False, None

    def reboot_instance(self, region: str, instance_id: str) -> None:
        with self.lock:
            inst = self.get(region, instance_id)
            inst.server.stop()
            inst.server.start()

    def rename_instance(self, region: str, old_id: str, new_id: str) -> None:
        with self.lock:
            inst = self.instances.pop((region, old_id))
            inst.instance_id = new_id
            self.instances[inst.key] = inst
            for other in self.instances.values():
                if other.source == (region, old_id):
                    other.source = inst.key

    def set_master_password(self, region: str, instance_id: str, password: str) -> None:
        with self.lock:
            inst = self.get(region, instance_id)
            if not inst.master_user or inst.role != "primary":
                return
            with inst.server.connect() as conn:
                conn.execute(sql.SQL("ALTER ROLE {} PASSWORD {}").format(sql.Identifier(inst.master_user),
                                                                         sql.Literal(password)))

    # -- snapshots -------------------------------------------------------------------------------------------------
    def snapshot(self, region: str, snapshot_id: str, instance_id: str) -> Snapshot:
        """The instance's data now: a base backup (or a copy of the data dir of a stopped server)."""
        with self.lock:
            inst = self.get(region, instance_id)
            dest = self.root / "snapshots" / f"{region}--{snapshot_id.replace(':', '_')}-{uuid.uuid4().hex[:6]}"
            if inst.server.running:
                taken = self._base_backup(inst.server, dest)
            else:
                self.tools.copy_tree(inst.server.data_dir, dest)
                taken = utcnow()
            snap = Snapshot(region, snapshot_id, dest, instance_id, taken)
            self.snapshots[(region, snapshot_id)] = snap
            return snap

    def copy_snapshot(self, source_region: str, source_id: str, region: str, snapshot_id: str) -> Snapshot:
        with self.lock:
            try:
                src = self.snapshots[(source_region, source_id)]
            except KeyError:
                raise DataPlaneError(f"no data for snapshot {source_id} in {source_region}") from None
            dest = self.root / "snapshots" / f"{region}--{snapshot_id.replace(':', '_')}-{uuid.uuid4().hex[:6]}"
            self.tools.copy_tree(src.path, dest)
            snap = Snapshot(region, snapshot_id, dest, src.source_instance, src.taken_at)
            self.snapshots[(region, snapshot_id)] = snap
            return snap

    def delete_snapshot(self, region: str, snapshot_id: str) -> None:
        with self.lock:
            snap = self.snapshots.pop((region, snapshot_id), None)
            if snap:
                shutil.rmtree(snap.path, ignore_errors=True)

    def has_snapshot(self, region: str, snapshot_id: str) -> bool:
        return (region, snapshot_id) in self.snapshots

    # -- restores --------------------------------------------------------------------------------------------------
    def restore_from_snapshot(self, region: str, instance_id: str, snapshot_id: str) -> Instance:
        with self.lock:
            try:
                snap = self.snapshots[(region, snapshot_id)]
            except KeyError:
                raise DataPlaneError(f"no data for snapshot {snapshot_id} in {region}") from None
            src = self.instances.get((region, snap.source_instance))
            uid = self._uid(instance_id)
            data = self.root / "servers" / uid
            self.tools.copy_tree(snap.path, data)
            server, archive = self._new_server(uid, data)
            inst = Instance(uid, region, instance_id, server, archive,
                            db_name=src.db_name if src else None, master_user=src.master_user if src else None)
            # Recover exactly to the end of the backup (its own WAL: no archive to read, but PostgreSQL requires a
            # restore_command outside standby mode), then leave recovery on a new timeline.
            self._start_restored(inst, {"recovery_target": "immediate", "restore_command": "false"})
            self.instances[inst.key] = inst
            return inst

    def restorable_window(self, region: str, instance_id: str) -> tuple[dt.datetime, dt.datetime]:
        src = self._pitr_source(region, instance_id)
        assert src.restorable_from is not None
        return src.restorable_from, src.restorable_until or utcnow()

    def _pitr_source(self, region: str, instance_id: str) -> Instance:
        inst = self.instances.get((region, instance_id))
        if inst is None:  # a deleted instance whose automated backups were kept: the latest one
            matches = [r for r in self.retired if r.key == (region, instance_id)]
            inst = matches[-1] if matches else None
        if inst is None or inst.base_dir is None:
            raise DataPlaneError(f"no automated backups (base backup + WAL archive) for {instance_id} in {region}; "
                                 "read replicas have none until promoted")
        return inst

    def restore_to_time(self, region: str, instance_id: str, source_id: str,
                        restore_time: dt.datetime | None, source_region: str | None = None) -> Instance:
        """restore_time None = the latest restorable time. `source_region`: the source's backups are in another
        region (replicated automated backups, backup_replication.py); default `region`."""
        with self.lock:
            src = self._pitr_source(source_region or region, source_id)
            start, end = self.restorable_window(source_region or region, source_id)
            if restore_time is not None and not start <= restore_time <= end:
                raise RestoreWindowError(f"restore time {restore_time.isoformat()} is outside the restorable window "
                                         f"of {source_id}: {start.isoformat()} to {end.isoformat()}")
            boundary = self._flush_archive(src) if self._writable(src) else src.restorable_until
            uid = self._uid(instance_id)
            data = self.root / "servers" / uid
            assert src.base_dir is not None
            self.tools.copy_tree(src.base_dir, data)
            server, archive = self._new_server(uid, data)
            inst = Instance(uid, region, instance_id, server, archive, db_name=src.db_name,
                            master_user=src.master_user)
            recovery = {"restore_command": f"cp {src.archive_dir}/%f %p", "recovery_target_timeline": "latest"}
            if restore_time is not None and (boundary is None or restore_time < boundary):
                recovery["recovery_target_time"] = restore_time.astimezone(dt.timezone.utc).isoformat(sep=" ")
            self._start_restored(inst, recovery)
            self.instances[inst.key] = inst
            return inst

    # -- replication knobs -----------------------------------------------------------------------------------------
    def set_replication(self, region: str, instance_id: str, lag_seconds: float | None = None,
                        paused: bool | None = None) -> dict[str, Any]:
        with self.lock:
            inst = self.get(region, instance_id)
            if inst.link is None:
                raise DataPlaneError(f"{instance_id} in {region} is not a replica with a live source "
                                     f"(role {inst.role})")
            inst.link.configure(lag_seconds, paused)
            if lag_seconds is not None:
                self.default_lag_seconds = max(0.0, float(lag_seconds))
            return self.describe(inst)

    def replica_lag_seconds(self, region: str, instance_id: str) -> float | None:
        """What RDS would publish as ReplicaLag: the link's lag, growing while replication is paused."""
        inst = self.instances.get((region, instance_id))
        if inst is None or inst.link is None:
            return None
        lag = inst.link.lag_seconds
        if inst.link.paused_at is not None:
            lag += time.time() - inst.link.paused_at
        return round(lag, 3)

    # -- state -----------------------------------------------------------------------------------------------------
    def describe(self, inst: Instance) -> dict[str, Any]:
        out: dict[str, Any] = {
            "region": inst.region, "instance_id": inst.instance_id, "port": inst.server.port, "role": inst.role,
            "running": inst.server.running, "db_name": inst.db_name, "master_user": inst.master_user,
            "source": list(inst.source) if inst.source else None, "data_dir": str(inst.server.data_dir),
            "restorable_from": inst.restorable_from.isoformat() if inst.restorable_from else None,
        }
        if inst.link:
            out["replication"] = {"lag_seconds": inst.link.lag_seconds, "paused": inst.link.paused,
                                  "held_messages": inst.link.held_messages(),
                                  "replica_lag_seconds": self.replica_lag_seconds(*inst.key)}
        return out

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {"root": str(self.root), "postgres": self.tools.version(),
                    "instances": [self.describe(i) for i in self.instances.values()],
                    "snapshots": [{"region": s.region, "snapshot_id": s.snapshot_id, "source": s.source_instance,
                                   "taken_at": s.taken_at.isoformat()} for s in self.snapshots.values()],
                    "errors": list(self.errors)}

    def record_error(self, operation: str, target: str, exc: BaseException) -> None:
        log.error("data plane %s %s failed: %s", operation, target, exc)
        self.errors.append({"operation": operation, "target": target, "error": str(exc), "at": utcnow().isoformat()})

    def reset(self) -> None:
        """Back to no data at all (the seeder then creates the estate again through the API)."""
        with self.lock:
            for inst in list(self.instances.values()):
                if inst.link:
                    inst.link.cut()
            for inst in list(self.instances.values()):
                inst.server.stop(mode="immediate")
            self.instances.clear()
            self.retired.clear()
            self.snapshots.clear()
            self.errors.clear()
            self.default_lag_seconds = 0.0
            for sub in ("servers", "snapshots", "archive", "bases", "logs"):
                shutil.rmtree(self.root / sub, ignore_errors=True)
                self.tools.make_dir(self.root / sub)

    def shutdown(self) -> None:
        self._template_thread.join()
        try:
            self.reset()
        except (OSError, PostgresError):
            log.exception("data plane shutdown")
        shutil.rmtree(self.root, ignore_errors=True)
