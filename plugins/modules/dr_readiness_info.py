#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: dr_readiness_info
version_added: 1.0.0
short_description: Audit whether the estate can fail over to its DR region within its RPO and RTO budgets
description:
  - Read-only. Checks the DR side of the estate and returns one finding per check (RV(findings)), each with its
    numbers and, when it failed, what to fix. Runs the same in check mode.
  - C(replica_role). O(replica) exists, is a read replica (as M(cloudops.runbooks.rds_replication_info) decides)
    and is C(available).
  - C(replica_lag). Its latest C(ReplicaLag) datapoint is within O(rpo_budget_seconds). No datapoint, or read
    replication in C(error), fails.
  - C(source_backups). The replica's source keeps automated backups (C(BackupRetentionPeriod) > 0).
  - C(dr_restore_point) (restore-based DR, O(dr_restore) instead of O(replica)). The newest restorable point of the
    primary in the DR region - a cross-region snapshot copy or the primary's automated backups replicated there (their
    latest restorable time) - exists and its age is within O(rpo_budget_seconds). C(source_backups) then checks the
    primary itself keeps automated backups, when it can be read (not when its region is down).
  - C(dr_restore_target) (with O(dr_restore.instance_id)). No instance of that name exists in DR yet.
  - C(dr_cluster_active), C(dr_nodegroup_active). The DR EKS cluster and its node group are C(ACTIVE).
  - C(dns_failover_time). O(dns.record_name) has a PRIMARY/SECONDARY failover pair, and the largest TTL of the
    pair plus the PRIMARY health check's C(RequestInterval) x C(FailureThreshold) is within O(rto_budget_seconds).
    That is how long clients may keep the old answer after the primary fails.
  - C(cache_dr_member), C(cache_lag) (with O(cache), about its secondary group). The DR group exists, is the
    C(associated) C(SECONDARY) member of the Global Datastore and C(available); its newest
    C(GlobalDatastoreReplicationLag) (AWS/ElastiCache, the largest of its nodes') is within O(rpo_budget_seconds).
  - C(bucket_versioning), C(bucket_replication_rule), C(bucket_replication_probe) (with O(buckets), one of each per
    bucket). Versioning is C(Enabled) on the bucket and its DR copy; an enabled replication rule copies the bucket (or
    its O(buckets[].prefix)) to the DR bucket; a probe object written into the bucket reaches the DR bucket within
    O(rpo_budget_seconds) (its trip's seconds are reported). The probe is the audit's only write. Its key is under
    the rule's prefix in C(.cloudops-readiness/), and every version of it is deleted from both buckets before the
    module returns (also in check mode, where it runs the same). It is written only when the other two checks passed.
  - Each state-store finding names its resource (the DR replication group, the source bucket) in C(resource) and in
    its detail. The sections are read side by side, so the probe's wait overlaps the other reads.
  - Only the sections given (O(replica) or O(global_database), O(eks), O(dns), O(cache), O(buckets)) are checked.
  - The task never fails because of a finding unless O(fail_on_findings=true).
options:
  replica:
    description: The DR read replica.
    type: dict
    suboptions:
      instance_id:
        description: Identifier of the read replica.
        type: str
        required: true
      region:
        description: Region of the replica; default the module's.
        type: str
  global_database:
    description:
      - An Aurora global database instead of a read replica (the inventory's C(cloudops_rds) when its C(engine) is
        V(aurora-postgresql)). Checks C(global_secondary) (the secondary cluster exists, is a member of the global
        cluster, not its writer, and C(available)), C(global_rpo_lag) (its latest C(AuroraGlobalDBRPOLag) within
        O(rpo_budget_seconds) and its synchronization status C(connected)) and C(global_backups) (the primary cluster
        keeps automated backups; a primary region that cannot be read fails only this check).
    type: dict
    version_added: 1.1.0
    suboptions:
      engine: {description: The engine (V(aurora-postgresql))., type: str}
      global_cluster_id: {description: Identifier of the global database., type: str, required: true}
      primary:
        description: The primary cluster (the writer when the estate is calm).
        type: dict
        required: true
        suboptions: &cluster
          region: {description: Its region., type: str, required: true}
          cluster_id: {description: Its DB cluster identifier., type: str, required: true}
          instance_ids: {description: Its DB instances (not read here)., type: list, elements: str}
      secondary:
        description: The secondary cluster in DR.
        type: dict
        required: true
        suboptions: *cluster
  dr_restore:
    description: Restore-based DR (nothing warm in DR) - where the primary's data can be restored from in DR.
    type: dict
    version_added: 1.1.0
    suboptions:
      source_instance_id:
        description: The primary instance whose copies or replicated backups are looked for.
        type: str
        required: true
      source_region:
        description: Region of the primary (its own automated backups are checked there when it can be read).
        type: str
      instance_id:
        description:
          - The instance a failover restores in DR. When given, C(dr_restore_target) checks whether the name is free
            (a drill needs it free; a failover resumes on an instance it restored).
        type: str
      region:
        description: The DR region; default the module's.
        type: str
      source:
        description: Which restore points count - V(newest) of both, V(snapshot_copy), V(automated_backups).
        type: str
        default: newest
        choices: [newest, snapshot_copy, automated_backups]
  rpo_budget_seconds:
    description:
      - Replica lag (or restore point age, with O(dr_restore)), in seconds, the recovery point objective allows.
        Needed with O(replica), O(global_database), O(dr_restore), O(cache) or O(buckets).
    type: int
  rto_budget_seconds:
    description: Recovery time objective, in seconds, the DNS failover time is compared with. Needed with O(dns).
    type: int
  eks:
    description: The DR EKS cluster.
    type: dict
    suboptions:
      cluster_name:
        description: Name of the DR cluster.
        type: str
        required: true
      nodegroup_name:
        description: Managed node group that runs the workloads (checked when given).
        type: str
      region:
        description: Region of the cluster; default the module's.
        type: str
  dns:
    description: The application's DNS name with its failover pair.
    type: dict
    suboptions:
      zone_name:
        description: Hosted zone name.
        type: str
        required: true
      record_name:
        description: Fully qualified record name.
        type: str
        required: true
      private_zone:
        description: Pick the private (V(true)) or public (V(false)) zone when both exist with that name.
        type: bool
  alb:
    description:
      - The DR load balancer whose traffic the run needs (the active colour of a blue/green DR side, for names that use
        it); its traffic is returned in C(observed.dr_traffic), as M(cloudops.runbooks.alb_traffic_info) returns it.
    type: dict
    suboptions:
      load_balancer_name: {description: Name of the load balancer., type: str, required: true}
      listener_port: {description: Port of its listener., type: int, default: 443}
      target_groups: {description: "Colour -> target group name, as in C(cloudops_alb.<side>.target_groups).", type: dict, default: {}}
      region: {description: Its region (default O(region))., type: str}
  cache:
    version_added: 1.1.0
    description: The estate's ElastiCache Global Datastore (the inventory's C(cloudops_cache)).
    type: dict
    suboptions:
      global_datastore_id:
        description: The Global Datastore's full id (with its region prefix).
        type: str
        required: true
      primary:
        description: The primary replication group (C(region), C(replication_group_id)).
        type: dict
        required: true
        suboptions:
          region: {description: Its region., type: str, required: true}
          replication_group_id: {description: Its id., type: str, required: true}
      secondary:
        description: The DR replication group (C(region), C(replication_group_id)); all the cache reads are made in its region.
        type: dict
        required: true
        suboptions:
          region: {description: Its region., type: str, required: true}
          replication_group_id: {description: Its id., type: str, required: true}
  buckets:
    version_added: 1.1.0
    description: The S3 buckets replicated to DR (the inventory's C(cloudops_buckets)).
    type: list
    elements: dict
    suboptions:
      name: {description: The source bucket., type: str, required: true}
      dr_name: {description: Its copy in DR., type: str, required: true}
      prefix: {description: Only keys under it need to be replicated (default the whole bucket)., type: str, default: ""}
      region: {description: The source bucket's region (default O(regions.primary))., type: str}
      dr_region: {description: The DR bucket's region (default O(regions.dr))., type: str}
  regions:
    version_added: 1.1.0
    description: The estate's regions (C(cloudops_regions)), the default regions of O(buckets). Needed with O(buckets)
      unless each bucket gives both.
    type: dict
    suboptions:
      primary: {description: The primary region., type: str}
      dr: {description: The DR region., type: str}
  lag_lookback_seconds:
    description: How far back to look for the latest C(ReplicaLag) datapoint.
    type: int
    default: 600
  fail_on_findings:
    description: Fail the task when any check fails (the findings are returned either way).
    type: bool
    default: false
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Audit DR readiness
  cloudops.runbooks.dr_readiness_info:
    replica: {instance_id: shop-db-dr, region: us-west-2}
    rpo_budget_seconds: 60
    rto_budget_seconds: 900
    eks: {cluster_name: shop-dr, nodegroup_name: shop-dr-workers, region: us-west-2}
    dns: {zone_name: example.com, record_name: app.example.com}
    cache:
      global_datastore_id: ldgnf-shop-cache
      primary: {region: us-east-1, replication_group_id: shop-cache}
      secondary: {region: us-west-2, replication_group_id: shop-cache-dr}
    buckets:
      - {name: shop-assets-use1, dr_name: shop-assets-usw2}
    regions: {primary: us-east-1, dr: us-west-2}
  register: readiness

- name: Show what failed
  ansible.builtin.debug:
    msg: "{{ readiness.findings | rejectattr('passed') | map(attribute='detail') | list }}"
"""

RETURN = r"""
findings:
  description: One finding per check, in the order of the description.
  returned: always
  type: list
  elements: dict
  contains:
    check:
      description: Check name.
      type: str
      sample: replica_lag
    resource:
      description: With O(cache) and O(buckets) findings only, the replication group or bucket it is about.
      type: str
      sample: shop-assets-use1
    passed:
      description: Whether the check passed.
      type: bool
      sample: true
    detail:
      description: What was seen, and what to fix when it failed.
      type: str
      sample: replica lag 2 s is within the RPO budget of 60 s
    numbers:
      description: The figures the check used.
      type: dict
      sample: {replica_lag_seconds: 2.0, rpo_budget_seconds: 60}
passed:
  description: Whether every check passed.
  returned: always
  type: bool
  sample: true
failed_checks:
  description: Names of the checks that failed.
  returned: always
  type: list
  elements: str
  sample: []
observed:
  description:
    - What the checks read that a runbook keeps to put the estate back - C(replica_spec) (the replica's class, subnet group,
      security group ids, KMS key, Multi-AZ and tags, null without O(replica) or when it does not exist) and
      C(dns_records) (the Route 53 failover pair as M(cloudops.runbooks.route53_failover_switch) returns it in C(before), null
      without O(dns)) and C(dr_traffic) (with O(alb), what M(cloudops.runbooks.alb_traffic_info) returns; else null)
      and C(restore_point) (with O(dr_restore), the newest restorable point in DR as M(cloudops.runbooks.rds_restore)
      returns it in C(restore_point); else null).
  returned: always
  type: dict
  sample: {replica_spec: {instance_class: db.t3.micro, subnet_group: shop-dr, security_group_ids: [sg-1], kms_key_id: null, multi_az: false,
           tags: {app: shop}}, dns_records: [{name: app.example.com., type: CNAME, set_identifier: primary, failover: PRIMARY}]}
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here one gate per finding (named after the
      check, with its numbers)."
  returned: always
  type: dict
  version_added: 1.0.0
  sample:
    detail: 3 check(s) passed
    measures: {checks: 3, failed: 0}
    gates:
    - name: replica_lag
      passed: true
      detail: lag 2 s within the RPO budget 60 s
      numbers: {lag_seconds: 2.0}
"""

import datetime

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness
from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import aurora as aurora_io
from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elasticache
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import s3
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def replica_checks(module, spec, observed):
    params = module.params
    region = spec.get("region") or module.region
    conn = client(module, "rds", region=region)
    instance = rds.describe_instance(module, conn, spec["instance_id"])
    if instance is None:
        return readiness.replica_findings(spec["instance_id"], None, None, None, None, params["rpo_budget_seconds"]) + [
            readiness.source_backups_finding(None, None)]
    source = rds_failover.source_instance(module, conn, instance)
    role, evidence = replication.replication_role(instance, source)
    lag = None
    if role == replication.REPLICA:
        points = cloudwatch.metric_datapoints(module, client(module, "cloudwatch", region=region), "AWS/RDS", "ReplicaLag",
                                              {"DBInstanceIdentifier": instance["DBInstanceIdentifier"]}, params["lag_lookback_seconds"])
        lag = replication.latest_datapoint(points)
    found = readiness.replica_findings(spec["instance_id"], instance, role, evidence, lag, params["rpo_budget_seconds"],
                                       params["lag_lookback_seconds"])
    observed["replica_spec"] = readiness.replica_spec(instance)
    return found + [readiness.source_backups_finding(instance.get("ReadReplicaSourceDBInstanceIdentifier"), source or None)]


def global_database_checks(module, spec, observed):
    """The Aurora global database's findings: the secondary cluster, its RPO lag, the primary's backups."""
    params = module.params
    read = aurora_io.global_read(module, spec, params["rpo_budget_seconds"], params["lag_lookback_seconds"], side="secondary")
    observed["global_cluster"] = read["info"]["global_cluster"]
    found = aurora.secondary_findings(spec["global_cluster_id"], spec["secondary"], read["global_cluster"], read["clusters"]["secondary"],
                                      read["lags"]["secondary"][0], params["rpo_budget_seconds"], params["lag_lookback_seconds"])
    primary = aurora_io.describe_cluster_quietly(module, spec["primary"]["region"], spec["primary"]["cluster_id"])
    return found + [aurora.backups_finding(spec["primary"], primary)]


def restore_checks(module, spec, observed):
    """Restore-based DR: the newest restorable point in DR and its age; the primary's own backups when readable."""
    params = module.params
    region = spec.get("region") or module.region
    read = rds_snapshots.dr_restore_points(module, client(module, "rds", region=region), spec["source_instance_id"])
    found = restore_dr.restore_point(read["snapshots"], read["backups"], spec["source_instance_id"], None, region,
                                     spec["source"], datetime.datetime.now(datetime.timezone.utc))
    observed["restore_point"] = restore_dr.point_result(found)
    findings = [restore_dr.readiness_finding(found, params["rpo_budget_seconds"], spec["source_instance_id"], region)]
    if spec.get("instance_id"):
        target = rds.describe_instance(module, client(module, "rds", region=region), spec["instance_id"])
        findings.append(restore_dr.target_finding(target, spec["instance_id"], region))
    if spec.get("source_region"):
        try:  # once, no retry: the primary's region may be down, and then there is nothing to say about it
            source = client(module, "rds", region=spec["source_region"]).describe_db_instances(
                DBInstanceIdentifier=spec["source_instance_id"])["DBInstances"][0]
        except Exception:  # pylint: disable=broad-except
            source = None
        findings.append(readiness.source_backups_finding(spec["source_instance_id"], source))
    return findings


def eks_checks(module, spec):
    conn = client(module, "eks", region=spec.get("region") or module.region)
    cluster = eks.describe_cluster(module, conn, spec["cluster_name"])
    found = [readiness.cluster_finding(spec["cluster_name"], cluster)]
    if spec.get("nodegroup_name"):
        nodegroup = eks.describe_nodegroup(module, conn, spec["cluster_name"], spec["nodegroup_name"]) if cluster else None
        found.append(readiness.nodegroup_finding(spec["cluster_name"], spec["nodegroup_name"], nodegroup))
    return found


def dns_checks(module, spec, observed):
    conn = client(module, "route53")
    zones = route53.hosted_zones(module, conn, spec["zone_name"])
    if spec.get("private_zone") is not None:
        zones = [zone for zone in zones if bool(zone.get("Config", {}).get("PrivateZone")) == spec["private_zone"]]
    if len(zones) != 1:
        return [readiness.finding(readiness.DNS_FAILOVER_TIME, False, "%s hosted zones named %s: fix dns.zone_name (or set "
                                  "dns.private_zone)" % (len(zones), spec["zone_name"]))]
    zone_id = zones[0]["Id"].split("/")[-1]
    records = [route53.record_from_boto(item) for item in route53.record_sets(module, conn, zone_id, spec["record_name"])]
    # The failover pair as route53_failover_switch's `before` gives it: what a failback puts back.
    try:
        observed["dns_records"] = sorted(failover.routing_records(records, "failover", None), key=lambda r: r.get("set_identifier") or "")
    except failover.SwitchError:  # records of several types: the DNS finding says what is wrong
        observed["dns_records"] = None
    primary_checks = sorted(set(r["health_check_id"] for r in records if r.get("failover") == "PRIMARY" and r.get("health_check_id")))
    configs = dict((check, route53.health_check(module, conn, check)["config"]) for check in primary_checks)
    return [readiness.dns_finding(spec["record_name"], records, configs, module.params["rto_budget_seconds"])]


def bucket_region_problems(buckets, regions):
    """Each bucket needs its two regions, given or from O(regions): what is missing, naming the variable."""
    regions = regions or {}
    out = []
    for index, spec in enumerate(buckets or []):
        for key, default in (("region", "primary"), ("dr_region", "dr")):
            if not (spec.get(key) or regions.get(default)):
                out.append("buckets[%d] (%s) has no %s: give it, or regions.%s (cloudops_regions.%s)." % (
                    index, spec["name"], key, default, default))
    return out


def state_store_tasks(worker, params):
    """{key: the reads and findings of the cache (its DR member, lag) or of one bucket (versioning, rule, probe)}."""
    tasks, regions = {}, params["regions"] or {}
    if params["cache"]:
        tasks["cache"] = lambda: elasticache.cache_read(worker, params["cache"], params["rpo_budget_seconds"], params["lag_lookback_seconds"])
    for spec in params["buckets"] or []:
        tasks[("bucket", spec["name"])] = (lambda spec=spec: s3.bucket_read(
            worker, spec, regions.get("primary"), regions.get("dr"), params["rpo_budget_seconds"]))
    return tasks


def cluster_spec():
    return dict(region=dict(type="str", required=True), cluster_id=dict(type="str", required=True),
                instance_ids=dict(type="list", elements="str"))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            replica=dict(type="dict", options=dict(instance_id=dict(type="str", required=True), region=dict(type="str"))),
            global_database=dict(type="dict", options=dict(
                engine=dict(type="str"), global_cluster_id=dict(type="str", required=True),
                primary=dict(type="dict", required=True, options=cluster_spec()),
                secondary=dict(type="dict", required=True, options=cluster_spec()))),
            dr_restore=dict(type="dict", options=dict(source_instance_id=dict(type="str", required=True),
                                                      source_region=dict(type="str"), region=dict(type="str"),
                                                      instance_id=dict(type="str"),
                                                      source=dict(type="str", default="newest", choices=list(restore_dr.SOURCES)))),
            rpo_budget_seconds=dict(type="int"),
            rto_budget_seconds=dict(type="int"),
            eks=dict(type="dict", options=dict(cluster_name=dict(type="str", required=True), nodegroup_name=dict(type="str"),
                                               region=dict(type="str"))),
            dns=dict(type="dict", options=dict(zone_name=dict(type="str", required=True), record_name=dict(type="str", required=True),
                                               private_zone=dict(type="bool"))),
            alb=dict(type="dict", options=dict(load_balancer_name=dict(type="str", required=True), listener_port=dict(type="int", default=443),
                                               target_groups=dict(type="dict", default={}), region=dict(type="str"))),
            cache=state_stores.cache_argument_spec(),
            buckets=state_stores.buckets_argument_spec(),
            regions=dict(type="dict", options=dict(primary=dict(type="str"), dr=dict(type="str"))),
            lag_lookback_seconds=dict(type="int", default=600),
            fail_on_findings=dict(type="bool", default=False),
        ),
        required_one_of=[["replica", "global_database", "dr_restore", "eks", "dns", "cache", "buckets"]],
        mutually_exclusive=[["replica", "global_database", "dr_restore"]],
        required_by={"replica": "rpo_budget_seconds", "global_database": "rpo_budget_seconds", "dr_restore": "rpo_budget_seconds",
                     "dns": "rto_budget_seconds", "cache": "rpo_budget_seconds", "buckets": "rpo_budget_seconds"},
        supports_check_mode=True,
    )
    params = module.params
    findings, observed = [], {"replica_spec": None, "dns_records": None, "dr_traffic": None, "restore_point": None}
    if params["alb"]:
        alb = params["alb"]
        region = alb.get("region") or module.region
        observed["dr_traffic"] = elbv2.traffic_info(module, client(module, "elbv2", region=region), region, alb["load_balancer_name"],
                                                    alb["listener_port"], alb["target_groups"])
    problems = bucket_region_problems(params["buckets"], params["regions"])
    if problems:
        module.fail_json(msg=" ".join(problems))
    worker = threads.WorkerModule(module)
    tasks = {}  # side by side: the bucket probes' waits overlap the other reads
    if params["replica"]:
        tasks["replica"] = lambda: replica_checks(worker, params["replica"], observed)
    if params["global_database"]:
        tasks["global_database"] = lambda: global_database_checks(worker, params["global_database"], observed)
    if params["dr_restore"]:
        tasks["dr_restore"] = lambda: restore_checks(worker, params["dr_restore"], observed)
    if params["eks"]:
        tasks["eks"] = lambda: eks_checks(worker, params["eks"])
    if params["dns"]:
        tasks["dns"] = lambda: dns_checks(worker, params["dns"], observed)
    tasks.update(state_store_tasks(worker, params))
    results, failures = threads.run_all(tasks)
    if failures:
        threads.fail_from(module, failures, lambda key: key if isinstance(key, str) else "bucket %s" % key[1])
    for key in tasks:
        findings += results[key]
    verdict = readiness.summary(findings)
    verdict["step_summary"] = readiness.readiness_step_summary(findings)
    if params["fail_on_findings"] and not verdict["passed"]:
        module.fail_json(msg="DR readiness: %s failed: %s" % (", ".join(verdict["failed_checks"]), "; ".join(
            item["detail"] for item in findings if not item["passed"])), findings=findings, **verdict)
    module.exit_json(changed=False, findings=findings, observed=observed, **verdict)


if __name__ == "__main__":
    main()
