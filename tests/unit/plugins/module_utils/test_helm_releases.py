# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""HelmRunner.releases (what helm_release_info and estate_status read) and the runner's own cluster flags."""

from __future__ import annotations

import json
import threading

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli


@pytest.fixture(autouse=True)
def _each_test_asks_helm_its_version():
    """HelmRunner keeps helm's major version per binary for the module process; a test is one process of its own."""
    helm_cli._MAJOR_BY_BINARY.clear()


LISTED = [{"name": "shop-green", "namespace": "shop", "revision": "2", "status": "deployed", "chart": "sample-app-0.1.0",
           "app_version": "1.0.0", "updated": "then"},
          {"name": "shop-blue", "namespace": "shop", "revision": "1", "status": "deployed", "chart": "sample-app-0.1.0",
           "app_version": "1.0.0", "updated": "now"}]


def status_of(name):
    return json.dumps({"name": name, "info": {"status": "deployed", "description": "Upgrade of %s" % name}, "config": {"a": 1}})


class Helm:
    """Just what HelmRunner uses of a module; answers helm from LISTED, fails where told, records every command."""

    def __init__(self, fail=(), barrier=None):
        self.params = {"binary_path": "/bin/helm", "kubeconfig": "/module.yaml", "context": None}
        self.fail, self.barrier = fail, barrier
        self.commands = []

    def get_bin_path(self, name):
        return None

    def run_command(self, command):
        self.commands.append(command)
        if command[1] == "list":
            return 0, json.dumps(LISTED), ""
        if command[1] == "status":
            if self.barrier:
                self.barrier.wait()
            if command[2] in self.fail:
                return 1, "", "Error: %s: boom\n" % command[2]
            return 0, status_of(command[2]), ""
        if command[1] == "history":
            return 0, json.dumps([{"revision": 1, "status": "deployed"}]), ""
        raise AssertionError(command)

    def fail_json(self, **result):
        raise RuntimeError(result)


def test_releases_are_listed_once_and_each_read_sorted_by_name():
    module = Helm()
    releases = helm_cli.HelmRunner(module).releases("shop")
    assert [(r["name"], r["revision"], r["description"], r["values"]) for r in releases] == [
        ("shop-blue", 1, "Upgrade of shop-blue", {"a": 1}), ("shop-green", 2, "Upgrade of shop-green", {"a": 1})]
    assert [c[1] for c in module.commands] == ["list", "status", "status"]
    assert module.commands[0] == ["/bin/helm", "list", "--output", "json", "--namespace", "shop", "--kubeconfig", "/module.yaml"]


def test_releases_of_named_releases_with_history():
    module = Helm()
    releases = helm_cli.HelmRunner(module).releases("shop", names=["shop-green", "other"], history=True)
    assert [(r["name"], r["history"]) for r in releases] == [
        ("shop-green", [{"revision": 1, "status": "deployed", "chart": None, "app_version": None, "updated": None, "description": None}])]


def test_releases_are_read_side_by_side_with_workers():
    module = Helm(barrier=threading.Barrier(2, timeout=5))  # both statuses must be in flight at once
    assert [r["name"] for r in helm_cli.HelmRunner(module).releases("shop", workers=2)] == ["shop-blue", "shop-green"]


def test_a_failed_read_fails_the_module_with_helms_error():
    with pytest.raises(RuntimeError) as error:
        helm_cli.HelmRunner(Helm(fail=("shop-green",))).releases("shop", workers=2)
    assert error.value.args[0]["msg"] == "helm status failed (rc=1): shop-green: boom"
    assert error.value.args[0]["command"][:3] == ["/bin/helm", "status", "shop-green"]


def test_the_runner_talks_to_the_cluster_it_is_given():
    module = Helm()
    runner = helm_cli.HelmRunner(module, kubeconfig="/dr.yaml", context="dr")
    assert runner.command(["list"]) == ["/bin/helm", "list", "--kubeconfig", "/dr.yaml", "--kube-context", "dr"]
    assert helm_cli.HelmRunner(module).command(["list"]) == ["/bin/helm", "list", "--kubeconfig", "/module.yaml"]
