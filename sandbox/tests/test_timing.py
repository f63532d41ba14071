"""The sandbox's timing model (sandbox/timing.py) seen through real boto3 calls on a real sandbox daemon.

Each test gives the operations it triggers a short duration (about a second), reads the in-progress state AWS
shows, polls until the final state, and checks the recorded transition. Clients are plain boto3 clients (as the
runbooks use), not the sandbox's own (which are exempt).
"""
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from sandbox import knobs, timing
from sandbox.config import aws_client
from sandbox.tests.conftest import run_sandbox_cli

SHORT = 1.5  # seconds each modelled operation takes in these tests
PRIMARY, DR = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    """An AWS-only sandbox started with the realistic profile (proves `up --timing`), down at the end."""
    state_dir = tmp_path_factory.mktemp("timing-sandbox")
    run_sandbox_cli("up", "--no-k8s", "--timing", "realistic", "--timing-scale", "0.5", "--state-dir", state_dir,
                    timeout=180)
    try:
        yield knobs.Sandbox(state_dir)
    finally:
        run_sandbox_cli("down", "--state-dir", state_dir, check=False)


@pytest.fixture
def realistic(sb):
    """Every duration SHORT seconds for the test, then back to instant and an empty log."""
    state = knobs.timing(sb, "realistic", 1.0, {k: SHORT for k in timing.realistic_durations()})
    knobs.api_calls(sb, reset=True)
    yield state
    knobs.timing(sb, "instant", 1.0)
    knobs.api_calls(sb, reset=True)


def client(sb, service, region=PRIMARY):
    return boto3.client(service, endpoint_url=sb.endpoint, region_name=region, aws_access_key_id="testing",
                        aws_secret_access_key="testing", config=Config(retries={"max_attempts": 1}))


def poll(read, done, timeout=30.0):
    """Read until done(value); return every value read (first one included)."""
    seen, deadline = [], time.monotonic() + timeout
    while True:
        seen.append(read())
        if done(seen[-1]):
            return seen
        assert time.monotonic() < deadline, f"still {seen[-1]!r} after {timeout} s"
        time.sleep(0.05)


def db_status(rds, iid):
    try:
        return rds.describe_db_instances(DBInstanceIdentifier=iid)["DBInstances"][0]["DBInstanceStatus"]
    except ClientError as exc:
        return exc.response["Error"]["Code"]


def replication(rds, iid):
    """The statuses of the instance's `read replication` StatusInfos."""
    found = rds.describe_db_instances(DBInstanceIdentifier=iid)["DBInstances"][0].get("StatusInfos") or []
    return [info["Status"] for info in found if info["StatusType"] == "read replication"]


def transition(sb, resource, operation):
    found = [t for t in knobs.api_calls(sb)["transitions"] if t["resource"] == resource and t["operation"] == operation]
    assert len(found) == 1, found
    return found[0]


def assert_observed(t):
    assert t["final_at"] - t["started_at"] == pytest.approx(SHORT, abs=0.01)
    assert t["observed_at"] is not None and t["observed_at"] >= t["final_at"], t


def test_up_applies_the_timing_profile_and_knob_changes_it(sb):
    # `up --timing realistic --timing-scale 0.5` set it once the estate was seeded (seeding itself stayed instant).
    state = knobs.timing_state(sb)
    assert knobs.timing(sb, "instant", 1.0)["profile"] == "instant"
    assert knobs.api_calls(sb)["calls"] == []  # the seeder's calls are the sandbox's own: not counted
    assert db_status(client(sb, "rds"), sb.inventory["cloudops_rds"]["primary"]["instance_id"]) == "available"
    state = knobs.timing(sb, "realistic", 0.5, {"rds.promote": 30})
    assert state["effective_seconds"]["rds.promote"] == 15
    assert state["effective_seconds"]["route53.change"] == 0.5 * timing.realistic_durations()["route53.change"]
    with pytest.raises(ValueError, match="unknown durations"):
        knobs.timing(sb, "realistic", 1.0, {"rds.teleport": 1})
    with pytest.raises(ValueError, match="profile"):
        knobs.timing(sb, "glacial", 1.0)
    knobs.timing(sb, "instant", 1.0)


def test_up_timing_from_the_environment(monkeypatch):
    from sandbox.cli import build_parser, up_timing

    args = build_parser().parse_args(["up"])
    monkeypatch.setenv("CLOUDOPS_SANDBOX_TIMING", "realistic:0.05")
    assert up_timing(args) == ("realistic", 0.05)
    monkeypatch.delenv("CLOUDOPS_SANDBOX_TIMING")
    assert up_timing(args) == ("instant", 1.0)
    assert up_timing(build_parser().parse_args(["up", "--timing", "realistic", "--timing-scale", "0.1"])) == \
        ("realistic", 0.1)


