"""Conformance: the REAL helm v4 and kubectl binaries against the Kubernetes emulator.

The binaries come from tools/install-k8s-tools.sh (`make k8s-tools`; `make sandbox-tests` runs it first), see
helm_tools.py; without them the tests fail saying so. Each test gets an emulator of its own and a kubeconfig for it;
helm's and kubectl's caches live in the test's tmp dir.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
import yaml

from sandbox.tests.helm_tools import BIN, require_tools, tools  # noqa: F401 (pytest fixture)
from sandbox.tests.k8s_helpers import cluster, emulator, kubeconfig  # noqa: F401 (pytest fixtures)

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "sandbox" / "charts" / "sample-app"
NEVER_READY = '{"sandbox.cloudops.io/never-ready":"true"}'


def _history(tools, release):
    return [(r["revision"], r["status"], r["description"])
            for r in json.loads(tools("helm", "history", release, "-n", "shop", "-o", "json").stdout)]


def _image(deploy):
    return deploy["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]


def test_the_installer_downloads_nothing_twice_and_replaces_tampered_binaries(tmp_path):
    require_tools()
    script = REPO / "tools" / "install-k8s-tools.sh"
    env = {k: v for k, v in os.environ.items() if k != "CLOUDOPS_K8S_TOOLS_DIR"}
    again = subprocess.run([str(script)], capture_output=True, text=True,
                           env={**env, "CLOUDOPS_K8S_TOOLS_DIR": str(BIN.parent)}, timeout=60)
    assert (again.returncode, again.stdout.strip(), again.stderr) == (0, str(BIN), "")  # checked, nothing fetched

    other = tmp_path / "tools"
    (other / "cache").mkdir(parents=True)
    (other / "bin").mkdir()
    for cached in (BIN.parent / "cache").glob("*.tgz"):
        (other / "cache" / cached.name).write_bytes(cached.read_bytes())
    (other / "bin" / "helm").write_text("#!/bin/sh\necho not helm\n")
    (other / "bin" / "kubectl").write_text("#!/bin/sh\necho not kubectl\n")
    proc = subprocess.run([str(script)], capture_output=True, text=True,
                          env={**env, "CLOUDOPS_K8S_TOOLS_DIR": str(other)}, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "fetching" not in proc.stderr and "installed in" in proc.stderr  # from the cached, checked tarball
    assert (other / "bin" / "helm").read_bytes()[:4] == b"\x7fELF"


def test_the_pinned_versions_are_installed(tools):
    assert '"v4.1.4"' in tools("helm", "version", "--template", '"{{ .Version }}"').stdout
    client = json.loads(tools("kubectl", "version", "--client", "-o", "json").stdout)["clientVersion"]
    assert client["gitVersion"] == "v1.34.5"
    server = json.loads(tools("kubectl", "version", "-o", "json").stdout)["serverVersion"]
    assert (server["major"], server["minor"]) == ("1", "34")


def test_helm_install_upgrade_rollback_history_uninstall_with_wait(tools):
    out = tools("helm", "upgrade", "--install", "shop-blue", CHART, "-n", "shop", "--create-namespace",
                "--set", "image.tag=1.0.0", "--wait", "--timeout", "30s").stdout
    assert 'Release "shop-blue" does not exist. Installing it now.' in out and "STATUS: deployed" in out
    deploy = tools.get("deployment", "shop-blue")
    assert _image(deploy) == "1.0.0" and deploy["status"]["readyReplicas"] == 1
    # helm v4 installs with server-side apply: the emulator records helm as the fields' manager
    assert {(m["manager"], m["operation"]) for m in deploy["metadata"]["managedFields"]} == {("helm", "Apply")}

    rel = json.loads(tools("helm", "upgrade", "shop-blue", CHART, "-n", "shop", "--set", "image.tag=2.0.0",
                           "--set", "replicaCount=2", "--wait", "--timeout", "30s", "-o", "json").stdout)
    assert (rel["version"], rel["info"]["status"]) == (2, "deployed")
    deploy = tools.get("deployment", "shop-blue")
    assert (_image(deploy), deploy["spec"]["replicas"], deploy["status"]["readyReplicas"]) == ("2.0.0", 2, 2)

    tools("helm", "rollback", "shop-blue", "1", "-n", "shop", "--wait", "--timeout", "30s")
    assert _history(tools, "shop-blue") == [(1, "superseded", "Install complete"),
                                            (2, "superseded", "Upgrade complete"),
                                            (3, "deployed", "Rollback to 1")]
    deploy = tools.get("deployment", "shop-blue")
    assert (_image(deploy), deploy["spec"]["replicas"]) == ("1.0.0", 1)
    listed = json.loads(tools("helm", "list", "-A", "-o", "json").stdout)
    assert [(r["name"], r["namespace"], r["revision"], r["status"]) for r in listed] == [
        ("shop-blue", "shop", "3", "deployed")]

    tools("helm", "uninstall", "shop-blue", "-n", "shop", "--wait", "--timeout", "30s")
    gone = tools("kubectl", "get", "deployment", "shop-blue", "-n", "shop", check=False)
    assert gone.returncode == 1 and 'deployments.apps "shop-blue" not found' in gone.stderr
    assert json.loads(tools("helm", "list", "-A", "-o", "json").stdout) == []


def test_helm_wait_fails_on_a_deployment_that_never_becomes_ready(tools):
    proc = tools("helm", "install", "stuck", CHART, "-n", "shop", "--create-namespace", "--set-json",
                 f"deploymentAnnotations={NEVER_READY}", "--wait", "--timeout", "3s", check=False, timeout=60)
    assert proc.returncode == 1 and "context deadline exceeded" in proc.stderr
    assert _history(tools, "stuck")[0][1] == "failed"


@pytest.mark.parametrize("server_side", ["true", "false"])
def test_helm_upgrade_refuses_a_manifest_with_a_wrong_field_type(tools, server_side):
    tools("helm", "install", "web", CHART, "-n", "shop", "--create-namespace", f"--server-side={server_side}",
          "--wait", "--timeout", "30s")
    proc = tools("helm", "upgrade", "web", CHART, "-n", "shop", "--set", "replicaCount=two", "--set",
                 "image.tag=9.9.9", "--wait", "--timeout", "30s", check=False)
    assert proc.returncode == 1 and "UPGRADE FAILED" in proc.stderr
    if server_side == "true":  # server-side apply: structured-merge-diff's text
        assert ("failed to create typed patch object (apps/v1, Kind=Deployment): .spec.replicas: expected numeric "
                "(int or float), got string") in proc.stderr
    else:  # a three-way patch: the JSON decoder's text
        assert ("cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field "
                "DeploymentSpec.spec.replicas of type int32") in proc.stderr
    deploy = tools.get("deployment", "web")
    assert (_image(deploy), deploy["spec"]["replicas"]) == ("1.0.0", 1)  # nothing of the bad revision landed
    assert [h[1] for h in _history(tools, "web")] == ["deployed", "failed"]


def test_helm_refuses_an_unknown_field_like_a_real_cluster(tools, tmp_path):
    chart = tmp_path / "chart"
    subprocess.run(["cp", "-r", str(CHART), str(chart)], check=True)
    template = chart / "templates" / "deployment.yaml"
    template.write_text(template.read_text().replace("  replicas:", "  replicass: 1\n  replicas:", 1))
    proc = tools("helm", "install", "typo", chart, "-n", "shop", "--create-namespace", check=False)
    assert proc.returncode == 1 and ".spec.replicass: field not declared in schema" in proc.stderr


MANIFEST = """\
apiVersion: v1
kind: ConfigMap
metadata: {name: demo, namespace: shop}
data: {greeting: hello}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: demo, namespace: shop, labels: {app: demo}}
spec:
  replicas: 1
  selector: {matchLabels: {app: demo}}
  template:
    metadata: {labels: {app: demo}}
    spec:
      containers:
      - name: web
        image: registry.example.invalid/demo:1.0.0
        ports: [{containerPort: 8080}]
