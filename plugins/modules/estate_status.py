#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: estate_status
version_added: 0.8.0
short_description: The status of an AWS + EKS estate, both sides read at once, as one report
description:
  - Reads the EKS clusters and their node groups (as M(cloudops.runbooks.eks_cluster_info) does), the replication of
    the primary and replica RDS instances (M(cloudops.runbooks.rds_replication_info)), the traffic and target health
    of each side's ALB (M(cloudops.runbooks.alb_traffic_info)), the Route 53 failover pair
    (M(cloudops.runbooks.route53_failover_info)) and the Helm releases of each side
    (M(cloudops.runbooks.helm_release_info)), with the same code as those modules, in one module process and side by
    side (one worker thread per read, each with its own AWS clients; the releases of a side are read side by side too).
  - Returns RV(status_report), the report the C(cloudops.runbooks.status) role publishes (the same keys and values as
    the P(cloudops.runbooks.status_report#filter) filter gives for those modules' results) with its one timestamp,
    C(collected_at), at the top level; two reports of an unchanged estate differ only there
    (P(cloudops.runbooks.status_diff#filter) compares them).
  - A read that fails (a missing cluster, instance, load balancer or zone, a denied call, a helm error) fails the
    module after every read has ended, with one message naming each failed read (V(eks primary), V(rds replica),
    V(dns), V(helm dr)...) and what to fix.
  - Read-only; runs the same in check mode.
options:
  environment:
    description:
      - Environment name (sandbox, dev, staging, prod), copied into the report.
    type: str
    required: true
  eks:
    description:
      - EKS cluster of each side.
    type: dict
    required: true
    suboptions:
      primary:
        description: The primary side.
        type: dict
        required: true
        suboptions: &eks_side
          region: {description: AWS region of the cluster., type: str, required: true}
          cluster_name: {description: EKS cluster name., type: str, required: true}
          nodegroup_name: {description: Managed node group the runbooks scale (not read here; every node group is)., type: str}
          kubeconfig: {description: "Kubeconfig for Helm on this side; empty uses helm's default.", type: path}
      dr:
        description: The DR side.
        type: dict
        required: true
        suboptions: *eks_side
  rds:
    description:
      - RDS instances; V(primary) is the writer, V(replica) the DR read replica.
    type: dict
    required: true
    suboptions:
      primary:
        description: The primary instance.
        type: dict
        required: true
        suboptions: &rds_side
          region: {description: AWS region of the instance., type: str, required: true}
          instance_id: {description: DB instance identifier., type: str, required: true}
      replica:
        description: The DR replica.
        type: dict
        required: true
        suboptions: *rds_side
  alb:
    description:
      - Application Load Balancer of each side with its blue/green target groups.
    type: dict
    required: true
    suboptions:
      primary:
        description: The primary side.
        type: dict
        required: true
        suboptions: &alb_side
          region: {description: AWS region of the load balancer., type: str, required: true}
          load_balancer_name: {description: ALB name., type: str, required: true}
          listener_port: {description: Port of the listener that carries the traffic., type: int, required: true}
          target_groups: {description: "Colour to target group name, for example C({blue: shop-blue, green: shop-green}).", type: dict, required: true}
      dr:
        description: The DR side.
        type: dict
        required: true
        suboptions: *alb_side
  dns:
    description:
      - The Route 53 failover record.
    type: dict
    required: true
    suboptions:
      zone_name: {description: Hosted zone name., type: str, required: true}
      record_name: {description: Record with the PRIMARY/SECONDARY failover pair., type: str, required: true}
      private_zone:
        description: Pick the private (V(true)) or public (V(false)) zone when both share O(dns.zone_name).
        type: bool
  helm:
    description:
      - Helm releases of the application, read on each side's cluster (O(eks.primary.kubeconfig), O(eks.dr.kubeconfig)).
    type: dict
    required: true
    suboptions:
      release_namespace: {description: Namespace of the releases; every release in it is reported., type: str, required: true}
      releases: {description: "Colour to release name, for example C({blue: shop-blue, green: shop-green}).", type: dict, required: true}
  rpo_budget_seconds:
    description:
      - Replica lag, in seconds, that the recovery point objective allows; the replica's C(lag_verdict) is judged against it.
    type: int
    required: true
  lag_lookback_seconds:
    description:
      - How far back to look for the latest C(ReplicaLag) datapoint.
    type: int
    default: 600
  binary_path:
    description:
      - Path of the helm binary; by default C(helm) on E(PATH).
    type: path
requirements:
  - helm (the CLI) on the control node
notes:
  - The AWS options (O(region), O(endpoint_url), O(profile), ...) apply to every read; each read uses the region of
    its side, and O(region) is the region of the Route 53 client.
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: The estate's status, as the status role reads it
  cloudops.runbooks.estate_status:
    environment: "{{ cloudops_environment }}"
    eks: "{{ cloudops_eks }}"
    rds: "{{ cloudops_rds }}"
    alb: "{{ cloudops_alb }}"
    dns: "{{ cloudops_dns }}"
    helm: "{{ cloudops_helm }}"
    rpo_budget_seconds: "{{ cloudops_budgets.rpo_seconds }}"
  register: estate

- name: Print it as a table
  ansible.builtin.debug:
    msg: "{{ (estate.status_report | cloudops.runbooks.status_table).splitlines() }}"

- name: Refuse to go on when the replica is behind its RPO budget
  ansible.builtin.assert:
    that: estate.status_report.rds.replica.lag_verdict == 'ok'
"""

RETURN = r"""
status_report:
  description:
    - The estate's status; C(collected_at) (UTC) is its only timestamp.
    - C(eks.<side>), C(alb.<side>), C(helm.<side>) for V(primary) and V(dr); C(rds.<side>) for V(primary) and V(replica).
  returned: success
  type: dict
  contains:
    collected_at:
      description: When the reads ended.
      type: str
      returned: success
      sample: '2026-01-31T12:00:00Z'
    environment:
      description: O(environment).
      type: str
      returned: success
      sample: sandbox
    eks:
      description: Per side C({cluster_name, region, exists, status, version, endpoint, nodegroups[{name, status, min_size, desired_size, max_size}]}).
      type: dict
      returned: success
    rds:
      description: >-
        Per side C({instance_id, region, exists, role, role_evidence, status, engine, engine_version, endpoint, source, replicas, multi_az,
        backup_retention_period, replica_lag_seconds, rpo_budget_seconds, lag_verdict}).
      type: dict
      returned: success
    alb:
      description: >-
        Per side C({load_balancer_name, listener_port, region, dns_name, active_colour, idle_colour, weights, forward[{target_group_name,
        weight}], target_groups{name: {colour, healthy, healthy_count, unhealthy_count, other_count, total, targets}}}).
      type: dict
      returned: success
    dns:
      description: >-
        C({record_name, zone_id, serving, primary, secondary, primary_healthy, records[], weighted_records[], weighted_shares}); each record
        C({set_identifier, failover, weight, type, value, ttl, health_check_id, healthy, request_interval, failure_threshold}).
      type: dict
      returned: success
    helm:
      description: Per side C({namespace, releases[{name, namespace, revision, status, chart, app_version, description, colour}]}).
      type: dict
      returned: success
  sample:
    collected_at: '2026-01-31T12:00:00Z'
    environment: sandbox
    dns: {record_name: app.shop.example.com, serving: PRIMARY, primary_healthy: true}
step_summary:
  description: The standard step result of a runbook step (one line, flat numbers, the replication figures as gates).
  returned: success
  type: dict
  sample:
    detail: "sandbox: DNS serving PRIMARY; replica shop-db-dr lag 2.0 s (ok); ALB primary blue, dr blue; EKS 2/2 active; Helm 4/4 deployed"
    measures: {clusters: 2, clusters_active: 2, releases: 4, releases_deployed: 4, target_groups: 4, target_groups_healthy: 4,
               replica_lag_seconds: 2.0, rpo_budget_seconds: 60, read_seconds: 0.9}
    gates:
      - name: replication shop-db-dr
        passed: null
        detail: ok
        numbers: {role: replica, replica_lag_seconds: 2.0, rpo_budget_seconds: 60, lag_verdict: ok}
"""

import datetime
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli
from ansible_collections.cloudops.runbooks.plugins.module_utils import status
from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


# Releases of one side read side by side (helm processes mostly wait on the cluster's API).
HELM_WORKERS = 4


def _side(**options):
    return dict(type="dict", required=True, options=options)


def argument_spec():
    eks_side = dict(region=dict(type="str", required=True), cluster_name=dict(type="str", required=True),
                    nodegroup_name=dict(type="str"), kubeconfig=dict(type="path"))
    rds_side = dict(region=dict(type="str", required=True), instance_id=dict(type="str", required=True))
    alb_side = dict(region=dict(type="str", required=True), load_balancer_name=dict(type="str", required=True),
                    listener_port=dict(type="int", required=True), target_groups=dict(type="dict", required=True))
    return dict(
        environment=dict(type="str", required=True),
        eks=_side(primary=_side(**eks_side), dr=_side(**eks_side)),
        rds=_side(primary=_side(**rds_side), replica=_side(**rds_side)),
        alb=_side(primary=_side(**alb_side), dr=_side(**alb_side)),
        dns=_side(zone_name=dict(type="str", required=True), record_name=dict(type="str", required=True), private_zone=dict(type="bool")),
        helm=_side(release_namespace=dict(type="str", required=True), releases=dict(type="dict", required=True)),
        rpo_budget_seconds=dict(type="int", required=True),
        lag_lookback_seconds=dict(type="int", default=600),
        binary_path=dict(type="path"),
    )


def reads(worker, params):
    """{(part, side): a function of no argument making that read in a worker thread}, in the report's order."""
    def eks_read(side):
        spec = params["eks"][side]
        return lambda: eks.cluster_info(worker, client(worker, "eks", region=spec["region"]), spec["cluster_name"], spec["region"])

    def rds_read(side):
        spec = params["rds"][side]
        return lambda: rds.replication_info(worker, spec["region"], spec["instance_id"], params["rpo_budget_seconds"],
                                            params["lag_lookback_seconds"])

    def alb_read(side):
        spec = params["alb"][side]
        colours = dict((str(colour), str(group)) for colour, group in spec["target_groups"].items())
        return lambda: elbv2.traffic_info(worker, client(worker, "elbv2", region=spec["region"]), spec["region"],
                                          spec["load_balancer_name"], spec["listener_port"], colours)

    def dns_read():
        spec = params["dns"]
        return route53.failover_info(worker, client(worker, "route53"), spec["zone_name"], spec["record_name"], spec["private_zone"])

    def helm_read(side):
        kubeconfig = params["eks"][side]["kubeconfig"] or None  # empty: helm's default
        namespace = params["helm"]["release_namespace"]
        return lambda: {"releases": helm_cli.HelmRunner(worker, kubeconfig=kubeconfig).releases(namespace, workers=HELM_WORKERS)}

    tasks = {}
    for side in status.SIDES:
        tasks[("eks", side)] = eks_read(side)
    for side in status.RDS_SIDES:
        tasks[("rds", side)] = rds_read(side)
    for side in status.SIDES:
        tasks[("alb", side)] = alb_read(side)
    tasks[("dns", None)] = dns_read
    for side in status.SIDES:
        tasks[("helm", side)] = helm_read(side)
    return tasks


def label(key):
    return " ".join(part for part in key if part)


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    started = time.monotonic()
    results, failures = threads.run_all(reads(threads.WorkerModule(module), params))
    if failures:
        threads.fail_from(module, failures, label)
    seconds = round(time.monotonic() - started, 3)

    found = {"dns": results[("dns", None)]}
    for (part, side), result in results.items():
        if side is not None:
            found.setdefault(part, {})[side] = result
    config = {"environment": params["environment"], "alb": params["alb"], "dns": params["dns"], "helm": params["helm"]}
    report = status.with_timestamp(status.build_report(found, config), datetime.datetime.now(datetime.timezone.utc))
    module.exit_json(changed=False, status_report=report, step_summary=status.step_summary(report, seconds))


if __name__ == "__main__":
    main()
