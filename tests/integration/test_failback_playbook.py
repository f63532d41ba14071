# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/failback.yml end to end on a private sandbox: a real failover, rows written on DR while production runs
there, then the failback - checked by reading the sandbox back (RDS, Route 53, PostgreSQL, the failover record) and
by comparing the status runbook's report after with the one before the failover."""

from __future__ import annotations

import json

import psycopg
import pytest

from conftest import BIN, comparable, flat, ok, sandbox_fixtures
from test_failover_playbooks import DB, DR, PASSWORD, PRIMARY, USER, Runbooks, failed

# A failback rebuilds both databases: the primary's endpoint (its port in the sandbox) changes too.
VOLATILE = (("collected_at",), ("rds", "*", "endpoint"), ("rds", "*", "replica_lag_seconds"))


class Failback(Runbooks):
    def command(self, playbook, inventory="inventories/sandbox", extra_vars=None, check=False):
        self.n += 1
        report = self.tmp_path / ("report-%d.json" % self.n)
        status = self.tmp_path / ("status-%d.json" % self.n)
        key = {"failback": "failback_report_path", "drill": "drill_report_path"}.get(
            next((k for k in ("failback", "drill") if k in playbook), ""), "failover_report_path")
        variables = dict({"cloudops_run_dir_root": "", key: str(report), "status_report_path": str(status)}, **(extra_vars or {}))
        args = [str(BIN / "ansible-playbook"), playbook, "-i", inventory, "-e", json.dumps(variables)]
        return args + (["--check"] if check else []), report, status

    def rows_on_dr(self, values):
        """Rows written on DR while production runs there (the failback must not lose them)."""
        port = self.instance("shop-db-dr", DR)["Endpoint"]["Port"]
        with psycopg.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname=DB, autocommit=True,
                             connect_timeout=10) as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS failback_probe (v text)")
            for value in values:
                conn.execute("INSERT INTO failback_probe VALUES (%s)", (value,))

    def probe(self, instance_id, region):
        return sorted(r[0] for r in self.sql(instance_id, region, "SELECT v FROM failback_probe"))


rb, ro = sandbox_fixtures(Failback, "rb", "ro")


def test_refused_without_a_failover(ro):
    proc, report, _ = ro.run("playbooks/failback.yml")
    failed(proc)
    assert "Failback refused, nothing changed: no failover record" in flat(proc.stdout)
    assert ro.failover_pair() == {"primary": "PRIMARY", "dr": "SECONDARY"}


@pytest.mark.long  # about 85 s; make integration-long (make test keeps the failover -> failback and its refusals)
def test_interrupted_failback_resumes(rb):
    before = rb.status()
    ok(rb.run("playbooks/failover.yml")[0])
    rb.rows_on_dr(["before-the-kill"])
    rb.run_until("playbooks/failback.yml", "Failback | 4. lag 0 proven by a marker")
    record = rb.record("cloudops-failover")
    assert record["outcome"] == "failed_over" and record["failback"]["phase"] == "switchover"

    proc, report, _ = rb.run("playbooks/failback.yml")
    ok(proc)
    assert report["resumed"] is True and report["outcome"] == "failed_back"
    assert "replica" not in report["failback"]["steps_run"]  # never rebuilt once the switchover started
    assert rb.probe("shop-db", PRIMARY) == ["before-the-kill"]
    assert comparable(rb.status(), VOLATILE) == comparable(before, VOLATILE)


@pytest.mark.long  # make test's budget (75 s); the refusal's logic is unit-tested (failback plan)
def test_a_replica_that_does_not_catch_up_is_refused_before_the_writes_stop(rb):
    ok(rb.run("playbooks/failover.yml")[0])
    rb.run_until("playbooks/failback.yml", "Failback | 2. the replica has caught up")  # the replica exists, not proven yet
    rb.knob("replica-lag", "--pause", "--instance", "shop-db")
    settings = {"old_primary": "delete", "catchup_timeout": 3}
    proc, report, _ = rb.run("playbooks/failback.yml", extra_vars={"cloudops_failback": settings})
    failed(proc)
    text = flat(proc.stdout)
    assert "Failback refused before the switchover, production untouched on shop-db-dr" in text and "lag at least" in text
    assert report["outcome"] == "failed"
    # nothing stopped on DR: still serving, the record resumable from its start
    assert rb.dr_replicas() == 2 and rb.failover_pair() == {"primary": "SECONDARY", "dr": "PRIMARY"}
    assert rb.record("cloudops-failover")["failback"]["phase"] == "started"
    rb.knob("replica-lag", "--resume", "--instance", "shop-db")
    proc, report, _ = rb.run("playbooks/failback.yml")
    ok(proc)
    assert report["outcome"] == "failed_back" and report["rpo"]["rows"] == 0


