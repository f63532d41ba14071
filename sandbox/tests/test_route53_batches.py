"""Route 53 change batches on the sandbox behave as on Route 53: validated as a whole, in order; a record is its
name, type and set identifier (sandbox/route53_batches.py corrects moto here)."""
import pytest
from botocore.exceptions import ClientError

from sandbox.config import aws_client, load_inventory, resolve_inventory
from sandbox.route53_batches import check_batch, record_key

INV = load_inventory(resolve_inventory(None))


def cname(name, set_id, role, value, action):
    return {"Action": action, "ResourceRecordSet": {"Name": name, "Type": "CNAME", "SetIdentifier": set_id, "Failover": role,
                                                    "TTL": 30, "ResourceRecords": [{"Value": value}]}}


def test_check_batch_follows_the_batch_in_order():
    a = record_key("a.example.", "CNAME", "primary")
    assert a == ("a.example", "CNAME", "primary") == record_key("A.example", "CNAME", "primary")
    swap = [cname("a.example", "primary", "PRIMARY", "x", "DELETE"), cname("a.example", "primary", "SECONDARY", "x", "CREATE")]
    assert check_batch({a}, swap) is None
    assert "already exists" in check_batch({a}, [cname("a.example", "primary", "PRIMARY", "x", "CREATE")])
    assert "already exists" in check_batch(set(), swap[1:] * 2)
    assert "was not found" in check_batch(set(), swap[:1])
    assert "was not found" in check_batch({a}, swap[:1] * 2)
    assert check_batch(set(), [cname("a.example", "primary", "PRIMARY", "x", "UPSERT")]) is None


@pytest.fixture
def zone(sandbox):
    r53 = aws_client("route53", sandbox.info["moto"]["url"], INV["cloudops_regions"]["primary"])
    zone_id = r53.list_hosted_zones_by_name(DNSName=INV["cloudops_dns"]["zone_name"])["HostedZones"][0]["Id"]
    name = "batch-test." + INV["cloudops_dns"]["zone_name"]
    pair = [cname(name, "primary", "PRIMARY", "p.example", "CREATE"), cname(name, "dr", "SECONDARY", "d.example", "CREATE")]
    r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": pair})

    def records():
        found = r53.list_resource_record_sets(HostedZoneId=zone_id)["ResourceRecordSets"]
        return found, {r["SetIdentifier"]: r["Failover"] for r in found if r["Name"] == name + "."}

    yield r53, zone_id, name, records
    _, left = records()
    roles = {"primary": ("PRIMARY", "p.example"), "dr": ("SECONDARY", "d.example")}
    gone = [cname(name, s, role, roles[s][1], "DELETE") for s, role in left.items()]
    if gone:
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": gone})


def test_a_failover_pair_can_be_switched_back_and_forth_repeatedly(zone):
    r53, zone_id, name, records = zone
    others_before = [r for r in records()[0] if r["Name"] != name + "."]

    def switch(to_dr):
        old, new = (("PRIMARY", "SECONDARY"), ("SECONDARY", "PRIMARY"))[::1 if to_dr else -1]
        changes = [cname(name, "primary", old[0], "p.example", "DELETE"), cname(name, "dr", old[1], "d.example", "DELETE"),
                   cname(name, "primary", new[0], "p.example", "CREATE"), cname(name, "dr", new[1], "d.example", "CREATE")]
        r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})

    for to_dr in (True, False, True, False):  # moto alone refused the second switch to DR
        switch(to_dr)
        assert records()[1] == ({"primary": "SECONDARY", "dr": "PRIMARY"} if to_dr else {"primary": "PRIMARY", "dr": "SECONDARY"})
    # The deletes by set identifier removed only this name's records: the application's pair is untouched.
    assert [r for r in records()[0] if r["Name"] != name + "."] == others_before


def test_a_batch_route53_would_refuse_changes_nothing(zone):
    r53, zone_id, name, records = zone
    for changes in ([cname(name, "primary", "PRIMARY", "p.example", "CREATE")],
                    [cname(name, "dr", "SECONDARY", "d.example", "DELETE"), cname(name, "dr", "SECONDARY", "d.example", "DELETE")]):
        with pytest.raises(ClientError) as refused:
            r53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
        assert refused.value.response["Error"]["Code"] == "InvalidChangeBatch"
        assert records()[1] == {"primary": "PRIMARY", "dr": "SECONDARY"}
