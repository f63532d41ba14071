# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbooks on an Aurora global database (issue 19 item 2), on one private sandbox of inventories/sandbox-aurora:
the status shows the global cluster; the failover drill switches the writer to the DR cluster and back with 0 markers
lost and the estate equal afterwards; the failover is refused while the RPO lag is over the budget; the unplanned
failover (FailoverGlobalCluster, AllowDataLoss) with the replication paused loses exactly the markers written meanwhile
(measured by data on the new writer), then the failback switches back. What each test checks is read back from the
sandbox (RDS's global cluster, Route 53, the DR Secret), not only from the reports. The tests run in file order and
share the sandbox: each leaves the estate as it found it."""

from __future__ import annotations

import json
import re
import subprocess

import pytest

from conftest import BIN, REPO, ansible_env, flat, own_sandbox, run_module, sandbox_cli, sandbox_client

INVENTORY = "inventories/sandbox-aurora"
GLOBAL = "shop-global"
PRIMARY, SECONDARY = ("us-east-1", "shop-aurora", "shop-aurora-1"), ("us-west-2", "shop-aurora-dr", "shop-aurora-dr-1")
REPORT_KEYS = {"status": "status_report_path", "failover": "failover_report_path", "failover_drill": "drill_report_path",
               "failback": "failback_report_path"}
MARKERS = {"login_db": "shop", "ssl_mode": "disable", "login_secret_id": "shop/db/master", "login_host": "127.0.0.1",
           "table": "cloudops_drill_markers"}


@pytest.fixture(scope="module")
def aurora(tmp_path_factory):
    """An Aurora sandbox of this file's own (free ports, own state dir), stopped at the end."""
    with own_sandbox(tmp_path_factory.mktemp("sandbox-aurora"), "--inventory", INVENTORY) as sb:
        yield sb


@pytest.fixture
def runbook(aurora, collections_path, tmp_path):
    """Run playbooks/<name>.yml on the Aurora inventory with a JSON report; returns (process, report)."""
    counter = {"n": 0}

    def run(name, extra_vars=None):
        counter["n"] += 1
        report = tmp_path / ("report-%d.json" % counter["n"])
        variables = dict(extra_vars or {}, **{REPORT_KEYS[name]: str(report)})
        proc = subprocess.run([str(BIN / "ansible-playbook"), "playbooks/%s.yml" % name, "-i", INVENTORY, "-e", json.dumps(variables)],
                              cwd=REPO, env=ansible_env(collections_path, aurora["env"]), capture_output=True, text=True, timeout=600)
        return proc, (json.loads(report.read_text()) if report.exists() else None)

    return run


def global_lag(aurora, **knob):
    """sandbox.knobs.global_lag on this file's sandbox (seconds=..., paused=True|False)."""
    code = "import json, sys; from sandbox import knobs; print(json.dumps(knobs.global_lag(knobs.Sandbox(sys.argv[1]), **json.loads(sys.argv[2]))))"
    out = subprocess.run([str(BIN / "python"), "-c", code, str(aurora["state"]), json.dumps(knob)], cwd=REPO, capture_output=True, text=True,
                         timeout=60, check=True)
    return json.loads(out.stdout)


def writer(aurora):
    """The cluster id of the global database's writer, and each member's synchronization status, read from RDS."""
    found = sandbox_client(aurora, "rds", SECONDARY[0]).describe_global_clusters(GlobalClusterIdentifier=GLOBAL)["GlobalClusters"][0]
    members = dict((m["DBClusterArn"].rsplit(":", 1)[-1], m) for m in found["GlobalClusterMembers"])
    return next(name for name, m in members.items() if m["IsWriter"]), dict((n, m.get("SynchronizationStatus")) for n, m in members.items())


def dns_primary(aurora):
    route53 = sandbox_client(aurora, "route53", PRIMARY[0])
    zone = route53.list_hosted_zones_by_name(DNSName="shop.sandbox.internal")["HostedZones"][0]["Id"]
    records = route53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
    return next(r["SetIdentifier"] for r in records if r.get("Failover") == "PRIMARY")


def ok(proc):
    assert proc.returncode == 0, "ansible-playbook failed:\n%s\n%s" % (proc.stdout[-6000:], proc.stderr[-3000:])


def test_the_drill_switches_over_and_back_losing_no_marker(aurora, runbook):
    proc, report = runbook("failover_drill")
    ok(proc)
    assert report["outcome"] == "passed", report
    # the status before showed the global database as the status runbook does
    rds = report["status_before"]["rds"]
    assert rds["global_cluster"]["writer"] == PRIMARY[1] and rds["secondary"]["role"] == "secondary"
    assert rds["secondary"]["synchronization_status"] == "connected" and rds["secondary"]["lag_verdict"] == "ok"
    # 0 markers lost: a planned switchover, proven by data on the DR cluster's writer
    assert report["rpo"]["markers_written"] == 8 and report["rpo"]["rows"] == 0 and report["rpo"]["missing_seqs"] == []
    steps = [(s["phase"], s["step"], s["outcome"]) for s in report["steps"]]
    assert ("failover", "promote", "changed") in steps and ("failback", "writer", "changed") in steps
    assert not any(step == "replica" for _, step, _ in steps)  # nothing rebuilt: the DR cluster stays the secondary
    assert report["failback"]["global_switch_back"]["writer_after"] == PRIMARY[1]
    assert report["failback"]["markers_purged"] == 8
    # the estate equal afterwards, read back: the primary cluster writes, the DR one is a connected secondary, DNS primary
    assert report["status"]["compared"] and report["status"]["equal"], report["status"]["differences"]
    assert writer(aurora) == (PRIMARY[1], {PRIMARY[1]: None, SECONDARY[1]: "connected"})
    assert dns_primary(aurora) == "primary"


def test_the_failover_is_refused_while_the_rpo_lag_is_over_the_budget(aurora, runbook):
    global_lag(aurora, seconds=120)
    try:
        proc, dummy = runbook("failover")
    finally:
        global_lag(aurora, seconds=0.5)
    assert proc.returncode != 0
    text = flat(proc.stdout)
    assert "Failover refused, nothing changed. global_rpo_lag: RPO lag (AuroraGlobalDBRPOLag) 120 s is over the RPO budget of 60 s" in text
    assert "-e failover_max_lag_override=true" in text
    assert writer(aurora)[0] == PRIMARY[1] and dns_primary(aurora) == "primary"


@pytest.mark.long
def test_an_unplanned_failover_loses_what_was_not_replicated_then_the_failback_returns(aurora, runbook, collections_path):
    # the link paused: what the primary writes from here is never received by the DR cluster
    global_lag(aurora, paused=True)
    written = run_module(collections_path, aurora["env"], "rds_drill_markers",
                         dict(MARKERS, instance_id=PRIMARY[2], region=PRIMARY[0], run_id="aurora-unplanned", action="write", count=5),
                         inventory=INVENTORY)
    assert written.get("changed") and len(written["markers"]) == 5, written
    proc, report = runbook("failover", {"failover_max_lag_override": True})
    ok(proc)
    assert report["outcome"] == "failed_over"
    assert report["rpo"]["definition"].startswith("estimated as the secondary cluster's RPO lag (CloudWatch AuroraGlobalDBRPOLag)")
    assert report["rpo"]["estimated_seconds"] is not None
    assert any(change.startswith("Aurora global database shop-global: writer shop-aurora -> shop-aurora-dr (FailoverGlobalCluster")
               for change in report["changes"])
    assert writer(aurora)[0] == SECONDARY[1] and dns_primary(aurora) == "dr"
    # the loss measured by data: none of the markers written while the link was paused is on the new writer
    read = run_module(collections_path, aurora["env"], "rds_drill_markers",
                      dict(MARKERS, instance_id=SECONDARY[2], region=SECONDARY[0], run_id="aurora-unplanned", action="read",
                           written=written["markers"]), inventory=INVENTORY)
    assert (read["written_count"], read["missing_count"], read["in_recovery"]) == (5, 5, False), read
    # the old primary rejoined as a secondary of the new writer; its link resumed, the failback switches back
    global_lag(aurora, paused=False, seconds=0.5)
    proc, report = runbook("failback")
    ok(proc)
    assert report["outcome"] == "failed_back", report
    assert report["rpo"]["basis"] == "global_switchover" and report["rpo"]["seconds"] == 0.0
    steps = [s["step"] for s in report["steps"]]
    assert "switchover" in steps and not set(steps) & {"replica", "catchup", "dr_replica"}
    assert writer(aurora) == (PRIMARY[1], {PRIMARY[1]: None, SECONDARY[1]: "connected"})
    assert dns_primary(aurora) == "primary"
    assert re.search(r"Production runs in us-east-1 again \(cluster shop-aurora writes\)", report["next_steps"][0])
