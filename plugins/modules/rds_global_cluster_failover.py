#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_global_cluster_failover
version_added: 1.0.0
short_description: Switch or fail an Aurora global database over to a secondary region's cluster
description:
  - Makes O(target_cluster_arn), a secondary cluster of the Aurora global database O(global_cluster_id), its writer,
    and waits until the global database is C(available) with no failover in progress and that cluster as writer.
  - O(mode=switchover) (C(SwitchoverGlobalCluster)) is the planned move of a drill or a region evacuation. RDS first
    brings the target in sync, so nothing is lost, and every member must be healthy.
  - O(mode=failover) (C(FailoverGlobalCluster) with C(AllowDataLoss)) is the recovery from the loss of the writer's
    region. Writes not yet replicated to the target are lost. O(allow_data_loss=true) must confirm it.
  - Idempotent. When the target already is the writer nothing is done. When a failover to the target is already in
    progress (an interrupted run), the module only waits for it.
  - Check mode predicts the new writer; C(--diff) shows the writer before and after.
  - With O(rpo_budget_seconds), the RPO lag gate - the target's latest C(AuroraGlobalDBRPOLag) (read in its region)
    against the budget, and its synchronization status - decides before the call; O(mode=failover) is refused while the
    lag is over the budget, unknown or the target is not C(connected), unless O(max_lag_override=true). A switchover
    loses nothing, so the gate only reports the lag there.
notes:
  - moto alone answers Aurora global database switchover and failover with HTTP 500; the project's sandbox adds them
    (with data, C(sandbox/rdsdata/aurora.py)). The module is tested with botocore's Stubber
    (C(tests/unit/plugins/modules/test_rds_global_cluster_failover.py)) and on the sandbox by the Aurora runbooks
    (C(tests/integration/test_aurora_runbooks.py)).
  - For an in-region Aurora failover use M(cloudops.runbooks.rds_cluster_failover); for an RDS read replica,
    M(cloudops.runbooks.rds_promote).
  - Run it in any region the global database's API answers in (a surviving region during a regional outage).
options:
  global_cluster_id:
    description:
      - Identifier of the Aurora global database.
    type: str
    required: true
    aliases: [global_cluster_identifier]
  target_cluster_arn:
    description:
      - ARN of the secondary DB cluster to make the writer, or its identifier (then the member of the global cluster of
        that name; with members of that name in several regions, O(target_region) picks one).
    type: str
    required: true
    aliases: [target_db_cluster_identifier]
  mode:
    description:
      - V(switchover) is planned, with no data loss, and needs every member healthy. V(failover) is unplanned and loses
        unreplicated writes. It needs O(allow_data_loss=true).
    type: str
    default: switchover
    choices: [switchover, failover]
  allow_data_loss:
    description:
      - Confirms that O(mode=failover) may lose the writes the target has not received.
    type: bool
    default: false
  wait:
    description:
      - Wait until the target is the writer and the global database is available.
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait.
    type: int
    default: 1800
  target_region:
    description:
      - The region of the target cluster when O(target_cluster_arn) is an identifier.
    type: str
    version_added: 1.1.0
  rpo_budget_seconds:
    description:
      - The RPO budget the target's C(AuroraGlobalDBRPOLag) is judged against before the call (the lag gate). Omitted, no
        lag is read.
    type: int
    version_added: 1.1.0
  max_lag_override:
    description:
      - Fail over even when the RPO lag is over O(rpo_budget_seconds), unknown, or the target not C(connected) (the gate
        passes and says so).
    type: bool
    default: false
    version_added: 1.1.0
  lag_lookback_seconds:
    description:
      - How far back to look for the latest C(AuroraGlobalDBRPOLag) datapoint.
    type: int
    default: 300
    version_added: 1.1.0
  endpoint:
    description:
      - Also return the target cluster's endpoints (RV(instance)), read after the wait (what the application is pointed at).
    type: bool
    default: false
    version_added: 1.1.0
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
- name: Drill - move the writer of the global database to us-west-2, without data loss
  cloudops.runbooks.rds_global_cluster_failover:
    global_cluster_id: shop-global
    target_cluster_arn: arn:aws:rds:us-west-2:123456789012:cluster:shop-aurora-dr
    mode: switchover
    region: us-west-2

