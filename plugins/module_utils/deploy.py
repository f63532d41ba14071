# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The deploy and rollback runbooks' decisions: which services and sides a request selects, what is wrong with the
request, which colour each service deploys to and from, the plan entry of each service and side, and the lines a
person reads. Plain functions, no I/O except the control node's file system (`chart_path`, `values_file_paths`:
local chart and values-file paths are resolved against the project directory); no Ansible import. The filters of
plugins/filter/deploy.py expose them to roles/deploy_preflight and the playbooks.

The inputs are the shapes the roles already pass around: a service of `cloudops_services`, a side's entry of
`cloudops_eks`, the results of alb_traffic_info, helm_release_info and helm_release (check mode). A function that
reads a registered loop result takes its `results` list.
"""

from __future__ import annotations

import copy
import json
import os
import re

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_state
from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic

SWITCHED = ("bluegreen", "canary")
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*://")


def _json(value):
    return json.dumps(value)


def _mapping(value):
    return value if isinstance(value, dict) else {}


def _route_of(service, side):
    """The service's traffic entry of a side ({} when it has none)."""
    return _mapping(_mapping(service.get("traffic")).get(side))


def service_sides(service):
    """The sides a service runs on: `sides` when given, else the keys of its traffic map."""
    if service.get("sides") is not None:
        return list(service["sides"])
    return list(_mapping(service.get("traffic")))


# -- the request ------------------------------------------------------------------------------------------------------

def select(services, service="", sides=None):
    """Each service the request selects (all, or the one named), with `all_sides` (where it runs) and `sides` (those
    of them the request deploys: limited to `sides` when given)."""
    out = []
    for entry in services or []:
        if service and entry.get("name") != service:
            continue
        all_sides = service_sides(entry)
        chosen = [side for side in all_sides if side in sides] if sides else list(all_sides)
        out.append(dict(entry, all_sides=all_sides, sides=chosen))
    return out


def _whole_number(value):
    if isinstance(value, bool):
        return False
    try:
        return int(value) == value
    except (TypeError, ValueError):
        return False


def _canary_steps_problem(where, canary):
    steps = _mapping(canary).get("steps") or []
    if not steps:
        return where + "strategy canary needs canary.steps, the percent of traffic on the new colour per step, e.g. [10, 50, 100]."
    if (not all(_whole_number(step) for step in steps) or sorted(set(steps)) != list(steps) or steps[0] <= 0 or steps[-1] != 100):
        return (where + "canary.steps " + _json(steps)
                + " must be whole percentages above 0, strictly increasing, ending at 100 (e.g. [10, 50, 100]).")
    return None


def _route_problem(where, side, route):
    missing = [key for key in ("load_balancer_name", "listener_port", "target_groups") if key not in route]
    groups = route.get("target_groups")
    if isinstance(groups, dict) and not (groups.get("blue") and groups.get("green")):
        missing += ["target_groups.blue", "target_groups.green"]
    if missing:
        return (where + "traffic." + side + " needs load_balancer_name, listener_port and target_groups: {blue, green} (missing "
                + ", ".join(missing) + ").")
    return None


def _gate_problem(where, gate):
    metric = bool(gate.get("metric_name") and gate.get("statistic") and gate.get("threshold") is not None)
    if gate.get("alarm_name") and gate.get("metric_name"):
        return where + "gate %s gives both alarm_name and metric_name: give one." % gate.get("name")
    if not gate.get("alarm_name") and not metric:
        return where + "gate %s needs alarm_name, or metric_name + statistic + threshold." % gate.get("name")
    return None


def service_problems(entry, eks, service="", sides=None):
    """What is wrong with one selected service (select()'s shape) for this request (`service`, `sides`: what it
    asked for)."""
    where = "Service %s: " % entry.get("name")
    out = []
    if not entry["all_sides"]:
        out.append(where + "no side to deploy to: give traffic.<side> (or sides, for a rolling service without a load balancer).")
    elif not entry["sides"] and service:
        out.append(where + "it runs on " + ", ".join(entry["all_sides"]) + ", not on " + ", ".join(sides or [])
                   + " (deploy_sides).")
    for side in entry["all_sides"]:
        if side not in eks:
            out.append(where + "side %s is not in cloudops_eks (%s)." % (side, ", ".join(eks)))
    if entry.get("strategy") in SWITCHED:
        releases = entry.get("releases")
        if not releases:
            out.append(where + "strategy %s needs releases: {blue: RELEASE, green: RELEASE}." % entry["strategy"])
        elif releases.get("blue") == releases.get("green"):
            out.append(where + "releases.blue and releases.green must be two releases.")
        for side in entry["all_sides"]:
            problem = _route_problem(where, side, _route_of(entry, side))
            if problem:
                out.append(problem)
    elif not entry.get("release"):
        out.append(where + "strategy rolling needs release: RELEASE (the release upgraded in place).")
    if entry.get("strategy") == "canary":
        problem = _canary_steps_problem(where, entry.get("canary"))
        if problem:
            out.append(problem)
    for gate in entry.get("gates") or []:
        problem = _gate_problem(where, _mapping(gate))
        if problem:
            out.append(problem)
    smoke = entry.get("smoke_test")
    if smoke is not None and not (_mapping(smoke).get("job") or _mapping(smoke).get("http")):
        out.append(where + "smoke_test needs job: {image, command} and/or http: {url}.")
    return out


def request_problems(services, eks, version="", service="", sides=None, settings=None):
    """Every problem of a deploy request against the inventory's services and clusters (and cloudops_deploy,
    `settings`: which services may ship together), without any call, in a stable order; [] when it can be planned."""
    services = services or []
    eks = _mapping(eks)
    sides = list(sides or [])
    names = [entry.get("name") for entry in services]
    out = []
    if not str(version if version is not None else "").strip():
        out.append("No version: give the version to ship with -e deploy_version=VERSION"
                   " (it goes into each service's version_value, e.g. image.tag).")
    seen = []
    for name in names:
        if name not in seen:
            seen.append(name)
            if names.count(name) > 1:
                out.append("Service %s is declared twice in cloudops_services: names must be unique." % name)
    if service and service not in names:
        out.append("Unknown service %s (deploy_service): cloudops_services declares %s." % (service, ", ".join(str(n) for n in names)))
    for side in sides:
        if side not in eks:
            out.append("Unknown side %s (deploy_sides): cloudops_eks declares %s." % (side, ", ".join(eks)))
    selected = select(services, service, sides)
    for entry in selected:
        out.extend(service_problems(entry, eks, service, sides))
    out.extend(wave_problems(services, settings))
    if not out and not any(entry["sides"] for entry in selected):
        out.append("Nothing to deploy: no selected service runs on " + ", ".join(sides) + " (deploy_sides).")
    return out


def pairs(selected):
    """(service, side) of every selected service and side, in deploy order."""
    return [{"service": entry, "side": side} for entry in selected for side in entry["sides"]]


def helm_reads(selected, eks):
    """One helm_release_info read per side and namespace: the releases of the selected services there (both colours,
    or the rolling release). Reads each namespace once, whatever the number of services and of releases in it."""
    reads = []
    for pair in pairs(selected):
        entry, side = pair["service"], pair["side"]
        cluster = _mapping(eks.get(side))
        read = next((r for r in reads if r["side"] == side and r["namespace"] == entry["namespace"]), None)
        if read is None:
            read = {"side": side, "namespace": entry["namespace"], "names": [],
                    "kubeconfig": cluster.get("kubeconfig") or "", "context": cluster.get("context") or ""}
            reads.append(read)
        names = list(_mapping(entry.get("releases")).values()) if entry.get("strategy") in SWITCHED else [entry.get("release")]
        read["names"].extend(name for name in names if name and name not in read["names"])
    return reads