def test_production_on_dr_takes_writes_and_a_deploy_then_the_failback_loses_nothing(rb):
    """A real failover, then production runs on DR for a while: rows are written there, a drill is refused, a deploy
    treats DR as production (DR's shop-blue at the production 2 replicas, its HPA raised to hold them: the new colour
    on DR gets the production values, replicaCount 2, not the standby 1, and the HPA's minimum stays). The failback,
    predicted first by --check, brings production home: no row written on DR is lost, the old primary is kept under a
    final snapshot, DR is warm standby again. (One failover and one failback for both stories: `make test`'s budget.)"""
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    before = rb.status()
    # The primary's HPAs (min 1, production's load needing 2 pods): the failback scales the primary up without raising
    # their minimum for good.
    primary_api = k8s_config.new_client_from_config(config_file=rb.sandbox["env"]["KUBECONFIG_PRIMARY"])
    primary_hpas = k8s_client.AutoscalingV2Api(primary_api)
    for colour in ("blue", "green"):
        primary_hpas.create_namespaced_horizontal_pod_autoscaler("shop", {
            "metadata": {"name": "shop-%s" % colour, "annotations": {"sandbox.cloudops.io/load-replicas": "2"}},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop-%s" % colour}, "minReplicas": 1,
                     "maxReplicas": 6}})
    api = rb.dr_api()
    try:
        hpas = k8s_client.AutoscalingV2Api(api)
        hpas.create_namespaced_horizontal_pod_autoscaler("shop", {
            "metadata": {"name": "shop-blue"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop-blue"}, "minReplicas": 1, "maxReplicas": 6}})
        ok(rb.run("playbooks/failover.yml")[0])
        assert rb.dr_replicas("shop-blue") == 2 and hpas.read_namespaced_horizontal_pod_autoscaler("shop-blue", "shop").spec.min_replicas == 2
        rb.rows_on_dr(["written-on-dr-1", "written-on-dr-2"])

        # While failed over, a drill is refused (it would fail production back without its writes).
        proc, _, _ = rb.run("playbooks/failover_drill.yml")
        failed(proc)
        assert "Failover drill refused, nothing changed" in flat(proc.stdout) and "failback.yml" in flat(proc.stdout)

        report_path = rb.tmp_path / "deploy.json"
        proc, _, _ = rb.run("playbooks/deploy.yml", extra_vars={"deploy_version": "1.1.0", "deploy_service": "web",
                                                                 "deploy_report_path": str(report_path)})
        ok(proc)
        deploy = json.loads(report_path.read_text())
        assert deploy["outcome"] == "deployed" and deploy["production"]["side"] == "dr"
        assert "DR is production: production runs on DR since" in flat(proc.stdout)
        # The new colour on DR serves at the production size; the old one keeps the failover's size and HPA minimum.
        assert rb.dr_replicas("shop-green") == 2
        assert rb.dr_replicas("shop-blue") == 2 and hpas.read_namespaced_horizontal_pod_autoscaler("shop-blue", "shop").spec.min_replicas == 2
    finally:
        api.close()

    # --check predicts every step and changes nothing.
    proc, report, _ = rb.run("playbooks/failback.yml", check=True)
    ok(proc)
    assert report["outcome"] == "would_fail_back"
    assert [s["step"] for s in report["steps"] if s["phase"] == "failback"][:4] == ["replica", "catchup", "writes_stop", "switchover"]
    assert rb.record("cloudops-failover")["outcome"] == "failed_over"
    assert rb.failover_pair() == {"primary": "SECONDARY", "dr": "PRIMARY"}

    proc, report, _ = rb.run("playbooks/failback.yml", extra_vars={"failback_old_primary": "snapshot"})
    ok(proc)
    assert report["outcome"] == "failed_back", report
    # the old primary was kept under a final snapshot
    snapshot = report["failback"]["old_primary_snapshot"]
    assert snapshot.startswith("shop-db-final-failback-sandbox-")
    assert rb.aws("rds", PRIMARY).describe_db_snapshots(DBSnapshotIdentifier=snapshot)["DBSnapshots"][0]["DBInstanceIdentifier"] == "shop-db"
    assert report["rpo"]["rows"] == 0 and report["rpo"]["within_budget"] is True
    assert report["rto"]["seconds"] is not None and report["rto"]["seconds"] > 0
    # No row written on DR is lost: the new primary and the new DR replica both hold them.
    assert rb.probe("shop-db", PRIMARY) == ["written-on-dr-1", "written-on-dr-2"]
    assert rb.instance("shop-db-dr", DR).get("ReadReplicaSourceDBInstanceIdentifier")
    assert rb.failover_pair() == {"primary": "PRIMARY", "dr": "SECONDARY"}
    assert rb.record("cloudops-failover")["outcome"] == "failed_back"
    after = rb.status()
    assert after["production"]["side"] == "primary"
    # DR is warm standby again in the colour its load balancer now forwards to (green, the deploy's), and blue as the
    # failover found it: the writes stopped in both colours, then each came back.
    assert after["alb"]["dr"]["active_colour"] == "green"
    api = rb.dr_api()
    try:
        hpa = k8s_client.AutoscalingV2Api(api).read_namespaced_horizontal_pod_autoscaler("shop-blue", "shop")
        assert rb.dr_replicas("shop-green") == 1 and rb.dr_replicas("shop-blue") == 1
        assert (hpa.spec.min_replicas, hpa.spec.max_replicas) == (1, 6)
        active = after["alb"]["primary"]["active_colour"]
        assert k8s_client.AppsV1Api(primary_api).read_namespaced_deployment("shop-%s" % active, "shop").spec.replicas == 2
        for colour in ("blue", "green"):
            bounds = primary_hpas.read_namespaced_horizontal_pod_autoscaler("shop-%s" % colour, "shop").spec
            assert (bounds.min_replicas, bounds.max_replicas) == (1, 6), colour
    finally:
        api.close()
        primary_api.close()
    # The estate is as before the failover but for what the deploy changed on purpose (the colours, the releases).
    deployed = VOLATILE + (("alb",), ("helm",))
    assert comparable(after, deployed) == comparable(before, deployed)

    # Back: a second failback is refused, a drill may run again (its progress check passes; not run here).
    proc, _, _ = rb.run("playbooks/failback.yml")
    failed(proc)
    assert "already failed back" in flat(proc.stdout)