- name: Disaster - us-east-1 is gone, accept the loss of what was not replicated
  cloudops.runbooks.rds_global_cluster_failover:
    global_cluster_id: shop-global
    target_cluster_arn: arn:aws:rds:us-west-2:123456789012:cluster:shop-aurora-dr
    mode: failover
    allow_data_loss: true
    region: us-west-2
"""

RETURN = r"""
global_cluster_id:
  description: The global database identifier.
  returned: always
  type: str
  sample: shop-global
mode:
  description: The O(mode) used.
  returned: always
  type: str
  sample: switchover
writer_before:
  description: ARN of the writer cluster before the run.
  returned: always
  type: str
  sample: arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora
writer_after:
  description: ARN of the writer cluster after the run (in check mode, the predicted one).
  returned: always
  type: str
  sample: arn:aws:rds:us-west-2:123456789012:cluster:shop-aurora-dr
members:
  description: The global database's clusters after the run.
  returned: always
  type: list
  elements: dict
  sample:
  - {cluster_arn: 'arn:aws:rds:us-east-1:123456789012:cluster:shop-aurora', is_writer: false, synchronization_status: connected}
  - {cluster_arn: 'arn:aws:rds:us-west-2:123456789012:cluster:shop-aurora-dr', is_writer: true, synchronization_status: connected}
status:
  description: The global database's C(Status) after the run.
  returned: always
  type: str
  sample: available
failover_state:
  description: C(FailoverState) after the run (status, from, to, data loss allowed); null when none is in progress.
  returned: always
  type: dict
  sample: null
started_at:
  description: UTC time of the switchover/failover call (ISO 8601); null when nothing was called.
  returned: always
  type: str
  sample: '2026-01-31T12:00:00.125000+00:00'
finished_at:
  description: UTC time the target was seen as writer; null without a wait or a call.
  returned: always
  type: str
  sample: '2026-01-31T12:01:30.000000+00:00'
duration_seconds:
  description: Seconds (monotonic clock) from the call (or, for an interrupted run, from the start of the wait) to RV(finished_at).
  returned: always
  type: float
  sample: 89.875
promoted:
  description: Whether this run made the target the writer (in check mode, whether it would).
  returned: always
  type: bool
  sample: true
lag_at_promotion_seconds:
  description: The target's latest C(AuroraGlobalDBRPOLag) before the call, in seconds (null without O(rpo_budget_seconds) or a datapoint).
  returned: always
  type: float
  sample: 0.5
rpo_budget_seconds:
  description: O(rpo_budget_seconds).
  returned: always
  type: int
  sample: 60
lag_verdict:
  description: V(ok), V(over) or V(unknown) (the lag against the budget); null without O(rpo_budget_seconds).
  returned: always
  type: str
  sample: ok
lag_gate:
  description: The lag gate - C(allowed), C(verdict), C(overridden), C(problem), C(reason); null without O(rpo_budget_seconds).
  returned: always
  type: dict
  sample: {allowed: true, verdict: ok, overridden: false, problem: null, reason: RPO lag 0.5 s is within the RPO budget of 60 s}
instance:
  description: With O(endpoint), the target cluster - C(id), C(arn), C(region), C(endpoint) (the writer endpoint, C(address), C(port)), C(reader_endpoint).
  returned: with O(endpoint)
  type: dict
  sample: {id: shop-aurora-dr, region: us-west-2, endpoint: {address: shop-aurora-dr.cluster-abc.us-west-2.rds.amazonaws.com, port: 5432}}
step_summary:
  description: The standard step result (the lag gate, the lag at the switch, the budget, whether the writer moved).
  returned: always
  type: dict
  sample: {detail: "promoted: RPO lag 0.5 s is within the RPO budget of 60 s", measures: {}, gates: []}
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import aurora
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import aurora as aurora_io
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_failover
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client

