"""Operation durations in the sandbox: AWS operations that take minutes read as in progress, then finish.

Profile `instant` (the default, what tests use) changes nothing: moto's answers as they are. Profile `realistic`
gives each modelled operation the real-AWS duration from profiles/realistic.yml (times a scale factor). State is
lazy: when an operation is called, the model records a transition with its deadline; what the API reports is
computed when it is read (the in-progress state until the deadline, then the final state), so no background thread
is needed. Only what the API *reports* changes: moto and the RDS data plane (rdsdata/hooks.py) apply each call at
once, as before.

Modelled (moto patches installed in the daemon process by `install()`):
- RDS instances: `creating` (create, read replica, restores), `modifying` (promote, modify), `rebooting`,
  `deleting` (the instance stays listed until the deadline, then DBInstanceNotFound). A mutating call on an
  instance that is not `available` because of one of these fails with InvalidDBInstanceState, as on AWS.
- RDS snapshots: `creating` / `copying` with a growing PercentProgress, then `available`.
- Aurora global databases (rdsdata/aurora.py starts these transitions): SwitchoverGlobalCluster /
  FailoverGlobalCluster leave the global cluster `switching-over` / `failing-over` with its FailoverState, the members'
  IsWriter as before, until the deadline (rds.global_switchover / rds.global_failover); then `available`, swapped.
- Route 53: ChangeResourceRecordSets answers a fresh change id, PENDING; GetChange reads PENDING until INSYNC.
- EKS: UpdateNodegroupConfig leaves the node group UPDATING and the update InProgress (DescribeUpdate, which moto
  lacks, is added), then ACTIVE / Successful.
- ELBv2: a registered target reads `initial` (Elb.RegistrationInProgress) before its real health; a deregistered
  one `draining` (Target.DeregistrationInProgress) before it disappears.

Each transition is recorded {service, resource, operation, final_state, started_at, final_at, observed_at}:
observed_at is when an API answer first showed the final state after final_at (detection latency = observed_at -
final_at). The sandbox's own calls (faults.current_call_exempt) neither start transitions nor count as observations.
"""

from __future__ import annotations

import collections
import functools
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import yaml

from sandbox.faults import current_call_exempt

PROFILES = ("instant", "realistic")
PROFILE_FILE = Path(__file__).resolve().parent / "profiles" / "realistic.yml"
TRANSITIONS_CAP = 20_000


def realistic_durations() -> dict[str, float]:
    return {k: float(v) for k, v in (yaml.safe_load(PROFILE_FILE.read_text()) or {}).items()}


@dataclass
class Transition:
    service: str
    kind: str  # what the resource is: db-instance, db-snapshot, change, nodegroup, target
    region: str
    resource: str
    operation: str
    in_progress: str
    final_state: str
    started_at: float
    final_at: float
    observed_at: float | None = None
    on_final: Callable[[], None] | None = field(default=None, repr=False)
    settled: bool = False
    extra: dict[str, Any] = field(default_factory=dict, repr=False)

    def public(self) -> dict[str, Any]:
        return {"service": self.service, "resource": self.resource, "operation": self.operation,
                "region": self.region, "final_state": self.final_state, "started_at": self.started_at,
                "final_at": self.final_at, "observed_at": self.observed_at}

    def due(self, now: float | None = None) -> bool:
        return (time.time() if now is None else now) >= self.final_at


