# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""playbooks/failover.yml and playbooks/failover_drill.yml end to end on a private sandbox: real ansible-playbook,
real modules, the real PostgreSQL data plane. What each test checks is read back from the sandbox (RDS, Route 53,
EKS, Kubernetes, PostgreSQL) and from the status runbook, not only from the runbooks' reports.

Only the tests that change the estate use fresh_sandbox (a reset after the test, ~10-15 s)."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import threading

import psycopg
import pytest
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from conftest import BIN, REPO, ansible_env, comparable, flat, ok, run_until, sandbox_cli, sandbox_client, sandbox_fixtures

PRIMARY, DR = "us-east-1", "us-west-2"
USER, PASSWORD, DB = "shop_admin", "sandbox-only-password", "shop"  # what the seeded secret shop/db/master holds
ZONE = "shop.sandbox.internal"


# -- running the playbooks -----------------------------------------------------------------------------------------------
class Runbooks(object):
    def __init__(self, sandbox, collections_path, tmp_path):
        self.sandbox, self.collections_path, self.tmp_path, self.n = sandbox, collections_path, tmp_path, 0

    def env(self, sandboxed=True, **extra):
        return ansible_env(self.collections_path, self.sandbox["env"] if sandboxed else {}, PYTHONUNBUFFERED="1", **extra)

    def command(self, playbook, inventory="inventories/sandbox", extra_vars=None, check=False):
        """The command line, and where its report and status report will be."""
        self.n += 1
        report = self.tmp_path / ("report-%d.json" % self.n)
        status = self.tmp_path / ("status-%d.json" % self.n)
        key = "drill_report_path" if "drill" in playbook else "failover_report_path"
        variables = dict({"cloudops_run_dir_root": "", key: str(report), "status_report_path": str(status)}, **(extra_vars or {}))
        args = [str(BIN / "ansible-playbook"), playbook, "-i", inventory, "-e", json.dumps(variables)]
        return args + (["--check"] if check else []), report, status

    def run(self, playbook, inventory="inventories/sandbox", extra_vars=None, check=False, env=None):
        """Run to the end; returns (process, report or None, status report written by the status role or None)."""
        args, report, status = self.command(playbook, inventory, extra_vars, check)
        proc = subprocess.run(args, cwd=REPO, env=env or self.env(), capture_output=True, text=True, timeout=600)
        return proc, load(report), load(status)

    def run_until(self, playbook, pattern):
        """Run and kill it when a line of its output contains `pattern` (conftest.run_until)."""
        return run_until(self.command(playbook)[0], self.env(), pattern)

    def status(self):
        proc, _, status = self.run("playbooks/status.yml")
        ok(proc)
        return status

    # -- reading the sandbox back -------------------------------------------------------------------------------------
    def aws(self, service, region=PRIMARY):
        return sandbox_client(self.sandbox, service, region)

    def instance(self, instance_id, region):
        return self.aws("rds", region).describe_db_instances(DBInstanceIdentifier=instance_id)["DBInstances"][0]

    def sql(self, instance_id, region, query):
        port = self.instance(instance_id, region)["Endpoint"]["Port"]
        with psycopg.connect(host="127.0.0.1", port=port, user=USER, password=PASSWORD, dbname=DB, autocommit=True,
                             connect_timeout=10) as conn:
            return conn.execute(query).fetchall()

    def failover_pair(self):
        r53 = self.aws("route53")
        zone = r53.list_hosted_zones_by_name(DNSName=ZONE + ".")["HostedZones"][0]["Id"]
        found = r53.list_resource_record_sets(HostedZoneId=zone)["ResourceRecordSets"]
        return dict((r["SetIdentifier"], r["Failover"]) for r in found if r.get("Failover"))

    def scaling(self):
        return self.aws("eks", DR).describe_nodegroup(clusterName="shop-dr", nodegroupName="shop-dr-workers")["nodegroup"]["scalingConfig"]

    def dr_api(self):
        return k8s_config.new_client_from_config(config_file=self.sandbox["env"]["KUBECONFIG_DR"])

    def dr_replicas(self, name="shop-blue"):
        api = self.dr_api()
        try:
            return k8s_client.AppsV1Api(api).read_namespaced_deployment(name, "shop").spec.replicas
        finally:
            api.close()

    def dr_object(self, kind, name):
        """A Secret or ConfigMap in the DR cluster's shop namespace, or None."""
        api = self.dr_api()
        try:
            core = k8s_client.CoreV1Api(api)
            read = core.read_namespaced_secret if kind == "Secret" else core.read_namespaced_config_map
            return read(name, "shop")
        except k8s_client.ApiException as exc:
            if exc.status == 404:
                return None
            raise
        finally:
            api.close()

    def record(self, name="cloudops-failover-drill"):
        cm = self.dr_object("ConfigMap", name)
        return json.loads(cm.data["record.json"]) if cm is not None else None

    def knob(self, *args):
        return json.loads(sandbox_cli(self.sandbox["state"], "knob", *args).stdout)


