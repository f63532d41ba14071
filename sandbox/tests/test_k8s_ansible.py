"""Kubernetes emulator driven by kubernetes.core modules through real ansible-playbook runs."""
import os
import subprocess
import sys

import pytest

from sandbox.tests.k8s_helpers import emulator, http, kubeconfig  # noqa: F401 - fixtures

HERE = os.path.dirname(os.path.abspath(__file__))
VENV_BIN = os.path.dirname(sys.executable)
PLAYBOOK = os.path.join(VENV_BIN, "ansible-playbook")

pytestmark = pytest.mark.skipif(not os.path.exists(PLAYBOOK), reason="ansible-playbook not in this venv")


def run_playbook(name, kubeconfig, tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_COLLECTIONS_PATH"}
    env.update({"K8S_AUTH_KUBECONFIG": kubeconfig, "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
                "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"), "ANSIBLE_NOCOLOR": "1",
                "ANSIBLE_RETRY_FILES_ENABLED": "0"})
    return subprocess.run(
        [PLAYBOOK, "-i", "localhost,", "-c", "local", os.path.join(HERE, "k8s_playbooks", name),
         "-e", f"ansible_python_interpreter={sys.executable}"],
        env=env, capture_output=True, text=True, timeout=180)


def test_k8s_modules_workflow(emulator, kubeconfig, tmp_path):
    """create + wait, idempotent re-apply, client-side apply, server-side apply, k8s_info with label and field
    selectors, k8s_scale with wait, k8s_rollback (needs real ReplicaSet revisions)."""
    result = run_playbook("workflow.yml", kubeconfig, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "failed=0" in result.stdout
    _, _, d = http(emulator, "GET", "/apis/apps/v1/namespaces/shop/deployments/web")
    assert d["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.26"  # rolled back
    assert d["metadata"]["annotations"]["deployment.kubernetes.io/revision"] == "4"


def test_k8s_wait_times_out_when_never_ready(emulator, kubeconfig, tmp_path):
    result = run_playbook("never_ready.yml", kubeconfig, tmp_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "ok=2" in result.stdout and "ignored=1" in result.stdout
