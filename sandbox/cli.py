"""`python -m sandbox up|down|status|reset|knob ...`: lifecycle of the local two-region AWS + EKS sandbox.

`up` starts one detached daemon (`python -m sandbox serve`, see daemon.py) in its own session, waits until it has
written <state>/daemon.json, seeds AWS (moto) and both Kubernetes emulators (namespace + Helm releases through the
real helm v4 that `make k8s-tools` installs, linked as <state>/bin/helm), then writes <state>/env, <state>/sandbox.json
and the kubeconfigs. `down` stops the daemon's whole process group. Every step polls; nothing sleeps a fixed time.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from sandbox import faults, knobs, timing
from sandbox.config import (
    AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY,
    CLUSTERS,
    REPO_ROOT,
    StatePaths,
    load_inventory,
    read_json,
    replica,
    resolve_inventory,
    resolve_state_dir,
    write_json,
)

START_TIMEOUT = 30.0  # daemon start-up (it takes ~1-2 s)
STOP_TIMEOUT = 10.0  # SIGTERM grace before SIGKILL
HELM_TIMEOUT = "120s"
SEED_TIMEOUT = 600.0  # the daemon seeding AWS (seconds for the sandbox estate, a minute or two for 50 services)
# The real helm and kubectl (tools/install-k8s-tools.sh, `make k8s-tools`): <state>/bin/helm and kubectl link to them.
K8S_TOOLS = ("helm", "kubectl")
K8S_TOOLS_DIR_VAR = "CLOUDOPS_K8S_TOOLS_DIR"
# Helm installs side by side (each a helm process of ~60 MB, ~0.1 CPU-s, that mostly waits on the emulator).
HELM_SEED_WORKERS = 16
TIMING_ENV_VAR = "CLOUDOPS_SANDBOX_TIMING"  # `realistic:0.05`: the profile `up` sets once the estate is seeded


# -- processes ---------------------------------------------------------------------------------------------------------
def _proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, process group) of a live process, None if it is gone or a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after "pid (comm)": state ppid pgrp ...
    return None if fields[0] in ("Z", "X") else (fields[0], int(fields[2]))


def group_members(pgid: int) -> list[int]:
    """Live (non-zombie) processes of a process group."""
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            st = _proc_stat(int(entry))
            if st and st[1] == pgid:
                members.append(int(entry))
    return members


def daemon_pid(paths: StatePaths) -> int | None:
    """The pid of this state dir's daemon if it is alive (checked by its command line, not just the pid)."""
    try:
        pid = int(paths.pid.read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    if _proc_stat(pid) is None:
        return None
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except FileNotFoundError:
        return None
    if b"serve" in cmdline and str(paths.root).encode() in cmdline:
        return pid
    return None  # pid reused by an unrelated process: the pid file is stale


def stop_daemon(pid: int) -> None:
    """SIGTERM the daemon's process group, wait, then SIGKILL whatever is left."""
    pgid = pid  # started with start_new_session=True: it leads its own group
    for sig, timeout in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not group_members(pgid):
                return
            time.sleep(0.05)
    if group_members(pgid):
        raise RuntimeError(f"processes {group_members(pgid)} of group {pgid} survived SIGKILL")


def clean_state(paths: StatePaths) -> None:
    # The daemon removes its PostgreSQL root when it stops; a killed daemon leaves it behind.
    pg_root = ((read_json(paths.daemon) or {}).get("postgres") or {}).get("root")
    if pg_root and Path(pg_root).name.startswith("cloudops-pg-"):
        shutil.rmtree(pg_root, ignore_errors=True)
    for p in (paths.pid, paths.env, paths.daemon, paths.info, paths.knobs):
        p.unlink(missing_ok=True)


def start_daemon(paths: StatePaths, inventory: Path, with_k8s: bool) -> tuple[subprocess.Popen, dict[str, Any]]:
    paths.logs.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "sandbox", "serve", "--state-dir", str(paths.root), "--inventory", str(inventory)]
    if not with_k8s:
        cmd.append("--no-k8s")
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO_ROOT), os.environ.get("PYTHONPATH")])),
               PYTHONUNBUFFERED="1")
    with open(paths.logs / "daemon.log", "ab") as log:
        proc = subprocess.Popen(cmd, cwd=REPO_ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    paths.pid.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        info = read_json(paths.daemon)
        if info and info.get("pid") == proc.pid:
            knobs.http_json(info["control"]["url"] + "/health", timeout=5)
            return proc, info
        if proc.poll() is not None:
            raise RuntimeError(f"sandbox daemon exited with {proc.returncode}; see {paths.logs / 'daemon.log'}:\n"
                               + _tail(paths.logs / "daemon.log"))
        time.sleep(0.05)
    stop_daemon(proc.pid)
    raise RuntimeError(f"sandbox daemon not ready after {START_TIMEOUT:.0f} s; see {paths.logs / 'daemon.log'}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except FileNotFoundError:
        return ""


# -- seeding -----------------------------------------------------------------------------------------------------------
def helm_values(inv: dict[str, Any], cluster: str, colour: str) -> dict[str, Any]:
    helm_seed = inv["sandbox_seed"]["helm"]
    values = json.loads(json.dumps(helm_seed["values"].get(colour, {})))  # deep copy
    if colour in helm_seed["values"]:  # a rolling service's release has no colour
        values["colour"] = colour
    if cluster == "dr":  # warm standby: fewer replicas
        values["replicaCount"] = int(helm_seed["dr_replica_count"])
    return values


def release_jobs(inv: dict[str, Any], clusters: list[str]) -> list[dict[str, Any]]:
    """Every Helm release to seed: the estate's own (cloudops_helm, both clusters), then each service's
    (cloudops_services) in the clusters of the sides its traffic is routed on."""
    jobs = [{"cluster": c, "namespace": inv["cloudops_helm"]["release_namespace"], "release": release,
             "colour": colour, "values": {}} for c in clusters for colour, release in inv["cloudops_helm"]["releases"].items()]
    seen = {(j["cluster"], j["namespace"], j["release"]) for j in jobs}
    for svc in inv.get("cloudops_services", []):
        # blue/green services: one release per colour, on the sides their traffic is routed on; rolling: `release`
        # on `sides` (or its traffic's sides).
        releases = svc.get("releases") or ({"none": svc["release"]} if svc.get("release") else {})
        for side in svc.get("sides") or svc.get("traffic") or []:
            for colour, release in releases.items():
                key = (side, svc["namespace"], release)
                if side in clusters and key not in seen:
                    seen.add(key)
                    jobs.append({"cluster": side, "namespace": svc["namespace"], "release": release, "colour": colour,
                                 "values": svc.get("values") or {}})
    return jobs


def create_namespace(paths: StatePaths, inv: dict[str, Any], cluster: str, namespace: str) -> None:
    """A release namespace, labelled as the estate's (not helm's --create-namespace: a namespace's releases are
    installed side by side, and the label says whose it is)."""
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(paths.kubeconfig(cluster))))
    try:
        api.create_namespace({"apiVersion": "v1", "kind": "Namespace", "metadata": {
            "name": namespace, "labels": {"app.kubernetes.io/part-of": inv.get("cloudops_application", "shop")}}})
    except client.ApiException as exc:
        if exc.status != 409:  # already there is fine
            raise
    finally:
        api.api_client.close()