class TimingModel:
    """The profile and every recorded transition. Thread-safe (moto's server handles requests in threads)."""

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.base = realistic_durations()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.profile, self.scale, self.overrides = "instant", 1.0, {}
            self.transitions: collections.deque[Transition] = collections.deque(maxlen=TRANSITIONS_CAP)
            self.latest: dict[tuple[str, str, str, str], Transition] = {}

    def configure(self, profile: str = "instant", scale: float = 1.0,
                  durations: dict[str, float] | None = None) -> dict[str, Any]:
        if profile not in PROFILES:
            raise ValueError(f"unknown timing profile {profile!r} (choose from {list(PROFILES)})")
        if float(scale) < 0:
            raise ValueError("scale must be >= 0")
        unknown = sorted(set(durations or {}) - set(self.base))
        if unknown:
            raise ValueError(f"unknown durations {unknown} (known: {sorted(self.base)})")
        with self.lock:
            self.profile, self.scale = profile, float(scale)
            self.overrides = {k: float(v) for k, v in (durations or {}).items()}
            return self.state()

    def state(self) -> dict[str, Any]:
        with self.lock:
            real = {**self.base, **self.overrides}
            return {"profile": self.profile, "scale": self.scale, "durations": real,
                    "effective_seconds": {k: self.duration(k) for k in real}}

    @property
    def active(self) -> bool:
        return self.profile != "instant"

    def duration(self, key: str) -> float:
        """Seconds the operation takes now (0 under the instant profile)."""
        if self.profile == "instant":
            return 0.0
        return {**self.base, **self.overrides}[key] * self.scale

    def start(self, key: str, service: str, kind: str, region: str, resource: str, operation: str,
              in_progress: str, final_state: str, on_final: Callable[[], None] | None = None,
              **extra: Any) -> Transition | None:
        """Record a transition (realistic profile, calls from outside the sandbox only). Returns it, or None."""
        if not self.active or current_call_exempt():
            return None
        now = time.time()
        t = Transition(service, kind, region, resource, operation, in_progress, final_state, now,
                       now + self.duration(key), on_final=on_final, extra=extra)
        with self.lock:
            self.transitions.append(t)
            self.latest[(service, kind, region, resource)] = t
        self.settle()
        return t

    def find(self, service: str, kind: str, region: str, resource: str) -> Transition | None:
        with self.lock:
            return self.latest.get((service, kind, region, resource))

    def running(self, service: str, kind: str, region: str, resource: str) -> Transition | None:
        """The resource's transition if it is still in progress."""
        t = self.find(service, kind, region, resource)
        return t if t is not None and not t.due() else None

    def settle(self) -> None:
        """Apply the final state of every transition whose deadline has passed (moto model changes)."""
        now = time.time()
        with self.lock:
            for t in list(self.latest.values()):
                if not t.settled and t.due(now):
                    t.settled = True
                    if t.on_final:
                        t.on_final()

    def observe(self, t: Transition | None) -> None:
        """An API answer (to a caller outside the sandbox) has just shown `t`'s final state."""
        if t is None or current_call_exempt():
            return
        now = time.time()
        with self.lock:
            if t.observed_at is None and t.due(now):
                t.observed_at = now

    def pending_of(self, service: str, kind: str) -> list[Transition]:
        with self.lock:
            return [t for (s, k, _, _), t in self.latest.items() if s == service and k == kind]

    def public(self) -> list[dict[str, Any]]:
        with self.lock:
            return [t.public() for t in self.transitions]

    def clear_log(self) -> None:
        """Empty the recorded list. Operations still running keep their deadlines (their final state still comes)
        but are no longer reported."""
        self.settle()
        with self.lock:
            self.transitions.clear()
            self.latest = {k: t for k, t in self.latest.items() if not t.settled}


MODEL = TimingModel()


# -- RDS ---------------------------------------------------------------------------------------------------------------
# action -> (duration key, parameter naming the instance, in-progress status)
RDS_INSTANCE_OPS = {
    "CreateDBInstance": ("rds.create", "DBInstanceIdentifier", "creating"),
    "CreateDBInstanceReadReplica": ("rds.create_read_replica", "DBInstanceIdentifier", "creating"),
    "RestoreDBInstanceFromDBSnapshot": ("rds.restore", "DBInstanceIdentifier", "creating"),
    "RestoreDBInstanceToPointInTime": ("rds.restore", "TargetDBInstanceIdentifier", "creating"),
    "PromoteReadReplica": ("rds.promote", "DBInstanceIdentifier", "modifying"),
    "ModifyDBInstance": ("rds.modify", "DBInstanceIdentifier", "modifying"),
    "RebootDBInstance": ("rds.reboot", "DBInstanceIdentifier", "rebooting"),
    "DeleteDBInstance": ("rds.delete", "DBInstanceIdentifier", "deleting"),
}
RDS_SNAPSHOT_OPS = {
    "CreateDBSnapshot": ("rds.create_snapshot", "DBSnapshotIdentifier", "creating"),
    "CopyDBSnapshot": ("rds.copy_snapshot", "TargetDBSnapshotIdentifier", "copying"),
}
# Calls AWS refuses while the named instance is not `available` (parameter naming the instance).
RDS_NEEDS_AVAILABLE = {
    "ModifyDBInstance": "DBInstanceIdentifier", "RebootDBInstance": "DBInstanceIdentifier",
    "PromoteReadReplica": "DBInstanceIdentifier", "CreateDBSnapshot": "DBInstanceIdentifier",
    "StopDBInstance": "DBInstanceIdentifier", "StartDBInstance": "DBInstanceIdentifier",
    "CreateDBInstanceReadReplica": "SourceDBInstanceIdentifier", "DeleteDBInstance": "DBInstanceIdentifier",
}