def load(path):
    return json.loads(path.read_text()) if path.exists() else None


def markers(rb, run_id):
    """The run's marker rows on the primary (0 when the table does not exist)."""
    if not rb.sql("shop-db", PRIMARY, "SELECT to_regclass('public.cloudops_drill_markers') IS NOT NULL")[0][0]:
        return 0
    return rb.sql("shop-db", PRIMARY, "SELECT count(*) FROM cloudops_drill_markers WHERE run_id = '%s'" % run_id)[0][0]


def failed(proc):
    assert proc.returncode != 0, "ansible-playbook should have failed:\n%s" % proc.stdout[-8000:]


def changed(proc):
    recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
    return int(recap.group(1)) if recap else None


rb, ro = sandbox_fixtures(Runbooks, "rb", "ro")


# -- refusals before anything changes ------------------------------------------------------------------------------------
@pytest.mark.parametrize("playbook, variable", [("playbooks/failover.yml", "confirm_failover"),
                                                ("playbooks/failover_drill.yml", "confirm_drill")])
def test_prod_without_confirmation_refuses_before_any_call(ro, playbook, variable):
    """Against the prod-like inventory with no sandbox: the refusal comes before any AWS or Kubernetes call. The AWS
    endpoint and the kubeconfigs point at a listener that counts connections: there must be none."""
    calls = []
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                calls.append(conn.recv(200))
                conn.close()
            except OSError:
                pass

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    url = "http://127.0.0.1:%d" % listener.getsockname()[1]
    env = ro.env(sandboxed=False, AWS_ENDPOINT_URL=url, AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="x", HTTPS_PROXY=url)
    try:
        for given in ({}, {variable: "staging"}):
            proc, report, _ = ro.run(playbook, inventory="inventories/prod", extra_vars=given, env=env)
            failed(proc)
            out = flat(proc.stdout)
            assert "refused before any AWS call, nothing changed: the prod environment requires a confirmation naming it" in out
            assert "-e %s=prod" % variable in out
            assert ('"staging", names another environment' in out) == bool(given)
            assert report is None
            # ok: the extra vars' validation (include, arg spec, the runbook_inputs checks), the estate, the confirmation's include
            # and validation.
            assert re.search(r"localhost\s*:\s*ok=[0-6]\s+changed=0\s+unreachable=0\s+failed=1", proc.stdout)
    finally:
        stop.set()
        thread.join()
        listener.close()
    assert calls == []


def test_lag_over_the_rpo_budget_refuses_with_nothing_changed(rb):
    rb.knob("replica-lag", "--seconds", "300")
    before = rb.status()
    assert before["rds"]["replica"]["lag_verdict"] == "over"

    for playbook in ("playbooks/failover.yml", "playbooks/failover_drill.yml"):
        proc, report, _ = rb.run(playbook)
        failed(proc)
        out = flat(proc.stdout)
        assert "refused, nothing changed. replica_lag: replica lag 300 s is over the RPO budget of 60 s" in out, out[-3000:]
        assert changed(proc) == 0
        assert report is None
    # The failover offers the override; the drill never does.
    assert rb.record("cloudops-failover") is None and rb.record() is None
    assert rb.instance("shop-db-dr", DR)["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:shop-db")
    assert comparable(rb.status()) == comparable(before)
    assert rb.dr_object("Secret", "shop-db") is None


