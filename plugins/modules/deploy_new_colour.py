#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: deploy_new_colour
version_added: 1.0.0
short_description: Bring the new colour of a service up on every side at once - record, Helm upgrade, healthy targets, smoke test
description:
  - The deploy runbook's "the new colour is up" step in one module process, every side at once (one worker thread per
    release and per smoke test, each with its own Kubernetes client; one AWS client per region for all of them).
  - First writes O(records), the deploy records (ConfigMap C(cloudops-deploy-<service>)) that let an interrupted
    deploy be rolled back, side by side.
  - Then, for each release of O(releases) side by side, C(helm upgrade --install --wait) without C(--atomic) (as
    M(cloudops.runbooks.helm_release) does; nothing when the release already has the chart and values) and, when the
    entry has a C(target_group), waits until its targets are healthy (as M(cloudops.runbooks.alb_target_health)).
  - Then, once every release is up, each smoke test of O(smoke_runs) side by side - a Kubernetes Job run to
    completion (as M(cloudops.runbooks.k8s_job_run)) and/or an HTTP GET that must answer the expected status.
  - Fails after every worker of a phase has ended, naming each failure (V(<side> helm), V(<side> smoke)...), with
    RV(helm_deploy_results) and RV(smoke_test_results) of what ran; a failed upgrade leaves the other sides upgraded
    (the runbook's rollback puts every side back to the revision it started from).
  - Check mode predicts the upgrades (validated with C(helm upgrade --dry-run)) and the records, reads the target
    health, and runs no Job and no HTTP check.
options:
  releases:
    description:
      - The releases to upgrade, one per side of each service (the C(helm_deploy) role's C(helm_deploy_releases); the
        deploy runbook gives every service of a wave at once).
    type: list
    elements: dict
    default: []
    suboptions:
      side:
        description: Side name (V(primary), V(dr)), for the results.
        type: str
        required: true
      service:
        description: The service of the release, for RV(failed_services).
        type: str
      region:
        description: AWS region of the target group.
        type: str
      name:
        description: Release name.
        type: str
        required: true
      namespace:
        description: Release namespace.
        type: str
        required: true
      chart:
        description: Chart path or reference.
        type: str
        required: true
      chart_version:
        description: Chart version; empty for the chart's own or the newest.
        type: str
        default: ''
      values:
        description: Values.
        type: dict
        default: {}
      values_files:
        description: Values files.
        type: list
        elements: path
        default: []
      set_values:
        description: C(--set) values, as M(cloudops.runbooks.helm_release) takes them.
        type: list
        elements: dict
        default: []
        suboptions:
          value:
            description: C(key=value).
            type: str
            required: true
          value_type:
            description: How helm reads it.
            type: str
            default: raw
            choices: [raw, string, json, file]
      timeout:
        description: Helm wait timeout.
        type: str
        default: 5m0s
      kubeconfig:
        description: Kubeconfig of the side's cluster; empty for helm's default.
        type: str
        default: ''
      context:
        description: Kubeconfig context; empty for the current one.
        type: str
        default: ''
      target_group:
        description: Target group whose targets must be healthy afterwards.
        type: str
      health_timeout:
        description: Seconds for the target group; default O(health_timeout).
        type: int
  smoke_runs:
    description: The smoke tests, one per side of each service (the C(smoke_test) role's C(smoke_test_runs)).
    type: list
    elements: dict
    default: []
    suboptions:
      side:
        description: Side name.
        type: str
        required: true
      service:
        description: The service of the run, for RV(smoke_test_results) and RV(failed_services).
        type: str
      namespace:
        description: Namespace of the Job.
        type: str
        required: true
      kubeconfig:
        description: Kubeconfig of the side's cluster.
        type: str
        default: ''
      context:
        description: Kubeconfig context.
        type: str
        default: ''
      timeout_seconds:
        description: Time the Job or the request may take.
        type: int
        default: 300
      job:
        description: The Job.
        type: dict
        suboptions:
          name:
            description: Job name (a finished Job of that name is replaced).
            type: str
            required: true
          image:
            description: Container image.
            type: str
            required: true
          command:
            description: Command.
            type: list
            elements: str
            required: true
          env:
            description: Environment variables.
            type: dict
            default: {}
      http:
        description: The HTTP check.
        type: dict
        suboptions:
          url:
            description: URL.
            type: str
            required: true
          status:
            description: Expected status code.
            type: int
            default: 200
          validate_certs:
            description: Verify TLS certificates.
            type: bool
            default: true
  smoke_cleanup:
    description: Delete a Job that passed (a failed one is always kept for its logs).
    type: bool
    default: true
  records:
    description:
      - Deploy records written before any upgrade, C({service, side, namespace, kubeconfig, context, record}) (the
        C(deploy_record) role's C(deploy_record_entries)).
    type: list
    elements: dict
    default: []
  health_timeout:
    description: Seconds a target group may take to report every target healthy, for entries without C(health_timeout).
    type: int
    default: 300
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
- name: Bring the green colour of web up on both sides
  cloudops.runbooks.deploy_new_colour:
    releases:
      - {side: primary, region: us-east-1, name: shop-green, namespace: shop, chart: /srv/charts/app, target_group: shop-primary-green,
         set_values: [{value: image.tag=1.1.0, value_type: string}], kubeconfig: /etc/kube/primary.yaml}
      - {side: dr, region: us-west-2, name: shop-green, namespace: shop, chart: /srv/charts/app, target_group: shop-dr-green,
         set_values: [{value: image.tag=1.1.0, value_type: string}], kubeconfig: /etc/kube/dr.yaml}
    smoke_runs:
      - {side: primary, namespace: shop, kubeconfig: /etc/kube/primary.yaml,
         job: {name: web-smoke, image: busybox:1.36, command: [sh, -c, "wget -qO- http://shop-green/healthz"]}}
  register: up
"""

RETURN = r"""
helm_deploy_results:
  description:
    - One entry per release C({side, release, changed, revision_before, revision_after, chart, app_version, status, reasons,
      target_group, health}), as the C(helm_deploy) role sets C(helm_deploy_results).
  returned: always
  type: list
  elements: dict
smoke_test_results:
  description: One entry per smoke run C({side, job, http}), as the C(smoke_test) role sets C(smoke_test_results).
  returned: always
  type: list
  elements: dict
failed_services:
  description: On a failure, the services (O(releases[].service), O(smoke_runs[].service)) whose upgrade or smoke test failed.
  returned: on a failure
  type: list
  elements: str
records:
  description: The records written, C({service, side, changed}).
  returned: always
  type: list
  elements: dict
step_summary:
  description: The standard step result of a runbook step.
  returned: always
  type: dict
  sample:
    detail: "primary shop-green 1 -> 2, dr shop-green 1 -> 2; smoke primary complete, dr complete"
    measures: {releases: 2, upgraded: 2, smoke_runs: 2, seconds: 6.1}
"""

import time

from ansible.module_utils.urls import open_url
from ansible.module_utils.six.moves.urllib.error import HTTPError

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import deploy, helm_cli, helm_upgrade, smoke, steps, threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import shared, target_health
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import deploy_records, jobs

SET_VALUE = dict(value=dict(type="str", required=True), value_type=dict(type="str", default="raw", choices=["raw", "string", "json", "file"]))
RELEASE = dict(
    side=dict(type="str", required=True), service=dict(type="str"), region=dict(type="str"), name=dict(type="str", required=True),
    namespace=dict(type="str", required=True), chart=dict(type="str", required=True), chart_version=dict(type="str", default=""),
    values=dict(type="dict", default={}), values_files=dict(type="list", elements="path", default=[]),
    set_values=dict(type="list", elements="dict", default=[], options=SET_VALUE), timeout=dict(type="str", default="5m0s"),
    kubeconfig=dict(type="str", default=""), context=dict(type="str", default=""), target_group=dict(type="str"),
    health_timeout=dict(type="int"))
SMOKE = dict(
    side=dict(type="str", required=True), service=dict(type="str"), namespace=dict(type="str", required=True),
    kubeconfig=dict(type="str", default=""),
    context=dict(type="str", default=""), timeout_seconds=dict(type="int", default=300),
    job=dict(type="dict", options=dict(name=dict(type="str", required=True), image=dict(type="str", required=True),
                                       command=dict(type="list", elements="str", required=True), env=dict(type="dict", default={}))),
    http=dict(type="dict", options=dict(url=dict(type="str", required=True), status=dict(type="int", default=200),
                                        validate_certs=dict(type="bool", default=True))))


# Release reads side by side per cluster and namespace (each a helm process that mostly waits on the API).
HELM_WORKERS = 4


def _label(key):
    """(side, step, index) -> 'side step'."""
    return " ".join(str(part) for part in key if isinstance(part, str) and part)


def write_records(module, worker, entries, check_mode):
    """Write the deploy records side by side; [{service, side, changed}]. Fails (nothing else done) when one cannot be written."""
    def write(entry):
        def run():
            io = deploy_records.Records(worker, entry.get("kubeconfig") or "", entry.get("context") or "")
            try:
                return dict(io.write(entry, check_mode), service=entry["service"], side=entry["side"])
            finally:
                io.close()
        return run
    done, failures = threads.run_all(dict(((entry["side"], "record", index), write(entry)) for index, entry in enumerate(entries)))
    if failures:
        threads.fail_from(module, failures, _label)
    return [{"service": r["service"], "side": r["side"], "changed": r["changed"]} for r in done.values()]


def read_releases(module, worker, specs):
    """{index: release()} of every release of `specs` before any upgrade: per cluster and namespace, one `helm status`
    per release side by side and the charts from one `helm list` (HelmRunner.releases_now). Fails (nothing changed yet)
    when a read fails; a release whose name or timeout helm would refuse is left to bring_up to refuse."""
    groups = {}
    for index, spec in enumerate(specs):
        if not (helm_cli.release_name_problem(spec["name"]) or helm_cli.duration_problem(spec["timeout"])):
            groups.setdefault((spec.get("kubeconfig") or "", spec.get("context") or "", spec["namespace"]), []).append(index)
    keys = dict((group, (specs[indexes[0]]["side"], "helm read of namespace %s" % group[2], number))
                for number, (group, indexes) in enumerate(groups.items()))

    def read(group, indexes):
        def run():
            helm = helm_cli.HelmRunner(worker, kubeconfig=group[0] or None, context=group[1] or None)
            return helm.releases_now(group[2], sorted(set(specs[i]["name"] for i in indexes)), HELM_WORKERS)
        return run
    found, failures = threads.run_all(dict((keys[group], read(group, indexes)) for group, indexes in groups.items()))
    if failures:
        threads.fail_from(module, failures, _label)
    return dict((index, found[keys[group]][specs[index]["name"]]) for group, indexes in groups.items() for index in indexes)


def bring_up(worker, spec, default_timeout, check_mode, found, current, elb):
    """One release (`current`: its release() before the deploy, from read_releases): upgraded (or predicted), then its
    target group healthy (elb: the module's _aws/shared.SharedReads, the groups described once for every release).
    Keeps what it got in `found` (a failure raises after that)."""
    def run():
        params = dict(spec, chart_version=spec.get("chart_version") or None, wait=True, atomic=False, create_namespace=False, force=False)
        problem = helm_cli.release_name_problem(params["name"]) or helm_cli.duration_problem(params["timeout"])
        if problem:
            worker.fail_json(msg=problem)
        helm = helm_cli.HelmRunner(worker, kubeconfig=spec.get("kubeconfig") or None, context=spec.get("context") or None)
        found["upgrade"] = dict(previous_revision=current["revision"] if current else None, changed=False, release=current)
        try:
            if check_mode:
                found["upgrade"].update(helm_upgrade.predict(worker, helm, params, current))
            else:
                found["upgrade"].update(helm_upgrade.upgrade(worker, helm, params, current))
        except threads.WorkerFailed as failed:
            found["upgrade"].update(dict((k, v) for k, v in failed.kwargs.items() if k in ("changed", "release", "reasons")))
            raise
        if spec.get("target_group"):
            try:
                found["health"] = target_health.wait_ready(worker, [spec["target_group"]], spec.get("region") or worker.region, None, True,
                                                           spec.get("health_timeout") or default_timeout, True, shared=elb)
            except threads.WorkerFailed as failed:
                found["health"] = {"target_groups": failed.kwargs.get("target_groups") or []}
                raise
        return found
    return run


def http_check(spec, timeout):
    """(status, problem or None) of a GET of spec's url."""
    try:
        response = open_url(spec["url"], method="GET", validate_certs=spec["validate_certs"], timeout=timeout)
        status = response.getcode()
    except HTTPError as e:
        status = e.code
    except Exception as e:  # pylint: disable=broad-except
        return None, "Status code was -1 and not [%s]: Request failed: %s" % (spec["status"], e)
    if status != spec["status"]:
        return status, "Status code was %s and not [%s]: GET %s" % (status, spec["status"], spec["url"])
    return status, None


def smoke_test(worker, run, cleanup, check_mode, found):
    """One smoke run: the Job, then the HTTP check. Keeps what it got in `found`."""
    def go():
        if run.get("job"):
            job = run["job"]
            options = dict(name=job["name"], namespace=run["namespace"], image=job["image"], command=job["command"], args=None,
                           env=job.get("env") or {}, labels={}, backoff_limit=0, timeout=run["timeout_seconds"], delete_previous=True,
                           cleanup=cleanup, kubeconfig=run.get("kubeconfig") or None, context=run.get("context") or None)
            try:
                found["job"] = jobs.run(worker, options, check_mode)
            except threads.WorkerFailed as failed:
                found["job"] = {"job": failed.kwargs.get("job") or {"name": job["name"], "outcome": "failed"}}
                raise
        if run.get("http"):
            if check_mode:
                found["http"] = {"skipped": True}
            else:
                status, problem = http_check(run["http"], run["timeout_seconds"])
                found["http"] = {"status": status}
                if problem:
                    worker.fail_json(msg=problem)
        return found
    return go


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            releases=dict(type="list", elements="dict", default=[], options=RELEASE),
            smoke_runs=dict(type="list", elements="dict", default=[], options=SMOKE),
            smoke_cleanup=dict(type="bool", default=True),
            records=dict(type="list", elements="dict", default=[]),
            health_timeout=dict(type="int", default=300),
            binary_path=dict(type="path"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if helm_upgrade.YAML_IMPORT_ERROR and p["releases"]:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib("PyYAML"), exception=helm_upgrade.YAML_IMPORT_ERROR)
    if (p["records"] or p["smoke_runs"]) and not jobs.HAS_KUBERNETES:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=jobs.KUBERNETES_IMPORT_ERROR)
    started = time.monotonic()
    worker = shared.SharedClients(module)  # one boto3 client per region for every release
    module.tmpdir  # pylint: disable=pointless-statement  # created here once: the workers write values files there
    check_mode = module.check_mode
    records = write_records(module, worker, p["records"], check_mode) if p["records"] else []

    record_seconds = round(time.monotonic() - started, 3)
    ups = [{} for spec in p["releases"]]
    currents = read_releases(module, worker, p["releases"])
    elb = shared.SharedReads(worker)
    for spec in p["releases"]:
        if spec.get("target_group"):
            elb.expect_groups(spec.get("region") or worker.region, [spec["target_group"]])
    failures = threads.run_all(dict(((spec["side"], "helm", index),
                                     bring_up(worker, spec, p["health_timeout"], check_mode, ups[index], currents.get(index), elb))
                                    for index, spec in enumerate(p["releases"])))[1]
    up_seconds = round(time.monotonic() - started - record_seconds, 3)
    smokes = [{} for run in p["smoke_runs"]]
    if not failures:
        failures = threads.run_all(dict(((run["side"], "smoke", index), smoke_test(worker, run, p["smoke_cleanup"], check_mode, smokes[index]))
                                        for index, run in enumerate(p["smoke_runs"])))[1]

    upgrades = [dict(found["upgrade"], item=spec) for spec, found in zip(p["releases"], ups) if "upgrade" in found]
    health = [dict(found["health"], item=spec) for spec, found in zip(p["releases"], ups) if "health" in found]
    helm_results = deploy.helm_deploy_results(upgrades, health)
    smoke_results = smoke.results(p["smoke_runs"],
                                  {"results": [dict(found["job"], item=run) for run, found in zip(p["smoke_runs"], smokes) if "job" in found]},
                                  {"results": [dict(found["http"], item=run) for run, found in zip(p["smoke_runs"], smokes) if "http" in found]})
    changed = any(r["changed"] for r in records) or any(r.get("changed") for r in helm_results) or any(
        found.get("job", {}).get("changed") for found in smokes)
    detail = ", ".join("%s %s %s -> %s" % (r["side"], r["release"], r["revision_before"], r["revision_after"]) for r in helm_results)
    ran = [s for s in smoke_results if s["job"] or s["http"]]
    if ran:
        detail += "; smoke " + ", ".join("%s %s" % (s["side"], (s["job"] or {}).get("outcome") or (s["http"] or {}).get("status")) for s in ran)
    summary = steps.summary(detail=detail, measures={"releases": len(helm_results), "upgraded": len([r for r in helm_results if r["changed"]]),
                                                     "smoke_runs": len(ran), "seconds": round(time.monotonic() - started, 3),
                                                     "record_seconds": record_seconds, "upgrade_seconds": up_seconds})
    result = dict(changed=changed, helm_deploy_results=helm_results, smoke_test_results=smoke_results, records=records, step_summary=summary)
    if failures:
        specs = [(key, (p["releases"] if key[1] == "helm" else p["smoke_runs"])[key[2]]) for key in failures]
        result["failed_services"] = [name for name in dict.fromkeys(spec.get("service") for key, spec in specs) if name]
        module.fail_json(msg=_failure_text(failures), **result)
    module.exit_json(**result)


def _failure_text(failures):
    """One failure: its message; several: each named by side and step."""
    if len(failures) == 1:
        return threads._text(next(iter(failures.values())))  # pylint: disable=protected-access
    return "; ".join("%s: %s" % (_label(key), threads._text(failure)) for key, failure in failures.items())  # pylint: disable=protected-access


if __name__ == "__main__":
    main()
