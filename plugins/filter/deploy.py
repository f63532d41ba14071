# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Filters of the deploy and rollback runbooks: the idle colour, the canary weight schedule, forward diffs, and the
deploy request, routes and plan of roles/deploy_preflight.

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


def _results(registered):
    """A registered loop's results list (or the list itself)."""
    if isinstance(registered, dict):
        return registered.get("results") or []
    return list(registered or [])


def deploy_request(services, eks, version="", service="", sides=None):
    """The deploy request checked without any call: {selected, problems, pairs, helm_reads} (module_utils/deploy.py)."""
    sides = list(sides or [])
    selected = deploy.select(services, service, sides)
    return {"selected": selected, "problems": deploy.request_problems(services, eks, version, service, sides),
            "pairs": deploy.pairs(selected), "helm_reads": deploy.helm_reads(selected, eks or {})}


def deploy_routes(request, eks, version, project_dir, alb, helm):
    """Where each selected service stands on each side, from the registered alb_traffic_info and helm_release_info
    loops of roles/deploy_preflight (the latter over request.helm_reads)."""
    return deploy.routes(request["selected"], eks or {}, version, project_dir, _results(alb), request["helm_reads"], _results(helm))


def deploy_live_problems(routes, clusters, require_target_healthy=True):
    """Why the deploy cannot start from the live state ([] when it can)."""
    return deploy.live_problems(_results(clusters), routes, require_target_healthy)


def deploy_release_checks(routes):
    """The helm_release_check calls of the preflight (one per side)."""
    return deploy.release_checks(routes)


def deploy_plan(routes, request, checks):
    """The deploy plan: one entry per service and side, from the routes and the registered helm_release_check loop
    over deploy_release_checks."""
    target_checks, live_checks = deploy.checks_of(routes, _results(checks))
    return deploy.plan(request["selected"], routes, target_checks, live_checks)


def deploy_plan_lines(plan):
    """The plan as a person reads it (one line per service and side)."""
    return deploy.plan_lines(plan)


def deploy_undimensioned_gates(plan):
    """Names of the metric gates of the plan that have no dimensions to read."""
    return deploy.undimensioned_gates(plan)


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


def deploy_parse_records(reads):
    """deploy_record's records from its k8s_info loop."""
    return deploy.parse_records(_results(reads))


def rollback_request(services, eks, service="", sides=None, revision=None, restore_traffic=True, restore_helm=True):
    """The rollback request checked without any call: {problems, selected, sources}."""
    return deploy.rollback_request(services, eks, service, sides, revision, restore_traffic, restore_helm)


def rollback_plan(found, eks, revision=None, restore_traffic=True, restore_helm=True):
    """What rollback.yml restores from the deploy records read."""
    return deploy.rollback_plan(found, eks or {}, revision, restore_traffic, restore_helm)


def rollback_result(traffic_result, helm_results, traffic_reads, helm_reads, verify=True, check_mode=False):
    """deploy_rollback's result from its registered tasks."""
    return deploy.rollback_result(traffic_result, _results(helm_results), _results(traffic_reads), _results(helm_reads), verify, check_mode)


def rollback_report(plan, environment, result, check_mode, finished_at):
    """The rollback report."""
    return deploy.rollback_report(environment, plan, result, check_mode, finished_at)


def rollback_records(report, plan, eks):
    """deploy_record entries of a rollback."""
    return deploy.rollback_records(report, plan, eks or {})


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


def traffic_shift_step(step, index, switch_result, gate_results, health_results, check_mode=False):
    """traffic_shift's record of one step."""
    return deploy.shift_step(index, step, switch_result, gate_results, health_results, check_mode)


def traffic_shift_result(result, record):
    """traffic_shift_result with one more step."""
    return deploy.shift_result(result, record)


def traffic_shift_failure(record, count):
    """Why a traffic step failed."""
    return deploy.shift_failure(record, count)


def helm_deploy_results(upgrades, health_checks):
    """helm_deploy's result per release."""
    return deploy.helm_deploy_results(upgrades, health_checks)


class FilterModule(object):
    def filters(self):
        return {"idle_colour": idle_colour, "canary_schedule": canary_schedule, "forward_diff": forward_diff,
                "deploy_request": deploy_request, "deploy_routes": deploy_routes, "deploy_live_problems": deploy_live_problems,
                "deploy_plan": deploy_plan, "deploy_release_checks": deploy_release_checks, "deploy_plan_lines": deploy_plan_lines,
                "deploy_undimensioned_gates": deploy_undimensioned_gates,
                "deploy_service_steps": deploy_service_steps, "deploy_side_reports": deploy_side_reports, "deploy_records": deploy_records,
                "deploy_unfinished_records": deploy_unfinished_records, "deploy_failure_text": deploy_failure_text,
                "deploy_service_message": deploy_service_message, "deploy_outcome": deploy_outcome,
                "deploy_summary_lines": deploy_summary_lines, "deploy_failure": deploy_failure, "deploy_parse_records": deploy_parse_records,
                "rollback_request": rollback_request, "rollback_plan": rollback_plan, "rollback_result": rollback_result,
                "rollback_report": rollback_report, "rollback_records": rollback_records, "rollback_summary_lines": rollback_summary_lines,
                "traffic_shift_schedule": traffic_shift_schedule, "traffic_shift_health_groups": traffic_shift_health_groups,
                "traffic_shift_step": traffic_shift_step, "traffic_shift_result": traffic_shift_result,
                "traffic_shift_failure": traffic_shift_failure, "helm_deploy_results": helm_deploy_results}
