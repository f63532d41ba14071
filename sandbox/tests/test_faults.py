"""Fault injection and the API call log (sandbox/faults.py) through real boto3 calls on a real sandbox daemon."""
import collections
import json
import time

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionClosedError

from sandbox import faults, knobs
from sandbox.config import aws_client
from sandbox.tests.conftest import run_sandbox_cli

PRIMARY = "us-east-1"
# One read per protocol: query (rds), rest-xml (route53), rest-json (eks), RPCv2 CBOR (cloudwatch), ec2, JSON.
READS = {"rds": lambda c: c.describe_db_instances(), "route53": lambda c: c.list_hosted_zones(),
         "eks": lambda c: c.list_clusters(), "cloudwatch": lambda c: c.describe_alarms(),
         "ec2": lambda c: c.describe_instances(), "secretsmanager": lambda c: c.list_secrets()}


@pytest.fixture(scope="module")
def sb(tmp_path_factory):
    state_dir = tmp_path_factory.mktemp("faults-sandbox")
    run_sandbox_cli("up", "--no-k8s", "--state-dir", state_dir, timeout=180)
    try:
        yield knobs.Sandbox(state_dir)
    finally:
        run_sandbox_cli("down", "--state-dir", state_dir, check=False)


@pytest.fixture(autouse=True)
def no_faults_after(sb):
    knobs.api_calls(sb, reset=True)
    yield
    knobs.faults(sb, rate=0, latency_ms=0)
    knobs.api_calls(sb, reset=True)


def client(sb, service, attempts=0, mode="standard"):
    """A plain boto3 client; `attempts` is botocore's max_attempts, i.e. retries (none by default)."""
    return boto3.client(service, endpoint_url=sb.endpoint, region_name=PRIMARY, aws_access_key_id="testing",
                        aws_secret_access_key="testing",
                        config=Config(retries={"max_attempts": attempts, "mode": mode}))


def outcomes(sb):
    return collections.Counter((c["service"], c["outcome"]) for c in knobs.api_calls(sb)["calls"])


@pytest.mark.parametrize("mode", ["standard", "legacy"])
def test_throttling_and_5xx_are_retried_transparently_by_botocore(sb, mode):
    knobs.faults(sb, rate=0.3, kinds=["throttle", "5xx"], seed=7)
    for service, read in READS.items():
        c = client(sb, service, attempts=10, mode=mode)
        for _ in range(3):
            read(c)  # never raises: botocore retries every injected failure
    counted = outcomes(sb)
    for service in READS:
        assert counted[(service, "ok")] == 3
    assert sum(n for (_, outcome), n in counted.items() if outcome == "throttle") > 0
    assert sum(n for (_, outcome), n in counted.items() if outcome == "5xx") > 0


def test_each_protocol_answers_errors_botocore_parses_and_classifies(sb):
    knobs.faults(sb, rate=1, kinds=["throttle"])
    expected = {"rds": "Throttling", "route53": "Throttling", "eks": "TooManyRequestsException",
                "cloudwatch": "TooManyRequestsException", "ec2": "RequestLimitExceeded",
                "secretsmanager": "TooManyRequestsException"}
    for service, read in READS.items():
        with pytest.raises(ClientError) as err:
            read(client(sb, service, attempts=1))  # botocore's max_attempts counts retries: one here
        assert err.value.response["Error"]["Code"] == expected[service], service
        assert err.value.response["ResponseMetadata"]["RetryAttempts"] == 1, service  # botocore retried it
    knobs.faults(sb, rate=1, kinds=["5xx"])
    for service, read in READS.items():
        with pytest.raises(ClientError) as err:
            read(client(sb, service))
        assert err.value.response["Error"]["Code"] in ("InternalFailure", "ServiceUnavailable"), service
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] in (500, 503)


def test_amazon_aws_awsretry_retries_injected_failures(sb):
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

    knobs.faults(sb, rate=0.4, kinds=["throttle", "5xx"], seed=11)
    retry = AWSRetry.jittered_backoff(retries=20, delay=0.01, max_delay=0.05)
    for service, read in READS.items():
        c = client(sb, service)  # botocore does not retry: AWSRetry must
        for _ in range(5):
            retry(read)(c)
    counted = outcomes(sb)
    assert all(counted[(service, "ok")] == 5 for service in READS)
    assert sum(n for (_, outcome), n in counted.items() if outcome in ("throttle", "5xx")) > 0


