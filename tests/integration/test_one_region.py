# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A one-region estate end to end (docs/one-region.md): a private sandbox seeded from inventories/sandbox-one-region
(one region, one cluster, one ALB, one RDS instance, no replica, a simple Route 53 record) on which status, deploy +
rollback of a service, backup (no cross-region copy) and the restore test pass, and failover, the failover drill and
failback are refused before any change, naming the DR side that is missing. What each test checks is read back from
the sandbox (AWS APIs, Helm), not only from the runbooks' reports."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import BIN, REPO, ansible_env, clean_env, flat, ok, own_sandbox, sandbox_cli, sandbox_client

INVENTORY = "inventories/sandbox-one-region"
REGION, OTHER_REGION = "us-east-1", "us-west-2"
REPORT_KEYS = {"status": "status_report_path", "deploy": "deploy_report_path", "rollback": "rollback_report_path",
               "backup": "backup_report_path", "backup_restore": "restore_report_path", "failover": "failover_report_path",
               "failover_drill": "drill_report_path", "failback": "failback_report_path"}


@pytest.fixture(scope="module")
def one_region(tmp_path_factory):
    """A one-region sandbox of this file's own (free ports, own state dir), stopped at the end."""
    with own_sandbox(tmp_path_factory.mktemp("sandbox-one-region"), "--inventory", INVENTORY) as sb:
        yield sb


@pytest.fixture
def runbook(one_region, collections_path, tmp_path):
    """Run playbooks/<name>.yml on the one-region inventory with a JSON report; returns (process, report, changed)."""
    counter = {"n": 0}

    def run(name, extra_vars=None):
        counter["n"] += 1
        report = tmp_path / ("report-%d.json" % counter["n"])
        variables = dict(extra_vars or {}, **{REPORT_KEYS[name]: str(report)})
        proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/%s.yml" % name, "-i", INVENTORY, "-e", json.dumps(variables)],
                              cwd=REPO, env=ansible_env(collections_path, one_region["env"]), capture_output=True, text=True,
                              timeout=600)
        recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
        return proc, (json.loads(report.read_text()) if report.exists() else None), (int(recap.group(1)) if recap else None)

    return run


def client(sandbox, service, region=REGION):
    return sandbox_client(sandbox, service, region)


def listener_weights(sandbox, lb_name="shop-primary-alb"):
    elb = client(sandbox, "elbv2")
    lb = elb.describe_load_balancers(Names=[lb_name])["LoadBalancers"][0]
    forward = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"][0]["DefaultActions"][0]["ForwardConfig"]
    names = dict((g["TargetGroupArn"], g["TargetGroupName"]) for g in elb.describe_target_groups(
        TargetGroupArns=[f["TargetGroupArn"] for f in forward["TargetGroups"]])["TargetGroups"])
    return dict((names[f["TargetGroupArn"]], f["Weight"]) for f in forward["TargetGroups"])


def helm_revision(sandbox, release, namespace="shop"):
    out = subprocess.run([str(sandbox["state"] / "bin" / "helm"), "history", release, "-n", namespace, "--kubeconfig",
                          sandbox["env"]["KUBECONFIG_PRIMARY"], "-o", "json"], env=dict(clean_env(), **sandbox["env"]),
                         capture_output=True, text=True, check=True, timeout=60)
    last = json.loads(out.stdout)[-1]
    return last["revision"], last["status"]


def test_the_sandbox_seeds_one_region_and_nothing_of_a_dr_side(one_region):
    sb = one_region
    assert "KUBECONFIG_DR" not in sb["env"] and "k8s dr" not in sb["up"]
    info = json.loads((sb["state"] / "sandbox.json").read_text())
    assert list(info["k8s"]) == ["primary"] and "replica" not in info["aws"]["rds"]
    rds = client(sb, "rds").describe_db_instances()["DBInstances"]
    assert [(d["DBInstanceIdentifier"], d.get("ReadReplicaDBInstanceIdentifiers")) for d in rds] == [("shop-db", [])]
    assert client(sb, "eks").list_clusters()["clusters"] == ["shop-primary"]
    # Nothing in the region a two-region estate uses for DR.
    assert client(sb, "rds", OTHER_REGION).describe_db_instances()["DBInstances"] == []
    assert client(sb, "eks", OTHER_REGION).list_clusters()["clusters"] == []
    assert client(sb, "elbv2", OTHER_REGION).describe_load_balancers()["LoadBalancers"] == []
    # The application's record is a simple one to the ALB: no failover pair, no health check.
    r53 = client(sb, "route53")
    zone = r53.list_hosted_zones()["HostedZones"][0]["Id"]
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"] if r["Type"] == "CNAME"]
    assert [(r["Name"], "Failover" in r, r["ResourceRecords"][0]["Value"].startswith("shop-primary-alb")) for r in records] == [
        ("app.shop.sandbox.internal.", False, True)]
    assert r53.list_health_checks()["HealthChecks"] == []
    # The replica knob has nothing to act on and says so.
    knob = sandbox_cli(sb["state"], "knob", "replica-lag", "--seconds", "30", check=False)
    assert knob.returncode != 0 and "no DR replica" in knob.stderr + knob.stdout
    # A reset re-seeds the same one-region estate.
    sandbox_cli(sb["state"], "reset")
    assert [d["DBInstanceIdentifier"] for d in client(sb, "rds").describe_db_instances()["DBInstances"]] == ["shop-db"]
    assert client(sb, "eks").list_clusters()["clusters"] == ["shop-primary"]
    assert client(sb, "rds", OTHER_REGION).describe_db_instances()["DBInstances"] == []


