"""Fault-injection knobs: make the running sandbox report a failure (or recovery) that runbooks must react to.

Each knob changes what the emulated APIs *report*; nothing else changes. Usable from Python (tests) and from
`python -m sandbox knob ...`. The sandbox is found through a state dir (--state-dir, $CLOUDOPS_SANDBOX_STATE,
else .sandbox): its sandbox.json holds the endpoints.

- target_health(group, "unhealthy"|"healthy"): every registered target of the group reads `unhealthy`
  (reason Target.FailedHealthChecks) in describe_target_health, or healthy again. moto itself has no
  `unhealthy` state (only healthy, `unused` for a stopped instance, `draining`), so the daemon overrides it
  in-process; the EC2 instances stay running, as when an application fails its health checks.
- alarm(name, state): CloudWatch set_alarm_state (moto never evaluates alarms, so the state stays until changed).
- replica_lag(seconds, paused): the replica's data really lags: the data plane's replication link delivers the
  source's WAL `seconds` late, or holds all of it while paused (writes made meanwhile are missing on the replica,
  and stay missing if it is promoted). It also puts a ReplicaLag datapoint now (the level, plus the time spent
  paused) and the daemon's ticker keeps publishing it every 60 s (moto never publishes ReplicaLag).
- global_lag(seconds, paused, cluster_id): the same for an Aurora global database's secondary cluster
  (rdsdata/aurora.py); publishes AuroraGlobalDBReplicationLag / AuroraGlobalDBRPOLag (milliseconds).
- cache_lag(seconds, paused, replication_group_id): the same for an ElastiCache Global Datastore's secondary group
  (sandbox/elasticache.py: real Redis replication through the link); publishes GlobalDatastoreReplicationLag /
  ReplicationLag (seconds).
- s3_replication(delay_seconds, paused): S3 cross-region replication's delay, or hold every copy while paused
  (sandbox/s3replication.py: the versions put meanwhile stay PENDING, missing in the DR bucket).
- rollout(cluster, namespace, name, ready): Kubernetes emulator rule (POST /sandbox/rollout) that keeps the named
  Deployment/StatefulSet/Job from ever becoming ready (ready=False), forces it ready even over the
  `sandbox.cloudops.io/never-ready` annotation (ready=True), makes a Job fail (ready="fail": its pod exits 1, the
  Job reads Failed/BackoffLimitExceeded, as a failing smoke test), or removes the rule (ready=None).
  The rule can be set before the object exists (a deploy that will hang).

Realism (timing.py, faults.py; these change how AWS behaves for every caller outside the sandbox):
- timing(profile, scale, durations): `instant` (default) or `realistic` operation durations (real-AWS seconds from
  sandbox/profiles/realistic.yml, overridable per key, times `scale`).
- faults(rate, kinds, services, operations, mutating_only, latency_ms, seed): answer that share of the selected AWS
  calls with throttling / 5xx / a connection reset, deterministically per seed; add latency. rate=0 turns it off.
- api_calls(reset): the AWS calls the moto server received (service, operation, outcome...) and the timed
  transitions with when they finished and when a caller first saw them.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from sandbox.config import (StatePaths, aws_client, load_inventory, read_json, replica, resolve_state_dir, sides,
                            write_json)

TARGET_HEALTH_STATES = ("unhealthy", "healthy")
ALARM_STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")


class SandboxNotRunning(RuntimeError):
    pass


def http_json(url: str, body: dict[str, Any] | None = None, method: str | None = None,
              timeout: float = 30) -> dict[str, Any]:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data is not None else "GET"),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else {}


class Sandbox:
    """A running sandbox, read from <state>/sandbox.json."""

    def __init__(self, state_dir: str | Path | None = None):
        self.paths = StatePaths(resolve_state_dir(str(state_dir) if state_dir else None))
        info = read_json(self.paths.info)
        if not info:
            raise SandboxNotRunning(f"no running sandbox in {self.paths.root} (run `python -m sandbox up`)")
        self.info = info
        self.endpoint: str = info["moto"]["url"]
        self.control: str = info["control"]["url"]
        self.inventory = load_inventory(Path(info["inventory"]))

    def client(self, service: str, region: str):
        return aws_client(service, self.endpoint, region)

    def region_of(self, side: str) -> str:
        return self.inventory["cloudops_regions"][side]


def target_health(sb: Sandbox, target_group: str, state: str) -> dict[str, Any]:
    """Make every target of `target_group` (name or ARN) read `state` in describe_target_health."""
    if state not in TARGET_HEALTH_STATES:
        raise ValueError(f"state must be one of {TARGET_HEALTH_STATES}")
    for side, alb in sb.inventory["cloudops_alb"].items():
        if target_group in alb["target_groups"].values() or f":{sb.region_of(side)}:" in target_group:
            region = alb.get("region") or sb.region_of(side)
            break
    else:
        raise ValueError(f"unknown target group {target_group!r} (not in cloudops_alb)")
    elb = sb.client("elbv2", region)
    key = {"TargetGroupArns": [target_group]} if target_group.startswith("arn:") else {"Names": [target_group]}
    arn = elb.describe_target_groups(**key)["TargetGroups"][0]["TargetGroupArn"]
    http_json(sb.control + "/target-health", {"target_group_arn": arn, "state": state})
    return {"target_group_arn": arn, "region": region, "state": state,
            "targets": [d["TargetHealth"]["State"] for d in
                        elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]}


def alarm(sb: Sandbox, name: str, state: str, reason: str | None = None) -> dict[str, Any]:
    """Set a CloudWatch alarm's state (in whichever estate region holds it)."""
    if state not in ALARM_STATES:
        raise ValueError(f"state must be one of {ALARM_STATES}")
    for side in sides(sb.inventory):
        cw = sb.client("cloudwatch", sb.region_of(side))
        if cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]:
            cw.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason or f"sandbox knob: {state}")
            return {"alarm": name, "region": sb.region_of(side), "state": state}
    raise ValueError(f"unknown alarm {name!r}")