def _split_arn(identifier: str, region: str) -> tuple[str, str]:
    if identifier.startswith("arn:"):
        parts = identifier.split(":")
        return parts[3], parts[-1]
    return region, identifier


def _text(body: Any) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else str(body or "")


def _rds_refusal(resp: Any, action: str) -> Exception | None:
    """InvalidDBInstanceState when the call targets an instance still in a modelled transition."""
    from moto.rds.exceptions import RDSClientError

    param = RDS_NEEDS_AVAILABLE.get(action)
    if param is None or current_call_exempt() or not resp._get_param(param):
        return None
    region, iid = _split_arn(resp._get_param(param), resp.region)
    t = MODEL.running("rds", "db-instance", region, iid)
    if t is None:
        return None
    if action == "DeleteDBInstance" and t.in_progress != "deleting":
        return None  # RDS deletes an instance whatever it is doing, unless it is already being deleted
    message = (f"Instance {iid} is already being deleted." if t.in_progress == "deleting"
               else f"Instance {iid} is not in available state (it is {t.in_progress}).")
    return RDSClientError("InvalidDBInstanceState", message)


def _rds_start(resp: Any, action: str, deleted: Any) -> None:
    backend = resp.backend
    if action in RDS_INSTANCE_OPS:
        key, param, in_progress = RDS_INSTANCE_OPS[action]
        iid = resp._get_param(param)
        if action == "ModifyDBInstance" and resp._get_param("NewDBInstanceIdentifier"):
            iid = resp._get_param("NewDBInstanceIdentifier")
        db = deleted if action == "DeleteDBInstance" else backend.databases.get(iid)
        if db is None or (action != "DeleteDBInstance" and db.status != "available"):
            return  # moto or the data plane left it in another state (stopped, failed): report that as it is
        if MODEL.duration(key) <= 0 and action != "DeleteDBInstance":
            return
        if action == "DeleteDBInstance":
            if MODEL.duration(key) <= 0 or not MODEL.active or current_call_exempt():
                return
            backend.databases[iid] = db  # still listed, `deleting`, until the deadline

            def on_final(db=db, iid=iid) -> None:
                if backend.databases.get(iid) is db:
                    backend.databases.pop(iid)
            final = "deleted"
        else:
            def on_final(db=db, status=in_progress) -> None:
                if db.status == status:
                    db.status = "available"
            final = "available"
        t = MODEL.start(key, "rds", "db-instance", resp.region, iid, action, in_progress, final, on_final)
        if t is not None and not t.due():
            db.status = in_progress
    elif action in RDS_SNAPSHOT_OPS:
        key, param, in_progress = RDS_SNAPSHOT_OPS[action]
        sid = str(resp._get_param(param)).lower()
        snap = backend.database_snapshots.get(sid)
        if snap is None or snap.status != "available" or MODEL.duration(key) <= 0:
            return

        def on_final(snap=snap, status=in_progress) -> None:
            if snap.status == status:
                snap.status, snap.percent_progress = "available", 100
        t = MODEL.start(key, "rds", "db-snapshot", resp.region, sid, action, in_progress, "available", on_final,
                        snapshot=snap)
        if t is not None and not t.due():
            snap.status, snap.percent_progress = in_progress, 0


def _answered_in_progress(resp: Any, action: str, body: Any) -> Any:
    """The answer to a call that started a modelled operation on an instance shows it in progress, as AWS's does
    (moto serializes it before _rds_start marks it: a promotion would answer `available`, already detached, where AWS
    answers `modifying`). DeleteDBInstance's answer keeps moto's (the instance as it was)."""
    if action not in RDS_INSTANCE_OPS or action == "DeleteDBInstance":
        return body
    key, param, in_progress = RDS_INSTANCE_OPS[action]
    iid = resp._get_param("NewDBInstanceIdentifier") if action == "ModifyDBInstance" else None
    db = resp.backend.databases.get(iid or resp._get_param(param))
    if db is None or db.status != in_progress:
        return body  # no transition started (the instant profile, or moto left it in another state)
    text = _text(body)
    answered = re.sub(r"<DBInstanceStatus>[^<]*</DBInstanceStatus>", "<DBInstanceStatus>%s</DBInstanceStatus>" % in_progress, text,
                      count=1)
    return answered.encode() if isinstance(body, bytes) else answered


