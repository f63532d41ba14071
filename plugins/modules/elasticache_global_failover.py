#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: elasticache_global_failover
version_added: 1.1.0
short_description: Make a member of an ElastiCache Global Datastore its primary (fail over, or back)
description:
  - Makes O(replication_group_id) in O(region) the primary member of the ElastiCache (Redis OSS) Global Datastore
    O(global_datastore_id) (C(FailoverGlobalReplicationGroup)), then waits until the datastore is C(available) with that
    member primary, and returns its primary endpoint. ElastiCache has one call for a planned and an unplanned failover;
    the target takes over with what it has received, and writes the link had not delivered yet are lost.
  - The lag gate, O(max_lag_seconds), refuses before any change when the target's C(GlobalDatastoreReplicationLag) (the
    newest datapoint of each of its nodes, the largest; read in O(region)) is over it or unknown.
  - O(catch_up) is the planned failback; it waits until the target's lag is at most O(catch_up.max_lag_seconds), then fails
    over; when O(catch_up.timeout) passes first the module fails naming the lag, nothing changed.
  - Refused before any change, naming the resource - the datastore not found; the target not a member (the members are
    listed; a standalone group, e.g. disassociated after the loss of its region, must be re-added as a secondary first);
    the target's membership not C(associated); the lag gate.
  - Idempotent - when the target already is the primary nothing is done (RV(primary.endpoint) is still returned). A
    datastore busy with another operation (C(modifying), e.g. the failover of an interrupted run) is waited for first.
  - Check mode reads, judges the gate and predicts (C(changed) when it would fail over; O(catch_up) reads the lag once
    and does not wait); C(--diff) shows the primary member before and after.
notes:
  - moto alone answers the Global Datastore calls with HTTP 500; the project's sandbox adds them with real Redis
    (C(sandbox/elasticache.py)), where the module is tested (C(tests/integration/test_cache_failover.py)).
  - Cluster-mode-disabled groups (one node group) only - RV(primary.endpoint) is the group's C(NodeGroups[0].PrimaryEndpoint).
options:
  global_datastore_id:
    description:
      - The Global Datastore's full id (with its region prefix, as ElastiCache gives it), C(cloudops_cache.global_datastore_id).
    type: str
    required: true
  replication_group_id:
    description:
      - The member replication group to make the primary (in O(region)).
    type: str
    required: true
  max_lag_seconds:
    description:
      - The lag gate. Refuse, nothing changed, when the target's C(GlobalDatastoreReplicationLag) is over this many seconds,
        or unknown (no datapoint in O(lag_lookback_seconds)). Omitted, the lag is only reported.
    type: float
  catch_up:
    description:
      - A planned failback - wait until the target has caught up with the primary, then fail over.
    type: dict
    suboptions:
      max_lag_seconds:
        description:
          - The largest C(GlobalDatastoreReplicationLag) of the target the failover waits for.
        type: float
        required: true
      timeout:
        description:
          - Seconds to wait for it; then the module fails naming the lag, nothing changed.
        type: int
        default: 300
  lag_lookback_seconds:
    description:
      - How far back to look for the newest C(GlobalDatastoreReplicationLag) datapoint.
    type: int
    default: 300
  wait:
    description:
      - Wait until the datastore is C(available) with the target its primary.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait (for the failover; and, before it, for another operation of the datastore to end).
    type: int
    default: 600
  region:
    description:
      - The target's region; the calls go there (the datastore answers in every member's region, so a surviving region
        works during a regional outage).
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
- name: Drill - make the DR group the cache's primary, unless it is more than 60 s behind
  cloudops.runbooks.elasticache_global_failover:
    global_datastore_id: "{{ cloudops_cache.global_datastore_id }}"
    replication_group_id: "{{ cloudops_cache.secondary.replication_group_id }}"
    region: "{{ cloudops_cache.secondary.region }}"
    max_lag_seconds: 60

- name: Failback - wait until the primary region's group has caught up, then make it the primary again
  cloudops.runbooks.elasticache_global_failover:
    global_datastore_id: "{{ cloudops_cache.global_datastore_id }}"
    replication_group_id: "{{ cloudops_cache.primary.replication_group_id }}"
    region: "{{ cloudops_cache.primary.region }}"
    catch_up:
      max_lag_seconds: 1
      timeout: 600