def test_check_mode_changes_nothing(ro):
    before = ro.status()
    proc, report, _ = ro.run("playbooks/failover.yml", check=True)
    ok(proc)
    assert (report["outcome"], report["check_mode"]) == ("would_fail_over", True)
    assert [s["step"] for s in report["steps"]] == ["preflight", "promote", "scale", "app_db", "dns", "smoke_test", "dns_insync"]
    assert any(c.startswith("would: RDS shop-db-dr promoted") for c in report["changes"])
    assert "would: Route 53 app.shop.sandbox.internal: PRIMARY primary -> dr" in report["changes"]

    proc, report, _ = ro.run("playbooks/failover_drill.yml", check=True)
    ok(proc)
    assert (report["outcome"], report["check_mode"], report["status"]["compared"]) == ("would_drill", True, False)
    assert [s["step"] for s in report["steps"]] == ["preflight", "status_before", "markers", "promote", "scale", "app_db", "dns",
                                                    "verify", "smoke_test", "dns_insync"]

    assert comparable(ro.status()) == comparable(before)
    assert ro.failover_pair() == {"primary": "PRIMARY", "dr": "SECONDARY"}
    assert ro.record("cloudops-failover") is None and ro.record() is None
    assert ro.dr_object("Secret", "shop-db") is None
    assert markers(ro, report["run_id"]) == 0


# -- the real failover -------------------------------------------------------------------------------------------------
def test_failover_promotes_scales_repoints_flips_and_reports_the_rto(rb):
    # Killed (like a lost AWX node) after the promotion, then again after the scale-up, and again after the Secret was
    # written: each re-run resumes the same run, and the last one only has the DNS flip and the smoke test left.
    rb.run_until("playbooks/failover.yml", "failover_steps : Failover | scale the DR node group")
    first = rb.record("cloudops-failover")
    assert (first["outcome"], first["phase"], first["promotion"]["lag_at_promotion_seconds"]) == ("in_progress", "promoted", 2.0)
    for step in ("Failover | write the promoted endpoint", "Failover | switch Route 53"):
        rb.run_until("playbooks/failover.yml", "failover_steps : %s" % step)
        again = rb.record("cloudops-failover")
        assert (again["outcome"], again["run_id"], again["cut_at"]) == ("in_progress", first["run_id"], first["cut_at"])
    assert rb.failover_pair() == {"primary": "PRIMARY", "dr": "SECONDARY"}
    proc, report, _ = rb.run("playbooks/failover.yml", extra_vars={"failover_outage_started_at": "2020-01-01T00:00:00Z"})
    ok(proc)
    assert report["outcome"] == "failed_over" and report["resumed"]
    # The same run: its id, and the RTO clock started at the first run's cut.
    assert (report["run_id"], report["cut_at"], report["first_started_at"]) == (first["run_id"], first["cut_at"], first["started_at"])

    # The database: detached from the primary and writable.
    promoted = rb.instance("shop-db-dr", DR)
    assert "ReadReplicaSourceDBInstanceIdentifier" not in promoted
    # txid_current() assigns a transaction id: a standby refuses it.
    assert rb.sql("shop-db-dr", DR, "SELECT pg_is_in_recovery(), txid_current() > 0") == [(False, True)]
    # DR serves: node group and workloads at production size, the Secret points at the promoted database, DNS flipped.
    assert rb.scaling() == {"minSize": 3, "maxSize": 6, "desiredSize": 3}
    assert rb.dr_replicas("shop-blue") == 2 and rb.dr_replicas("shop-green") == 1  # only the active colour
    secret = rb.dr_object("Secret", "shop-db")
    assert secret.metadata.annotations["cloudops.io/cutover-instance"] == "shop-db-dr"
    assert int(__import__("base64").b64decode(secret.data["DB_PORT"])) == promoted["Endpoint"]["Port"]
    assert rb.failover_pair() == {"dr": "PRIMARY", "primary": "SECONDARY"}

    # The report: RTO from the cut to the smoke test, RPO estimated from the lag, each step, what changed.
    assert 0 < report["rto"]["seconds"] <= report["rto"]["budget_seconds"] == 900 and report["rto"]["within_budget"]
    assert report["rto"]["since_outage_seconds"] > 86400  # from the given outage start
    assert report["rpo"]["estimated_seconds"] == 2.0 and report["rpo"]["within_budget"]
    # This run found the replica promoted, the DR side scaled and the Secret written: it changed only DNS.
    assert [(s["step"], s["result"]) for s in report["steps"]] == [
        ("preflight", "ok"), ("promote", "ok"), ("scale", "ok"), ("app_db", "ok"), ("dns", "changed"), ("smoke_test", "ok"), ("dns_insync", "ok")]
    assert report["steps"][1]["detail"] == "already promoted (standalone)"
    assert report["changes"] == ["Route 53 app.shop.sandbox.internal: PRIMARY primary -> dr"]
    assert dict((r["set_identifier"], r["failover"]) for r in report["dns_before"]) == {"primary": "PRIMARY", "dr": "SECONDARY"}
    assert "RTO: cut to smoke test passing on DR" in proc.stdout
    record = rb.record("cloudops-failover")
    assert (record["outcome"], record["run_id"], record["cut_at"]) == ("failed_over", report["run_id"], report["cut_at"])
    # The status runbook says production runs on DR now (from the failover record).
    production = rb.status()["production"]
    assert (production["side"], production["run_id"]) == ("dr", report["run_id"]) and "playbooks/failback.yml" in production["note"]

    # Done is done: a second run finds nothing to promote and says so before changing anything.
    proc, _, _ = rb.run("playbooks/failover.yml")
    failed(proc)
    out = flat(proc.stdout)
    assert "Failover refused, nothing changed. replica_role: shop-db-dr is standalone" in out
    assert "The progress record says this estate already failed over (run %s" % report["run_id"] in out


