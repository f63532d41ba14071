"""Route 53 change batches checked as Route 53 checks them (moto 5.2.5 does not), installed in the daemon's process.

moto refuses a CREATE that repeats any earlier CREATE in the zone's change journal while any record sorts at or after
its name, even when the same batch first DELETEs the record: so a failover pair switched to DR, back, and to DR again
(a second drill on one sandbox) fails with "Tried to create resource record set ... but it already exists". It also
deletes by SetIdentifier alone, across every name in the zone. Route 53 instead validates the whole batch in order
against the zone's records (a DELETE then a CREATE of the same record is how records are replaced), and a record is
identified by name, type and set identifier. This module puts that check in front of moto's and makes a DELETE
remove only the named record.
"""

from __future__ import annotations

from typing import Any


def record_key(name: str, rtype: str, set_identifier: str | None) -> tuple[str, str, str]:
    """How Route 53 identifies a record set: name (case- and trailing-dot-insensitive), type, set identifier."""
    return name.rstrip(".").lower(), rtype, set_identifier or ""


def check_batch(existing: set[tuple[str, str, str]], changes: list[dict[str, Any]]) -> str | None:
    """The reason Route 53 would refuse this batch, or None. `existing` holds the zone's record keys."""
    live = set(existing)
    for change in changes:
        rr = change["ResourceRecordSet"]
        key = record_key(rr["Name"], rr["Type"], rr.get("SetIdentifier"))
        label = "[name='%s.', type='%s'%s]" % (key[0], key[1], (", set-identifier='%s'" % key[2]) if key[2] else "")
        if change["Action"] == "CREATE":
            if key in live:
                return "Tried to create resource record set %s but it already exists" % label
            live.add(key)
        elif change["Action"] == "DELETE":
            if key not in live:
                return "Tried to delete resource record set %s but it was not found" % label
            live.discard(key)
        elif change["Action"] == "UPSERT":
            live.add(key)
    return None


def install() -> None:
    """Wrap moto's Route53Backend.change_resource_record_sets and FakeZone.delete_rrset_by_id (in this process)."""
    from moto.route53.exceptions import Route53ClientError
    from moto.route53.models import ChangeList, FakeZone, Route53Backend

    original = Route53Backend.change_resource_record_sets
    if getattr(original, "_cloudops_batches", False):
        return

    def change_resource_record_sets(self, zoneid, change_list):  # type: ignore[no-untyped-def]
        zone = self.get_hosted_zone(zoneid)
        problem = check_batch({record_key(r.name, r.type, r.set_identifier) for r in zone.rrsets}, change_list)
        if problem:
            raise Route53ClientError("InvalidChangeBatch", problem)
        # The batch is valid: moto's journal check (repeat of an earlier CREATE) must not refuse it.
        zone.rr_changes.__class__ = _ValidatedChangeList
        try:
            zone._cloudops_deleting = {record_key(c["ResourceRecordSet"]["Name"], c["ResourceRecordSet"]["Type"],
                                                  c["ResourceRecordSet"].get("SetIdentifier"))
                                       for c in change_list if c["Action"] == "DELETE"}
            return original(self, zoneid, change_list)
        finally:
            zone.rr_changes.__class__ = ChangeList
            zone._cloudops_deleting = set()

    def delete_rrset_by_id(self, set_identifier):  # type: ignore[no-untyped-def]
        names = {k[:2] for k in getattr(self, "_cloudops_deleting", set()) if k[2] == set_identifier}
        self.rrsets = [r for r in self.rrsets
                       if r.set_identifier != set_identifier or (names and record_key(r.name, r.type, None)[:2] not in names)]

    class _ValidatedChangeList(ChangeList):
        def __contains__(self, item: Any) -> bool:
            return False

    change_resource_record_sets._cloudops_batches = True  # type: ignore[attr-defined]
    Route53Backend.change_resource_record_sets = change_resource_record_sets
    FakeZone.delete_rrset_by_id = delete_rrset_by_id
