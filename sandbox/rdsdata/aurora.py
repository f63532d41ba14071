"""Aurora PostgreSQL global databases in the sandbox: real data behind moto's DB clusters and global clusters.

moto 5.2.5 keeps the records of DB clusters and global clusters but answers SwitchoverGlobalCluster and
FailoverGlobalCluster with HTTP 500, ignores GlobalClusterIdentifier in DescribeGlobalClusters, makes the first
instance of *every* cluster a writer (a secondary cluster of a global database has none) and never reports a
member's SynchronizationStatus. This module adds those, and the data:

- One Aurora cluster = one real PostgreSQL server (the cluster's shared storage volume). Its writer and reader
  endpoints and every DB instance of the cluster answer on that server's port (DBCluster.Port and each instance's
  Endpoint.Port; the addresses stay moto's names: connect to 127.0.0.1, as for the RDS instances). A primary
  cluster's server is writable; a secondary cluster's server is a hot standby streaming from the primary's through
  a replication link (rdsdata/link.py: lag, pause, cut), as the RDS read replicas do. In the data plane the cluster
  is the instance `aurora--<cluster id>` (RDS identifiers never hold two hyphens in a row: no clash).
- SwitchoverGlobalCluster (and FailoverGlobalCluster without AllowDataLoss, as on AWS): the writer is fenced
  (read-only, sessions ended), the target catches up on everything the writer committed, is promoted, and the old
  primary is rebuilt as a secondary of it on the same port. No committed write is lost. Refused
  (InvalidGlobalClusterStateFault) while the target's replication is paused: it could never catch up.
- FailoverGlobalCluster with AllowDataLoss=true: the writer is fenced, the target promoted at once (what its link
  still held is lost), the old primary's data is kept in the cluster snapshot
  `rds:unplanned-global-failover-<old primary>-<UTC time>` (as Aurora does, to recover the lost writes by hand),
  then the old primary rejoins as a secondary (SynchronizationStatus `pending-resync` until the operation ends).
- RemoveFromGlobalCluster of a secondary (the manual "detach and promote"): the cluster leaves the global database
  and becomes a standalone writable cluster; its link is cut (what it held is lost).
- DeleteDBCluster drops the cluster's server (its final snapshot, when asked, gets the data first).
- Cluster snapshots, their copies and the cluster restores (from a snapshot, to a point in time) have data too:
  rdsdata/aurora_backup.py, installed with this module.
- Reported state: the global cluster reads `switching-over` / `failing-over` with its FailoverState (Status,
  FromDbClusterArn, ToDbClusterArn, IsDataLossAllowed) for the operation's duration under the realistic timing
  profile (rds.global_switchover / rds.global_failover in profiles/realistic.yml), members' IsWriter unchanged
  until then; then `available`, IsWriter swapped, no FailoverState. Under the instant profile it is done at once.
  The data moves at the call (as everywhere in the sandbox: only what the API reports is timed).
- CloudWatch: AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag (AWS/RDS, milliseconds, dimension
  DBClusterIdentifier = the secondary cluster, in its region): publish_lag(), called by the daemon's ReplicaLag
  ticker and by the knob (knobs.global_lag); the link's lag, growing while paused.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import time
from pathlib import Path
from typing import Any, Callable

from sandbox.rdsdata.link import ReplicationLink
from sandbox.rdsdata.plane import DataPlane, DataPlaneError, Instance, utcnow
from sandbox.rdsdata.postgres import REPLICATION_USER, Server, write_file

log = logging.getLogger("sandbox.rdsdata.aurora")

ENGINE = "aurora-postgresql"
KEY_PREFIX = "aurora--"
CLUSTER_SNAPSHOT_PREFIX = "cluster:"
GLOBAL_REGION = "us-east-1"  # moto keeps every global cluster in this region's backend
CATCH_UP_TIMEOUT = 60.0
LAG_METRICS = ("AuroraGlobalDBReplicationLag", "AuroraGlobalDBRPOLag")
DURATION_KEYS = {"switchover": "rds.global_switchover", "failover": "rds.global_failover"}


def data_key(cluster_id: str) -> str:
    """The data plane's identifier of a cluster's server."""
    return KEY_PREFIX + cluster_id.lower()


def cluster_snapshot_key(snapshot_id: str) -> str:
    """The data plane's identifier of a cluster snapshot (cluster and DB snapshots are separate namespaces)."""
    return CLUSTER_SNAPSHOT_PREFIX + snapshot_id.lower()


