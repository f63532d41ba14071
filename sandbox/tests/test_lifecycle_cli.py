"""`python -m sandbox up|status|reset|down`: the session sandbox, Kubernetes/Helm seeding, and a private sandbox
for the stop/stale-pid cases."""
import datetime as dt
import json
import os
import socket
import subprocess
import time
from pathlib import Path

from kubernetes import client, config

from sandbox.config import aws_client, load_inventory, resolve_inventory
from sandbox.tests.conftest import run_sandbox_cli, sourced_env

INV = load_inventory(resolve_inventory(None))
NS = INV["cloudops_helm"]["release_namespace"]


def test_startup_time_under_30s(sandbox):
    print(f"\nstart-up + seeding: {sandbox.startup_seconds:.1f} s (sandbox.json timings {sandbox.info['timings']})")
    assert sandbox.startup_seconds < 30
    assert "sandbox up in" in sandbox.up_output


def test_env_file(sandbox):
    env = sandbox.env
    info = sandbox.info
    assert env["AWS_ENDPOINT_URL"] == info["moto"]["url"]
    assert env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert env["AWS_ACCESS_KEY_ID"] and env["AWS_SECRET_ACCESS_KEY"]
    assert env["CLOUDOPS_SANDBOX_STATE"] == str(sandbox.state_dir)
    assert env["PATH"].split(os.pathsep)[0] == str(sandbox.state_dir / "bin")
    for cluster in ("primary", "dr"):
        kubeconfig = Path(env[f"KUBECONFIG_{cluster.upper()}"])
        assert kubeconfig.is_file()
        assert info["k8s"][cluster]["url"] in kubeconfig.read_text()


def test_status_and_up_again_is_idempotent(sandbox):
    pid = sandbox.info["pids"]["daemon"]
    assert str(pid) in sandbox.cli("status").stdout
    status = json.loads(sandbox.cli("status", "--json").stdout)
    assert status["running"] and status["health"]["ok"]
    again = sandbox.cli("up")
    assert "already up" in again.stdout
    assert sandbox.info["pids"]["daemon"] == pid


def test_kubernetes_seeded(sandbox):
    for cluster, replicas in (("primary", INV["sandbox_seed"]["helm"]["values"]["blue"]["replicaCount"]),
                              ("dr", INV["sandbox_seed"]["helm"]["dr_replica_count"])):
        api_client = config.new_client_from_config(config_file=sandbox.env[f"KUBECONFIG_{cluster.upper()}"])
        try:
            assert NS in [n.metadata.name for n in client.CoreV1Api(api_client).list_namespace().items]
            deployments = {d.metadata.name: d for d in client.AppsV1Api(api_client).list_namespaced_deployment(NS).items}
            assert set(deployments) == set(INV["cloudops_helm"]["releases"].values())
            for d in deployments.values():
                assert d.spec.replicas == replicas
                assert d.status.ready_replicas == replicas
        finally:
            api_client.close()


def test_helm_wrapper_lists_releases(sandbox):
    for cluster in ("primary", "dr"):
        out = subprocess.run(["helm", "list", "-A", "-o", "json", "--kubeconfig",
                              sandbox.env[f"KUBECONFIG_{cluster.upper()}"]],
                             env=sandbox.env, check=True, capture_output=True, text=True).stdout
        releases = {r["name"]: r for r in json.loads(out)}
        expected = {"shop-blue": NS, "shop-green": NS}
        if cluster == "primary":  # the catalog service is routed on the primary side only
            expected.update({"catalog-blue": "catalog", "catalog-green": "catalog"})
        assert {name: r["namespace"] for name, r in releases.items()} == expected
        assert {r["status"] for r in releases.values()} == {"deployed"}


