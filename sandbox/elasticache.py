"""ElastiCache (Redis OSS) in the sandbox: real redis-server processes behind moto's replication groups, and the
Global Datastore operations moto 5.2.5 lacks.

moto keeps replication-group records (Create/Describe/Modify/DeleteReplicationGroup) with made-up endpoints and no
data, and answers every Global Datastore call (CreateGlobalReplicationGroup, DescribeGlobalReplicationGroups,
FailoverGlobalReplicationGroup, DisassociateGlobalReplicationGroup, DeleteGlobalReplicationGroup) and TestFailover
with HTTP 500. This module adds them, and the data:

- One replication group (cluster mode disabled) = one real redis-server on 127.0.0.1 (Debian's redis-server 7.0:
  tools/install-redis.sh). Its primary endpoint, reader endpoint and every node's read endpoint answer on that
  server's port (the group's Port and every endpoint's Port; the addresses stay moto's names: connect to 127.0.0.1,
  as for the RDS instances). The nodes of a group are one server: a node failover within the group (TestFailover)
  moves the primary role, not the data.
- A Global Datastore: the primary group (primary region) is writable; each secondary group (another region) is a
  read-only Redis replica of it, streaming through a replication link (rdsdata/link.py's, with Redis framing here):
  the link delivers the primary's command stream `lag` seconds late, holds it all while paused, and drops what it
  holds when cut. What a secondary never received it never has.
- FailoverGlobalReplicationGroup (planned or not: ElastiCache has one call): the target secondary is promoted at
  once with what it has received (what the link still held is lost, as with a real asynchronous link and a failed
  primary region); the old primary becomes its replica through a new link and resynchronises (its writes the target
  never got are gone: Redis' full resync). DisassociateGlobalReplicationGroup: a secondary leaves the datastore and
  becomes a standalone writable group (its link cut). DeleteGlobalReplicationGroup (RetainPrimaryReplicationGroup):
  once only the primary is left. DeleteReplicationGroup drops the server (and moto's record).
- Reported state: under the realistic timing profile the datastore reads `modifying` for
  `elasticache.global_failover` (and the group `modifying` for `elasticache.test_failover`), the members' roles
  swapped at the end; under the instant profile at once. The data moves at the call (as everywhere in the sandbox).
- CloudWatch (AWS/ElastiCache, Seconds): `GlobalDatastoreReplicationLag` on each secondary group's primary node and
  `ReplicationLag` on every node of a secondary group (dimension CacheClusterId), the link's lag, growing while
  paused: publish_lag(), called by the daemon's ticker and by the knob (knobs.cache_lag).
- Global Datastore ids: AWS prefixes the suffix given to CreateGlobalReplicationGroup with a five-letter code of
  the primary region; the sandbox's code is global_prefix(region) (not AWS's codes).
"""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import logging
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from sandbox.rdsdata.link import ReplicationLink
from sandbox.rdsdata.postgres import free_port

log = logging.getLogger("sandbox.elasticache")

GLOBAL_REGION = "us-east-1"  # the account's Global Datastores live in this region's backend (as moto's RDS globals)
LAG_METRICS = ("GlobalDatastoreReplicationLag", "ReplicationLag")
DURATION_KEYS = {"failover": "elasticache.global_failover", "test_failover": "elasticache.test_failover",
                 "create": "elasticache.create_replication_group", "delete": "elasticache.delete_replication_group"}
START_TIMEOUT = 10.0
SYNC_TIMEOUT = 30.0


class CacheError(RuntimeError):
    pass


def redis_binary() -> str:
    """redis-server: $CLOUDOPS_SANDBOX_REDIS_SERVER, else on PATH / /usr/bin."""
    found = os.environ.get("CLOUDOPS_SANDBOX_REDIS_SERVER") or shutil.which("redis-server") or "/usr/bin/redis-server"
    if not os.access(found, os.X_OK):
        raise CacheError("redis-server not found: run tools/install-redis.sh (Debian's redis-server) or set "
                         "CLOUDOPS_SANDBOX_REDIS_SERVER")
    return found


def global_prefix(region: str) -> str:
    """The sandbox's five-letter Global Datastore id prefix of a region (AWS has its own per-region codes)."""
    digest = hashlib.sha1(region.encode()).digest()
    return "".join(chr(ord("a") + b % 26) for b in digest[:5])