IN_PROGRESS = ("pending", "failing-over", "cancelling")


def members_of(cluster):
    return sorted(({"cluster_arn": member["DBClusterArn"], "is_writer": bool(member.get("IsWriter")),
                    "synchronization_status": member.get("SynchronizationStatus")}
                   for member in cluster.get("GlobalClusterMembers") or []), key=lambda member: member["cluster_arn"])


def writer_of(cluster):
    return next((member["cluster_arn"] for member in members_of(cluster) if member["is_writer"]), None)


def failover_state(cluster):
    state = cluster.get("FailoverState") or {}
    if not state.get("Status"):
        return None
    return {"status": state.get("Status"), "from_cluster_arn": state.get("FromDbClusterArn"),
            "to_cluster_arn": state.get("ToDbClusterArn"), "data_loss_allowed": state.get("IsDataLossAllowed")}


def target_arn(target, arns, region=None):
    """The member ARN an identifier names (target itself when it is an ARN, or when no single member has that name)."""
    if str(target).startswith("arn:"):
        return target
    named = [arn for arn in arns if aurora.cluster_id_of_arn(arn) == target and (not region or rds.region_of_arn(arn) == region)]
    return named[0] if len(named) == 1 else target


def target_instance(module, target, found):
    """The target cluster's endpoints ({id, arn, region, endpoint, reader_endpoint}), read in its region."""
    region = rds.region_of_arn(target) or module.region
    cluster_id = aurora.cluster_id_of_arn(target)
    cluster = aurora_io.describe_cluster(module, client(module, "rds", region=region), cluster_id) or {}
    return {"id": cluster_id, "arn": target, "region": region,
            "endpoint": {"address": cluster.get("Endpoint"), "port": cluster.get("Port")} if cluster else None,
            "reader_endpoint": cluster.get("ReaderEndpoint"), "is_writer": writer_of(found or {}) == target}