def releases_read(reads, results, side, namespace):
    """The releases helm_reads()'s read of this side and namespace returned (its registered loop `results`)."""
    for read, result in zip(reads, results or []):
        if read["side"] == side and read["namespace"] == namespace:
            return _mapping(result).get("releases") or []
    return []


# -- the live state -> routes ------------------------------------------------------------------------------------------

def chart_path(chart, project_dir):
    """A local chart (absolute, or relative to the project directory) as a real path; any other reference as given."""
    chart = str(chart)
    if chart.startswith("/") and os.path.exists(chart):
        return os.path.realpath(chart)
    local = project_dir + "/" + chart
    if not _SCHEME.match(chart) and os.path.exists(local):
        return os.path.realpath(local)
    return chart


def values_file_paths(files, project_dir):
    """Values files as real paths (relative ones from the project directory; ~ expanded)."""
    out = []
    for name in files or []:
        name = os.path.expanduser(name)
        out.append(os.path.realpath(name if name.startswith("/") else project_dir + "/" + name))
    return out


def combine(base, override):
    """Ansible's `combine(recursive=true)`: dicts merged key by key, anything else replaced."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = combine(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _named(releases, name):
    if name is None:
        return None
    return next((r for r in releases or [] if r.get("name") == name), None)


def route(entry, side, eks, version, project_dir, alb, releases, production=None):
    """Where one service stands on one side, from alb_traffic_info's result (`alb`, {} or a skipped result when the
    side has no load balancer) and the side's helm releases: the colour to deploy, the release to upgrade, what
    the traffic is now and how to put it back. production: failover_state.production() of the failover record -
    while production runs on DR, DR's releases get the primary's (production) values, not DR's standby ones."""
    route_in = _route_of(entry, side)
    cluster = _mapping(eks.get(side))
    alb = _mapping(alb)
    has_lb = "listener_arn" in alb
    switched = entry.get("strategy") in SWITCHED
    groups = _mapping(route_in.get("target_groups"))
    active = alb.get("active_colour") if switched else None
    target = traffic.idle_colour(active, dict((name, name) for name in groups)) if switched else None
    releases_map = _mapping(entry.get("releases"))
    release = (releases_map.get(target) if target else None) if switched else entry.get("release")
    active_release = releases_map.get(active) if target else None
    target_tg = (groups.get(target) if target else None) if switched else route_in.get("target_group")
    tg_info = _mapping(_mapping(alb.get("target_groups")).get(target_tg)) if has_lb and target_tg else {}
    lb_arn = alb.get("load_balancer_arn")
    return {
        "service": entry.get("name"),
        "strategy": entry.get("strategy"),
        "side": side,
        "region": route_in.get("region") or cluster.get("region"),
        "cluster_name": cluster.get("cluster_name"),
        "kubeconfig": cluster.get("kubeconfig") or "",
        "context": cluster.get("context") or "",
        "namespace": entry.get("namespace"),
        "version": str(version),
        "version_value": entry.get("version_value"),
        "colour_value": entry.get("colour_value") or "",
        "chart": chart_path(entry.get("chart"), project_dir),
        "chart_version": str(entry.get("chart_version") or ""),
        "values": combine(entry.get("values") or {},
                          _mapping(_mapping(entry.get("side_values")).get(failover_state.side_values_key(side, production)))),
        "values_files": values_file_paths(entry.get("values_files"), project_dir),
        "helm_timeout": entry.get("helm_timeout") or "5m0s",
        "health_timeout_seconds": int(entry.get("health_timeout_seconds") or 300),
        "releases": releases_map,
        "active_colour": active,
        "target_colour": target,
        "release": release,
        "active_release": active_release,
        "release_info": _named(releases, release),
        "active_release_info": _named(releases, active_release),
        "load_balancer_name": route_in.get("load_balancer_name"),
        "listener_port": route_in.get("listener_port"),
        "rule_priority": route_in.get("rule_priority"),
        "load_balancer_arn": lb_arn,
        "listener_arn": alb.get("listener_arn"),
        "rule_arn": alb.get("rule_arn"),
        "active_tg": groups.get(active) if target else None,
        "target_tg": target_tg,
        "target_tg_arn": tg_info.get("arn"),
        "target_health": {"healthy": tg_info.get("healthy_count"), "unhealthy": tg_info.get("unhealthy_count"),
                          "total": tg_info.get("total")},
        # Gate dimensions of the new colour, as CloudWatch names them (app/<lb>/<id>, targetgroup/<tg>/<id>).
        "load_balancer_dimension": re.sub(r"^.*:loadbalancer/", "", lb_arn or ""),
        "target_group_dimension": re.sub(r"^.*:(targetgroup/)", r"\1", tg_info.get("arn") or ""),
        "weights": alb.get("weights") or {},
        "traffic_before": dict((f.get("target_group_name"), f.get("weight")) for f in alb.get("forward") or []),
        # The alb_traffic_switch entry that puts this listener or rule back exactly as it is now.
        "traffic_restore": ({"listener_arn": alb.get("listener_arn"), "rule_arn": alb.get("rule_arn"),
                             "forward": dict((f.get("target_group_arn"), f.get("weight")) for f in alb.get("forward") or []),
                             "purge_unlisted": True} if switched and has_lb else None),
    }


def routes(selected, eks, version, project_dir, alb_results, reads, helm_results, production=None):
    """route() of every pair: `alb_results` in pairs() order, `helm_results` in helm_reads() order."""
    out = []
    for index, pair in enumerate(pairs(selected)):
        entry, side = pair["service"], pair["side"]
        alb = alb_results[index] if index < len(alb_results or []) else {}
        out.append(route(entry, side, eks, version, project_dir, alb, releases_read(reads, helm_results, side, entry["namespace"]),
                         production))
    return out


def live_problems(clusters, routes_, require_target_healthy=True):
    """Why the deploy cannot start from the live state: `clusters` = eks_cluster_info results (with `item`, the side)."""
    out = []
    for result in clusters or []:
        cluster = _mapping(result.get("cluster"))
        if cluster.get("status") != "ACTIVE":
            out.append("EKS cluster %s (%s) is %s, not ACTIVE: wait for its update to finish." % (cluster.get("name"), result.get("item"),
                                                                                                  cluster.get("status")))
    for r in routes_:
        where = "Service %s on %s: " % (r["service"], r["side"])
        listener = ""
        if r["load_balancer_name"]:
            listener = "%s:%s%s" % (r["load_balancer_name"], r["listener_port"],
                                    " rule %s" % r["rule_priority"] if r["rule_priority"] is not None else " default action")
        if r["rule_priority"] is not None and r["listener_arn"] and not r["rule_arn"]:
            out.append(where + "no rule ARN read for " + listener + ": alb_traffic_info must support rule_priority.")
        elif r["strategy"] != "rolling" and not r["target_colour"]:
            if r["active_colour"] == "split":
                out.append(where + "traffic is split on " + listener + " (" + _json(r["weights"])
                           + "), an interrupted canary? Restore the state before that deploy with playbooks/rollback.yml -e rollback_service="
                           + r["service"] + " (or finish it by hand), then deploy again.")
            else:
                out.append(where + listener + " forwards to " + _json(r["traffic_before"]) + ", not to exactly one of its colours "
                           + "/".join(r["releases"]) + " (" + str(r["active_colour"]) + "): check traffic." + r["side"]
                           + ".target_groups against the listener.")
        else:
            for name, info in ((r["release"], r["release_info"]), (r["active_release"], r["active_release_info"])):
                if not name:
                    continue
                if info is None:
                    out.append(where + "Helm release %s not found in namespace %s: install it first (each colour is one release)."
                               % (name, r["namespace"]))
                elif info.get("status") != "deployed":
                    out.append(where + "Helm release %s is %s at revision %s, not deployed: repair it first (playbooks/rollback.yml, or helm "
                               "rollback %s)." % (name, info.get("status"), info.get("revision"), name))
            healthy = r["target_health"]["healthy"] or 0
            if require_target_healthy and r["strategy"] != "rolling" and int(healthy) <= 0:
                out.append(where + "target group %s of the %s colour, which would get the traffic, has no healthy target (%s of %s healthy): "
                           "fix its targets before deploying." % (r["target_tg"], r["target_colour"], healthy, r["target_health"]["total"] or 0))
    return out