# -- a minimal RESP client (no redis-py in the project's environment) --------------------------------------------------
def command(port: int, *args: Any, timeout: float = 5.0) -> Any:
    """One Redis command on 127.0.0.1:port; returns the decoded reply (str/int/list/None); raises CacheError on -ERR."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(_encode(args))
        return _read_reply(sock.makefile("rb"))


def _encode(args: tuple[Any, ...]) -> bytes:
    out = [f"*{len(args)}\r\n".encode()]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append(b"$%d\r\n%s\r\n" % (len(b), b))
    return b"".join(out)


def _read_reply(f: Any) -> Any:
    line = f.readline()
    if not line:
        raise CacheError("connection closed")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise CacheError(rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        return None if n < 0 else f.read(n + 2)[:-2].decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise CacheError(f"unexpected reply {line!r}")


def info(port: int, section: str = "replication") -> dict[str, str]:
    text = command(port, "INFO", section)
    return dict(line.split(":", 1) for line in text.splitlines() if ":" in line and not line.startswith("#"))


# -- servers and links -------------------------------------------------------------------------------------------------
class RedisServer:
    """One redis-server on 127.0.0.1 (no persistence: the sandbox's data lives as long as the sandbox)."""

    def __init__(self, root: Path, name: str):
        self.name = name
        self.port = free_port()
        self.dir = root / name
        self.dir.mkdir(parents=True, exist_ok=True)
        self.log = root / f"{name}.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        args = [redis_binary(), "--port", str(self.port), "--bind", "127.0.0.1", "--protected-mode", "no",
                "--dir", str(self.dir), "--save", "", "--appendonly", "no", "--daemonize", "no",
                "--logfile", str(self.log),
                # the link holds the stream while paused: neither side may give up on the other meanwhile
                "--repl-timeout", "3600", "--repl-diskless-sync", "no", "--repl-backlog-size", "16mb",
                "--replica-read-only", "yes"]
        self.proc = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                if command(self.port, "PING", timeout=1) == "PONG":
                    return
            except (OSError, CacheError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise CacheError(f"redis-server {self.name} did not start on port {self.port} (log {self.log})")
            time.sleep(0.02)

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class RedisLink(ReplicationLink):
    """The replication link with Redis framing: the handshake (PING, REPLCONF, PSYNC's +FULLRESYNC/+CONTINUE) and
    the RDB payload of a full resync pass at once; only the command stream after them is delayed (or held)."""

    def frames(self, session: Any, buf: bytes) -> tuple[list[tuple[bool, bytes]], bytes]:
        msgs: list[tuple[bool, bytes]] = []
        state = session.__dict__.setdefault("redis_state", {"phase": "handshake", "remaining": 0})
        while buf:
            phase = state["phase"]
            if phase == "stream":
                msgs.append((True, buf))
                return msgs, b""
            if phase == "payload":
                take = buf[:state["remaining"]]
                buf = buf[len(take):]
                state["remaining"] -= len(take)
                msgs.append((False, take))
                if state["remaining"] == 0:
                    state["phase"] = "stream"
                    session.streaming = True
                continue
            if phase == "preamble" and buf[:1] == b"\n":  # the primary's keep-alive while it writes the RDB
                msgs.append((False, buf[:1]))
                buf = buf[1:]
                continue
            end = buf.find(b"\r\n")
            if end < 0:
                return msgs, buf
            line, buf = buf[:end + 2], buf[end + 2:]
            msgs.append((False, line))
            if phase == "handshake" and line.startswith(b"+FULLRESYNC"):
                state["phase"] = "preamble"
            elif phase == "handshake" and line.startswith(b"+CONTINUE"):
                state["phase"] = "stream"
                session.streaming = True
            elif phase == "preamble" and line.startswith(b"$"):
                if line.startswith(b"$EOF:"):  # diskless transfer (switched off on our servers): no delay to apply
                    state["phase"] = "stream"
                    continue
                state["phase"], state["remaining"] = "payload", int(line[1:-2])
                if state["remaining"] == 0:
                    state["phase"] = "stream"
        return msgs, buf


@dataclass
class Group:
    region: str
    group_id: str
    server: RedisServer
    role: str = "primary"  # primary | secondary | standalone
    source: tuple[str, str] | None = None
    link: RedisLink | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> tuple[str, str]:
        return (self.region, self.group_id)


class CachePlane:
    """Every replication group's server and the Global Datastores' links (one lock)."""

    def __init__(self, root: Path | None = None, initial_lag_seconds: float = 0.0):
        self.root = Path(root or tempfile.mkdtemp(prefix="cloudops-redis-"))
        self.root.mkdir(parents=True, exist_ok=True)
        self.initial_lag_seconds = float(initial_lag_seconds)
        self.lock = threading.RLock()
        self.groups: dict[tuple[str, str], Group] = {}
        self.errors: list[dict[str, Any]] = []

    def get(self, region: str, group_id: str) -> Group:
        try:
            return self.groups[(region, group_id)]
        except KeyError:
            raise CacheError(f"no replication group {group_id} in {region} in the data plane") from None

    def has(self, region: str, group_id: str) -> bool:
        return (region, group_id) in self.groups

    def create(self, region: str, group_id: str) -> Group:
        with self.lock:
            if self.has(region, group_id):
                return self.get(region, group_id)
            server = RedisServer(self.root, f"{region}--{group_id}")
            server.start()
            group = Group(region, group_id, server, role="standalone")
            self.groups[group.key] = group
            return group

    def _follow(self, group: Group, source: Group, lag: float) -> None:
        """`group` becomes a replica of `source` through a new link; waits for the initial sync."""
        link = RedisLink(f"{source.group_id}->{group.group_id}", source.server.port, lag)
        command(group.server.port, "REPLICAOF", "127.0.0.1", link.port)
        group.role, group.source, group.link = "secondary", source.key, link
        source.role = "primary"
        deadline = time.monotonic() + SYNC_TIMEOUT
        while info(group.server.port).get("master_link_status") != "up":
            if time.monotonic() > deadline:
                raise CacheError(f"{group.group_id} did not synchronise with {source.group_id} in {SYNC_TIMEOUT:.0f} s")
            time.sleep(0.05)

    def make_secondary(self, region: str, group_id: str, source_region: str, source_id: str) -> Group:
        with self.lock:
            group, source = self.get(region, group_id), self.get(source_region, source_id)
            self._follow(group, source, self.initial_lag_seconds)
            return group

    def _promote(self, group: Group) -> int:
        """Stop following: what the link still held is dropped. Returns the link messages dropped."""
        dropped = 0
        if group.link is not None:
            dropped = group.link.cut()
        command(group.server.port, "REPLICAOF", "NO", "ONE")
        group.link, group.source = None, None
        return dropped

    def failover(self, old: tuple[str, str], new: tuple[str, str]) -> int:
        """`new` (a secondary) becomes the primary with what it has; `old` and the other secondaries follow it."""
        with self.lock:
            target = self.get(*new)
            if target.link is None:
                raise CacheError(f"{new[1]} in {new[0]} is not a secondary with a live link")
            lag = target.link.lag_seconds
            dropped = self._promote(target)
            target.role = "primary"
            for g in list(self.groups.values()):
                if g is target or not (g.key == old or g.source == old):
                    continue
                if g.link is not None:
                    g.link.cut()
                try:
                    self._follow(g, target, lag)
                except (OSError, CacheError) as exc:  # the failover has happened: a failed rejoin is that group's error
                    self.record_error("rejoin", f"{g.region}/{g.group_id}", exc)
            log.info("global failover: %s/%s primary (%d link messages lost)", *new, dropped)
            return dropped

    def detach(self, region: str, group_id: str) -> None:
        with self.lock:
            group = self.get(region, group_id)
            if group.link is not None or group.role == "secondary":
                self._promote(group)
            group.role = "standalone"

    def delete(self, region: str, group_id: str) -> None:
        with self.lock:
            group = self.groups.pop((region, group_id), None)
            if group is None:
                return
            if group.link is not None:
                group.link.cut()
            group.server.stop()
            shutil.rmtree(group.server.dir, ignore_errors=True)
            group.server.log.unlink(missing_ok=True)

    # -- knobs and metrics -----------------------------------------------------------------------------------------
    def set_replication(self, region: str, group_id: str, lag_seconds: float | None = None,
                        paused: bool | None = None) -> dict[str, Any]:
        with self.lock:
            group = self.get(region, group_id)
            if group.link is None:
                raise CacheError(f"{group_id} in {region} is not a secondary with a live link (role {group.role})")
            group.link.configure(lag_seconds, paused)
            if lag_seconds is not None:
                self.initial_lag_seconds = max(0.0, float(lag_seconds))
            return self.describe(group)

    @staticmethod
    def lag_seconds(group: Group) -> float | None:
        return None if group.link is None else group.link.lag_now()

    def describe(self, group: Group) -> dict[str, Any]:
        out: dict[str, Any] = {"region": group.region, "replication_group_id": group.group_id,
                               "port": group.server.port, "role": group.role, "running": group.server.running,
                               "source": list(group.source) if group.source else None}
        if group.link is not None:
            out["replication"] = {"lag_seconds": group.link.lag_seconds, "paused": group.link.paused,
                                  "held_messages": group.link.held_messages(),
                                  "replication_lag_seconds": self.lag_seconds(group)}
        return out

    def status(self) -> dict[str, Any]:
        with self.lock:
            return {"root": str(self.root), "groups": [self.describe(g) for g in self.groups.values()],
                    "errors": list(self.errors)}

    def record_error(self, operation: str, target: str, exc: BaseException) -> None:
        log.error("cache data plane %s %s failed: %s", operation, target, exc)
        self.errors.append({"operation": operation, "target": target, "error": str(exc),
                            "at": dt.datetime.now(dt.timezone.utc).isoformat()})

    def reset(self) -> None:
        with self.lock:
            for key in list(self.groups):
                self.delete(*key)
            self.errors.clear()

    def shutdown(self) -> None:
        self.reset()
        shutil.rmtree(self.root, ignore_errors=True)


# -- moto --------------------------------------------------------------------------------------------------------------
def _error(code: str, message: str, status: int = 400) -> Exception:
    from moto.elasticache.exceptions import ElastiCacheException

    cls = type(code, (ElastiCacheException,), {"code": code})
    exc = cls(message)
    exc.code, exc.message = code, message  # type: ignore[attr-defined]
    return exc


def _backend(account: str, region: str) -> Any:
    from moto.elasticache.models import elasticache_backends

    return elasticache_backends[account][region]


def _globals(account: str) -> dict[str, dict[str, Any]]:
    """The account's Global Datastores (kept on one region's backend: moto's reset drops them with it)."""
    backend = _backend(account, GLOBAL_REGION)
    if not hasattr(backend, "_cloudops_globals"):
        backend._cloudops_globals = {}
    return backend._cloudops_globals


def _group(account: str, region: str, group_id: str) -> Any:
    group = _backend(account, region).replication_groups.get(group_id)
    if group is None:
        raise _error("ReplicationGroupNotFoundFault", f"Replication group {group_id} not found in {region}.", 404)
    return group


def _set_port(group: Any, port: int) -> None:
    group.port = port
    for ng in group.node_groups:
        ng["port"] = port
        if "primary_endpoint" in ng:
            ng["primary_endpoint"]["port"] = port
        for member in ng.get("node_group_members", []):
            if "read_endpoint" in member:
                member["read_endpoint"]["port"] = port
    if getattr(group, "configuration_endpoint", None):
        group.configuration_endpoint["port"] = port


def _add_nodes(group: Any, count: int) -> None:
    """moto makes one node whatever NumCacheClusters says (cluster mode disabled): add the replica nodes."""
    if group.cluster_enabled or not group.node_groups:
        return
    members = group.node_groups[0]["node_group_members"]
    first = members[0]
    domain = first["read_endpoint"]["address"].split(".", 1)[1]
    azs = "abcdef"
    for n in range(len(members) + 1, count + 1):
        node_id = f"{group.replication_group_id}-{n:0>3}"
        members.append({"cache_cluster_id": node_id, "cache_node_id": first["cache_node_id"],
                        "read_endpoint": {"address": f"{node_id}.{domain}", "port": group.port},
                        "preferred_availability_zone": first["preferred_availability_zone"][:-1] + azs[(n - 1) % 6],
                        "current_role": "replica"})
        group.member_clusters.append(node_id)


def _set_membership(group: Any, gid: str | None, role: str | None) -> None:
    group.global_replication_group_id = gid or ""
    group.global_replication_group_member_role = role or ""


def _view(gds: dict[str, Any], members: bool) -> dict[str, Any]:
    out = {k: v for k, v in gds.items() if not k.startswith("_") and k != "Members"}
    if members:
        out["Members"] = [dict(m) for m in gds["Members"]]
    return out


class Hooks:
    def __init__(self, plane: CachePlane):
        self.plane = plane

    def create_replication_group(self, resp: Any, params: dict[str, Any]) -> None:
        region, account = resp.region, resp.current_account
        gid = params.get("GlobalReplicationGroupId")
        group = _group(account, region, params["ReplicationGroupId"])
        _add_nodes(group, int(params.get("NumCacheClusters") or 0))
        try:
            data = self.plane.create(region, group.replication_group_id)
            _set_port(group, data.server.port)
            if gid:
                gds = _globals(account).get(gid)
                primary = next((m for m in (gds or {}).get("Members", []) if m["Role"] == "PRIMARY"), None)
                if gds is None or primary is None:
                    raise CacheError(f"Global datastore {gid} not found")
                self.plane.make_secondary(region, group.replication_group_id, primary["ReplicationGroupRegion"],
                                          primary["ReplicationGroupId"])
                member = {"ReplicationGroupId": group.replication_group_id, "ReplicationGroupRegion": region,
                          "Role": "SECONDARY", "AutomaticFailover": group.automatic_failover, "Status": "associated"}
                gds["Members"].append(member)
                _set_membership(group, gid, "SECONDARY")
            else:
                gds, member = None, None
                _set_membership(group, None, None)
        except Exception as exc:  # noqa: BLE001 - the record exists: report the data side's failure, keep serving
            self.plane.record_error("create", f"{region}/{group.replication_group_id}", exc)
            return
        _timed_creation(group, gds, member)

    @staticmethod
    def refuse_delete(resp: Any, params: dict[str, Any]) -> None:
        """ElastiCache refuses to delete a member of a Global Datastore (disassociate it, or delete the datastore)."""
        group = _backend(resp.current_account, resp.region).replication_groups.get(params.get("ReplicationGroupId"))
        if group is not None and group.global_replication_group_id:
            raise _error("InvalidReplicationGroupState",
                         f"Replication group {group.replication_group_id} is a member of global datastore "
                         f"{group.global_replication_group_id}: disassociate it first "
                         "(DisassociateGlobalReplicationGroup), or delete the datastore if it is its primary.")

    def delete_replication_group(self, resp: Any, params: dict[str, Any]) -> None:
        from sandbox import timing

        region, group_id = resp.region, params["ReplicationGroupId"]
        self.plane.delete(region, group_id)  # the data goes at the call; the record when the deletion ends
        groups = _backend(resp.current_account, region).replication_groups

        def finish(groups=groups, group_id=group_id) -> None:
            groups.pop(group_id, None)  # moto leaves the record `deleting` for ever; ElastiCache removes it

        if timing.MODEL.start(DURATION_KEYS["delete"], "elasticache", "replication-group", region, group_id,
                              "DeleteReplicationGroup", "deleting", "deleted", on_final=finish) is None:
            finish()


def _timed_creation(group: Any, gds: dict[str, Any] | None, member: dict[str, Any] | None) -> None:
    """Under the realistic profile a new group reads `creating` (a new secondary: its member `associating`, the
    datastore `modifying`) for elasticache.create_replication_group; the data is there at the call."""
    from sandbox import timing

    def finish(group=group, gds=gds, member=member) -> None:
        group.status = "available"
        if member is not None:
            member["Status"] = "associated"
        if gds is not None:
            gds["Status"] = "available"

    t = timing.MODEL.start(DURATION_KEYS["create"], "elasticache", "replication-group", group.arn.split(":")[3],
                           group.replication_group_id, "CreateReplicationGroup", "creating", "available",
                           on_final=finish)
    if t is None:
        return
    group.status = "creating"
    if member is not None and gds is not None:
        member["Status"], gds["Status"] = "associating", "modifying"


def create_global(resp: Any) -> Any:
    from moto.core.responses import ActionResult

    account, region = resp.current_account, resp.region
    suffix = resp._get_param("GlobalReplicationGroupIdSuffix")
    primary_id = resp._get_param("PrimaryReplicationGroupId")
    if not suffix or not primary_id:
        raise _error("InvalidParameterValue", "GlobalReplicationGroupIdSuffix and PrimaryReplicationGroupId are "
                                              "required.")
    group = _group(account, region, primary_id)
    if group.global_replication_group_id:
        raise _error("InvalidReplicationGroupState", f"Replication group {primary_id} is already a member of global "
                                                     f"datastore {group.global_replication_group_id}.")
    gid = f"{global_prefix(region)}-{suffix}"
    registry = _globals(account)
    if gid in registry:
        raise _error("GlobalReplicationGroupAlreadyExistsFault", f"Global datastore {gid} already exists.")
    registry[gid] = {
        "GlobalReplicationGroupId": gid,
        "GlobalReplicationGroupDescription": resp._get_param("GlobalReplicationGroupDescription") or "",
        "Status": "available", "CacheNodeType": group.cache_node_type, "Engine": group.engine or "redis",
        "EngineVersion": group.engine_version or "7.0", "ClusterEnabled": bool(group.cluster_enabled),
        "AuthTokenEnabled": bool(group.auth_token_enabled),
        "TransitEncryptionEnabled": bool(group.transit_encryption_enabled),
        "AtRestEncryptionEnabled": bool(group.at_rest_encryption_enabled),
        "ARN": f"arn:aws:elasticache::{account}:globalreplicationgroup:{gid}",
        "Members": [{"ReplicationGroupId": primary_id, "ReplicationGroupRegion": region, "Role": "PRIMARY",
                     "AutomaticFailover": group.automatic_failover, "Status": "associated"}]}
    _set_membership(group, gid, "PRIMARY")
    return ActionResult({"GlobalReplicationGroup": _view(registry[gid], True)})


def _global(account: str, gid: str | None) -> dict[str, Any]:
    gds = _globals(account).get(str(gid or ""))
    if gds is None:
        raise _error("GlobalReplicationGroupNotFoundFault", f"Global datastore {gid} not found.", 404)
    return gds


def describe_globals(resp: Any) -> Any:
    from moto.core.responses import ActionResult

    from sandbox import timing

    gid = resp._get_param("GlobalReplicationGroupId")
    members = str(resp._get_param("ShowMemberInfo") or "").lower() == "true"
    account = resp.current_account
    found = [_global(account, gid)] if gid else list(_globals(account).values())
    for gds in found:
        t = timing.MODEL.find("elasticache", "global-replication-group", "global", gds["GlobalReplicationGroupId"])
        if t is not None and t.settled:
            timing.MODEL.observe(t)
    return ActionResult({"GlobalReplicationGroups": [_view(g, members) for g in found]})


def failover_global(resp: Any, plane: CachePlane) -> Any:
    from moto.core.responses import ActionResult

    from sandbox import timing

    account = resp.current_account
    gds = _global(account, resp._get_param("GlobalReplicationGroupId"))
    region, target_id = resp._get_param("PrimaryRegion"), resp._get_param("PrimaryReplicationGroupId")
    gid = gds["GlobalReplicationGroupId"]
    new = next((m for m in gds["Members"] if m["ReplicationGroupId"] == target_id
                and m["ReplicationGroupRegion"] == region), None)
    old = next((m for m in gds["Members"] if m["Role"] == "PRIMARY"), None)
    if gds["Status"] != "available":
        raise _error("InvalidGlobalReplicationGroupState", f"Global datastore {gid} is {gds['Status']}: another "
                                                           "operation is in progress.")
    if new is None:
        raise _error("InvalidParameterValue", f"Replication group {target_id} in {region} is not a member of global "
                                              f"datastore {gid}.")
    if new is old:
        raise _error("InvalidParameterValue", f"Replication group {target_id} is already the primary of {gid}.")
    assert old is not None
    old_key, new_key = (old["ReplicationGroupRegion"], old["ReplicationGroupId"]), (region, target_id)
    if plane.has(*old_key) and plane.has(*new_key):
        try:
            plane.failover(old_key, new_key)
        except Exception as exc:  # noqa: BLE001 - before the promotion: nothing changed
            plane.record_error("failover", gid, exc)
            raise _error("InvalidGlobalReplicationGroupState", f"failover of {gid} did not complete: {exc}") from None

    def finish(gds=gds, old=old, new=new) -> None:
        old["Role"], new["Role"] = "SECONDARY", "PRIMARY"
        for member in (old, new):
            group = _backend(account, member["ReplicationGroupRegion"]).replication_groups.get(
                member["ReplicationGroupId"])
            if group is not None:
                _set_membership(group, gid, member["Role"])
        gds["Status"] = "available"

    gds["Status"] = "modifying"
    t = timing.MODEL.start(DURATION_KEYS["failover"], "elasticache", "global-replication-group", "global", gid,
                           "FailoverGlobalReplicationGroup", "modifying", "available", on_final=finish)
    if t is None:
        finish()
    return ActionResult({"GlobalReplicationGroup": _view(gds, True)})


def disassociate_global(resp: Any, plane: CachePlane) -> Any:
    from moto.core.responses import ActionResult

    account = resp.current_account
    gds = _global(account, resp._get_param("GlobalReplicationGroupId"))
    gid = gds["GlobalReplicationGroupId"]
    group_id, region = resp._get_param("ReplicationGroupId"), resp._get_param("ReplicationGroupRegion")
    member = next((m for m in gds["Members"] if m["ReplicationGroupId"] == group_id
                   and m["ReplicationGroupRegion"] == region), None)
    if member is None:
        raise _error("InvalidParameterValue", f"Replication group {group_id} in {region} is not a member of {gid}.")
    if member["Role"] == "PRIMARY":
        raise _error("InvalidParameterValue", f"{group_id} is the primary of {gid}: only a secondary can be "
                                              "disassociated (fail over first, or delete the global datastore).")
    if gds["Status"] != "available":
        raise _error("InvalidGlobalReplicationGroupState", f"Global datastore {gid} is {gds['Status']}.")
    if plane.has(region, group_id):
        plane.detach(region, group_id)
    gds["Members"].remove(member)
    group = _backend(account, region).replication_groups.get(group_id)
    if group is not None:
        _set_membership(group, None, None)
    return ActionResult({"GlobalReplicationGroup": _view(gds, True)})


def delete_global(resp: Any) -> Any:
    from moto.core.responses import ActionResult

    account = resp.current_account
    gds = _global(account, resp._get_param("GlobalReplicationGroupId"))
    gid = gds["GlobalReplicationGroupId"]
    if len(gds["Members"]) > 1:
        raise _error("InvalidGlobalReplicationGroupState", f"Global datastore {gid} still has secondary members: "
                                                           "disassociate them first.")
    if str(resp._get_param("RetainPrimaryReplicationGroup")).lower() != "true":
        raise _error("InvalidParameterValue", "RetainPrimaryReplicationGroup must be true.")
    for m in gds["Members"]:
        group = _backend(account, m["ReplicationGroupRegion"]).replication_groups.get(m["ReplicationGroupId"])
        if group is not None:
            _set_membership(group, None, None)
    del _globals(account)[gid]
    return ActionResult({"GlobalReplicationGroup": {**_view(gds, False), "Status": "deleting"}})


def test_failover(resp: Any) -> Any:
    """A node failover inside one group: the next node takes the primary role (same server: same data)."""
    from moto.core.responses import ActionResult

    from sandbox import timing

    group = _group(resp.current_account, resp.region, resp._get_param("ReplicationGroupId"))
    ng_id = resp._get_param("NodeGroupId")
    ng = next((n for n in group.node_groups if n["node_group_id"] == ng_id), None)
    if ng is None:
        raise _error("NodeGroupNotFoundFault", f"Node group {ng_id} not found in {group.replication_group_id}.", 404)
    members = ng["node_group_members"]
    if len(members) < 2 or group.automatic_failover != "enabled":
        raise _error("InvalidReplicationGroupState", f"Replication group {group.replication_group_id} needs "
                                                     "automatic failover enabled and at least one replica node.")
    if group.status != "available":
        raise _error("InvalidReplicationGroupState", f"Replication group {group.replication_group_id} is "
                                                     f"{group.status}.")

    def finish(group=group, members=members) -> None:
        roles = [m.get("current_role") for m in members]
        i = roles.index("primary") if "primary" in roles else 0
        for m in members:
            m["current_role"] = "replica"
        members[(i + 1) % len(members)]["current_role"] = "primary"
        group.status = "available"

    group.status = "modifying"
    t = timing.MODEL.start(DURATION_KEYS["test_failover"], "elasticache", "replication-group", resp.region,
                           group.replication_group_id, "TestFailover", "modifying", "available", on_final=finish)
    if t is None:
        finish()
    return ActionResult({"ReplicationGroup": group})


_ORIGINALS: dict[str, Callable[..., Any]] = {}
INSTALLED: dict[str, Any] = {}


def install(plane: CachePlane) -> Hooks:
    """Wrap moto's ElastiCache handlers (in this process) and add the Global Datastore calls. Idempotent; before
    timing.install."""
    from moto.elasticache.models import ReplicationGroup
    from moto.elasticache.responses import ElastiCacheResponse

    hooks = Hooks(plane)
    INSTALLED["plane"] = plane
    if not isinstance(getattr(ReplicationGroup, "global_replication_group_member_role", None), str):
        ReplicationGroup.global_replication_group_member_role = ""  # moto sets it only on secondaries
    befores = {"delete_replication_group": hooks.refuse_delete}
    for action in ("create_replication_group", "delete_replication_group"):
        original = _ORIGINALS.setdefault(action, getattr(ElastiCacheResponse, action))

        def wrapper(self: Any, _original=original, _after=getattr(hooks, action), _before=befores.get(action)) -> Any:
            params = dict(self._get_params())
            if _before is not None:
                _before(self, params)
            result = _original(self)
            _after(self, params)
            return result

        setattr(ElastiCacheResponse, action, functools.wraps(original)(wrapper))
    original_call = _ORIGINALS.setdefault("call_action", ElastiCacheResponse.call_action)

    def call_action(self: Any) -> Any:
        from sandbox import timing

        timing.MODEL.settle()  # operations whose time is up show their final state to this call
        return original_call(self)

    ElastiCacheResponse.call_action = functools.wraps(original_call)(call_action)
    ElastiCacheResponse.create_global_replication_group = lambda self: create_global(self)
    ElastiCacheResponse.describe_global_replication_groups = lambda self: describe_globals(self)
    ElastiCacheResponse.failover_global_replication_group = lambda self: failover_global(self, plane)
    ElastiCacheResponse.disassociate_global_replication_group = lambda self: disassociate_global(self, plane)
    ElastiCacheResponse.delete_global_replication_group = lambda self: delete_global(self)
    ElastiCacheResponse.test_failover = lambda self: test_failover(self)
    return hooks


# -- metrics -----------------------------------------------------------------------------------------------------------
def put_cache_lag(endpoint: str, region: str, group_id: str, nodes: list[str], seconds: float,
                  timestamps: list[dt.datetime] | None = None) -> None:
    """GlobalDatastoreReplicationLag (the group's primary node) and ReplicationLag (each node) of a secondary group."""
    from sandbox.config import aws_client

    stamps = timestamps or [dt.datetime.now(dt.timezone.utc)]
    data = []
    for t in stamps:
        for name, targets in (("GlobalDatastoreReplicationLag", nodes[:1]), ("ReplicationLag", nodes)):
            data += [{"MetricName": name, "Timestamp": t, "Value": round(float(seconds), 3), "Unit": "Seconds",
                      "Dimensions": [{"Name": "CacheClusterId", "Value": node}]} for node in targets]
    cw = aws_client("cloudwatch", endpoint, region)
    for i in range(0, len(data), 500):
        cw.put_metric_data(Namespace="AWS/ElastiCache", MetricData=data[i:i + 500])


def secondary_lags(endpoint: str, plane: CachePlane | None = None) -> list[dict[str, Any]]:
    """Every secondary group's lag now: [{region, replication_group_id, lag_seconds, paused, nodes}]."""
    from sandbox.config import aws_client

    plane = plane or INSTALLED.get("plane")
    if plane is None:
        return []
    with plane.lock:
        found = [(g.region, g.group_id, g.link.paused, plane.lag_seconds(g)) for g in plane.groups.values()
                 if g.link is not None]
    out = []
    for region, gid, paused, lag in found:
        try:
            rg = aws_client("elasticache", endpoint, region).describe_replication_groups(
                ReplicationGroupId=gid)["ReplicationGroups"][0]
            nodes = list(rg.get("MemberClusters") or [])
        except Exception:  # noqa: BLE001 - a group being deleted: no metric for it
            continue
        out.append({"region": region, "replication_group_id": gid, "lag_seconds": lag, "paused": paused,
                    "nodes": nodes})
    return out


def publish_lag(endpoint: str, plane: CachePlane | None = None) -> list[dict[str, Any]]:
    """Publish the lag metrics of every secondary group (the daemon's ticker calls this every period)."""
    lags = secondary_lags(endpoint, plane)
    for lag in lags:
        if lag["nodes"]:
            put_cache_lag(endpoint, lag["region"], lag["replication_group_id"], lag["nodes"],
                          float(lag["lag_seconds"] or 0))
    return lags


# -- seeding -----------------------------------------------------------------------------------------------------------
def seed(seeder: Any) -> dict[str, Any]:
    """The estate's cache (cloudops_cache): the primary replication group, the Global Datastore, the secondary group in
    DR, the seed keys written on the primary, 10 minutes of lag metrics. Called by aws_seed.Seeder.run."""
    spec = seeder.inv["cloudops_cache"]
    s = seeder.seed["cache"]
    p = spec["primary"]
    ec_p = seeder.client("elasticache", p["region"])
    common = {"Engine": "redis", "EngineVersion": str(s["engine_version"]), "CacheNodeType": s["node_type"],
              "NumCacheClusters": int(s["nodes_per_group"]),
              "AutomaticFailoverEnabled": int(s["nodes_per_group"]) > 1,
              "MultiAZEnabled": int(s["nodes_per_group"]) > 1}
    primary = ec_p.create_replication_group(
        ReplicationGroupId=p["replication_group_id"],
        ReplicationGroupDescription=f"{seeder.inv.get('cloudops_application', 'app')} cache",
        Tags=seeder.tags(Role="primary"), **common)["ReplicationGroup"]
    out: dict[str, Any] = {"primary": _group_out(primary, p["region"])}
    gid = spec.get("global_datastore_id")
    dr = spec.get("secondary")
    if gid:
        prefix = global_prefix(p["region"])
        made = ec_p.create_global_replication_group(
            GlobalReplicationGroupIdSuffix=gid[len(prefix) + 1:], PrimaryReplicationGroupId=p["replication_group_id"],
            GlobalReplicationGroupDescription="cache global datastore")["GlobalReplicationGroup"]
        out["global_datastore_id"] = made["GlobalReplicationGroupId"]
    if gid and dr and "dr" in seeder.sides:
        common.pop("EngineVersion")  # a secondary takes the datastore's engine
        secondary = seeder.client("elasticache", dr["region"]).create_replication_group(
            ReplicationGroupId=dr["replication_group_id"], ReplicationGroupDescription="cache secondary",
            GlobalReplicationGroupId=gid, Tags=seeder.tags(Role="secondary"), **common)["ReplicationGroup"]
        out["secondary"] = _group_out(secondary, dr["region"])
    port = out["primary"]["port"]
    for key, value in (s.get("keys") or {}).items():
        command(port, "SET", key, value)
    if out.get("secondary"):
        lag = float(s["initial_replica_lag_seconds"])
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        put_cache_lag(seeder.endpoint, dr["region"], dr["replication_group_id"], out["secondary"]["nodes"], lag,
                      timestamps=[now - dt.timedelta(seconds=60 * i) for i in range(9, -1, -1)])
    seeder.out["cache"] = out
    return out


def _group_out(rg: dict[str, Any], region: str) -> dict[str, Any]:
    ng = rg["NodeGroups"][0]
    return {"id": rg["ReplicationGroupId"], "arn": rg["ARN"], "region": region,
            "primary_endpoint": ng["PrimaryEndpoint"]["Address"], "port": ng["PrimaryEndpoint"]["Port"],
            "nodes": list(rg["MemberClusters"])}