# -- the drill ---------------------------------------------------------------------------------------------------------
# A drill's RTO, RPO and the estate it leaves (equal to the status before) are checked on the drill of
# test_run_evidence.py, which also checks its evidence: one drill for both.


# -- interrupted drills converge ---------------------------------------------------------------------------------------
def resume_and_check(rb, before, measured=False):
    proc, report, _ = rb.run("playbooks/failover_drill.yml")
    ok(proc)
    assert report["resumed"] and report["outcome"] == ("passed" if measured else "failed_back"), report
    assert report["status"]["equal"] and comparable(report["status_after"]) == comparable(before) == comparable(rb.status())
    assert rb.record()["outcome"] == "completed"
    assert rb.instance("shop-db-dr", DR)["ReadReplicaSourceDBInstanceIdentifier"].endswith(":db:shop-db")
    assert rb.dr_object("Secret", "shop-db") is None
    assert markers(rb, report["run_id"]) == 0
    return report


# A drill killed after its DNS switch and run again is also in test_runbook_lock.py (`make test`).
@pytest.mark.long
@pytest.mark.parametrize("step", ["Drill | 2. write markers", "Failover | scale", "Failover | switch Route 53",
                                  "Failover | smoke-test"])
def test_a_drill_interrupted_before_its_failback_is_finished_by_running_it_again(rb, step):
    """Killed (SIGKILL to the whole process group) right after a major step, a re-run fails back and ends with the
    status of before the drill."""
    before = rb.status()
    rb.run_until("playbooks/failover_drill.yml", "failover_steps : %s" % step)
    assert rb.record()["outcome"] == "in_progress"
    resume_and_check(rb, before)


@pytest.mark.long
def test_a_drill_interrupted_during_its_failback_is_finished_by_running_it_again(rb):
    """Interrupted after its measurement and twice during its failback, a re-run fails back, reports the measurement
    and ends with the status of before the drill."""
    before = rb.status()
    rb.run_until("playbooks/failover_drill.yml", "failover_steps : Failback | 1. put Route 53 back")
    assert rb.failover_pair() == {"dr": "PRIMARY", "primary": "SECONDARY"}
    rb.run_until("playbooks/failover_drill.yml", "failover_steps : Failback | 3. delete the promoted DR instance")
    # (the replica's creation and the node group's settling are waited for by the status after: killed as that starts)
    rb.run_until("playbooks/failover_drill.yml", "failover_steps : Failback | 6. status after")
    report = resume_and_check(rb, before, measured=True)
    assert report["rto"]["seconds"] > 0 and report["rpo"]["rows"] is not None