def set_values(r, colour):
    """helm_release set_values of a route: the version at version_value, and the colour at colour_value if any."""
    out = [{"value": "%s=%s" % (r["version_value"], r["version"]), "value_type": "string"}]
    if r["colour_value"] and colour:
        out.append({"value": "%s=%s" % (r["colour_value"], colour), "value_type": "string"})
    return out


def release_checks(routes_):
    """The helm_release_check calls of the preflight, one per side: for each route the release to upgrade (validated
    with a dry run when it would change: `target:<route index>`) and the live colour's release, compared only, to
    know whether the version already serves (`live:<route index>`)."""
    groups = []
    for index, r in enumerate(routes_):
        group = next((g for g in groups if g["side"] == r["side"]), None)
        if group is None:
            group = {"side": r["side"], "kubeconfig": r["kubeconfig"], "context": r["context"], "releases": []}
            groups.append(group)
        base = {"namespace": r["namespace"], "chart": r["chart"], "chart_version": r["chart_version"] or None, "values": r["values"],
                "values_files": r["values_files"]}
        group["releases"].append(dict(base, key="target:%d" % index, name=r["release"], set_values=set_values(r, r["target_colour"]),
                                      validate=True))
        if r["active_release"]:
            group["releases"].append(dict(base, key="live:%d" % index, name=r["active_release"], set_values=set_values(r, r["active_colour"]),
                                          validate=False))
    return groups


def checks_of(routes_, checks):
    """(target checks, live checks), in routes order, from helm_release_check's results (release_checks() calls)."""
    by_key = {}
    for check in checks or []:
        for item in _mapping(check).get("results") or []:
            by_key[item.get("key")] = item
    return ([by_key.get("target:%d" % index, {}) for index in range(len(routes_))],
            [by_key.get("live:%d" % index, {}) for index in range(len(routes_))])


def dotted(values, key):
    """The value at a dotted key (image.tag) of a values dict, or None."""
    value = values if isinstance(values, dict) else {}
    for part in str(key).split("."):
        value = value[part] if isinstance(value, dict) and part in value else None
    return value


def smoke_test(entry, r):
    """The smoke test of a plan entry ({} for none): the Job with its SMOKE_* environment, the URL with {service},
    {side}, {colour}, {release}, {version} replaced."""
    smoke = _mapping(entry.get("smoke_test"))
    out = {}
    job = smoke.get("job")
    if job:
        env = {"SMOKE_TARGET": r["release"], "SMOKE_VERSION": r["version"], "SMOKE_COLOUR": r["target_colour"] or "", "SMOKE_SIDE": r["side"]}
        env.update(job.get("env") or {})
        out["job"] = {"name": job.get("name") or r["service"] + "-smoke", "image": job.get("image"), "command": job.get("command"), "env": env}
    http = smoke.get("http")
    if http:
        url = http.get("url")
        for key, value in (("{service}", r["service"]), ("{side}", r["side"]), ("{colour}", r["target_colour"] or ""),
                           ("{release}", r["release"]), ("{version}", r["version"])):
            url = url.replace(key, str(value))
        out["http"] = {"url": url, "status": int(http.get("status") or 200), "validate_certs": http.get("validate_certs", True)}
    if out:
        out["timeout_seconds"] = int(smoke.get("timeout_seconds") or 300)
    return out


def gates(entry, r):
    """The gates of a plan entry: alarms with {side}/{service} replaced; metrics with their defaults and, without
    dimensions, the LoadBalancer and TargetGroup of the new colour."""
    out = []
    for gate in entry.get("gates") or []:
        base = {"name": gate.get("name"), "side": r["side"], "region": r["region"]}
        if gate.get("alarm_name"):
            base.update(alarm_name=gate["alarm_name"].replace("{side}", r["side"]).replace("{service}", r["service"]),
                        ok_states=gate.get("ok_states") or ["OK"])
        else:
            dims = gate.get("dimensions") or (
                {"LoadBalancer": r["load_balancer_dimension"], "TargetGroup": r["target_group_dimension"]}
                if r["load_balancer_dimension"] and r["target_group_dimension"] else {})
            base.update(namespace=gate.get("namespace") or "AWS/ApplicationELB", metric_name=gate.get("metric_name"),
                        statistic=gate.get("statistic"), threshold=float(gate.get("threshold")),
                        comparison=gate.get("comparison") or "GreaterThanThreshold",
                        window_seconds=int(gate.get("window_seconds") or 300), period=int(gate.get("period") or 60),
                        treat_missing_data=gate.get("treat_missing_data") or "pass", dimensions=dims)
        out.append(base)
    return out


def plan_entry(entry, r, target_check, live_check):
    """The plan of one service and side: the route plus what to do. `target_check` / `live_check`: helm_release's
    check-mode results for the release to upgrade and for the live colour's release (skipped when none)."""
    target_check, live_check = _mapping(target_check), _mapping(live_check)
    if r["active_release"]:
        current = len(live_check.get("reasons") or []) == 0
    else:
        current = len(target_check.get("reasons") or []) == 0
    live = r["active_release_info"] if r["active_release"] else r["release_info"]
    if entry.get("strategy") == "canary":
        steps = [int(step) for step in _mapping(entry.get("canary")).get("steps") or []]
        pause = _mapping(entry.get("canary")).get("pause_seconds") or 0
    else:
        steps = [100] if entry.get("strategy") == "bluegreen" else []
        pause = entry.get("bake_seconds") or 0
    decision = {
        "action": "none" if current else "deploy",
        "reason": ("version %s already serves from %s: nothing to do" % (r["version"], r["active_release"] or r["release"]) if current
                   else ", ".join(target_check.get("reasons") or []) or "redeploy"),
        "release_revision": target_check.get("previous_revision"),
        "predicted_revision": _mapping(target_check.get("release")).get("revision"),
        "release_version": dotted(r["release_info"]["values"] if r["release_info"] else {}, r["version_value"]),
        "live_version": dotted(live["values"] if live else {}, r["version_value"]),
        "set_values": set_values(r, r["target_colour"]),
        "steps": steps,
        "pause_seconds": int(pause),
        "smoke_test": smoke_test(entry, r),
        "gates": gates(entry, r),
    }
    return dict(r, **decision)


def plan(selected, routes_, target_checks, live_checks):
    """plan_entry() of every route (the checks are the registered loop results, in routes order)."""
    by_name = dict((entry.get("name"), entry) for entry in selected)
    out = []
    for index, r in enumerate(routes_):
        target = target_checks[index] if index < len(target_checks or []) else {}
        live = live_checks[index] if index < len(live_checks or []) else {}
        out.append(plan_entry(by_name[r["service"]], r, target, live))
    return out


def undimensioned_gates(plan_):
    """Names of the metric gates with no dimensions and no load balancer to default them from."""
    out = []
    for entry in plan_:
        for gate in entry.get("gates") or []:
            if "alarm_name" not in gate and gate.get("dimensions") == {} and gate["name"] not in out:
                out.append(gate["name"])
    return out


