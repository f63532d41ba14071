"""The seeded AWS estate, read back through boto3 against the session sandbox's moto server."""
import datetime as dt

import pytest

from sandbox.config import aws_client, load_inventory
from sandbox.config import resolve_inventory

INV = load_inventory(resolve_inventory(None))
SEED = INV["sandbox_seed"]
SIDES = ("primary", "dr")
TAGS = {"Application": "shop", "Environment": "sandbox"}


@pytest.fixture(scope="module")
def aws(sandbox):
    url = sandbox.info["moto"]["url"]
    return lambda service, side: aws_client(service, url, INV["cloudops_regions"].get(side, side))


def tag_map(tags):
    return {t["Key"]: t["Value"] for t in tags}


@pytest.mark.parametrize("side", SIDES)
def test_listener_forwards_to_active_colour(aws, side):
    elb = aws("elbv2", side)
    alb = INV["cloudops_alb"][side]
    lb = elb.describe_load_balancers(Names=[alb["load_balancer_name"]])["LoadBalancers"][0]
    listeners = elb.describe_listeners(LoadBalancerArn=lb["LoadBalancerArn"])["Listeners"]
    assert [(ln["Port"], ln["Protocol"]) for ln in listeners] == [(alb["listener_port"], "HTTP")]
    action = listeners[0]["DefaultActions"][0]
    blue = elb.describe_target_groups(Names=[alb["target_groups"]["blue"]])["TargetGroups"][0]["TargetGroupArn"]
    assert action["Type"] == "forward"
    assert action["ForwardConfig"]["TargetGroups"] == [{"TargetGroupArn": blue, "Weight": 1}]
    assert TAGS.items() <= tag_map(elb.describe_tags(ResourceArns=[lb["LoadBalancerArn"]])
                                   ["TagDescriptions"][0]["Tags"]).items()


@pytest.mark.parametrize("side", SIDES)
@pytest.mark.parametrize("colour", ("blue", "green"))
def test_target_groups_have_healthy_targets(aws, side, colour):
    elb = aws("elbv2", side)
    tg = elb.describe_target_groups(Names=[INV["cloudops_alb"][side]["target_groups"][colour]])["TargetGroups"][0]
    assert (tg["Protocol"], tg["Port"], tg["HealthCheckPath"]) == ("HTTP", 8080, "/healthz")
    health = elb.describe_target_health(TargetGroupArn=tg["TargetGroupArn"])["TargetHealthDescriptions"]
    assert [h["TargetHealth"]["State"] for h in health] == ["healthy"] * SEED["targets_per_group"]
    assert {h["Target"]["Port"] for h in health} == {8080}


def test_rds_primary_and_cross_region_replica(aws):
    rds_spec = INV["cloudops_rds"]
    primary = aws("rds", rds_spec["primary"]["region"]).describe_db_instances(
        DBInstanceIdentifier=rds_spec["primary"]["instance_id"])["DBInstances"][0]
    assert primary["Engine"] == "postgres"
    assert primary["BackupRetentionPeriod"] == SEED["rds"]["backup_retention_days"]
    assert primary["DBSubnetGroup"]["DBSubnetGroupName"]
    assert tag_map(primary["TagList"]) == {**TAGS, "Role": "primary"}
    replica = aws("rds", rds_spec["replica"]["region"]).describe_db_instances(
        DBInstanceIdentifier=rds_spec["replica"]["instance_id"])["DBInstances"][0]
    assert ":us-west-2:" in replica["DBInstanceArn"]
    assert replica["ReadReplicaSourceDBInstanceIdentifier"] == primary["DBInstanceArn"]
    assert replica["DBSubnetGroup"]["DBSubnetGroupName"]
    assert tag_map(replica["TagList"]) == {**TAGS, "Role": "replica"}
    assert replica["DBInstanceArn"] in primary["ReadReplicaDBInstanceIdentifiers"]


def test_replica_lag_datapoints(aws):
    now = dt.datetime.now(dt.timezone.utc)
    stats = aws("cloudwatch", "dr").get_metric_statistics(
        Namespace="AWS/RDS", MetricName="ReplicaLag",
        Dimensions=[{"Name": "DBInstanceIdentifier", "Value": INV["cloudops_rds"]["replica"]["instance_id"]}],
        StartTime=now - dt.timedelta(minutes=11), EndTime=now + dt.timedelta(minutes=1), Period=60,
        Statistics=["Maximum"])["Datapoints"]
    assert len(stats) >= 10
    assert {p["Maximum"] for p in stats} == {float(SEED["rds"]["initial_replica_lag_seconds"])}


