# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/status.yml end to end: real ansible-playbook, real modules, against a private sandbox."""

from __future__ import annotations

from conftest import flat, ok, sandbox_cli




def test_status_reports_the_seeded_estate(sandbox, run_playbook):
    proc, report = run_playbook(env=sandbox["env"])
    ok(proc)
    assert report["environment"] == "sandbox" and report["collected_at"]

    eks = report["eks"]
    assert eks["primary"]["status"] == "ACTIVE"
    assert [(g["name"], g["min_size"], g["desired_size"], g["max_size"]) for g in eks["primary"]["nodegroups"]] == [("shop-primary-workers", 3, 3, 6)]
    assert [(g["name"], g["desired_size"]) for g in eks["dr"]["nodegroups"]] == [("shop-dr-workers", 1)]

    rds = report["rds"]
    assert (rds["primary"]["role"], rds["primary"]["backup_retention_period"]) == ("primary", 7)
    assert (rds["replica"]["role"], rds["replica"]["region"], rds["replica"]["lag_verdict"]) == ("replica", "us-west-2", "ok")
    assert rds["replica"]["replica_lag_seconds"] <= 60

    for side, prefix in (("primary", "shop-primary"), ("dr", "shop-dr")):
        alb = report["alb"][side]
        assert (alb["active_colour"], alb["idle_colour"], alb["weights"]) == ("blue", "green", {"blue": 100})
        assert report["alb"][side]["target_groups"][prefix + "-green"]["healthy_count"] == 2

    dns = report["dns"]
    assert (dns["serving"], dns["primary_healthy"]) == ("PRIMARY", True)
    assert [(r["failover"], r["ttl"], r["request_interval"], r["failure_threshold"]) for r in dns["records"]] == [
        ("PRIMARY", 60, 10, 3), ("SECONDARY", 60, 10, 3)]

    for side in ("primary", "dr"):
        releases = report["helm"][side]["releases"]
        assert sorted((r["name"], r["colour"], r["status"]) for r in releases) == [
            ("shop-blue", "blue", "deployed"), ("shop-green", "green", "deployed")]

    # The table is printed for the operator.
    for title in ("STATUS of sandbox", "EKS", "RDS", "ALB", "DNS  app.shop.sandbox.internal -> serving PRIMARY", "Helm"):
        assert title in proc.stdout


def test_report_is_deterministic_apart_from_collected_at(sandbox, run_playbook):
    first = run_playbook(env=sandbox["env"])
    second = run_playbook(env=sandbox["env"])
    ok(first[0])
    ok(second[0])
    strip = lambda report: dict((k, v) for k, v in report.items() if k != "collected_at")  # noqa: E731
    assert strip(first[1]) == strip(second[1])


def test_replica_lag_over_budget(fresh_sandbox, run_playbook):
    sandbox_cli(fresh_sandbox["state"], "knob", "replica-lag", "--seconds", "300")
    proc, report = run_playbook(env=fresh_sandbox["env"])
    ok(proc)
    replica = report["rds"]["replica"]
    assert (replica["replica_lag_seconds"], replica["rpo_budget_seconds"], replica["lag_verdict"]) == (300.0, 60, "over")


def test_unhealthy_green_target_group(fresh_sandbox, run_playbook):
    sandbox_cli(fresh_sandbox["state"], "knob", "target-health", "--target-group", "shop-primary-green", "--state", "unhealthy")
    proc, report = run_playbook(env=fresh_sandbox["env"])
    ok(proc)
    groups = report["alb"]["primary"]["target_groups"]
    assert (groups["shop-primary-green"]["healthy_count"], groups["shop-primary-green"]["unhealthy_count"]) == (0, 2)
    assert groups["shop-primary-green"]["healthy"] is False
    assert groups["shop-primary-blue"]["healthy_count"] == 2
    assert report["alb"]["primary"]["active_colour"] == "blue"


def test_inventory_without_estate_names_the_missing_variables(run_playbook, tmp_path):
    inventory = tmp_path / "empty-inventory.yml"
    inventory.write_text("all:\n  hosts:\n    localhost:\n      ansible_connection: local\n")
    proc, report = run_playbook(inventory=inventory)
    assert proc.returncode != 0 and report is None
    assert ("Missing estate variables: cloudops_environment, cloudops_eks, cloudops_rds, cloudops_alb, "
            "cloudops_dns, cloudops_helm, cloudops_budgets") in flat(proc.stdout)
    assert "-i inventories/sandbox" in flat(proc.stdout)


def test_sandbox_inventory_refuses_to_run_unsourced(run_playbook):
    proc, report = run_playbook()  # no sandbox env: AWS_ENDPOINT_URL unset
    assert proc.returncode != 0 and report is None
    assert "sandbox is not sourced: run `make sandbox && source .sandbox/env`" in flat(proc.stdout)