def plan_lines(plan_):
    """The plan as a person reads it, one line per service and side."""
    out = []
    for r in plan_:
        if r["action"] == "none":
            out.append("%s on %s: %s" % (r["service"], r["side"], r["reason"]))
            continue
        if r["strategy"] != "rolling":
            move = "%s %s -> %s (steps %s%%)" % (r["strategy"], r["active_colour"], r["target_colour"], "/".join(str(s) for s in r["steps"]))
        else:
            move = "rolling, in place"
        out.append("%s on %s: %s, %s revision %s -> %s, %s -> %s%s%s" % (
            r["service"], r["side"], move, r["release"], r["release_revision"], r["predicted_revision"], r["release_version"] or "?",
            r["version"], ", smoke test" if r["smoke_test"] else "", ", %d gate(s)" % len(r["gates"]) if r["gates"] else ""))
    return out


# -- one service's steps (module_utils of the waves below, and the reusable roles) --------------------------------------

def _first(items, **match):
    for item in items or []:
        if all(item.get(key) == value for key, value in match.items()):
            return item
    return {}


def service_steps(todo):
    """What the roles of one service's deploy take, from its plan entries to deploy (`todo`, one per side): the
    releases to upgrade (helm_deploy), the smoke tests (smoke_test), the routes and target groups of the traffic
    shift (traffic_shift), and what a rollback restores (deploy_rollback: releases to the revision preflight read,
    the traffic as preflight read it), and where its deploy records are (deploy_record)."""
    return {
        "helm_releases": [
            {"side": r["side"], "region": r["region"], "name": r["release"], "namespace": r["namespace"], "chart": r["chart"],
             "chart_version": r["chart_version"], "values": r["values"], "values_files": r["values_files"], "set_values": r["set_values"],
             "timeout": r["helm_timeout"], "kubeconfig": r["kubeconfig"], "context": r["context"],
             "target_group": r["target_tg"] or None, "health_timeout": r["health_timeout_seconds"]} for r in todo],
        "smoke_runs": [
            dict({"side": r["side"], "namespace": r["namespace"], "kubeconfig": r["kubeconfig"], "context": r["context"],
                  "timeout_seconds": r["smoke_test"]["timeout_seconds"]},
                 **dict((key, r["smoke_test"][key]) for key in ("job", "http") if key in r["smoke_test"]))
            for r in todo if r["smoke_test"]],
        "shift_routes": [
            {"side": r["side"], "region": r["region"], "load_balancer_name": r["load_balancer_name"], "listener_port": r["listener_port"],
             "rule_priority": r["rule_priority"], "from_group": r["active_tg"], "to_group": r["target_tg"]}
            for r in todo if r["strategy"] != "rolling"],
        "health_groups": [{"side": r["side"], "region": r["region"], "name": r["target_tg"]} for r in todo if r["target_tg"]],
        "shift": bool(todo) and (todo[0]["strategy"] != "rolling" or any(r["gates"] for r in todo)),
        "steps": (todo[0]["steps"] or [100]) if todo else [],
        "gates": [gate for r in todo for gate in r["gates"]],
        "rollback_releases": [
            {"side": r["side"], "name": r["release"], "namespace": r["namespace"], "revision": r["release_revision"],
             "kubeconfig": r["kubeconfig"], "context": r["context"]} for r in todo],
        "rollback_switches": [r["traffic_restore"] for r in todo if r["traffic_restore"]],
        "record_sources": [{"service": r["service"], "side": r["side"], "namespace": r["namespace"], "kubeconfig": r["kubeconfig"],
                            "context": r["context"]} for r in todo],
        "rollback_checks": [
            {"side": r["side"], "region": r["region"], "load_balancer_name": r["load_balancer_name"], "listener_port": r["listener_port"],
             "rule_priority": r["rule_priority"], "forward": r["traffic_restore"]["forward"]} for r in todo if r["traffic_restore"]],
    }


def side_reports(items, helm_results, rollback_result, shift_result, error=""):
    """Each side of one service as the report shows it: what preflight read, and what the upgrade, the traffic
    shift's last step or the rollback left."""
    rollback_result = _mapping(rollback_result)
    steps = _mapping(shift_result).get("steps") or []
    last = steps[-1] if steps else {}
    restored = bool(error) and bool(rollback_result.get("verified", False))
    out = []
    for r in items:
        helm = _first(helm_results, side=r["side"])
        back = _first(rollback_result.get("releases"), side=r["side"])
        switch = _first(_mapping(last).get("switches"), side=r["side"])
        out.append({
            "side": r["side"], "region": r["region"], "action": r["action"], "release": r["release"],
            "from_colour": r["active_colour"], "to_colour": r["target_colour"], "version_before": r["release_version"],
            "live_version_before": r["live_version"], "revision_before": r["release_revision"],
            "revision_after": back["revision_after"] if back else helm.get("revision_after", r["release_revision"]),
            "helm_changed": helm.get("changed", False), "target_group": r["target_tg"],
            "traffic_before": r["traffic_before"], "traffic_after": r["traffic_before"] if restored or not switch else switch.get("after")})
    return out


def _record_entry(r, record):
    return {"service": r["service"], "side": r["side"], "namespace": r["namespace"], "kubeconfig": r["kubeconfig"], "context": r["context"],
            "record": record}


def deploy_records(todo, started_at, outcome="in_progress", sides=None, error="", finished_at=None):
    """deploy_record entries of one service's deploy: `in_progress` before any change (what an interrupted deploy's
    rollback reads), then the outcome (deployed, rolled_back, rollback_failed) with the revision and traffic after."""
    out = []
    for r in todo:
        record = {"service": r["service"], "side": r["side"], "version": r["version"], "strategy": r["strategy"], "release": r["release"],
                  "namespace": r["namespace"], "from_colour": r["active_colour"], "to_colour": r["target_colour"],
                  "previous_revision": r["release_revision"], "previous_version": r["release_version"],
                  "chart": r["chart"], "chart_version": r["chart_version"], "region": r["region"],
                  "load_balancer_name": r["load_balancer_name"], "listener_port": r["listener_port"], "rule_priority": r["rule_priority"],
                  "traffic_before": r["traffic_restore"], "traffic_before_weights": r["traffic_before"], "started_at": started_at}
        if outcome == "in_progress":
            record.update(outcome="in_progress", revision=None, traffic_after=None)
        else:
            side = _first(sides, side=r["side"])
            record.update(outcome=outcome, revision=side.get("revision_after"), traffic_after=side.get("traffic_after"),
                          error=(error or "").strip(), finished_at=finished_at)
        out.append(_record_entry(r, record))
    return out


def unfinished_records(found, items, finished_at):
    """The records an interrupted deploy left `in_progress` after it had switched the traffic (the version it was
    shipping now serves from the live colour): finished as deployed by the re-run."""
    out = []
    for read in found or []:
        record = read.get("record")
        if not record or record.get("outcome") != "in_progress":
            continue
        r = _first(items, side=read.get("side"))
        if r and record.get("version") == r["version"] and record.get("release") == r["active_release"]:
            info = r["active_release_info"]
            out.append(_record_entry(r, dict(record, outcome="deployed", revision=info.get("revision") if info else None,
                                             traffic_after=r["traffic_before"], finished_at=finished_at,
                                             finished_by="a re-run: the interrupted deploy had already switched the traffic")))
    return out


def failure_text(task_name, result):
    """What failed, from ansible_failed_task.name and ansible_failed_result (a loop's failed items' messages)."""
    result = _mapping(result)
    if "results" not in result:
        message = result.get("msg", "failed")
    else:
        message = " / ".join(str(item.get("msg")) for item in result["results"] if item.get("failed"))
    return "%s: %s" % (task_name or "a task", message)


