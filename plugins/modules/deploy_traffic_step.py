#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_traffic_step
version_added: 1.0.0
short_description: One traffic step of a deploy in one process - switch, observe, gates, health, and the records at the end
description:
  - The C(traffic_shift) role's step (one per canary step; a blue-green flip is one step) in one module process.
  - Switches every route of the step to its weights in one call (as M(cloudops.runbooks.alb_traffic_switch)), then
    observes the traffic for O(pause_seconds) (when there are gates or a later step; not in check mode), then reads
    every gate (as M(cloudops.runbooks.cloudwatch_gate)) and every target group's health (as
    M(cloudops.runbooks.alb_target_health) without failing on a timeout) side by side.
  - Returns the step's record (RV(step)) and whether it passed (every gate passed, every target group ready); a step
    that does not pass does not fail the module (the role fails with RV(failure)), so RV(restore) is kept.
  - With O(finish) and a step that passed, writes the deploy records of the service (outcome V(deployed), the
    revisions and the traffic after), as the deploy runbook does after its last step.
  - Check mode predicts the switch and the records and reads no gate and no health (no new traffic to observe). A
    later step of a canary schedule is predicted from the earlier steps' weights (its switches' C(earlier), as the
    P(cloudops.runbooks.traffic_shift_schedule#filter) filter gives them), so C(--check --diff) shows each step moving
    on from the previous one, each target group's share in percent.
  - With O(wave) instead of O(step), one step of several services shipped together (a wave of the deploy runbook) -
    each service switched, observed for its own C(pause_seconds) and gated side by side in the same process;
    with O(finish), the records of each service whose schedule ends at this step are written when every service of
    the step passed.
options:
  step:
    description:
      - The step, C({percent, sides, switches}) (an entry of the P(cloudops.runbooks.traffic_shift_schedule#filter) filter).
      - Exactly one of O(step) and O(wave) is required.
    type: dict
  wave:
    description:
      - One step of several services, one entry each - C({service, step, index, count, pause_seconds, gates, health_groups}),
        the keys as the options of the same names for one service (an entry of a wave's C(traffic) list of the
        P(cloudops.runbooks.deploy_wave#filter) filter).
    type: list
    elements: dict
  index:
    description: The step's index in the schedule (0 for the first).
    type: int
    default: 0
  count:
    description: How many steps the schedule has.
    type: int
    default: 1
  pause_seconds:
    description: Observation window after the switch, before the gates read the metrics.
    type: int
    default: 0
  gates:
    description: The gates, as the C(traffic_shift) role's C(traffic_shift_gates) (each with C(side), C(name), C(region)).
    type: list
    elements: dict
    default: []
  health_groups:
    description: The target groups that must stay healthy, C({side, region, name}).
    type: list
    elements: dict
    default: []
  health_timeout:
    description: Seconds a target group may take to report every target healthy.
    type: int
    default: 60
  require_healthy:
    description: Refuse a switch towards a target group without a healthy target.
    type: bool
    default: true
  finish:
    description:
      - After a step that passed, write the service's deploy records - C({todo, helm_deploy_results, started_at}), C(todo)
        the service's plan entries to deploy (with O(wave), the wave's - the records of the services whose last step this is).
    type: dict
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
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Flip web to green on both sides, gate and check health
  cloudops.runbooks.deploy_traffic_step:
    step: "{{ schedule[0] }}"
    count: "{{ schedule | length }}"
    health_groups:
      - {side: primary, region: us-east-1, name: shop-primary-green}
  register: flipped
"""

RETURN = r"""
step:
  description: The step's record C({step, percent, switches, gates, health, checked, passed}).
  returned: always
  type: dict
passed:
  description: Every gate passed and every target group stayed ready.
  returned: always
  type: bool
failure:
  description: Why the step failed (empty when it passed).
  returned: always
  type: str
restore:
  description: The switches that put every route back as it was before this step (as M(cloudops.runbooks.alb_traffic_switch) returns).
  returned: always
  type: list
  elements: dict
services:
  description:
    - With O(wave), one entry per service C({service, step, passed, failure, restore, changed}) (the keys as the
      top-level ones for one service); on a failure, those the step got.
  returned: with O(wave)
  type: list
  elements: dict
records:
  description: The deploy records written with O(finish), C({service, side, changed}).
  returned: always
  type: list
  elements: dict
step_summary:
  description: The standard step result of a runbook step (the gates with their numbers).
  returned: always
  type: dict
"""

import datetime
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy, steps, threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import gate_checks, shared, target_health, traffic_switch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import deploy_records

GATE_DEFAULTS = dict(alarm_name=None, ok_states=["OK"], namespace=None, metric_name=None, dimensions={}, statistic=None, period=60,
                     window_seconds=300, threshold=None, comparison="GreaterThanThreshold", treat_missing_data="pass")


def _label(key):
    return " ".join(str(part) for part in key if isinstance(part, str) and part)


def gate_read(worker, gate):
    def read():
        params = dict(GATE_DEFAULTS, **dict((k, v) for k, v in gate.items() if k in GATE_DEFAULTS and v is not None))
        if params["threshold"] is not None:
            params["threshold"] = float(params["threshold"])
        return gate_checks.evaluate(worker, client(worker, "cloudwatch", region=gate["region"]), params, gate["region"])
    return read


def health_read(worker, group, timeout, elb=None):
    def read():
        return target_health.wait_ready(worker, [group["name"]], group["region"], None, True, timeout, False, shared=elb)
    return read


def expect_groups(elb, entries, region, check_mode):
    """The target groups the wave's switches and health checks will ask for and the routes they switch, by region
    (elb.expect_groups, elb.expect_routes): the first thread to need a target group describes all of them at once."""
    for entry in entries:
        step = entry["step"]
        for item in step.get("switches") or []:
            forwards = [item.get("forward") or {}] + ((item.get("earlier") or []) if check_mode else [])
            elb.expect_groups(item.get("region") or region, [group for forward in forwards for group in forward])
            port = item.get("port") if item.get("port") is not None else item.get("listener_port")
            if item.get("load_balancer_name") and port is not None:
                elb.expect_routes(item.get("region") or region, [(item["load_balancer_name"], port, item.get("rule_priority"))])
        for group in entry.get("health_groups") or []:
            elb.expect_groups(group.get("region") or region, [group.get("name")])


def write_records(module, worker, entries, check_mode):
    def write(entry):
        def run():
            io = deploy_records.Records(worker, entry.get("kubeconfig") or "", entry.get("context") or "")
            try:
                return dict(io.write(entry, check_mode), service=entry["service"], side=entry["side"])
            finally:
                io.close()
        return run
    return threads.run_all(dict(((entry["side"], "record", index), write(entry)) for index, entry in enumerate(entries)))


def one_service(worker, entry, require_healthy, health_timeout, check_mode, diff, region, found, elb):
    """One service's part of a wave step: switch, observe, gates and health. Keeps what it got in `found`. elb: the
    wave's _aws/shared.SharedReads (load balancers, listeners, rules and target groups described once for the wave)."""
    def run():
        step = entry["step"]
        found.update(switch={}, gates=[], health=[])
        if step.get("switches"):
            try:
                found["switch"] = traffic_switch.switch(worker, traffic_switch.with_defaults(step["switches"]), require_healthy, False,
                                                        check_mode, diff, region, shared=elb)
            except threads.WorkerFailed as failed:
                found["switch"] = dict((k, v) for k, v in failed.kwargs.items() if k in ("changed", "switches", "restore"))
                raise
        if check_mode:
            return found
        pause, count, index = int(entry.get("pause_seconds") or 0), int(entry.get("count") or 1), int(entry.get("index") or 0)
        gates, groups = entry.get("gates") or [], entry.get("health_groups") or []
        if pause > 0 and (gates or index + 1 < count):
            time.sleep(pause)
        tasks = {}
        for n, gate in enumerate(gates):
            tasks[(gate.get("side"), "gate", gate.get("name"), n)] = gate_read(worker, gate)
        for n, group in enumerate(groups):
            tasks[(group.get("side"), "health", group.get("name"), n)] = health_read(worker, group, health_timeout, elb)
        got, failures = threads.run_all(tasks)
        if failures:
            first = next(iter(failures.values()))
            raise threads.WorkerFailed("; ".join("%s: %s" % (_label(k), threads._text(f)) for k, f in failures.items()),  # pylint: disable=protected-access
                                       {}, first.exception)
        found["gates"] = [dict(got[key], item=gate) for key, gate in zip([k for k in tasks if k[1] == "gate"], gates)]
        found["health"] = [dict(got[key], item=group) for key, group in zip([k for k in tasks if k[1] == "health"], groups)]
        return found
    return run


def run_wave(module, p, check_mode):
    """One step of several services side by side (O(wave)); ends the module."""
    started = time.monotonic()
    worker = shared.SharedClients(module)  # one boto3 client per service and region for the wave
    entries = p["wave"]
    founds = [{} for entry in entries]
    elb = shared.SharedReads(worker)
    expect_groups(elb, entries, module.region, check_mode)
    failures = threads.run_all(dict(((entry.get("service"), "step", index), one_service(
        worker, entry, p["require_healthy"], p["health_timeout"], check_mode, module._diff, module.region, founds[index], elb))
        for index, entry in enumerate(entries)))[1]
    services, diffs = [], []
    for index, (entry, found) in enumerate(zip(entries, founds)):
        switch = found.get("switch") or {}
        record = deploy.shift_step(int(entry.get("index") or 0), entry["step"], switch, found.get("gates") or [], found.get("health") or [],
                                   check_mode)
        failed = failures.get((entry.get("service"), "step", index))
        count = int(entry.get("count") or 1)
        if failed is not None:
            record["passed"] = False
            failure = threads._text(failed)  # pylint: disable=protected-access
        else:
            failure = "" if record["passed"] else deploy.shift_failure(record, count)
        services.append({"service": entry.get("service"), "step": record, "passed": record["passed"], "failure": failure,
                         "restore": switch.get("restore") or [], "changed": bool(switch.get("changed")), "last": record["step"] == count})
        diffs.extend(switch.get("diff") or [])
    passed = all(s["passed"] for s in services)
    failure = "; ".join("%s: %s" % (s["service"], s["failure"]) for s in services if not s["passed"])
    result = dict(changed=any(s["changed"] for s in services), services=services, passed=passed, failure=failure, records=[])
    if diffs:
        result["diff"] = diffs
    if p["finish"] and passed:
        finish = p["finish"]
        todo = [r for r in finish.get("todo") or [] if any(s["service"] == r["service"] and s["last"] for s in services)]
        entries_ = []
        for s in services:
            mine = [r for r in todo if r["service"] == s["service"]]
            if mine:
                helm = [h for h in finish.get("helm_deploy_results") or []
                        if any(h.get("side") == r["side"] and h.get("release") == r["release"] for r in mine)]
                sides = deploy.side_reports(mine, helm, {}, {"steps": [s["step"]]}, "")
                now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
                entries_.extend(deploy.deploy_records(mine, finish.get("started_at"), "deployed", sides, "", now))
        if entries_:
            written, failed = write_records(module, threads.WorkerModule(module), entries_, check_mode)
            result["records"] = [{"service": r["service"], "side": r["side"], "changed": r["changed"]} for r in written.values()]
            result["changed"] = result["changed"] or any(r["changed"] for r in result["records"])
            if failed:
                result["passed"] = False
                result["failure"] = "; ".join("%s: %s" % (_label(k), threads._text(f)) for k, f in failed.items())  # pylint: disable=protected-access
    shown = ", ".join("%s step %s of %s (%s): %s" % (
        s["service"], s["step"]["step"], entry.get("count"), ("%s%%" % s["step"]["percent"]) if s["step"]["percent"] is not None else "in place",
        "passed" if s["passed"] else "FAILED") for s, entry in zip(services, entries))
    result["step_summary"] = steps.summary(
        detail=shown, measures={"services": len(services), "switches": sum(len(s["step"]["switches"]) for s in services),
                                "gates": sum(len(s["step"]["gates"]) for s in services),
                                "pause_seconds": max([int(e.get("pause_seconds") or 0) for e in entries] or [0]) if not check_mode else 0,
                                "seconds": round(time.monotonic() - started, 3)},
        gates=[steps.gate(s["service"] + " " + g["side"] + " " + g["name"], g["passed"], g["reason"],
                          {"value": g["value"], "threshold": g["threshold"]}) for s in services for g in s["step"]["gates"]])
    if not result["passed"]:
        module.fail_json(msg="Traffic step failed: " + result["failure"], **result)
    module.exit_json(**result)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            step=dict(type="dict"),
            wave=dict(type="list", elements="dict"),
            index=dict(type="int", default=0),
            count=dict(type="int", default=1),
            pause_seconds=dict(type="int", default=0),
            gates=dict(type="list", elements="dict", default=[]),
            health_groups=dict(type="list", elements="dict", default=[]),
            health_timeout=dict(type="int", default=60),
            require_healthy=dict(type="bool", default=True),
            finish=dict(type="dict"),
        ),
        required_one_of=[("step", "wave")],
        mutually_exclusive=[("step", "wave")],
        supports_check_mode=True,
    )
    p = module.params
    check_mode = module.check_mode
    if p["wave"] is not None:
        run_wave(module, p, check_mode)
    step = p["step"]
    started = time.monotonic()
    switch = {}
    if step.get("switches"):
        switches = traffic_switch.with_defaults(step["switches"])
        switch = traffic_switch.switch(module, switches, p["require_healthy"], False, check_mode, module._diff, module.region)
    restore = switch.get("restore") or []

    gate_results, health_results = [], []
    if not check_mode:
        if p["pause_seconds"] > 0 and (p["gates"] or p["index"] + 1 < p["count"]):
            time.sleep(p["pause_seconds"])
        worker = shared.SharedClients(module)
        tasks = {}
        for index, gate in enumerate(p["gates"]):
            tasks[(gate.get("side"), "gate", gate.get("name"), index)] = gate_read(worker, gate)
        for index, group in enumerate(p["health_groups"]):
            tasks[(group.get("side"), "health", group.get("name"), index)] = health_read(worker, group, p["health_timeout"])
        found, failures = threads.run_all(tasks)
        if failures:
            threads.fail_from(module, failures, _label if len(failures) > 1 else None)
        gate_results = [dict(found[key], item=gate) for key, gate in zip([k for k in tasks if k[1] == "gate"], p["gates"])]
        health_results = [dict(found[key], item=group) for key, group in zip([k for k in tasks if k[1] == "health"], p["health_groups"])]

    record = deploy.shift_step(p["index"], step, switch, gate_results, health_results, check_mode)
    failure = "" if record["passed"] else deploy.shift_failure(record, p["count"])
    result = dict(changed=bool(switch.get("changed")), step=record, passed=record["passed"], failure=failure, restore=restore,
                  switches=switch.get("switches") or [], records=[])
    if "diff" in switch:
        result["diff"] = switch["diff"]

    if p["finish"] and record["passed"]:
        finish = p["finish"]
        todo = finish.get("todo") or []
        sides = deploy.side_reports(todo, finish.get("helm_deploy_results") or [], {}, {"steps": [record]}, "")
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        entries = deploy.deploy_records(todo, finish.get("started_at"), "deployed", sides, "", now)
        written, failures = write_records(module, threads.WorkerModule(module), entries, check_mode)
        result["records"] = [{"service": r["service"], "side": r["side"], "changed": r["changed"]} for r in written.values()]
        result["changed"] = result["changed"] or any(r["changed"] for r in result["records"])
        if failures:
            module.fail_json(msg="; ".join("%s: %s" % (_label(k), threads._text(f)) for k, f in failures.items()),  # pylint: disable=protected-access
                             **result)

    where = ("%s%%" % record["percent"]) if record["percent"] is not None else "in place"
    result["step_summary"] = steps.summary(
        detail="step %s of %s (%s): %s" % (record["step"], p["count"], where, "passed" if record["passed"] else failure),
        measures={"switches": len(record["switches"]), "gates": len(record["gates"]), "target_groups": len(record["health"]),
                  "pause_seconds": p["pause_seconds"] if not check_mode else 0, "seconds": round(time.monotonic() - started, 3)},
        gates=[steps.gate(g["side"] + " " + g["name"], g["passed"], g["reason"],
                          {"value": g["value"], "threshold": g["threshold"]}) for g in record["gates"]])
    module.exit_json(**result)


if __name__ == "__main__":
    main()
