# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the deploy and rollback runbooks: the idle colour, the canary weight schedule, forward diffs, and the
deploy request and the waves of playbooks/deploy.yml (what each wave's steps take, how it is put back, what the
report says of each service).

The logic lives in module_utils/traffic.py and module_utils/deploy.py (unit-tested there); these wrappers turn
their ValueErrors into filter errors that name what to fix.
"""

from __future__ import annotations

from ansible.errors import AnsibleFilterError

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy, traffic


def idle_colour(active_colour, colours, strict=True):
    """The colour to deploy to: the only colour of colours (a list, or a colour map dict) that is not active."""
    if isinstance(colours, dict):
        names = list(colours)
    elif isinstance(colours, (list, tuple)):
        names = [str(colour) for colour in colours]
    else:
        raise AnsibleFilterError("idle_colour: colours must be a list of colour names or a colour map, got %r" % (colours,))
    idle = traffic.idle_colour(active_colour, dict((name, name) for name in names))
    if idle is None and strict:
        raise AnsibleFilterError(
            "idle_colour: no single idle colour when the active colour is %r among %s: traffic must go to exactly one of "
            "two colours (finish or roll back a canary first)" % (active_colour, names))
    return idle


def canary_schedule(steps, from_group, to_group):
    """Forward weights per canary step, e.g. [10, 50, 100] -> [{blue: 90, green: 10}, {blue: 50, green: 50}, {green: 100}]."""
    try:
        return traffic.canary_schedule(steps, from_group, to_group)
    except ValueError as e:
        raise AnsibleFilterError("canary_schedule: %s" % e) from None


def forward_diff(before, after):
    """The groups whose forward weight changed between two forward configs: [{group, before, after}]."""
    try:
        return traffic.forward_diff(before, after)
    except (ValueError, AttributeError) as e:
        raise AnsibleFilterError("forward_diff: %s" % e) from None


def deploy_request(services, eks, version="", service="", sides=None, settings=None):
    """The deploy request checked without any call: {selected, problems, pairs, helm_reads} (module_utils/deploy.py);
    settings: cloudops_deploy (which services may ship together)."""
    sides = list(sides or [])
    selected = deploy.select(services, service, sides)
    return {"selected": selected, "problems": deploy.request_problems(services, eks, version, service, sides, settings),
            "pairs": deploy.pairs(selected), "helm_reads": deploy.helm_reads(selected, eks or {})}


def deploy_wave(plan, names):
    """What the steps of one wave (the services `names`, shipped together) take (module_utils/deploy.wave)."""
    try:
        return deploy.wave(plan or [], names or [])
    except ValueError as e:
        raise AnsibleFilterError("deploy_wave: %s" % e) from None


def deploy_wave_unfinished(found, wave, finished_at):
    """The records an interrupted deploy left in_progress after its traffic switch, of the wave's services with
    nothing to deploy, finished as deployed."""
    return deploy.wave_unfinished(found or [], wave, finished_at)


def deploy_wave_rollback(todo, traffic=None):
    """deploy_rollback's switches, releases and checks that put a failed wave back; `traffic`: the wave's traffic
    steps' results so far (each service's traffic goes back as its first switch found it)."""
    restores = {}
    for step in traffic or []:
        for entry in (step.get("services") if isinstance(step, dict) else None) or []:
            if entry.get("restore") and not restores.get(entry.get("service")):
                restores[entry["service"]] = entry["restore"]
    return deploy.wave_rollback(todo or [], restores)


def deploy_wave_outcomes(wave, up, traffic, rollback, error="", rollback_error="", started_at=None, duration_seconds=0,
                         check_mode=False, halted=False, finished_at=None, record_error=""):
    """Each service of a wave as the report shows it, and the records its end writes ({services, records}): `up` is
    the new colour step's result, `traffic` the traffic steps' results (in order), `rollback` deploy_rollback's."""
    up = up if isinstance(up, dict) else {}
    steps = [step for step in traffic or [] if isinstance(step, dict)]
    records = {}
    for step in steps:
        for entry in step.get("services") or []:
            records.setdefault(entry["service"], []).append(entry["step"])
    failed = deploy.wave_failed_services(wave, up, steps) if error else []
    return deploy.wave_outcomes(wave, up.get("helm_deploy_results") or [], up.get("smoke_test_results") or [], records, rollback,
                                failed, error, rollback_error, started_at, duration_seconds, check_mode, halted, finished_at, record_error)