def service_message(todo, check_mode):
    """The message of a deployed service: where the version is live, and how it got there."""
    first = todo[0]
    if first["strategy"] == "rolling":
        how = "in place"
    else:
        colours = []
        for r in todo:
            if r["target_colour"] not in colours:
                colours.append(r["target_colour"])
        how = "/".join(str(c) for c in colours) + ", " + (
            "in %d steps %s%%" % (len(first["steps"]), "/".join(str(s) for s in first["steps"])) if first["strategy"] == "canary"
            else "all at once")
    return "%s %s live on %s (%s)" % (first["version"], "would be" if check_mode else "is", ", ".join(r["side"] for r in todo), how)


# -- the deploy's report -----------------------------------------------------------------------------------------------

def deploy_outcome(services, halted):
    """failed, would_deploy (check mode), deployed or unchanged."""
    outcomes = [s.get("outcome") for s in services or []]
    if halted:
        return "failed"
    if "would_deploy" in outcomes:
        return "would_deploy"
    return "deployed" if "deployed" in outcomes else "unchanged"


def shares_text(weights):
    """Forward weights as a person reads them: each target group with traffic and its share in percent
    ('shop-blue 90%, shop-green 10%'); 'none' without any."""
    weights = _mapping(weights)
    shown = ["%s %s%%" % (group, traffic.percent(weights, group)) for group, weight in weights.items() if weight]
    return ", ".join(shown) or "none"


def _side_line(d):
    if d["action"] == "skipped":
        return "  %s: not deployed, traffic %s" % (d["side"], shares_text(d["traffic_before"]))
    if d["action"] == "none":
        return "  %s: already deployed, %straffic %s" % (d["side"], (d["from_colour"] + " serves, ") if d["from_colour"] else "",
                                                         shares_text(d["traffic_before"]))
    return "  %s: %s%s revision %s -> %s%s" % (
        d["side"], "%s -> %s, " % (d["from_colour"], d["to_colour"]) if d["to_colour"] else "", d["release"], d["revision_before"],
        d["revision_after"], ", traffic %s -> %s" % (shares_text(d["traffic_before"]), shares_text(d["traffic_after"])) if d["traffic_after"] else "")


def deploy_summary_lines(report):
    """The deploy report as a person reads it."""
    out = ["DEPLOY %s to %s: %s%s" % (report["version"], report["environment"], report["outcome"],
                                      " (check mode: nothing changed)" if report["check_mode"] else "")]
    waves_ = report.get("waves") or []
    if any(len(wave) > 1 for wave in waves_):
        out.append("waves (shipped together): " + " | ".join(", ".join(wave) for wave in waves_))
    for s in report["services"]:
        out.append("%s [%s]: %s - %s" % (s["service"], s["strategy"], s["outcome"], s["message"]))
        out.extend(_side_line(d) for d in s["sides"])
        for step in s.get("steps") or []:
            where = "step %s (%s%%)" % (step["step"], step["percent"]) if step.get("percent") is not None else "after the upgrade"
            for gate in step.get("gates") or []:
                out.append("  %s %s gate %s: %s - %s" % (where, gate["side"], gate["name"], "pass" if gate["passed"] else "FAIL", gate["reason"]))
        if s.get("error"):
            out.append("  error: " + s["error"])
    return out


def deploy_failure(report):
    """The message that fails a deploy in which a service was rolled back (None when none was)."""
    failed = [s for s in report["services"] if s.get("outcome") in ("rolled_back", "rollback_failed")]
    if not failed:
        return None
    if any(s["outcome"] == "rollback_failed" for s in failed):
        state = ("ROLLBACK FAILED: traffic and/or releases are NOT as before; run playbooks/rollback.yml -e rollback_service=SERVICE "
                 "after fixing the cause. ")
    else:
        state = "Traffic and Helm revisions are as before the deploy. "
    return "Deploy failed: %s. %sFix the cause and run the deploy again (services already deployed are skipped)." % (
        "; ".join("%s %s (%s)" % (s["service"], s["outcome"], s.get("error")) for s in failed), state)


# -- the rollback runbook and the deploy_rollback role ----------------------------------------------------------------

def rollback_revision_text(revision):
    """rollback_revision as the checks read it: '' when not given (a revision 0 is a wrong revision, not an absent one)."""
    return "" if revision is None else str(revision)


def rollback_request(services, eks, service="", sides=None, revision=None, restore_traffic=True, restore_helm=True):
    """The rollback request checked without any call: {problems, selected (last deployed first), sources (the deploy
    records to read: one per selected service and side)}."""
    services, eks, sides = services or [], _mapping(eks), list(sides or [])
    names = [s.get("name") for s in services]
    revision = rollback_revision_text(revision)
    problems = []
    if service and service not in names:
        problems.append("Unknown service %s (rollback_service): cloudops_services declares %s." % (service, ", ".join(str(n) for n in names)))
    for side in sides:
        if side not in eks:
            problems.append("Unknown side %s (rollback_sides): cloudops_eks declares %s." % (side, ", ".join(eks)))
    if revision and not service:
        problems.append("rollback_revision needs rollback_service: a revision number belongs to one release.")
    if revision and (not re.match(r"^[0-9]+$", revision) or int(revision) < 1):
        problems.append("rollback_revision must be a revision number (see `helm history RELEASE`), got %s." % revision)
    if revision and not restore_helm:
        problems.append("rollback_revision with rollback_helm=false: nothing would use the revision.")
    if not restore_traffic and not restore_helm:
        problems.append("rollback_traffic and rollback_helm are both false: nothing to do.")
    selected = list(reversed(services)) if not service else [s for s in services if s.get("name") == service]
    sources = []
    for entry in selected:
        for side in service_sides(entry):
            if side in eks and (not sides or side in sides):
                cluster = _mapping(eks[side])
                sources.append({"service": entry.get("name"), "side": side, "namespace": entry.get("namespace"),
                                "kubeconfig": cluster.get("kubeconfig") or "", "context": cluster.get("context") or ""})
    return {"problems": problems, "selected": selected, "sources": sources}


def rollback_plan(found, eks, revision=None, restore_traffic=True, restore_helm=True):
    """What rollback.yml restores from the deploy records read (deploy_record_records): the records, the sources
    without one, and deploy_rollback's switches (traffic as before the deploy), releases (the revision before it, or
    rollback_revision) and checks (what the traffic must read back as)."""
    revision = rollback_revision_text(revision)
    records = [read["record"] for read in found or [] if read.get("found") and read.get("record")]
    plan_ = {"records": records, "unrecorded": [read for read in found or [] if not read.get("record")],
             "switches": [r["traffic_before"] for r in records if r.get("traffic_before")] if restore_traffic else [],
             "releases": [], "checks": []}
    for r in records:
        cluster = _mapping(eks.get(r["side"]))
        if restore_helm and r.get("previous_revision"):
            plan_["releases"].append({"side": r["side"], "name": r["release"], "namespace": r["namespace"],
                                      "revision": int(revision) if revision else r["previous_revision"],
                                      "kubeconfig": cluster.get("kubeconfig") or "", "context": cluster.get("context") or ""})
        if restore_traffic and r.get("traffic_before"):
            plan_["checks"].append({"side": r["side"], "region": r.get("region"), "load_balancer_name": r.get("load_balancer_name"),
                                    "listener_port": r.get("listener_port"), "rule_priority": r.get("rule_priority"),
                                    "forward": r["traffic_before"]["forward"]})
    return plan_


def rollback_unrecorded_message(service, plan_):
    """Why a rollback of one named service is refused when none of its sides has a deploy record (None when one has)."""
    if not service or plan_["records"]:
        return None
    return ("No deploy of %s is recorded (ConfigMap cloudops-deploy-%s on %s): nothing to roll back. For a release without a record, "
            "use helm rollback, or deploy the previous version with playbooks/deploy.yml." % (
                service, service, ", ".join(str(u.get("side")) for u in plan_["unrecorded"])))


