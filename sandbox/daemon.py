"""The sandbox daemon: one process hosting every emulator, started detached by `python -m sandbox up`.

It hosts, each on a free 127.0.0.1 port chosen at start-up:
- a moto server (AWS APIs),
- a Kubernetes API emulator per cluster (clusters "primary" and "dr", from sandbox.k8s; "primary" only for an
  estate without a DR side),
- a small control server (/health, /reset, /seed-aws, /k8s/snapshot, /target-health, /rds, /rds/replication,
  /timing, /faults, /api-calls) for what moto's HTTP API cannot do,
- the RDS data plane (sandbox.rdsdata): one real PostgreSQL server per emulated postgres RDS instance, driven by
  hooks inside moto's RDS handlers,
- the ElastiCache data plane (sandbox.elasticache): one real redis-server per replication group, and S3 cross-region
  replication (sandbox.s3replication),
and a ReplicaLag ticker (which also publishes the Aurora and ElastiCache lag and the S3 replication metrics). moto
runs behind the fault-injection and call-log middleware (faults.py), with the timing model's patches (timing.py).
When everything listens it writes <state>/daemon.json (ports, urls); `up` waits for that file, then seeds. It stops
on SIGTERM/SIGINT; `down` sends SIGTERM to its process group.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import logging
import os
import signal
import threading
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable

from sandbox import faults, moto_tuning, route53_batches, timing
from sandbox.config import (StatePaths, load_inventory, read_json, replica, resolve_inventory, resolve_state_dir, sides,
                            write_json)
from sandbox.elasticache import CacheError
from sandbox.rdsdata import backup_replication
from sandbox.rdsdata.plane import DataPlaneError

HOST = "127.0.0.1"
# How often the ticker republishes ReplicaLag (RDS publishes every 60 s); tests shorten it through the env.
REPLICA_LAG_TICK_SECONDS = float(os.environ.get("SANDBOX_REPLICA_LAG_TICK_SECONDS", "60"))

# Target-group ARN -> forced state. moto only ever reports healthy/unused/draining; the target-health knob records
# an override here and describe_target_health then reads `unhealthy` (reason Target.FailedHealthChecks), which is
# what a real ALB reports when the application fails its health checks while the instances keep running.
HEALTH_OVERRIDES: dict[str, str] = {}


def install_health_overrides() -> None:
    """Wrap moto's FakeTargetGroup.health_for (in this process) so that HEALTH_OVERRIDES apply."""
    from moto.elbv2.models import FakeHealthStatus, FakeTargetGroup

    original = FakeTargetGroup.health_for

    def health_for(self, target, ec2_backend):  # type: ignore[no-untyped-def]
        status = original(self, target, ec2_backend)
        if HEALTH_OVERRIDES.get(self.arn) == "unhealthy" and status.status == "healthy":
            return FakeHealthStatus(status.instance_id, status.port, status.health_check_port, "unhealthy",
                                    "Target.FailedHealthChecks", "Health checks failed")
        return status

    FakeTargetGroup.health_for = health_for


def release_memory() -> None:
    """Give back what a reset discarded, so that the daemon's memory stays bounded however many resets it serves.

    moto's reset replaces every backend, but a few of its classes cache a method with functools' lru_cache/cache
    (AccountSpecificBackend._generate_regions, Subnet._base_avail_ip_iterator, ...): such a cache keeps `self` as
    part of its key, so each replaced account backend or subnet - and, through it, the whole old EC2 backend of its
    region with its ~1,300 AMIs, volumes and snapshots - stayed reachable: about 10 MB more after every reset. Empty
    those caches, collect the cycles the old backends form (their models point back at them), and hand the freed heap
    back to the system (glibc would keep it)."""
    import ctypes

    for cache in moto_method_caches():
        cache.cache_clear()
    gc.collect()
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the freed memory is reused by the next seeding anyway
        pass


def moto_method_caches() -> list[Any]:
    """Every lru_cache/cache wrapped *method* (first parameter `self`) of the moto classes loaded so far. Plain
    function and classmethod caches (service models, boto sessions) hold no backend: they stay."""
    import functools
    import sys

    found = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("moto.") or module is None:
            continue
        for cls in list(vars(module).values()):
            if not isinstance(cls, type) or cls.__module__ != name:
                continue
            for attr in vars(cls).values():
                code = getattr(getattr(attr, "__wrapped__", None), "__code__", None)
                if isinstance(attr, functools._lru_cache_wrapper) and code and code.co_varnames[:1] == ("self",):
                    found.append(attr)
    return found