def settled(cluster, target):
    state = failover_state(cluster)
    return (cluster.get("Status") == "available" and writer_of(cluster) == target
            and (state is None or state["status"] not in IN_PROGRESS))


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            global_cluster_id=dict(type="str", required=True, aliases=["global_cluster_identifier"]),
            target_cluster_arn=dict(type="str", required=True, aliases=["target_db_cluster_identifier"]),
            mode=dict(type="str", default="switchover", choices=["switchover", "failover"]),
            allow_data_loss=dict(type="bool", default=False),
            wait=dict(type="bool", default=True),
            wait_timeout=dict(type="int", default=1800),
            target_region=dict(type="str"),
            rpo_budget_seconds=dict(type="int"),
            max_lag_override=dict(type="bool", default=False),
            lag_lookback_seconds=dict(type="int", default=300),
            endpoint=dict(type="bool", default=False),
        ),
        supports_check_mode=True,
    )
    params = module.params
    global_id, target, mode = params["global_cluster_id"], params["target_cluster_arn"], params["mode"]
    gate_fields = dict(promoted=False, lag_at_promotion_seconds=None, rpo_budget_seconds=params["rpo_budget_seconds"], lag_verdict=None,
                       lag_gate=None)
    if mode == "failover" and not params["allow_data_loss"]:
        module.fail_json(msg="mode failover loses the writes %s has not received yet: set allow_data_loss: true to confirm, "
                         "or use mode: switchover while the writer region is healthy" % target)
    conn = client(module, "rds")
    cluster = rds_failover.describe_global_cluster(module, conn, global_id)
    if cluster is None:
        module.fail_json(msg="global cluster %s not found: check global_cluster_id" % global_id)
    arns = [member["cluster_arn"] for member in members_of(cluster)]
    target = target_arn(target, arns, params["target_region"])
    if target not in arns:
        module.fail_json(msg="%s is not a member of global cluster %s: target_cluster_arn must be one of %s"
                         % (target, global_id, ", ".join(arns) or "(no members)"))
    before, state = writer_of(cluster), failover_state(cluster)
    result = dict(global_cluster_id=global_id, mode=mode, writer_before=before, started_at=None, finished_at=None,
                  duration_seconds=None, **gate_fields)

    def finish(found, **values):
        out = dict(result, **values)
        if params["endpoint"]:
            out["instance"] = target_instance(module, target, found)
        out["step_summary"] = replication.promotion_step_summary(out)
        module.exit_json(**out)

    def wait_settled(watch, **context):
        outcome = waiting.poll_until(lambda: rds_failover.describe_global_cluster(module, conn, global_id) or {},
                                     lambda found: settled(found, target), params["wait_timeout"])
        found = outcome["result"]
        if not outcome["done"]:
            module.fail_json(msg="global cluster %s is %s with writer %s after %s s (failover state %s), waiting for %s: raise "
                             "wait_timeout or run again (it only waits then)" % (global_id, found.get("Status"), writer_of(found),
                                                                                 outcome["elapsed"], failover_state(found), target),
                             members=members_of(found), failover_state=failover_state(found), **context)
        times = watch.stop()
        return found, times

    in_progress = state is not None and state["status"] in IN_PROGRESS
    if in_progress and state["to_cluster_arn"] != target:
        module.fail_json(msg="a failover of %s to %s is in progress (%s): wait for it to end before moving the writer to %s"
                         % (global_id, state["to_cluster_arn"], state["status"], target), failover_state=state, **result)
    if before == target or in_progress:
        if params["wait"] and not module.check_mode and not settled(cluster, target):
            watch = timing.Stopwatch()
            cluster, times = wait_settled(watch, changed=False, **result)
            result.update(started_at=times["started_at"], finished_at=times["finished_at"], duration_seconds=times["duration_seconds"])
        finish(cluster, changed=False, writer_after=writer_of(cluster) or target, members=members_of(cluster),
               status=cluster.get("Status"), failover_state=failover_state(cluster))

    if params["rpo_budget_seconds"] is not None:
        lag = aurora.ms_to_seconds(aurora_io.lag_ms(module, rds.region_of_arn(target) or module.region, aurora.cluster_id_of_arn(target),
                                                    aurora.RPO_LAG_METRIC, params["lag_lookback_seconds"]))
        sync = next((m["synchronization_status"] for m in members_of(cluster) if m["cluster_arn"] == target), None)
        gate = aurora.rpo_gate(lag, params["rpo_budget_seconds"], params["max_lag_override"], sync, params["lag_lookback_seconds"])
        result.update(lag_at_promotion_seconds=lag, lag_verdict=gate["verdict"], lag_gate=gate)
        if mode == "failover" and not gate["allowed"]:
            result["step_summary"] = replication.promotion_step_summary(result)
            module.fail_json(msg="Not failed over: %s" % gate["reason"], changed=False, **result)
    result["promoted"] = True

    diff = {"before": {"global_cluster_id": global_id, "writer": before}, "after": {"global_cluster_id": global_id, "writer": target}}
    extra = {"diff": diff} if module._diff else {}
    if module.check_mode:
        finish(cluster, changed=True, writer_after=target, members=members_of(cluster), status=cluster.get("Status"),
               failover_state=state, **extra)

    watch = timing.Stopwatch()
    answered = rds_failover.switch_global_cluster(module, conn, global_id, target, mode == "failover", changed=False)
    result["started_at"] = watch.started_at
    if not params["wait"]:
        finish(answered, changed=True, writer_after=target, members=members_of(answered), status=answered.get("Status"),
               failover_state=failover_state(answered), **extra)
    found, times = wait_settled(watch, changed=True, **result)
    result.update(finished_at=times["finished_at"], duration_seconds=times["duration_seconds"])
    finish(found, changed=True, writer_after=writer_of(found), members=members_of(found), status=found.get("Status"),
           failover_state=failover_state(found), **extra)


if __name__ == "__main__":
    main()