"""


def test_kubectl_get_describe_apply_scale_rollout_status_delete(tools, tmp_path):
    manifest = tmp_path / "demo.yaml"
    manifest.write_text(MANIFEST)
    tools("kubectl", "create", "namespace", "shop")
    out = tools("kubectl", "apply", "-f", manifest).stdout
    assert "configmap/demo created" in out and "deployment.apps/demo created" in out
    assert "deployment.apps/demo unchanged" in tools("kubectl", "apply", "-f", manifest).stdout
    tools("kubectl", "rollout", "status", "deployment/demo", "-n", "shop", "--timeout=20s")

    rows = tools("kubectl", "get", "deployments", "-n", "shop", "-o", "wide").stdout.splitlines()
    assert rows[0].split()[:4] == ["NAME", "READY", "UP-TO-DATE", "AVAILABLE"] and rows[1].split()[:2] == [
        "demo", "1/1"]
    described = tools("kubectl", "describe", "deployment", "demo", "-n", "shop").stdout
    assert "registry.example.invalid/demo:1.0.0" in described and "1 desired | 1 updated | 1 total" in described

    assert "deployment.apps/demo scaled" in tools("kubectl", "scale", "deployment", "demo", "-n", "shop",
                                                  "--replicas=3").stdout
    status = tools("kubectl", "rollout", "status", "deployment/demo", "-n", "shop", "--timeout=20s").stdout
    assert 'deployment "demo" successfully rolled out' in status
    assert tools.get("deployment", "demo")["status"]["readyReplicas"] == 3

    changed = tmp_path / "changed.yaml"
    changed.write_text(MANIFEST.replace("demo:1.0.0", "demo:2.0.0"))
    assert "deployment.apps/demo configured" in tools("kubectl", "apply", "-f", changed).stdout
    tools("kubectl", "rollout", "status", "deployment/demo", "-n", "shop", "--timeout=20s")
    assert _image(tools.get("deployment", "demo")) == "2.0.0"
    assert "serverside-applied" in tools("kubectl", "apply", "--server-side", "--force-conflicts", "-f",
                                         changed).stdout

    # kubectl validates strictly by default: the server is asked to, and refuses the unknown field
    typo = tmp_path / "typo.yaml"
    typo.write_text(MANIFEST.replace("  replicas: 1", "  replicas: 1\n  paused: true\n  replcas: 2"))
    proc = tools("kubectl", "apply", "-f", typo, check=False)
    assert proc.returncode == 1 and 'strict decoding error: unknown field "spec.replcas"' in proc.stderr
    assert tools.get("deployment", "demo")["spec"].get("paused") is None

    out = tools("kubectl", "delete", "-f", manifest).stdout
    assert 'configmap "demo" deleted' in out and 'deployment.apps "demo" deleted' in out
    left = tools("kubectl", "get", "deployments,configmaps,replicasets,pods", "-n", "shop", "-l", "app=demo",
                 "-o", "json").stdout
    assert json.loads(left)["items"] == []


def test_kubectl_rollout_status_times_out_on_a_never_ready_deployment(tools, tmp_path):
    manifest = tmp_path / "stuck.yaml"
    doc = list(yaml.safe_load_all(MANIFEST))[1]
    doc["metadata"]["annotations"] = json.loads(NEVER_READY)
    manifest.write_text(yaml.safe_dump(doc))
    tools("kubectl", "create", "namespace", "shop")
    tools("kubectl", "apply", "-f", manifest)
    proc = tools("kubectl", "rollout", "status", "deployment/demo", "-n", "shop", "--timeout=2s", check=False)
    assert proc.returncode == 1 and "timed out waiting for the condition" in proc.stderr


def test_kubectl_explain_reads_openapi_v3_and_the_v2_protobuf(tools):
    v3 = tools("kubectl", "explain", "deployment.spec.replicas").stdout
    assert "FIELD: replicas <integer>" in v3 and "Number of desired pods" in v3
    v2 = tools("kubectl", "explain", "deployment.spec.strategy.rollingUpdate.maxSurge",
               "--output=plaintext-openapiv2").stdout
    assert "FIELD:    maxSurge <string>" in v2 and "The maximum number of pods" in v2