def replica_lag(sb: Sandbox, seconds: float | None = None, paused: bool | None = None,
                instance_id: str | None = None, region: str | None = None) -> dict[str, Any]:
    """Set the replica's lag (seconds) and/or pause (True) or resume (False) its replication; publish ReplicaLag.

    The estate's replica (cloudops_rds.replica) unless another replica is named (any region of the estate).
    """
    from sandbox.aws_seed import put_replica_lag

    if seconds is None and paused is None:
        raise ValueError("give a lag in seconds, pause or resume")
    if seconds is not None and seconds < 0:
        raise ValueError("lag seconds must be >= 0")
    estate_replica = replica(sb.inventory) or {}
    if not instance_id and not estate_replica:
        raise ValueError("this estate has no DR replica (no cloudops_rds.replica: a one-region estate); "
                         "name one with --instance")
    instance_id = instance_id or estate_replica["instance_id"]
    region = region or (estate_replica["region"] if instance_id == estate_replica.get("instance_id")
                        else _region_of_instance(sb, instance_id))
    try:
        state = http_json(sb.control + "/rds/replication", {"region": region, "instance_id": instance_id,
                                                            "lag_seconds": seconds, "paused": paused})
    except urllib.error.HTTPError as exc:
        raise ValueError(json.loads(exc.read() or b"{}").get("error") or str(exc)) from None
    level = state["replication"]["replica_lag_seconds"]
    if instance_id == estate_replica.get("instance_id"):
        put_replica_lag(sb.endpoint, sb.inventory, float(level))
        knobs = read_json(sb.paths.knobs) or {}
        knobs["replica_lag_seconds"] = state["replication"]["lag_seconds"]
        knobs["replication_paused"] = state["replication"]["paused"]
        write_json(sb.paths.knobs, knobs)
    return {"replica": instance_id, "region": region, "replica_lag_seconds": level, **state["replication"]}


