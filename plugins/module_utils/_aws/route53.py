# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Route 53 calls: describes as plain dicts, the failover read of route53_failover_info, the record change and its status."""

from __future__ import annotations

try:
    import botocore
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.cloudops.runbooks.plugins.module_utils import dns_change
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import apply, paginate


def _fqdn(name):
    return name if name.endswith(".") else name + "."


def _fail(module, e, what):
    module.fail_json_aws(e, msg="Could not read %s: check route53:List*/Get* permissions" % what)


def hosted_zones(module, conn, zone_name):
    """Hosted zones named zone_name (a public and a private zone may share a name)."""
    try:
        # list_hosted_zones_by_name starts at DNSName in sorted order; the exact matches come first.
        found = conn.list_hosted_zones_by_name(DNSName=_fqdn(zone_name), MaxItems="10", aws_retry=True)["HostedZones"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "hosted zone %s" % zone_name)
    return [zone for zone in found if zone["Name"] == _fqdn(zone_name)]


def record_sets(module, conn, zone_id, record_name):
    """All record sets named record_name in the zone (boto3 shape)."""
    try:
        found = paginate(conn, "list_resource_record_sets", HostedZoneId=zone_id, StartRecordName=_fqdn(record_name))
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "record sets of %s" % record_name)
    return [item for item in found["ResourceRecordSets"] if item["Name"] == _fqdn(record_name)]


def health_check(module, conn, check_id):
    """{"config": HealthCheckConfig, "observations": [{region, status}]} of one health check."""
    try:
        config = conn.get_health_check(HealthCheckId=check_id, aws_retry=True)["HealthCheck"]["HealthCheckConfig"]
        observed = conn.get_health_check_status(HealthCheckId=check_id, aws_retry=True)["HealthCheckObservations"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "health check %s" % check_id)
    observations = [{"region": obs.get("Region"), "status": obs.get("StatusReport", {}).get("Status")} for obs in observed]
    return {"config": config, "observations": sorted(observations, key=lambda obs: obs["region"] or "")}


def health_status(module, conn, check_id):
    """The observations [{region, status}] of one health check (GetHealthCheckStatus alone: whether it passes, without
    its configuration)."""
    try:
        observed = conn.get_health_check_status(HealthCheckId=check_id, aws_retry=True)["HealthCheckObservations"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "health check %s" % check_id)
    observations = [{"region": obs.get("Region"), "status": obs.get("StatusReport", {}).get("Status")} for obs in observed]
    return sorted(observations, key=lambda obs: obs["region"] or "")


def record_from_boto(item):
    """A record set flattened to the fields a runbook reads (value = records joined, or the alias target)."""
    alias = item.get("AliasTarget")
    values = [record["Value"] for record in item.get("ResourceRecords", [])]
    return {
        "name": item["Name"],
        "type": item["Type"],
        "set_identifier": item.get("SetIdentifier"),
        "failover": item.get("Failover"),
        "weight": item.get("Weight"),
        "ttl": item.get("TTL"),
        "values": values,
        "alias": {
            "dns_name": alias["DNSName"],
            "hosted_zone_id": alias["HostedZoneId"],
            "evaluate_target_health": alias.get("EvaluateTargetHealth"),
        } if alias else None,
        "value": alias["DNSName"] if alias else ",".join(values),
        "health_check_id": item.get("HealthCheckId"),
    }


def health_check_view(found):
    """A health_check() answer as route53_failover_info returns it, with healthy decided as Route 53 does."""
    config = found["config"]
    return {
        "type": config.get("Type"),
        "fqdn": config.get("FullyQualifiedDomainName"),
        "ip_address": config.get("IPAddress"),
        "port": config.get("Port"),
        "resource_path": config.get("ResourcePath"),
        "request_interval": config.get("RequestInterval"),
        "failure_threshold": config.get("FailureThreshold"),
        "healthy": failover.health_check_healthy(found["observations"]),
        "observations": found["observations"],
    }


def failover_info(module, conn, zone_name, record_name, private_zone=None, zone_id=None):
    """What route53_failover_info returns: the record sets of record_name (failover, weighted, other), the health
    checks they reference, and which side of the failover pair is served. private_zone picks the private (True) or
    public (False) zone when both share zone_name; otherwise the name must match exactly one zone. zone_id: the zone
    as the caller already knows it (not looked up by name)."""
    if zone_id:
        zone_id = zone_id.split("/")[-1]
    else:
        zones = hosted_zones(module, conn, zone_name)
        if private_zone is not None:
            zones = [zone for zone in zones if zone.get("Config", {}).get("PrivateZone", False) == private_zone]
        if len(zones) != 1:
            module.fail_json(msg="%s hosted zones named %s: check zone_name, or set private_zone when a public and a private zone "
                                 "share it" % (len(zones), zone_name))
        zone_id = zones[0]["Id"].split("/")[-1]
    records = [record_from_boto(item) for item in record_sets(module, conn, zone_id, record_name)]

    checks = sorted(set(record["health_check_id"] for record in records if record["health_check_id"]))
    health_checks = dict((check, health_check_view(health_check(module, conn, check))) for check in checks)

    failover_records = sorted((r for r in records if r["failover"]), key=lambda r: (r["failover"], r["set_identifier"]))
    weighted = sorted((r for r in records if r["weight"] is not None), key=lambda r: r["set_identifier"])
    return {
        "zone_id": zone_id,
        "records": failover_records,
        "weighted_records": weighted,
        "weighted_shares": failover.weighted_shares(weighted),
        "other_records": [r for r in records if not r["failover"] and r["weight"] is None],
        "health_checks": health_checks,
        "failover": failover.failover_state(failover_records, dict((k, v["healthy"]) for k, v in health_checks.items())),
    }