def _rds_progress() -> None:
    """PercentProgress of snapshots being made, from the elapsed share of their duration."""
    now = time.time()
    for t in MODEL.pending_of("rds", "db-snapshot"):
        snap = t.extra.get("snapshot")
        if snap is not None and not t.due(now) and snap.status == t.in_progress:
            span = max(t.final_at - t.started_at, 1e-9)
            snap.percent_progress = max(0, min(99, int(100 * (now - t.started_at) / span)))


def _requested_ids(resp: Any, param: str, filter_name: str) -> set[str] | None:
    """Identifiers a Describe call asked for (None: all of them)."""
    asked = resp._get_param(param)
    if asked:
        return {_split_arn(asked, resp.region)[1].lower()}
    filters = resp._get_param("Filters") or []
    values = [v for f in filters if isinstance(f, dict) and f.get("Name") == filter_name
              for v in (f.get("Values") or [])]
    if filters and not values:
        return set()  # filtered on something else: the answer says nothing about a missing instance
    return {_split_arn(v, resp.region)[1].lower() for v in values} if values else None


def _rds_observe(resp: Any, action: str, status: int, body: str) -> None:
    if current_call_exempt():
        return
    if action == "DescribeDBInstances":
        asked = _requested_ids(resp, "DBInstanceIdentifier", "db-instance-id")
        for t in MODEL.pending_of("rds", "db-instance"):
            if t.region != resp.region or not t.settled or t.observed_at is not None:
                continue
            listed = f"<DBInstanceIdentifier>{t.resource}</DBInstanceIdentifier>" in body
            if t.final_state == "deleted":
                covered = asked is None or t.resource.lower() in asked
                if covered and not listed and (status == 200 or "DBInstanceNotFound" in body):
                    MODEL.observe(t)
            elif listed and status == 200:
                MODEL.observe(t)
    elif action == "DescribeDBSnapshots" and status == 200:
        for t in MODEL.pending_of("rds", "db-snapshot"):
            if (t.region == resp.region and t.settled and t.observed_at is None
                    and f"<DBSnapshotIdentifier>{t.resource}</DBSnapshotIdentifier>" in body):
                MODEL.observe(t)


def _install_rds() -> None:
    from moto.core.responses import ActionResult
    from moto.rds.responses import RDSResponse

    original = RDSResponse.call_action
    if getattr(original, "_cloudops_timing", False):
        return

    def call_action(self: Any) -> Any:
        MODEL.settle()
        _rds_progress()
        action = self._get_action()
        refusal = _rds_refusal(self, action)
        if refusal is not None:
            status, headers, body = self.serialized(ActionResult(refusal))
            headers["status"] = str(status)
            return status, headers, body
        deleted = None
        if action == "DeleteDBInstance":
            deleted = self.backend.databases.get(self._get_param("DBInstanceIdentifier"))
        status, headers, body = original(self)
        if status < 300:
            _rds_start(self, action, deleted)
            body = _answered_in_progress(self, action, body)
            if "content-length" in headers:
                headers["content-length"] = str(len(body if isinstance(body, bytes) else body.encode()))
        _rds_observe(self, action, status, _text(body))
        return status, headers, body

    call_action._cloudops_timing = True  # type: ignore[attr-defined]
    RDSResponse.call_action = call_action


# -- Route 53 ----------------------------------------------------------------------------------------------------------
def _change_id(raw: str) -> str:
    return str(raw or "").rsplit("/", 1)[-1]


def _install_route53() -> None:
    from moto.route53.responses import Route53

    original_change = Route53.change_resource_record_sets
    original_get = Route53.get_change
    if getattr(original_change, "_cloudops_timing", False):
        return

    @functools.wraps(original_change)
    def change_resource_record_sets(self: Any) -> Any:
        result = original_change(self)
        if MODEL.active and not current_call_exempt():
            info = result.result["ChangeInfo"]
            change_id = "C" + uuid.uuid4().hex[:13].upper()  # each batch its own change, as Route 53 does
            t = MODEL.start("route53.change", "route53", "change", "global", change_id,
                            "ChangeResourceRecordSets", "PENDING", "INSYNC")
            info["Id"] = f"/change/{change_id}"
            if t is not None and not t.due():
                info["Status"] = "PENDING"
        return result

    @functools.wraps(original_get)
    def get_change(self: Any) -> Any:
        result = original_get(self)
        t = MODEL.find("route53", "change", "global", _change_id(self._get_param("Id")))
        if t is not None:
            info = result.result["ChangeInfo"]
            info["SubmittedAt"] = _utc(t.started_at)
            if t.due():
                MODEL.observe(t)
            else:
                info["Status"] = "PENDING"
        return result

    change_resource_record_sets._cloudops_timing = True  # type: ignore[attr-defined]
    Route53.change_resource_record_sets = change_resource_record_sets
    Route53.get_change = get_change


