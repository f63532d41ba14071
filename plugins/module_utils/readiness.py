# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DR readiness findings: is the estate able to fail over within its RPO and RTO budgets?

Each check gives one finding {check, passed, detail, numbers}; the detail says what was seen and, when it failed,
what to fix. Plain Python over boto3-shaped describes and the decisions of replication.py and failover.py.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps

REPLICA_ROLE = "replica_role"
REPLICA_LAG = "replica_lag"
SOURCE_BACKUPS = "source_backups"
DR_CLUSTER = "dr_cluster_active"
DR_NODEGROUP = "dr_nodegroup_active"
DNS_FAILOVER_TIME = "dns_failover_time"

CHECKS = (REPLICA_ROLE, REPLICA_LAG, SOURCE_BACKUPS, DR_CLUSTER, DR_NODEGROUP, DNS_FAILOVER_TIME)


def finding(check, passed, detail, **numbers):
    return {"check": check, "passed": bool(passed), "detail": detail, "numbers": numbers}


def replica_findings(instance_id, instance, role, evidence, lag, budget, lookback_seconds=None):
    """The replica's role and its lag against the RPO budget (two findings; the lag one fails when the replica is
    missing or not a replica, since nothing could be promoted)."""
    if instance is None:
        return [finding(REPLICA_ROLE, False, "replica %s not found: create the cross-region read replica (or fix "
                                             "replica.instance_id and replica.region)" % instance_id),
                finding(REPLICA_LAG, False, "no replica, so no recovery point", rpo_budget_seconds=budget)]
    status = instance.get("DBInstanceStatus")
    if role != replication.REPLICA:
        return [finding(REPLICA_ROLE, False, "%s is %s (%s), not a read replica: a failover has nothing to promote; "
                                             "re-create the replica of the primary" % (instance_id, role, evidence), status=status),
                finding(REPLICA_LAG, False, "%s is not replicating, so no recovery point" % instance_id, rpo_budget_seconds=budget)]
    role_ok = status == "available"
    role_finding = finding(REPLICA_ROLE, role_ok, "%s is a read replica (%s), status %s%s" % (
        instance_id, evidence, status, "" if role_ok else ": it must be available to be promoted"), status=status)
    gate = replication.promotion_gate(lag, budget, False, replication.replication_status(instance), lookback_seconds)
    lag_finding = finding(REPLICA_LAG, gate["allowed"], gate["problem"] or gate["reason"],
                          replica_lag_seconds=lag, rpo_budget_seconds=budget)
    return [role_finding, lag_finding]


def source_backups_finding(source_id, source):
    """The replica's source keeps automated backups (BackupRetentionPeriod > 0): a failback or a restore needs them."""
    if not source_id:
        return finding(SOURCE_BACKUPS, False, "the replica has no source instance to check")
    if source is None:
        return finding(SOURCE_BACKUPS, False, "source %s could not be read (missing, or its region unreachable)" % source_id)
    days = source.get("BackupRetentionPeriod") or 0
    if days > 0:
        return finding(SOURCE_BACKUPS, True, "source %s keeps automated backups for %s days" % (source_id, days),
                       backup_retention_days=days)
    return finding(SOURCE_BACKUPS, False, "source %s has automated backups off (BackupRetentionPeriod 0): turn them "
                                          "on, a read replica and point-in-time restores need them" % source_id,
                   backup_retention_days=days)


def cluster_finding(name, cluster):
    if cluster is None:
        return finding(DR_CLUSTER, False, "EKS cluster %s not found: check eks.cluster_name and eks.region" % name)
    status = cluster.get("status")
    return finding(DR_CLUSTER, status == "ACTIVE", "EKS cluster %s is %s" % (name, status), status=status,
                   version=cluster.get("version"))


def nodegroup_finding(cluster_name, name, nodegroup):
    if nodegroup is None:
        return finding(DR_NODEGROUP, False, "node group %s of %s not found: check eks.nodegroup_name" % (name, cluster_name))
    status = nodegroup.get("status")
    scaling = nodegroup.get("scalingConfig") or {}
    ok = status == "ACTIVE"
    issues = ((nodegroup.get("health") or {}).get("issues")) or []
    detail = "node group %s is %s (min %s, desired %s, max %s)" % (
        name, status, scaling.get("minSize"), scaling.get("desiredSize"), scaling.get("maxSize"))
    if issues:
        detail += "; health issues: %s" % "; ".join("%s: %s" % (i.get("code"), i.get("message")) for i in issues)
    return finding(DR_NODEGROUP, ok, detail, status=status, min_size=scaling.get("minSize"),
                   desired_size=scaling.get("desiredSize"), max_size=scaling.get("maxSize"))


