#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_preflight
version_added: 1.0.0
short_description: The deploy runbook's preflight in one process - live state read side by side, then the plan
description:
  - Checks the deploy request against the services (as the P(cloudops.runbooks.deploy_request#filter) filter does),
    then reads, side by side (one worker thread per read, each with its own Kubernetes client; one AWS client per
    service and region for all of them), the EKS cluster of each selected side, where each route's listener (default
    action or rule) sends the traffic and the health of its target groups (each load balancer, its listeners, rules
    and target groups described once for all its routes), the Helm releases of the selected services (one C(helm status) of each, side by
    side; not a C(helm list) of the namespace) and the deploy record of each service and side (ConfigMap
    C(cloudops-deploy-<service>) - an interrupted deploy may have left one C(in_progress)).
  - Then decides, with the code of C(module_utils/deploy.py), the colour to deploy and the release to upgrade of each
    service and side, why the live state refuses the deploy, and, per side and side by side, each release to upgrade
    compared with what is asked and validated with C(helm upgrade --install --dry-run) when it would change, each
    live colour's release compared (does the version already serve?). Returns the plan roles/deploy_preflight publishes.
  - Refuses (fails, changing nothing) with C(Deploy refused, nothing changed.) and every problem of the request or of
    the live state, and for metric gates with no dimensions; a read that fails fails the module after every read has
    ended, naming each failed read.
  - Read-only; runs the same in check mode.
options:
  services:
    description: The services (the inventory's C(cloudops_services)).
    type: list
    elements: dict
    required: true
  eks:
    description: The EKS cluster of each side (the inventory's C(cloudops_eks)), C({region, cluster_name, kubeconfig, context}).
    type: dict
    required: true
  version:
    description: The version to deploy.
    type: str
    required: true
  service:
    description: Only this service (empty - every service, in order).
    type: str
    default: ''
  sides:
    description: Only these sides (empty - every side each service runs on).
    type: list
    elements: str
    default: []
  project_dir:
    description: Local chart and values-file paths of O(services) are relative to this directory.
    type: path
    required: true
  require_target_healthy:
    description: Refuse a route whose new colour's target group has no healthy target.
    type: bool
    default: true
  settings:
    description:
      - Which services may ship together (the inventory's C(cloudops_deploy)) - C(max_parallel), the services shipped at
        once (default V(1), one after the other in the declared order); each service's C(deploy_after) names the
        services whose wave must come first. A bad declaration is refused before any read.
    type: dict
    default: {}
  production_record:
    description:
      - Also read the failover's progress record (a ConfigMap on the DR cluster, through the C(dr) entry of O(eks)) to know which side
        serves production. While production runs on DR (a real failover, until a failback completes), the DR side's
        releases get the production values - C(values) with the primary's C(side_values), not DR's standby ones - so a
        deploy keeps DR at production size. Ignored without a DR side.
    type: dict
    version_added: 1.0.0
    suboptions:
      namespace: {description: Namespace of the record (C(cloudops_failover.record.namespace))., type: str, required: true}
      name: {description: The record's ConfigMap., type: str, default: cloudops-failover}
  binary_path:
    description: The helm binary (default - C(helm) on E(PATH)).
    type: path
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Read the live state and plan the deploy
  cloudops.runbooks.deploy_preflight:
    services: "{{ cloudops_services }}"
    eks: "{{ cloudops_eks }}"
    version: 1.1.0
    project_dir: "{{ playbook_dir | dirname }}"
  register: preflight

- name: Show the plan
  ansible.builtin.debug:
    msg: "{{ preflight.plan | cloudops.runbooks.deploy_plan_lines }}"
"""

RETURN = r"""
plan:
  description:
    - One entry per service and side, in deploy order, with C(action) (V(deploy) or V(none)), the colours, the release to
      upgrade and its revision, the Helm values,
      the smoke test, the gates and C(traffic_restore).
  returned: success
  type: list
  elements: dict
waves:
  description: The services of the plan in the waves that ship them together, in order (lists of names).
  returned: success
  type: list
  elements: list
  sample: [[web, catalog], [search]]
plan_lines:
  description: The plan as a person reads it, one line per service and side (and the waves, when one ships several services).
  returned: success
  type: list
  elements: str
records:
  description: The deploy record of each service and side, C({service, side, found, record}) (the record parsed, or null).
  returned: success
  type: list
  elements: dict
production:
  description:
    - Which side serves production (C(side), C(failed_over), C(run_id), C(since), C(note)); the primary when
      O(production_record) is not given or the estate has no DR side.
  returned: success
  type: dict
  sample: {side: dr, failed_over: true, run_id: failover-prod-20260131T120000, since: '2026-01-31T12:04:10Z', failback: null, note: "..."}
step_summary:
  description: The standard step result of a runbook step.
  returned: success
  type: dict
  sample:
    detail: "web on primary: bluegreen blue -> green, shop-green revision 1 -> 2, 1.0.0 -> 1.1.0, smoke test"
    measures: {routes: 2, to_deploy: 2, read_seconds: 1.2}
"""

import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy, failover_state, helm_cli, helm_upgrade, steps, threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks, elbv2, shared
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import configmaps
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import deploy_records

REFUSED = "Deploy refused, nothing changed. "
# Releases of one namespace read side by side (helm processes mostly wait on the cluster's API).
HELM_WORKERS = 4


class _CheckFailure(Exception):
    pass


def _label(key):
    return " ".join(str(part) for part in key if isinstance(part, str) and part)


def _fail_reads(module, failures):
    threads.fail_from(module, failures, _label if len(failures) > 1 else None)


def cluster_read(worker, side, spec):
    def read():
        conn = client(worker, "eks", region=spec["region"])
        cluster = eks.describe_cluster(worker, conn, spec["cluster_name"])
        if cluster is None:
            worker.fail_json(msg="EKS cluster %s not found in %s: check cluster_name and region" % (spec["cluster_name"], spec["region"]))
        return {"item": side, "region": spec["region"], "exists": True,
                "cluster": dict((key, cluster.get(key)) for key in ("name", "arn", "status", "version", "endpoint"))}
    return read


def route_colours(route):
    """{colour: target group name} of a service's route on one side."""
    colours = route.get("target_groups") or ({"live": route["target_group"]} if route.get("target_group") else {})
    return dict((str(colour), str(group)) for colour, group in colours.items())


def traffic_read(worker, route, region, elb):
    """alb_traffic_info's read of one route. elb: the module's _aws/shared.SharedReads, so the routes of a load
    balancer describe it, its listeners, rules and target groups once between them (the health is each route's)."""
    colours = route_colours(route)

    def read():
        reads = elb(region)
        return elbv2.traffic_info(worker, reads.conn, region, route["load_balancer_name"], int(route.get("listener_port") or 443), colours,
                                  route.get("rule_priority"), reads=reads)
    return read


def helm_read(worker, read_spec):
    """The releases of one side and namespace as helm_release_info returns them, and each one's current state as
    helm_release compares it, from one `helm status` per release side by side (the releases are known by name; a
    release that does not exist reads None) and, on helm 4 whose status has no chart, one `helm list` of the namespace
    for the charts (HelmRunner.statuses); its `config` is the user-supplied values `helm get values` would print, so
    the release checks read nothing again."""
    def read():
        helm = helm_cli.HelmRunner(worker, kubeconfig=read_spec["kubeconfig"] or None, context=read_spec["context"] or None)
        namespace = read_spec["namespace"]
        names = sorted(set(read_spec["names"]))
        found = helm.statuses(namespace, names, HELM_WORKERS)
        current = dict(((namespace, name), None) for name in read_spec["names"])
        releases = []
        for name in names:
            if found[name]:
                current[(namespace, name)] = helm_cli.release_summary(found[name])
                releases.append(helm_cli.release_from(helm_cli.listed_from_status(found[name]), found[name]))
        return {"releases": releases, "current": current}
    return read


def production_read(worker, dr, spec):
    """Which side serves production, from the failover record on the DR cluster (module_utils/failover_state.py)."""
    return lambda: configmaps.failover_production(worker, dr.get("kubeconfig"), dr.get("context"), spec["namespace"], spec["name"])


def record_read(worker, source):
    def read():
        io = deploy_records.Records(worker, source["kubeconfig"], source["context"])
        try:
            return dict(io.read(source["service"], source["namespace"]), service=source["service"], side=source["side"])
        finally:
            io.close()
    return read


class _Checker(object):
    """The module as helm_upgrade sees it in a worker: failures raise (WorkerFailed), tmpdir is the module's."""

    def __init__(self, worker):
        self._worker = worker
        self.tmpdir = worker.tmpdir

    def fail_json(self, **kwargs):
        self._worker.fail_json(**kwargs)


def release_check(worker, group, spec, current):
    """helm_release_check of one release: compared with what is asked and, when it would change and `validate`,
    validated with `helm upgrade --install --dry-run`. `current`: what preflight read of the release (read here when
    it was not)."""
    def check():
        helm = helm_cli.HelmRunner(worker, kubeconfig=group["kubeconfig"] or None, context=group["context"] or None)
        problem = helm_cli.release_name_problem(spec["name"])
        if problem:
            worker.fail_json(msg=problem)
        where = (spec["namespace"], spec["name"])
        now = current[where] if where in current else helm.release(spec["name"], spec["namespace"])
        params = dict(spec, wait=True, atomic=False, timeout="5m0s", create_namespace=False, force=False,
                      values=spec.get("values") or {}, values_files=spec.get("values_files") or [],
                      set_values=[dict({"value_type": "raw"}, **v) for v in spec.get("set_values") or []])
        checked = helm_upgrade.predict(_Checker(worker), helm, params, now, validate=params["validate"])
        return dict(checked, key=spec["key"], name=spec["name"], namespace=spec["namespace"])
    return check


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            services=dict(type="list", elements="dict", required=True),
            eks=dict(type="dict", required=True),
            version=dict(type="str", required=True),
            service=dict(type="str", default=""),
            sides=dict(type="list", elements="str", default=[]),
            project_dir=dict(type="path", required=True),
            require_target_healthy=dict(type="bool", default=True),
            settings=dict(type="dict", default={}),
            production_record=dict(type="dict", options=dict(namespace=dict(type="str", required=True),
                                                             name=dict(type="str", default=failover_state.FAILOVER_RECORD))),
            binary_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if helm_upgrade.YAML_IMPORT_ERROR:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=helm_upgrade.YAML_IMPORT_ERROR)
    started = time.monotonic()
    cluster_map = p["eks"] or {}
    problems = deploy.request_problems(p["services"], cluster_map, p["version"], p["service"], p["sides"], p["settings"])
    if problems:
        module.fail_json(msg=REFUSED + " ".join(problems))
    selected = deploy.select(p["services"], p["service"], p["sides"])
    pairs = deploy.pairs(selected)
    reads_ = deploy.helm_reads(selected, cluster_map)
    worker = shared.SharedClients(module)  # one boto3 client per service and region for every read
    module.tmpdir  # pylint: disable=pointless-statement  # created here once: the workers write values files there

    tasks = {}
    for side in [s for i, s in enumerate(pair["side"] for pair in pairs) if s not in [q["side"] for q in pairs][:i]]:
        tasks[("eks", side, None)] = cluster_read(worker, side, cluster_map[side])
    elb = shared.SharedReads(worker)
    for index, pair in enumerate(pairs):
        route = (pair["service"].get("traffic") or {}).get(pair["side"]) or {}
        if route.get("load_balancer_name"):
            region = route.get("region") or cluster_map[pair["side"]]["region"]
            elb.expect_groups(region, route_colours(route).values())
            tasks[("alb", pair["side"], "%s:%d" % (pair["service"]["name"], index))] = traffic_read(worker, route, region, elb)
    for index, read in enumerate(reads_):
        tasks[("helm", read["side"], "%s:%d" % (read["namespace"], index))] = helm_read(worker, read)
    sources = [{"service": pair["service"]["name"], "side": pair["side"], "namespace": pair["service"]["namespace"],
                "kubeconfig": cluster_map[pair["side"]].get("kubeconfig") or "", "context": cluster_map[pair["side"]].get("context") or ""}
               for pair in pairs]
    for index, source in enumerate(sources):
        tasks[("record", source["side"], "%s:%d" % (source["service"], index))] = record_read(worker, source)
    if p["production_record"] and "dr" in cluster_map:
        tasks[("production", "dr", None)] = production_read(worker, cluster_map["dr"], p["production_record"])
    results, failures = threads.run_all(tasks)
    if failures:
        _fail_reads(module, failures)
    read_seconds = round(time.monotonic() - started, 3)

    clusters = [value for key, value in results.items() if key[0] == "eks"]
    alb = [results.get(("alb", pair["side"], "%s:%d" % (pair["service"]["name"], index)), {}) for index, pair in enumerate(pairs)]
    helm = [results[("helm", read["side"], "%s:%d" % (read["namespace"], index))] for index, read in enumerate(reads_)]
    records = [results[("record", source["side"], "%s:%d" % (source["service"], index))] for index, source in enumerate(sources)]
    production = results.get(("production", "dr", None)) or failover_state.production(None)
    routes = deploy.routes(selected, cluster_map, p["version"], p["project_dir"], alb, reads_, helm, production)
    problems = deploy.live_problems(clusters, routes, p["require_target_healthy"])
    if problems:
        module.fail_json(msg=REFUSED + " ".join(problems))

    groups = deploy.release_checks(routes)
    current = {}
    for index, read in enumerate(reads_):
        for (namespace, name), summary in helm[index]["current"].items():
            current[(read["side"], namespace, name)] = summary
    tasks = {}
    for group in groups:
        known = dict(((namespace, name), summary) for (side, namespace, name), summary in current.items() if side == group["side"])
        for index, spec in enumerate(group["releases"]):
            tasks[("helm check", group["side"], spec["name"], index)] = release_check(worker, group, spec, known)
    checked, failures = threads.run_all(tasks)
    if failures:
        _fail_reads(module, failures)
    results = [{"results": [checked[key] for key in tasks if key[1] == group["side"]]} for group in groups]
    target_checks, live_checks = deploy.checks_of(routes, results)
    plan = deploy.plan(selected, routes, target_checks, live_checks)
    undimensioned = deploy.undimensioned_gates(plan)
    if undimensioned:
        module.fail_json(msg=REFUSED + (
            "These metric gates have no dimensions and no load balancer to default them from (LoadBalancer + TargetGroup of the new "
            "colour): %s. Give the gate dimensions, or the service traffic.<side>.load_balancer_name and target_group." % ", ".join(undimensioned)))
    seconds = round(time.monotonic() - started, 3)
    summary = steps.summary(detail="; ".join(deploy.plan_lines(plan)),
                            measures={"routes": len(plan), "to_deploy": len([r for r in plan if r["action"] == "deploy"]), "read_seconds": seconds,
                                      "live_read_seconds": read_seconds, "check_seconds": round(seconds - read_seconds, 3)})
    waves = deploy.plan_waves(plan, p["services"], p["settings"])
    lines = deploy.plan_lines(plan)
    if production["failed_over"] and any(r["side"] == "dr" for r in plan):
        lines.append("DR is production: " + production["note"])
        summary["detail"] += "; " + lines[-1]
    if any(len(wave) > 1 for wave in waves):
        lines.append("waves (shipped together): " + " | ".join(", ".join(wave) for wave in waves))
        summary["detail"] += "; " + lines[-1]
    module.exit_json(changed=False, plan=plan, waves=waves, plan_lines=lines, records=records, production=production, step_summary=summary)


if __name__ == "__main__":
    main()