def global_lag(sb: Sandbox, seconds: float | None = None, paused: bool | None = None,
               cluster_id: str | None = None) -> dict[str, Any]:
    """Aurora global database: the secondary cluster receives the writer's commits `seconds` late, or nothing while
    paused (what it has not received is lost by a failover with AllowDataLoss; a switchover is refused while paused).
    The current secondary unless `cluster_id` names one (after a switchover it is the other cluster). Publishes
    AuroraGlobalDBReplicationLag / AuroraGlobalDBRPOLag now; the daemon's ticker keeps publishing them."""
    from sandbox.rdsdata.aurora import cluster_of, put_global_lag

    if seconds is None and paused is None:
        raise ValueError("give a lag in seconds, pause or resume")
    if seconds is not None and seconds < 0:
        raise ValueError("lag seconds must be >= 0")
    secondaries = [i for i in http_json(sb.control + "/rds")["instances"]
                   if cluster_of(i["instance_id"]) and i.get("replication")]
    if cluster_id:
        secondaries = [i for i in secondaries if cluster_of(i["instance_id"]) == cluster_id.lower()]
    if len(secondaries) != 1:
        raise ValueError(f"no secondary Aurora cluster {cluster_id or ''} with a live replication link "
                         "(an Aurora global database: cloudops_rds.engine aurora-postgresql)" if not secondaries else
                         "several secondary clusters: name one (cluster_id)")
    target = secondaries[0]
    state = _control(sb, "/rds/replication", {"region": target["region"], "instance_id": target["instance_id"],
                                              "lag_seconds": seconds, "paused": paused})
    level = state["replication"]["replica_lag_seconds"]
    put_global_lag(sb.endpoint, target["region"], cluster_of(target["instance_id"]), float(level))
    return {"cluster_id": cluster_of(target["instance_id"]), "region": target["region"],
            "replica_lag_seconds": level, **state["replication"]}


def cache_lag(sb: Sandbox, seconds: float | None = None, paused: bool | None = None,
              replication_group_id: str | None = None) -> dict[str, Any]:
    """ElastiCache Global Datastore: the secondary group receives the primary's writes `seconds` late, or nothing
    while paused (what it has not received is lost by a FailoverGlobalReplicationGroup to it). The current secondary
    unless `replication_group_id` names one (after a failover it is the other group). Publishes
    GlobalDatastoreReplicationLag / ReplicationLag now; the daemon's ticker keeps publishing them."""
    from sandbox.elasticache import put_cache_lag

    if seconds is None and paused is None:
        raise ValueError("give a lag in seconds, pause or resume")
    if seconds is not None and seconds < 0:
        raise ValueError("lag seconds must be >= 0")
    groups = [g for g in _control(sb, "/elasticache")["groups"] if g.get("replication")]
    if replication_group_id:
        groups = [g for g in groups if g["replication_group_id"] == replication_group_id]
    if len(groups) != 1:
        raise ValueError(f"no secondary replication group {replication_group_id or ''} with a live link (an "
                         "ElastiCache Global Datastore: cloudops_cache.secondary)" if not groups else
                         "several secondary replication groups: name one (replication_group_id)")
    target = groups[0]
    state = _control(sb, "/elasticache/replication", {"region": target["region"],
                                                      "replication_group_id": target["replication_group_id"],
                                                      "lag_seconds": seconds, "paused": paused})
    level = state["replication"]["replication_lag_seconds"]
    nodes = sb.client("elasticache", target["region"]).describe_replication_groups(
        ReplicationGroupId=target["replication_group_id"])["ReplicationGroups"][0]["MemberClusters"]
    put_cache_lag(sb.endpoint, target["region"], target["replication_group_id"], nodes, float(level))
    return {"replication_group_id": target["replication_group_id"], "region": target["region"],
            "replication_lag_seconds": level, **state["replication"]}