def test_route53_failover_records(aws, sandbox):
    r53 = aws("route53", "primary")
    dns = INV["cloudops_dns"]
    zone = r53.list_hosted_zones_by_name(DNSName=dns["zone_name"])["HostedZones"][0]
    assert zone["Name"] == dns["zone_name"] + "."
    records = [r for r in r53.list_resource_record_sets(HostedZoneId=zone["Id"])["ResourceRecordSets"]
               if r["Name"] == dns["record_name"] + "."]
    by_id = {r["SetIdentifier"]: r for r in records}
    assert {k: v["Failover"] for k, v in by_id.items()} == {"primary": "PRIMARY", "dr": "SECONDARY"}
    for side in SIDES:
        rec = by_id[side]
        assert rec["Type"] == "CNAME" and rec["TTL"] == SEED["dns"]["ttl"]
        assert rec["ResourceRecords"] == [{"Value": sandbox.info["aws"]["alb"][side]["dns_name"]}]
        hc = r53.get_health_check(HealthCheckId=rec["HealthCheckId"])["HealthCheck"]["HealthCheckConfig"]
        assert hc["FullyQualifiedDomainName"] == sandbox.info["aws"]["alb"][side]["dns_name"]
        assert (hc["RequestInterval"], hc["FailureThreshold"]) == (SEED["dns"]["health_check"]["interval"],
                                                                   SEED["dns"]["health_check"]["failure_threshold"])


@pytest.mark.parametrize("side", SIDES)
def test_eks_cluster_and_nodegroup(aws, side):
    eks = aws("eks", side)
    spec = INV["cloudops_eks"][side]
    cluster = eks.describe_cluster(name=spec["cluster_name"])["cluster"]
    assert cluster["status"] == "ACTIVE" and TAGS.items() <= cluster["tags"].items()
    ng = eks.describe_nodegroup(clusterName=spec["cluster_name"], nodegroupName=spec["nodegroup_name"])["nodegroup"]
    want = SEED["nodegroups"][side]
    assert ng["scalingConfig"] == {"minSize": want["min"], "desiredSize": want["desired"], "maxSize": want["max"]}


def test_alarms_seeded_ok(aws):
    alarms = {a["AlarmName"]: a for a in aws("cloudwatch", "primary").describe_alarms()["MetricAlarms"]}
    for want in SEED["alarms"]:
        a = alarms[want["name"]]
        assert (a["MetricName"], a["Statistic"], a["Threshold"]) == (want["metric"], want["statistic"],
                                                                    float(want["threshold"]))
        assert a["StateValue"] == "OK"
        assert a["Dimensions"][0]["Value"].startswith("app/" + INV["cloudops_alb"]["primary"]["load_balancer_name"])


@pytest.mark.parametrize("side", SIDES)
def test_everything_tagged(aws, side):
    """The tagging API finds the estate by its Application/Environment tags."""
    found = aws("resourcegroupstaggingapi", side).get_resources(
        TagFilters=[{"Key": k, "Values": [v]} for k, v in TAGS.items()])["ResourceTagMappingList"]
    kinds = {m["ResourceARN"].split(":")[2] for m in found}
    assert {"ec2", "elasticloadbalancing", "rds"} <= kinds


def test_rule_routed_service_has_its_listener_rule_and_target_groups(aws, sandbox):
    """cloudops_services entries with rule_priority get a path rule forwarding to their active colour."""
    seeded = sandbox.info["aws"]["services"]["catalog"]["primary"]
    assert seeded["active_colour"] == "blue"
    elb = aws("elbv2", "primary")
    rule = elb.describe_rules(RuleArns=[seeded["rule_arn"]])["Rules"][0]
    assert rule["Priority"] == "10"
    assert rule["Conditions"][0]["PathPatternConfig"]["Values"] == ["/catalog", "/catalog/*"]
    forward = rule["Actions"][0]["ForwardConfig"]["TargetGroups"]
    assert [(f["TargetGroupArn"], f["Weight"]) for f in forward] == [(seeded["target_groups"]["blue"], 1)]
    for arn in seeded["target_groups"].values():
        states = [d["TargetHealth"]["State"] for d in elb.describe_target_health(TargetGroupArn=arn)["TargetHealthDescriptions"]]
        assert states == ["healthy", "healthy"]


def test_eks_still_checks_role_arns_and_the_instances_run_the_seeded_ami(aws):
    """moto_tuning's cheaper role-ARN check rejects what moto's does, with moto's message; the one AMI moto loads
    (moto_amis.json) is the one the seeded instances run."""
    from botocore.exceptions import ClientError

    from sandbox.aws_seed import AMI_ID

    eks = aws("eks", "primary")
    cluster = eks.list_clusters()["clusters"][0]
    subnets = eks.describe_cluster(name=cluster)["cluster"]["resourcesVpcConfig"]["subnetIds"]
    for arn in ("arn:aws:iam::12345:role/short-account", "arn:nowhere:iam::123456789012:role/unknown-partition"):
        with pytest.raises(ClientError, match="Invalid Role Arn: '%s'" % arn):
            eks.create_cluster(name="refused", roleArn=arn, resourcesVpcConfig={"subnetIds": subnets})
    ec2 = aws("ec2", "primary")
    images = {i["ImageId"] for r in ec2.describe_instances()["Reservations"] for i in r["Instances"]}
    assert images == {AMI_ID}
    assert [i["ImageId"] for i in ec2.describe_images(Owners=["amazon"])["Images"]] == [AMI_ID]