def rollback_revision_unknown_message(messages):
    """The refusal of a rollback whose target revisions are not all in their release's history (None when they are)."""
    if not messages:
        return None
    return ("Rollback refused, nothing changed. %s Give rollback_revision one of the existing revisions (see `helm history RELEASE`), "
            "or leave it unset to go back to the revision recorded before the deploy." % " ".join(messages))


def rollback_result(traffic_result, helm_results, traffic_reads, helm_reads_, verify=True, check_mode=False):
    """deploy_rollback's result from its registered tasks: the traffic and releases restored, and what the read-back
    found different from the recorded state (`problems`; `verified` when there is none and it was read)."""
    traffic_result = _mapping(traffic_result)
    traffic_ = [{"load_balancer_name": s.get("load_balancer_name"), "port": s.get("port"), "rule_priority": s.get("rule_priority"),
                 "before": s.get("before"), "after": s.get("after"), "changed": s.get("changed")} for s in traffic_result.get("switches") or []]
    releases = [{"side": r["item"]["side"], "release": r["item"]["name"], "rolled_back_to": r.get("rolled_back_to"),
                 "revision_before": r.get("previous_revision"), "revision_after": _mapping(r.get("release")).get("revision"),
                 "changed": r.get("changed"), "values": _mapping(r.get("release")).get("values")} for r in helm_results or []]
    problems = []
    for read in [read for read in traffic_reads or [] if not read.get("skipped")]:
        item = read["item"]
        live = dict((f.get("target_group_arn"), f.get("weight")) for f in read.get("forward") or [])
        if live != item["forward"]:
            problems.append("%s: %s:%s forwards %s, not the recorded %s" % (
                item["side"], item["load_balancer_name"], item["listener_port"],
                _json(dict((f.get("target_group_name"), f.get("weight")) for f in read.get("forward") or [])), _json(item["forward"])))
    for index, read in enumerate([read for read in helm_reads_ or [] if not read.get("skipped")]):
        item = read["item"]
        target = _mapping(_mapping(_mapping(helm_results[index] if index < len(helm_results or []) else {}).get("diff")).get("after"))
        wanted_chart = "%s-%s" % (target.get("chart", ""), target.get("chart_version", ""))
        info = (read.get("releases") or [None])[0]
        if info is None:
            problems.append("%s: release %s not found" % (item["side"], item["name"]))
        elif info.get("status") != "deployed" or info.get("chart") != wanted_chart or info.get("values") != target.get("values"):
            problems.append("%s: release %s is %s %s with values %s, not %s with %s (revision %s)" % (
                item["side"], item["name"], info.get("status"), info.get("chart"), _json(info.get("values")), wanted_chart,
                _json(target.get("values")), item["revision"]))
    return {"changed": bool(traffic_result.get("changed", False)) or any(r["changed"] for r in releases),
            "traffic_changed": traffic_result.get("changed", False), "traffic": traffic_, "releases": releases,
            "verified": bool(verify) and not check_mode and not problems, "problems": problems}


def rollback_report(environment, plan_, result, check_mode, finished_at):
    """The rollback report: one entry per record, what it restored, and the services and sides without a record."""
    result = _mapping(result)
    entries = []
    for r in plan_["records"]:
        helm = _first(result.get("releases"), side=r["side"], release=r["release"])
        switch = _first(result.get("traffic"), load_balancer_name=r.get("load_balancer_name"), port=r.get("listener_port"),
                        rule_priority=r.get("rule_priority"))
        entries.append({"service": r["service"], "side": r["side"], "recorded_version": r.get("version"), "recorded_outcome": r.get("outcome"),
                        "release": r["release"], "rolled_back_to": helm.get("rolled_back_to"), "revision_before": helm.get("revision_before"),
                        "revision_after": helm.get("revision_after"), "helm_changed": helm.get("changed", False),
                        "traffic_before": switch.get("before"), "traffic_after": switch.get("after"),
                        "traffic_changed": switch.get("changed", False),
                        "changed": bool(helm.get("changed", False) or switch.get("changed", False))})
    if not plan_["records"]:
        outcome = "nothing_recorded"
    elif any(e["changed"] for e in entries):
        outcome = "would_roll_back" if check_mode else "rolled_back"
    else:
        outcome = "unchanged"
    return {"environment": environment, "check_mode": check_mode, "finished_at": finished_at, "outcome": outcome, "services": entries,
            "unrecorded": ["%s on %s" % (u.get("service"), u.get("side")) for u in plan_["unrecorded"]]}


def rollback_records(report, plan_, eks):
    """deploy_record entries of a rollback: the records it changed, and those a killed rollback left unwritten (the
    estate already reads as before the deploy, so the re-run changes nothing but the record)."""
    entries = report["services"]
    todo = [e for e in entries if e["changed"]] + [e for e in entries if not e["changed"] and e["recorded_outcome"] != "rolled_back"]
    out = []
    for e in todo:
        r = _first(plan_["records"], service=e["service"], side=e["side"])
        cluster = _mapping(eks.get(r["side"]))
        out.append({"service": r["service"], "side": r["side"], "namespace": r["namespace"], "kubeconfig": cluster.get("kubeconfig") or "",
                    "context": cluster.get("context") or "",
                    "record": dict(r, outcome="rolled_back", rolled_back_to=e["rolled_back_to"] or r.get("previous_revision"),
                                   revision=e["revision_after"] if e["revision_after"] is not None else r.get("revision"),
                                   rolled_back_at=report["finished_at"])})
    return out


def rollback_summary_lines(report):
    """The rollback report as a person reads it."""
    out = ["ROLLBACK of %s: %s%s" % (report["environment"], report["outcome"], " (check mode: nothing changed)" if report["check_mode"] else "")]
    for e in report["services"]:
        helm = ("release %s revision %s -> %s (content of %s)" % (e["release"], e["revision_before"], e["revision_after"], e["rolled_back_to"])
                if e["rolled_back_to"] is not None else "release untouched")
        moved = ", traffic %s -> %s" % (_json(e["traffic_before"]), _json(e["traffic_after"])) if e["traffic_before"] is not None else ""
        unchanged = "" if e["changed"] else " - already as before, nothing to do"
        out.append("%s on %s (deploy of %s, %s): %s%s%s" % (e["service"], e["side"], e["recorded_version"], e["recorded_outcome"],
                                                            helm, moved, unchanged))
    out.extend("%s: no deploy recorded" % u for u in report["unrecorded"])
    return out


def parse_records(reads):
    """deploy_record's records from its k8s_info loop results: {service, side, found, record (parsed) or None}."""
    out = []
    for read in reads or []:
        found = (read.get("resources") or [None])[0]
        data = _mapping(_mapping(found).get("data"))
        out.append({"service": read["item"]["service"], "side": read["item"]["side"], "found": found is not None,
                    "record": json.loads(data["record.json"]) if found is not None and "record.json" in data else None})
    return out


# -- the traffic_shift and helm_deploy roles --------------------------------------------------------------------------

def shift_schedule(steps, routes_, gates_=None, health_groups=None):
    """traffic_shift's steps: per step the percent on the new colour and one alb_traffic_switch entry per route (all
    sides move together). A rolling deploy has no route: one observation step, gates only. ValueError for steps that
    are not a canary schedule (traffic.canary_schedule). A switch of a later step lists the earlier steps' forwards
    (`earlier`): check mode predicts that step from them, not from the weights it reads (which check mode left as they
    were), so `--check --diff` shows each step moving on from the previous one."""
    if routes_:
        weights = [traffic.canary_schedule(steps, r["from_group"], r["to_group"]) for r in routes_]
        return [{"percent": percent, "sides": [r["side"] for r in routes_],
                 "switches": [dict({"load_balancer_name": r["load_balancer_name"], "port": int(r["listener_port"]),
                                    "rule_priority": r.get("rule_priority"), "region": r["region"], "forward": weights[n][index]},
                                   **({"earlier": weights[n][:index]} if index else {}))
                              for n, r in enumerate(routes_)]}
                for index, percent in enumerate(steps)]
    if gates_ or health_groups:
        return [{"percent": None, "sides": [], "switches": []}]
    return []


