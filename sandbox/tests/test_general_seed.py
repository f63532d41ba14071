"""What the sandbox derives from any inventory (issue 17 item 3), without starting one: the sandbox_seed schema and its
errors, defaults that follow the estate, the Route 53 set identifiers, alarms per side, kubeconfig context names."""
import shutil
from pathlib import Path

import pytest
import yaml

from sandbox import cli, schema
from sandbox.aws_seed import set_identifiers
from sandbox.config import load_inventory, resolve_inventory

TWO = load_inventory(resolve_inventory(None))


def inventory(tmp_path, estate=None, seed=None, **files):
    """A copy of inventories/sandbox with estate.yml/sandbox.yml keys replaced (None deletes a key)."""
    target = tmp_path / "inv"
    shutil.copytree(resolve_inventory(None), target)
    for name, changes in (("estate.yml", estate), ("sandbox.yml", seed)):
        path = target / "group_vars" / "all" / name
        data = yaml.safe_load(path.read_text())
        root = data if name == "estate.yml" else data["sandbox_seed"]
        for key, value in (changes or {}).items():
            if value is None:
                root.pop(key, None)
            else:
                root[key] = value
        path.write_text(yaml.safe_dump(data))
    for name, text in files.items():
        (target / name).write_text(text)
    return target


def test_every_repository_sandbox_inventory_validates():
    for name in ("inventories/sandbox", "inventories/sandbox-one-region"):
        seed = load_inventory(resolve_inventory(name))["sandbox_seed"]
        assert Path(seed["rds"]["schema_file"]).name == "shop.sql"


def test_a_sandbox_yml_is_optional_every_key_has_a_default(tmp_path):
    inv_dir = inventory(tmp_path)
    (inv_dir / "group_vars" / "all" / "sandbox.yml").unlink()
    seed = load_inventory(inv_dir)["sandbox_seed"]
    assert seed["vpc"]["dr"]["cidr"] == "10.20.0.0/16" and seed["nodegroups"]["primary"] == {"min": 3, "desired": 3, "max": 6}
    # Defaults that follow the estate: the database name and secret from cloudops_db, the catalog's rule paths.
    assert (seed["rds"]["db_name"], seed["rds"]["master_secret_name"]) == ("shop", "shop/db/master")
    assert seed["listener_rule_paths"] == {"catalog": ["/catalog", "/catalog/*"]} and seed["alarms"] == []


def test_each_wrong_or_missing_key_is_named(tmp_path):
    inv_dir = inventory(tmp_path, seed={"targets_per_group": "two", "vpc": {"primary": {"cidr": "10.1.0.0/16"}},
                                        "alarms": [{"name": "x", "metric": "m", "statistic": "Sum", "threshold": 1,
                                                    "side": "west"}],
                                        "listener_rule_paths": {"web": ["/"]}, "colour": "blue"})
    with pytest.raises(ValueError) as err:
        load_inventory(inv_dir)
    text = str(err.value)
    for expected in ("sandbox_seed.targets_per_group: must be a int, got str 'two'",
                     "sandbox_seed.vpc.primary.subnets: missing",
                     "sandbox_seed.alarms[0].side: 'west' is not a side of the estate (primary, dr)",
                     "sandbox_seed.listener_rule_paths.web: no service 'web' routed by a listener rule",
                     "sandbox_seed.colour: unknown key"):
        assert expected in text
    assert "5 problem(s)" in text


def test_estate_keys_the_seeder_needs_are_checked(tmp_path):
    services = TWO["cloudops_services"] + [dict(TWO["cloudops_services"][1], name="search")]
    inv_dir = inventory(tmp_path, estate={"cloudops_dns": {"zone_name": "x.internal"}, "cloudops_services": services})
    with pytest.raises(ValueError) as err:
        load_inventory(inv_dir)
    assert "cloudops_dns.record_name: missing" in str(err.value)
    assert "cloudops_services[search].traffic.primary.rule_priority: 10 is also catalog's on that listener" in str(err.value)


def test_the_estate_s_own_schema_file_relative_to_the_inventory(tmp_path):
    inv_dir = inventory(tmp_path, seed={"rds": {"schema_file": "db/schema.sql"}})
    (inv_dir / "db").mkdir()
    (inv_dir / "db" / "schema.sql").write_text("CREATE TABLE t (id int);\n")
    assert load_inventory(inv_dir)["sandbox_seed"]["rds"]["schema_file"] == str((inv_dir / "db" / "schema.sql").resolve())
    (inv_dir / "db" / "schema.sql").unlink()
    with pytest.raises(ValueError, match="sandbox_seed.rds.schema_file: db/schema.sql not found"):
        load_inventory(inv_dir)


def test_route53_set_identifiers_are_the_inventory_s():
    assert set_identifiers(TWO) == {"primary": "primary", "dr": "dr"}
    inv = dict(TWO, cloudops_failover={"dns": {"dr_set_identifier": "us-west-2"}},
               cloudops_failback={"primary_set_identifier": "us-east-1"})
    assert set_identifiers(inv) == {"primary": "us-east-1", "dr": "us-west-2"}


def test_kubeconfig_contexts_are_named_after_the_clusters():
    assert cli.kube_names(TWO, "primary") == ("shop-primary", "shop-primary")
    eks = {"primary": dict(TWO["cloudops_eks"]["primary"], cluster_name="market-eu", context="ops@market-eu")}
    assert cli.kube_names(dict(TWO, cloudops_eks=eks), "primary") == ("market-eu", "ops@market-eu")


def test_the_schema_describes_every_key():
    lines = schema.describe()
    for key in schema.SPEC:
        assert any(line.startswith(f"sandbox_seed.{key} (") for line in lines)
    assert any(line.startswith("sandbox_seed.rds.schema_file (str") for line in lines)


def test_sandbox_check_validates_before_anything_starts(tmp_path, capsys):
    assert cli.main(["check", "--inventory", "inventories/sandbox-50-services"]) == 0
    assert "50 services (49 routed by a listener rule), 102 Helm releases, 3 alarms" in capsys.readouterr().out
    bad = inventory(tmp_path, seed={"rds": {"engine_version": 15.4, "db_nam": "x"}})
    assert cli.main(["check", "--inventory", str(bad)]) == 1
    assert "sandbox_seed.rds.db_nam: unknown key" in capsys.readouterr().err
