# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli


def test_global_args_leave_out_empty_values():
    assert helm_cli.global_args("/k.yaml", "ctx") == ["--kubeconfig", "/k.yaml", "--kube-context", "ctx"]
    assert helm_cli.global_args("", None) == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, ["list", "--output", "json"]),
        ({"namespace": "shop"}, ["list", "--output", "json", "--namespace", "shop"]),
        ({"namespace": "shop", "all_namespaces": True}, ["list", "--output", "json", "--all-namespaces"]),
        ({"all_statuses": True}, ["list", "--output", "json", "--all"]),
    ],
)
def test_list_args(kwargs, expected):
    assert helm_cli.list_args(**kwargs) == expected


def test_status_args():
    assert helm_cli.status_args("shop-blue", "shop") == ["status", "shop-blue", "--namespace", "shop", "--output", "json"]


def test_parse_json_names_command_on_garbage():
    assert helm_cli.parse_json('[{"name": "a"}]', "list") == [{"name": "a"}]
    assert helm_cli.parse_json("", "list") is None
    with pytest.raises(ValueError, match="helm list did not print JSON: Error: boom"):
        helm_cli.parse_json("Error: boom\n", "list")


def test_release_from_merges_status():
    listed = {"name": "shop-blue", "namespace": "shop", "revision": "3", "updated": "t", "status": "deployed",
              "chart": "sample-app-0.1.0", "app_version": "1.0.0"}
    status = {"info": {"status": "failed", "description": "Upgrade failed", "first_deployed": "a", "last_deployed": "b"},
              "config": {"replicaCount": 2}}
    release = helm_cli.release_from(listed, status)
    assert release["revision"] == 3
    assert (release["status"], release["description"], release["values"]) == ("failed", "Upgrade failed", {"replicaCount": 2})
    assert helm_cli.release_from(listed)["status"] == "deployed"