def deploy_plan_lines(plan):
    """The plan as a person reads it (one line per service and side)."""
    return deploy.plan_lines(plan)


def deploy_service_steps(todo):
    """What the roles of one service's deploy take, from its plan entries to deploy (module_utils/deploy.service_steps)."""
    return deploy.service_steps(todo or [])


def deploy_side_reports(items, helm_results, rollback_result, shift_result, error=""):
    """Each side of one service as the deploy report shows it."""
    return deploy.side_reports(items or [], helm_results or [], rollback_result, shift_result, error)


def deploy_records(todo, started_at, outcome="in_progress", sides=None, error="", finished_at=None):
    """deploy_record entries of one service's deploy (in_progress, or its outcome with the sides' state after)."""
    return deploy.deploy_records(todo or [], started_at, outcome, sides, error, finished_at)


def deploy_unfinished_records(found, items, finished_at):
    """The records an interrupted deploy left in_progress after its traffic switch, finished as deployed."""
    return deploy.unfinished_records(found, items or [], finished_at)


def deploy_failure_text(task_name, result):
    """What failed: the failed task's name and message(s)."""
    return deploy.failure_text(task_name, result)


def deploy_service_message(todo, check_mode=False):
    """The message of a deployed service."""
    return deploy.service_message(todo, check_mode)


def deploy_outcome(services, halted=False):
    """The deploy's outcome from its services' outcomes."""
    return deploy.deploy_outcome(services, halted)


def deploy_summary_lines(report):
    """The deploy report as a person reads it."""
    return deploy.deploy_summary_lines(report)


def deploy_failure(report):
    """The message that fails a deploy in which a service was rolled back (null when none was)."""
    return deploy.deploy_failure(report)


def rollback_request(services, eks, service="", sides=None, revision=None, restore_traffic=True, restore_helm=True):
    """The rollback request checked without any call: {problems, selected, sources}."""
    return deploy.rollback_request(services, eks, service, sides, revision, restore_traffic, restore_helm)


def rollback_summary_lines(report):
    """The rollback report as a person reads it."""
    return deploy.rollback_summary_lines(report)


def traffic_shift_schedule(steps, routes, gates=None, health_groups=None):
    """traffic_shift's steps (percent, sides, alb_traffic_switch entries)."""
    try:
        return deploy.shift_schedule(steps, routes or [], gates or [], health_groups or [])
    except ValueError as e:
        raise AnsibleFilterError("traffic_shift_schedule: %s" % e) from None


def traffic_shift_health_groups(routes, health_groups=None):
    """The target groups traffic_shift checks after each step."""
    return deploy.shift_health_groups(routes or [], health_groups or [])


def traffic_shift_result(result, record):
    """traffic_shift_result with one more step."""
    return deploy.shift_result(result, record)


class FilterModule(object):
    def filters(self):
        return dict((name, globals()[name]) for name in (
            "idle_colour", "canary_schedule", "forward_diff", "deploy_request", "deploy_wave", "deploy_wave_rollback", "deploy_wave_unfinished",
            "deploy_wave_outcomes", "deploy_plan_lines", "deploy_service_steps",
            "deploy_side_reports", "deploy_records", "deploy_unfinished_records", "deploy_failure_text",
            "deploy_service_message", "deploy_outcome", "deploy_summary_lines", "deploy_failure", "rollback_request",
            "rollback_summary_lines", "traffic_shift_schedule", "traffic_shift_health_groups", "traffic_shift_result"))