def test_reset_drops_the_connection_before_the_call_is_applied(sb):
    rds = client(sb, "rds")
    arn = rds.describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]["DBInstanceArn"]
    knobs.faults(sb, rate=1, kinds=["reset"], operations=["AddTagsToResource"])
    with pytest.raises(ConnectionClosedError):
        rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "reset-test", "Value": "1"}])
    knobs.faults(sb, rate=0)
    assert "reset-test" not in {t["Key"] for t in rds.list_tags_for_resource(ResourceName=arn)["TagList"]}
    resets = [c for c in knobs.api_calls(sb)["calls"] if c["outcome"] == "reset"]
    assert resets == [{**resets[0], "service": "rds", "operation": "AddTagsToResource", "mutating": True,
                       "status": 0}]
    # With retries, a reset is just another transient failure.
    knobs.faults(sb, rate=0.5, kinds=["reset"], seed=1)
    c = client(sb, "rds", attempts=10)
    for _ in range(6):
        c.describe_db_instances()
    assert outcomes(sb)[("rds", "reset")] > 1


def test_reset_after_applies_the_call_then_drops_the_connection(sb):
    rds = client(sb, "rds")
    arn = rds.describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]["DBInstanceArn"]
    knobs.faults(sb, rate=1, kinds=["reset-after"], operations=["AddTagsToResource"])
    with pytest.raises(ConnectionClosedError):  # the client cannot tell it from a reset before the call...
        rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "reset-after-test", "Value": "1"}])
    knobs.faults(sb, rate=0)
    # ... but moto applied it: the response was lost, not the change.
    assert {"Key": "reset-after-test", "Value": "1"} in rds.list_tags_for_resource(ResourceName=arn)["TagList"]
    lost = [c for c in knobs.api_calls(sb)["calls"] if c["operation"] == "AddTagsToResource"]
    assert lost == [{**lost[0], "service": "rds", "outcome": "reset-after", "mutating": True, "status": 200}]
    assert lost[0]["outcome"] in faults.APPLIED_OUTCOMES and "reset" not in faults.APPLIED_OUTCOMES
    # A create whose answer is lost: re-sending it blindly is refused, as on AWS (the collection's apply() reads first).
    knobs.faults(sb, rate=1, kinds=["reset-after"], operations=["CreateDBParameterGroup"])
    with pytest.raises(ConnectionClosedError):
        rds.create_db_parameter_group(DBParameterGroupName="lost-answer-pg", DBParameterGroupFamily="postgres15",
                                      Description="reset-after test")
    knobs.faults(sb, rate=0)
    with pytest.raises(ClientError) as again:
        rds.create_db_parameter_group(DBParameterGroupName="lost-answer-pg", DBParameterGroupFamily="postgres15",
                                      Description="reset-after test")
    assert again.value.response["Error"]["Code"] == "DBParameterGroupAlreadyExists"
    # Other protocols (rest-json, rest-xml): the same. The connection pool recovers for the next call.
    eks, group = client(sb, "eks"), {"clusterName": "shop-primary", "nodegroupName": "shop-primary-workers"}
    before = eks.describe_nodegroup(**group)["nodegroup"]["scalingConfig"]
    wanted = dict(before, desiredSize=before["desiredSize"] + 1, maxSize=max(before["maxSize"], before["desiredSize"] + 1))
    knobs.faults(sb, rate=1, kinds=["reset-after"], operations=["UpdateNodegroupConfig"])
    with pytest.raises(ConnectionClosedError):
        eks.update_nodegroup_config(scalingConfig=wanted, **group)
    knobs.faults(sb, rate=0)
    assert eks.describe_nodegroup(**group)["nodegroup"]["scalingConfig"] == wanted
    eks.update_nodegroup_config(scalingConfig=before, **group)
    counted = outcomes(sb)
    assert counted[("eks", "reset-after")] == 1 and counted[("rds", "reset-after")] == 2