def shift_health_groups(routes_, health_groups=None):
    """The target groups traffic_shift checks after each step: the given ones, else each route's new colour."""
    return list(health_groups) if health_groups else [{"side": r["side"], "region": r["region"], "name": r["to_group"]} for r in routes_]


def _ran(results):
    return [r for r in (_mapping(results).get("results") if isinstance(results, dict) else results) or [] if not r.get("skipped")]


def shift_step(index, step, switch_result, gate_results, health_results, check_mode=False):
    """traffic_shift's record of one step from its registered switch, gate and health tasks; `passed` when every gate
    passed and every target group stayed ready."""
    switches = [{"side": step["sides"][n], "load_balancer_name": s.get("load_balancer_name"), "port": s.get("port"),
                 "rule_priority": s.get("rule_priority"), "before": s.get("before"), "after": s.get("after"), "changed": s.get("changed")}
                for n, s in enumerate(_mapping(switch_result).get("switches") or [])]
    gates_ = [{"side": g["item"]["side"], "name": g["item"]["name"], "passed": g.get("passed"), "value": g.get("value"),
               "threshold": g.get("threshold"), "comparison": g.get("comparison"), "reason": g.get("reason")} for g in _ran(gate_results)]
    health = [{"side": h["item"]["side"], "name": t.get("name"), "healthy": t.get("healthy"), "registered": t.get("registered"),
               "ready": t.get("ready"), "states": t.get("states")} for h in _ran(health_results) for t in h.get("target_groups") or []]
    return {"step": index + 1, "percent": step["percent"], "switches": switches, "gates": gates_, "health": health,
            "checked": not check_mode, "passed": all(g["passed"] for g in gates_) and all(h["ready"] for h in health)}


def shift_result(result, record):
    """traffic_shift_result with one more step recorded."""
    result = _mapping(result)
    return dict(result, steps=list(result.get("steps") or []) + [record], passed=record["passed"],
                failed_step=None if record["passed"] else record["step"])


def shift_failure(record, count):
    """Why a step failed: each failed gate and each target group that did not stay healthy."""
    where = ("%s%% on the new colour" % record["percent"]) if record["percent"] is not None else "in place"
    reasons = ["%s | gate %s: %s" % (g["side"], g["name"], g["reason"]) for g in record["gates"] if not g["passed"]]
    reasons += ["%s | target group %s has %s of %s targets healthy %s" % (h["side"], h["name"], h["healthy"], h["registered"], _json(h["states"]))
                for h in record["health"] if not h["ready"]]
    return "Gate failed after step %s of %s (%s): %s" % (record["step"], count, where, "; ".join(reasons))


def helm_deploy_results(upgrades, health_checks):
    """helm_deploy's result per release from its registered upgrade and health loops."""
    out = []
    for r in _ran(upgrades):
        item = r["item"]
        health = next((h for h in _ran(health_checks) if h["item"].get("side") == item["side"]), None)
        release = _mapping(r.get("release"))
        out.append({"side": item["side"], "release": item["name"], "changed": r.get("changed"), "revision_before": r.get("previous_revision"),
                    "revision_after": release.get("revision"), "chart": "%s-%s" % (release.get("chart"), release.get("chart_version")),
                    "app_version": release.get("app_version"), "status": release.get("status"), "reasons": r.get("reasons"),
                    "target_group": item.get("target_group"),
                    "health": ((health.get("target_groups") or [{}])[0]) if health else None})
    return out


# -- waves: which services ship together (cloudops_deploy.max_parallel, each service's deploy_after) ------------------

def deploy_settings(settings):
    """cloudops_deploy with its defaults: {max_parallel: 1} (one service after the other, in the declared order)."""
    return dict({"max_parallel": 1}, **_mapping(settings))


def _after(entry):
    after = entry.get("deploy_after")
    if after is None:
        return []
    return [after] if isinstance(after, str) else after


def _cycle(names, after):
    """One dependency cycle among names ([a, b, ..., a]), or None."""
    state = {}

    def visit(name, path):
        state[name] = "open"
        for dep in after.get(name) or []:
            if dep not in after:
                continue
            if state.get(dep) == "open":
                return path[path.index(dep):] + [dep]
            if dep not in state:
                found = visit(dep, path + [dep])
                if found:
                    return found
        state[name] = "done"
        return None

    for name in names:
        if name not in state:
            found = visit(name, [name])
            if found:
                return found
    return None


def wave_problems(services, settings):
    """What is wrong with the declaration of which services may ship together: cloudops_deploy (max_parallel a whole
    number >= 1, no other key) and each service's deploy_after (names of other declared services, no cycle)."""
    out = []
    if settings is not None and not isinstance(settings, dict):
        return ["cloudops_deploy must be a mapping, e.g. {max_parallel: 4}; got %s." % type(settings).__name__]
    settings = _mapping(settings)
    unknown = sorted(str(key) for key in settings if key != "max_parallel")
    if unknown:
        out.append("cloudops_deploy: unknown key(s) %s (known: max_parallel)." % ", ".join(unknown))
    value = settings.get("max_parallel", 1)
    if not _whole_number(value) or value < 1:
        out.append("cloudops_deploy.max_parallel must be a whole number of services shipped at once, 1 or more; got %r." % (value,))
    names = [entry.get("name") for entry in services or [] if isinstance(entry, dict)]
    after = {}
    for entry in services or []:
        if not isinstance(entry, dict):
            continue
        name, deps = entry.get("name"), _after(entry)
        if not isinstance(deps, (list, tuple)) or not all(isinstance(dep, str) for dep in deps):
            out.append("Service %s: deploy_after must be a list of service names; got %r." % (name, entry.get("deploy_after")))
            continue
        for dep in deps:
            if dep == name:
                out.append("Service %s: deploy_after names the service itself." % name)
            elif dep not in names:
                out.append("Service %s: deploy_after names %s, which cloudops_services does not declare (%s)." % (
                    name, dep, ", ".join(str(n) for n in names)))
        after[name] = [dep for dep in deps if dep in names and dep != name]
    cycle = _cycle(names, after)
    if cycle:
        out.append("cloudops_services: deploy_after goes round in a cycle (%s): no service of it could ship first." % " -> ".join(cycle))
    return out


def waves(services, settings, names):
    """The waves of a deploy: lists of service names shipped together, in order. `names`: the services with
    something in the plan. A service ships in a wave after every wave holding a service of its deploy_after (one
    not in `names` does not hold it back); a wave holds at most max_parallel services, in the declared order.
    With nothing declared (max_parallel 1, no deploy_after) that is today's order: one service after the other."""
    limit = deploy_settings(settings)["max_parallel"]
    limit = int(limit) if _whole_number(limit) and limit >= 1 else 1
    declared = [entry.get("name") for entry in services or []]
    chosen = [name for name in declared if name in (names or [])]
    after = dict((entry.get("name"), [dep for dep in _after(entry) if dep in chosen]) for entry in services or [] if entry.get("name") in chosen)
    level = {}

    def level_of(name, seen=()):
        if name not in level:
            if name in seen:
                raise ValueError("deploy_after goes round in a cycle through %s" % name)
            level[name] = 1 + max([level_of(dep, seen + (name,)) for dep in after[name]] or [-1])
        return level[name]

    out = []
    for depth in sorted(set(level_of(name) for name in chosen)):
        group = [name for name in chosen if level[name] == depth]
        out.extend(group[i:i + limit] for i in range(0, len(group), limit))
    return out