def record_to_boto(record):
    """The ResourceRecordSet (boto3 shape) of a flattened record (record_from_boto's fields): the inverse for failover
    and weighted records, whose other routing fields (Region, GeoLocation, ...) cannot be set."""
    item = {"Name": _fqdn(record["name"]), "Type": record["type"], "SetIdentifier": record["set_identifier"]}
    if record.get("failover"):
        item["Failover"] = record["failover"]
    if record.get("weight") is not None:
        item["Weight"] = int(record["weight"])
    alias = record.get("alias")
    if alias:
        item["AliasTarget"] = {"DNSName": alias["dns_name"], "HostedZoneId": alias["hosted_zone_id"],
                               "EvaluateTargetHealth": bool(alias.get("evaluate_target_health"))}
    else:
        item["TTL"] = int(record["ttl"])
        item["ResourceRecords"] = [{"Value": value} for value in record.get("values") or []]
    if record.get("health_check_id"):
        item["HealthCheckId"] = record["health_check_id"]
    return item


def change_record_sets(module, conn, zone_id, changes, comment, **context):
    """Submit one change batch (all or nothing); returns its ChangeInfo (Id without the /change/ prefix).

    When the answer was lost and the records read back show the batch in place, there is no change id to ask
    about: the ChangeInfo is {Id: None, Status: INSYNC} (the records are served by the API that was read; get_change
    of None answers INSYNC)."""
    def applied():
        return {"ChangeInfo": {"Id": None, "Status": "INSYNC", "Comment": comment}} if _in_place(conn, zone_id, changes) else None

    try:
        info = apply(conn.change_resource_record_sets, dict(HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": changes}),
                     applied)["ChangeInfo"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        module.fail_json_aws(e, msg="Could not change the records of zone %s (nothing was changed: a batch is all or nothing). "
                             "InvalidChangeBatch usually means the records changed since they were read: run again; else check "
                             "route53:ChangeResourceRecordSets permission" % zone_id, **context)
    return dict(info, Id=info["Id"].split("/")[-1] if info.get("Id") else None)


def _comparable(item):
    """A record set as Route 53 stores it, for comparing what a batch sets with what a list reads back."""
    record = record_from_boto(item)
    record["name"] = record["name"].lower().rstrip(".")
    if record["alias"]:
        record["alias"]["dns_name"] = record["alias"]["dns_name"].lower().rstrip(".")
        record["value"] = record["alias"]["dns_name"]
        record["ttl"] = None
    return record


def _in_place(conn, zone_id, changes):
    """Whether the zone's records are what the batch leaves: each (name, type, set identifier) as its last change
    made it (CREATE/UPSERT: that record set; DELETE: absent). List errors raise to the caller."""
    final = {}
    for change in changes:
        item = change["ResourceRecordSet"]
        key = (_fqdn(item["Name"]).lower(), item["Type"], item.get("SetIdentifier"))
        final[key] = None if change["Action"] == "DELETE" else _comparable(item)
    for name in sorted(set(key[0] for key in final)):
        found = paginate(conn, "list_resource_record_sets", HostedZoneId=zone_id, StartRecordName=name)["ResourceRecordSets"]
        now = dict(((_fqdn(item["Name"]).lower(), item["Type"], item.get("SetIdentifier")), _comparable(item))
                   for item in found if _fqdn(item["Name"]).lower() == name)
        if any(now.get(key) != wanted for key, wanted in final.items() if key[0] == name):
            return False
    return True


def get_change(module, conn, change_id):
    """The ChangeInfo of a submitted batch (Status PENDING or INSYNC); INSYNC for None (a batch whose answer was
    lost and whose records were read back in place: see change_record_sets)."""
    if change_id is None:
        return {"Id": None, "Status": "INSYNC"}
    try:
        info = conn.get_change(Id=change_id, aws_retry=True)["ChangeInfo"]
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as e:
        _fail(module, e, "change %s" % change_id)
    return dict(info, Id=info["Id"].split("/")[-1])


def wait_insync(module, conn, change_id, submitted_at, wait_timeout):
    """Wait until a change is INSYNC (route53_change_wait, failover_serving): {changed, change_id, change_status,
    waited_seconds, insync_seconds, finished_at, step_summary}; fails the module, naming the change, on a bad
    submitted_at or a timeout. Without a change id there is nothing to wait for."""
    change_id = change_id.split("/")[-1] if change_id else None
    try:
        submitted = dns_change.parse_submitted(submitted_at) if submitted_at else None
    except dns_change.ChangeError as e:
        module.fail_json(msg=str(e))
    watch = timing.Stopwatch()
    waited = waiting.poll_until(lambda: get_change(module, conn, change_id), lambda found: found["Status"] == "INSYNC", wait_timeout,
                                delays=waiting.operation_pauses())
    times = watch.stop()
    info = waited["result"]
    result = dict(changed=False, change_id=change_id, change_status=info["Status"], waited_seconds=times["duration_seconds"])
    if not waited["done"]:
        result["step_summary"] = dns_change.insync_step_summary(result)
        module.fail_json(msg="change %s is still %s after %s s: the records are changed but not yet on every Route 53 name server; "
                             "check it with aws route53 get-change" % (change_id, info["Status"], waited["elapsed"]), **result)
    seconds = dns_change.insync_seconds(change_id, submitted or info.get("SubmittedAt"), times["finished_at"], times["duration_seconds"])
    result.update(finished_at=times["finished_at"], insync_seconds=seconds)
    result["step_summary"] = dns_change.insync_step_summary(result)
    return result
