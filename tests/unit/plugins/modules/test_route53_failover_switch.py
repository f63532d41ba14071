# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""route53_failover_switch against botocore's Stubber: the exact change batch (both records deleted as read and
created with swapped roles, in one batch), the INSYNC wait, and the health refusal. moto does not check that a
batch never leaves two PRIMARY records, so the batch's shape is pinned here."""

from __future__ import annotations

import datetime

from botocore.stub import ANY

from ansible_collections.cloudops.runbooks.plugins.modules import route53_failover_switch as module

ZONE = "Z0123456789ABCDEFGHIJ"
NAME = "app.example.com."
WHEN = datetime.datetime(2026, 1, 31, 12, 0, tzinfo=datetime.timezone.utc)


def rrset(set_id, role, value, check):
    return {"Name": NAME, "Type": "CNAME", "SetIdentifier": set_id, "Failover": role, "TTL": 60,
            "ResourceRecords": [{"Value": value}], "HealthCheckId": check}


PRIMARY = rrset("primary", "PRIMARY", "primary.elb.amazonaws.com", "hc-primary")
DR = rrset("dr", "SECONDARY", "dr.elb.amazonaws.com", "hc-dr")


def expect_reads(r53, records, health=None):
    health = health or {"hc-dr": True, "hc-primary": True}
    r53.add_response("list_hosted_zones_by_name", {
        "HostedZones": [{"Id": "/hostedzone/" + ZONE, "Name": "example.com.", "CallerReference": "x", "Config": {"PrivateZone": False}}],
        "IsTruncated": False, "MaxItems": "10"}, {"DNSName": "example.com.", "MaxItems": "10"})
    expect_records(r53, records)
    for check in sorted(health):  # whether each passes (its status alone; the configuration is not read)
        status = "Success: HTTP Status Code 200" if health[check] else "Failure: Connection timed out"
        r53.add_response("get_health_check_status", {"HealthCheckObservations": [
            {"Region": "us-east-1", "IPAddress": "192.0.2.1", "StatusReport": {"Status": status}}]}, {"HealthCheckId": check})


def expect_records(r53, records):
    r53.add_response("list_resource_record_sets", {"ResourceRecordSets": records, "IsTruncated": False, "MaxItems": "100"},
                     {"HostedZoneId": ZONE, "StartRecordName": NAME})


ARGS = {"zone_name": "example.com", "record_name": "app.example.com", "target": "dr"}


def test_the_flip_deletes_both_records_as_read_and_creates_them_with_swapped_roles_in_one_batch(aws):
    r53 = aws.stub("route53")
    expect_reads(r53, [DR, PRIMARY])
    r53.add_response("change_resource_record_sets", {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": WHEN}}, {
        "HostedZoneId": ZONE, "ChangeBatch": {"Comment": "cloudops.runbooks route53_failover_switch", "Changes": [
            {"Action": "DELETE", "ResourceRecordSet": DR},
            {"Action": "DELETE", "ResourceRecordSet": PRIMARY},
            {"Action": "CREATE", "ResourceRecordSet": dict(DR, Failover="PRIMARY")},
            {"Action": "CREATE", "ResourceRecordSet": dict(PRIMARY, Failover="SECONDARY")}]}})
    r53.add_response("get_change", {"ChangeInfo": {"Id": "/change/C1", "Status": "PENDING", "SubmittedAt": WHEN}}, {"Id": "C1"})
    r53.add_response("get_change", {"ChangeInfo": {"Id": "/change/C1", "Status": "INSYNC", "SubmittedAt": WHEN}}, {"Id": "C1"})
    # (the records are not read again: the accepted batch left the predicted ones)
    failed, result = aws.run(module, ARGS)
    assert not failed and result["changed"] and result["change_id"] == "C1" and result["change_status"] == "INSYNC"
    assert result["serving"] == "dr" and result["insync_seconds"] is not None
    assert [(r["set_identifier"], r["failover"]) for r in result["before"]] == [("dr", "SECONDARY"), ("primary", "PRIMARY")]
    assert [(r["set_identifier"], r["failover"]) for r in result["after"]] == [("dr", "PRIMARY"), ("primary", "SECONDARY")]
    aws.verify()


def test_a_failing_target_is_refused_unless_forced(aws):
    r53 = aws.stub("route53")
    expect_reads(r53, [DR, PRIMARY], {"hc-dr": False, "hc-primary": True})
    failed, result = aws.run(module, ARGS)
    assert failed and result["changed"] is False
    assert "Refusing to switch app.example.com, nothing was changed: with dr as PRIMARY, Route 53 would still answer with primary" in result["msg"]
    aws.verify()

    r53 = aws.stub("route53")
    expect_reads(r53, [DR, PRIMARY], {"hc-dr": False, "hc-primary": True})
    # The change's answer already says INSYNC: no GetChange (the stubber fails on a call it was not given).
    r53.add_response("change_resource_record_sets", {"ChangeInfo": {"Id": "/change/C2", "Status": "INSYNC", "SubmittedAt": WHEN}},
                     {"HostedZoneId": ZONE, "ChangeBatch": ANY})
    failed, result = aws.run(module, dict(ARGS, force=True))
    assert not failed and result["changed"] and result["serving"] == "primary"  # honest: Route 53 still answers primary
    aws.verify()


def test_the_pinned_side_is_not_switched_again(aws):
    r53 = aws.stub("route53")
    expect_reads(r53, [dict(DR, Failover="PRIMARY"), dict(PRIMARY, Failover="SECONDARY")])
    failed, result = aws.run(module, ARGS)
    assert not failed and result["changed"] is False and result["change_id"] is None and result["serving"] == "dr"
    aws.verify()


def test_check_mode_predicts_the_after_records_without_a_change_batch(aws):
    r53 = aws.stub("route53")
    expect_reads(r53, [DR, PRIMARY])
    failed, result = aws.run(module, dict(ARGS, _ansible_check_mode=True, _ansible_diff=True))
    assert not failed and result["changed"] and result["change_id"] is None
    assert [(r["set_identifier"], r["failover"]) for r in result["after"]] == [("dr", "PRIMARY"), ("primary", "SECONDARY")]
    assert result["diff"]["after"]["dr"]["failover"] == "PRIMARY" and result["diff"]["before"]["dr"]["failover"] == "SECONDARY"
    aws.verify()