def test_cli_accepts_reset_after_and_counts_it_applied(sb):
    state = ["--state-dir", str(sb.paths.root)]
    out = run_sandbox_cli("knob", "faults", "--rate", "1", "--kinds", "throttle,5xx,reset,reset-after",
                          "--operations", "CreateDBParameterGroup", "--seed", "5", *state).stdout
    assert json.loads(out)["kinds"] == ["throttle", "5xx", "reset", "reset-after"]
    knobs.faults(sb, rate=1, kinds=["reset-after"], operations=["CreateDBParameterGroup"])
    with pytest.raises(ConnectionClosedError):
        client(sb, "rds").create_db_parameter_group(DBParameterGroupName="cli-lost-pg", DBParameterGroupFamily="postgres15",
                                                    Description="reset-after cli test")
    knobs.faults(sb, rate=0)
    table = run_sandbox_cli("api-calls", *state).stdout
    row = next(line.split() for line in table.splitlines() if "CreateDBParameterGroup" in line)
    assert row[:4] == ["rds", "CreateDBParameterGroup", "yes", "1"] and row[-1] == "1", table
    assert "1 calls, 1 mutating (1 applied)" in table


def test_latency_is_added_before_handling(sb):
    c = client(sb, "sts")
    c.get_caller_identity()
    knobs.faults(sb, latency_ms=300, services=["sts"])
    t0 = time.monotonic()
    c.get_caller_identity()
    assert time.monotonic() - t0 >= 0.3
    knobs.faults(sb, latency_ms=0)
    t0 = time.monotonic()
    c.get_caller_identity()
    assert time.monotonic() - t0 < 0.3


def _sequence(sb, seed):
    knobs.faults(sb, rate=0.5, kinds=["throttle", "5xx"], seed=seed)  # counters restart with the settings
    knobs.api_calls(sb, reset=True)
    c = client(sb, "rds")
    for _ in range(30):
        try:
            c.describe_db_instances()
        except ClientError:
            pass
    return [(x["outcome"], x["status"]) for x in knobs.api_calls(sb)["calls"]]


def test_same_seed_same_failures(sb):
    first = _sequence(sb, 7)
    assert first == _sequence(sb, 7)
    assert first != _sequence(sb, 8)
    assert {o for o, _ in first} == {"ok", "throttle", "5xx"}


def test_service_operation_and_mutating_filters(sb):
    knobs.faults(sb, rate=1, kinds=["throttle"], services=["route53"])
    client(sb, "rds").describe_db_instances()  # not selected
    with pytest.raises(ClientError):
        client(sb, "route53").list_hosted_zones()
    knobs.faults(sb, rate=1, kinds=["5xx"], operations=["ListClusters"])
    eks = client(sb, "eks")
    eks.describe_cluster(name="shop-primary")
    with pytest.raises(ClientError):
        eks.list_clusters()
    knobs.faults(sb, rate=1, kinds=["throttle"], mutating_only=True)
    rds = client(sb, "rds")
    arn = rds.describe_db_instances(DBInstanceIdentifier="shop-db")["DBInstances"][0]["DBInstanceArn"]
    with pytest.raises(ClientError):
        rds.add_tags_to_resource(ResourceName=arn, Tags=[{"Key": "k", "Value": "v"}])
    got = [(c["service"], c["operation"], c["outcome"]) for c in knobs.api_calls(sb)["calls"]]
    assert got == [("rds", "DescribeDBInstances", "ok"), ("route53", "ListHostedZones", "throttle"),
                   ("eks", "DescribeCluster", "ok"), ("eks", "ListClusters", "5xx"),
                   ("rds", "DescribeDBInstances", "ok"), ("rds", "AddTagsToResource", "throttle")]


