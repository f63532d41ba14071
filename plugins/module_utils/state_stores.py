# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""DR readiness of the estate's state stores besides the database: the ElastiCache Global Datastore
(`cloudops_cache`) and the S3 buckets replicated to DR (`cloudops_buckets`).

Findings have readiness.py's shape {check, passed, detail, numbers} plus `resource` (the replication group or bucket
the finding is about; the detail names it too). Plain Python over boto3-shaped describes; the reads are in
_aws/elasticache.py and _aws/s3.py, made by dr_readiness_info and estate_status.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication

CACHE_MEMBER = "cache_dr_member"
CACHE_LAG = "cache_lag"
BUCKET_VERSIONING = "bucket_versioning"
BUCKET_RULE = "bucket_replication_rule"
BUCKET_PROBE = "bucket_replication_probe"

CHECKS = (CACHE_MEMBER, CACHE_LAG, BUCKET_VERSIONING, BUCKET_RULE, BUCKET_PROBE)
# What a failover's max lag override lets through (as replica_lag): the data the DR copy lacks, not a missing copy.
LAG_CHECKS = (CACHE_LAG, BUCKET_PROBE)
# Blocking whenever the estate declares the store (a failover without LAG_CHECKS under the override).
BLOCKING = CHECKS

PROBE_DIR = ".cloudops-readiness/"
LAG_METRIC = "GlobalDatastoreReplicationLag"


def cache_argument_spec():
    """The module option of cloudops_cache (dr_readiness_info's O(cache), estate_status's O(readiness.cache))."""
    group = dict(region=dict(type="str", required=True), replication_group_id=dict(type="str", required=True))
    return dict(type="dict", options=dict(global_datastore_id=dict(type="str", required=True),
                                          primary=dict(type="dict", required=True, options=group),
                                          secondary=dict(type="dict", required=True, options=dict(group))))


def buckets_argument_spec():
    """The module option of cloudops_buckets (dr_readiness_info's O(buckets), estate_status's O(readiness.buckets))."""
    return dict(type="list", elements="dict", options=dict(
        name=dict(type="str", required=True), dr_name=dict(type="str", required=True), prefix=dict(type="str", default=""),
        region=dict(type="str"), dr_region=dict(type="str")))


def finding(check, resource, passed, detail, **numbers):
    return {"check": check, "resource": resource, "passed": bool(passed), "detail": detail, "numbers": numbers}


def _num(value):
    if value is None:
        return "unknown"
    value = float(value)
    return ("%d" % value) if value == int(value) else ("%.1f" % value)


# -- the cache: ElastiCache Global Datastore ----------------------------------------------------------------------------
def dr_member(global_group, group_id, region):
    """The Members entry of the DR group in describe_global_replication_groups(ShowMemberInfo=True), or None."""
    for member in (global_group or {}).get("Members") or []:
        if member.get("ReplicationGroupId") == group_id and member.get("ReplicationGroupRegion") in (region, None):
            return member
    return None


def member_clusters(group):
    """The cache clusters (nodes) of a replication group, in its order (the metric's CacheClusterId values)."""
    return list((group or {}).get("MemberClusters") or [])


def cache_status(spec, global_group):
    """The cache's part of the status report: the Global Datastore's status and which member group is the primary
    ({global_datastore_id, status, primary: "<region>/<group>" or None, members: {"<region>/<group>": role}}); a
    drill's status diff proves the primary is back where it was."""
    members = dict(("%s/%s" % (m.get("ReplicationGroupRegion"), m.get("ReplicationGroupId")), str(m.get("Role") or "").lower())
                   for m in (global_group or {}).get("Members") or [])
    primary = [member for member, role in sorted(members.items()) if role == "primary"]
    return {"global_datastore_id": spec["global_datastore_id"], "status": (global_group or {}).get("Status") if global_group else "missing",
            "primary": primary[0] if primary else None, "members": members}