"""

RETURN = r"""
global_datastore_id:
  description: O(global_datastore_id).
  returned: always
  type: str
  sample: qwmzn-shop-cache
failed_over:
  description: Whether this run made the target the primary (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
previous_primary:
  description: The primary member before the run (null when none was).
  returned: always
  type: dict
  sample: {region: us-east-1, replication_group_id: shop-cache}
primary:
  description:
    - The primary member after the run (in check mode, the predicted one; without O(wait), the requested one).
  returned: always
  type: dict
  contains:
    region:
      description: Its region.
      type: str
      sample: us-west-2
    replication_group_id:
      description: Its replication group.
      type: str
      sample: shop-cache-dr
    endpoint:
      description: The group's primary endpoint (C(address), C(port)) as the API gives it; null when the group has none.
      type: dict
      sample: {address: master.shop-cache-dr.abc.usw2.cache.amazonaws.com, port: 6379}
members:
  description: The datastore's members after the run (C(region), C(replication_group_id), C(role), C(status)).
  returned: always
  type: list
  elements: dict
  sample: [{region: us-east-1, replication_group_id: shop-cache, role: SECONDARY, status: associated}]
status:
  description: The datastore's C(Status) after the run.
  returned: always
  type: str
  sample: available
lag_seconds:
  description: The target's C(GlobalDatastoreReplicationLag) read before the call (after O(catch_up)); null without a datapoint or a call.
  returned: always
  type: float
  sample: 0.2
lag_gate:
  description: The lag gate (C(allowed), C(verdict), C(problem), C(reason), C(lag_seconds), C(max_lag_seconds)); null without O(max_lag_seconds).
  returned: always
  type: dict
  sample: {allowed: true, verdict: ok, problem: null, reason: "GlobalDatastoreReplicationLag of shop-cache-dr 0.2 s is within max_lag_seconds 60 s"}
catch_up:
  description: With O(catch_up), the wait for the target (C(max_lag_seconds), C(lag_seconds), C(caught_up), C(waited_seconds), C(reads)).
  returned: with O(catch_up) and a failover to make
  type: dict
  sample: {max_lag_seconds: 1, lag_seconds: 0.2, caught_up: true, waited_seconds: 4.5, reads: 6}
requested_at:
  description: UTC time of the failover call (ISO 8601); null when nothing was called.
  returned: always
  type: str
  sample: '2026-12-07T01:00:00.125000+00:00'
available_at:
  description: UTC time the datastore was seen available with the target primary; null without a call or O(wait).
  returned: always
  type: str
  sample: '2026-12-07T01:00:03.500000+00:00'
waited_seconds:
  description: Seconds (monotonic clock) from the call to RV(available_at); null without a call or O(wait).
  returned: always
  type: float
  sample: 3.375
step_summary:
  description: The standard step result (what moved, the lag at the call, the lag gate and the catch-up as gates).
  returned: always
  type: dict
  sample: {detail: "failed qwmzn-shop-cache over to shop-cache-dr (us-west-2)", measures: {lag_seconds: 0.2}, gates: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import cache_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elasticache
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elasticache_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._cache import markers


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            global_datastore_id=dict(type="str", required=True),
            replication_group_id=dict(type="str", required=True),
            max_lag_seconds=dict(type="float"),
            catch_up=dict(type="dict", options=dict(max_lag_seconds=dict(type="float", required=True),
                                                    timeout=dict(type="int", default=300))),
            lag_lookback_seconds=dict(type="int", default=300),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=600),
        ),
        supports_check_mode=True,
    )
    params = module.params
    global_id, group_id, region = params["global_datastore_id"], params["replication_group_id"], module.region
    if not region:
        module.fail_json(msg="region is required: the region of replication group %s (the target)" % group_id)
    problems = cache_failover.option_problems(params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    conn = client(module, "elasticache", region=region)

    def describe():
        return elasticache.describe_global_group(module, conn, global_id)

    result = dict(global_datastore_id=global_id, failed_over=False, previous_primary=None, lag_seconds=None, lag_gate=None,
                  requested_at=None, available_at=None, waited_seconds=None)

    def finish(found, primary, **values):
        out = dict(result, members=cache_failover.members(found), status=(found or {}).get("Status"), **values)
        out["primary"] = dict(primary, endpoint=markers.group_endpoint(group)) if primary else None
        if out["primary"] and out["primary"]["endpoint"]:
            out["primary"]["endpoint"].pop("tls", None)
        out["step_summary"] = cache_failover.step_summary(out)
        module.exit_json(**out)

    def refuse(reason, found, **values):
        out = dict(result, members=cache_failover.members(found), status=(found or {}).get("Status"), refused=reason, **values)
        out["step_summary"] = cache_failover.step_summary(out)
        out.pop("refused")
        module.fail_json(msg="Not failed over: %s" % reason, changed=False, **out)

    found = describe()
    if found is not None and found.get("Status") != cache_failover.AVAILABLE and params["wait"] and not module.check_mode:
        # Another operation (a failover of an interrupted run, a member joining): its end decides what is left to do.
        outcome = waiting.poll_until(describe, lambda seen: seen is None or seen.get("Status") == cache_failover.AVAILABLE,
                                     params["wait_timeout"])
        found = outcome["result"]
        if not outcome["done"]:
            refuse("Global Datastore %s is still %s after %s s (another operation in progress): raise wait_timeout or run again "
                   "when it is available" % (global_id, found.get("Status"), outcome["elapsed"]), found)
    group = elasticache.describe_replication_group(module, conn, group_id)
    problem = cache_failover.target_problem(global_id, region, group_id, found, group)
    if problem:
        refuse(problem, found)
    target = {"region": region, "replication_group_id": group_id}
    result["previous_primary"] = cache_failover.primary_of(found)
    if cache_failover.is_primary(found, region, group_id):
        finish(found, target, changed=False)

    def read_lag():
        return elasticache.group_lag(module, region, group, params["lag_lookback_seconds"])

    catch_up = params["catch_up"]
    if catch_up:
        limit = catch_up["max_lag_seconds"]
        if module.check_mode:
            lag = read_lag()
            result["catch_up"] = dict(max_lag_seconds=limit, lag_seconds=lag, caught_up=cache_failover.caught_up(lag, limit),
                                      waited_seconds=0.0, reads=1)
        else:
            outcome = waiting.poll_until(read_lag, lambda seen: cache_failover.caught_up(seen, limit), catch_up["timeout"])
            lag = outcome["result"]
            result["catch_up"] = dict(max_lag_seconds=limit, lag_seconds=lag, caught_up=outcome["done"],
                                      waited_seconds=outcome["elapsed"], reads=outcome["polls"])
            if not outcome["done"]:
                result["lag_seconds"] = lag
                message = cache_failover.catch_up_timeout_message(global_id, group_id, region, lag, limit, outcome["elapsed"],
                                                                  outcome["polls"], params["lag_lookback_seconds"])
                refuse(message, found)
    else:
        lag = read_lag()
    result["lag_seconds"] = lag
    gate = cache_failover.lag_gate(group_id, lag, params["max_lag_seconds"], params["lag_lookback_seconds"])
    result["lag_gate"] = gate
    if gate is not None and not gate["allowed"]:
        refuse(gate["reason"], found)

    result["failed_over"] = True
    extra = {"diff": cache_failover.diff(global_id, result["previous_primary"], target)} if module._diff else {}
    if module.check_mode:
        finish(found, target, changed=True, **extra)

    watch = timing.Stopwatch()
    answered = elasticache_failover.failover(module, conn, global_id, region, group_id, changed=False, **result)
    result["requested_at"] = watch.started_at
    if not params["wait"]:
        finish(answered, target, changed=True, **extra)
    outcome = waiting.poll_until(describe, lambda seen: cache_failover.settled(seen, region, group_id), params["wait_timeout"])
    found = outcome["result"]
    if not outcome["done"]:
        module.fail_json(msg="Global Datastore %s is %s with primary %s %s s after the failover call, waiting for %s (%s): raise "
                         "wait_timeout and run again (it only waits then)" % (
                             global_id, (found or {}).get("Status"), cache_failover.primary_of(found), outcome["elapsed"], group_id, region),
                         changed=True, members=cache_failover.members(found), **result)
    times = watch.stop()
    result.update(available_at=times["finished_at"], waited_seconds=times["duration_seconds"])
    finish(found, cache_failover.primary_of(found), changed=True, **extra)


if __name__ == "__main__":
    main()