class Daemon:
    def __init__(self, paths: StatePaths, inventory: dict[str, Any], with_k8s: bool):
        self.paths = paths
        self.inventory = inventory
        self.with_k8s = with_k8s
        self.stop_event = threading.Event()
        # Set by a reset: the ReplicaLag ticker starts a new period, so no tick lands while the CLI seeds the estate
        # again (a tick then would publish the old level and draw from moto's seeded random generator mid-seed).
        self.lag_tick_restart = threading.Event()
        # Held by a reset and by a tick: a tick never publishes the old estate's lag into the new one.
        self.tick_lock = threading.Lock()
        self.moto = None
        self.emulators: dict[str, Any] = {}
        self.control: ThreadingHTTPServer | None = None
        self.moto_url = ""
        self.plane: Any = None
        self.cache: Any = None  # sandbox.elasticache.CachePlane
        self.s3: Any = None  # sandbox.s3replication.Replicator
        self.seed_clients: dict[tuple[str, str], Any] = {}  # the seeder's boto3 clients, made once
        self.k8s_seeded: dict[str, Any] = {}  # cluster -> its emulator's snapshot once seeded (`up` takes it)

    # -- start/stop ------------------------------------------------------------------------------------------------
    def start(self) -> dict[str, Any]:
        moto_tuning.prepare_environment()  # before moto's EC2 models are imported
        from sandbox.rdsdata import aurora, hooks
        from sandbox.rdsdata.plane import DataPlane

        moto_tuning.install()
        install_health_overrides()
        route53_batches.install()
        self.plane = DataPlane()
        hooks.install(self.plane)
        aurora.install(self.plane, float(self.inventory["sandbox_seed"]["rds"].get("initial_replica_lag_seconds", 0)))
        self._install_cache_and_s3()
        timing.install()  # after the health overrides and data-plane hooks: it wraps them
        self.moto = faults.install_server()(HOST, 0, verbose=False)
        self.moto.start()
        host, port = self.moto.get_host_and_port()
        self.moto_url = f"http://{host}:{port}"
        info: dict[str, Any] = {"pid": os.getpid(), "pgid": os.getpgid(0),
                                "moto": {"url": self.moto_url, "port": port}, "k8s": {},
                                "postgres": {"root": str(self.plane.root), "version": self.plane.tools.version(),
                                             "bindir": str(self.plane.tools.bindir)}}
        if self.with_k8s:
            from sandbox.k8s import start_emulator  # the Kubernetes API emulator (its own package)

            for name in sides(self.inventory):
                handle = start_emulator(HOST, 0, name=name)
                self.emulators[name] = handle
                info["k8s"][name] = {"url": handle.url, "port": handle.port}
        self.control = ThreadingHTTPServer((HOST, 0), _handler_for(self))
        self.control.daemon_threads = True
        threading.Thread(target=self.control.serve_forever, name="control", daemon=True).start()
        cport = self.control.server_address[1]
        info["control"] = {"url": f"http://{HOST}:{cport}", "port": cport}
        threading.Thread(target=self._replica_lag_ticker, name="replica-lag", daemon=True).start()
        info["started_at"] = dt.datetime.now(dt.timezone.utc).isoformat()
        write_json(self.paths.daemon, info)  # the readiness signal `up` waits for
        return info

    def _install_cache_and_s3(self) -> None:
        from sandbox import elasticache, s3replication

        seed = self.inventory["sandbox_seed"]
        self.cache = elasticache.CachePlane(self.paths.root / "redis",
                                            float(seed["cache"]["initial_replica_lag_seconds"]))
        elasticache.install(self.cache)
        self.s3 = s3replication.install(float(seed["s3"]["replication_delay_seconds"]))

    def stop(self) -> None:
        if self.control:
            self.control.shutdown()
        for handle in self.emulators.values():
            try:
                handle.stop()
            except Exception:  # noqa: BLE001 - keep stopping the others
                logging.exception("stopping emulator")
        if self.moto:
            self.moto.stop()
        if self.plane:
            self.plane.shutdown()
        if self.cache:
            self.cache.shutdown()
        if self.s3:
            self.s3.stop()

    # -- operations the control server exposes ---------------------------------------------------------------------
    def reset(self) -> dict[str, Any]:
        with self.tick_lock:
            timing.reset()  # first: its pending transitions hold moto objects the reset below discards
            faults.STATE.reset()
            self.plane.reset()
            self.cache.reset()
            self.s3.reset()
            self.cache.initial_lag_seconds = float(self.inventory["sandbox_seed"]["cache"][
                "initial_replica_lag_seconds"])
            req = urllib.request.Request(self.moto_url + "/moto-api/reset", data=b"", method="POST")
            urllib.request.urlopen(req, timeout=10).read()
            for name, handle in self.emulators.items():
                if name in self.k8s_seeded:  # the seeded releases as they were, without installing them again
                    handle.restore(self.k8s_seeded[name])
                else:
                    handle.reset()
            HEALTH_OVERRIDES.clear()
            release_memory()
            self.lag_tick_restart.set()
        return {"k8s_restored": bool(self.emulators) and self.emulators.keys() == self.k8s_seeded.keys()}

    def seed_aws(self) -> dict[str, Any]:
        """The estate's AWS side (sandbox.aws_seed), from this process: its boto3 clients are made once, not by
        each seeding CLI process."""
        from sandbox.aws_seed import seed_aws

        with self.tick_lock:  # no ReplicaLag tick draws from moto's seeded random generator mid-seed
            return seed_aws(self.moto_url, self.inventory, self.seed_clients)

    def snapshot_k8s(self) -> dict[str, Any]:
        """Remember each cluster as it is (its releases just installed and rolled out): resets restore it."""
        self.k8s_seeded = {name: handle.snapshot() for name, handle in self.emulators.items()}
        return {name: sum(len(objs) for objs in snap["objects"].values()) for name, snap in self.k8s_seeded.items()}

    def replica_lag_level(self) -> float | None:
        """ReplicaLag as RDS would report it now: the data plane's link (growing while paused), else the knob."""
        replica_spec = replica(self.inventory)
        if replica_spec is None:  # a one-region estate: no replica, no ReplicaLag
            return None
        level = self.plane.replica_lag_seconds(replica_spec["region"], replica_spec["instance_id"])
        if level is None:
            level = (read_json(self.paths.knobs) or {}).get("replica_lag_seconds")
        return level

    def _replica_lag_ticker(self) -> None:
        """Every minute, publish ReplicaLag (as RDS keeps doing)."""
        from sandbox.aws_seed import put_replica_lag

        while not self.stop_event.is_set():
            if self.lag_tick_restart.wait(REPLICA_LAG_TICK_SECONDS):
                self.lag_tick_restart.clear()  # a reset: a whole period from now (the seeding takes seconds)
                continue
            if self.stop_event.is_set():
                break
            with self.tick_lock:
                if not self.lag_tick_restart.is_set():  # a reset came in meanwhile: a whole period from it
                    self.publish_lags(put_replica_lag)

    def publish_lags(self, put_replica_lag: Callable[..., None]) -> None:
        """One tick: the Aurora secondaries' lag metrics and the replica's ReplicaLag (under the tick lock)."""
        try:  # an Aurora global database's secondary clusters: their lag metrics (none on other estates)
            from sandbox.rdsdata import aurora

            aurora.publish_lag(self.moto_url)
        except Exception:  # noqa: BLE001 - a failed tick must not kill the daemon
            logging.exception("aurora lag tick")
        try:  # an ElastiCache Global Datastore's secondary groups (none on other estates)
            from sandbox import elasticache

            elasticache.publish_lag(self.moto_url, self.cache)
        except Exception:  # noqa: BLE001 - a failed tick must not kill the daemon
            logging.exception("elasticache lag tick")
        try:  # S3 replication metrics of the rules that have them enabled
            from sandbox import s3replication

            s3replication.publish_metrics(self.moto_url, self.s3)
        except Exception:  # noqa: BLE001 - a failed tick must not kill the daemon
            logging.exception("s3 replication metrics tick")
        level = self.replica_lag_level()
        if level is None:
            return
        try:
            put_replica_lag(self.moto_url, self.inventory, float(level))
        except Exception:  # noqa: BLE001 - a failed tick must not kill the daemon
            logging.exception("replica lag tick")