def cluster_of(data_id: str) -> str | None:
    return data_id[len(KEY_PREFIX):] if data_id.startswith(KEY_PREFIX) else None


def _split_arn(identifier: str, default_region: str) -> tuple[str, str]:
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        return parts[3], parts[-1].lower()
    return default_region, identifier.lower()


def _error(code: str, message: str) -> Exception:
    from moto.rds.exceptions import RDSClientError

    return RDSClientError(code, message)


# -- moto access -------------------------------------------------------------------------------------------------------
def _backend(account: str, region: str):
    from moto.rds.models import rds_backends

    return rds_backends[account][region]


def _global_cluster(account: str, gid: str | None):
    if not gid:
        return None
    return _backend(account, GLOBAL_REGION).global_clusters.get(str(gid).split(":")[-1])


def _global_of(account: str, cluster: Any):
    """The global cluster `cluster` is a member of, else None."""
    for gc in _backend(account, GLOBAL_REGION).global_clusters.values():
        if any(m is cluster for m in gc.members):
            return gc
    return None


def _set_ports(cluster: Any, port: int) -> None:
    cluster.port = port
    for db in cluster.backend.databases.values():
        if getattr(db, "db_cluster_identifier", None) == cluster.db_cluster_identifier:
            db.port = port


class Aurora:
    """The Aurora side of the data plane (uses DataPlane's servers, links, snapshots; one lock)."""

    def __init__(self, plane: DataPlane, initial_lag_seconds: float = 0.0):
        self.plane = plane
        self.initial_lag_seconds = float(initial_lag_seconds)

    # -- clusters --------------------------------------------------------------------------------------------------
    def create_primary(self, region: str, cluster_id: str, db_name: str | None, user: str, password: str) -> Instance:
        return self.plane.create_instance(region, data_key(cluster_id), db_name, user, password)

    def create_secondary(self, region: str, cluster_id: str, source_region: str, source_cluster: str) -> Instance:
        inst = self.plane.create_replica(region, data_key(cluster_id), source_region, data_key(source_cluster))
        if inst.link is not None:
            inst.link.configure(lag_seconds=self.initial_lag_seconds)
        return inst

    def delete(self, region: str, cluster_id: str) -> None:
        if (region, data_key(cluster_id)) in self.plane.instances:
            self.plane.delete_instance(region, data_key(cluster_id))

    def has(self, region: str, cluster_id: str) -> bool:
        return (region, data_key(cluster_id)) in self.plane.instances

    def get(self, region: str, cluster_id: str) -> Instance:
        return self.plane.get(region, data_key(cluster_id))

    # -- fencing, catching up --------------------------------------------------------------------------------------
    @staticmethod
    def _fence(server: Server) -> str:
        """No more writes on the old writer (read-only, client sessions ended); returns its WAL end (an LSN)."""
        with server.connect() as conn:
            conn.execute("ALTER SYSTEM SET default_transaction_read_only = on")
            conn.execute("SELECT pg_reload_conf()")
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                         "WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()")
            return conn.execute("SELECT pg_current_wal_lsn()::text").fetchone()[0]

    @staticmethod
    def _unfence(server: Server) -> None:
        with server.connect() as conn:
            conn.execute("ALTER SYSTEM RESET default_transaction_read_only")
            conn.execute("SELECT pg_reload_conf()")

    @staticmethod
    def _wait_replayed(server: Server, lsn: str, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        delay = 0.02
        with server.connect() as conn:
            while True:
                if conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()[0]:
                    return
                if time.monotonic() > deadline:
                    raise DataPlaneError(f"secondary {server.data_dir} did not replay up to {lsn} in {timeout:.0f} s")
                time.sleep(delay)
                delay = min(delay * 2, 0.25)

    def _rebuild_as_secondary(self, old: Instance, new_primary: Instance, lag: float) -> Instance:
        """The old primary's server, gone, comes back as a standby of `new_primary` on the same port."""
        plane = self.plane
        port = old.server.port
        plane.delete_instance(old.region, old.instance_id)  # its replicas (none in a global database) lose it
        uid = plane._uid(old.instance_id)
        slot = "replica_" + uid.replace("-", "_")
        with new_primary.server.connect() as conn:
            conn.execute("SELECT pg_create_physical_replication_slot(%s)", (slot,))
        data = plane.root / "servers" / uid
        plane._base_backup(new_primary.server, data, slot=slot)
        archive = plane.tools.make_dir(plane.root / "archive" / uid)
        server = Server(plane.tools, data, port, plane.root / "run", plane.root / "logs" / f"{uid}.log")
        link = ReplicationLink(f"{new_primary.instance_id}->{old.instance_id}", new_primary.server.port, lag)
        conninfo = (f"host=127.0.0.1 port={link.port} user={REPLICATION_USER} "
                    f"password={plane.replication_password} sslmode=disable gssencmode=disable "
                    f"application_name={old.instance_id}")
        plane._settings(server, archive, primary_conninfo=conninfo, primary_slot_name=slot)
        write_file(data / "standby.signal", "", plane.tools.user)
        inst = Instance(uid, old.region, old.instance_id, server, archive, db_name=new_primary.db_name,
                        master_user=new_primary.master_user, role="replica", source=new_primary.key, link=link,
                        slot=slot)
        server.start()
        plane.instances[inst.key] = inst
        return inst

    # -- global operations -----------------------------------------------------------------------------------------
    def switchover(self, old: tuple[str, str], new: tuple[str, str], timeout: float = CATCH_UP_TIMEOUT) -> None:
        """Planned: fence the writer, let the target catch up on every commit, promote it, rebuild the old one."""
        with self.plane.lock:
            p, s = self.get(*old), self.get(*new)
            if s.link is None:
                raise DataPlaneError(f"{new[1]} in {new[0]} is not a secondary with a live source")
            lag = s.link.lag_seconds
            lsn = self._fence(p.server)
            try:
                self._wait_replayed(s.server, lsn, timeout + lag)
            except Exception:
                self._unfence(p.server)
                raise
            p.server.stop()  # nothing left to send; the target's slot on it goes with it
            self.plane.promote(*s.key)
            self._rejoin(p, s, lag)
            log.info("switchover: %s/%s is the writer, %s/%s its secondary", *new, *old)

    def _rejoin(self, old: Instance, new_primary: Instance, lag: float) -> None:
        """After the promotion the operation has happened: a failed rebuild of the old primary is an error of that
        cluster (listed by /health, its SynchronizationStatus stays pending-resync), not of the operation."""
        try:
            self._rebuild_as_secondary(old, new_primary, lag)
        except Exception as exc:  # noqa: BLE001 - reported, the new writer serves
            self.plane.record_error("rejoin", f"{old.region}/{old.instance_id}", exc)

    def failover(self, old: tuple[str, str], new: tuple[str, str], snapshot_id: str | None) -> int:
        """Unplanned (data loss allowed): promote the target now; the old writer's data goes to `snapshot_id`,
        then it rejoins as a secondary. Returns the link messages dropped (WAL the target never received)."""
        with self.plane.lock:
            p, s = self.get(*old), self.get(*new)
            lag = s.link.lag_seconds if s.link else self.initial_lag_seconds
            if p.server.running:
                self._fence(p.server)
            dropped = s.link.held_messages() if s.link else 0
            if s.link is not None:
                s.link.cut()  # first: nothing more reaches the target (promote would cut it too)
            if p.server.running:
                p.server.stop()
            self.plane.promote(*s.key)
            if snapshot_id:
                try:
                    self.plane.snapshot(p.region, cluster_snapshot_key(snapshot_id), p.instance_id)  # a stopped server: its data dir
                except Exception as exc:  # noqa: BLE001 - the failover itself has happened
                    self.plane.record_error("failover-snapshot", f"{p.region}/{snapshot_id}", exc)
            self._rejoin(p, s, lag)
            log.info("failover: %s/%s is the writer (%d link messages lost), %s/%s rejoined", *new, dropped, *old)
            return dropped

    def detach(self, region: str, cluster_id: str) -> None:
        """RemoveFromGlobalCluster of a secondary: standalone and writable (what its link held is lost)."""
        with self.plane.lock:
            if self.has(region, cluster_id) and self.get(region, cluster_id).role != "primary":
                self.plane.promote(region, data_key(cluster_id))

    # -- metrics ---------------------------------------------------------------------------------------------------
    def lags(self) -> list[dict[str, Any]]:
        """Every secondary cluster's lag now: [{region, cluster_id, lag_seconds, paused}]."""
        out = []
        with self.plane.lock:
            for (region, key), inst in self.plane.instances.items():
                cid = cluster_of(key)
                if cid is None or inst.link is None:
                    continue
                out.append({"region": region, "cluster_id": cid, "paused": inst.link.paused,
                            "lag_seconds": self.plane.replica_lag_seconds(region, key)})
        return out


def put_global_lag(endpoint: str, region: str, cluster_id: str, seconds: float,
                   timestamps: list[dt.datetime] | None = None) -> None:
    """AuroraGlobalDBReplicationLag and AuroraGlobalDBRPOLag (milliseconds) of one secondary cluster."""
    from sandbox.config import aws_client

    stamps = timestamps or [dt.datetime.now(dt.timezone.utc)]
    aws_client("cloudwatch", endpoint, region).put_metric_data(Namespace="AWS/RDS", MetricData=[
        {"MetricName": name, "Timestamp": t, "Value": round(float(seconds) * 1000.0, 3), "Unit": "Milliseconds",
         "Dimensions": [{"Name": "DBClusterIdentifier", "Value": cluster_id}]}
        for name in LAG_METRICS for t in stamps])


def publish_lag(endpoint: str, aurora: "Aurora | None" = None) -> list[dict[str, Any]]:
    """Publish the lag metrics of every secondary cluster (the daemon's ticker calls this every period)."""
    aurora = aurora or INSTALLED.get("aurora")
    if aurora is None:
        return []
    lags = aurora.lags()
    for item in lags:
        if item["lag_seconds"] is not None:
            put_global_lag(endpoint, item["region"], item["cluster_id"], item["lag_seconds"])
    return lags


# -- moto hooks --------------------------------------------------------------------------------------------------------
class Hooks:
    def __init__(self, aurora: Aurora):
        self.aurora = aurora

    def _record_error(self, op: str, target: str, exc: BaseException, cluster: Any = None) -> None:
        self.aurora.plane.record_error(op, target, exc)
        if cluster is not None:
            cluster.status = "failed"
            _set_ports(cluster, 1)

    # CreateDBCluster: a primary gets a new server, a secondary of a global database a standby of the writer's.
    def create_db_cluster(self, resp: Any, params: dict[str, Any]) -> None:
        cid = str(params["DBClusterIdentifier"]).lower()
        cluster = resp.backend.clusters.get(cid)
        if cluster is None or cluster.engine != ENGINE:
            return
        gc = _global_of(resp.current_account, cluster)
        writer = next((m for m in gc.members if m.is_writer and m is not cluster), None) if gc else None
        try:
            if writer is not None:
                cluster.is_writer = False
                cluster._cloudops_secondary = True
                inst = self.aurora.create_secondary(resp.region, cid, writer.region, writer.db_cluster_identifier)
            else:
                if gc is not None:
                    cluster.is_writer = True
                inst = self.aurora.create_primary(resp.region, cid, params.get("DatabaseName"),
                                                  params.get("MasterUsername") or "postgres",
                                                  params.get("MasterUserPassword") or "")
            _set_ports(cluster, inst.server.port)
        except Exception as exc:  # noqa: BLE001 - reported through the API's status and /health
            self._record_error("create-cluster", f"{resp.region}/{cid}", exc, cluster)

    # CreateDBInstance in an Aurora cluster: its endpoint is the cluster's server; no writer in a secondary.
    def create_db_instance(self, resp: Any, params: dict[str, Any]) -> None:
        cid = params.get("DBClusterIdentifier")
        if not cid:
            return
        cluster = resp.backend.clusters.get(str(cid).lower())
        db = resp.backend.databases.get(params["DBInstanceIdentifier"])
        if cluster is None or db is None or cluster.engine != ENGINE:
            return
        if getattr(cluster, "_cloudops_secondary", False):
            db.is_cluster_writer = False
        if self.aurora.has(resp.region, cluster.db_cluster_identifier):
            db.port = self.aurora.get(resp.region, cluster.db_cluster_identifier).server.port

    def delete_db_cluster(self, resp: Any, params: dict[str, Any]) -> None:
        cid = str(params["DBClusterIdentifier"]).lower()
        if cid not in resp.backend.clusters:
            final = None if _truthy(params.get("SkipFinalSnapshot")) else params.get("FinalDBSnapshotIdentifier")
            try:
                if final and self.aurora.has(resp.region, cid):
                    self.aurora.plane.snapshot(resp.region, cluster_snapshot_key(final), data_key(cid))
                self.aurora.delete(resp.region, cid)
            except Exception as exc:  # noqa: BLE001
                self.aurora.plane.record_error("delete-cluster", f"{resp.region}/{cid}", exc)

    def remove_from_global_cluster(self, resp: Any, params: dict[str, Any]) -> None:
        region, cid = _split_arn(str(params.get("DbClusterIdentifier") or ""), resp.region)
        cluster = _backend(resp.current_account, region).clusters.get(cid)
        gc = _global_cluster(resp.current_account, params.get("GlobalClusterIdentifier"))
        if cluster is None or cluster.engine != ENGINE:
            return
        if gc is not None and any(m is cluster for m in gc.members):
            gc.members.remove(cluster)  # moto looks the cluster up in the caller's region only
        was_secondary = getattr(cluster, "_cloudops_secondary", False)
        cluster.global_cluster_identifier = None
        cluster._cloudops_secondary = False
        cluster.is_writer = False
        if was_secondary:
            try:
                self.aurora.detach(region, cid)
            except Exception as exc:  # noqa: BLE001
                self._record_error("detach", f"{region}/{cid}", exc, cluster)
            if cluster._members:
                cluster._members[0].is_cluster_writer = True


def _target_of(resp: Any, gc: Any, target: str) -> Any:
    region, cid = _split_arn(target, resp.region)
    for m in gc.members:
        if m.db_cluster_identifier == cid and (not target.startswith("arn:") or m.region == region):
            return m
    if cid not in _backend(resp.current_account, region).clusters:
        raise _error("DBClusterNotFoundFault", f"DBCluster {target} not found.")
    raise _error("InvalidParameterValue", f"The DB cluster {target} is not a member of global cluster "
                                          f"{gc.global_cluster_identifier}.")


def _switch(resp: Any, hooks: Hooks, allow_data_loss: bool, action: str) -> Any:
    from moto.core.responses import ActionResult

    from sandbox import timing

    params = resp.params
    gid = params.get("GlobalClusterIdentifier")
    target = str(params.get("TargetDbClusterIdentifier") or "")
    gc = _global_cluster(resp.current_account, gid)
    if gc is None:
        raise _error("GlobalClusterNotFoundFault", f"Global cluster {gid} not found.")
    new = _target_of(resp, gc, target)
    old = next((m for m in gc.members if m.is_writer), None)
    if new is old or old is None:
        raise _error("InvalidParameterValue", f"The DB cluster {target} is already the primary cluster of global "
                                              f"cluster {gc.global_cluster_identifier}.")
    if gc.status != "available" or getattr(gc, "failover_state", None):
        raise _error("InvalidGlobalClusterStateFault",
                     f"Global cluster {gc.global_cluster_identifier} is {gc.status}: another operation is in progress.")
    members = gc.members if not allow_data_loss else [new]
    for m in members:
        if m.status != "available":
            raise _error("InvalidDBClusterStateFault",
                         f"DB cluster {m.db_cluster_identifier} is {m.status}, not available.")
    aurora = hooks.aurora
    has_data = aurora.has(old.region, old.db_cluster_identifier) and aurora.has(new.region, new.db_cluster_identifier)
    if has_data and not allow_data_loss:
        link = aurora.get(new.region, new.db_cluster_identifier).link
        if link is None or link.paused:
            raise _error("InvalidGlobalClusterStateFault",
                         f"Secondary cluster {new.db_cluster_identifier} is not in sync with the primary (replication "
                         "is not flowing): a switchover needs it caught up. When the primary Region is down, use "
                         "FailoverGlobalCluster with AllowDataLoss.")
    mode = "failover" if allow_data_loss else "switchover"
    in_progress = "failing-over" if allow_data_loss else "switching-over"
    snapshot_id = None
    if has_data:
        try:
            if allow_data_loss:
                stamp = utcnow().strftime("%Y-%m-%d-%H-%M")
                snapshot_id = f"rds:unplanned-global-failover-{old.db_cluster_identifier}-{stamp}"
                n = 1
                while snapshot_id in old.backend.cluster_snapshots:  # two failovers within a minute
                    n += 1
                    snapshot_id = f"rds:unplanned-global-failover-{old.db_cluster_identifier}-{stamp}-{n}"
                aurora.failover((old.region, old.db_cluster_identifier), (new.region, new.db_cluster_identifier),
                                snapshot_id)
            else:
                aurora.switchover((old.region, old.db_cluster_identifier), (new.region, new.db_cluster_identifier))
        except Exception as exc:  # noqa: BLE001 - before the promotion: nothing changed, the caller may retry
            hooks.aurora.plane.record_error(mode, gc.global_cluster_identifier, exc)
            raise _error("InvalidGlobalClusterStateFault",
                         f"{mode} of {gc.global_cluster_identifier} did not complete: {exc}") from None
        if snapshot_id:  # the record of the old primary's data, as Aurora takes it before the rejoin
            try:
                old.backend.create_db_cluster_snapshot(old.db_cluster_identifier, snapshot_id,
                                                       snapshot_type="automated")
            except Exception as exc:  # noqa: BLE001 - e.g. two failovers in the same minute: the name exists
                aurora.plane.record_error("failover-snapshot", f"{old.region}/{snapshot_id}", exc)
        if aurora.has(old.region, old.db_cluster_identifier):
            _set_ports(old, aurora.get(old.region, old.db_cluster_identifier).server.port)
        else:
            old._cloudops_sync = "pending-resync"  # its rejoin failed (listed by /health)

    def finish(gc=gc, old=old, new=new) -> None:
        old.is_writer, new.is_writer = False, True
        old._cloudops_secondary, new._cloudops_secondary = True, False
        for inst in new._members:
            inst.is_cluster_writer = False
        if new._members:
            sorted(new._members, key=lambda i: i.promotion_tier)[0].is_cluster_writer = True
        for inst in old._members:
            inst.is_cluster_writer = False
        old._cloudops_sync = "connected" if aurora.has(old.region, old.db_cluster_identifier) else "pending-resync"
        gc.status, gc.failover_state = "available", None

    gc.status = in_progress
    gc.failover_state = {"Status": in_progress, "FromDbClusterArn": old.db_cluster_arn,
                         "ToDbClusterArn": new.db_cluster_arn, "IsDataLossAllowed": bool(allow_data_loss)}
    if allow_data_loss:
        old._cloudops_sync = "pending-resync"
    t = timing.MODEL.start(DURATION_KEYS[mode], "rds", "global-cluster", "global", gc.global_cluster_identifier,
                           action, in_progress, "available", on_final=finish)
    if t is None:
        finish()
    return ActionResult({"GlobalCluster": gc})


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() == "true"


_ORIGINALS: dict[str, Callable[..., Any]] = {}
INSTALLED: dict[str, Any] = {}


def _install_models() -> None:
    from moto.rds.models import DBCluster, GlobalCluster

    if getattr(GlobalCluster, "_cloudops_aurora", False):
        return
    GlobalCluster.failover_state = None
    original_designate = DBCluster.designate_writer

    def designate_writer(self: Any) -> None:
        if getattr(self, "_cloudops_secondary", False):
            return  # a secondary cluster of a global database has no writer instance
        original_designate(self)

    def global_cluster_members(self: Any) -> list[dict[str, Any]]:
        readers = [m.db_cluster_arn for m in self.members if not m.is_writer]
        out = []
        for m in self.members:
            entry = {"DBClusterArn": m.db_cluster_arn, "IsWriter": bool(m.is_writer),
                     "DBClusterParameterGroupStatus": "in-sync", "PromotionTier": 1,
                     "Readers": readers if m.is_writer else []}
            if not m.is_writer:
                entry["GlobalWriteForwardingStatus"] = "disabled"
            if not m.is_writer or getattr(m, "_cloudops_sync", None) == "pending-resync":  # a failing-over writer
                entry["SynchronizationStatus"] = getattr(m, "_cloudops_sync", "connected")
            out.append(entry)
        return out

    DBCluster.designate_writer = designate_writer
    GlobalCluster.global_cluster_members = property(global_cluster_members)
    GlobalCluster._cloudops_aurora = True


def install(plane: DataPlane, initial_lag_seconds: float = 0.0) -> Hooks:
    """Wrap moto's RDS handlers (in this process) for Aurora global databases with data. Idempotent; after
    rdsdata.hooks.install (it wraps CreateDBInstance too), before timing.install."""
    from moto.rds.responses import RDSResponse

    _install_models()
    hooks = Hooks(Aurora(plane, initial_lag_seconds))
    INSTALLED["aurora"] = hooks.aurora
    for action in ("create_db_cluster", "create_db_instance", "delete_db_cluster", "remove_from_global_cluster"):
        original = _ORIGINALS.setdefault(action, getattr(RDSResponse, action))

        def wrapper(self: Any, _original=original, _after=getattr(hooks, action)) -> Any:
            params = type(self.params)(self.params)
            result = _original(self)
            _after(self, params)
            return result

        setattr(RDSResponse, action, functools.wraps(original)(wrapper))

    original_describe = _ORIGINALS.setdefault("describe_global_clusters", RDSResponse.describe_global_clusters)

    def describe_global_clusters(self: Any) -> Any:
        from moto.core.responses import ActionResult

        from sandbox import timing

        gid = self.params.get("GlobalClusterIdentifier")
        if not gid:
            return original_describe(self)
        gc = _global_cluster(self.current_account, gid)
        if gc is None:
            raise _error("GlobalClusterNotFoundFault", f"Global cluster {gid} not found.")
        t = timing.MODEL.find("rds", "global-cluster", "global", gc.global_cluster_identifier)
        if t is not None and t.settled:
            timing.MODEL.observe(t)
        return ActionResult({"GlobalClusters": [gc]})

    def switchover_global_cluster(self: Any) -> Any:
        return _switch(self, hooks, False, "SwitchoverGlobalCluster")

    def failover_global_cluster(self: Any) -> Any:
        if _truthy(self.params.get("AllowDataLoss")) and _truthy(self.params.get("Switchover")):
            raise _error("InvalidParameterCombination", "AllowDataLoss and Switchover cannot both be true: a "
                                                        "switchover never loses data.")
        return _switch(self, hooks, _truthy(self.params.get("AllowDataLoss")), "FailoverGlobalCluster")

    RDSResponse.describe_global_clusters = describe_global_clusters
    RDSResponse.switchover_global_cluster = switchover_global_cluster
    RDSResponse.failover_global_cluster = failover_global_cluster
    from sandbox.rdsdata import aurora_backup

    aurora_backup.install(hooks.aurora)
    return hooks


# -- seeding -----------------------------------------------------------------------------------------------------------
def is_aurora(inv: dict[str, Any]) -> bool:
    return str((inv.get("cloudops_rds") or {}).get("engine") or "").lower() == ENGINE


def seed(seeder: Any, password: str) -> dict[str, Any]:
    """The estate's Aurora global database (cloudops_rds with engine aurora-postgresql), through the API: subnet
    groups, the global cluster, the primary cluster and its instances, the secondary cluster in DR and its instances,
    the schema loaded on the writer, the master secret, 10 minutes of lag metrics. Called by aws_seed.Seeder.rds."""
    spec = seeder.inv["cloudops_rds"]
    s = seeder.seed["rds"]
    subnet_groups = seeder.db_subnet_groups()
    version = str(s.get("engine_version") or "15.4")
    p = spec["primary"]
    rds_p = seeder.client("rds", p["region"])
    gid = spec.get("global_cluster_id")
    if gid:
        rds_p.create_global_cluster(GlobalClusterIdentifier=gid, Engine=ENGINE, EngineVersion=version,
                                    StorageEncrypted=True)
    extra = {"GlobalClusterIdentifier": gid} if gid else {}
    primary = rds_p.create_db_cluster(
        DBClusterIdentifier=p["cluster_id"], Engine=ENGINE, EngineVersion=version, DatabaseName=s["db_name"],
        MasterUsername=s["master_username"], MasterUserPassword=password, Port=5432,
        BackupRetentionPeriod=int(s["backup_retention_days"]), DBSubnetGroupName=subnet_groups["primary"],
        StorageEncrypted=True, Tags=seeder.tags(Role="primary"), **extra)["DBCluster"]
    out: dict[str, Any] = {"engine": ENGINE, "global_cluster_id": gid, "subnet_groups": subnet_groups,
                           "primary": _seed_instances(seeder, rds_p, p, primary, s)}
    seeder.out["rds"] = out
    _load_schema(seeder, int(primary["Port"]), s)
    _master_secret(seeder, s, password, p["cluster_id"])
    dr = spec.get("secondary")
    if gid and dr and "dr" in seeder.sides:
        rds_d = seeder.client("rds", dr["region"])
        secondary = rds_d.create_db_cluster(
            DBClusterIdentifier=dr["cluster_id"], Engine=ENGINE, EngineVersion=version, GlobalClusterIdentifier=gid,
            DBSubnetGroupName=subnet_groups["dr"], StorageEncrypted=True, KmsKeyId="alias/aws/rds",
            Tags=seeder.tags(Role="secondary"))["DBCluster"]
        out["secondary"] = _seed_instances(seeder, rds_d, dr, secondary, s)
        lag = float(s.get("initial_replica_lag_seconds", 0))
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        put_global_lag(seeder.endpoint, dr["region"], dr["cluster_id"], lag,
                       timestamps=[now - dt.timedelta(seconds=60 * i) for i in range(9, -1, -1)])
    return out


def _seed_instances(seeder: Any, rds: Any, spec: dict[str, Any], cluster: dict[str, Any],
                    s: dict[str, Any]) -> dict[str, Any]:
    ids = list(spec.get("instance_ids") or [f"{spec['cluster_id']}-1"])
    for n, iid in enumerate(ids):
        rds.create_db_instance(DBInstanceIdentifier=iid, DBClusterIdentifier=spec["cluster_id"], Engine=ENGINE,
                               DBInstanceClass=str(s.get("cluster_instance_class") or "db.r6g.large"),
                               PromotionTier=n, Tags=seeder.tags())
    return {"id": cluster["DBClusterIdentifier"], "arn": cluster["DBClusterArn"], "region": spec["region"],
            "port": cluster["Port"], "instances": ids}


def _load_schema(seeder: Any, port: int, s: dict[str, Any]) -> None:
    import psycopg

    from sandbox.aws_seed import MASTER_PASSWORD, SCHEMA_SQL

    with psycopg.connect(host="127.0.0.1", port=port, user=s["master_username"], password=MASTER_PASSWORD,
                         dbname=s["db_name"], autocommit=True, connect_timeout=10) as conn:
        conn.execute(Path(s.get("schema_file") or SCHEMA_SQL).read_text())  # the estate's own (sandbox/schema.py resolves it)


def _master_secret(seeder: Any, s: dict[str, Any], password: str, cluster_id: str) -> None:
    import json

    body = json.dumps({"username": s["master_username"], "password": password, "engine": "postgres", "port": 5432,
                       "dbname": s["db_name"], "dbClusterIdentifier": cluster_id})
    arns = {}
    for side in seeder.sides:
        arns[side] = seeder.client("secretsmanager", side).create_secret(
            Name=s["master_secret_name"], SecretString=body, Description="database master credentials",
            Tags=seeder.tags())["ARN"]
    seeder.out["db_secret"] = {"name": s["master_secret_name"], "arns": arns}