def test_status_reports_the_one_region(one_region, runbook):
    proc, report, _ = runbook("status")
    ok(proc)
    assert (list(report["eks"]), list(report["rds"]), list(report["alb"]), list(report["helm"])) == (
        ["primary"], ["primary"], ["primary"], ["primary"])
    assert report["rds"]["primary"]["status"] == "available" and report["eks"]["primary"]["status"] == "ACTIVE"
    assert (report["dns"]["serving"], report["dns"]["records"]) == ("PRIMARY", [])
    assert [r["value"].split(".")[0] for r in report["dns"]["simple_records"]] == ["shop-primary-alb-1"]
    assert "DNS  app.shop.sandbox.internal -> simple record, no failover pair (one region)" in proc.stdout


def test_deploy_and_rollback_of_a_service(one_region, runbook):
    sb = one_region
    before = listener_weights(sb)
    green_before = helm_revision(sb, "shop-green")
    proc, report, _ = runbook("deploy", {"deploy_version": "1.1.0", "deploy_service": "web"})
    ok(proc)
    [web] = report["services"]
    assert (report["outcome"], web["outcome"], [s["side"] for s in web["sides"]]) == ("deployed", "deployed", ["primary"])
    assert listener_weights(sb) == {"shop-primary-blue": 0, "shop-primary-green": 100}
    assert helm_revision(sb, "shop-green") == (green_before[0] + 1, "deployed")

    proc, report, _ = runbook("rollback", {"rollback_service": "web"})
    ok(proc)
    assert report["outcome"] == "rolled_back" and [e["side"] for e in report["services"]] == ["primary"]
    assert listener_weights(sb) == before
    assert helm_revision(sb, "shop-green") == (green_before[0] + 2, "deployed")


def test_a_dr_side_asked_of_a_deploy_is_refused_naming_the_sides_there_are(one_region, runbook):
    proc, report, _ = runbook("deploy", {"deploy_version": "1.2.0", "deploy_sides": ["dr"]})
    assert proc.returncode != 0 and report is None
    assert "Unknown side dr (deploy_sides): cloudops_eks declares primary." in flat(proc.stdout)


def test_backup_takes_a_snapshot_in_the_region_and_copies_nowhere(one_region, runbook):
    sb = one_region
    proc, report, _ = runbook("backup")
    ok(proc)
    assert (report["outcome"], report["copy"]) == ("backed_up", None)
    assert report["copy_skipped"] == "one region: no cloudops_regions.dr, no cloudops_backup.copy.region"
    assert [r["side"] for r in report["retention"]] == ["primary"]
    snapshots = client(sb, "rds").describe_db_snapshots(SnapshotType="manual")["DBSnapshots"]
    assert report["snapshot"]["id"] in [s["DBSnapshotIdentifier"] for s in snapshots]
    assert client(sb, "rds", OTHER_REGION).describe_db_snapshots(SnapshotType="manual")["DBSnapshots"] == []


def test_the_restore_test_restores_verifies_and_cleans_up(one_region, runbook):
    sb = one_region
    proc, report, _ = runbook("backup_restore")
    ok(proc)
    assert report["outcome"] == "verified", flat(proc.stdout)[-3000:]
    assert report["verification"]["passed"] is True and len(report["verification"]["checks"]) == 4
    assert (report["source"]["region"], report["instance"]["region"], report["cleanup"]["deleted"]) == (REGION, REGION, True)
    assert [d["DBInstanceIdentifier"] for d in client(sb, "rds").describe_db_instances()["DBInstances"]] == ["shop-db"]


@pytest.mark.parametrize("playbook,title", [("failover", "Failover"), ("failover_drill", "Failover drill"), ("failback", "Failback")])
def test_what_needs_a_dr_side_is_refused_before_any_change_naming_what_is_missing(one_region, runbook, playbook, title):
    sb = one_region
    calls_before = len(json.loads(sandbox_cli(sb["state"], "api-calls", "--json").stdout)["calls"])
    proc, _, _ = runbook(playbook, {"confirm_failover": "sandbox-one-region", "confirm_drill": "sandbox-one-region",
                                    "confirm_failback": "sandbox-one-region"})
    assert proc.returncode != 0
    text = flat(proc.stdout + proc.stderr)
    assert ("%s refused, nothing changed. No DR side declared: cloudops_eks.dr, cloudops_rds.replica, cloudops_alb.dr, "
            "cloudops_failover (its dns: the Route 53 failover pair) are missing." % title) in text
    assert "docs/one-region.md" in text
    # Refused before the lock and any AWS call: the sandbox saw none.
    assert len(json.loads(sandbox_cli(sb["state"], "api-calls", "--json").stdout)["calls"]) == calls_before