def _utc(epoch: float) -> Any:
    import datetime as dt

    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc)


# -- EKS ---------------------------------------------------------------------------------------------------------------
# (region, cluster, update id) -> the update as UpdateNodegroupConfig returned it. DescribeUpdate reads it.
EKS_UPDATES: dict[tuple[str, str, str], dict[str, Any]] = {}


def _install_eks() -> None:
    import moto.eks.urls as eks_urls
    from moto.core.responses import ActionResult
    from moto.eks.exceptions import ResourceNotFoundException
    from moto.eks.responses import EKSResponse

    original_update = EKSResponse.update_nodegroup_config
    original_describe = EKSResponse.describe_nodegroup
    if getattr(original_update, "_cloudops_timing", False):
        return
    eks_urls.url_paths.setdefault("{0}/clusters/(?P<name>[^/]+)/updates/(?P<updateId>[^/]+)$",
                                  eks_urls.response.dispatch)

    @functools.wraps(original_update)
    def update_nodegroup_config(self: Any) -> Any:
        result = original_update(self)
        cluster, name = self._get_param("name"), self._get_param("nodegroupName")
        update = result.result["update"]
        nodegroup = self.eks_backend.clusters[cluster].nodegroups[name]

        def on_final(nodegroup=nodegroup) -> None:
            if nodegroup.status == "UPDATING":
                nodegroup.status = "ACTIVE"
        t = MODEL.start("eks.nodegroup_update", "eks", "nodegroup", self.region, f"{cluster}/{name}",
                        "UpdateNodegroupConfig", "UPDATING", "ACTIVE", on_final, update_id=update["id"])
        if t is not None and not t.due():
            nodegroup.status, update["status"] = "UPDATING", "InProgress"
        EKS_UPDATES[(self.region, cluster, update["id"])] = {**update, "_transition": t}
        return result

    @functools.wraps(original_describe)
    def describe_nodegroup(self: Any) -> Any:
        MODEL.settle()
        result = original_describe(self)
        cluster, name = self._get_param("name"), self._get_param("nodegroupName")
        t = MODEL.find("eks", "nodegroup", self.region, f"{cluster}/{name}")
        if t is not None and t.settled:
            MODEL.observe(t)
        return result

    def describe_update(self: Any) -> Any:
        MODEL.settle()
        cluster, update_id = self._get_param("name"), self._get_param("updateId")
        stored = EKS_UPDATES.get((self.region, cluster, update_id))
        if stored is None:
            raise ResourceNotFoundException(clusterName=cluster, nodegroupName=self._get_param("nodegroupName"),
                                            fargateProfileName=None, addonName=None,
                                            message=f"No update found for ID: {update_id}")
        update = {k: v for k, v in stored.items() if k != "_transition"}
        t = stored["_transition"]
        if t is not None:
            update["status"] = "Successful" if t.due() else "InProgress"
            if t.due():
                MODEL.observe(t)
        return ActionResult({"update": update})

    update_nodegroup_config._cloudops_timing = True  # type: ignore[attr-defined]
    EKSResponse.update_nodegroup_config = update_nodegroup_config
    EKSResponse.describe_nodegroup = describe_nodegroup
    EKSResponse.describe_update = describe_update


# -- ELBv2 -------------------------------------------------------------------------------------------------------------
_TARGET_STATES = {"initial": ("Elb.RegistrationInProgress", "Target registration is in progress"),
                  "draining": ("Target.DeregistrationInProgress", "Target deregistration is in progress")}


def _tg_region(arn: str) -> str:
    return arn.split(":")[3]