def k8s_tools_bin() -> Path:
    """Where `make k8s-tools` puts the real helm and kubectl ($CLOUDOPS_K8S_TOOLS_DIR/bin, else build/k8s-tools/bin)."""
    return Path(os.environ.get(K8S_TOOLS_DIR_VAR) or REPO_ROOT / "build" / "k8s-tools") / "bin"


def require_k8s_tools() -> dict[str, Path]:
    """{"helm": path, "kubectl": path} of the real binaries; ValueError saying to run `make k8s-tools` when missing."""
    found = {tool: k8s_tools_bin() / tool for tool in K8S_TOOLS}
    missing = [tool for tool, path in found.items() if not os.access(path, os.X_OK)]
    if missing:
        raise ValueError(f"the sandbox runs the real {' and '.join(missing)} from {k8s_tools_bin()}, which has none: "
                         "run `make k8s-tools` (tools/install-k8s-tools.sh) first, or use --no-k8s")
    return found


def helm_dirs(paths: StatePaths) -> dict[str, str]:
    """helm's cache/config/data dirs and kubectl's discovery cache, per state dir (never the user's ~/.cache etc.)."""
    base = paths.root / "helm"
    return {"HELM_CACHE_HOME": str(base / "cache"), "HELM_CONFIG_HOME": str(base / "config"),
            "HELM_DATA_HOME": str(base / "data"), "KUBECACHEDIR": str(paths.root / "kube-cache")}


