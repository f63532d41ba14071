"""A one-region estate (inventories/sandbox-one-region, docs/one-region.md): what the sandbox derives from an inventory
without a DR side, without starting one (tests/integration/test_one_region.py seeds it and runs the runbooks on it)."""
from pathlib import Path

import pytest

from sandbox import cli
from sandbox.config import StatePaths, load_inventory, replica, resolve_inventory, sides

ONE = load_inventory(resolve_inventory("inventories/sandbox-one-region"))
TWO = load_inventory(resolve_inventory(None))


def test_the_sides_follow_cloudops_regions():
    assert sides(TWO) == ("primary", "dr") and sides(ONE) == ("primary",)
    assert replica(TWO) == {"region": "us-west-2", "instance_id": "shop-db-dr"} and replica(ONE) is None


def test_the_one_region_inventory_declares_no_dr_piece_anywhere():
    assert list(ONE["cloudops_regions"]) == list(ONE["cloudops_eks"]) == list(ONE["cloudops_alb"]) == ["primary"]
    assert list(ONE["cloudops_rds"]) == ["primary"] and "cloudops_failover" not in ONE
    assert all(list(svc["traffic"]) == ["primary"] and "dr" not in (svc.get("side_values") or {}) for svc in ONE["cloudops_services"])
    assert "copy" not in ONE["cloudops_backup"] and "dr" not in ONE["cloudops_backup"]["retention"]
    assert ONE["cloudops_lock"]["region"] == ONE["cloudops_regions"]["primary"]
    # What the seeder sizes per side exists for the primary only.
    assert list(ONE["sandbox_seed"]["vpc"]) == list(ONE["sandbox_seed"]["nodegroups"]) == ["primary"]


def test_releases_are_seeded_on_the_primary_cluster_only():
    jobs = cli.release_jobs(ONE, ["primary"])
    assert {job["cluster"] for job in jobs} == {"primary"}
    assert sorted(job["release"] for job in jobs) == ["catalog-blue", "catalog-green", "shop-blue", "shop-green"]


@pytest.mark.parametrize("k8s,expected", [({"primary": {}}, False), ({"primary": {}, "dr": {}}, True), ({}, True)])
def test_the_env_file_sets_kubeconfig_dr_only_when_there_is_a_dr_cluster(k8s, expected):
    daemon = {"moto": {"url": "http://127.0.0.1:1"}, "k8s": k8s}
    names = [name for name, _ in cli.env_lines(StatePaths(Path("/tmp/x")), daemon, "us-east-1")]
    assert ("KUBECONFIG_DR" in names) is expected and "KUBECONFIG_PRIMARY" in names