def _install_elbv2() -> None:
    from moto.elbv2.models import ELBv2Backend, FakeHealthStatus, FakeTargetGroup

    original_register, original_deregister = FakeTargetGroup.register, FakeTargetGroup.deregister
    original_health, original_describe = FakeTargetGroup.health_for, ELBv2Backend.describe_target_health
    if getattr(original_register, "_cloudops_timing", False):
        return

    def _start(tg: Any, targets: list[dict[str, Any]], key: str, operation: str, state: str, final: str) -> None:
        for target in targets:
            MODEL.start(key, "elbv2", "target", _tg_region(tg.arn), f"{tg.name}/{target['Id']}", operation, state,
                        final, target={"Id": target["Id"], "Port": target.get("Port", tg.port)}, arn=tg.arn)

    def register(self: Any, targets: list[dict[str, Any]]) -> None:
        original_register(self, targets)
        _start(self, targets, "elbv2.target_registration", "RegisterTargets", "initial", "healthy")

    def deregister(self: Any, targets: list[dict[str, Any]]) -> None:
        original_deregister(self, targets)
        _start(self, targets, "elbv2.target_deregistration", "DeregisterTargets", "draining", "unused")

    def health_for(self: Any, target: dict[str, Any], ec2_backend: Any) -> Any:
        t = MODEL.running("elbv2", "target", _tg_region(self.arn), f"{self.name}/{target['Id']}")
        if t is not None:
            reason, description = _TARGET_STATES[t.in_progress]
            return FakeHealthStatus(target["Id"], target.get("Port", self.port), self.health_check_port,
                                    t.in_progress, reason, description)
        return original_health(self, target, ec2_backend)

    def describe_target_health(self: Any, target_group_arn: str, targets: list[dict[str, Any]]) -> Any:
        tg = self.target_groups.get(target_group_arn)
        asked = list(targets or [])
        if tg is not None and not asked:
            # Draining targets are no longer registered in moto but AWS still lists them until the delay ends.
            asked = list(tg.targets.values()) + [
                t.extra["target"] for t in MODEL.pending_of("elbv2", "target")
                if t.extra["arn"] == tg.arn and not t.due() and t.in_progress == "draining"
                and t.extra["target"]["Id"] not in tg.targets]
        result = original_describe(self, target_group_arn, asked) if asked or tg is None else []
        if tg is not None and not current_call_exempt():
            states = {h.instance_id: h.status for h in result}
            for t in MODEL.pending_of("elbv2", "target"):
                if t.extra["arn"] != tg.arn or not t.due() or t.observed_at is not None:
                    continue
                tid = t.extra["target"]["Id"]
                if (t.in_progress == "initial" and states.get(tid) not in (None, "initial")) or (
                        t.in_progress == "draining" and states.get(tid) in (None, "unused")):
                    MODEL.observe(t)
        return result

    register._cloudops_timing = True  # type: ignore[attr-defined]
    FakeTargetGroup.register, FakeTargetGroup.deregister = register, deregister
    FakeTargetGroup.health_for = health_for
    ELBv2Backend.describe_target_health = describe_target_health


def _install_rds_status_infos() -> None:
    """Report StatusInfos `read replication` on a replica, as RDS does (moto never does). amazon.aws rds_instance
    promotes only an instance showing it and waits on it; a replica being promoted shows it until the promotion
    ends (the data-plane hook clears the source at the call)."""
    from moto.rds.models import DBInstance

    if isinstance(getattr(DBInstance, "status_infos", None), property):
        return

    def status_infos(self: Any) -> list[dict[str, Any]] | None:
        replicating = bool(self.source_db_instance_identifier)
        if not replicating:
            promoting = MODEL.running("rds", "db-instance", self.region, self.db_instance_identifier)
            replicating = promoting is not None and promoting.operation == "PromoteReadReplica"
        return [{"StatusType": "read replication", "Normal": True, "Status": "replicating"}] if replicating else None

    DBInstance.status_infos = property(status_infos)


def install() -> None:
    """Install every timing patch on moto (in this process). Idempotent."""
    _install_rds()
    _install_rds_status_infos()
    _install_route53()
    _install_eks()
    _install_elbv2()


def parse_spec(spec: str) -> tuple[str, float]:
    """`realistic:0.05` / `realistic` / `instant` (CLOUDOPS_SANDBOX_TIMING) -> (profile, scale)."""
    profile, _, scale = spec.strip().partition(":")
    if profile not in PROFILES:
        raise ValueError(f"timing {spec!r}: profile must be one of {list(PROFILES)}")
    try:
        return profile, float(scale) if scale else 1.0
    except ValueError:
        raise ValueError(f"timing {spec!r}: scale must be a number") from None


def parse_durations(items: list[str]) -> dict[str, float]:
    """`rds.promote=30` items -> {key: seconds}."""
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not re.fullmatch(r"[a-z0-9_.]+", key):
            raise ValueError(f"duration {item!r}: expected KEY=SECONDS")
        out[key] = float(value)
    return out


def reset() -> None:
    """Back to the instant profile with nothing recorded."""
    MODEL.reset()
    EKS_UPDATES.clear()