def test_operations_identified_and_classified(sb):
    r53, eks = client(sb, "route53"), client(sb, "eks")
    zone = r53.list_hosted_zones()["HostedZones"][0]["Id"]
    r53.list_resource_record_sets(HostedZoneId=zone)
    r53.get_change(Id="/change/C2682N5HXP0BZ4")
    eks.describe_nodegroup(clusterName="shop-primary", nodegroupName="shop-primary-workers")
    client(sb, "elbv2").describe_target_groups()
    try:
        client(sb, "rds").describe_db_instances(DBInstanceIdentifier="no-such-db")
    except ClientError:
        pass
    client(sb, "rds").create_db_parameter_group(DBParameterGroupName="faults-pg", DBParameterGroupFamily="postgres15",
                                                Description="call log test")
    calls = [(c["service"], c["operation"], c["region"], c["mutating"], c["outcome"], c["status"])
             for c in knobs.api_calls(sb)["calls"]]
    assert calls == [
        ("route53", "ListHostedZones", PRIMARY, False, "ok", 200),
        ("route53", "ListResourceRecordSets", PRIMARY, False, "ok", 200),
        ("route53", "GetChange", PRIMARY, False, "ok", 200),
        ("eks", "DescribeNodegroup", PRIMARY, False, "ok", 200),
        ("elbv2", "DescribeTargetGroups", PRIMARY, False, "ok", 200),
        ("rds", "DescribeDBInstances", PRIMARY, False, "error", 404),
        ("rds", "CreateDBParameterGroup", PRIMARY, True, "ok", 200)]
    assert all(not faults.is_mutating(op) for op in ("DescribeX", "ListX", "GetX", "HeadObject", "CheckX",
                                                      "LookupEvents", "SearchX", "ValidateTemplate", "FilterLogEvents"))
    assert all(faults.is_mutating(op) for op in ("PromoteReadReplica", "ChangeResourceRecordSets", "PutMetricData"))


def test_sandbox_own_calls_are_neither_counted_nor_faulted(sb):
    knobs.faults(sb, rate=1, kinds=["throttle", "5xx", "reset"])
    own = aws_client("rds", sb.endpoint, PRIMARY)
    for _ in range(5):
        own.describe_db_instances()
    group = next(iter(sb.inventory["cloudops_alb"]["primary"]["target_groups"].values()))
    assert set(knobs.target_health(sb, group, "healthy")["targets"]) == {"healthy"}  # a knob: the sandbox's client
    assert knobs.api_calls(sb)["calls"] == []


def test_cli_knob_and_api_calls_table(sb):
    state = ["--state-dir", str(sb.paths.root)]
    out = run_sandbox_cli("knob", "faults", "--rate", "0.1", "--kinds", "throttle,5xx", "--services", "rds,route53",
                          "--seed", "7", "--latency-ms", "50", *state).stdout
    assert json.loads(out) == {"rate": 0.1, "kinds": ["throttle", "5xx"], "services": ["rds", "route53"],
                               "operations": [], "mutating_only": False, "latency_ms": 50.0, "seed": 7}
    assert knobs.faults_state(sb)["seed"] == 7
    bad = run_sandbox_cli("knob", "faults", "--rate", "0.1", "--kinds", "meteor", *state, check=False)
    assert bad.returncode == 1 and "unknown fault kinds" in bad.stderr
    out = run_sandbox_cli("knob", "timing", "--profile", "realistic", "--scale", "0.05", "--duration",
                          "rds.promote=30", *state).stdout
    assert json.loads(out)["effective_seconds"]["rds.promote"] == pytest.approx(1.5)
    run_sandbox_cli("knob", "timing", "--profile", "instant", *state)
    knobs.faults(sb, rate=0)
    client(sb, "rds").describe_db_instances()
    table = run_sandbox_cli("api-calls", "--reset", *state).stdout
    assert any(line.split()[:3] == ["rds", "DescribeDBInstances", "1"] for line in table.splitlines()), table
    assert "1 calls, 0 mutating" in table
    assert json.loads(run_sandbox_cli("api-calls", "--json", *state).stdout) == {"calls": [], "transitions": []}


def test_reset_goes_back_to_instant_no_faults_empty_log(sb):
    knobs.timing(sb, "realistic", 0.05)
    knobs.faults(sb, rate=0.2, kinds=["throttle"], latency_ms=10, seed=3)
    client(sb, "route53", attempts=10).list_hosted_zones()
    run_sandbox_cli("reset", "--state-dir", sb.paths.root, timeout=180)
    assert knobs.timing_state(sb)["profile"] == "instant"
    assert knobs.faults_state(sb) == {"rate": 0.0, "kinds": ["throttle", "5xx"], "services": [], "operations": [],
                                      "mutating_only": False, "latency_ms": 0, "seed": 0}
    assert knobs.api_calls(sb) == {"calls": [], "transitions": []}
