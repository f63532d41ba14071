# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover modules on the sandbox: rds_promote (refused above the RPO budget with nothing changed; promoted, the
database really takes writes), route53_failover_switch (DR serves after INSYNC, the failback restores the records
exactly), eks_nodegroup_scale and k8s_workload_scale (up, down, idempotent, the never-ready timeout), rds_cluster_failover
(moto's Aurora failover) and dr_readiness_info (all pass on the seeded estate; the lag finding fails with the knob).
The coarse steps too: eks_capacity (node group and workloads in one call, up and down), route53_change_wait after a
switch sent without waiting, db_cutover (cutover, refusals, rollback) and runbook_record (write and read in one call).

What the modules did is read back with boto3, psycopg and the kubernetes client, not taken from their own results.
Tests that change the estate use fresh_sandbox (reset afterwards); rds_global_cluster_failover is not emulated by moto
and is tested with botocore's Stubber in tests/unit/plugins/modules/test_rds_global_cluster_failover.py.
"""

from __future__ import annotations

import json
import subprocess
import time
import uuid

import psycopg
import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from conftest import BIN, REPO, ansible_env, flat, ok, run_module, sandbox_cli, sandbox_client, sandbox_fixtures

PRIMARY, DR = "us-east-1", "us-west-2"
INVENTORY = "inventories/sandbox"
USER, PASSWORD, DB = "shop_admin", "sandbox-only-password", "shop"  # what the seeded secret shop/db/master holds
ZONE, RECORD = "shop.sandbox.internal", "app.shop.sandbox.internal"
DNS = {"zone_name": ZONE, "record_name": RECORD}


class Runner(object):
    """Runs single modules (ad hoc) and the test playbooks on the sandbox."""

    def __init__(self, sandbox, collections_path, tmp_path):
        self.sandbox, self.collections_path, self.tmp_path = sandbox, collections_path, tmp_path

    def env(self, **extra):
        return ansible_env(self.collections_path, self.sandbox["env"], **extra)

    def module(self, name, check=False, diff=False, **args):
        """Run cloudops.runbooks.<name> ad hoc with args; returns its result (failed or not)."""
        return run_module(self.collections_path, self.sandbox["env"], name, args, check, diff, INVENTORY)

    def playbook(self, name, prefix, check=False, diff=False, **variables):
        """Run tests/integration/playbooks/<name>.yml; returns (process, the results it saved)."""
        out = self.tmp_path / ("%s-%s.json" % (name, uuid.uuid4().hex[:6]))
        args = [str(BIN / "ansible-playbook"), "tests/integration/playbooks/%s.yml" % name, "-i", INVENTORY,
                "-e", json.dumps(dict(variables, **{"%s_result_path" % prefix: str(out)}))]
        args += (["--check"] if check else []) + (["--diff"] if diff else [])
        proc = subprocess.run(args, cwd=REPO, env=self.env(), capture_output=True, text=True, timeout=300)
        return proc, (json.loads(out.read_text()) if out.exists() else None)

    # -- reading back ------------------------------------------------------------------------------------------
    def aws(self, service, region=PRIMARY):
        return sandbox_client(self.sandbox, service, region)

    def instance(self, instance_id, region):
        return self.aws("rds", region).describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]

    def connect(self, instance_id, region):
        port = self.instance(instance_id, region)["Endpoint"]["Port"]
        return psycopg.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname=DB, autocommit=True,
                               connect_timeout=10)

    def failover_records(self):
        r53 = self.aws("route53")
        zone = r53.list_hosted_zones_by_name(DNSName=ZONE + ".")["HostedZones"][0]["Id"]
        found = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        return sorted((r for r in found if r.get("Failover")), key=lambda r: r["SetIdentifier"])

    def scaling(self):
        return self.aws("eks", DR).describe_nodegroup(clusterName="shop-dr", nodegroupName="shop-dr-workers")["nodegroup"]["scalingConfig"]

    def apps(self):
        return k8s_client.AppsV1Api(k8s_config.new_client_from_config(config_file=self.sandbox["env"]["KUBECONFIG_DR"]))

    def knob(self, *args):
        return json.loads(sandbox_cli(self.sandbox["state"], "knob", *args).stdout)


fo, ro = sandbox_fixtures(Runner, "fo", "ro")


def wait_until(predicate, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))


def max_order(conn):
    return conn.execute("SELECT max(id) FROM orders").fetchone()[0]


# ------------------------------------------------------------------------------------------------------- rds_promote


def test_promotion_is_refused_above_the_rpo_budget_and_nothing_changes(fo):
    fo.knob("replica-lag", "--seconds", "300")
    before = fo.instance("shop-db-dr", DR)

    # --check reports the refusal too: the gate is part of the prediction.
    checked = fo.module("rds_promote", check=True, instance_id="shop-db-dr", region=DR, rpo_budget_seconds=60)
    assert checked["failed"] and checked["changed"] is False
    assert "Refusing to promote shop-db-dr, nothing was changed: replica lag 300 s is over the RPO budget of 60 s" in flat(checked["msg"])
    assert "max_lag_override: true" in flat(checked["msg"])

    proc, saved = fo.playbook("rds_promote", "promote")
    assert proc.returncode == 0, proc.stdout[-3000:]  # the refusal is read from the saved result (ignore_errors)
    refused = saved["promote"]
    assert refused["failed"] and refused["changed"] is False and refused["promoted"] is False
    assert (refused["lag_at_promotion_seconds"], refused["lag_verdict"], refused["rpo_budget_seconds"]) == (300.0, "over", 60)
    assert refused["lag_gate"]["allowed"] is False and refused["started_at"] is None
    assert saved["data"].get("skipped")

    after = fo.instance("shop-db-dr", DR)
    assert after["ReadReplicaSourceDBInstanceIdentifier"] == before["ReadReplicaSourceDBInstanceIdentifier"]
    assert after["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:shop-db")
    assert "arn:aws:rds:us-west-2:123456789012:db:shop-db-dr" in fo.instance("shop-db", PRIMARY)["ReadReplicaDBInstanceIdentifiers"]
    with fo.connect("shop-db-dr", DR) as standby:
        assert standby.execute("SELECT pg_is_in_recovery()").fetchone()[0] is True

    # The explicit override would promote (checked only: the data plane stays a replica).
    overridden = fo.module("rds_promote", check=True, instance_id="shop-db-dr", region=DR, rpo_budget_seconds=60, max_lag_override=True)
    assert not overridden.get("failed") and overridden["changed"] and overridden["promoted"]
    assert overridden["lag_gate"]["overridden"] is True and overridden["lag_verdict"] == "over"
    assert fo.instance("shop-db-dr", DR).get("ReadReplicaSourceDBInstanceIdentifier")


def test_promotion_within_the_budget_detaches_the_replica_and_it_takes_writes(fo):
    with fo.connect("shop-db", PRIMARY) as primary, fo.connect("shop-db-dr", DR) as standby:
        marker = primary.execute("INSERT INTO orders (customer_id, status, total_cents) VALUES (1, 'placed', 4242) "
                                 "RETURNING id").fetchone()[0]
        wait_until(lambda: max_order(standby) == marker, what="the replica to receive the marker order")

    checked = fo.module("rds_promote", check=True, diff=True, instance_id="shop-db-dr", region=DR, rpo_budget_seconds=60)
    assert checked["changed"] and checked["promoted"] and checked["started_at"] is None
    assert checked["diff"]["after"]["role"] == "standalone" and checked["diff"]["before"]["role"] == "replica"
    assert fo.instance("shop-db-dr", DR).get("ReadReplicaSourceDBInstanceIdentifier")  # --check changed nothing

    proc, saved = fo.playbook("rds_promote", "promote")
    ok(proc)
    promoted = saved["promote"]
    assert promoted["changed"] and promoted["promoted"] and not promoted.get("failed")
    assert promoted["lag_verdict"] == "ok" and promoted["lag_at_promotion_seconds"] <= 60
    assert promoted["role_before"] == "replica" and promoted["source"].endswith(":db:shop-db")
    assert promoted["instance"]["role"] == "standalone" and promoted["instance"]["source"] is None
    assert promoted["instance"]["status"] == "available" and promoted["instance"]["backup_retention_period"] == 7
    assert promoted["duration_seconds"] >= 0 and promoted["started_at"] <= promoted["available_at"]
    assert saved["data"]["in_recovery"] is False  # rds_data_info through the inventory's connection settings

    # Detached as RDS shows it, and the database itself accepts writes.
    assert not fo.instance("shop-db-dr", DR).get("ReadReplicaSourceDBInstanceIdentifier")
    assert not fo.instance("shop-db", PRIMARY)["ReadReplicaDBInstanceIdentifiers"]
    with fo.connect("shop-db-dr", DR) as promoted_db:
        assert promoted_db.execute("SELECT pg_is_in_recovery()").fetchone()[0] is False
        assert promoted_db.execute("SELECT count(*) FROM orders WHERE id = %s", (marker,)).fetchone()[0] == 1
        promoted_db.execute("INSERT INTO orders (customer_id, status, total_cents) VALUES (1, 'placed', 1)")

    again = fo.module("rds_promote", instance_id="shop-db-dr", region=DR, rpo_budget_seconds=60)
    assert not again.get("failed") and again["changed"] is False and again["promoted"] is False
    assert again["role_before"] == "standalone" and "nothing to promote" in again["msg"]


# ------------------------------------------------------------------------------------------- route53_failover_switch


def test_dns_switch_to_dr_is_insync_pinned_and_the_failback_restores_the_records_exactly(fo):
    seeded = fo.failover_records()
    assert [(r["SetIdentifier"], r["Failover"]) for r in seeded] == [("dr", "SECONDARY"), ("primary", "PRIMARY")]

    proc, predicted = fo.playbook("route53_failover_switch", "switch", check=True, diff=True)
    ok(proc)
    assert predicted["flip"]["changed"] and predicted["flip"]["serving"] == "dr"
    assert "-        failover: SECONDARY" in proc.stdout and "+        failover: PRIMARY" in proc.stdout
    assert fo.failover_records() == seeded

    proc, flipped = fo.playbook("route53_failover_switch", "switch")
    ok(proc)
    flip = flipped["flip"]
    assert flip["changed"] and flip["mode"] == "failover" and flip["change_status"] == "INSYNC"
    assert flip["insync_seconds"] is not None and flip["started_at"] <= flip["finished_at"]
    assert flip["serving"] == "dr" and flip["changed_set_identifiers"] == ["dr", "primary"]
    assert [(r["set_identifier"], r["failover"]) for r in flip["before"]] == [("dr", "SECONDARY"), ("primary", "PRIMARY")]
    assert [(r["set_identifier"], r["failover"]) for r in flip["after"]] == [("dr", "PRIMARY"), ("primary", "SECONDARY")]
    assert flipped["info"]["failover"] == {"primary": "dr", "secondary": "primary", "primary_healthy": True, "serving": "PRIMARY"}
    now = fo.failover_records()
    assert [(r["SetIdentifier"], r["Failover"]) for r in now] == [("dr", "PRIMARY"), ("primary", "SECONDARY")]
    # Only the role moved: each set identifier keeps its endpoint, TTL and health check.
    assert [dict(r, Failover=None) for r in now] == [dict(r, Failover=None) for r in seeded]

    again = fo.module("route53_failover_switch", target="dr", **DNS)
    assert not again.get("failed") and again["changed"] is False and again["serving"] == "dr" and again["change_id"] is None

    restored = fo.module("route53_failover_switch", records=flip["before"], **DNS)
    assert not restored.get("failed") and restored["changed"] and restored["mode"] == "restore"
    assert restored["change_status"] == "INSYNC" and restored["serving"] == "primary"
    assert fo.failover_records() == seeded
    assert fo.module("route53_failover_switch", records=flip["before"], **DNS)["changed"] is False

    wrong = fo.module("route53_failover_switch", target="secondary", **DNS)
    assert wrong["failed"] and "no failover record with set identifier 'secondary': target must be one of dr, primary" in flat(wrong["msg"])


def test_dns_switch_and_failback_in_one_playbook(fo):
    seeded = fo.failover_records()
    proc, saved = fo.playbook("route53_failover_switch", "switch", switch_failback=True)
    ok(proc)
    assert saved["flip"]["changed"] and saved["failback"]["changed"]
    assert saved["info"]["failover"]["primary"] == "primary" and fo.failover_records() == seeded


# ------------------------------------------------------------------------------------------- eks_nodegroup_scale


def test_nodegroup_scales_up_and_back_idempotently(fo):
    ng = dict(cluster_name="shop-dr", nodegroup_name="shop-dr-workers", region=DR)
    assert fo.scaling() == {"minSize": 1, "desiredSize": 1, "maxSize": 6}

    checked = fo.module("eks_nodegroup_scale", check=True, diff=True, min_size=3, desired_size=3, **ng)
    assert checked["changed"] and checked["after"] == {"min_size": 3, "desired_size": 3, "max_size": 6}
    assert checked["diff"]["before"]["desired_size"] == 1 and fo.scaling()["desiredSize"] == 1

    up = fo.module("eks_nodegroup_scale", min_size=3, desired_size=3, **ng)
    assert not up.get("failed") and up["changed"] and up["status"] == "ACTIVE" and up["update_id"]
    assert up["before"] == {"min_size": 1, "desired_size": 1, "max_size": 6}
    assert up["after"] == {"min_size": 3, "desired_size": 3, "max_size": 6} and up["duration_seconds"] >= 0
    assert fo.scaling() == {"minSize": 3, "desiredSize": 3, "maxSize": 6}
    assert fo.module("eks_nodegroup_scale", min_size=3, desired_size=3, **ng)["changed"] is False

    refused = fo.module("eks_nodegroup_scale", desired_size=10, **ng)
    assert refused["failed"] and ("invalid scaling min_size=3 desired_size=10 max_size=6" in flat(refused["msg"]))
    assert fo.scaling()["desiredSize"] == 3

    down = fo.module("eks_nodegroup_scale", **dict(ng, **up["before"]))
    assert down["changed"] and fo.scaling() == {"minSize": 1, "desiredSize": 1, "maxSize": 6}
    assert fo.module("eks_nodegroup_scale", **dict(ng, **up["before"]))["changed"] is False


# -------------------------------------------------------------------------------------------- k8s_workload_scale


def test_workloads_scale_up_wait_until_ready_and_scale_back(fo):
    kube = dict(kubeconfig=fo.sandbox["env"]["KUBECONFIG_DR"], namespace="shop")
    apps = fo.apps()
    assert apps.read_namespaced_deployment("shop-blue", "shop").spec.replicas == 1

    checked = fo.module("k8s_workload_scale", check=True, diff=True, workloads=[{"name": "shop-blue", "replicas": 3}], **kube)
    assert checked["changed"] and checked["diff"]["after"] == {"shop/Deployment/shop-blue": 3}
    assert apps.read_namespaced_deployment("shop-blue", "shop").spec.replicas == 1

    up = fo.module("k8s_workload_scale", workloads=[{"name": "shop-blue", "replicas": 3}, {"name": "shop-green", "replicas": 2}],
                   timeout=60, **kube)
    assert not up.get("failed") and up["changed"]
    assert [(w["name"], w["before"], w["replicas"], w["ready_replicas"], w["ready"], w["changed"]) for w in up["workloads"]] == [
        ("shop-blue", 1, 3, 3, True, True), ("shop-green", 1, 2, 2, True, True)]
    assert all(w["ready_seconds"] is not None for w in up["workloads"])
    blue = apps.read_namespaced_deployment("shop-blue", "shop")
    assert (blue.spec.replicas, blue.status.ready_replicas) == (3, 3)

    again = fo.module("k8s_workload_scale", workloads=[{"name": "shop-blue", "replicas": 3}], **kube)
    assert again["changed"] is False and again["workloads"][0]["ready"]

    back = fo.module("k8s_workload_scale", workloads=up["restore"], **kube)
    assert back["changed"] and [w["ready_replicas"] for w in back["workloads"]] == [1, 1]
    assert apps.read_namespaced_deployment("shop-green", "shop").spec.replicas == 1

    missing = fo.module("k8s_workload_scale", workloads=[{"name": "shop-blue", "replicas": 2}, {"name": "nope", "replicas": 1}], **kube)
    assert missing["failed"] and "not found, nothing was scaled: Deployment shop/nope" in flat(missing["msg"])
    assert apps.read_namespaced_deployment("shop-blue", "shop").spec.replicas == 1


def test_a_workload_that_never_becomes_ready_times_out_with_its_progress(fo):
    fo.knob("rollout", "--cluster", "dr", "--namespace", "shop", "--name", "shop-green", "--never-ready")
    kube = dict(kubeconfig=fo.sandbox["env"]["KUBECONFIG_DR"], namespace="shop")
    started = time.monotonic()
    try:
        late = fo.module("k8s_workload_scale", workloads=[{"name": "shop-blue", "replicas": 2}, {"name": "shop-green", "replicas": 2}],
                         timeout=3, **kube)
    finally:
        fo.knob("rollout", "--cluster", "dr", "--namespace", "shop", "--name", "shop-green", "--clear")
    assert late["failed"] and late["changed"]
    assert time.monotonic() - started < 30
    assert "not ready within 3 s: Deployment shop/shop-green: 0 of 2 ready (2 pods)" in flat(late["msg"])
    assert "shop-blue" not in late["msg"]
    assert [(w["name"], w["ready"]) for w in late["workloads"]] == [("shop-blue", True), ("shop-green", False)]


# ------------------------------------------ the coarse steps: eks_capacity, route53_change_wait, db_cutover, runbook_record


def test_capacity_up_and_down_in_one_step_each_and_dns_without_wait_then_its_insync(fo):
    kube = dict(kubeconfig=fo.sandbox["env"]["KUBECONFIG_DR"], namespace="shop")
    step = dict(region=DR, cluster_name="shop-dr", nodegroup_name="shop-dr-workers", nodegroup={"min_size": 3, "desired_size": 3},
                workloads=[{"name": "shop-blue", "replicas": 2}], workloads_timeout=60, **kube)
    read = fo.module("eks_capacity", check=True, **step)
    assert read["changed"] and fo.scaling()["desiredSize"] == 1  # check mode: what puts it back, nothing scaled
    assert read["restore"] == {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6},
                               "workloads": [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1}]}
    up = fo.module("eks_capacity", **step)
    assert not up.get("failed") and up["changed"] and up["nodegroup"]["status"] == "ACTIVE"
    assert fo.scaling() == {"minSize": 3, "desiredSize": 3, "maxSize": 6}
    assert [(w["name"], w["ready"]) for w in up["workloads"]] == [("shop-blue", True)]
    assert fo.apps().read_namespaced_deployment("shop-blue", "shop").spec.replicas == 2
    assert fo.module("eks_capacity", **step)["changed"] is False

    seeded = fo.failover_records()
    sent = fo.module("route53_failover_switch", target="dr", wait=False, **DNS)
    assert not sent.get("failed") and sent["changed"] and sent["insync_seconds"] is None and sent["change_id"]
    insync = fo.module("route53_change_wait", change_id=sent["change_id"], submitted_at=sent["started_at"], wait_timeout=60)
    assert not insync.get("failed") and insync["change_status"] == "INSYNC" and insync["changed"] is False
    assert insync["insync_seconds"] >= insync["waited_seconds"] and insync["step_summary"]["gates"][0]["passed"] is True
    assert fo.module("route53_change_wait", wait_timeout=1)["insync_seconds"] == 0.0  # nothing to wait for
    fo.module("route53_failover_switch", records=sent["before"], **DNS)
    assert fo.failover_records() == seeded

    restore = dict(step, nodegroup=read["restore"]["nodegroup"], workloads=read["restore"]["workloads"])
    down = fo.module("eks_capacity", direction="down", nodegroup_wait=False, **restore)
    assert not down.get("failed") and down["changed"]
    assert fo.apps().read_namespaced_deployment("shop-blue", "shop").spec.replicas == 1
    settled = fo.module("eks_nodegroup_scale", cluster_name="shop-dr", nodegroup_name="shop-dr-workers", region=DR,
                        **read["restore"]["nodegroup"])
    assert not settled.get("failed") and fo.scaling() == {"minSize": 1, "desiredSize": 1, "maxSize": 6}


def test_db_cutover_and_its_rollback_are_one_call_each_and_the_record_is_read_and_written_in_one(fo):
    kube = dict(kubeconfig=fo.sandbox["env"]["KUBECONFIG_DR"], namespace="shop")
    core = k8s_client.CoreV1Api(k8s_config.new_client_from_config(config_file=fo.sandbox["env"]["KUBECONFIG_DR"]))
    cut = dict(secret_name="steps-db", instance_id="shop-db-dr", endpoint={"address": "dr.example", "port": 5432}, **kube)

    refused = fo.module("db_cutover", **cut)
    assert refused["failed"] and flat(refused["msg"]).startswith("Cutover refused, nothing changed. Secret shop/steps-db does not exist")
    assert fo.module("db_cutover", check=True, create_missing=True, **cut)["changed"]
    with pytest.raises(k8s_client.ApiException):
        core.read_namespaced_secret("steps-db", "shop")
    done = fo.module("db_cutover", create_missing=True, restart_deployments=["shop-blue"], restart_timeout=60, **cut)
    assert not done.get("failed") and done["changed"] and done["cutover"]["restarted"] == ["shop-blue"]
    assert done["cutover"]["previous"] == {"existed": False, "host": None, "port": None}
    secret = core.read_namespaced_secret("steps-db", "shop")
    assert secret.metadata.annotations["cloudops.io/cutover-instance"] == "shop-db-dr"
    template = fo.apps().read_namespaced_deployment("shop-blue", "shop").spec.template.metadata.annotations or {}
    assert "cloudops.io/restarted-at" in template
    assert fo.module("db_cutover", create_missing=True, **cut)["changed"] is False
    other = fo.module("db_cutover", **dict(cut, instance_id="shop-db-other"))
    assert other["failed"] and "is already cut over to shop-db-dr" in flat(other["msg"])
    back = fo.module("db_cutover", state="rolled_back", secret_name="steps-db", create_missing=True, **kube)
    assert back["changed"] and back["cutover"]["rolled_back"] and back["cutover"]["replaced"] == {"host": "dr.example", "port": "5432"}
    with pytest.raises(k8s_client.ApiException):
        core.read_namespaced_secret("steps-db", "shop")  # the cutover created it, the rollback deleted it

    record = {"run_id": "r-1", "phase": "started", "outcome": "in_progress", "dns_before": [{"set_identifier": "primary"}]}
    predicted = fo.module("runbook_record", check=True, write={"name": "steps-record", "data": record}, read=["steps-record"], **kube)
    assert predicted["changed"] and predicted["records"] == {"steps-record": record}
    both = fo.module("runbook_record", write={"name": "steps-record", "data": record}, read=["steps-record", "steps-none"], **kube)
    assert both["changed"] and both["records"] == {"steps-record": record, "steps-none": None}
    cm = core.read_namespaced_config_map("steps-record", "shop")
    assert json.loads(cm.data["record.json"]) == record and (cm.data["phase"], cm.data["outcome"]) == ("started", "in_progress")
    assert fo.module("runbook_record", write={"name": "steps-record", "data": record}, **kube)["changed"] is False


# ------------------------------------------------------------------------------------------ rds_cluster_failover


def test_aurora_cluster_failover_moves_the_writer_and_is_idempotent(ro):
    rds = ro.aws("rds")
    cluster = "fo-aurora-%s" % uuid.uuid4().hex[:6]
    rds.create_db_cluster(DBClusterIdentifier=cluster, Engine="aurora-postgresql", MasterUsername="admin_user",
                          MasterUserPassword="sandbox-only-password")
    for suffix in ("a", "b"):
        rds.create_db_instance(DBInstanceIdentifier="%s-%s" % (cluster, suffix), DBClusterIdentifier=cluster,
                               Engine="aurora-postgresql", DBInstanceClass="db.r5.large")
    try:
        checked = ro.module("rds_cluster_failover", check=True, cluster_id=cluster, target_instance_id=cluster + "-b", region=PRIMARY)
        assert checked["changed"] and (checked["writer_before"], checked["writer_after"]) == (cluster + "-a", cluster + "-b")

        moved = ro.module("rds_cluster_failover", cluster_id=cluster, target_instance_id=cluster + "-b", region=PRIMARY)
        assert not moved.get("failed") and moved["changed"] and moved["writer_after"] == cluster + "-b"
        assert moved["duration_seconds"] is not None
        members = rds.describe_db_clusters(DBClusterIdentifier=cluster)["DBClusters"][0]["DBClusterMembers"]
        assert [m["DBInstanceIdentifier"] for m in members if m["IsClusterWriter"]] == [cluster + "-b"]

        again = ro.module("rds_cluster_failover", cluster_id=cluster, target_instance_id=cluster + "-b", region=PRIMARY)
        assert again["changed"] is False

        wrong = ro.module("rds_cluster_failover", cluster_id=cluster, target_instance_id="shop-db", region=PRIMARY)
        assert wrong["failed"] and "shop-db is not an instance of cluster %s" % cluster in wrong["msg"]
    finally:
        for suffix in ("a", "b"):
            rds.delete_db_instance(DBInstanceIdentifier="%s-%s" % (cluster, suffix), SkipFinalSnapshot=True)
        rds.delete_db_cluster(DBClusterIdentifier=cluster, SkipFinalSnapshot=True)


# -------------------------------------------------------------------------------------------- dr_readiness_info

READINESS = dict(replica={"instance_id": "shop-db-dr", "region": DR}, rpo_budget_seconds=60, rto_budget_seconds=900,
                 eks={"cluster_name": "shop-dr", "nodegroup_name": "shop-dr-workers", "region": DR}, dns=DNS, region=DR)


def test_readiness_passes_on_the_seeded_estate(ro):
    audit = ro.module("dr_readiness_info", **READINESS)
    assert not audit.get("failed") and audit["changed"] is False
    assert audit["passed"] is True and audit["failed_checks"] == []
    assert [(f["check"], f["passed"]) for f in audit["findings"]] == [
        ("replica_role", True), ("replica_lag", True), ("source_backups", True), ("dr_cluster_active", True),
        ("dr_nodegroup_active", True), ("dns_failover_time", True)]
    dns = audit["findings"][-1]["numbers"]
    assert (dns["ttl_seconds"], dns["request_interval"], dns["failure_threshold"], dns["total_seconds"]) == (60, 10, 3, 90)
    assert ro.module("dr_readiness_info", check=True, **READINESS)["passed"] is True


def test_readiness_lag_finding_fails_with_the_lag_knob(fo):
    fo.knob("replica-lag", "--seconds", "300")
    audit = fo.module("dr_readiness_info", **READINESS)
    assert not audit.get("failed") and audit["passed"] is False and audit["failed_checks"] == ["replica_lag"]
    lag = next(f for f in audit["findings"] if f["check"] == "replica_lag")
    assert lag["numbers"] == {"replica_lag_seconds": 300.0, "rpo_budget_seconds": 60}
    assert "replica lag 300 s is over the RPO budget of 60 s" in lag["detail"]

    strict = fo.module("dr_readiness_info", fail_on_findings=True, **dict(READINESS, rto_budget_seconds=60))
    assert strict["failed"] and strict["failed_checks"] == ["replica_lag", "dns_failover_time"]
    assert "DR readiness: replica_lag, dns_failover_time failed" in flat(strict["msg"])
    assert "90 s over the RTO budget of 60 s" in flat(strict["msg"])