def test_reset_restores_seeded_estate(sandbox):
    before = sandbox.info["aws"]
    sandbox.cli("knob", "alarm", "--name", "shop-primary-5xx", "--state", "ALARM")
    sandbox.cli("knob", "target-health", "--target-group", "shop-primary-blue", "--state", "unhealthy")
    sandbox.cli("knob", "replica-lag", "--seconds", "300")
    elb = aws_client("elbv2", sandbox.info["moto"]["url"], "us-east-1")
    green = before["alb"]["primary"]["target_groups"]["green"]
    elb.modify_listener(ListenerArn=before["alb"]["primary"]["listener_arn"],
                        DefaultActions=[{"Type": "forward", "TargetGroupArn": green}])
    api_client = config.new_client_from_config(config_file=sandbox.env["KUBECONFIG_DR"])
    apps, core = client.AppsV1Api(api_client), client.CoreV1Api(api_client)
    seeded = {d.metadata.name: (d.metadata.uid, d.spec.replicas) for d in apps.list_namespaced_deployment(NS).items}
    apps.patch_namespaced_deployment_scale("shop-blue", NS, {"spec": {"replicas": 0}})
    core.create_namespaced_config_map(NS, {"metadata": {"name": "left-by-a-test"}})
    out = sandbox.cli("reset").stdout
    print(out)
    info = sandbox.info
    assert info["aws"] == before  # deterministic: same IDs and ARNs after a reset
    action = elb.describe_listeners(ListenerArns=[before["alb"]["primary"]["listener_arn"]])["Listeners"][0]
    assert action["DefaultActions"][0]["ForwardConfig"]["TargetGroups"][0]["TargetGroupArn"] == \
        before["alb"]["primary"]["target_groups"]["blue"]
    blue = before["alb"]["primary"]["target_groups"]["blue"]
    assert {h["TargetHealth"]["State"] for h in elb.describe_target_health(TargetGroupArn=blue)
            ["TargetHealthDescriptions"]} == {"healthy"}
    cw = aws_client("cloudwatch", sandbox.info["moto"]["url"], "us-east-1")
    assert cw.describe_alarms(AlarmNames=["shop-primary-5xx"])["MetricAlarms"][0]["StateValue"] == "OK"
    assert json.loads((sandbox.state_dir / "knobs.json").read_text())["replica_lag_seconds"] == 2.0
    assert len(sandbox.info["helm_releases"]) == 6  # shop-{blue,green} in both clusters, catalog-* in primary
    # The clusters as seeded (restored, not installed again): same objects, rolled out, nothing a test left
    deployments = apps.list_namespaced_deployment(NS).items
    assert {d.metadata.name: (d.metadata.uid, d.spec.replicas) for d in deployments} == seeded
    assert all(d.status.ready_replicas == d.spec.replicas for d in deployments)
    assert "left-by-a-test" not in {c.metadata.name for c in core.list_namespaced_config_map(NS).items}
    api_client.close()


def _listening(port):
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def _replica_lag_samples(url, since, level):
    points = aws_client("cloudwatch", url, "us-west-2").get_metric_statistics(
        Namespace="AWS/RDS", MetricName="ReplicaLag", Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "shop-db-dr"}],
        StartTime=since, EndTime=since + dt.timedelta(minutes=5), Period=300, Statistics=["SampleCount", "Minimum"],
    )["Datapoints"]
    return sum(p["SampleCount"] for p in points if p["Minimum"] == level)


def test_stale_pid_up_down_leaves_nothing(tmp_path):
    """A private sandbox: a stale pid file is cleaned up, the ReplicaLag ticker keeps publishing the knob's level,
    `down` kills everything and frees the ports, twice."""
    (tmp_path / "sandbox.pid").write_text("999999\n")
    assert run_sandbox_cli("status", "--state-dir", tmp_path, check=False).returncode == 3
    env = dict(os.environ, SANDBOX_REPLICA_LAG_TICK_SECONDS="0.2")
    run_sandbox_cli("up", "--state-dir", tmp_path, env=env, timeout=180)
    try:
        info = json.loads((tmp_path / "sandbox.json").read_text())
        pids, ports = list(info["pids"].values()), list(info["ports"].values())
        assert all(_listening(p) for p in ports)
        assert sourced_env(tmp_path / "env")["AWS_ENDPOINT_URL"] == info["moto"]["url"]

        run_sandbox_cli("knob", "replica-lag", "--seconds", "45", "--state-dir", tmp_path)
        # Only ticks after the knob: whole seconds later than it, all at the knob's level.
        since = dt.datetime.now(dt.timezone.utc).replace(microsecond=0) + dt.timedelta(seconds=1)
        deadline = time.monotonic() + 10
        while _replica_lag_samples(info["moto"]["url"], since, 45.0) < 2:
            assert time.monotonic() < deadline, "ReplicaLag ticker did not publish"
            time.sleep(0.2)
    except BaseException:
        run_sandbox_cli("down", "--state-dir", tmp_path, check=False)  # never leave a daemon behind
        raise
    out = run_sandbox_cli("down", "--state-dir", tmp_path).stdout
    assert "stopped" in out
    for pid in pids:  # gone (a zombie awaiting its reaper counts as gone)
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"
    assert not any(_listening(p) for p in ports)
    assert not (tmp_path / "sandbox.pid").exists() and not (tmp_path / "env").exists()
    assert "not running" in run_sandbox_cli("down", "--state-dir", tmp_path).stdout
    assert run_sandbox_cli("status", "--state-dir", tmp_path, check=False).returncode == 3