# -- HorizontalPodAutoscalers on DR ---------------------------------------------------------------------------------------
# Long (`make test`'s budget): the failover and failback of test_failback_playbook.py raise DR's HPA minimum and put
# its bounds back through the same steps (roles/failover_steps), which the drill shares.
@pytest.mark.long
def test_a_drill_scales_dr_through_its_autoscaler_and_puts_the_bounds_back(rb):
    """On DR, shop-blue has an HPA (1-6 replicas, an idle estate): a plain scale to 2 is undone at its next sync; the
    drill raises its minReplicas, so its scale-up holds through the smoke test, and the failback puts 1-6 back."""
    import time
    api = rb.dr_api()
    try:
        hpas, apps = k8s_client.AutoscalingV2Api(api), k8s_client.AppsV1Api(api)
        hpas.create_namespaced_horizontal_pod_autoscaler("shop", {
            "metadata": {"name": "shop-blue"},
            "spec": {"scaleTargetRef": {"apiVersion": "apps/v1", "kind": "Deployment", "name": "shop-blue"}, "minReplicas": 1, "maxReplicas": 6}})
        apps.patch_namespaced_deployment_scale("shop-blue", "shop", {"spec": {"replicas": 2}})
        deadline = time.monotonic() + 10
        while rb.dr_replicas() != 1 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert rb.dr_replicas() == 1  # a plain scale does not hold

        proc, report, _ = rb.run("playbooks/failover_drill.yml")
        ok(proc)
        assert report["outcome"] == "passed", report.get("error")
        [scale] = [s for s in report["steps"] if (s["phase"], s["step"]) == ("failover", "scale")]
        assert "shop-blue 1 -> 2 (HPA min-max 1-6 -> 2-6)" in scale["detail"]
        [back] = [s for s in report["steps"] if (s["phase"], s["step"]) == ("failback", "scale")]
        assert "shop-blue 2 -> 1 (HPA min-max 2-6 -> 1-6)" in back["detail"]
        hpa = hpas.read_namespaced_horizontal_pod_autoscaler("shop-blue", "shop")
        assert (hpa.spec.min_replicas, hpa.spec.max_replicas, rb.dr_replicas()) == (1, 6, 1)
    finally:
        api.close()


def test_a_failover_takes_over_an_interrupted_drill_and_it_is_never_failed_back(rb):
    """The primary region is lost in the middle of a drill: the real failover finishes from where the drill stopped
    (the replica already promoted) and marks the drill superseded, so a later drill run does not fail production back."""
    rb.run_until("playbooks/failover_drill.yml", "failover_steps : Failover | scale")
    drill = rb.record()
    assert drill["outcome"] == "in_progress"

    proc, report, _ = rb.run("playbooks/failover.yml")
    ok(proc)
    assert report["outcome"] == "failed_over" and not report["resumed"]
    assert report["steps"][1]["detail"] == "already promoted (standalone)"
    superseded = rb.record()
    assert (superseded["outcome"], superseded["superseded_by"], superseded["run_id"]) == ("superseded", report["run_id"], drill["run_id"])
    assert rb.failover_pair() == {"dr": "PRIMARY", "primary": "SECONDARY"}

    proc, refused, _ = rb.run("playbooks/failover_drill.yml")
    failed(proc)
    out = flat(proc.stdout)
    # Refused by the failover record itself (not only noted with the readiness): the failback comes first.
    assert "Failover drill refused, nothing changed: the failover record says this estate failed over for real (run %s" % report["run_id"] in out
    assert "production runs on us-west-2, and a drill would fail it back without the writes made there" in out
    assert "playbooks/failback.yml first" in out
    assert changed(proc) == 0 and refused is None
    assert rb.failover_pair() == {"dr": "PRIMARY", "primary": "SECONDARY"}
    assert "ReadReplicaSourceDBInstanceIdentifier" not in rb.instance("shop-db-dr", DR)
    assert rb.record()["outcome"] == "superseded"
