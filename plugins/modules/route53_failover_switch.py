#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: route53_failover_switch
version_added: 1.0.0
short_description: Point a Route 53 failover pair or weighted set at another side, wait until INSYNC, return what restores it
description:
  - Changes the record sets of one name in one change batch (all or nothing), waits until Route 53 reports the change
    C(INSYNC) (C(GetChange), polled adaptively), and returns the records before and after. RV(before) passed back as
    O(records) restores them exactly (a failback).
  - B(Failover pair) (O(target)), which is how a failover runbook moves traffic. The record whose set identifier is
    O(target) becomes the C(PRIMARY) and the other the C(SECONDARY). Only the C(Failover) role moves. Each set
    identifier keeps its endpoint, TTL and health check, so O(target) answers no matter what the old primary's
    health check says. Traffic is pinned to the side whose database was promoted, and it does not drift back when the
    old region recovers. The sandbox's health checks always pass, so this is also the only way DNS visibly serves DR
    there. A health-check based failover (inverting the primary's check) would leave the decision to Route 53's
    checkers and is not what this module does.
  - Route 53 refuses UPSERTs that swap the roles of a pair (a name cannot have two C(PRIMARY) records, see
    U(https://github.com/boto/boto3/issues/1347)). The module therefore deletes both records and creates them again
    in the same change batch, which Route 53 applies all at once. The deletes name the records exactly as read, so a
    batch built on stale data is refused by Route 53 and changes nothing. Run the module again.
  - B(Weighted set) (O(weights)). Sets the weights of the named set identifiers. The others keep theirs.
  - B(Restore) (O(records)). Makes the named record sets exactly as given (an earlier RV(before)).
  - Before a failover switch, the module checks the health of the O(target)'s health check. When Route 53 would
    still not answer with O(target) (its health check fails while the other's passes), the switch is refused unless
    O(force=true). Likewise for a weighted set whose records with weight all fail their checks. A restore is never
    refused.
  - Idempotent. When the records already are as requested (O(target) already is the C(PRIMARY)), nothing is changed.
  - Check mode predicts RV(after); C(--diff) shows the records before and after.
options:
  zone_name:
    description:
      - Name of the hosted zone, for example V(example.com). Mutually exclusive with O(zone_id).
    type: str
  zone_id:
    description:
      - ID of the hosted zone. Mutually exclusive with O(zone_name).
    type: str
  private_zone:
    description:
      - With O(zone_name), pick the private (V(true)) or public (V(false)) zone when both exist with that name.
    type: bool
  record_name:
    description:
      - Fully qualified name of the record, for example V(app.example.com).
    type: str
    required: true
  record_type:
    description:
      - Type of the records to switch (V(A), V(AAAA), V(CNAME), ...). Needed only when the name has failover (or
        weighted) records of several types.
    type: str
  target:
    description:
      - Set identifier of the failover record that must become C(PRIMARY) and answer (for example V(dr)).
    type: str
    aliases: [set_identifier]
  weights:
    description:
      - Weights to set on a weighted record set, as a mapping of set identifier to weight (0 to 255).
    type: dict
  records:
    description:
      - Records to restore exactly, in the form of RV(before) (V(name), V(type), V(set_identifier), V(failover) or
        V(weight), V(ttl), V(values) or V(alias), V(health_check_id)).
    type: list
    elements: dict
  force:
    description:
      - Switch even when the health checks say Route 53 would not answer with the requested side.
    type: bool
    default: false
  comment:
    description:
      - Comment of the change batch.
    type: str
    default: cloudops.runbooks route53_failover_switch
  wait:
    description:
      - Wait until the change is C(INSYNC) on Route 53's name servers.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait for C(INSYNC).
    type: int
    default: 300
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Fail app.example.com over to the DR side (its record becomes PRIMARY)
  cloudops.runbooks.route53_failover_switch:
    zone_name: example.com
    record_name: app.example.com
    target: dr
  register: dns_flip

- name: Fail back - put the records back exactly as they were
  cloudops.runbooks.route53_failover_switch:
    zone_name: example.com
    record_name: app.example.com
    records: "{{ dns_flip.before }}"

- name: Send all traffic of a weighted set to us-west-2
  cloudops.runbooks.route53_failover_switch:
    zone_name: example.com
    record_name: api.example.com
    weights:
      us-east-1: 0
      us-west-2: 100
"""

RETURN = r"""
zone_id:
  description: Hosted zone ID.
  returned: always
  type: str
  sample: Z0123456789ABCDEFGHIJ
mode:
  description: V(failover), V(weighted) or V(restore).
  returned: always
  type: str
  sample: failover
before:
  description: >-
    The records the module manages, before the run (the failover pair, the weighted set, or the restored set
    identifiers), complete enough to restore them with O(records).
  returned: always
  type: list
  elements: dict
  sample:
  - name: app.example.com.
    type: CNAME
    set_identifier: dr
    failover: SECONDARY
    weight: null
    ttl: 60
    values: [shop-dr-alb.us-west-2.elb.amazonaws.com]
    alias: null
    value: shop-dr-alb.us-west-2.elb.amazonaws.com
    health_check_id: 6d1b0f5c-0000-0000-0000-000000000002
  - name: app.example.com.
    type: CNAME
    set_identifier: primary
    failover: PRIMARY
    weight: null
    ttl: 60
    values: [shop-primary-alb.us-east-1.elb.amazonaws.com]
    alias: null
    value: shop-primary-alb.us-east-1.elb.amazonaws.com
    health_check_id: 6d1b0f5c-0000-0000-0000-000000000001
after:
  description: The same records after the run, read back from Route 53 (in check mode, the prediction).
  returned: always
  type: list
  elements: dict
  sample: []
changed_set_identifiers:
  description: Set identifiers whose records were (or would be) changed.
  returned: always
  type: list
  elements: str
  sample: [dr, primary]
serving:
  description: >-
    Set identifier Route 53 answers with after the run, as M(cloudops.runbooks.route53_failover_info) decides it
    (the C(PRIMARY) unless its health check fails); null for a weighted set.
  returned: always
  type: str
  sample: dr
failover:
  description: The failover pair's state after the run (primary, secondary, primary_healthy, serving); null without a pair.
  returned: always
  type: dict
  sample: {primary: dr, secondary: primary, primary_healthy: true, serving: PRIMARY}
weighted_shares:
  description: Percent of traffic per set identifier of the weighted records after the run (empty without weights).
  returned: always
  type: dict
  sample: {}
health:
  description: Health of each health check the records reference (V(true), V(false), or null when not reported).
  returned: always
  type: dict
  sample: {6d1b0f5c-0000-0000-0000-000000000001: true}
change_id:
  description: ID of the change batch; null when nothing was changed.
  returned: always
  type: str
  sample: C2682N5HXP0BZ4
change_status:
  description: C(PENDING) or C(INSYNC); null when nothing was changed.
  returned: always
  type: str
  sample: INSYNC
insync_seconds:
  description: Seconds (monotonic clock) from submitting the change until it was seen C(INSYNC); null without a wait or a change.
  returned: always
  type: float
  sample: 31.5
started_at:
  description: UTC time the change was submitted (ISO 8601); null when nothing was changed.
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time the change was seen C(INSYNC); null without a wait or a change.
  returned: always
  type: str
  sample: '2026-01-31T12:00:31.625000+00:00'
step_summary:
  description:
    - "The module's result as a runbook step, read by C(cloudops.runbooks.runbook_step) and the run evidence: C(detail)
      (one line for the report), C(measures) (flat numbers) and C(gates), here the DNS change as a gate once one was
      sent and waited for (C(DNS change): INSYNC passes, with the time to INSYNC); no gate for no change, a prediction
      or a change sent with O(wait=false)."
  returned: when the records were read (not on a refusal or a wrong argument)
  type: dict
  version_added: 1.0.0
  sample:
    detail: serving dr
    change INSYNC after 0.4 s: null
    measures: {insync_seconds: 0.4}
    gates:
    - name: DNS change
      passed: true
      detail: serving dr
      numbers: {insync_seconds: 0.4, change_status: INSYNC, serving: dr, mode: failover}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def zone_id_of(module, conn):
    if module.params["zone_id"]:
        return module.params["zone_id"].split("/")[-1]
    zones = route53.hosted_zones(module, conn, module.params["zone_name"])
    private = module.params["private_zone"]
    matching = [zone for zone in zones if private is None or bool(zone.get("Config", {}).get("PrivateZone")) == private]
    if len(matching) != 1:
        module.fail_json(msg="%s hosted zones named %s%s: give zone_id, or private_zone when a public and a private zone share the name"
                         % (len(matching), module.params["zone_name"], "" if private is None else " (private_zone=%s)" % private))
    return matching[0]["Id"].split("/")[-1]


def read(module, conn, zone_id):
    """(flattened records, {record key: boto3 record}) of the name."""
    raw = route53.record_sets(module, conn, zone_id, module.params["record_name"])
    records = [route53.record_from_boto(item) for item in raw]
    return records, dict((failover.record_key(record), item) for record, item in zip(records, raw))


def health_of(module, conn, records):
    checks = sorted(set(record["health_check_id"] for record in records if record.get("health_check_id")))
    return dict((check, failover.health_check_healthy(route53.health_status(module, conn, check))) for check in checks)


def desired_records(module, current):
    """(mode, the records the module manages as they are, as they must be)."""
    params = module.params
    if params["target"] is not None:
        pair = failover.routing_records(current, "failover", params["record_type"])
        return "failover", pair, failover.pin_primary(pair, params["target"])
    if params["weights"] is not None:
        weighted = failover.routing_records(current, "weighted", params["record_type"])
        return "weighted", weighted, failover.set_weights(weighted, params["weights"])
    wanted = failover.normalise_wanted(params["records"], params["record_name"])
    keys = set(failover.record_key(record) for record in wanted)
    return "restore", by_set([record for record in current if failover.record_key(record) in keys]), wanted


def by_set(records):
    return sorted(records, key=lambda record: record.get("set_identifier") or "")


def view(records):
    """The records as the diff shows them: per set identifier, what routing and answer it has."""
    return dict((record["set_identifier"], {
        "failover": record.get("failover"), "weight": record.get("weight"), "ttl": record.get("ttl"),
        "value": record.get("value") or ",".join(record.get("values") or []), "health_check_id": record.get("health_check_id"),
    }) for record in records)


def outcome(records, health):
    """serving, failover state and weighted shares of a set of records."""
    pair = [record for record in records if record.get("failover")]
    weighted = [record for record in records if record.get("weight") is not None]
    state = failover.failover_state(pair, health) if pair else None
    return {"serving": failover.serving_set(pair, health) if pair else None, "failover": state,
            "weighted_shares": failover.weighted_shares(weighted)}


def refusal(mode, params, desired, health):
    """Why Route 53 would not answer as asked (None when it would, or for a restore)."""
    if params["force"] or mode == "restore":
        return None
    if mode == "failover":
        answer = failover.serving_set(desired, health)
        if answer != params["target"]:
            return ("with %s as PRIMARY, Route 53 would still answer with %s: the health check of %s fails (see health); fix "
                    "the %s endpoint, or set force: true" % (params["target"], answer, params["target"], params["target"]))
        return None
    failing = failover.weighted_unhealthy(desired, health)
    if failing:
        return ("every record given weight (%s) fails its health check, so Route 53 would ignore the weights: fix them, or set "
                "force: true" % ", ".join(failing))
    return None


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            zone_name=dict(type="str"),
            zone_id=dict(type="str"),
            private_zone=dict(type="bool"),
            record_name=dict(type="str", required=True),
            record_type=dict(type="str"),
            target=dict(type="str", aliases=["set_identifier"]),
            weights=dict(type="dict"),
            records=dict(type="list", elements="dict"),
            force=dict(type="bool", default=False),
            comment=dict(type="str", default="cloudops.runbooks route53_failover_switch"),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=300),
        ),
        required_one_of=[["zone_name", "zone_id"], ["target", "weights", "records"]],
        mutually_exclusive=[["zone_name", "zone_id"], ["target", "weights", "records"]],
        supports_check_mode=True,
    )
    params = module.params
    conn = client(module, "route53")
    zone_id = zone_id_of(module, conn)
    current, raw = read(module, conn, zone_id)
    try:
        mode, before, desired = desired_records(module, current)
    except failover.SwitchError as e:
        module.fail_json(msg="%s in zone %s: %s" % (params["record_name"], zone_id, e), zone_id=zone_id, before=[])
    changes = failover.plan_changes(before, desired)
    health = health_of(module, conn, before + desired)
    predicted = failover.apply_changes(before, changes)
    changed_ids = sorted(change["desired"]["set_identifier"] for change in changes)
    result = dict(zone_id=zone_id, mode=mode, before=before, changed_set_identifiers=changed_ids, health=health,
                  change_id=None, change_status=None, insync_seconds=None, started_at=None, finished_at=None)
    if not changes:
        unchanged = dict(result, **outcome(before, health))
        module.exit_json(changed=False, after=before, step_summary=failover.switch_step_summary(unchanged), **unchanged)

    reason = refusal(mode, params, predicted, health)
    if reason:
        module.fail_json(msg="Refusing to switch %s, nothing was changed: %s" % (params["record_name"], reason), changed=False,
                         after=before, **dict(result, **outcome(before, health)))
    extra = {"diff": {"before": view(before), "after": view(predicted)}} if module._diff else {}
    if module.check_mode:
        prediction = dict(result, **dict(outcome(predicted, health), **extra))
        module.exit_json(changed=True, after=predicted, step_summary=failover.switch_step_summary(prediction, check_mode=True),
                         **prediction)

    batch = [{"Action": "DELETE", "ResourceRecordSet": raw[failover.record_key(change["current"])]}
             for change in changes if change["current"] is not None]
    batch += [{"Action": "CREATE", "ResourceRecordSet": route53.record_to_boto(change["desired"])} for change in changes]
    watch = timing.Stopwatch()
    info = route53.change_record_sets(module, conn, zone_id, batch, params["comment"], changed=False, before=before)
    result.update(change_id=info["Id"], change_status=info["Status"], started_at=watch.started_at)
    if params["wait"]:
        waited = waiting.poll_until(lambda: route53.get_change(module, conn, info["Id"]), lambda found: found["Status"] == "INSYNC",
                                    params["wait_timeout"], delays=waiting.operation_pauses(), seen=info)
        result["change_status"] = waited["result"]["Status"]
        if not waited["done"]:
            module.fail_json(msg="change %s is still %s after %s s: the records are changed but not yet on every Route 53 name "
                             "server; check it with aws route53 get-change" % (info["Id"], result["change_status"], waited["elapsed"]),
                             changed=True, after=predicted, step_summary=failover.switch_step_summary(result), **result)
        times = watch.stop()
        result.update(insync_seconds=times["duration_seconds"], finished_at=times["finished_at"])
    # A batch is all or nothing: the change Route 53 accepted left exactly the predicted records (not read again).
    after = by_set(predicted)
    final = dict(result, **dict(outcome(after, health), **extra))
    module.exit_json(changed=True, after=after, step_summary=failover.switch_step_summary(final, params["wait"]), **final)


if __name__ == "__main__":
    main()
