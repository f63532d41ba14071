#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_rollback
version_added: 1.0.0
short_description: Put a deploy's traffic and Helm revisions back, read them back, and record it - in one process
description:
  - The rollback of the deploy runbook's rescue, of the C(deploy_rollback) role and of playbooks/rollback.yml in one
    module process.
  - With O(check_revisions), first reads each release's history (side by side) and refuses, changing nothing, a
    revision the release does not have.
  - Then puts the traffic back in one call (as M(cloudops.runbooks.alb_traffic_switch) with C(force=true) - a rollback
    is not refused for health), rolls every release back to its revision side by side (as
    M(cloudops.runbooks.helm_rollback), a no-op when its content would not change) and, with O(verify), reads the
    traffic and the releases back side by side and says what differs from the recorded state (RV(result) C(problems)).
  - With O(sources) (the rollback runbook), first reads the deploy records (ConfigMap C(cloudops-deploy-<service>))
    side by side and decides from them what to restore (module_utils/deploy.py C(rollback_plan)); then, after the
    rollback, builds the report and writes the records of what changed (outcome V(rolled_back)). It refuses a
    O(service) that has no record, and fails when the read-back differs from the recorded state.
  - Check mode reads the records and the histories, predicts the switch, the rollbacks and the records, and reads nothing back.
