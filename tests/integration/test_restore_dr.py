# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Restore-based DR end to end (cloudops_rds.dr_restore: nothing warm in DR) on a private sandbox seeded from
inventories/sandbox-restore-dr, whose primary's automated backups replicate to DR with the sandbox's delay (5 s).

- The drill restores shop-db-dr in DR from the newest restorable point (the replicated backups' latest restorable
  time), measures the RPO by data (the markers written before the cut that the restored database lacks: the newest
  ones, those the replication had not copied yet), fails back, and leaves nothing behind: no instance in DR, no
  markers on the primary, no Secret, DR at its sizes, DNS on the primary, the status equal to before.
- A restore point older than the RPO budget (a 2 s budget against the 5 s delay) is refused by the restore in DR
  (rds_restore dr_restore_point) before it creates anything; the readiness audit reports the point and its age.
- (long) The same stale point refuses the drill and the failover before any change of the estate, the failover naming
  -e failover_max_lag_override=true.
- (long) With the override, the failover restores from the stale point and reports its age as the RPO; the failback
  then refuses, giving the manual way.
What each test checks is read back from the sandbox (RDS, Route 53, the DR cluster), not only from the reports."""

from __future__ import annotations

import json
import re
import subprocess

import psycopg
import pytest

from conftest import BIN, REPO, ansible_env, flat, own_sandbox, run_module, sandbox_cli, sandbox_client

INVENTORY = "inventories/sandbox-restore-dr"
PRIMARY, DR = "us-east-1", "us-west-2"
REPORT_KEYS = {"status": "status_report_path", "failover": "failover_report_path", "failover_drill": "drill_report_path",
               "failback": "failback_report_path"}
SANDBOX_PASSWORD = "sandbox-only-password"  # sandbox/aws_seed.py MASTER_PASSWORD


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A restore-based DR sandbox of this file's own (free ports, own state dir), stopped at the end."""
    with own_sandbox(tmp_path_factory.mktemp("sandbox-restore-dr"), "--inventory", INVENTORY) as sb:
        yield sb


@pytest.fixture
def runbook(estate, collections_path, tmp_path):
    """Run playbooks/<name>.yml on the restore-based inventory with a JSON report; returns (process, report)."""
    counter = {"n": 0}

    def run(name, extra_vars=None):
        counter["n"] += 1
        report = tmp_path / ("report-%d.json" % counter["n"])
        variables = dict(extra_vars or {}, cloudops_run_dir_root="", **{REPORT_KEYS[name]: str(report)})
        proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/%s.yml" % name, "-i", INVENTORY, "-e", json.dumps(variables)],
                              cwd=REPO, env=ansible_env(collections_path, estate["env"]), capture_output=True, text=True, timeout=600)
        return proc, (json.loads(report.read_text()) if report.exists() else None)

    return run


def mutating_calls(estate):
    """The estate-changing AWS calls since the last call of this function (the lock's DynamoDB writes excluded)."""
    calls = json.loads(sandbox_cli(estate["state"], "api-calls", "--json", "--reset").stdout)["calls"]
    return [c["operation"] for c in calls if c.get("mutating") and c.get("service") != "dynamodb"]


def dr_instances(estate):
    return [i["DBInstanceIdentifier"] for i in sandbox_client(estate, "rds", DR).describe_db_instances()["DBInstances"]]


def primary_markers(estate):
    """Rows left in the primary's marker table (0 when the table does not exist)."""
    db = sandbox_client(estate, "rds", PRIMARY).describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]
    with psycopg.connect(host="127.0.0.1", port=db["Endpoint"]["Port"], user="shop_admin", password=SANDBOX_PASSWORD,
                         dbname="shop", connect_timeout=10) as conn:
        if conn.execute("SELECT to_regclass('cloudops_drill_markers')").fetchone()[0] is None:
            return 0
        return conn.execute("SELECT count(*) FROM cloudops_drill_markers").fetchone()[0]