def cache_findings(spec, global_group, dr_group, lag, budget, lookback_seconds=None):
    """The DR member of the Global Datastore and its replication lag (two findings, both about the DR group).

    spec: cloudops_cache ({global_datastore_id, primary: {region, replication_group_id}, secondary: {...}});
    global_group: describe_global_replication_groups' entry with its Members (None: not found); dr_group:
    describe_replication_groups' entry of the secondary group (None: not found); lag: the newest
    GlobalDatastoreReplicationLag of the DR group's nodes (None: no datapoint)."""
    gds_id = spec["global_datastore_id"]
    secondary = spec["secondary"]
    group_id, region = secondary["replication_group_id"], secondary["region"]
    resource = group_id

    def no_lag(why):
        return finding(CACHE_LAG, resource, False, "cache %s: %s, so no recovery point" % (group_id, why), rpo_budget_seconds=budget)

    if global_group is None:
        return [finding(CACHE_MEMBER, resource, False, "Global Datastore %s not found (its primary's region %s): create it, or fix "
                        "cloudops_cache.global_datastore_id (the full id, with its region prefix)" % (gds_id, spec["primary"]["region"])),
                no_lag("no Global Datastore")]
    if dr_group is None:
        return [finding(CACHE_MEMBER, resource, False, "cache %s: replication group not found in %s: create the DR member of %s, or fix "
                        "cloudops_cache.secondary" % (group_id, region, gds_id)),
                no_lag("no DR replication group")]
    member = dr_member(global_group, group_id, region)
    if member is None:
        members = ", ".join("%s (%s)" % (m.get("ReplicationGroupId"), m.get("ReplicationGroupRegion"))
                            for m in global_group.get("Members") or []) or "none"
        return [finding(CACHE_MEMBER, resource, False, "cache %s in %s is not a member of Global Datastore %s (members: %s): associate "
                        "it as its secondary" % (group_id, region, gds_id, members), group_status=dr_group.get("Status")),
                no_lag("not in the Global Datastore")]
    role, member_status, group_status = member.get("Role"), member.get("Status"), dr_group.get("Status")
    numbers = {"role": role, "member_status": member_status, "group_status": group_status,
               "datastore_status": global_group.get("Status")}
    if role != "SECONDARY":
        return [finding(CACHE_MEMBER, resource, False, "cache %s is the %s of Global Datastore %s, not its secondary: the cache already "
                        "runs from DR (fail it back first)" % (group_id, role, gds_id), **numbers),
                no_lag("not a secondary")]
    problems = []
    if member_status != "associated":
        problems.append("its membership is %s, not associated" % member_status)
    if group_status != "available":
        problems.append("the group is %s, not available" % group_status)
    if problems:
        member_finding = finding(CACHE_MEMBER, resource, False, "cache %s, secondary of %s: %s: wait for the running operation to end, "
                                 "or re-associate it" % (group_id, gds_id, "; ".join(problems)), **numbers)
    else:
        member_finding = finding(CACHE_MEMBER, resource, True, "cache %s in %s is the associated secondary of %s, available"
                                 % (group_id, region, gds_id), **numbers)
    verdict = replication.lag_verdict(lag, budget)
    if verdict == replication.LAG_OK:
        lag_finding = finding(CACHE_LAG, resource, True, "cache %s: %s %s s within the RPO budget of %s s"
                              % (group_id, LAG_METRIC, _num(lag), _num(budget)), lag_seconds=lag, rpo_budget_seconds=budget)
    elif verdict == replication.LAG_OVER:
        lag_finding = finding(CACHE_LAG, resource, False, "cache %s: %s %s s over the RPO budget of %s s: a failover now loses about %s s "
                              "of cache writes" % (group_id, LAG_METRIC, _num(lag), _num(budget), _num(lag)),
                              lag_seconds=lag, rpo_budget_seconds=budget)
    else:
        lag_finding = finding(CACHE_LAG, resource, False, "cache %s: no %s datapoint%s: the link may be broken, so the loss of a failover "
                              "is unknown" % (group_id, LAG_METRIC, " in the last %s s" % lookback_seconds if lookback_seconds else ""),
                              lag_seconds=None, rpo_budget_seconds=budget)
    return [member_finding, lag_finding]


# -- the buckets: S3 cross-region replication ---------------------------------------------------------------------------
def bucket_arn(name):
    return "arn:aws:s3:::%s" % name


def rule_prefix(rule):
    """The key prefix a replication rule covers ('' for the whole bucket): Filter.Prefix, Filter.And.Prefix or the
    older top-level Prefix."""
    rule_filter = rule.get("Filter") or {}
    if "Prefix" in rule_filter:
        return rule_filter.get("Prefix") or ""
    if "And" in rule_filter:
        return (rule_filter.get("And") or {}).get("Prefix") or ""
    return rule.get("Prefix") or ""


def matching_rule(configuration, dr_name, prefix=""):
    """(the enabled rule that replicates the keys under prefix to the DR bucket, the rules to that bucket)."""
    rules = [r for r in (configuration or {}).get("Rules") or []
             if ((r.get("Destination") or {}).get("Bucket") or "") in (bucket_arn(dr_name), dr_name)]
    for rule in sorted(rules, key=lambda r: -int(r.get("Priority") or 0)):
        if rule.get("Status") == "Enabled" and (prefix or "").startswith(rule_prefix(rule)):
            return rule, rules
    return None, rules


def probe_key(rule, token):
    """The probe object's key: under the rule's prefix (else it would not be replicated), in PROBE_DIR."""
    return "%s%sprobe-%s" % (rule_prefix(rule or {}), PROBE_DIR, token)