def test_rds_reboot_reads_rebooting_refuses_mutations_then_available(sb, realistic):
    rds, iid = client(sb, "rds", DR), sb.inventory["cloudops_rds"]["replica"]["instance_id"]
    rds.reboot_db_instance(DBInstanceIdentifier=iid)
    assert db_status(rds, iid) == "rebooting"
    for call in (lambda: rds.modify_db_instance(DBInstanceIdentifier=iid, BackupRetentionPeriod=3,
                                                ApplyImmediately=True),
                 lambda: rds.promote_read_replica(DBInstanceIdentifier=iid),
                 lambda: rds.create_db_snapshot(DBInstanceIdentifier=iid, DBSnapshotIdentifier="refused-snap")):
        with pytest.raises(ClientError) as err:
            call()
        assert err.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    seen = poll(lambda: db_status(rds, iid), lambda s: s == "available")
    assert set(seen) == {"rebooting", "available"}
    assert_observed(transition(sb, iid, "RebootDBInstance"))
    rds.modify_db_instance(DBInstanceIdentifier=iid, BackupRetentionPeriod=7, ApplyImmediately=True)  # accepted now
    assert poll(lambda: db_status(rds, iid), lambda s: s == "available")[0] == "modifying"


def test_replica_created_promoted_and_deleted_as_rds_shows_it(sb, realistic):
    rds = client(sb, "rds", PRIMARY)
    source = sb.inventory["cloudops_rds"]["primary"]["instance_id"]
    iid = "timing-replica"
    # Each call's own answer shows the operation in progress, as AWS's does (a waiter may take it for its first look).
    answer = rds.create_db_instance_read_replica(DBInstanceIdentifier=iid, SourceDBInstanceIdentifier=source,
                                                 DBInstanceClass="db.t3.micro")["DBInstance"]
    assert answer["DBInstanceStatus"] == "creating"
    assert poll(lambda: db_status(rds, iid), lambda s: s == "available")[0] == "creating"
    assert replication(rds, iid) == ["replicating"]  # what amazon.aws rds_instance checks before it promotes
    assert rds.promote_read_replica(DBInstanceIdentifier=iid)["DBInstance"]["DBInstanceStatus"] == "modifying"
    seen = poll(lambda: (db_status(rds, iid), replication(rds, iid)), lambda s: s[0] == "available")
    assert seen[0] == ("modifying", ["replicating"]) and seen[-1] == ("available", [])
    # The data plane really promoted it (the hooks ran when the call was made, not when the status turned).
    inst = next(i for i in knobs.http_json(sb.control + "/rds")["instances"] if i["instance_id"] == iid)
    assert inst["role"] == "primary", inst
    rds.delete_db_instance(DBInstanceIdentifier=iid, SkipFinalSnapshot=True)
    with pytest.raises(ClientError) as err:  # RDS refuses a second delete while the first runs
        rds.delete_db_instance(DBInstanceIdentifier=iid, SkipFinalSnapshot=True)
    assert err.value.response["Error"]["Code"] == "InvalidDBInstanceState"
    seen = poll(lambda: db_status(rds, iid), lambda s: s == "DBInstanceNotFound")
    assert seen[0] == "deleting"
    for operation in ("CreateDBInstanceReadReplica", "PromoteReadReplica", "DeleteDBInstance"):
        assert_observed(transition(sb, iid, operation))
    assert transition(sb, iid, "DeleteDBInstance")["final_state"] == "deleted"


def test_snapshot_creating_with_progress_then_available_and_copy(sb, realistic):
    rds = client(sb, "rds", PRIMARY)
    source = sb.inventory["cloudops_rds"]["primary"]["instance_id"]
    rds.create_db_snapshot(DBInstanceIdentifier=source, DBSnapshotIdentifier="timing-snap")

    def read(sid):
        snap = rds.describe_db_snapshots(DBSnapshotIdentifier=sid)["DBSnapshots"][0]
        return snap["Status"], snap.get("PercentProgress")

    seen = poll(lambda: read("timing-snap"), lambda s: s[0] == "available")
    assert seen[0][0] == "creating" and seen[-1] == ("available", 100)
    progress = [p for status, p in seen if status == "creating"]
    assert progress == sorted(progress) and all(0 <= p < 100 for p in progress)
    rds.copy_db_snapshot(SourceDBSnapshotIdentifier="timing-snap", TargetDBSnapshotIdentifier="timing-snap-copy")
    assert poll(lambda: read("timing-snap-copy"), lambda s: s[0] == "available")[0][0] == "copying"
    assert_observed(transition(sb, "timing-snap", "CreateDBSnapshot"))
    assert_observed(transition(sb, "timing-snap-copy", "CopyDBSnapshot"))
    for sid in ("timing-snap", "timing-snap-copy"):
        rds.delete_db_snapshot(DBSnapshotIdentifier=sid)


