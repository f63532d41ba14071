"""Seed the sandbox's moto server with the estate described by the inventory: two regions, or one region when the
inventory declares no DR side (no `cloudops_regions.dr`: no DR VPC, ALB, cluster or replica, and the application's
Route 53 record a simple one to the primary ALB instead of a PRIMARY/SECONDARY failover pair; docs/one-region.md).

Every name comes from the `cloudops_*` keys (estate.yml; the Route 53 set identifiers from failover.yml/failback.yml)
and every size/level from `sandbox_seed` (sandbox.yml, checked and completed with its defaults by sandbox/schema.py):
any number of services (each routed by a listener rule gets its rule and target groups), alarms in each side's
region, the estate's own schema file.
Seeding runs against a freshly started or freshly reset moto, after `POST /moto-api/seed`, so that IDs and ARNs
are the same on every run (deterministic); the calls are sequential for the same reason.

moto limits that shape this file (see /work/shared/notes/sandbox-feasibility.md):
- moto never publishes ReplicaLag: we put the datapoints ourselves (in the replica's region, as RDS does).
- moto never evaluates alarms: we put them in state OK explicitly (a calm estate), knobs change them.
- amazon.aws rds_instance modify needs the instance to have a DB subnet group: both instances get one.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.request
from pathlib import Path
from typing import Any

from sandbox.config import MOTO_RANDOM_SEED, aws_client, replica as estate_replica, sides as estate_sides

TARGET_PORT = 8080
AMI_ID = "ami-04681a1dbd79675a5"  # amzn2-ami-hvm-2.0.20180810-x86_64-gp2 in moto's AMI list
HEALTH_CHECK_PATH = "/healthz"
REPLICA_LAG_METRIC = {"Namespace": "AWS/RDS", "MetricName": "ReplicaLag"}
MASTER_PASSWORD = "sandbox-only-password"  # the sandbox's PostgreSQL servers really check it (over 127.0.0.1 only)
SCHEMA_SQL = Path(__file__).resolve().parent / "rdsdata" / "shop.sql"  # sandbox_seed.rds.schema_file's default


def moto_post(endpoint: str, path: str) -> None:
    """POST to moto's admin API (/moto-api/...)."""
    req = urllib.request.Request(endpoint.rstrip("/") + path, data=b"", method="POST")
    with urllib.request.urlopen(req, timeout=10) as resp:
        resp.read()