def _handler_for(daemon: Daemon):
    class Handler(BaseHTTPRequestHandler):
        def _reply(self, code: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            if self.path == "/health":
                self._reply(200, {"ok": True, "pid": os.getpid(), "target_health_overrides": HEALTH_OVERRIDES,
                                  "data_plane_errors": daemon.plane.errors,
                                  "cache_errors": daemon.cache.errors})
            elif self.path == "/rds":
                self._reply(200, daemon.plane.status())
            elif self.path == "/rds/backup-replication":
                self._reply(200, {"replications": backup_replication.INSTALLED["state"].status()})
            elif self.path == "/timing":
                self._reply(200, timing.MODEL.state())
            elif self.path == "/elasticache":
                self._reply(200, daemon.cache.status())
            elif self.path == "/s3/replication":
                self._reply(200, daemon.s3.state())
            elif self.path == "/faults":
                self._reply(200, faults.STATE.snapshot())
            elif self.path == "/api-calls":
                self._reply(200, {"calls": faults.STATE.log(), "transitions": timing.MODEL.public()})
            else:
                self._reply(404, {"error": "not found"})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}")
            try:
                if self.path == "/reset":
                    self._reply(200, {"ok": True, **daemon.reset()})
                elif self.path == "/seed-aws":
                    self._reply(200, daemon.seed_aws())
                elif self.path == "/k8s/snapshot":
                    self._reply(200, {"objects": daemon.snapshot_k8s()})
                elif self.path == "/target-health":
                    arn, state = body["target_group_arn"], body["state"]
                    if state == "healthy":
                        HEALTH_OVERRIDES.pop(arn, None)
                    else:
                        HEALTH_OVERRIDES[arn] = state
                    self._reply(200, {"ok": True, "overrides": HEALTH_OVERRIDES})
                elif self.path == "/rds/replication":
                    out = daemon.plane.set_replication(body["region"], body["instance_id"],
                                                       body.get("lag_seconds"), body.get("paused"))
                    self._reply(200, out)
                elif self.path == "/elasticache/replication":
                    self._reply(200, daemon.cache.set_replication(body["region"], body["replication_group_id"],
                                                                  body.get("lag_seconds"), body.get("paused")))
                elif self.path == "/s3/replication":
                    self._reply(200, daemon.s3.configure(body.get("delay_seconds"), body.get("paused")))
                elif self.path == "/rds/backup-replication":
                    self._reply(200, {"replications": backup_replication.INSTALLED["state"].configure(
                        body.get("delay_seconds"), body.get("paused"), body.get("source_id"))})
                elif self.path == "/timing":
                    self._reply(200, timing.MODEL.configure(body.get("profile", "instant"), body.get("scale", 1.0),
                                                            body.get("durations")))
                elif self.path == "/faults":
                    self._reply(200, faults.STATE.configure(**body))
                elif self.path == "/api-calls/reset":
                    faults.STATE.clear_log()
                    timing.MODEL.clear_log()
                    self._reply(200, {"ok": True})
                else:
                    self._reply(404, {"error": "not found"})
            except (DataPlaneError, CacheError, ValueError, TypeError) as exc:  # a knob aimed wrong: the caller's error
                self._reply(400, {"error": str(exc)})
            except Exception as exc:  # noqa: BLE001 - report to the caller instead of dropping the connection
                logging.exception("control %s", self.path)
                self._reply(500, {"error": str(exc)})

        def log_message(self, fmt: str, *args: Any) -> None:
            logging.info("control: " + fmt, *args)

    return Handler


def serve(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox serve")
    parser.add_argument("--state-dir")
    parser.add_argument("--inventory")
    parser.add_argument("--no-k8s", action="store_true")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    paths = StatePaths(resolve_state_dir(args.state_dir))
    daemon = Daemon(paths, load_inventory(resolve_inventory(args.inventory)), with_k8s=not args.no_k8s)

    def on_signal(signum: int, _frame: Any) -> None:
        logging.info("signal %s: stopping", signum)
        daemon.stop_event.set()
        daemon.lag_tick_restart.set()  # the ticker sees the stop at once

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    info = daemon.start()
    # What is loaded by now (modules, service models) lives as long as the daemon: out of the collector's sight,
    # each reset's gc.collect() walks only the estates seeded since.
    gc.freeze()
    logging.info("sandbox daemon ready: %s", json.dumps(info))
    daemon.stop_event.wait()
    daemon.stop()
    logging.info("sandbox daemon stopped")
    return 0
