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
  - Only the sections given (O(replica), O(eks), O(dns)) are checked.
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
  dr_restore:
    description: Restore-based DR (nothing warm in DR) - where the primary's data can be restored from in DR.
    type: dict
    version_added: 1.0.0
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
        Needed with O(replica) or O(dr_restore).
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
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import cloudwatch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
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


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            replica=dict(type="dict", options=dict(instance_id=dict(type="str", required=True), region=dict(type="str"))),
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
            lag_lookback_seconds=dict(type="int", default=600),
            fail_on_findings=dict(type="bool", default=False),
        ),
        required_one_of=[["replica", "dr_restore", "eks", "dns"]],
        mutually_exclusive=[["replica", "dr_restore"]],
        required_by={"replica": "rpo_budget_seconds", "dr_restore": "rpo_budget_seconds", "dns": "rto_budget_seconds"},
        supports_check_mode=True,
    )
    params = module.params
    findings, observed = [], {"replica_spec": None, "dns_records": None, "dr_traffic": None, "restore_point": None}
    if params["alb"]:
        alb = params["alb"]
        region = alb.get("region") or module.region
        observed["dr_traffic"] = elbv2.traffic_info(module, client(module, "elbv2", region=region), region, alb["load_balancer_name"],
                                                    alb["listener_port"], alb["target_groups"])
    if params["replica"]:
        findings += replica_checks(module, params["replica"], observed)
    if params["dr_restore"]:
        findings += restore_checks(module, params["dr_restore"], observed)
    if params["eks"]:
        findings += eks_checks(module, params["eks"])
    if params["dns"]:
        findings += dns_checks(module, params["dns"], observed)
    verdict = readiness.summary(findings)
    verdict["step_summary"] = readiness.readiness_step_summary(findings)
    if params["fail_on_findings"] and not verdict["passed"]:
        module.fail_json(msg="DR readiness: %s failed: %s" % (", ".join(verdict["failed_checks"]), "; ".join(
            item["detail"] for item in findings if not item["passed"])), findings=findings, **verdict)
    module.exit_json(changed=False, findings=findings, observed=observed, **verdict)


if __name__ == "__main__":
    main()