def helm_env(paths: StatePaths) -> dict[str, str]:
    """The environment the sandbox runs its own helm with: the caller's, its per-state dirs, no stray KUBECONFIG."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBECONFIG"))}
    return {**env, **helm_dirs(paths)}


def install_release(paths: StatePaths, inv: dict[str, Any], job: dict[str, Any]) -> dict[str, Any]:
    """`helm upgrade --install` of one release, with the real helm (<state>/bin/helm).

    Without --wait: helm's watcher would watch every Deployment of the namespace, and with 50 services in one
    namespace and 16 installs at a time the emulator spends its time fanning events out; wait_ready() checks all the
    seeded workloads at once afterwards. Without client-side OpenAPI validation (the emulator's server-side apply still
    checks the types): it is 40% of a helm install's CPU, and the seeded chart is the sandbox's own."""
    cluster, namespace, release, colour = job["cluster"], job["namespace"], job["release"], job["colour"]
    chart = REPO_ROOT / inv["sandbox_seed"]["helm"]["chart"]
    values_file = paths.seed_dir / f"{cluster}-{namespace}-{release}.yaml"
    values = {**job["values"], **helm_values(inv, cluster, colour)}
    values_file.write_text(yaml.safe_dump(values, sort_keys=True))
    cmd = [str(paths.bin / "helm"), "upgrade", "--install", release, str(chart), "--namespace", namespace,
           "--kubeconfig", str(paths.kubeconfig(cluster)), "--values", str(values_file),
           "--disable-openapi-validation", "--timeout", HELM_TIMEOUT]
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=REPO_ROOT, env=helm_env(paths))
    (paths.logs / f"helm-{cluster}-{release}.log").write_text(f"$ {shlex.join(cmd)}\n{res.stdout}{res.stderr}")
    if res.returncode != 0:
        raise RuntimeError(f"helm install {release} in {cluster} failed ({res.returncode}):\n{res.stdout}{res.stderr}")
    return {"cluster": cluster, "namespace": namespace, "release": release, "colour": colour}


def _workload_ready(obj: dict[str, Any]) -> bool:
    """A Deployment or StatefulSet (as JSON) rolled out: every wanted replica updated and ready."""
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    wanted = spec.get("replicas", 1)
    return (status.get("observedGeneration", 0) >= obj["metadata"].get("generation", 0)
            and status.get("readyReplicas", 0) == wanted and status.get("updatedReplicas", 0) == wanted)


def wait_ready(paths: StatePaths, releases: list[dict[str, Any]], timeout: float = 120.0) -> None:
    """Poll each cluster until every Deployment and StatefulSet of the seeded releases (helm's
    meta.helm.sh/release-name annotation) is rolled out; RuntimeError naming those that are not after `timeout` s."""
    from kubernetes import client, config

    wanted: dict[str, set[tuple[str, str]]] = {}
    for r in releases:
        wanted.setdefault(r["cluster"], set()).add((r["namespace"], r["release"]))
    clients = {c: config.new_client_from_config(config_file=str(paths.kubeconfig(c))) for c in wanted}
    deadline = time.monotonic() + timeout
    try:
        while True:
            pending = []
            for cluster, api_client in clients.items():
                apps = client.AppsV1Api(api_client)
                # raw JSON: the client's models cost ~1 ms an object to build, for hundreds of them at each poll
                for listing in (apps.list_deployment_for_all_namespaces, apps.list_stateful_set_for_all_namespaces):
                    for obj in json.loads(listing(_preload_content=False).data)["items"]:
                        meta = obj["metadata"]
                        release = (meta.get("annotations") or {}).get("meta.helm.sh/release-name")
                        if (meta.get("namespace"), release) in wanted[cluster] and not _workload_ready(obj):
                            pending.append(f"{cluster}/{meta['namespace']}/{meta['name']}")
            if not pending:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"seeded workloads not ready after {timeout:.0f} s: {', '.join(sorted(pending))}")
            time.sleep(0.2)
    finally:
        for api_client in clients.values():
            api_client.close()


def install_releases(paths: StatePaths, inv: dict[str, Any], jobs: list[dict[str, Any]],
                     meanwhile: Any = None) -> tuple[list[dict[str, Any]], Any]:
    """Every job's release installed, HELM_SEED_WORKERS at a time, while `meanwhile()` (the AWS seeding) runs in this
    thread; then wait until their workloads are ready. (releases, what meanwhile returned)."""
    with ThreadPoolExecutor(max_workers=max(1, min(len(jobs), HELM_SEED_WORKERS))) as pool:
        futures = [pool.submit(install_release, paths, inv, job) for job in jobs]
        other = meanwhile() if meanwhile else None
        releases = [f.result() for f in futures]
    wait_ready(paths, releases)
    return releases, other


def seed_all(paths: StatePaths, inv: dict[str, Any], daemon: dict[str, Any],
             releases: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """AWS seeding (by the daemon; sequential: deterministic IDs) overlapped with all Helm installs (one process each);
    `releases`: the clusters already hold these (a reset restored them), nothing to install."""
    timings: dict[str, float] = {}
    t0 = time.monotonic()
    jobs = [] if releases is not None else release_jobs(inv, [c for c in CLUSTERS if c in daemon["k8s"]])
    for cluster, namespace in dict.fromkeys((j["cluster"], j["namespace"]) for j in jobs):
        create_namespace(paths, inv, cluster, namespace)

    def aws_seed() -> dict[str, Any]:
        seeded = knobs.http_json(daemon["control"]["url"] + "/seed-aws", {}, timeout=SEED_TIMEOUT)
        timings["aws_seed"] = round(time.monotonic() - t0, 2)
        return seeded

    if jobs:
        releases, aws = install_releases(paths, inv, jobs, aws_seed)
    else:
        releases, aws = releases or [], aws_seed()
    timings["seed_total"] = round(time.monotonic() - t0, 2)  # AWS and Helm installs overlap
    replica_spec = replica(inv)
    if replica_spec is None:  # a one-region estate: no replica to hold behind
        write_json(paths.knobs, {"replica_lag_seconds": None, "replication_paused": False})
    else:
        lag = float(inv["sandbox_seed"]["rds"]["initial_replica_lag_seconds"])
        knobs.http_json(daemon["control"]["url"] + "/rds/replication",
                        {"region": replica_spec["region"], "instance_id": replica_spec["instance_id"], "lag_seconds": lag})
        write_json(paths.knobs, {"replica_lag_seconds": lag, "replication_paused": False})
    return {"aws": aws, "helm_releases": releases, "timings": timings}


def kube_names(inv: dict[str, Any] | None, cluster: str) -> tuple[str, str]:
    """(cluster entry, context) of a side's kubeconfig: the cluster's own name (cloudops_eks.<side>.cluster_name) and
    its context cloudops_eks.<side>.context when the inventory names one (the runbooks pass it on), else the cluster's
    name too - as `aws eks update-kubeconfig --alias <cluster>` writes it."""
    spec = ((inv or {}).get("cloudops_eks") or {}).get(cluster) or {}
    name = str(spec.get("cluster_name") or f"{(inv or {}).get('cloudops_application', 'shop')}-{cluster}")
    return name, str(spec.get("context") or name)


def write_client_files(paths: StatePaths, daemon: dict[str, Any], with_k8s: bool,
                       inv: dict[str, Any] | None = None) -> None:
    """Kubeconfigs, <state>/bin/helm and kubectl (links to the real binaries) and helm's dirs (needed before
    Kubernetes seeding)."""
    paths.bin.mkdir(parents=True, exist_ok=True)
    paths.seed_dir.mkdir(parents=True, exist_ok=True)
    if not with_k8s:
        return
    from sandbox.k8s import write_kubeconfig

    for cluster, k in daemon["k8s"].items():
        write_kubeconfig(str(paths.kubeconfig(cluster)), k["url"], *kube_names(inv, cluster))
    link_k8s_tools(paths)


def link_k8s_tools(paths: StatePaths) -> None:
    """<state>/bin/{helm,kubectl} -> the real binaries (replaced atomically: a running caller never sees none), and
    the per-state helm/kubectl dirs."""
    for tool, target in require_k8s_tools().items():
        tmp = paths.bin / f".{tool}.tmp"
        tmp.unlink(missing_ok=True)
        tmp.symlink_to(target)
        os.replace(tmp, paths.bin / tool)
    for directory in helm_dirs(paths).values():
        Path(directory).mkdir(parents=True, exist_ok=True)


def env_lines(paths: StatePaths, daemon: dict[str, Any], region: str) -> list[tuple[str, str]]:
    """The env file's variables (KUBECONFIG_<CLUSTER> for each cluster the sandbox runs: no KUBECONFIG_DR for an
    estate without a DR side)."""
    lines = [
        ("AWS_ENDPOINT_URL", daemon["moto"]["url"]),
        ("AWS_DEFAULT_REGION", region),
        ("AWS_REGION", region),
        ("AWS_ACCESS_KEY_ID", AWS_ACCESS_KEY_ID),
        ("AWS_SECRET_ACCESS_KEY", AWS_SECRET_ACCESS_KEY),
        ("KUBECONFIG_PRIMARY", str(paths.kubeconfig("primary"))),
        ("KUBECONFIG_DR", str(paths.kubeconfig("dr"))),
        ("CLOUDOPS_SANDBOX_STATE", str(paths.root)),
    ]
    k8s = daemon.get("k8s") or {}
    if k8s:  # the real helm and kubectl keep their caches and config in the state dir
        lines += list(helm_dirs(paths).items())
    return [(k, v) for k, v in lines if not (k == "KUBECONFIG_DR" and k8s and "dr" not in k8s)]


def write_env(paths: StatePaths, daemon: dict[str, Any], region: str) -> None:
    body = ["# Generated by `python -m sandbox up`: source it to point AWS and Kubernetes tools at the sandbox."]
    body += [f"export {k}={shlex.quote(v)}" for k, v in env_lines(paths, daemon, region)]
    body.append(f'export PATH={shlex.quote(str(paths.bin))}:"$PATH"')
    paths.env.write_text("\n".join(body) + "\n")


# -- commands ----------------------------------------------------------------------------------------------------------
def cmd_up(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    paths = StatePaths(resolve_state_dir(args.state_dir))
    paths.root.mkdir(parents=True, exist_ok=True)
    pid = daemon_pid(paths)
    if pid and read_json(paths.info):
        print(f"sandbox already up in {paths.root} (pid {pid}); `source {paths.env}`")
        return 0
    if pid:  # alive but never finished seeding (an interrupted `up`): start over
        stop_daemon(pid)
    clean_state(paths)  # stale pid file / leftovers of a crashed daemon
    inventory = resolve_inventory(args.inventory)
    inv = load_inventory(inventory)
    with_k8s = not args.no_k8s
    if with_k8s:
        require_k8s_tools()  # before anything starts: a clear error naming `make k8s-tools`
    timing_profile = up_timing(args)
    proc, daemon = start_daemon(paths, inventory, with_k8s)
    t_daemon = time.monotonic() - t0
    try:
        write_client_files(paths, daemon, with_k8s, inv)
        seeded = seed_all(paths, inv, daemon)
        if with_k8s:  # resets restore the clusters as seeded instead of installing every release again
            knobs.http_json(daemon["control"]["url"] + "/k8s/snapshot", {})
    except BaseException:
        stop_daemon(proc.pid)
        clean_state(paths)
        raise
    region = inv["cloudops_regions"]["primary"]
    write_env(paths, daemon, region)
    timing_state = None
    if timing_profile[0] != "instant":  # after seeding: the seeded estate is ready, as the runbooks expect it
        timing_state = knobs.http_json(daemon["control"]["url"] + "/timing",
                                       {"profile": timing_profile[0], "scale": timing_profile[1]})
    elapsed = time.monotonic() - t0
    seeded["timings"].update(daemon_start=round(t_daemon, 2), up_total=round(elapsed, 2))
    info = {**daemon, "state_dir": str(paths.root), "inventory": str(inventory), "env_file": str(paths.env),
            "pids": {"daemon": proc.pid}, "ports": _ports(daemon),
            "kubeconfigs": {c: str(paths.kubeconfig(c)) for c in daemon["k8s"]},
            "helm": str(paths.bin / "helm") if with_k8s else None, **seeded}
    write_json(paths.info, info)
    print(f"sandbox up in {elapsed:.1f} s (daemon {t_daemon:.1f} s, AWS seed {seeded['timings']['aws_seed']:.1f} s, "
          f"all seeding incl. Helm {seeded['timings']['seed_total']:.1f} s), pid {proc.pid}")
    print(f"  AWS (moto):   {daemon['moto']['url']}  regions {inv['cloudops_regions']}")
    print(f"  PostgreSQL:   {daemon['postgres']['version']}, one server per RDS instance "
          f"(`python -m sandbox db url <instance>`)")
    for c in (c for c in CLUSTERS if c in daemon["k8s"]):
        print(f"  k8s {c + ':':8} {daemon['k8s'][c]['url']}  kubeconfig {paths.kubeconfig(c)}")
    if timing_state:
        print(f"  timing:       {timing_state['profile']} x{timing_state['scale']} "
              f"(`python -m sandbox knob timing --profile instant` to go back)")
    print(f"  use it:       source {paths.env}")
    return 0


def up_timing(args: argparse.Namespace) -> tuple[str, float]:
    """(profile, scale) for `up`: --timing/--timing-scale, else $CLOUDOPS_SANDBOX_TIMING (`realistic:0.05`)."""
    if args.timing:
        return args.timing, 1.0 if args.timing_scale is None else args.timing_scale
    profile, scale = timing.parse_spec(os.environ.get(TIMING_ENV_VAR) or "instant")
    return profile, scale if args.timing_scale is None else args.timing_scale


def _ports(daemon: dict[str, Any]) -> dict[str, int]:
    ports = {"moto": daemon["moto"]["port"], "control": daemon["control"]["port"]}
    ports.update({f"k8s_{c}": k["port"] for c, k in daemon["k8s"].items()})
    return ports


def cmd_down(args: argparse.Namespace) -> int:
    paths = StatePaths(resolve_state_dir(args.state_dir))
    pid = daemon_pid(paths)
    if pid is None:
        clean_state(paths)
        print(f"sandbox not running in {paths.root}")
        return 0
    stop_daemon(pid)
    clean_state(paths)
    print(f"sandbox stopped (pid {pid})")
    return 0


def _print_servers(kind: str, servers: list[dict[str, Any]], id_key: str, errors: list[dict[str, Any]],
                   error_label: str) -> None:
    """One line per data-plane server (an RDS instance's PostgreSQL, a replication group's Redis), then its errors."""
    for srv in servers:
        repl = srv.get("replication")
        extra = (f", lag {repl['lag_seconds']} s{' PAUSED' if repl['paused'] else ''}" if repl else "")
        print(f"  {kind} {srv['region']}/{srv[id_key]}: 127.0.0.1:{srv['port']} {srv['role']}"
              f"{'' if srv['running'] else ' (stopped)'}{extra}")
    for err in errors:
        print(f"  {error_label} {err['operation']} {err['target']}: {err['error']}")


def cmd_status(args: argparse.Namespace) -> int:
    paths = StatePaths(resolve_state_dir(args.state_dir))
    pid = daemon_pid(paths)
    info = read_json(paths.info)
    if pid is None or info is None:
        print(f"sandbox not running in {paths.root}" + (" (daemon up, not seeded)" if pid else ""))
        return 3  # LSB "program is not running"
    health = knobs.http_json(info["control"]["url"] + "/health", timeout=5)
    if args.json:
        print(json.dumps({"running": True, **info, "health": health}, indent=2))
        return 0
    print(f"sandbox running in {paths.root} (pid {pid})")
    print(f"  AWS (moto): {info['moto']['url']}")
    for c, k in info["k8s"].items():
        print(f"  k8s {c}: {k['url']}")
    rds = knobs.http_json(info["control"]["url"] + "/rds", timeout=10)
    _print_servers("db", rds["instances"], "instance_id", rds["errors"], "DATA PLANE ERROR")
    cache = knobs.http_json(info["control"]["url"] + "/elasticache", timeout=10)
    _print_servers("redis", cache["groups"], "replication_group_id", cache["errors"], "CACHE DATA PLANE ERROR")
    if (info.get("aws") or {}).get("buckets"):
        crr = knobs.http_json(info["control"]["url"] + "/s3/replication", timeout=10)
        print(f"  s3 replication: delay {crr['delay_seconds']} s{' PAUSED' if crr['paused'] else ''}, "
              f"{len(crr['pending'])} pending, {crr['replicated']} copied, {crr['failed']} failed")
    overrides = health.get("target_health_overrides") or {}
    lag = (read_json(paths.knobs) or {}).get("replica_lag_seconds")
    print(f"  knobs: replica lag {'- (no replica: one region)' if lag is None else f'{lag} s'}; "
          f"target-health overrides {overrides or 'none'}")
    t = knobs.timing_state(knobs.Sandbox(args.state_dir))
    f = knobs.faults_state(knobs.Sandbox(args.state_dir))
    print(f"  realism: timing {t['profile']}" + (f" x{t['scale']}" if t["profile"] != "instant" else "")
          + (f"; faults {f['rate']:.0%} {','.join(f['kinds'])}" if f["rate"] else "; no faults")
          + (f", +{f['latency_ms']:.0f} ms" if f["latency_ms"] else ""))
    print(f"  env: source {paths.env}")
    return 0


def cmd_reset(args: argparse.Namespace) -> int:
    t0 = time.monotonic()
    paths = StatePaths(resolve_state_dir(args.state_dir))
    info = read_json(paths.info)
    if daemon_pid(paths) is None or info is None:
        print(f"sandbox not running in {paths.root}", file=sys.stderr)
        return 1
    reset = knobs.http_json(info["control"]["url"] + "/reset", {})
    inv = load_inventory(Path(info["inventory"]))
    restored = reset.get("k8s_restored") or not info["k8s"]
    seeded = seed_all(paths, inv, info, releases=info["helm_releases"] if restored else None)
    seeded["timings"]["reset_total"] = round(time.monotonic() - t0, 2)
    info.update(seeded)
    write_json(paths.info, info)
    print(f"sandbox reset to the seeded estate in {time.monotonic() - t0:.1f} s")
    return 0


def cmd_knob(args: argparse.Namespace) -> int:
    sb = knobs.Sandbox(args.state_dir)
    if args.knob == "target-health":
        out = knobs.target_health(sb, args.target_group, args.state)
    elif args.knob == "alarm":
        out = knobs.alarm(sb, args.name, args.state)
    elif args.knob == "replica-lag":
        seconds = float(sb.inventory["sandbox_seed"]["rds"]["initial_replica_lag_seconds"]) if args.seeded else args.seconds
        out = knobs.replica_lag(sb, seconds, paused=args.paused, instance_id=args.instance)
    elif args.knob == "global-lag":
        seconds = float(sb.inventory["sandbox_seed"]["rds"]["initial_replica_lag_seconds"]) if args.seeded else args.seconds
        out = knobs.global_lag(sb, seconds, paused=args.paused, cluster_id=args.cluster_id)
    elif args.knob == "cache-lag":
        seeded = sb.inventory["sandbox_seed"]["cache"]["initial_replica_lag_seconds"]
        seconds = float(seeded) if args.seeded else args.seconds
        out = knobs.cache_lag(sb, seconds, paused=args.paused, replication_group_id=args.group)
    elif args.knob == "s3-replication":
        out = knobs.s3_replication(sb, args.delay, paused=args.paused)
    elif args.knob == "backup-replication":
        out = knobs.backup_replication(sb, args.delay, paused=args.paused, source_id=args.instance)
    elif args.knob == "timing":
        out = knobs.timing(sb, args.profile, args.scale, timing.parse_durations(args.duration))
    elif args.knob == "faults":
        out = knobs.faults(sb, rate=args.rate, kinds=_csv(args.kinds), services=_csv(args.services),
                           operations=_csv(args.operations), mutating_only=args.mutating_only,
                           latency_ms=args.latency_ms, seed=args.seed)
    else:
        out = knobs.rollout(sb, args.cluster, args.namespace, args.name, ready=args.ready)
    print(json.dumps(out))
    return 0


def _lag_knob(ksub, common, name: str, help_text: str, metric: str, seed: str, pause_help: str, target: str,
              target_help: str) -> None:
    """A replication-lag knob: --seconds S | --seeded (sandbox_seed.<seed>.initial_replica_lag_seconds), --pause |
    --resume, and the flag naming what to act on."""
    k = ksub.add_parser(name, parents=[common], help=help_text)
    lag = k.add_mutually_exclusive_group()
    lag.add_argument("--seconds", type=float, help="lag in seconds (data and %s)" % metric)
    lag.add_argument("--seeded", action="store_true", help="back to the seeded lag (sandbox_seed.%s.initial_replica_lag_seconds)" % seed)
    _pause_resume(k, pause_help)
    k.add_argument(target, help=target_help)


def _pause_resume(parser: argparse.ArgumentParser, pause_help: str, resume_help: str = "deliver what was held") -> None:
    """--pause / --resume (args.paused: True, False, or None when neither is given)."""
    g = parser.add_mutually_exclusive_group()
    g.add_argument("--pause", dest="paused", action="store_const", const=True, help=pause_help)
    g.add_argument("--resume", dest="paused", action="store_const", const=False, help=resume_help)


def _csv(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def cmd_api_calls(args: argparse.Namespace) -> int:
    """The AWS calls counted at the moto server, as a table by service/operation (or JSON), and timed transitions."""
    out = knobs.api_calls(knobs.Sandbox(args.state_dir), reset=args.reset)
    if args.json:
        print(json.dumps(out, indent=2))
        return 0
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for call in out["calls"]:
        row = rows.setdefault((call["service"], call["operation"]), {"mutating": call["mutating"], "total": 0})
        row["total"] += 1
        row[call["outcome"]] = row.get(call["outcome"], 0) + 1
    outcomes = ("ok", "error", "throttle", "5xx", "reset", "reset-after")
    print(f"{'service':<10} {'operation':<40} {'mut':<4} {'total':>6} " + " ".join(f"{o:>11}" for o in outcomes))
    for (service, operation), row in sorted(rows.items()):
        print(f"{service:<10} {operation:<40} {'yes' if row['mutating'] else '':<4} {row['total']:>6} "
              + " ".join(f"{row.get(o, 0):>11}" for o in outcomes))
    total = len(out["calls"])
    mutating = sum(1 for c in out["calls"] if c["mutating"])
    applied = sum(1 for c in out["calls"] if c["mutating"] and c["outcome"] in faults.APPLIED_OUTCOMES)
    print(f"{total} calls, {mutating} mutating ({applied} applied)")
    if out["transitions"]:
        print(f"\n{'service':<8} {'resource':<36} {'operation':<30} {'final':<10} {'took s':>7} {'seen after s':>12}")
        for t in out["transitions"]:
            seen = "-" if t["observed_at"] is None else f"{t['observed_at'] - t['final_at']:.2f}"
            print(f"{t['service']:<8} {t['resource']:<36} {t['operation']:<30} {t['final_state']:<10} "
                  f"{t['final_at'] - t['started_at']:>7.1f} {seen:>12}")
    return 0


def cmd_db(args: argparse.Namespace) -> int:
    """Connection URL of an instance's database (master user), or psql on it."""
    from sandbox.aws_seed import MASTER_PASSWORD

    sb = knobs.Sandbox(args.state_dir)
    rds = knobs.http_json(sb.control + "/rds", timeout=10)
    found = [i for i in rds["instances"] if i["instance_id"] == args.instance
             and (args.region is None or i["region"] == args.region)]
    if len(found) != 1:
        raise ValueError(f"{len(found)} sandbox DB instances named {args.instance!r}"
                         + ("" if found else f" (have {sorted(i['instance_id'] for i in rds['instances'])})"))
    inst = found[0]
    url = (f"postgresql://{inst['master_user']}:{MASTER_PASSWORD}@127.0.0.1:{inst['port']}/"
           f"{inst['db_name'] or 'postgres'}")
    if args.action == "url":
        print(url)
        return 0
    os.execvp("psql", ["psql", url, *args.psql_args])
    return 1  # not reached


