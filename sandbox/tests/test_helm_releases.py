"""The sandbox `helm` against the Kubernetes API emulator, run as a user would: the wrapper script as a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from sandbox.helm import write_wrapper
from sandbox.tests.k8s_helpers import cluster, emulator, kubeconfig  # noqa: F401 (pytest fixtures)

REPO = Path(__file__).resolve().parents[2]
CHART = str(REPO / "sandbox" / "charts" / "sample-app")
NEVER_READY = 'deploymentAnnotations={"sandbox.cloudops.io/never-ready":"true"}'


@pytest.fixture(scope="module")
def helm_exe(tmp_path_factory):
    return write_wrapper(tmp_path_factory.mktemp("bin"))


@pytest.fixture
def helm(helm_exe, cluster):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBECONFIG"))}
    env["KUBECONFIG"] = str(cluster.kubeconfig)

    def run(*args, check=True):
        proc = subprocess.run([str(helm_exe), *map(str, args)], capture_output=True, text=True, env=env, cwd=REPO,
                              timeout=60)
        if check:
            assert proc.returncode == 0, f"helm {' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def json_of(*args):
        return json.loads(run(*args).stdout)

    run.json = json_of
    return run


def _deployment(cluster, ns, name):
    from kubernetes import client, config

    api = client.AppsV1Api(config.new_client_from_config(config_file=str(cluster.kubeconfig)))
    return api.read_namespaced_deployment(name, ns)


def test_install_upgrade_history_rollback_list_uninstall(helm, cluster, tmp_path):
    out = helm("upgrade", "--install", "shop-blue", CHART, "-n", "shop", "--create-namespace",
               "--set", "image.tag=1.0.0", "--wait", "--timeout", "30s").stdout
    assert 'Release "shop-blue" does not exist. Installing it now.' in out and "STATUS: deployed" in out

    values = tmp_path / "v2.yaml"
    values.write_text("replicaCount: 2\ncolour: blue\n")
    rel = helm.json("upgrade", "--install", "shop-blue", CHART, "-n", "shop", "--set", "image.tag=2.0.0",
                    "-f", values, "--wait", "--timeout", "30s", "-o", "json")
    assert (rel["version"], rel["info"]["status"], rel["config"]["image"]["tag"]) == (2, "deployed", "2.0.0")

    hist = helm.json("history", "shop-blue", "-n", "shop", "-o", "json")
    assert [(h["revision"], h["status"], h["description"]) for h in hist] == [
        (1, "superseded", "Install complete"), (2, "deployed", "Upgrade complete")]
    assert set(hist[0]) == {"revision", "updated", "status", "chart", "app_version", "description"}
    assert hist[0]["chart"] == "sample-app-0.1.0" and hist[0]["app_version"] == "1.0.0"

    assert helm("rollback", "shop-blue", "1", "-n", "shop", "--wait", "--timeout", "30s").stdout == \
        "Rollback was a success! Happy Helming!\n"
    status = helm.json("status", "shop-blue", "-n", "shop", "-o", "json")
    assert (status["version"], status["info"]["status"], status["info"]["description"]) == (3, "deployed",
                                                                                          "Rollback to 1")
    assert "image: registry.example.invalid/shop/web:1.0.0" in status["manifest"].replace('"', "")
    assert helm.json("get", "values", "shop-blue", "-n", "shop", "-o", "json") == {"image": {"tag": "1.0.0"}}
    assert helm.json("get", "values", "shop-blue", "-n", "shop", "-o", "json", "--revision", "2") == \
        {"image": {"tag": "2.0.0"}, "replicaCount": 2, "colour": "blue"}
    assert helm.json("get", "values", "shop-blue", "-n", "shop", "-o", "json", "--all")["service"]["port"] == 80
    assert "kind: Deployment" in helm("get", "manifest", "shop-blue", "-n", "shop").stdout
    assert _deployment(cluster, "shop", "shop-blue").spec.replicas == 1

    helm("install", "shop-green", CHART, "-n", "shop")
    listed = helm.json("list", "-A", "-o", "json")
    assert sorted((r["name"], r["namespace"], r["revision"], r["status"], r["chart"], r["app_version"])
                  for r in listed) == [("shop-blue", "shop", "3", "deployed", "sample-app-0.1.0", "1.0.0"),
                                       ("shop-green", "shop", "1", "deployed", "sample-app-0.1.0", "1.0.0")]
    assert all(set(r) == {"name", "namespace", "revision", "updated", "status", "chart", "app_version"}
               for r in listed)
    assert listed[0]["updated"].endswith(" +0000 UTC")
    assert helm.json("list", "-o", "json") == []  # default namespace

    assert helm("uninstall", "shop-green", "-n", "shop", "--keep-history", "--wait").stdout == \
        'release "shop-green" uninstalled\n'
    assert [r["status"] for r in helm.json("list", "-n", "shop", "--uninstalled", "-o", "json")] == ["uninstalled"]
    helm("uninstall", "shop-blue", "-n", "shop")
    missing = helm("status", "shop-blue", "-n", "shop", check=False)
    assert (missing.returncode, missing.stderr) == (1, "Error: release: not found\n")


def test_wait_returns_when_the_rollout_is_ready(helm, cluster):
    helm("install", "shop-blue", CHART, "-n", "shop", "--create-namespace", "--set", "replicaCount=3",
         "--wait", "--timeout", "30s")
    dep = _deployment(cluster, "shop", "shop-blue")
    assert dep.status.ready_replicas == 3


def _assert_ready_without_knob(cluster, ns, name):
    dep = _deployment(cluster, ns, name)
    assert "sandbox.cloudops.io/never-ready" not in (dep.metadata.annotations or {})
    assert dep.status.ready_replicas == dep.spec.replicas and dep.status.updated_replicas == dep.spec.replicas
    return dep


def test_atomic_rolls_back_a_rollout_that_never_becomes_ready(helm, cluster):
    # Default server-side apply: the rollback re-applies revision 1 with the same field manager, so the emulator's
    # apply ownership removes the knob annotation only the failed revision applied.
    helm("install", "shop-blue", CHART, "-n", "shop", "--create-namespace", "--wait")
    failed = helm("upgrade", "shop-blue", CHART, "-n", "shop", "--set", "image.tag=9.9.9", "--set-json", NEVER_READY,
                  "--atomic", "--timeout", "2s", check=False)
    assert failed.returncode == 1, failed.stderr
    assert failed.stderr.startswith("Error: UPGRADE FAILED: release shop-blue failed, and has been rolled back")
    hist = helm.json("history", "shop-blue", "-n", "shop", "-o", "json")
    assert [(h["revision"], h["status"]) for h in hist] == [(1, "superseded"), (2, "failed"), (3, "deployed")]
    assert hist[2]["description"] == "Rollback to 1"
    dep = _assert_ready_without_knob(cluster, "shop", "shop-blue")
    assert dep.spec.template.spec.containers[0].image.endswith(":1.0.0")
    assert [m.operation for m in dep.metadata.managed_fields] == ["Apply"]  # a single apply manager


def test_rollback_removes_fields_of_the_newer_revision(helm, cluster):
    helm("install", "shop-blue", CHART, "-n", "shop", "--create-namespace", "--wait")
    helm("upgrade", "shop-blue", CHART, "-n", "shop", "--set-json", NEVER_READY)
    knobbed = _deployment(cluster, "shop", "shop-blue")
    assert knobbed.metadata.annotations["sandbox.cloudops.io/never-ready"] == "true"
    helm("rollback", "shop-blue", "1", "-n", "shop", "--wait", "--timeout", "30s")
    _assert_ready_without_knob(cluster, "shop", "shop-blue")


def test_failed_atomic_install_is_removed(helm, cluster):
    cluster.set_rollout("shop", "shop-red", False)  # knob before the object exists
    failed = helm("upgrade", "--install", "shop-red", CHART, "-n", "shop", "--create-namespace", "--atomic",
                  "--timeout", "1s", check=False)
    assert failed.returncode == 1 and "INSTALLATION FAILED" in failed.stderr
    assert helm.json("list", "-n", "shop", "-a", "-o", "json") == []


def test_errors_match_helm(helm):
    up = helm("upgrade", "nope", CHART, check=False)
    assert (up.returncode, up.stderr) == (1, 'Error: UPGRADE FAILED: "nope" has no deployed releases\n')
    un = helm("uninstall", "nope", check=False)
    assert un.returncode == 1 and un.stderr.startswith("Error: uninstall: Release not loaded: nope")
    helm("install", "dup", CHART)
    again = helm("install", "dup", CHART, check=False)
    assert again.returncode == 1 and "cannot reuse a name that is still in use" in again.stderr
    dry = helm("upgrade", "dup", CHART, "--dry-run", "--set", "replicaCount=5")
    assert "replicas: 5" in dry.stdout
    assert helm.json("history", "dup", "-o", "json")[-1]["revision"] == 1  # nothing stored by the dry run