def test_the_drill_restores_in_dr_measures_the_rpo_by_data_and_leaves_nothing_behind(estate, runbook):
    proc, report = runbook("failover_drill")
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert report["outcome"] == "passed"
    # The restore point: the replicated backups in DR, 5 s behind (the sandbox's delay), within the 60 s budget.
    point = report["rpo"]["restore_point"]
    assert (point["kind"], point["instance_id"]) == ("automated_backups", "shop-db-dr")
    assert 4.5 <= point["age_seconds"] <= 15
    # RPO by data: the missing markers are the newest ones (those written within the delay before the restore).
    rpo = report["rpo"]
    written, missing = rpo["markers_written"], rpo["missing_seqs"]
    assert rpo["rows"] == len(missing) and rpo["markers_present"] == written - len(missing)
    assert missing == list(range(written - len(missing) + 1, written + 1))
    assert rpo["within_budget"] is True
    steps = [(s["phase"], s["step"]) for s in report["steps"]]
    assert ("failover", "restore") in steps and ("failback", "restore_cleanup") in steps
    assert ("failover", "promote") not in steps and ("failback", "replica") not in steps
    # Nothing left behind, read back from the sandbox.
    assert report["status"]["equal"] is True
    assert "shop-db-dr" not in dr_instances(estate)
    assert primary_markers(estate) == 0
    secrets = [s["Name"] for s in sandbox_client(estate, "secretsmanager", DR).list_secrets()["SecretList"]]
    assert secrets == ["shop/db/master"]
    assert report["status_after"]["dns"]["primary"] == "primary"


# An RPO budget of 2 s against the replicated backups' 5 s delay: the newest restorable point in DR is too old.
TIGHT_BUDGET = {"cloudops_budgets": {"rpo_seconds": 2, "rto_seconds": 900}}


def test_the_restore_in_dr_refuses_a_point_older_than_the_budget_and_creates_nothing(estate, collections_path):
    """The gate the failover's restore step applies (rds_restore dr_restore_point), and the audit that reports it."""
    mutating_calls(estate)
    args = {"instance_id": "shop-db-dr", "region": DR, "dr_restore_point": {"source_instance_id": "shop-db", "rpo_budget_seconds": 2}}
    refused = run_module(collections_path, estate["env"], "rds_restore", args, inventory=INVENTORY)
    assert refused.get("failed") and refused["refused"] is True
    assert refused["msg"].startswith("restore in us-west-2 refused, nothing changed: newest restorable point in us-west-2: "
                                     "replicated automated backups")
    assert "over the RPO budget of 2 s" in refused["msg"] and "failover_max_lag_override=true" in refused["msg"]
    assert refused["restore_point"]["kind"] == "automated_backups" and refused["restore_point"]["age_seconds"] > 2
    assert mutating_calls(estate) == [] and "shop-db-dr" not in dr_instances(estate)
    audit = run_module(collections_path, estate["env"], "dr_readiness_info", {
        "dr_restore": {"source_instance_id": "shop-db", "source_region": PRIMARY, "region": DR, "instance_id": "shop-db-dr"},
        "rpo_budget_seconds": 60, "region": DR}, inventory=INVENTORY)
    assert [(f["check"], f["passed"]) for f in audit["findings"]] == [
        ("dr_restore_point", True), ("dr_restore_target", True), ("source_backups", True)]
    assert 4.5 <= audit["observed"]["restore_point"]["age_seconds"] <= 15


@pytest.mark.long
def test_a_restore_point_older_than_the_rpo_budget_refuses_drill_and_failover_before_any_change(estate, runbook):
    mutating_calls(estate)
    for name in ("failover_drill", "failover"):
        proc, _ = runbook(name, TIGHT_BUDGET)
        assert proc.returncode != 0
        text = flat(proc.stdout + proc.stderr)
        refusal = re.search(r"(Failover|Failover drill) refused, nothing changed\. dr_restore_point: .{0,800}", text)
        assert refusal, text[-3000:]
        assert "replicated automated backups (latest restorable time)" in refusal.group(0)
        assert "over the RPO budget of 2 s" in refusal.group(0)
        if name == "failover":
            assert "-e failover_max_lag_override=true" in refusal.group(0)
        assert mutating_calls(estate) == []
    assert "shop-db-dr" not in dr_instances(estate)


@pytest.mark.long
def test_the_failover_with_the_override_restores_the_stale_point_and_the_failback_gives_the_manual_way(estate, runbook):
    proc, report = runbook("failover", dict(TIGHT_BUDGET, failover_max_lag_override=True))
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert report["outcome"] == "failed_over"
    assert report["rpo"]["estimated_seconds"] >= 4.5 and report["rpo"]["within_budget"] is False
    assert report["rpo"]["restore_point"]["overridden"] is True
    assert any(c.startswith("RDS shop-db-dr restored in us-west-2 from replicated automated backups") for c in report["changes"])
    assert "shop-db-dr" in dr_instances(estate)
    proc, _ = runbook("failback")
    assert proc.returncode != 0
    text = flat(proc.stdout + proc.stderr)
    assert "Failback refused, nothing changed. cloudops_rds declares restore-based DR" in text
    assert "The manual way: create a cross-region read replica of the restored DR instance" in text
