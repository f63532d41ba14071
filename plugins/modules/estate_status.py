#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: estate_status
version_added: 1.0.0
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
  - A one-region estate (C(docs/one-region.md)) gives no O(eks.dr), O(alb.dr) or O(rds.replica); only the primary side
    is read and reported, and a simple Route 53 record (no failover pair) is reported as C(dns.simple_records). Half a
    DR side (some of the three given) is refused before any read, naming them; so are O(readiness), O(capacity),
    O(nodegroup_settled) and O(replica_settled) without a DR side.
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
          nodegroups:
            description:
              - The cluster's node groups as the run already found them (a drill's status after passes its status before's,
                see P(cloudops.runbooks.status_known_identifiers#filter)) - each is described again by name, and the cluster's
                node groups are not listed. When one of them is gone, they are listed. A node group added since is not seen.
            type: list
            elements: str
            version_added: 1.1.0
          kubeconfig: {description: "Kubeconfig for Helm on this side; empty uses helm's default.", type: path}
          context: {description: "Context of the kubeconfig for Helm on this side; empty uses its current context.", type: str}
      dr:
        description: The DR side (omit it for a one-region estate).
        type: dict
        suboptions: *eks_side
  rds:
    description:
      - The database, as the inventory's C(cloudops_rds) declares it. RDS instances - V(primary) is the writer,
        V(replica) the DR read replica. Or an Aurora global database (O(rds.engine=aurora-postgresql)) - the global
        cluster O(rds.global_cluster_id), its V(primary) cluster (the writer when the estate is calm) and its
        V(secondary) cluster in DR; each cluster's role, synchronization status and (for the secondary) its
        C(AuroraGlobalDBRPOLag) and C(AuroraGlobalDBReplicationLag) are reported.
    type: dict
    required: true
    suboptions:
      engine:
        version_added: 1.1.0
        description: V(aurora-postgresql) for an Aurora global database; absent (or V(postgres)) for RDS instances.
        type: str
      global_cluster_id:
        version_added: 1.1.0
        description: The Aurora global database's identifier (Aurora only).
        type: str
      primary:
        description: The primary instance (O(rds.primary.instance_id)), or cluster (O(rds.primary.cluster_id)) on Aurora.
        type: dict
        required: true
        suboptions: &rds_side
          region: {description: AWS region of the instance or cluster., type: str, required: true}
          instance_id: {description: DB instance identifier (RDS instances; required there)., type: str}
          cluster_id: {version_added: 1.1.0, description: DB cluster identifier (Aurora; required there)., type: str}
          instance_ids:
            version_added: 1.1.0
            description: "The cluster's DB instances (Aurora; informative: the cluster's members are read)."
            type: list
            elements: str
      replica:
        description: The DR replica (omit it for a one-region estate).
        type: dict
        suboptions: *rds_side
      secondary:
        version_added: 1.1.0
        description: The DR cluster of the Aurora global database (Aurora only).
        type: dict
        suboptions: *rds_side
      dr_restore:
        description:
          - Restore-based DR instead of O(rds.replica) (C(cloudops_rds.dr_restore) - nothing warm in DR - the status
            reads the primary only). With O(readiness), the newest restorable point of the primary in
            O(rds.dr_restore.region) and its age against O(rpo_budget_seconds) is the C(dr_restore_point) finding (as
            M(cloudops.runbooks.dr_readiness_info) judges it) and C(observed.restore_point).
        type: dict
        version_added: 1.1.0
        suboptions:
          region: {description: The DR region the database is restored in., type: str, required: true}
          instance_id: {description: The instance a failover restores in DR., type: str, required: true}
          source: {description: Which restore points count., type: str, default: newest, choices: [newest, snapshot_copy, automated_backups]}
          instance_class: {description: Instance class of the restored instance (read by the failover; not used here)., type: str}
          subnet_group: {description: DB subnet group of the restored instance (not used here)., type: str}
          vpc_security_group_ids: {description: Its VPC security groups (not used here)., type: list, elements: str}
          parameter_group: {description: Its DB parameter group (not used here)., type: str}
          kms_key_id: {description: KMS key of the DR region (not used here)., type: str}
          multi_az: {description: Whether it is Multi-AZ (not used here)., type: bool}
          wait_timeout: {description: Seconds a failover waits for the restore (not used here)., type: int}
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
          load_balancer:
            description:
              - The load balancer as the run already described it (a drill's status after passes its status before's, see
                P(cloudops.runbooks.status_known_identifiers#filter)); an ALB keeps its ARN and DNS name for life, so it is not
                described again. One re-created under the name since (another ARN) is looked up by name.
            type: dict
            version_added: 1.1.0
            suboptions:
              arn: {description: Its ARN., type: str, required: true}
              dns_name: {description: Its DNS name., type: str}
              target_groups: {description: "Target group name to ARN, for example C({shop-green: arn:aws:...}).", type: dict}
      dr:
        description: The DR side (omit it for a one-region estate).
        type: dict
        suboptions: *alb_side
  dns:
    description:
      - The application's Route 53 record (the failover pair's, or a simple record on a one-region estate).
    type: dict
    required: true
    suboptions:
      zone_name: {description: Hosted zone name., type: str, required: true}
      record_name: {description: Record with the PRIMARY/SECONDARY failover pair., type: str, required: true}
      private_zone:
        description: Pick the private (V(true)) or public (V(false)) zone when both share O(dns.zone_name).
        type: bool
      zone_id:
        description:
          - The hosted zone's ID when the run already knows it (a drill's status after passes the one its status before
            found); the zone is then not looked up by O(dns.zone_name).
        type: str
        version_added: 1.1.0
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
  cache:
    version_added: 1.1.0
    description:
      - The estate's ElastiCache Global Datastore (C(cloudops_cache)); adds C(cache) to RV(status_report) - the
        datastore's status and which member group is the primary (C(primary) as C(<region>/<group>), C(members) with
        each one's role), read in the DR region. A drill's status after, compared with before, proves the primary is back.
    type: dict
    suboptions:
      global_datastore_id: {description: The Global Datastore's full id., type: str, required: true}
      primary:
        description: The primary replication group.
        type: dict
        required: true
        suboptions:
          region: {description: Its region., type: str, required: true}
          replication_group_id: {description: Its id., type: str, required: true}
      secondary:
        description: The DR replication group.
        type: dict
        required: true
        suboptions:
          region: {description: Its region., type: str, required: true}
          replication_group_id: {description: Its id., type: str, required: true}
  readiness:
    description:
      - Also judge whether the estate can fail over to DR (the checks of M(cloudops.runbooks.dr_readiness_info), from
        the same reads; nothing is read twice) and return RV(readiness). A missing DR replica or DR cluster is then a
        failed check, not a failed read.
      - The replica's lag is the latest datapoint within O(lag_lookback_seconds).
    type: dict
    version_added: 1.0.0
    suboptions:
      rto_budget_seconds:
        description: Recovery time objective the DNS failover time is compared with.
        type: int
        required: true
      cache:
        version_added: 1.1.0
        description:
          - The estate's ElastiCache Global Datastore (C(cloudops_cache)); adds the C(cache_dr_member) and C(cache_lag)
            findings of M(cloudops.runbooks.dr_readiness_info) (against O(rpo_budget_seconds)), read with the rest.
        type: dict
        suboptions:
          global_datastore_id: {description: The Global Datastore's full id., type: str, required: true}
          primary:
            description: The primary replication group.
            type: dict
            required: true
            suboptions:
              region: {description: Its region., type: str, required: true}
              replication_group_id: {description: Its id., type: str, required: true}
          secondary:
            description: The DR replication group.
            type: dict
            required: true
            suboptions:
              region: {description: Its region., type: str, required: true}
              replication_group_id: {description: Its id., type: str, required: true}
      buckets:
        version_added: 1.1.0
        description:
          - The S3 buckets replicated to DR (C(cloudops_buckets)); adds each bucket's C(bucket_versioning),
            C(bucket_replication_rule) and C(bucket_replication_probe) findings of
            M(cloudops.runbooks.dr_readiness_info) (the probe object written, waited for and deleted as there),
            read with the rest. A bucket's regions default to O(rds.primary.region) and O(rds.replica.region).
        type: list
        elements: dict
        suboptions:
          name: {description: The source bucket., type: str, required: true}
          dr_name: {description: Its copy in DR., type: str, required: true}
          prefix: {description: Only keys under it need to be replicated., type: str, default: ""}
          region: {description: The source bucket's region., type: str}
          dr_region: {description: The DR bucket's region., type: str}
  capacity:
    description:
      - Also read what puts the DR capacity back after a failover (what M(cloudops.runbooks.eks_capacity) returns as
        C(restore) in check mode) and return it as RV(capacity_restore).
      - A workload name may hold C({colour}), the DR load balancer's active colour (read here); when the DR side has no
        single active colour, RV(capacity_restore) is null.
    type: dict
    version_added: 1.0.0
    suboptions:
      nodegroup:
        description: Return the sizes of O(eks.dr.nodegroup_name).
        type: bool
        default: false
      workloads:
        description: The DR workloads whose replicas to return (a missing one fails the module).
        type: list
        elements: dict
        default: []
        suboptions:
          kind: {description: Workload kind., type: str, default: Deployment, choices: [Deployment, StatefulSet]}
          name: {description: "Its name (C({colour}) is replaced).", type: str, required: true}
          namespace: {description: Its namespace., type: str, required: true}
      kubeconfig: {description: Kubeconfig of the DR cluster (empty is the default)., type: path}
      context: {description: Its context., type: str}
  step:
    description:
      - Also return this read as a recorded runbook step (RV(cloudops_steps)), for a playbook that adds it to the run's
        steps where it belongs (the drill - after its preflight step, by M(cloudops.runbooks.failover_plan) O(cloudops.runbooks.failover_plan#module:steps), or
        with C(cloudops.runbooks.runbook_step) O(cloudops.runbooks.runbook_step#module:record)).
    type: dict
    version_added: 1.0.0
    suboptions:
      step: {description: "The step's id, such as C(status_before).", type: str, required: true}
      phase: {description: Its phase., type: str}
      title: {description: Its title., type: str}
  nodegroup_settled:
    description:
      - Before reading it, wait until O(eks.dr.nodegroup_name) is C(ACTIVE) with these sizes (a scale-down asked for
        without a wait, such as a drill's failback); fails when it is not within O(nodegroup_settled.timeout) seconds.
    type: dict
    version_added: 1.0.0
    suboptions:
      min_size: {description: Minimum size., type: int, required: true}
      desired_size: {description: Desired size., type: int, required: true}
      max_size: {description: Maximum size., type: int, required: true}
      timeout: {description: Seconds to wait., type: int, default: 1800}
  production_record:
    description:
      - Also read the failover's progress record (a ConfigMap on the DR cluster, through O(eks.dr.kubeconfig)) and
        report which side serves production (RV(status_report.production)) - DR after a real failover until a
        failback completes. Ignored on a one-region estate.
    type: dict
    version_added: 1.0.0
    suboptions:
      namespace: {description: Namespace of the record (C(cloudops_failover.record.namespace))., type: str, required: true}
      name: {description: The record's ConfigMap., type: str, default: cloudops-failover}
      context: {description: Kubeconfig context of the DR cluster., type: str}
  replica_settled:
    description:
      - Before reading it, wait until O(rds.replica.instance_id) is C(available) and replicating from
        O(rds.primary.instance_id) (a replica created without a wait, such as a drill's failback re-creates while it
        puts the rest back); fails at once when the replica failed or is gone, and when it is not replicating within
        O(replica_settled.timeout) seconds. The other reads run meanwhile.
    type: dict
    version_added: 1.0.0
    suboptions:
      timeout: {description: Seconds to wait., type: int, default: 3600}
requirements:
  - helm (the CLI) on the control node
notes:
  - The AWS options (O(region), O(endpoint_url), O(profile), ...) apply to every read; each read uses the region of
    its side, and O(region) is the region of the Route 53 client.
author:
  - cloudops platform team (@cloudops)
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.attributes.info_module
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
    - C(eks.<side>), C(alb.<side>), C(helm.<side>) for V(primary) and V(dr); C(rds.<side>) for V(primary) and V(replica)
      (V(primary) only on a one-region estate).
    - C(cache) with O(cache) - C(global_datastore_id), C(status), C(primary) (C(<region>/<group>)), C(members).
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
        Per side C({load_balancer_name, listener_port, region, load_balancer_arn, dns_name, target_group_arns, active_colour, idle_colour,
        weights, forward[{target_group_name, weight}], target_groups{name: {colour, healthy, healthy_count, unhealthy_count, other_count, total, targets}}}).
      type: dict
      returned: success
    dns:
      description: >-
        C({record_name, zone_id, serving, primary, secondary, primary_healthy, records[], weighted_records[], weighted_shares}); each record
        C({set_identifier, failover, weight, type, value, ttl, health_check_id, healthy, request_interval, failure_threshold}).
        With a simple record and no failover pair (a one-region estate) also C(simple_records[]), and C(serving) is V(PRIMARY).
      type: dict
      returned: success
    helm:
      description: Per side C({namespace, releases[{name, namespace, revision, status, chart, app_version, description, colour}]}).
      type: dict
      returned: success
    production:
      description:
        - Which side serves production, from the failover record - C(side) (V(primary), or V(dr) after a real failover
          until a failback completes), C(failed_over), C(run_id), C(since), C(failback) (the phase of a failback under
          way) and C(note).
      type: dict
      returned: with O(production_record) on a two-region estate
      sample: {side: dr, failed_over: true, run_id: failover-prod-20260131T120000, since: '2026-01-31T12:04:10Z', failback: null,
               note: "production runs on DR since 2026-01-31T12:04:10Z (failover failover-prod-20260131T120000): ..."}
  sample:
    collected_at: '2026-01-31T12:00:00Z'
    environment: sandbox
    dns: {record_name: app.shop.example.com, serving: PRIMARY, primary_healthy: true}
readiness:
  description:
    - With O(readiness), what M(cloudops.runbooks.dr_readiness_info) returns for the DR replica, cluster, node group and
      DNS pair - C(findings), C(passed), C(failed_checks), C(observed) (C(replica_spec), C(dns_records), C(dr_traffic) -
      the DR load balancer's traffic) and C(step_summary).
  returned: with O(readiness)
  type: dict
  sample: {passed: true, failed_checks: [], findings: [{check: replica_lag, passed: true, detail: "lag 2 s", numbers: {}}]}
capacity_restore:
  description:
    - With O(capacity), C(nodegroup) (the DR node group's sizes, or null) and C(workloads) (each with its replicas);
      null when the DR side has no single active colour for a name with C({colour}).
  returned: with O(capacity)
  type: dict
  sample: {nodegroup: {min_size: 1, desired_size: 1, max_size: 6}, workloads: [{kind: Deployment, name: shop-blue, namespace: shop, replicas: 0}]}
replica_settled:
  description:
    - With O(replica_settled), when the replica was seen replicating (C(replicating_at), UTC ISO 8601) and how long this
      read waited for it (C(waited_seconds)).
  returned: with O(replica_settled)
  type: dict
  sample: {replicating_at: '2026-01-31T12:00:45.100000+00:00', waited_seconds: 41.2}
cloudops_steps:
  description: With O(step), the read as a recorded step (the shape C(cloudops.runbooks.runbook_step) records), in a list.
  returned: with O(step)
  type: list
  elements: dict
  sample: [{step: status_before, phase: failover, title: status before, module: cloudops.runbooks.estate_status, outcome: ok}]
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
import threading
import time

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import capacity
from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_state
from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli
from ansible_collections.cloudops.runbooks.plugins.module_utils import readiness
from ansible_collections.cloudops.runbooks.plugins.module_utils import replication
from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr
from ansible_collections.cloudops.runbooks.plugins.module_utils import scaling
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores
from ansible_collections.cloudops.runbooks.plugins.module_utils import status
from ansible_collections.cloudops.runbooks.plugins.module_utils import steps
from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils import timing
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import aurora as aurora_io
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import eks
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elasticache
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import route53
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import s3
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import shared as aws_shared
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import configmaps
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s.workloads import Workloads


# The key of an Aurora global database's one read (the global cluster and its clusters) among the reads.
AURORA = "aurora"
# Releases of one side read side by side (helm processes mostly wait on the cluster's API).
HELM_WORKERS = 4
COLOUR = "{colour}"


def _side(**options):
    return dict(type="dict", required=True, options=options)


def _dr_side(**options):
    """The DR side: absent for a one-region estate (docs/one-region.md)."""
    return dict(type="dict", options=options)


def argument_spec():
    eks_side = dict(region=dict(type="str", required=True), cluster_name=dict(type="str", required=True),
                    nodegroup_name=dict(type="str"), nodegroups=dict(type="list", elements="str"), kubeconfig=dict(type="path"), context=dict(type="str"))
    rds_side = dict(region=dict(type="str", required=True), instance_id=dict(type="str"), cluster_id=dict(type="str"),
                    instance_ids=dict(type="list", elements="str"))
    alb_side = dict(region=dict(type="str", required=True), load_balancer_name=dict(type="str", required=True),
                    listener_port=dict(type="int", required=True), target_groups=dict(type="dict", required=True),
                    load_balancer=dict(type="dict", options=dict(arn=dict(type="str", required=True), dns_name=dict(type="str"),
                                                                 target_groups=dict(type="dict"))))
    return dict(
        environment=dict(type="str", required=True),
        eks=_side(primary=_side(**eks_side), dr=_dr_side(**eks_side)),
        rds=_side(engine=dict(type="str"), global_cluster_id=dict(type="str"), primary=_side(**rds_side), replica=_dr_side(**rds_side),
                  secondary=_dr_side(**rds_side), dr_restore=_dr_side(
            source=dict(type="str", default=restore_dr.NEWEST, choices=list(restore_dr.SOURCES)), instance_class=dict(type="str"),
            subnet_group=dict(type="str"), vpc_security_group_ids=dict(type="list", elements="str"), parameter_group=dict(type="str"),
            kms_key_id=dict(type="str"), multi_az=dict(type="bool"), wait_timeout=dict(type="int"),
            region=dict(type="str", required=True), instance_id=dict(type="str", required=True))),
        alb=_side(primary=_side(**alb_side), dr=_dr_side(**alb_side)),
        dns=_side(zone_name=dict(type="str", required=True), record_name=dict(type="str", required=True), private_zone=dict(type="bool"),
                  zone_id=dict(type="str")),
        helm=_side(release_namespace=dict(type="str", required=True), releases=dict(type="dict", required=True)),
        rpo_budget_seconds=dict(type="int", required=True),
        lag_lookback_seconds=dict(type="int", default=600),
        binary_path=dict(type="path"),
        cache=state_stores.cache_argument_spec(),
        readiness=dict(type="dict", options=dict(rto_budget_seconds=dict(type="int", required=True),
                                                 cache=state_stores.cache_argument_spec(), buckets=state_stores.buckets_argument_spec())),
        capacity=dict(type="dict", options=dict(
            nodegroup=dict(type="bool", default=False),
            workloads=dict(type="list", elements="dict", default=[], options=dict(
                kind=dict(type="str", default="Deployment", choices=list(scaling.WORKLOAD_KINDS)),
                name=dict(type="str", required=True),
                namespace=dict(type="str", required=True))),
            kubeconfig=dict(type="path"),
            context=dict(type="str"))),
        step=dict(type="dict", options=dict(step=dict(type="str", required=True), phase=dict(type="str"), title=dict(type="str"))),
        nodegroup_settled=dict(type="dict", options=dict(
            min_size=dict(type="int", required=True),
            desired_size=dict(type="int", required=True),
            max_size=dict(type="int", required=True),
            timeout=dict(type="int", default=1800))),
        replica_settled=dict(type="dict", options=dict(timeout=dict(type="int", default=3600))),
        production_record=dict(type="dict", options=dict(namespace=dict(type="str", required=True),
                                                         name=dict(type="str", default=failover_state.FAILOVER_RECORD),
                                                         context=dict(type="str"))),
    )


class Describes(object):
    """RDS instances described once per process, whoever asks first (the primary's read and the replica's source
    lookup ask for the same instance): (region, identifier or ARN) -> the DBInstances entry or None."""

    def __init__(self, worker):
        self.worker, self.lock, self.found = worker, threading.Lock(), {}

    def _entry(self, region, identifier):
        key = (rds.region_of_arn(identifier) or region, str(identifier).rsplit(":", maxsplit=1)[-1])
        with self.lock:
            return key, self.found.setdefault(key, {"lock": threading.Lock()})

    def __call__(self, region, identifier):
        key, entry = self._entry(region, identifier)
        with entry["lock"]:
            if "instance" not in entry:
                entry["instance"] = rds.describe_instance(self.worker, client(self.worker, "rds", region=key[0]), identifier)
            return entry["instance"]

    def seen(self, region, identifier, instance):
        """Keep an instance just described elsewhere (a wait's last answer) as this process's read of it."""
        dummy, entry = self._entry(region, identifier)
        with entry["lock"]:
            entry["instance"] = instance


def settle(worker, conn, cluster, name, sizes, timeout, waited=0.0):
    """Wait until the node group is ACTIVE with the sizes (the failback's scale-down, asked for without a wait);
    fails as eks_nodegroup_scale's wait does. waited: seconds of the timeout spent already (waiting for the replica).
    Returns {name: the node group as last described}."""
    target = dict((key, sizes[key]) for key in ("min_size", "desired_size", "max_size"))
    outcome = waiting.poll_until(lambda: eks.describe_nodegroup(worker, conn, cluster, name),
                                 lambda found: scaling.nodegroup_outcome(found, target) != scaling.WAITING, max(0, timeout - waited),
                                 delays=waiting.operation_pauses())
    found = outcome["result"]
    if scaling.nodegroup_outcome(found, target) != scaling.DONE:
        issues = scaling.health_issues(found)
        worker.fail_json(msg="node group %s of %s is %s with scaling %s after %s s, not ACTIVE with %s%s" % (
            name, cluster, (found or {}).get("status", "gone"), scaling.scaling_from_boto((found or {}).get("scalingConfig")),
            round(waited + outcome["elapsed"], 3), target, ": health issues %s" % "; ".join(issues) if issues else ": raise the timeout or run again"))
    return {name: found}


def replica_settle(worker, params, describe, shared):
    """Wait until the DR replica is available and replicating from the primary (a re-creation asked for without a
    wait, such as a drill's failback); keeps when (shared["replica_settled"]) and fails as rds_read_replica's wait does."""
    replica, primary = params["rds"]["replica"], params["rds"]["primary"]
    wanted = replication.instance_key(primary["instance_id"], primary["region"])
    done = rds.wait_replicating(worker, client(worker, "rds", region=replica["region"]), replica["instance_id"], wanted,
                                replica["region"], params["replica_settled"]["timeout"])
    if done["failure"]:
        worker.fail_json(msg=done["failure"])
    describe.seen(replica["region"], replica["instance_id"], done["instance"])
    shared["replica_settled"] = {"replicating_at": timing.utc_now().isoformat(), "waited_seconds": done["elapsed"]}


def reads(worker, params, shared=None):
    """{(part, side): a function of no argument making that read in a worker thread}, in the report's order. Each
    returns the part's info; with O(readiness) or O(capacity) the raw describes are kept in shared."""
    shared = {} if shared is None else shared
    judged = bool(params.get("readiness"))  # a missing replica or DR cluster is a finding, not a failed read
    describe = Describes(worker)
    traffic_read = threading.Event()
    # Two waits of operations running at once (a drill's failback: the replica re-created, the node group scaled
    # down) take as long one after the other as side by side, since each is seen within the poll gap once the other
    # is done: the node group's is probed after the replica's, not every poll gap meanwhile as well.
    replica_waited, began = threading.Event(), time.monotonic()
    if not (params.get("replica_settled") and db_shape.shape(params["rds"]) != db_shape.AURORA_GLOBAL
            and "replica" in status.estate_sides(params["eks"], params["rds"], params["alb"])["rds_sides"]):
        replica_waited.set()  # no replica wait (rds_read("replica") below is what sets it)

    def eks_read(side):
        spec = params["eks"][side]

        def read():
            conn = client(worker, "eks", region=spec["region"])
            settled, known = params.get("nodegroup_settled"), None
            if side == "dr" and settled and spec.get("nodegroup_name"):
                replica_waited.wait()
                known = settle(worker, conn, spec["cluster_name"], spec["nodegroup_name"], settled, settled["timeout"],
                               waited=time.monotonic() - began)
            found = eks.cluster_read(worker, conn, spec["cluster_name"], spec["region"], fail_when_missing=not (judged and side == "dr"),
                                     known=known, nodegroup_names=spec.get("nodegroups"))
            shared[("eks", side)] = found
            return found["info"]
        return read

    def rds_read(side):
        spec = params["rds"][side]

        def read():
            if side == "replica" and params.get("replica_settled"):
                # The lag is read the moment the replica replicates: its client is made now, while the wait has time.
                client(worker, "cloudwatch", region=spec["region"])
                try:
                    replica_settle(worker, params, describe, shared)
                finally:
                    replica_waited.set()
            found = rds.replication_read(worker, spec["region"], spec["instance_id"], params["rpo_budget_seconds"],
                                         params["lag_lookback_seconds"], fail_when_missing=not (judged and side == "replica"),
                                         describe=describe)
            shared[("rds", side)] = found
            return found["info"]
        return read

    def alb_read(side):
        spec = params["alb"][side]
        colours = dict((str(colour), str(group)) for colour, group in spec["target_groups"].items())

        def read():
            try:
                found = elbv2.traffic_info(worker, client(worker, "elbv2", region=spec["region"]), spec["region"],
                                           spec["load_balancer_name"], spec["listener_port"], colours, known=spec.get("load_balancer"))
                shared[("alb", side)] = found
                return found
            finally:
                if side == "dr":
                    traffic_read.set()
        return read

    def dns_read():
        spec = params["dns"]
        found = route53.failover_info(worker, client(worker, "route53"), spec["zone_name"], spec["record_name"], spec["private_zone"],
                                      zone_id=spec.get("zone_id"))
        shared[("dns", None)] = found
        return found

    def restore_read():
        """Restore-based DR: the newest restorable point in DR (readiness only; not part of the status report)."""
        spec, source_id = params["rds"]["dr_restore"], params["rds"]["primary"]["instance_id"]
        read = rds_snapshots.dr_restore_points(worker, client(worker, "rds", region=spec["region"]), source_id)
        found = restore_dr.restore_point(read["snapshots"], read["backups"], source_id, None, spec["region"], spec["source"],
                                         datetime.datetime.now(datetime.timezone.utc))
        target = rds.describe_instance(worker, client(worker, "rds", region=spec["region"]), spec["instance_id"])
        shared[("dr_restore", None)] = {
            "findings": [restore_dr.readiness_finding(found, params["rpo_budget_seconds"], source_id, spec["region"]),
                         restore_dr.target_finding(target, spec["instance_id"], spec["region"])],
            "restore_point": restore_dr.point_result(found)}
        return None

    def helm_read(side):
        kubeconfig = params["eks"][side]["kubeconfig"] or None  # empty: helm's default
        context = params["eks"][side].get("context") or None  # empty: the kubeconfig's current context
        namespace = params["helm"]["release_namespace"]
        return lambda: {"releases": helm_cli.HelmRunner(worker, kubeconfig=kubeconfig, context=context).releases(namespace, workers=HELM_WORKERS)}

    def production_read():
        spec = params["production_record"]
        return configmaps.failover_production(worker, params["eks"]["dr"].get("kubeconfig"), spec.get("context"), spec["namespace"],
                                              spec["name"])

    def capacity_read():
        spec = params["capacity"]
        wanted = [dict(w) for w in spec["workloads"]]
        if any(COLOUR in w["name"] for w in wanted):  # names of the DR side's active colour
            traffic_read.wait()
            traffic = shared.get(("alb", "dr")) or {}
            colour = traffic.get("active_colour")
            if colour not in params["alb"]["dr"]["target_groups"]:
                return None  # no single active colour: the failover plan refuses, naming it
            for w in wanted:
                w["name"] = w["name"].replace(COLOUR, colour)
        objects, autoscalers = [], []
        if wanted:
            io = Workloads(worker, k8s_retry.module_api_client(worker, spec["kubeconfig"] or None, spec["context"] or None))
            objects = [io.read(w) for w in wanted]
            missing = ["%s %s/%s" % (w["kind"], w["namespace"], w["name"]) for w, obj in zip(wanted, objects) if obj is None]
            if missing:
                worker.fail_json(msg="not found: %s (check the names, namespaces and kubeconfig/context)" % ", ".join(missing))
            autoscalers = [io.autoscaler(w) for w in wanted]
        return {"workloads": wanted, "objects": objects, "autoscalers": autoscalers}

    def aurora_read():
        found = aurora_io.global_read(worker, params["rds"], params["rpo_budget_seconds"], params["lag_lookback_seconds"])
        shared[("rds", AURORA)] = found
        return found["info"]

    declared = status.estate_sides(params["eks"], params["rds"], params["alb"])
    if "dr" not in declared["sides"]:
        traffic_read.set()  # no DR load balancer to wait for
    tasks = {}
    for side in declared["sides"]:
        tasks[("eks", side)] = eks_read(side)
    if db_shape.shape(params["rds"]) == db_shape.AURORA_GLOBAL:
        tasks[("rds", AURORA)] = aurora_read  # the global cluster and both clusters: one report part
    else:
        for side in declared["rds_sides"]:
            tasks[("rds", side)] = rds_read(side)
    for side in declared["sides"]:
        tasks[("alb", side)] = alb_read(side)
    tasks[("dns", None)] = dns_read
    if params.get("production_record") and "dr" in declared["sides"]:
        tasks[("production", None)] = production_read
    for side in declared["sides"]:
        tasks[("helm", side)] = helm_read(side)
    if params.get("capacity"):
        tasks[("capacity", "dr")] = capacity_read
    if judged and params["rds"].get("dr_restore"):
        tasks[("dr_restore", None)] = restore_read
    tasks.update(state_store_reads(worker, params))
    if params.get("cache"):
        tasks[("cache", None)] = lambda: elasticache.cache_status_read(worker, params["cache"])
    return tasks


def state_store_reads(worker, params):
    """With O(readiness.cache) / O(readiness.buckets): {("readiness", cache | bucket name): its findings}."""
    spec = params.get("readiness") or {}
    tasks, budget = {}, params["rpo_budget_seconds"]
    if spec.get("cache"):
        tasks[("readiness", "cache")] = lambda: elasticache.cache_read(worker, spec["cache"], budget, params["lag_lookback_seconds"])
    regions = (params["rds"]["primary"]["region"], (params["rds"].get("replica") or {}).get("region"))
    for bucket in spec.get("buckets") or []:
        tasks[("readiness", bucket["name"])] = lambda bucket=bucket: s3.bucket_read(worker, bucket, regions[0], regions[1], budget)
    return tasks


def label(key):
    return " ".join(part for part in key if part)


def dr_capacity(params, results, shared):
    """eks_capacity's `restore` of the DR side, from the reads (None when the workloads' colour is not single)."""
    read = results.get(("capacity", "dr"))
    if read is None:
        return None
    nodegroup = None
    name = params["eks"]["dr"].get("nodegroup_name")
    if params["capacity"]["nodegroup"] and name:
        groups = [g for g in (shared.get(("eks", "dr")) or {}).get("nodegroups") or [] if g.get("nodegroupName") == name]
        nodegroup = groups[0] if groups else None
    return capacity.restore_read(nodegroup, read["workloads"], read["objects"], read["autoscalers"])


def rds_problems(rds_spec):
    """What O(rds) lacks for the shape it declares (the identifiers each shape needs), [] when nothing."""
    sides = ("primary", "secondary") if db_shape.shape(rds_spec) == db_shape.AURORA_GLOBAL else ("primary", "replica")
    key = "cluster_id" if sides[1] == "secondary" else "instance_id"
    missing = ["rds.%s.%s" % (side, key) for side in sides if rds_spec.get(side) and not rds_spec[side].get(key)]
    if sides[1] == "secondary" and not rds_spec.get("global_cluster_id"):
        missing.insert(0, "rds.global_cluster_id")
    if not missing:
        return []
    verb = "is" if len(missing) == 1 else "are"
    return ["%s %s required for %s (cloudops_rds)" % (", ".join(missing), verb, db_shape.DESCRIPTIONS[db_shape.shape(rds_spec)])]


def restore_readiness(params, shared):
    """Restore-based DR: the restore point findings of restore_read plus the primary's own automated backups."""
    found = shared.get(("dr_restore", None))
    if found is None:
        return None
    primary = (shared.get(("rds", "primary")) or {}).get("instance")
    findings = list(found["findings"]) + [readiness.source_backups_finding(params["rds"]["primary"]["instance_id"], primary)]
    return dict(found, findings=findings)


def main():
    module = AnsibleAWSModule(argument_spec=argument_spec(), supports_check_mode=True)
    params = module.params
    problems = rds_problems(params["rds"]) or status.half_dr_problems(None, params["eks"], params["rds"], params["alb"])
    needs_dr = [name for name in ("readiness", "capacity", "nodegroup_settled", "replica_settled") if params[name]]
    if needs_dr and not problems:
        gaps = status.dr_gaps(eks=params["eks"], rds=params["rds"], alb=params["alb"], check_failover=False)
        if gaps:
            problems = ["%s read the DR side: %s" % (", ".join(needs_dr), status.no_dr_message(gaps, "It"))]
    if problems:
        module.fail_json(msg=" ".join(problems))
    started, began = time.monotonic(), time.time()
    shared = {}
    # One boto3 client per service and region for every read thread (each costs 0.05-0.2 CPU s to make; the RDS reads,
    # the lag, the waits and the source lookups of a region would otherwise each make their own).
    results, failures = threads.run_all(reads(aws_shared.SharedClients(module), params, shared))
    if failures:
        threads.fail_from(module, failures, label)
    seconds = round(time.monotonic() - started, 3)

    found = {"dns": results[("dns", None)], "production": results.get(("production", None)), "cache": results.get(("cache", None))}
    for (part, side), result in results.items():
        if side == AURORA:
            found[part] = result
        elif side is not None and part not in ("capacity", "readiness", "dr_restore"):
            found.setdefault(part, {})[side] = result
    config = {"environment": params["environment"], "alb": params["alb"], "dns": params["dns"], "helm": params["helm"]}
    report = status.with_timestamp(status.build_report(found, config), datetime.datetime.now(datetime.timezone.utc))
    result = dict(changed=False, status_report=report, step_summary=status.step_summary(report, seconds))
    if params["readiness"] and ("rds", AURORA) in shared:
        result["readiness"] = readiness.aurora_estate_readiness(
            shared[("rds", AURORA)], shared.get(("eks", "dr")), shared.get(("dns", None)), shared.get(("alb", "dr")),
            {"rds": params["rds"], "cluster_name": params["eks"]["dr"]["cluster_name"],
             "nodegroup_name": params["eks"]["dr"].get("nodegroup_name"), "record_name": params["dns"]["record_name"],
             "rpo_budget_seconds": params["rpo_budget_seconds"], "rto_budget_seconds": params["readiness"]["rto_budget_seconds"],
             "lag_lookback_seconds": params["lag_lookback_seconds"]})
    elif params["readiness"]:
        result["readiness"] = readiness.estate_readiness(
            shared.get(("rds", "replica")), shared.get(("eks", "dr")), shared.get(("dns", None)), shared.get(("alb", "dr")),
            {"replica_id": (params["rds"]["replica"] or params["rds"]["dr_restore"])["instance_id"],
             "cluster_name": params["eks"]["dr"]["cluster_name"],
             "nodegroup_name": params["eks"]["dr"].get("nodegroup_name"), "record_name": params["dns"]["record_name"],
             "rpo_budget_seconds": params["rpo_budget_seconds"], "rto_budget_seconds": params["readiness"]["rto_budget_seconds"],
             "lag_lookback_seconds": params["lag_lookback_seconds"]}, restore=restore_readiness(params, shared))
    if params["readiness"]:
        result["readiness"] = state_stores.with_findings(result["readiness"], [
            item for (part, dummy), found in results.items() if part == "readiness" for item in found])
    if params["capacity"]:
        result["capacity_restore"] = dr_capacity(params, results, shared)
    if params["replica_settled"]:
        result["replica_settled"] = shared.get("replica_settled")
    if params["step"]:
        result["cloudops_steps"] = [steps.module_step(params["step"], began, time.time(), "cloudops.runbooks.estate_status", result)]
    module.exit_json(**result)


if __name__ == "__main__":
    main()