def plan_waves(plan_, services, settings):
    """waves() of a plan (every service of the plan, in the waves that hold it)."""
    names = []
    for r in plan_ or []:
        if r["service"] not in names:
            names.append(r["service"])
    return waves(services, settings, names)


# -- one wave's deploy (playbooks/tasks/deploy_wave.yml) ---------------------------------------------------------------

def _of(items, service):
    return [r for r in items or [] if r.get("service") == service]


def _names(items):
    out = []
    for r in items or []:
        if r["service"] not in out:
            out.append(r["service"])
    return out


def wave(plan_, names):
    """What one wave's steps take: its plan entries (`items`), those to deploy (`todo`), the services shipped, the
    releases and smoke runs of the new colour step (every service's, side by side), the traffic steps (`traffic`:
    per wave step one entry per service still shifting: a blue-green service flips at the first, a canary keeps its
    own schedule), and the services without a traffic step (their records written after the new colour is up)."""
    items = [r for r in plan_ or [] if r["service"] in names]
    todo = [r for r in items if r["action"] == "deploy"]
    shipped = _names(todo)
    helm_releases, smoke_runs, shifts, quiet = [], [], [], []
    for name in shipped:
        mine = _of(todo, name)
        steps_ = service_steps(mine)
        helm_releases.extend(dict(release, service=name) for release in steps_["helm_releases"])
        smoke_runs.extend(dict(run, service=name) for run in steps_["smoke_runs"])
        if steps_["shift"]:
            schedule = shift_schedule(steps_["steps"], steps_["shift_routes"], steps_["gates"], steps_["health_groups"])
            shifts.append({"service": name, "schedule": schedule, "pause_seconds": mine[0]["pause_seconds"], "gates": steps_["gates"],
                           "health_groups": shift_health_groups(steps_["shift_routes"], steps_["health_groups"])})
        else:
            quiet.append(name)
    count = max([len(s["schedule"]) for s in shifts] or [0])
    traffic_ = [[{"service": s["service"], "step": s["schedule"][index], "index": index, "count": len(s["schedule"]),
                  "pause_seconds": s["pause_seconds"], "gates": s["gates"], "health_groups": s["health_groups"]}
                 for s in shifts if index < len(s["schedule"])] for index in range(count)]
    return {"services": names, "items": items, "todo": todo, "shipped": shipped, "helm_releases": helm_releases, "smoke_runs": smoke_runs,
            "traffic": traffic_, "quiet": quiet, "helm_timeout": todo[0]["helm_timeout"] if todo else "5m0s"}


def wave_rollback(todo, restores):
    """What deploy_rollback takes to put a failed wave back: every service's releases to the revision preflight read
    (a no-op for a release not upgraded), and its traffic as its first switch found it (`restores`: {service:
    restore list}), else as preflight read it (a no-op when it did not move)."""
    switches, releases, checks = [], [], []
    restores = _mapping(restores)
    for name in _names(todo):
        steps_ = service_steps(_of(todo, name))
        switches.extend(restores.get(name) or steps_["rollback_switches"])
        releases.extend(steps_["rollback_releases"])
        checks.extend(steps_["rollback_checks"])
    return {"switches": switches, "releases": releases, "checks": checks}


def _release_of(items, r):
    return [item for item in items or [] if item.get("side") == r["side"] and item.get("release") == r["release"]]


def _service_rollback(rollback_result, mine):
    """The part of a wave's deploy_rollback result that is this service's."""
    rollback_result = _mapping(rollback_result)
    if not rollback_result:
        return {}
    releases = [x for r in mine for x in _release_of(rollback_result.get("releases"), r)]
    ports = [(r["load_balancer_name"], r["listener_port"], r["rule_priority"]) for r in mine]
    traffic_ = [t for t in rollback_result.get("traffic") or []
                if (t.get("load_balancer_name"), t.get("port"), t.get("rule_priority")) in ports]
    return dict(rollback_result, releases=releases, traffic=traffic_,
                changed=any(x.get("changed") for x in releases) or any(t.get("changed") for t in traffic_))


def wave_outcomes(w, helm_results, smoke_results, step_records, rollback_result, failed, error, rollback_error,
                  started_at, duration_seconds, check_mode=False, halted=False, finished_at=None, record_error=""):
    """Each service of a wave as the deploy report shows it, and the records its end writes.

    `step_records`: the traffic steps' records of each service ({service: [step record]}); `failed`: the services
    that failed ([] when the wave went through; every shipped service when the failure cannot be pinned on one);
    `error`: what failed. When the wave failed, every shipped service was rolled back (`rollback_result`, the
    wave's deploy_rollback result; `rollback_error` when that failed). `halted`: an earlier wave failed, nothing of
    this one ran; `record_error`: why the rollback's records were not written. Returns {services: [report entry],
    records: [deploy_record entry]} (records: those of the rollback, when the wave failed, and of the services
    without a traffic step, when it passed)."""
    step_records = _mapping(step_records)
    wave_failed = bool(error)
    services, records = [], []
    for name in w["services"]:
        items, mine = _of(w["items"], name), _of(w["todo"], name)
        first = items[0]
        shift = {"steps": step_records.get(name) or []}
        own_error = (error if (name in failed or not failed) else "rolled back with its wave: %s failed" % ", ".join(failed)) if wave_failed else ""
        own_rollback = _service_rollback(rollback_result, mine) if wave_failed and mine else {}
        sides = side_reports(items, [x for r in mine for x in _release_of(helm_results, r)], own_rollback, shift, own_error)
        entry = {"service": name, "strategy": first["strategy"], "version": first["version"], "error": "", "started_at": started_at,
                 "duration_seconds": duration_seconds, "sides": sides, "smoke": [s for s in smoke_results or [] if s.get("service") == name],
                 "steps": shift["steps"], "rollback": None}
        if halted or not mine:
            entry.update(outcome="skipped" if halted else "unchanged", duration_seconds=0, steps=[], smoke=[],
                         message="not deployed: an earlier service failed and was rolled back" if halted
                         else "; ".join(_unique(r["reason"] for r in items)))
            if halted:
                entry["sides"] = [dict(s, action="skipped") for s in sides]
        elif wave_failed:
            outcome = "rollback_failed" if rollback_error else "rolled_back"
            entry.update(outcome=outcome, error=own_error.strip(), rolled_back=True, rollback=own_rollback or None,
                         message=("rollback FAILED (%s): check traffic and releases, then run playbooks/rollback.yml" % rollback_error)
                         if rollback_error else "rolled back: traffic and Helm revisions are as before the deploy")
            if record_error:
                entry["message"] += " (the deploy record was not written: %s)" % record_error
            records.extend(deploy_records(mine, started_at, outcome, sides, own_error, finished_at))
        else:
            entry.update(outcome="would_deploy" if check_mode else "deployed", message=service_message(mine, check_mode))
            if name in w["quiet"]:
                records.extend(deploy_records(mine, started_at, "deployed", sides, "", finished_at))
        services.append(entry)
    return {"services": services, "records": records}


def _unique(values):
    out = []
    for value in values:
        if value not in out:
            out.append(value)
    return out


def wave_failed_services(w, up_result, step_results):
    """The services a wave's failure is pinned on: those of the failed traffic step that did not pass, else those
    of the new colour step whose release or smoke test failed; [] when it cannot be told (then the wave's)."""
    for result in reversed(step_results or []):
        names = [s["service"] for s in _mapping(result).get("services") or [] if not s.get("passed", True)]
        if names:
            return names
    return list(_mapping(up_result).get("failed_services") or [])


def wave_unfinished(found, w, finished_at):
    """unfinished_records() of every service of a wave with nothing to deploy (the records preflight read, `found`)."""
    out = []
    for name in w["services"]:
        if name not in w["shipped"]:
            out.extend(unfinished_records(_of(found, name), _of(w["items"], name), finished_at))
    return out