def dns_finding(record_name, records, health_configs, rto_budget):
    """TTL plus the primary health check's detection time (RequestInterval x FailureThreshold) within the RTO budget.

    records: flattened records of the name (route53.record_from_boto). health_configs: {id: HealthCheckConfig}.
    The TTL counted is the largest of the pair (a resolver may hold either answer that long).
    """
    pair = [record for record in records if record.get("failover") in (failover.PRIMARY, failover.SECONDARY)]
    roles = sorted(record["failover"] for record in pair)
    if roles != [failover.PRIMARY, failover.SECONDARY]:
        return finding(DNS_FAILOVER_TIME, False, "%s has no PRIMARY/SECONDARY failover pair (found %s): DNS cannot fail over"
                       % (record_name, ", ".join(roles) or "no failover records"), rto_budget_seconds=rto_budget)
    primary = next(record for record in pair if record["failover"] == failover.PRIMARY)
    ttl = max(int(record.get("ttl") or 0) for record in pair)  # alias records have no TTL of their own
    check_id = primary.get("health_check_id")
    config = health_configs.get(check_id) if check_id else None
    if config is None:
        return finding(DNS_FAILOVER_TIME, False, "the PRIMARY record %s has no health check%s: Route 53 never fails over by "
                       "itself; attach one" % (primary.get("set_identifier"), "" if not check_id else " readable (%s)" % check_id),
                       ttl_seconds=ttl, rto_budget_seconds=rto_budget)
    interval = int(config.get("RequestInterval") or 30)
    threshold = int(config.get("FailureThreshold") or 3)
    detection = interval * threshold
    total = ttl + detection
    ok = rto_budget is None or total <= rto_budget
    detail = "TTL %s s + health check %s s x %s = %s s" % (ttl, interval, threshold, total)
    if rto_budget is not None:
        detail += " %s the RTO budget of %s s" % ("within" if ok else "over", rto_budget)
    if not ok:
        detail += ": lower the TTL or the health check's interval or failure threshold"
    return finding(DNS_FAILOVER_TIME, ok, detail, ttl_seconds=ttl, request_interval=interval, failure_threshold=threshold,
                   detection_seconds=detection, total_seconds=total, rto_budget_seconds=rto_budget)


def summary(findings):
    """{passed: all passed, failed_checks: [check, ...]}."""
    failed = [item["check"] for item in findings if not item["passed"]]
    return {"passed": not failed, "failed_checks": failed}


# -- step results (the report's gates; module_utils/steps.py) ----------------------------------------------------------
def readiness_step_summary(findings):
    """step_summary of dr_readiness_info: one gate per finding, with its numbers."""
    findings = [item for item in findings or [] if isinstance(item, dict)]
    gates = [steps.gate(item.get("check"), item.get("passed"), item.get("detail"), item.get("numbers")) for item in findings]
    failed = [item.get("check") for item in findings if not item.get("passed")]
    detail = ("%d check(s) failed: %s" % (len(failed), ", ".join(str(f) for f in failed)) if failed
              else "%d check(s) passed" % len(findings))
    return steps.summary(detail, {"checks": len(findings), "failed": len(failed)}, gates)


def replica_spec(instance):
    """How a replica is configured, from describe_db_instances: what re-creates it the same way (a drill's failback)."""
    if not instance:
        return None
    return {"instance_class": instance.get("DBInstanceClass"),
            "subnet_group": (instance.get("DBSubnetGroup") or {}).get("DBSubnetGroupName"),
            "security_group_ids": [g.get("VpcSecurityGroupId") for g in instance.get("VpcSecurityGroups") or [] if g.get("VpcSecurityGroupId")],
            "kms_key_id": instance.get("KmsKeyId"),
            "multi_az": instance.get("MultiAZ"),
            "tags": dict((t.get("Key"), t.get("Value")) for t in instance.get("TagList") or [] if t.get("Key"))}


# -- the readiness of a drill from the estate's status reads (estate_status, O(readiness)) -------------------------------
def health_configs(views):
    """{id: HealthCheckConfig's RequestInterval/FailureThreshold} from route53_failover_info's health check views."""
    return dict((check, {"RequestInterval": view.get("request_interval"), "FailureThreshold": view.get("failure_threshold")})
                for check, view in (views or {}).items() if isinstance(view, dict))


