"""S3 cross-region replication in the sandbox: moto stores a bucket's replication configuration and never copies.

Here a new object version put into a bucket with an enabled replication rule (its prefix / Filter.Prefix matching the
key; the highest Priority wins) reads `ReplicationStatus: PENDING` on HeadObject/GetObject; `delay_seconds` later
(default 1 s; CRR's real delay is seconds to 15 minutes) a worker copies it into the rule's destination bucket (same
key, same version id, same content type and metadata): the source then reads `COMPLETED`, the copy `REPLICA`. The
copy fails (`FAILED` on the source, nothing copied) when the destination bucket does not exist or either bucket is
not versioned (S3 replicates versioned buckets only). While paused nothing is copied: the versions put meanwhile stay
PENDING (and are missing in the destination: what a region failover would not find); on resume they go, oldest first.
Deletes are not replicated (S3's default: DeleteMarkerReplication disabled).

CloudWatch (AWS/S3, in the source bucket's region, dimensions SourceBucket, DestinationBucket, RuleId), for the rules
with `Destination.Metrics` enabled (the seeded rules have it): OperationsPendingReplication, BytesPendingReplication,
ReplicationLatency (the oldest pending copy's age - growing while paused - else the last copy's latency) and
OperationsFailedReplication: publish_metrics(), called by the daemon's ticker.

Settings (delay, paused) come from the control server (POST /s3/replication, knobs.s3_replication,
`python -m sandbox knob s3-replication`); GET /s3/replication shows them and the pending copies. A reset drops the
pending copies and returns to the defaults (sandbox_seed.s3.replication_delay_seconds).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

log = logging.getLogger("sandbox.s3replication")

HEADER = "x-amz-replication-status"


@dataclass
class Pending:
    due: float
    account: str
    partition: str
    source_bucket: str
    key: str
    version_id: str
    destination: str
    queued_at: float
    rule_id: str = ""
    region: str = ""
    size: int = 0
    metrics: bool = False


class Replicator:
    """The pending copies and the worker that makes them (one thread, one condition)."""

    def __init__(self, delay_seconds: float = 1.0):
        self.default_delay = float(delay_seconds)
        self.delay_seconds = float(delay_seconds)
        self.paused_at: float | None = None
        self.cond = threading.Condition()
        self.queue: list[Pending] = []
        self.log: list[dict[str, Any]] = []
        self.stopped = False
        threading.Thread(target=self._work, name="s3-replication", daemon=True).start()

    # -- knobs -----------------------------------------------------------------------------------------------------
    def configure(self, delay_seconds: float | None = None, paused: bool | None = None) -> dict[str, Any]:
        if delay_seconds is not None and float(delay_seconds) < 0:
            raise ValueError("delay_seconds must be >= 0")
        with self.cond:
            if delay_seconds is not None:
                self.delay_seconds = float(delay_seconds)
                for p in self.queue:  # what waits goes by the new delay
                    p.due = p.queued_at + self.delay_seconds
            if paused is True and self.paused_at is None:
                self.paused_at = time.time()
            elif paused is False:
                self.paused_at = None
            self.cond.notify_all()
            return self.state()

    def state(self) -> dict[str, Any]:
        with self.cond:
            now = time.time()
            oldest = min((p.queued_at for p in self.queue), default=None)
            return {"delay_seconds": self.delay_seconds, "paused": self.paused_at is not None,
                    "pending": [{"bucket": p.source_bucket, "key": p.key, "version_id": p.version_id,
                                 "destination": p.destination, "age_seconds": round(now - p.queued_at, 3)}
                                for p in self.queue],
                    "oldest_pending_age_seconds": None if oldest is None else round(now - oldest, 3),
                    "replicated": len([e for e in self.log if e["status"] == "COMPLETED"]),
                    "failed": len([e for e in self.log if e["status"] == "FAILED"])}

    def reset(self) -> None:
        with self.cond:
            self.queue.clear()
            self.log.clear()
            self.delay_seconds, self.paused_at = self.default_delay, None
            self.cond.notify_all()

    def stop(self) -> None:
        with self.cond:
            self.stopped = True
            self.cond.notify_all()

    # -- queue -----------------------------------------------------------------------------------------------------
    def enqueue(self, account: str, partition: str, bucket: Any, key: Any, rule: "Rule") -> None:
        now = time.time()
        key._cloudops_replication = "PENDING"
        with self.cond:
            self.queue.append(Pending(now + self.delay_seconds, account, partition, bucket.name, key.name,
                                      str(key.version_id), rule.destination, now, rule.rule_id,
                                      getattr(bucket, "region_name", ""), int(key.size), rule.metrics))
            self.cond.notify_all()

    def metrics(self) -> list[dict[str, Any]]:
        """Per replication rule with metrics enabled (Destination.Metrics): what S3 publishes in AWS/S3 -
        OperationsPendingReplication, BytesPendingReplication, ReplicationLatency (the oldest pending copy's age,
        else the last copy's latency), OperationsFailedReplication (failures since the previous call)."""
        now = time.time()
        with self.cond:
            rules: dict[tuple[str, str, str, str], dict[str, Any]] = {}
            for p in self.queue:
                r = rules.setdefault((p.region, p.source_bucket, p.destination, p.rule_id), _zero())
                r["OperationsPendingReplication"] += 1
                r["BytesPendingReplication"] += p.size
                r["ReplicationLatency"] = max(r["ReplicationLatency"], now - p.queued_at)
            for e in self.log:
                if not e.get("metrics"):
                    continue
                r = rules.setdefault((e["region"], e["bucket"], e["destination"], e["rule_id"]), _zero())
                if not r["OperationsPendingReplication"]:
                    r["ReplicationLatency"] = e["latency"]
                if e["status"] == "FAILED" and not e.get("counted"):
                    r["OperationsFailedReplication"] += 1
                    e["counted"] = True
            metrics_on = {(p.region, p.source_bucket, p.destination, p.rule_id) for p in self.queue if p.metrics}
            metrics_on |= {(e["region"], e["bucket"], e["destination"], e["rule_id"]) for e in self.log
                           if e.get("metrics")}
            return [{"region": k[0], "source_bucket": k[1], "destination_bucket": k[2], "rule_id": k[3],
                     **{m: round(v, 3) for m, v in r.items()}} for k, r in rules.items() if k in metrics_on]

    def _work(self) -> None:
        while True:
            with self.cond:
                while True:
                    if self.stopped:
                        return
                    wait: float | None = None
                    if self.queue and self.paused_at is None:
                        head = min(self.queue, key=lambda p: p.due)
                        wait = head.due - time.time()
                        if wait <= 0:
                            self.queue.remove(head)
                            break
                    self.cond.wait(wait)
            try:
                status = copy(head)
            except Exception as exc:  # noqa: BLE001 - one failed copy must not stop the worker
                log.exception("replicating %s/%s", head.source_bucket, head.key)
                status = "FAILED"
                _mark(head, "FAILED")
                del exc
            with self.cond:
                self.log.append({"bucket": head.source_bucket, "key": head.key, "version_id": head.version_id,
                                 "destination": head.destination, "status": status, "at": time.time(),
                                 "latency": time.time() - head.queued_at, "region": head.region,
                                 "rule_id": head.rule_id, "metrics": head.metrics})
                del self.log[:-1000]


def _backend(account: str, partition: str) -> Any:
    from moto.s3.models import s3_backends

    return s3_backends[account][partition]


def _source_key(p: Pending) -> Any:
    try:
        return _backend(p.account, p.partition).get_object(p.source_bucket, p.key, version_id=p.version_id)
    except Exception:  # noqa: BLE001 - deleted meanwhile: nothing to copy
        return None


def _mark(p: Pending, status: str) -> None:
    key = _source_key(p)
    if key is not None:
        key._cloudops_replication = status


def copy(p: Pending) -> str:
    """Copy one version into its destination bucket; returns the source's new status."""
    backend = _backend(p.account, p.partition)
    src = _source_key(p)
    if src is None:
        return "FAILED"
    try:
        dest_bucket = backend.get_bucket(p.destination)
        source_bucket = backend.get_bucket(p.source_bucket)
    except Exception:  # noqa: BLE001 - the destination bucket is gone
        _mark(p, "FAILED")
        return "FAILED"
    if not (getattr(dest_bucket, "is_versioned", False) and getattr(source_bucket, "is_versioned", False)):
        _mark(p, "FAILED")
        return "FAILED"
    replica = backend.put_object(p.destination, p.key, src.value, storage=src.storage_class,
                                 disable_notification=True)
    replica._cloudops_replication = "REPLICA"
    replica.set_metadata(dict(src.metadata))
    replica._version_id = src.version_id  # S3 keeps the version id on the replica
    replica.last_modified = src.last_modified
    src._cloudops_replication = "COMPLETED"
    return "COMPLETED"


def _zero() -> dict[str, float]:
    return {"OperationsPendingReplication": 0, "BytesPendingReplication": 0, "ReplicationLatency": 0.0,
            "OperationsFailedReplication": 0}


@dataclass
class Rule:
    destination: str
    rule_id: str
    metrics: bool


def rule_for(bucket: Any, key_name: str) -> Rule | None:
    """The enabled replication rule that applies to `key_name` (the highest priority), else None."""
    config = getattr(bucket, "replication", None) or {}
    best: tuple[int, Rule] | None = None
    for rule in config.get("Rule") or []:
        if str(rule.get("Status", "")).lower() != "enabled":
            continue
        flt = rule.get("Filter") or {}
        prefix = rule.get("Prefix")
        if prefix is None:
            prefix = flt.get("Prefix") if isinstance(flt, dict) else None
            if prefix is None and isinstance(flt.get("And") if isinstance(flt, dict) else None, dict):
                prefix = flt["And"].get("Prefix")
        if prefix and not key_name.startswith(str(prefix)):
            continue
        destination = rule.get("Destination") or {}
        dest = str(destination.get("Bucket") or "").split(":::", 1)[-1]
        priority = int(rule.get("Priority") or 0)
        metrics = str((destination.get("Metrics") or {}).get("Status", "")).lower() == "enabled"
        if dest and (best is None or priority > best[0]):
            best = (priority, Rule(dest, str(rule.get("ID") or ""), metrics))
    return best[1] if best else None


_ORIGINALS: dict[str, Callable[..., Any]] = {}
INSTALLED: dict[str, Replicator] = {}


def install(delay_seconds: float = 1.0) -> Replicator:
    """Patch moto's S3 backend (in this process): put_object queues replication, HeadObject/GetObject show the status.
    Idempotent (a second call returns the running replicator)."""
    from moto.s3.models import FakeKey, S3Backend

    if "replicator" in INSTALLED:
        return INSTALLED["replicator"]
    replicator = Replicator(delay_seconds)
    INSTALLED["replicator"] = replicator
    original_put = _ORIGINALS.setdefault("put_object", S3Backend.put_object)

    def put_object(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        key = original_put(self, bucket_name, key_name, *args, **kwargs)
        if getattr(key, "_cloudops_replication", None) == "REPLICA":
            return key
        try:
            bucket = self.get_bucket(bucket_name)
            rule = rule_for(bucket, key_name)
            if rule is not None:
                replicator.enqueue(self.account_id, self.region_name, bucket, key, rule)
        except Exception:  # noqa: BLE001 - the put itself succeeded
            log.exception("queueing replication of %s/%s", bucket_name, key_name)
        return key

    original_dict = _ORIGINALS.setdefault("response_dict", FakeKey.response_dict)

    def response_dict(self: Any) -> dict[str, Any]:
        res = original_dict.fget(self)  # type: ignore[attr-defined]
        status = getattr(self, "_cloudops_replication", None)
        if status:
            res[HEADER] = status
        return res

    S3Backend.put_object = put_object
    FakeKey.response_dict = property(response_dict)
    return replicator


def publish_metrics(endpoint: str, replicator: Replicator | None = None) -> list[dict[str, Any]]:
    """Put the replication metrics of every rule with metrics enabled (the daemon's ticker calls this every period)."""
    replicator = replicator or INSTALLED.get("replicator")
    if replicator is None:
        return []
    out = replicator.metrics()
    for m in out:
        put_metrics(endpoint, m)
    return out


METRIC_UNITS = {"OperationsPendingReplication": "Count", "BytesPendingReplication": "Bytes",
                "ReplicationLatency": "Seconds", "OperationsFailedReplication": "Count"}


def put_metrics(endpoint: str, m: dict[str, Any], timestamps: list[dt.datetime] | None = None) -> None:
    """One rule's replication metrics (m: region, source_bucket, destination_bucket, rule_id and the values)."""
    from sandbox.config import aws_client

    dims = [{"Name": "SourceBucket", "Value": m["source_bucket"]},
            {"Name": "DestinationBucket", "Value": m["destination_bucket"]}, {"Name": "RuleId", "Value": m["rule_id"]}]
    stamps = timestamps or [dt.datetime.now(dt.timezone.utc)]
    aws_client("cloudwatch", endpoint, m["region"] or "us-east-1").put_metric_data(Namespace="AWS/S3", MetricData=[
        {"MetricName": name, "Timestamp": t, "Value": float(m.get(name, 0)), "Unit": unit, "Dimensions": dims}
        for name, unit in METRIC_UNITS.items() for t in stamps])


# -- seeding -----------------------------------------------------------------------------------------------------------
def seed(seeder: Any) -> list[dict[str, Any]]:
    """The estate's buckets (cloudops_buckets): each source bucket in the primary region and its copy (`dr_name`) in
    DR, both versioned, the replication rule (whole bucket unless `prefix`), the seed objects put into the source (they
    replicate as any put does). Called by aws_seed.Seeder.run."""
    from sandbox.config import MOTO_ACCOUNT_ID

    out = []
    s3_seed = seeder.seed["s3"]
    for spec in seeder.inv.get("cloudops_buckets") or []:
        regions = {"primary": spec.get("region") or seeder.regions["primary"]}
        if spec.get("dr_name") and "dr" in seeder.sides:
            regions["dr"] = spec.get("dr_region") or seeder.regions["dr"]
        names = {"primary": spec["name"], "dr": spec.get("dr_name")}
        for side, region in regions.items():
            s3 = seeder.client("s3", region)
            kwargs = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
            s3.create_bucket(Bucket=names[side], **kwargs)
            s3.put_bucket_versioning(Bucket=names[side], VersioningConfiguration={"Status": "Enabled"})
            s3.put_bucket_tagging(Bucket=names[side], Tagging={"TagSet": seeder.tags()})
        s3 = seeder.client("s3", regions["primary"])
        if "dr" in regions:
            rule: dict[str, Any] = {"ID": "cloudops-dr", "Priority": 1, "Status": "Enabled",
                                    "Filter": {"Prefix": spec.get("prefix") or ""},
                                    "DeleteMarkerReplication": {"Status": "Disabled"},
                                    "Destination": {"Bucket": f"arn:aws:s3:::{names['dr']}",  # metrics on (AWS/S3)
                                                    "Metrics": {"Status": "Enabled",
                                                                "EventThreshold": {"Minutes": 15}}}}
            s3.put_bucket_replication(Bucket=spec["name"], ReplicationConfiguration={
                "Role": f"arn:aws:iam::{MOTO_ACCOUNT_ID}:role/{spec['name']}-replication", "Rules": [rule]})
            now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)  # 10 calm minutes of metrics, as for lags
            put_metrics(seeder.endpoint, {"region": regions["primary"], "source_bucket": spec["name"],
                                          "destination_bucket": names["dr"], "rule_id": rule["ID"]},
                        timestamps=[now - dt.timedelta(seconds=60 * i) for i in range(9, -1, -1)])
        for key, body in (s3_seed.get("objects") or {}).items():
            s3.put_object(Bucket=spec["name"], Key=key, Body=str(body).encode())
        out.append({"name": spec["name"], "region": regions["primary"], "dr_name": names["dr"],
                    "dr_region": regions.get("dr")})
    seeder.out["buckets"] = out
    return out