def s3_replication(sb: Sandbox, delay_seconds: float | None = None, paused: bool | None = None) -> dict[str, Any]:
    """S3 cross-region replication: copy new versions `delay_seconds` after the put, or hold them all while paused
    (they stay PENDING and missing in the DR bucket; resume sends them). Returns the settings and pending copies."""
    if delay_seconds is not None and delay_seconds < 0:
        raise ValueError("delay seconds must be >= 0")
    if delay_seconds is None and paused is None:
        return _control(sb, "/s3/replication")
    return _control(sb, "/s3/replication", {"delay_seconds": delay_seconds, "paused": paused})


def backup_replication(sb: Sandbox, delay_seconds: float | None = None, paused: bool | None = None,
                       source_id: str | None = None) -> dict[str, Any]:
    """Replicated automated backups (restore-based DR): the DR copy's latest restorable time trails the source by
    `delay_seconds`; paused, it stops moving (the restore point in DR grows old). Every replication unless
    `source_id` names its source instance."""
    if delay_seconds is None and paused is None:
        raise ValueError("give a delay in seconds, pause or resume")
    return _control(sb, "/rds/backup-replication", {"delay_seconds": delay_seconds, "paused": paused,
                                                     "source_id": source_id})


def _region_of_instance(sb: Sandbox, instance_id: str) -> str:
    for region in dict.fromkeys(sb.inventory["cloudops_regions"].values()):
        if sb.client("rds", region).describe_db_instances(
                Filters=[{"Name": "db-instance-id", "Values": [instance_id]}])["DBInstances"]:
            return region
    raise ValueError(f"unknown DB instance {instance_id!r} (not in the estate's regions)")


def rollout(sb: Sandbox, cluster: str, namespace: str, name: str, ready: bool | str | None) -> dict[str, Any]:
    """Keep a workload from becoming ready (False), force it ready (True), make a Job fail ("fail"), or drop the
    rule (None)."""
    try:
        url = sb.info["k8s"][cluster]["url"]
    except KeyError:
        raise ValueError(f"unknown cluster {cluster!r} (sandbox has {sorted(sb.info.get('k8s', {}))})") from None
    body = {"namespace": namespace, "name": name, "ready": ready}
    if ready == "fail":
        body = {"namespace": namespace, "name": name, "fail": True}
    return http_json(url.rstrip("/") + "/sandbox/rollout", body)


def _control(sb: Sandbox, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    try:
        return http_json(sb.control + path, body)
    except urllib.error.HTTPError as exc:
        if exc.code == 400:
            raise ValueError(json.loads(exc.read() or b"{}").get("error") or str(exc)) from None
        raise


def timing(sb: Sandbox, profile: str = "realistic", scale: float = 0.05,
           durations: dict[str, float] | None = None) -> dict[str, Any]:
    """Set the timing profile; returns it (profile, scale, real durations, effective seconds)."""
    return _control(sb, "/timing", {"profile": profile, "scale": scale, "durations": durations or {}})


def timing_state(sb: Sandbox) -> dict[str, Any]:
    return _control(sb, "/timing")


def faults(sb: Sandbox, rate: float = 0.0, kinds: list[str] | tuple[str, ...] = ("throttle", "5xx"),
           services: list[str] | tuple[str, ...] = (), operations: list[str] | tuple[str, ...] = (),
           mutating_only: bool = False, latency_ms: float = 0, seed: int = 0) -> dict[str, Any]:
    """Set fault injection (rate 0 and latency 0: off); returns the settings."""
    return _control(sb, "/faults", {"rate": rate, "kinds": list(kinds), "services": list(services),
                                    "operations": list(operations), "mutating_only": mutating_only,
                                    "latency_ms": latency_ms, "seed": seed})


def faults_state(sb: Sandbox) -> dict[str, Any]:
    return _control(sb, "/faults")


def api_calls(sb: Sandbox, reset: bool = False) -> dict[str, Any]:
    """{"calls": [...], "transitions": [...]} since the last reset; with reset=True, empty both afterwards."""
    out = _control(sb, "/api-calls")
    if reset:
        _control(sb, "/api-calls/reset", {})
    return out