options:
  switches:
    description: The switches that put the traffic back (entries of M(cloudops.runbooks.alb_traffic_switch)'s C(switches)).
    type: list
    elements: dict
    default: []
  releases:
    description: The releases to roll back, C({side, name, namespace, revision, kubeconfig, context}).
    type: list
    elements: dict
    default: []
  checks:
    description: What the traffic must read back as, C({side, region, load_balancer_name, listener_port, rule_priority, forward}).
    type: list
    elements: dict
    default: []
  helm_timeout:
    description: Helm wait timeout of each rollback.
    type: str
    default: 5m0s
  verify:
    description: Read the traffic and the releases back afterwards.
    type: bool
    default: true
  check_revisions:
    description: Refuse, before any change, a revision that is not in its release's history.
    type: bool
    default: false
  sources:
    description:
      - The deploy records to read, C({service, side, namespace, kubeconfig, context}) (module_utils/deploy.py
        C(rollback_request)). With it, O(switches), O(releases) and O(checks) are decided from the records.
    type: list
    elements: dict
  eks:
    description: The EKS cluster of each side (the inventory's C(cloudops_eks)); with O(sources).
    type: dict
    default: {}
  environment:
    description: Environment name for the report; with O(sources).
    type: str
    default: ''
  service:
    description: The one service asked for (refused when it has no record); with O(sources).
    type: str
    default: ''
  revision:
    description: Roll back to this revision instead of the recorded one; with O(sources).
    type: int
  restore_traffic:
    description: Restore the traffic; with O(sources).
    type: bool
    default: true
  restore_helm:
    description: Roll the releases back; with O(sources).
    type: bool
    default: true
  binary_path:
    description: The helm binary (default - C(helm) on E(PATH)).
    type: path
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Undo the last recorded deploy of web
  cloudops.runbooks.deploy_rollback:
    sources: "{{ request.sources }}"
    eks: "{{ cloudops_eks }}"
    environment: "{{ cloudops_environment }}"
    service: web
  register: rolled_back
"""

RETURN = r"""
result:
  description: What was restored and read back, C({changed, traffic_changed, traffic, releases, verified, problems}).
  returned: success
  type: dict
plan:
  description: With O(sources), what the records say to restore (C(records), C(unrecorded), C(switches), C(releases), C(checks)).
  returned: with sources
  type: dict
records_read:
  description: With O(sources), the records read, C({service, side, found, record}).
  returned: with sources
  type: list
  elements: dict
report:
  description: With O(sources), the rollback report (module_utils/deploy.py C(rollback_report)).
  returned: with sources
  type: dict
records:
  description: With O(sources), the records written, C({service, side, changed}).
  returned: with sources
  type: list
  elements: dict
step_summary:
  description: The standard step result of a runbook step.
  returned: success
  type: dict
"""

import datetime
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy, helm_cli, helm_rollbacks, steps, threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2, shared, traffic_switch
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import deploy_records


def _label(key):
    return " ".join(str(part) for part in key if isinstance(part, str) and part)


def _fail(module, failures):
    threads.fail_from(module, failures, _label if len(failures) > 1 else None)


def _helm(worker, release):
    return helm_cli.HelmRunner(worker, kubeconfig=release.get("kubeconfig") or None, context=release.get("context") or None)


def read_records(module, worker, sources):
    def read(source):
        def run():
            io = deploy_records.Records(worker, source.get("kubeconfig") or "", source.get("context") or "")
            try:
                return dict(io.read(source["service"], source["namespace"]), service=source["service"], side=source["side"])
            finally:
                io.close()
        return run
    found, failures = threads.run_all(dict(((s["side"], "record", s["service"], i), read(s)) for i, s in enumerate(sources)))
    if failures:
        _fail(module, failures)
    return list(found.values())


def write_records(module, worker, entries, check_mode):
    def write(entry):
        def run():
            io = deploy_records.Records(worker, entry.get("kubeconfig") or "", entry.get("context") or "")
            try:
                return dict(io.write(entry, check_mode), service=entry["service"], side=entry["side"])
            finally:
                io.close()
        return run
    done, failures = threads.run_all(dict(((e["side"], "record", e["service"], i), write(e)) for i, e in enumerate(entries)))
    if failures:
        _fail(module, failures)
    return [{"service": r["service"], "side": r["side"], "changed": r["changed"]} for r in done.values()]


def unknown_revisions(worker, releases):
    """The messages of the releases whose target revision is not in their history (or whose history cannot be read)."""
    def check(release):
        return lambda: helm_rollbacks.rollback(worker, _helm(worker, release), release["name"], release["namespace"], release["revision"],
                                               check_mode=True)
    failures = threads.run_all(dict(((r["side"], "history", r["name"], i), check(r)) for i, r in enumerate(releases)))[1]
    return [failure.msg or "the release history cannot be read" for failure in failures.values()]


def restore(module, worker, switches, releases, checks, timeout, verify, check_mode):
    """The traffic put back, the releases rolled back, both read back: deploy.rollback_result()'s result."""
    traffic_result = {}
    if switches:
        specs = traffic_switch.with_defaults(switches)
        traffic_result = traffic_switch.switch(module, specs, False, True, check_mode, False, module.region)

    def back(release):
        return lambda: helm_rollbacks.rollback(worker, _helm(worker, release), release["name"], release["namespace"], release["revision"],
                                               True, timeout, check_mode)
    done, failures = threads.run_all(dict(((r["side"], "helm", r["name"], i), back(r)) for i, r in enumerate(releases)))
    if failures:
        _fail(module, failures)
    helm_results = [dict(result, item=release) for result, release in zip(done.values(), releases)]

    traffic_reads, helm_reads = [], []
    if verify and not check_mode:
        def traffic_read(check):
            region = check.get("region") or module.region
            return lambda: elbv2.traffic_info(worker, client(worker, "elbv2", region=region), region, check["load_balancer_name"],
                                              int(check["listener_port"]), {}, check.get("rule_priority"))

        def helm_read(release):
            return lambda: {"releases": _helm(worker, release).releases(release["namespace"], False, True, [release["name"]], False)}
        tasks = dict(((c["side"], "traffic", c["load_balancer_name"], i), traffic_read(c)) for i, c in enumerate(checks))
        tasks.update(((r["side"], "read", r["name"], i), helm_read(r)) for i, r in enumerate(releases))
        found, failures = threads.run_all(tasks)
        if failures:
            _fail(module, failures)
        traffic_reads = [dict(found[key], item=check) for key, check in zip([k for k in tasks if k[1] == "traffic"], checks)]
        helm_reads = [dict(found[key], item=release) for key, release in zip([k for k in tasks if k[1] == "read"], releases)]
    return deploy.rollback_result(traffic_result, helm_results, traffic_reads, helm_reads, verify, check_mode)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            switches=dict(type="list", elements="dict", default=[]),
            releases=dict(type="list", elements="dict", default=[]),
            checks=dict(type="list", elements="dict", default=[]),
            helm_timeout=dict(type="str", default="5m0s"),
            verify=dict(type="bool", default=True),
            check_revisions=dict(type="bool", default=False),
            sources=dict(type="list", elements="dict"),
            eks=dict(type="dict", default={}),
            environment=dict(type="str", default=""),
            service=dict(type="str", default=""),
            revision=dict(type="int"),
            restore_traffic=dict(type="bool", default=True),
            restore_helm=dict(type="bool", default=True),
            binary_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    check_mode = module.check_mode
    started = time.monotonic()
    worker = shared.SharedClients(module)  # one boto3 client per region for every switch and check
    problem = helm_cli.duration_problem(p["helm_timeout"])
    if problem:
        module.fail_json(msg=problem)

    out = {}
    switches, releases, checks = p["switches"], p["releases"], p["checks"]
    if p["sources"] is not None:
        found = read_records(module, worker, p["sources"])
        plan = deploy.rollback_plan(found, p["eks"], p["revision"], p["restore_traffic"], p["restore_helm"])
        out.update(plan=plan, records_read=found)
        refused = deploy.rollback_unrecorded_message(p["service"], plan)
        if refused:
            module.fail_json(msg=refused, **out)
        switches, releases, checks = plan["switches"], plan["releases"], plan["checks"]

    result = {}
    if p["sources"] is None or out["plan"]["records"]:
        if p["check_revisions"] or p["sources"] is not None:
            refused = deploy.rollback_revision_unknown_message(unknown_revisions(worker, releases))
            if refused:
                module.fail_json(msg=refused, **out)
        result = restore(module, worker, switches, releases, checks, p["helm_timeout"], p["verify"], check_mode)
    out["result"] = result

    if p["sources"] is not None:
        if result.get("problems"):
            module.fail_json(msg="Rollback did not restore the recorded state: %s" % "; ".join(result["problems"]), **out)
        now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        report = deploy.rollback_report(p["environment"], out["plan"], result, check_mode, now)
        entries = deploy.rollback_records(report, out["plan"], p["eks"]) if out["plan"]["records"] else []
        out.update(report=report, records=write_records(module, worker, entries, check_mode) if entries else [])

    changed = bool(result.get("changed")) or any(r["changed"] for r in out.get("records") or [])
    if "report" in out:
        detail = "; ".join(deploy.rollback_summary_lines(out["report"]))
    else:
        moved = len([r for r in result.get("releases") or [] if r["changed"]])
        traffic = "restored" if result.get("traffic_changed") else "unchanged"
        detail = "traffic %s, %d release(s) rolled back%s" % (traffic, moved, ", verified" if result.get("verified") else "")
    summary = steps.summary(detail=detail, measures={"switches": len(switches), "releases": len(releases),
                                                     "seconds": round(time.monotonic() - started, 3)})
    module.exit_json(changed=changed, step_summary=summary, **out)


if __name__ == "__main__":
    main()
