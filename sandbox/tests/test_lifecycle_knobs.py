"""Each knob changes what the emulated APIs report (and the tests undo it: the session sandbox is shared)."""
import datetime as dt
import json
import time

from kubernetes import client, config

from sandbox import knobs
from sandbox.config import aws_client


def _health(sandbox, side, colour):
    url = sandbox.info["moto"]["url"]
    arn = sandbox.info["aws"]["alb"][side]["target_groups"][colour]
    elb = aws_client("elbv2", url, sandbox.info["aws"]["regions"][side])
    return [h["TargetHealth"] for h in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]


def test_target_health_knob(sandbox):
    try:
        out = json.loads(sandbox.cli("knob", "target-health", "--target-group", "shop-dr-green",
                                     "--state", "unhealthy").stdout)
        assert out["region"] == "us-west-2"
        health = _health(sandbox, "dr", "green")
        assert {h["State"] for h in health} == {"unhealthy"}
        assert {h["Reason"] for h in health} == {"Target.FailedHealthChecks"}
        assert {h["State"] for h in _health(sandbox, "dr", "blue")} == {"healthy"}  # only that group
    finally:
        sandbox.cli("knob", "target-health", "--target-group", "shop-dr-green", "--state", "healthy")
    assert {h["State"] for h in _health(sandbox, "dr", "green")} == {"healthy"}


def test_alarm_knob(sandbox):
    cw = aws_client("cloudwatch", sandbox.info["moto"]["url"], "us-east-1")
    try:
        sandbox.cli("knob", "alarm", "--name", "shop-primary-latency", "--state", "ALARM")
        assert cw.describe_alarms(AlarmNames=["shop-primary-latency"])["MetricAlarms"][0]["StateValue"] == "ALARM"
    finally:
        sandbox.cli("knob", "alarm", "--name", "shop-primary-latency", "--state", "OK")
    assert cw.describe_alarms(AlarmNames=["shop-primary-latency"])["MetricAlarms"][0]["StateValue"] == "OK"
    assert sandbox.cli("knob", "alarm", "--name", "no-such-alarm", "--state", "OK", check=False).returncode == 1


def test_replica_lag_knob(sandbox):
    cw = aws_client("cloudwatch", sandbox.info["moto"]["url"], "us-west-2")

    def latest():
        """The highest ReplicaLag published since the knob was turned (an earlier test's level is not in it)."""
        now = dt.datetime.now(dt.timezone.utc)
        points = cw.get_metric_statistics(
            Namespace="AWS/RDS", MetricName="ReplicaLag",
            Dimensions=[{"Name": "DBInstanceIdentifier", "Value": "shop-db-dr"}],
            StartTime=turned, EndTime=now + dt.timedelta(seconds=30), Period=60,
            Statistics=["Maximum"])["Datapoints"]
        return max(p["Maximum"] for p in points)

    try:
        turned = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        sandbox.cli("knob", "replica-lag", "--seconds", "240")
        assert latest() == 240.0
        assert json.loads((sandbox.state_dir / "knobs.json").read_text())["replica_lag_seconds"] == 240.0
        sandbox.cli("knob", "replica-lag", "--seeded")
        seeded = float(knobs.Sandbox(sandbox.state_dir).inventory["sandbox_seed"]["rds"]["initial_replica_lag_seconds"])
        assert json.loads((sandbox.state_dir / "knobs.json").read_text())["replica_lag_seconds"] == seeded
    finally:
        knobs.replica_lag(knobs.Sandbox(sandbox.state_dir), 2)  # the Python API does the same


def test_rollout_knob(sandbox):
    api_client = config.new_client_from_config(config_file=sandbox.env["KUBECONFIG_PRIMARY"])
    apps = client.AppsV1Api(api_client)

    def ready_replicas():
        return apps.read_namespaced_deployment("shop-green", "shop").status.ready_replicas or 0

    def wait_for(predicate, timeout=10):
        deadline = time.monotonic() + timeout
        while not predicate():
            assert time.monotonic() < deadline, "timed out"
            time.sleep(0.1)

    try:
        sandbox.cli("knob", "rollout", "--cluster", "primary", "--namespace", "shop", "--name", "shop-green",
                    "--never-ready")
        wait_for(lambda: ready_replicas() == 0)
        assert apps.read_namespaced_deployment("shop-blue", "shop").status.ready_replicas == 2  # only that one
    finally:
        sandbox.cli("knob", "rollout", "--cluster", "primary", "--namespace", "shop", "--name", "shop-green",
                    "--clear")
    wait_for(lambda: ready_replicas() == 2)
    rules = knobs.http_json(json.loads((sandbox.state_dir / "sandbox.json").read_text())["k8s"]["primary"]["url"]
                            + "/sandbox/rollout")
    assert not any(rule["name"] == "shop-green" for rule in rules["rules"])
    api_client.close()


def test_rollout_fail_knob_fails_a_job(sandbox):
    """`--fail` makes a Job's pod exit 1 and the Job read Failed (a failing smoke test); `--clear` undoes it."""
    api_client = config.new_client_from_config(config_file=sandbox.env["KUBECONFIG_PRIMARY"])
    batch = client.BatchV1Api(api_client)
    job = {"apiVersion": "batch/v1", "kind": "Job", "metadata": {"name": "knob-smoke"},
           "spec": {"backoffLimit": 0, "template": {"spec": {"restartPolicy": "Never", "containers": [
               {"name": "check", "image": "busybox:1.36", "command": ["true"]}]}}}}

    def conditions(name):
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            conds = {c.type: c.reason for c in batch.read_namespaced_job(name, "shop").status.conditions or []}
            if "Complete" in conds or "Failed" in conds:
                return conds
            time.sleep(0.1)
        raise AssertionError("job %s never finished" % name)

    try:
        sandbox.cli("knob", "rollout", "--cluster", "primary", "--namespace", "shop", "--name", "knob-smoke", "--fail")
        batch.create_namespaced_job("shop", job)
        assert conditions("knob-smoke").get("Failed") == "BackoffLimitExceeded"
        pods = client.CoreV1Api(api_client).list_namespaced_pod("shop", label_selector="job-name=knob-smoke").items
        assert [p.status.container_statuses[0].state.terminated.exit_code for p in pods] == [1]
    finally:
        sandbox.cli("knob", "rollout", "--cluster", "primary", "--namespace", "shop", "--name", "knob-smoke", "--clear")
        batch.delete_namespaced_job("knob-smoke", "shop", propagation_policy="Background")
    job["metadata"]["name"] = "knob-smoke-ok"
    batch.create_namespaced_job("shop", job)
    try:
        assert "Complete" in conditions("knob-smoke-ok")
    finally:
        batch.delete_namespaced_job("knob-smoke-ok", "shop", propagation_policy="Background")
    api_client.close()
