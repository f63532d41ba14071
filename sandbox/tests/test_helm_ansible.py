"""kubernetes.core.helm and helm_info (ansible 12.3.0 / kubernetes.core 6.2.0) drive the sandbox `helm` for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from sandbox.helm import write_wrapper
from sandbox.tests.k8s_helpers import cluster, emulator, kubeconfig  # noqa: F401 (pytest fixtures)

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "sandbox" / "charts" / "sample-app"
VENV_BIN = Path(sys.executable).parent

PLAYBOOK = """
- hosts: localhost
  connection: local
  gather_facts: false
  vars:
    kubeconfig: "{kubeconfig}"
  tasks:
    - name: Deploy the blue release
      kubernetes.core.helm:
        name: shop-blue
        chart_ref: "{chart}"
        release_namespace: shop
        create_namespace: true
        release_values: {{replicaCount: 2, image: {{tag: "1.2.3"}}}}
        wait: true
        wait_timeout: 30s
        kubeconfig: "{{{{ kubeconfig }}}}"
      register: deployed

    - name: Deploy again with the same values (idempotent)
      kubernetes.core.helm:
        name: shop-blue
        chart_ref: "{chart}"
        release_namespace: shop
        release_values: {{replicaCount: 2, image: {{tag: "1.2.3"}}}}
        wait: true
        kubeconfig: "{{{{ kubeconfig }}}}"
      register: again

    - name: Read the release
      kubernetes.core.helm_info:
        name: shop-blue
        release_namespace: shop
        kubeconfig: "{{{{ kubeconfig }}}}"
      register: info

    - name: Write the results for the test
      ansible.builtin.copy:
        content: "{{{{ {{'deployed': deployed, 'again': again, 'info': info}} | to_json }}}}"
        dest: "{out}"
"""


def test_kubernetes_core_helm_and_helm_info(cluster, tmp_path):
    bin_dir = tmp_path / "bin"
    write_wrapper(bin_dir)
    out = tmp_path / "result.json"
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK.format(kubeconfig=cluster.kubeconfig, chart=CHART, out=out))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HELM_", "KUBECONFIG", "ANSIBLE_"))}
    env.update(PATH=f"{bin_dir}{os.pathsep}{VENV_BIN}{os.pathsep}{env.get('PATH', '')}",
               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
               ANSIBLE_NOCOLOR="1", ANSIBLE_HOME=str(tmp_path / "ansible-home"))
    proc = subprocess.run([str(VENV_BIN / "ansible-playbook"), str(playbook), "-e",
                           f"ansible_python_interpreter={sys.executable}"],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    result = json.loads(out.read_text())

    deployed = result["deployed"]
    assert deployed["changed"] is True
    assert deployed["command"].startswith(str(bin_dir / "helm") + " upgrade -i --reset-values --wait")
    assert deployed["status"]["status"] == "deployed" and deployed["status"]["revision"] == "1"
    assert deployed["status"]["values"] == {"replicaCount": 2, "image": {"tag": "1.2.3"}}

    assert result["again"]["changed"] is False  # kubernetes.core's default idempotency check saw no difference

    status = result["info"]["status"]
    assert (status["name"], status["namespace"], status["chart"], status["app_version"]) == (
        "shop-blue", "shop", "sample-app-0.1.0", "1.0.0")
    kinds = sorted(doc["kind"] for doc in status["manifest"] if doc)
    assert kinds == ["ConfigMap", "Deployment", "Service"]
    assert [h["kind"] for h in status["hooks"] if h] == ["Job"]
    assert "runs version 1.2.3 with 2 replica(s)" in status["notes"]