def bucket_findings(spec, primary_region, dr_region, versioning, configuration, probe, budget):
    """Versioning on both sides, the replication rule and the probe's trip (three findings about the source bucket).

    spec: one cloudops_buckets entry ({name, dr_name, prefix}); versioning: {name: the Status of
    get_bucket_versioning, '' when never enabled, None when the bucket does not exist} for both buckets; configuration:
    get_bucket_replication's ReplicationConfiguration (None: none); probe: None (not written: the other findings
    say why) or {key, seconds (put to seen in DR), arrived, waited_seconds, status (the source's ReplicationStatus)}."""
    name, dr_name = spec["name"], spec["dr_name"]
    found = []
    missing = [(b, r) for b, r in ((name, primary_region), (dr_name, dr_region)) if versioning.get(b) is None]
    off = [(b, versioning[b] or "never enabled") for b in (name, dr_name) if versioning.get(b) not in (None, "Enabled")]
    if missing:
        found.append(finding(BUCKET_VERSIONING, name, False, "bucket %s: %s not found: create it or fix cloudops_buckets (name, dr_name, "
                             "region, dr_region)" % (name, ", ".join("%s in %s" % m for m in missing))))
    elif off:
        found.append(finding(BUCKET_VERSIONING, name, False, "bucket %s: versioning %s: replication needs versioning Enabled on both "
                             "buckets: enable it" % (name, "; ".join("%s %s" % (b, s) for b, s in off)),
                             **dict(("versioning_%s" % b, versioning.get(b)) for b in (name, dr_name))))
    else:
        found.append(finding(BUCKET_VERSIONING, name, True, "bucket %s: versioning Enabled on %s and %s" % (name, name, dr_name)))
    rule, rules = matching_rule(configuration, dr_name, spec.get("prefix") or "")
    if missing and name in [m[0] for m in missing]:
        found.append(finding(BUCKET_RULE, name, False, "bucket %s: not found, so no replication rule" % name))
    elif rule is None:
        why = ("no replication configuration" if not configuration else
               "its rules to %s are disabled or do not cover %s" % (dr_name, repr(spec.get("prefix") or "the whole bucket")) if rules else
               "no replication rule to %s" % dr_name)
        found.append(finding(BUCKET_RULE, name, False, "bucket %s: %s: add an enabled rule replicating to %s (the DR copy)"
                             % (name, why, bucket_arn(dr_name)), rules=len(rules)))
    else:
        found.append(finding(BUCKET_RULE, name, True, "bucket %s: rule %s (enabled) replicates %s to %s" % (
            name, rule.get("ID") or "(no id)", repr(rule_prefix(rule)) if rule_prefix(rule) else "the whole bucket", dr_name),
            rule_id=rule.get("ID")))
    found.append(probe_finding(name, dr_name, probe, budget, found))
    return found


def probe_finding(name, dr_name, probe, budget, found=()):
    if probe is None:
        failed = [f["check"] for f in found if not f["passed"]]
        return finding(BUCKET_PROBE, name, False, "bucket %s: no probe written (%s failed), so no recovery point" % (
            name, ", ".join(failed) or "not probed"), rpo_budget_seconds=budget)
    seconds, waited = probe.get("seconds"), probe.get("waited_seconds")
    numbers = {"replication_seconds": seconds, "waited_seconds": waited, "rpo_budget_seconds": budget,
               "replication_status": probe.get("status")}
    if probe.get("arrived") and (budget is None or float(seconds) <= float(budget)):
        return finding(BUCKET_PROBE, name, True, "bucket %s: a probe object written now was in %s after %s s, within the RPO budget of "
                       "%s s" % (name, dr_name, _num(seconds), _num(budget)), **numbers)
    if probe.get("arrived"):
        return finding(BUCKET_PROBE, name, False, "bucket %s: a probe object took %s s to reach %s, over the RPO budget of %s s: new "
                       "objects are that far behind in DR" % (name, _num(seconds), dr_name, _num(budget)), **numbers)
    status = probe.get("status")
    why = ("replication FAILED (check the rule's role and the DR bucket's versioning and policy)" if status == "FAILED"
           else "its replication status is still %s (replication paused, slow or broken: S3's ReplicationLatency and "
                "OperationsPendingReplication metrics say how far behind)" % (status or "unset"))
    return finding(BUCKET_PROBE, name, False, "bucket %s: a probe object written %s s ago has not reached %s within the RPO budget of "
                   "%s s: %s" % (name, _num(waited), dr_name, _num(budget), why), **numbers)


def with_findings(verdict, findings):
    """A readiness verdict ({passed, failed_checks, findings, step_summary, ...}, readiness.estate_readiness's) with
    the state-store findings added after its own, the summary and step summary judged again."""
    if not findings:
        return verdict
    found = list(verdict.get("findings") or []) + list(findings)
    return dict(verdict, findings=found, step_summary=readiness.readiness_step_summary(found), **readiness.summary(found))