class Seeder:
    def __init__(self, endpoint: str, inv: dict[str, Any], clients: dict[tuple[str, str], Any] | None = None):
        self.endpoint = endpoint
        self.inv = inv
        self.seed = inv["sandbox_seed"]
        self.regions: dict[str, str] = inv["cloudops_regions"]
        self.sides = estate_sides(inv)
        self.common_tags = {"Application": inv.get("cloudops_application", "shop"),
                            "Environment": inv.get("cloudops_environment", "sandbox")}
        self.out: dict[str, Any] = {"regions": self.regions}
        # (service, region) -> client; the daemon passes the same dict to each seeding (a client takes ~50 ms to make)
        self._clients: dict[tuple[str, str], Any] = {} if clients is None else clients

    # -- helpers ---------------------------------------------------------------------------------------------------
    def client(self, service: str, side_or_region: str):
        region = self.regions.get(side_or_region, side_or_region)
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = aws_client(service, self.endpoint, region)
        return self._clients[key]

    def tags(self, **extra: str) -> list[dict[str, str]]:
        """Tags in the Key/Value list form most AWS APIs take."""
        return [{"Key": k, "Value": v} for k, v in {**self.common_tags, **extra}.items()]

    def tag_dict(self, **extra: str) -> dict[str, str]:
        return {**self.common_tags, **extra}

    # -- estate ----------------------------------------------------------------------------------------------------
    def run(self) -> dict[str, Any]:
        # Import moto's service modules and create its per-region backends (both draw random values: module
        # constants, default VPCs) *before* seeding the random generator, so that our own resources get the same
        # IDs whether moto is fresh or was just reset.
        for side in self.sides:
            self.client("ec2", side).describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])
            self.client("elbv2", side).describe_load_balancers()
            self.client("eks", side).list_clusters()
            self.client("rds", side).describe_db_subnet_groups()
            self.client("cloudwatch", side).describe_alarms()
            self.client("secretsmanager", side).list_secrets()
            if self.inv.get("cloudops_cache"):
                self.client("elasticache", side).describe_replication_groups()
        self.client("iam", "primary").list_roles()
        self.client("route53", "primary").list_hosted_zones()
        moto_post(self.endpoint, f"/moto-api/seed?a={MOTO_RANDOM_SEED}")
        self.iam_roles()
        for side in self.sides:
            self.network(side)
            self.load_balancer(side)
            self.eks(side)
        self.rds()
        if estate_replica(self.inv):
            self.replica_lag_history()
        self.cache_and_buckets()
        self.alarms()
        self.route53()
        self.lock_table()
        return self.out

    def cache_and_buckets(self) -> None:
        """The ElastiCache Global Datastore (cloudops_cache) and the replicated S3 buckets (cloudops_buckets)."""
        from sandbox import elasticache, s3replication

        if self.inv.get("cloudops_cache"):
            elasticache.seed(self)
        if self.inv.get("cloudops_buckets"):
            s3replication.seed(self)

    def iam_roles(self) -> None:
        # EKS wants role ARNs; moto does not check them, but create them so IAM lookups by runbooks succeed too.
        iam = self.client("iam", "primary")
        app = self.common_tags["Application"]
        roles = {}
        for purpose, principal in (("eks-cluster", "eks.amazonaws.com"), ("eks-node", "ec2.amazonaws.com")):
            doc = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"%s"},'
                   '"Action":"sts:AssumeRole"}]}' % principal)
            role = iam.create_role(RoleName=f"{app}-{purpose}-role", AssumeRolePolicyDocument=doc,
                                   Tags=self.tags())["Role"]
            roles[purpose] = role["Arn"]
        self.out["iam_roles"] = roles

    def network(self, side: str) -> None:
        ec2 = self.client("ec2", side)
        region = self.regions[side]
        vpc_seed = self.seed["vpc"][side]
        prefix = f"{self.common_tags['Application']}-{side}"
        vpc_id = ec2.create_vpc(CidrBlock=vpc_seed["cidr"], TagSpecifications=[
            {"ResourceType": "vpc", "Tags": self.tags(Name=f"{prefix}-vpc")}])["Vpc"]["VpcId"]
        subnets = []
        for i, cidr in enumerate(vpc_seed["subnets"]):
            az = f"{region}{'abcdef'[i]}"
            subnets.append(ec2.create_subnet(VpcId=vpc_id, CidrBlock=cidr, AvailabilityZone=az, TagSpecifications=[
                {"ResourceType": "subnet", "Tags": self.tags(Name=f"{prefix}-{az}")}])["Subnet"]["SubnetId"])
        sg_id = ec2.create_security_group(GroupName=f"{prefix}-alb", VpcId=vpc_id,
                                          Description=f"{self.common_tags['Application']} ALB",
                                          TagSpecifications=[{"ResourceType": "security-group",
                                                              "Tags": self.tags(Name=f"{prefix}-alb")}])["GroupId"]
        # One of moto's bundled Amazon Linux 2 AMIs (a constant: describe_images costs ~0.5 s per region in moto).
        ami = AMI_ID
        instances: dict[str, list[str]] = {}
        for colour in ("blue", "green"):
            ids = []
            for n in range(int(self.seed["targets_per_group"])):
                # One instance per call, alternating subnets: spread over both AZs like an ASG would.
                inst = ec2.run_instances(
                    ImageId=ami, InstanceType="t3.small", MinCount=1, MaxCount=1, SubnetId=subnets[n % len(subnets)],
                    TagSpecifications=[{"ResourceType": "instance",
                                        "Tags": self.tags(Name=f"{prefix}-{colour}-{n + 1}", Colour=colour)}],
                )["Instances"][0]
                ids.append(inst["InstanceId"])
            instances[colour] = ids
        self.out.setdefault("network", {})[side] = {"vpc_id": vpc_id, "subnet_ids": subnets,
                                                    "security_group_id": sg_id, "instances": instances}

    def load_balancer(self, side: str) -> None:
        elb = self.client("elbv2", side)
        alb = self.inv["cloudops_alb"][side]
        net = self.out["network"][side]
        lb = elb.create_load_balancer(Name=alb["load_balancer_name"], Subnets=net["subnet_ids"],
                                      SecurityGroups=[net["security_group_id"]], Scheme="internet-facing",
                                      Type="application", IpAddressType="ipv4",
                                      Tags=self.tags(Name=alb["load_balancer_name"]))["LoadBalancers"][0]
        tg_arns = {}
        for colour, tg_name in alb["target_groups"].items():
            tg = elb.create_target_group(
                Name=tg_name, Protocol="HTTP", Port=TARGET_PORT, VpcId=net["vpc_id"], TargetType="instance",
                HealthCheckProtocol="HTTP", HealthCheckPath=HEALTH_CHECK_PATH, HealthCheckPort="traffic-port",
                HealthCheckIntervalSeconds=10, HealthyThresholdCount=2, UnhealthyThresholdCount=2,
                Matcher={"HttpCode": "200"}, Tags=self.tags(Name=tg_name, Colour=colour),
            )["TargetGroups"][0]
            elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                                 Targets=[{"Id": i, "Port": TARGET_PORT} for i in net["instances"][colour]])
            tg_arns[colour] = tg["TargetGroupArn"]
        active = self.seed.get("active_colour", "blue")
        # Weighted forward (one group, weight 1): deploy/rollback runbooks shift traffic by editing these weights.
        listener = elb.create_listener(
            LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=int(alb["listener_port"]),
            DefaultActions=[{"Type": "forward", "ForwardConfig": {
                "TargetGroups": [{"TargetGroupArn": tg_arns[active], "Weight": 1}]}}],
            Tags=self.tags(),
        )["Listeners"][0]
        self.out.setdefault("alb", {})[side] = {
            "name": alb["load_balancer_name"], "arn": lb["LoadBalancerArn"], "dns_name": lb["DNSName"],
            "listener_arn": listener["ListenerArn"], "target_groups": tg_arns, "active_colour": active,
        }
        self.rule_routed_services(side, listener["ListenerArn"])

    def rule_routed_services(self, side: str, listener_arn: str) -> None:
        """Services reached through a listener rule (path-based): their target groups and the rule."""
        elb = self.client("elbv2", side)
        net = self.out["network"][side]
        active = self.seed.get("active_colour", "blue")
        paths = self.seed.get("listener_rule_paths", {})
        for svc in self.inv.get("cloudops_services", []):
            route = (svc.get("traffic") or {}).get(side) or {}
            if route.get("rule_priority") is None:
                continue
            tg_arns = {}
            for colour, tg_name in route["target_groups"].items():
                tg = elb.create_target_group(
                    Name=tg_name, Protocol="HTTP", Port=TARGET_PORT, VpcId=net["vpc_id"], TargetType="instance",
                    HealthCheckProtocol="HTTP", HealthCheckPath=HEALTH_CHECK_PATH, HealthCheckIntervalSeconds=10,
                    HealthyThresholdCount=2, UnhealthyThresholdCount=2, Matcher={"HttpCode": "200"},
                    Tags=self.tags(Name=tg_name, Colour=colour, Service=svc["name"]),
                )["TargetGroups"][0]
                # The colour's instances serve every service of that colour (one port per service in real life).
                elb.register_targets(TargetGroupArn=tg["TargetGroupArn"],
                                     Targets=[{"Id": i, "Port": TARGET_PORT} for i in net["instances"][colour]])
                tg_arns[colour] = tg["TargetGroupArn"]
            rule = elb.create_rule(
                ListenerArn=listener_arn, Priority=int(route["rule_priority"]),
                Conditions=[{"Field": "path-pattern", "PathPatternConfig": {
                    "Values": paths.get(svc["name"]) or [f"/{svc['name']}", f"/{svc['name']}/*"]}}],
                Actions=[{"Type": "forward", "ForwardConfig": {
                    "TargetGroups": [{"TargetGroupArn": tg_arns[active], "Weight": 1}]}}],
                Tags=self.tags(Service=svc["name"]),
            )["Rules"][0]
            self.out.setdefault("services", {}).setdefault(svc["name"], {})[side] = {
                "rule_arn": rule["RuleArn"], "target_groups": tg_arns, "active_colour": active}

    def eks(self, side: str) -> None:
        eks = self.client("eks", side)
        spec = self.inv["cloudops_eks"][side]
        eks_seed = self.seed.get("eks", {})
        scaling = self.seed["nodegroups"][side]
        subnets = self.out["network"][side]["subnet_ids"]
        cluster = eks.create_cluster(
            name=spec["cluster_name"], version=str(eks_seed.get("version", "1.30")),
            roleArn=self.out["iam_roles"]["eks-cluster"],
            resourcesVpcConfig={"subnetIds": subnets, "securityGroupIds": [self.out["network"][side]["security_group_id"]]},
            tags=self.tag_dict(),
        )["cluster"]
        ng = eks.create_nodegroup(
            clusterName=spec["cluster_name"], nodegroupName=spec["nodegroup_name"],
            scalingConfig={"minSize": int(scaling["min"]), "desiredSize": int(scaling["desired"]),
                           "maxSize": int(scaling["max"])},
            subnets=subnets, nodeRole=self.out["iam_roles"]["eks-node"],
            instanceTypes=list(eks_seed.get("instance_types", ["t3.large"])), tags=self.tag_dict(),
        )["nodegroup"]
        self.out.setdefault("eks", {})[side] = {"cluster": spec["cluster_name"], "cluster_arn": cluster["arn"],
                                                "nodegroup": spec["nodegroup_name"], "nodegroup_arn": ng["nodegroupArn"]}

    def db_subnet_groups(self) -> dict[str, str]:
        """A DB subnet group per side over its subnets: {side: its name} (RDS instances and Aurora clusters alike)."""
        app, groups = self.common_tags["Application"], {}
        for side in self.sides:
            groups[side] = f"{app}-{side}-db-subnets"
            self.client("rds", side).create_db_subnet_group(
                DBSubnetGroupName=groups[side], DBSubnetGroupDescription=f"{app} {side} database subnets",
                SubnetIds=self.out["network"][side]["subnet_ids"], Tags=self.tags())
        return groups

    def rds(self) -> None:
        from sandbox.rdsdata import aurora

        if aurora.is_aurora(self.inv):  # an Aurora global database instead of an instance and its replica
            aurora.seed(self, MASTER_PASSWORD)
            return
        rds_spec = self.inv["cloudops_rds"]
        s = self.seed["rds"]
        subnet_groups = self.db_subnet_groups()
        primary = self.client("rds", rds_spec["primary"]["region"]).create_db_instance(
            DBInstanceIdentifier=rds_spec["primary"]["instance_id"], Engine=s["engine"],
            EngineVersion=str(s["engine_version"]), DBInstanceClass=s["instance_class"],
            AllocatedStorage=int(s["allocated_storage"]), MasterUsername=s["master_username"],
            MasterUserPassword=MASTER_PASSWORD, DBName=s["db_name"], Port=5432,
            BackupRetentionPeriod=int(s["backup_retention_days"]),
            DBSubnetGroupName=subnet_groups["primary"], MultiAZ=True, StorageEncrypted=True,
            Tags=self.tags(Role="primary"),
        )["DBInstance"]
        self.load_schema(primary, s["db_name"], s["master_username"])
        self.master_secret(primary, s)
        self.out["rds"] = {"primary": {"id": primary["DBInstanceIdentifier"], "arn": primary["DBInstanceArn"],
                                       "region": rds_spec["primary"]["region"]},
                           "subnet_groups": subnet_groups}
        if not estate_replica(self.inv):  # a one-region estate, or restore-based DR: no DR replica
            from sandbox.rdsdata import backup_replication

            replicated = backup_replication.seed(self, primary)
            if replicated:
                self.out["rds"]["backup_replication"] = replicated
            return
        # Cross-region replica: the source must be given as the primary's ARN (as with real RDS).
        rds_dr = self.client("rds", rds_spec["replica"]["region"])
        replica_id = rds_spec["replica"]["instance_id"]
        replica = rds_dr.create_db_instance_read_replica(
            DBInstanceIdentifier=replica_id, SourceDBInstanceIdentifier=primary["DBInstanceArn"],
            DBInstanceClass=s["instance_class"], SourceRegion=rds_spec["primary"]["region"],
            DBSubnetGroupName=subnet_groups["dr"], Tags=self.tags(Role="replica"),
        )["DBInstance"]
        self.out["rds"]["replica"] = {"id": replica["DBInstanceIdentifier"], "arn": replica["DBInstanceArn"],
                                      "region": rds_spec["replica"]["region"]}

    def load_schema(self, instance: dict[str, Any], db_name: str, user: str) -> None:
        """The application's tables and rows, through the instance's endpoint (its port is the real server's)."""
        import psycopg

        with psycopg.connect(host="127.0.0.1", port=int(instance["Endpoint"]["Port"]), user=user,
                             password=MASTER_PASSWORD, dbname=db_name, autocommit=True, connect_timeout=10) as conn:
            conn.execute(Path(self.seed["rds"].get("schema_file") or SCHEMA_SQL).read_text())

    def master_secret(self, instance: dict[str, Any], s: dict[str, Any]) -> None:
        """The master credentials in Secrets Manager, in each region (replicated for the DR side, as teams do)."""
        body = json.dumps({"username": s["master_username"], "password": MASTER_PASSWORD, "engine": "postgres",
                           "port": 5432, "dbname": s["db_name"],
                           "dbInstanceIdentifier": instance["DBInstanceIdentifier"]})
        arns = {}
        for side in self.sides:
            arns[side] = self.client("secretsmanager", side).create_secret(
                Name=s["master_secret_name"], SecretString=body,
                Description=f"{self.common_tags['Application']} database master credentials",
                Tags=self.tags())["ARN"]
        self.out["db_secret"] = {"name": s["master_secret_name"], "arns": arns}

    def replica_lag_history(self) -> None:
        """ReplicaLag datapoints every 60 s for the last 10 minutes, at the seed level."""
        seconds = float(self.seed["rds"].get("initial_replica_lag_seconds", 0))
        now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
        put_replica_lag(self.endpoint, self.inv, seconds,
                        timestamps=[now - dt.timedelta(seconds=60 * i) for i in range(9, -1, -1)])

    def alarms(self) -> None:
        """sandbox_seed.alarms, each in its side's region on the side's ALB (AWS/ApplicationELB) or database (AWS/RDS:
        the primary's instance, the replica's on DR), in state OK."""
        names, regions = [], {}
        for a in self.seed.get("alarms", []):
            side = a.get("side", "primary")
            if a.get("namespace", "AWS/ApplicationELB") == "AWS/RDS":
                rds = self.inv["cloudops_rds"]
                db = rds["primary"] if side == "primary" else (rds.get("replica") or rds["primary"])
                dimension = {"Name": "DBInstanceIdentifier", "Value": db.get("instance_id") or db.get("cluster_id")}
            else:
                # CloudWatch's LoadBalancer dimension is the ARN suffix "app/<name>/<id>".
                lb_suffix = self.out["alb"][side]["arn"].split(":loadbalancer/", 1)[1]
                dimension = {"Name": "LoadBalancer", "Value": lb_suffix}
            cw = self.client("cloudwatch", side)
            cw.put_metric_alarm(
                AlarmName=a["name"], AlarmDescription=f"sandbox alarm on {a['metric']}",
                Namespace=a.get("namespace", "AWS/ApplicationELB"), MetricName=a["metric"], Statistic=a["statistic"],
                Dimensions=[dimension], Period=int(a.get("period", 60)),
                EvaluationPeriods=int(a.get("evaluation_periods", 1)), Threshold=float(a["threshold"]),
                ComparisonOperator=a.get("comparison", "GreaterThanThreshold"),
                TreatMissingData="notBreaching", ActionsEnabled=False, Tags=self.tags(),
            )
            # moto never evaluates alarms; a calm estate starts in OK rather than INSUFFICIENT_DATA.
            cw.set_alarm_state(AlarmName=a["name"], StateValue="OK", StateReason="sandbox seed: estate healthy")
            names.append(a["name"])
            regions.setdefault(self.regions[side], []).append(a["name"])
        self.out["alarms"] = {"region": self.regions["primary"], "names": names, "by_region": regions}

    def route53(self) -> None:
        r53 = self.client("route53", "primary")
        dns = self.inv["cloudops_dns"]
        dseed = self.seed["dns"]
        zone = r53.create_hosted_zone(Name=dns["zone_name"], CallerReference="cloudops-sandbox-zone",
                                      HostedZoneConfig={"Comment": f"{self.common_tags['Application']} sandbox",
                                                        "PrivateZone": False})["HostedZone"]
        zone_id = zone["Id"].split("/")[-1]
        r53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id, AddTags=self.tags())
        if "dr" not in self.sides:  # one region: a simple record to the primary ALB, no failover pair, no health check
            r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Comment": "sandbox seed", "Changes": [
                {"Action": "UPSERT", "ResourceRecordSet": {
                    "Name": dns["record_name"], "Type": "CNAME", "TTL": int(dseed["ttl"]),
                    "ResourceRecords": [{"Value": self.out["alb"]["primary"]["dns_name"]}]}}]})
            self.out["route53"] = {"zone_id": zone_id, "zone_name": dns["zone_name"], "record_name": dns["record_name"],
                                   "health_checks": {}}
            return
        changes, checks = [], {}
        set_ids = set_identifiers(self.inv)
        for side, failover in (("primary", "PRIMARY"), ("dr", "SECONDARY")):
            alb = self.out["alb"][side]
            hc = r53.create_health_check(CallerReference=f"cloudops-sandbox-{side}-hc", HealthCheckConfig={
                # The ALB listener is plain HTTP on listener_port, so the health check is HTTP there too.
                "Type": "HTTP", "FullyQualifiedDomainName": alb["dns_name"],
                "Port": int(self.inv["cloudops_alb"][side]["listener_port"]), "ResourcePath": HEALTH_CHECK_PATH,
                "RequestInterval": int(dseed["health_check"]["interval"]),
                "FailureThreshold": int(dseed["health_check"]["failure_threshold"]),
            })["HealthCheck"]
            r53.change_tags_for_resource(ResourceType="healthcheck", ResourceId=hc["Id"],
                                         AddTags=self.tags(Name=f"{self.common_tags['Application']}-{side}"))
            checks[side] = hc["Id"]
            changes.append({"Action": "UPSERT", "ResourceRecordSet": {
                "Name": dns["record_name"], "Type": "CNAME", "SetIdentifier": set_ids[side], "Failover": failover,
                "TTL": int(dseed["ttl"]), "ResourceRecords": [{"Value": alb["dns_name"]}], "HealthCheckId": hc["Id"],
            }})
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Comment": "sandbox seed",
                                                                           "Changes": changes})
        self.out["route53"] = {"zone_id": zone_id, "zone_name": dns["zone_name"], "record_name": dns["record_name"],
                               "health_checks": checks, "set_identifiers": set_ids}

    def lock_table(self) -> None:
        # The runbook lock (cloudops_lock): one item per environment, in the DR region as in production, TTL on
        # expires_epoch as the module's error message tells an operator to create it.
        lock = self.inv.get("cloudops_lock")
        if not lock:
            return
        ddb = self.client("dynamodb", lock["region"])
        ddb.create_table(TableName=lock["table_name"], BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": "lock_id", "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": "lock_id", "KeyType": "HASH"}], Tags=self.tags())
        ddb.update_time_to_live(TableName=lock["table_name"],
                                TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_epoch"})
        self.out["lock"] = {"table_name": lock["table_name"], "region": lock["region"]}


def set_identifiers(inv: dict[str, Any]) -> dict[str, str]:
    """The Route 53 failover pair's set identifiers the runbooks look for: the primary's is
    cloudops_failback.primary_set_identifier, DR's cloudops_failover.dns.dr_set_identifier (each defaulting to the
    side's name, as the collection does)."""
    failback = inv.get("cloudops_failback") or {}
    dns = (inv.get("cloudops_failover") or {}).get("dns") or {}
    return {"primary": str(failback.get("primary_set_identifier") or "primary"),
            "dr": str(dns.get("dr_set_identifier") or "dr")}


def put_replica_lag(endpoint: str, inv: dict[str, Any], seconds: float,
                    timestamps: list[dt.datetime] | None = None) -> None:
    """Publish ReplicaLag for the replica (namespace AWS/RDS, dimension DBInstanceIdentifier, replica's region)."""
    replica = inv["cloudops_rds"]["replica"]
    stamps = timestamps or [dt.datetime.now(dt.timezone.utc)]
    aws_client("cloudwatch", endpoint, replica["region"]).put_metric_data(
        Namespace=REPLICA_LAG_METRIC["Namespace"],
        MetricData=[{"MetricName": REPLICA_LAG_METRIC["MetricName"], "Timestamp": t, "Value": float(seconds),
                     "Unit": "Seconds",
                     "Dimensions": [{"Name": "DBInstanceIdentifier", "Value": replica["instance_id"]}]}
                    for t in stamps],
    )


def seed_aws(endpoint: str, inv: dict[str, Any], clients: dict[tuple[str, str], Any] | None = None) -> dict[str, Any]:
    """Create the whole AWS side of the estate; returns the names/ids/ARNs created (stored in sandbox.json). `clients`:
    a cache of boto3 clients kept between seedings (the daemon's)."""
    return Seeder(endpoint, inv, clients).run()
