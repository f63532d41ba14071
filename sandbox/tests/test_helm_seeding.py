"""The sandbox runs the real helm v4: <state>/bin links, per-state helm dirs, seeding with it, and its speed.

`python -m sandbox up` links <state>/bin/helm and kubectl to the binaries of `make k8s-tools` and refuses to start
without them; its env file points helm's cache/config/data and kubectl's cache into the state dir; the seeded releases
are helm's own (field manager "helm", server-side apply), so the runbooks' upgrades meet no field-manager conflict;
50 services (200 releases over two clusters) seed in under a minute.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.services import write_inventory
from sandbox import cli
from sandbox.config import StatePaths, load_inventory
from sandbox.k8s import start_emulator, write_kubeconfig
from sandbox.tests.helm_tools import BIN, require_tools

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "sandbox" / "charts" / "sample-app"


def test_up_refuses_to_start_without_the_real_tools(tmp_path):
    state = tmp_path / "state"
    env = dict(os.environ, CLOUDOPS_K8S_TOOLS_DIR=str(tmp_path / "no-tools"))
    proc = subprocess.run([sys.executable, "-m", "sandbox", "up", "--state-dir", str(state)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert proc.stderr == (f"error: the sandbox runs the real helm and kubectl from {tmp_path / 'no-tools' / 'bin'}, "
                           "which has none: run `make k8s-tools` (tools/install-k8s-tools.sh) first, or use --no-k8s\n")
    assert not (state / "sandbox.pid").exists() and not (state / "daemon.json").exists()  # nothing was started


def test_state_dir_links_the_tools_and_keeps_helms_dirs(tmp_path, monkeypatch):
    require_tools()
    paths = StatePaths(tmp_path / "state")
    paths.bin.mkdir(parents=True)
    (paths.bin / "helm").write_text("#!/bin/sh\necho an older sandbox's wrapper\n")  # replaced, not kept
    cli.link_k8s_tools(paths)
    assert {tool: os.readlink(paths.bin / tool) for tool in ("helm", "kubectl")} == {
        "helm": str(BIN / "helm"), "kubectl": str(BIN / "kubectl")}
    dirs = cli.helm_dirs(paths)
    assert dirs == {"HELM_CACHE_HOME": str(paths.root / "helm" / "cache"),
                    "HELM_CONFIG_HOME": str(paths.root / "helm" / "config"),
                    "HELM_DATA_HOME": str(paths.root / "helm" / "data"), "KUBECACHEDIR": str(paths.root / "kube-cache")}
    assert all(Path(d).is_dir() for d in dirs.values())
    lines = dict(cli.env_lines(paths, {"moto": {"url": "http://127.0.0.1:1"}, "k8s": {"primary": {}, "dr": {}}},
                               "us-east-1"))
    assert {k: lines[k] for k in dirs} == dirs
    monkeypatch.setenv("HELM_NAMESPACE", "somewhere-else")  # a caller's helm settings never reach the seeding
    monkeypatch.setenv("KUBECONFIG", "/nonexistent")
    env = cli.helm_env(paths)
    assert "HELM_NAMESPACE" not in env and "KUBECONFIG" not in env and env["HELM_DATA_HOME"] == dirs["HELM_DATA_HOME"]


def test_the_sandbox_helm_is_the_real_one_and_upgrades_its_seeded_releases(sandbox):
    env = sandbox.env
    assert subprocess.run(["helm", "version", "--template", "{{ .Version }}"], env=env, capture_output=True,
                          text=True, check=True).stdout == "v4.1.4"
    assert Path(subprocess.run(["bash", "-c", "command -v helm"], env=env, capture_output=True, text=True,
                               check=True).stdout.strip()) == sandbox.state_dir / "bin" / "helm"
    assert env["HELM_DATA_HOME"] == str(sandbox.state_dir / "helm" / "data")
    kubeconfig = env["KUBECONFIG_PRIMARY"]
    deploy = json.loads(subprocess.run(["kubectl", "get", "deployment", "shop-green", "-n", "shop", "-o", "json",
                                        "--show-managed-fields", "--kubeconfig", kubeconfig], env=env,
                                       capture_output=True, text=True, check=True).stdout)
    managers = {(m["manager"], m["operation"]) for m in deploy["metadata"]["managedFields"]}
    assert ("helm", "Apply") in managers and not any(op == "Update" and mgr == "helm" for mgr, op in managers)
    # A runbook's upgrade (--wait, helm's default server-side apply) of a seeded release: no field-manager conflict.
    values = subprocess.run(["helm", "get", "values", "shop-green", "-n", "shop", "-o", "json", "--kubeconfig",
                             kubeconfig], env=env, capture_output=True, text=True, check=True).stdout
    upgraded = subprocess.run(["helm", "upgrade", "shop-green", str(CHART), "-n", "shop", "--kubeconfig", kubeconfig,
                               "--reset-values", "--set-json", f"={values}", "--set", "image.tag=1.0.1", "--wait",
                               "--timeout", "60s", "-o", "json"], env=env, capture_output=True, text=True)
    try:
        assert upgraded.returncode == 0, upgraded.stderr
        release = json.loads(upgraded.stdout)
        assert (release["version"], release["info"]["status"]) == (2, "deployed")
    finally:
        sandbox.cli("reset")  # the estate as seeded for the tests after this one


# ~40 s of one worker: make sandbox-tests-long. make test's integration stage seeds the same 50-service estate
# (tests/integration/test_general_estates.py brings inventories/sandbox-50-services up).
@pytest.mark.long
def test_fifty_services_seed_two_hundred_deployed_releases(tmp_path):
    """200 releases (50 blue-green services on both sides, benchmarks/services.py's estate), installed as `up` does,
    all deployed. How long it takes is printed, not asserted (speed targets belong in `make bench`)."""
    require_tools()
    inventory = write_inventory(REPO / "inventories" / "sandbox", tmp_path / "inventory", 50)
    inv = load_inventory(inventory)
    paths = StatePaths(tmp_path / "state")
    for directory in (paths.logs, paths.bin, paths.seed_dir):
        directory.mkdir(parents=True)
    emulators = {c: start_emulator(port=0, name=c) for c in ("primary", "dr")}
    try:
        for cluster, emulator in emulators.items():
            write_kubeconfig(str(paths.kubeconfig(cluster)), emulator.url, f"shop-{cluster}")
        cli.link_k8s_tools(paths)
        t0 = time.monotonic()
        jobs = cli.release_jobs(inv, list(emulators))
        for cluster, namespace in dict.fromkeys((j["cluster"], j["namespace"]) for j in jobs):
            cli.create_namespace(paths, inv, cluster, namespace)
        releases, _ = cli.install_releases(paths, inv, jobs)
        elapsed = time.monotonic() - t0
        print(f"\n{len(releases)} releases of 50 services seeded in {elapsed:.1f} s "
              f"({cli.HELM_SEED_WORKERS} helm installs at a time)")
        assert len(releases) == len(jobs) == 200
        for cluster in emulators:
            listed = json.loads(subprocess.run(
                [str(paths.bin / "helm"), "list", "-A", "-o", "json", "--max", "0", "--kubeconfig",
                 str(paths.kubeconfig(cluster))], env=cli.helm_env(paths), capture_output=True, text=True,
                check=True).stdout)
            assert len(listed) == 100 and {r["status"] for r in listed} == {"deployed"}
    finally:
        for emulator in emulators.values():
            emulator.stop()