def cmd_check(args: argparse.Namespace) -> int:
    """Validate an inventory as `up` would (every missing or wrong key named), or list sandbox.yml's keys."""
    from sandbox import schema
    from sandbox.config import sides

    if args.keys:
        print("\n".join(schema.describe()))
        return 0
    inventory = resolve_inventory(args.inventory)
    inv = load_inventory(inventory)  # ValueError listing the problems: main() prints it
    routed = inv["sandbox_seed"]["listener_rule_paths"]
    print(f"{inventory}: can be seeded - sides {', '.join(sides(inv))}, {len(inv.get('cloudops_services') or [])} "
          f"services ({len(routed)} routed by a listener rule), {len(release_jobs(inv, list(sides(inv))))} Helm "
          f"releases, {len(inv['sandbox_seed']['alarms'])} alarms, schema {inv['sandbox_seed']['rds']['schema_file']}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m sandbox", description=__doc__.splitlines()[0])
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--state-dir", help="state directory (default $CLOUDOPS_SANDBOX_STATE or .sandbox)")
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", parents=[common], help="start and seed the sandbox")
    up.add_argument("--inventory", help="inventory dir (default inventories/sandbox; inventories/sandbox-one-region "
                                        "seeds an estate without DR)")
    up.add_argument("--no-k8s", action="store_true", help="development only: AWS side alone, no Kubernetes/Helm")
    up.add_argument("--timing", choices=timing.PROFILES,
                    help=f"operation durations once seeded (default ${TIMING_ENV_VAR} `profile[:scale]`, else instant)")
    up.add_argument("--timing-scale", type=float, help="factor on the realistic durations (e.g. 0.05)")
    up.set_defaults(func=cmd_up)
    sub.add_parser("down", parents=[common], help="stop every sandbox process").set_defaults(func=cmd_down)
    chk = sub.add_parser("check", help="validate an inventory's sandbox.yml and estate keys without starting anything")
    chk.add_argument("--inventory", help="inventory dir (default inventories/sandbox)")
    chk.add_argument("--keys", action="store_true", help="list every sandbox_seed key, its type and default")
    chk.set_defaults(func=cmd_check)
    st = sub.add_parser("status", parents=[common], help="is it running, where")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    sub.add_parser("reset", parents=[common], help="back to the freshly seeded state").set_defaults(func=cmd_reset)

    db = sub.add_parser("db", parents=[common], help="reach an emulated RDS instance's database")
    db.add_argument("action", choices=("url", "psql"))
    db.add_argument("instance", help="DB instance identifier")
    db.add_argument("--region", help="when the identifier exists in both regions")
    db.add_argument("psql_args", nargs="*", help="extra psql arguments (after --)")
    db.set_defaults(func=cmd_db)

    knob = sub.add_parser("knob", help="inject a failure / recovery")
    ksub = knob.add_subparsers(dest="knob", required=True)
    k = ksub.add_parser("target-health", parents=[common])
    k.add_argument("--target-group", required=True, help="target group name or ARN")
    k.add_argument("--state", required=True, choices=knobs.TARGET_HEALTH_STATES)
    k = ksub.add_parser("alarm", parents=[common])
    k.add_argument("--name", required=True)
    k.add_argument("--state", required=True, choices=knobs.ALARM_STATES)
    _lag_knob(ksub, common, "replica-lag", "the replica receives the source's writes this late; or pause/resume replication",
              "the ReplicaLag metric", "rds", "hold all replication: writes from now on are missing on the replica",
              "--instance", "replica to act on (default: the estate's cloudops_rds.replica)")
    _lag_knob(ksub, common, "global-lag",
              "the Aurora global database's secondary cluster receives the writer's commits this late; or pause/resume",
              "the AuroraGlobalDB*Lag metrics", "rds", "hold all replication: commits from now on are missing on the secondary cluster",
              "--cluster-id", "secondary cluster (default: the global database's current secondary)")
    _lag_knob(ksub, common, "cache-lag", "the ElastiCache secondary group receives the primary's writes this late; or pause/resume",
              "the GlobalDatastoreReplicationLag metric", "cache", "hold all replication: writes from now on are missing on the secondary",
              "--group", "secondary replication group (default: the Global Datastore's current secondary)")
    k = ksub.add_parser("s3-replication", parents=[common],
                        help="S3 cross-region replication: its delay, or pause/resume; no option: show the state")
    k.add_argument("--delay", type=float, help="seconds from a put to its copy in the destination bucket")
    _pause_resume(k, "hold every copy: new versions stay PENDING, missing in the DR bucket", "copy what was held")
    k = ksub.add_parser("backup-replication", parents=[common],
                        help="replicated automated backups in DR: their delay behind the source; or pause/resume")
    k.add_argument("--delay", type=float, help="seconds the DR copy's latest restorable time trails the source")
    _pause_resume(k, "the DR copy stops receiving backups: its latest restorable time grows old", "copies flow again")
    k.add_argument("--instance", help="source instance (default: every replication)")
    k = ksub.add_parser("rollout", parents=[common])
    k.add_argument("--cluster", required=True, choices=CLUSTERS)
    k.add_argument("--namespace", required=True)
    k.add_argument("--name", required=True)
    g = k.add_mutually_exclusive_group(required=True)
    g.add_argument("--never-ready", dest="ready", action="store_false", help="pods run but never become Ready")
    g.add_argument("--ready", dest="ready", action="store_true", help="ready, even over the never-ready annotation")
    g.add_argument("--fail", dest="ready", action="store_const", const="fail",
                   help="a Job's pod exits 1 and the Job fails (e.g. a smoke test or helm test hook)")
    g.add_argument("--clear", dest="ready", action="store_const", const=None, help="remove the rule: normal behaviour")
    k = ksub.add_parser("timing", parents=[common], help="operation durations: instant, or real AWS times a scale")
    k.add_argument("--profile", required=True, choices=timing.PROFILES)
    k.add_argument("--scale", type=float, default=1.0, help="factor on the realistic durations (default 1)")
    k.add_argument("--duration", action="append", default=[], metavar="KEY=SECONDS",
                   help="override one real-AWS duration, e.g. rds.promote=30 (repeatable)")
    k = ksub.add_parser("faults", parents=[common], help="answer a share of AWS calls with throttling/5xx/resets")
    k.add_argument("--rate", type=float, default=0.0, help="share of the selected calls that fail (0 = off)")
    k.add_argument("--kinds", default="throttle,5xx", help="comma list of throttle, 5xx, reset (dropped before moto applies the call), "
                   "reset-after (applied, then dropped: the response is lost)")
    k.add_argument("--services", help="comma list (default: all), e.g. rds,route53")
    k.add_argument("--operations", help="comma list of operation names (default: all)")
    k.add_argument("--mutating-only", action="store_true", help="only calls that change something")
    k.add_argument("--latency-ms", type=float, default=0, help="added to every selected call")
    k.add_argument("--seed", type=int, default=0, help="same seed, same failures")
    knob.set_defaults(func=cmd_knob)

    calls = sub.add_parser("api-calls", parents=[common], help="AWS calls counted at the moto server")
    calls.add_argument("--reset", action="store_true", help="empty the log after printing it")
    calls.add_argument("--json", action="store_true")
    calls.set_defaults(func=cmd_api_calls)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["serve"]:  # internal: the daemon itself
        from sandbox.daemon import serve

        return serve(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except (knobs.SandboxNotRunning, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