def _upsert_txt(r53, name):
    zone = r53.list_hosted_zones()["HostedZones"][0]
    return r53.change_resource_record_sets(HostedZoneId=zone["Id"], ChangeBatch={"Changes": [{
        "Action": "UPSERT", "ResourceRecordSet": {"Name": f"{name}.{zone['Name']}", "Type": "TXT", "TTL": 60,
                                                  "ResourceRecords": [{"Value": '"timing"'}]}}]})["ChangeInfo"]


def test_route53_change_pending_then_insync(sb, realistic):
    r53 = client(sb, "route53")
    first, second = _upsert_txt(r53, "timing-a"), _upsert_txt(r53, "timing-b")
    assert first["Status"] == "PENDING" and first["Id"] != second["Id"]
    seen = poll(lambda: r53.get_change(Id=first["Id"])["ChangeInfo"]["Status"], lambda s: s == "INSYNC")
    assert seen[0] == "PENDING"
    assert_observed(transition(sb, first["Id"].rsplit("/", 1)[-1], "ChangeResourceRecordSets"))


def test_eks_nodegroup_updating_then_active(sb, realistic):
    eks = client(sb, "eks")
    cluster = sb.inventory["cloudops_eks"]["primary"]["cluster_name"]
    nodegroup = eks.list_nodegroups(clusterName=cluster)["nodegroups"][0]
    update = eks.update_nodegroup_config(clusterName=cluster, nodegroupName=nodegroup,
                                         scalingConfig={"minSize": 1, "maxSize": 4, "desiredSize": 3})["update"]
    assert update["status"] == "InProgress"

    def read():
        return (eks.describe_nodegroup(clusterName=cluster, nodegroupName=nodegroup)["nodegroup"]["status"],
                eks.describe_update(name=cluster, updateId=update["id"], nodegroupName=nodegroup)["update"]["status"])

    seen = poll(read, lambda s: s == ("ACTIVE", "Successful"))
    assert seen[0] == ("UPDATING", "InProgress")
    assert_observed(transition(sb, f"{cluster}/{nodegroup}", "UpdateNodegroupConfig"))


def test_elbv2_targets_initial_and_draining(sb, realistic):
    elb = client(sb, "elbv2")
    arn = elb.describe_target_groups()["TargetGroups"][0]["TargetGroupArn"]
    name = arn.split("/")[-2]

    def states():
        return {d["Target"]["Id"]: (d["TargetHealth"]["State"], d["TargetHealth"].get("Reason"))
                for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]}

    target = sorted(states())[0]
    elb.deregister_targets(TargetGroupArn=arn, Targets=[{"Id": target}])
    seen = poll(states, lambda s: target not in s)
    assert seen[0][target] == ("draining", "Target.DeregistrationInProgress")
    elb.register_targets(TargetGroupArn=arn, Targets=[{"Id": target}])
    seen = poll(states, lambda s: s[target][0] == "healthy")
    assert seen[0][target] == ("initial", "Elb.RegistrationInProgress")
    assert_observed(transition(sb, f"{name}/{target}", "DeregisterTargets"))
    assert_observed(transition(sb, f"{name}/{target}", "RegisterTargets"))


def test_instant_profile_changes_nothing(sb):
    knobs.timing(sb, "instant", 1.0)
    knobs.api_calls(sb, reset=True)
    rds, iid = client(sb, "rds", DR), sb.inventory["cloudops_rds"]["replica"]["instance_id"]
    rds.reboot_db_instance(DBInstanceIdentifier=iid)
    assert db_status(rds, iid) == "available"
    change = _upsert_txt(client(sb, "route53"), "timing-instant")
    assert change["Status"] == "INSYNC" and change["Id"] == "/change/C2682N5HXP0BZ4"  # moto's own answer
    out = knobs.api_calls(sb, reset=True)
    assert out["transitions"] == []
    assert [c["operation"] for c in out["calls"]] == ["RebootDBInstance", "DescribeDBInstances", "ListHostedZones",
                                                      "ChangeResourceRecordSets"]


def test_sandbox_own_calls_are_instant_and_not_counted(sb, realistic):
    iid = sb.inventory["cloudops_rds"]["replica"]["instance_id"]
    own = aws_client("rds", sb.endpoint, DR)
    own.reboot_db_instance(DBInstanceIdentifier=iid)
    assert own.describe_db_instances(DBInstanceIdentifier=iid)["DBInstances"][0]["DBInstanceStatus"] == "available"
    assert knobs.api_calls(sb) == {"calls": [], "transitions": []}