def dns_records_of(records):
    """The Route 53 failover pair as route53_failover_switch returns it in `before` (what a failback puts back), or
    None when the name's records are of several types (the DNS finding says what is wrong)."""
    try:
        return sorted(failover.routing_records(records, "failover", None), key=lambda r: r.get("set_identifier") or "")
    except failover.SwitchError:
        return None


def estate_readiness(replica, dr_cluster, dns, traffic, settings, restore=None):
    """What dr_readiness_info returns ({findings, passed, failed_checks, observed, step_summary}), judged from the reads
    estate_status made anyway: nothing is read twice.

    replica: _aws/rds.replication_read of the DR replica ({info, instance, source}); dr_cluster: _aws/eks.cluster_read
    of the DR cluster ({info, cluster, nodegroups}); dns: _aws/route53.failover_info's answer (None: not read);
    traffic: the DR load balancer's traffic_info (or None); settings: {replica_id, cluster_name, nodegroup_name,
    record_name, rpo_budget_seconds, rto_budget_seconds, lag_lookback_seconds}. restore: restore-based DR (no replica:
    module_utils/restore_dr.py) - {findings, restore_point}, judged by the caller from its read of the DR region."""
    replica = replica or {}
    info, instance = replica.get("info") or {}, replica.get("instance")
    budget, lookback = settings.get("rpo_budget_seconds"), settings.get("lag_lookback_seconds")
    if restore is not None:
        found = list(restore.get("findings") or [])
    elif instance is None:
        found = replica_findings(settings["replica_id"], None, None, None, None, budget) + [source_backups_finding(None, None)]
    else:
        found = replica_findings(settings["replica_id"], instance, info.get("role"), info.get("role_evidence"),
                                 info.get("replica_lag_seconds"), budget, lookback)
        found.append(source_backups_finding(instance.get("ReadReplicaSourceDBInstanceIdentifier"), replica.get("source") or None))
    return _with_estate(found, {"replica_spec": replica_spec(instance), "dns_records": None, "dr_traffic": traffic,
                                "restore_point": (restore or {}).get("restore_point")}, dr_cluster, dns, settings)


def aurora_estate_readiness(database, dr_cluster, dns, traffic, settings):
    """estate_readiness of an Aurora global database (db_shape.AURORA_GLOBAL): the secondary cluster exists, is in
    the global cluster, not its writer, `connected`, its RPO lag within the budget; the primary keeps backups; then
    the DR cluster, node group and DNS as for the replica shape. database: _aws/aurora.global_read's answer;
    settings as estate_readiness's plus rds (cloudops_rds). observed.global_cluster: the global cluster's report
    entry (observed.replica_spec is None: nothing to re-create on this shape)."""
    database = database or {}
    rds_spec = settings["rds"]
    clusters, lags = database.get("clusters") or {}, database.get("lags") or {}
    found = aurora.secondary_findings(rds_spec["global_cluster_id"], rds_spec["secondary"], database.get("global_cluster"),
                                      clusters.get("secondary"), (lags.get("secondary") or (None, None))[0],
                                      settings.get("rpo_budget_seconds"), settings.get("lag_lookback_seconds"))
    found.append(aurora.backups_finding(rds_spec["primary"], clusters.get("primary")))
    observed = {"replica_spec": None, "dns_records": None, "dr_traffic": traffic,
                "global_cluster": (database.get("info") or {}).get("global_cluster")}
    return _with_estate(found, observed, dr_cluster, dns, settings)


def _with_estate(found, observed, dr_cluster, dns, settings):
    """The database's findings plus the DR cluster's, node group's and DNS's, as estate_readiness returns them."""
    dr_cluster = dr_cluster or {}
    cluster = dr_cluster.get("cluster")
    found.append(cluster_finding(settings["cluster_name"], cluster))
    if settings.get("nodegroup_name"):
        groups = [g for g in dr_cluster.get("nodegroups") or [] if g.get("nodegroupName") == settings["nodegroup_name"]]
        found.append(nodegroup_finding(settings["cluster_name"], settings["nodegroup_name"], groups[0] if groups and cluster else None))
    if dns is not None:
        records = list(dns.get("records") or []) + list(dns.get("weighted_records") or []) + list(dns.get("other_records") or [])
        observed["dns_records"] = dns_records_of(records)
        found.append(dns_finding(settings["record_name"], records, health_configs(dns.get("health_checks")),
                                 settings.get("rto_budget_seconds")))
    verdict = summary(found)
    return dict(verdict, findings=found, observed=observed, step_summary=readiness_step_summary(found))
