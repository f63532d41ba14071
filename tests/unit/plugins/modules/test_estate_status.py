# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""estate_status: every read of both sides in one process, side by side, into the status report; failures named.

The reads themselves (the info modules' code in module_utils) are replaced by stand-ins here; the sandbox tests
(tests/integration/test_status_playbook.py) run them for real."""

from __future__ import annotations

import json
import threading

import pytest

pytest.importorskip("boto3")

from ansible.module_utils.testing import patch_module_args  # noqa: E402

from ansible_collections.cloudops.runbooks.plugins.modules import estate_status  # noqa: E402

ARGS = {
    "environment": "sandbox", "region": "us-east-1", "rpo_budget_seconds": 60,
    "eks": {"primary": {"region": "us-east-1", "cluster_name": "shop-primary", "kubeconfig": "/kp.yaml"},
            "dr": {"region": "us-west-2", "cluster_name": "shop-dr", "kubeconfig": ""}},
    "rds": {"primary": {"region": "us-east-1", "instance_id": "shop-db"}, "replica": {"region": "us-west-2", "instance_id": "shop-db-dr"}},
    "alb": {"primary": {"region": "us-east-1", "load_balancer_name": "p-alb", "listener_port": 80, "target_groups": {"blue": "p-blue", "green": "p-green"}},
            "dr": {"region": "us-west-2", "load_balancer_name": "d-alb", "listener_port": 8080, "target_groups": {"blue": "d-blue", "green": "d-green"}}},
    "dns": {"zone_name": "shop.internal", "record_name": "app.shop.internal"},
    "helm": {"release_namespace": "shop", "releases": {"blue": "shop-blue", "green": "shop-green"}},
}
READS = 9  # 2 EKS, 2 RDS, 2 ALB, 1 Route 53, 2 Helm


class Estate(object):
    """Stand-ins of the five reads; each waits until all nine are in flight (so the test proves they run at once)."""

    def __init__(self, monkeypatch, fail=None):
        self.fail = fail or {}
        self.barrier = threading.Barrier(READS, timeout=10)
        self.clients, self.kubeconfigs = [], []
        monkeypatch.setattr(estate_status, "client", self.client)
        monkeypatch.setattr(estate_status.eks, "cluster_read", self.cluster_read)
        monkeypatch.setattr(estate_status.rds, "replication_read", self.replication_read)
        monkeypatch.setattr(estate_status.elbv2, "traffic_info", self.traffic_info)
        monkeypatch.setattr(estate_status.route53, "failover_info", self.failover_info)
        monkeypatch.setattr(estate_status.helm_cli, "HelmRunner", self.helm_runner)

    def client(self, module, service, region=None):
        self.clients.append((service, region))
        return (service, region)

    def _read(self, module, key):
        self.barrier.wait()
        if isinstance(self.fail.get(key), Exception):
            try:
                raise self.fail[key]
            except Exception as e:  # pylint: disable=broad-except
                module.fail_json_aws(e, msg="Could not describe %s %s" % key)
        if key in self.fail:
            module.fail_json(msg=self.fail[key])

    def cluster_info(self, module, conn, name, region):
        self._read(module, ("eks", name))
        return {"region": region, "exists": True, "cluster": {"name": name, "status": "ACTIVE", "version": "1.30", "endpoint": "https://" + name},
                "nodegroups": [{"name": name + "-workers", "status": "ACTIVE", "scaling_config": {"min_size": 1, "max_size": 3, "desired_size": 1}}]}

    def cluster_read(self, module, conn, name, region, fail_when_missing=True, known=None, nodegroup_names=None):
        return {"info": self.cluster_info(module, conn, name, region), "cluster": {}, "nodegroups": []}

    def replication_read(self, module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds, fail_when_missing=True, describe=None):
        return {"info": self.replication_info(module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds), "instance": {}, "source": None}

    def replication_info(self, module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds):
        self._read(module, ("rds", instance_id))
        replica = instance_id.endswith("-dr")
        return {"region": region, "exists": True, "instance_id": instance_id, "role": "replica" if replica else "primary",
                "replica_lag_seconds": 2.0 if replica else None, "lag_verdict": "ok" if replica else None,
                "rpo_budget_seconds": rpo_budget_seconds, "lookback": lag_lookback_seconds}

    def traffic_info(self, module, conn, region, name, port, colours, known=None):
        self._read(module, ("alb", name))
        return {"region": region, "dns_name": name + ".elb", "active_colour": "blue", "idle_colour": "green", "weights": {"blue": 100},
                "forward": [{"target_group_name": colours["blue"], "target_group_arn": "arn", "weight": 1}],
                "target_groups": dict((group, {"colour": colour, "arn": "arn", "healthy": True, "healthy_count": 2, "total": 2})
                                      for colour, group in colours.items())}

    def failover_info(self, module, conn, zone_name, record_name, private_zone, zone_id=None):
        self._read(module, ("dns", zone_name))
        return {"zone_id": "Z1", "records": [], "weighted_records": [], "health_checks": {},
                "failover": {"primary": "primary", "secondary": "dr", "primary_healthy": True, "serving": "PRIMARY"}}

    def helm_runner(self, module, kubeconfig=None, context=None):
        estate = self
        self.kubeconfigs.append(kubeconfig)

        class Runner(object):
            def releases(self, namespace, workers=1):
                estate._read(module, ("helm", kubeconfig))
                return [{"name": "shop-blue", "namespace": namespace, "revision": 1, "status": "deployed"}]
        return Runner()

    def run(self, capsys, args=None):
        with patch_module_args(args or ARGS):
            with pytest.raises(SystemExit):
                estate_status.main()
        return json.loads(capsys.readouterr().out)


def test_the_report_is_the_status_roles_report_of_the_nine_reads(monkeypatch, capsys):
    estate = Estate(monkeypatch)
    result = estate.run(capsys)
    assert result["changed"] is False and "failed" not in result
    report = result["status_report"]
    assert list(report)[:2] == ["collected_at", "environment"] and report["collected_at"].endswith("Z")
    assert (list(report["eks"]), list(report["rds"]), list(report["alb"]), list(report["helm"])) == (
        ["primary", "dr"], ["primary", "replica"], ["primary", "dr"], ["primary", "dr"])
    assert report["eks"]["dr"]["region"] == "us-west-2" and report["eks"]["dr"]["nodegroups"][0]["desired_size"] == 1
    assert report["rds"]["replica"]["lag_verdict"] == "ok" and report["rds"]["replica"]["rpo_budget_seconds"] == 60
    assert (report["alb"]["dr"]["listener_port"], report["alb"]["dr"]["load_balancer_name"]) == (8080, "d-alb")
    assert report["dns"]["serving"] == "PRIMARY" and report["dns"]["record_name"] == "app.shop.internal"
    assert report["helm"]["primary"]["releases"][0]["colour"] == "blue"
    # Each side's clients in its own region; Route 53 with the module's region (None: the default).
    assert sorted(estate.clients, key=str) == sorted([("eks", "us-east-1"), ("eks", "us-west-2"), ("elbv2", "us-east-1"),
                                                      ("elbv2", "us-west-2"), ("route53", None)], key=str)
    summary = result["step_summary"]
    assert summary["detail"].startswith("sandbox: DNS serving PRIMARY; replica shop-db-dr lag 2.0 s (ok)")
    assert summary["measures"]["read_seconds"] >= 0 and summary["gates"][0]["name"] == "replication shop-db-dr"


def test_helm_reads_each_sides_cluster(monkeypatch, capsys):
    estate = Estate(monkeypatch)
    estate.run(capsys)
    # The primary's kubeconfig; the DR side's empty one means helm's default (no --kubeconfig).
    assert sorted(estate.kubeconfigs, key=str) == ["/kp.yaml", None]


def test_every_failed_read_is_named_after_all_reads_ended(monkeypatch, capsys):
    estate = Estate(monkeypatch, fail={("eks", "shop-dr"): "EKS cluster shop-dr not found in us-west-2: check cluster_name and region",
                                       ("helm", "/kp.yaml"): "helm list failed (rc=1): Kubernetes cluster unreachable"})
    result = estate.run(capsys)
    assert result["failed"] is True and "status_report" not in result
    assert result["msg"] == ("eks dr: EKS cluster shop-dr not found in us-west-2: check cluster_name and region; "
                             "helm primary: helm list failed (rc=1): Kubernetes cluster unreachable")


def test_the_report_needs_every_side(monkeypatch, capsys):
    args = dict(ARGS, rds={"primary": ARGS["rds"]["primary"]})
    result = Estate(monkeypatch).run(capsys, args)
    assert result["failed"] is True and "replica" in result["msg"]


def test_one_aws_failure_fails_as_fail_json_aws_does_with_the_error_code(monkeypatch, capsys):
    from botocore.exceptions import ClientError
    denied = ClientError({"Error": {"Code": "AccessDenied", "Message": "not allowed"}}, "DescribeDBInstances")
    result = Estate(monkeypatch, fail={("rds", "shop-db-dr"): denied}).run(capsys)
    assert result["failed"] is True
    assert result["msg"].startswith("rds replica: Could not describe rds shop-db-dr: An error occurred (AccessDenied)")
    assert result["error"]["code"] == "AccessDenied"


class Judged(Estate):
    """The reads as describes too, for the drill's readiness, DR sizes and the node group's settling."""

    def __init__(self, monkeypatch, nodegroup_states=None):
        super(Judged, self).__init__(monkeypatch)
        self.read_workloads, self.nodegroup_states, self.autoscalers = [], list(nodegroup_states or []), {}
        estate = self

        class Workloads(object):
            def __init__(self, module, api):
                pass

            def read(self, workload):
                estate.read_workloads.append(workload["name"])
                return {"spec": {"replicas": 0}}

            def autoscaler(self, workload):
                return estate.autoscalers.get(workload["name"])

        monkeypatch.setattr(estate_status, "Workloads", Workloads)
        monkeypatch.setattr(estate_status.k8s_retry, "module_api_client", lambda module, kubeconfig, context: "api")
        monkeypatch.setattr(estate_status.eks, "describe_nodegroup", self.describe_nodegroup)
        monkeypatch.setattr(estate_status.waiting.time, "sleep", lambda seconds: None)

    def describe_nodegroup(self, module, conn, cluster, name):
        return self.nodegroup_states.pop(0)

    def cluster_read(self, module, conn, name, region, fail_when_missing=True, known=None, nodegroup_names=None):
        self.known = getattr(self, "known", {})
        self.known[name] = known
        info = self.cluster_info(module, conn, name, region)
        group = {"nodegroupName": name + "-workers", "status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 3}}
        return {"info": info, "cluster": {"name": name, "status": "ACTIVE", "version": "1.30"}, "nodegroups": [group]}

    def replication_read(self, module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds, fail_when_missing=True, describe=None):
        info = self.replication_info(module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds)
        instance = {"DBInstanceIdentifier": instance_id, "DBInstanceStatus": "available", "DBInstanceClass": "db.t3.micro",
                    "ReadReplicaSourceDBInstanceIdentifier": "shop-db" if instance_id.endswith("-dr") else None}
        return {"info": dict(info, role_evidence="pointer"), "instance": instance, "source": {"BackupRetentionPeriod": 7}}

    def failover_info(self, module, conn, zone_name, record_name, private_zone, zone_id=None):
        found = super(Judged, self).failover_info(module, conn, zone_name, record_name, private_zone)

        def record(set_id, role, check=None):
            return {"name": record_name + ".", "type": "CNAME", "set_identifier": set_id, "failover": role, "weight": None, "ttl": 60,
                    "values": [set_id + ".elb"], "alias": None, "value": set_id + ".elb", "health_check_id": check}
        return dict(found, records=[record("primary", "PRIMARY", "hc-1"), record("dr", "SECONDARY")], other_records=[],
                    health_checks={"hc-1": {"request_interval": 10, "failure_threshold": 3, "healthy": True}})


JUDGED = dict(ARGS, eks=dict(ARGS["eks"], dr=dict(ARGS["eks"]["dr"], nodegroup_name="shop-dr-workers")),
              readiness={"rto_budget_seconds": 900},
              capacity={"nodegroup": True, "workloads": [{"kind": "Deployment", "name": "shop-{colour}", "namespace": "shop"}],
                        "kubeconfig": "", "context": ""},
              step={"step": "status_before", "phase": "failover", "title": "status before"})


def test_the_drills_one_read_gives_the_status_its_readiness_and_the_dr_sizes(monkeypatch, capsys):
    estate = Judged(monkeypatch)
    result = estate.run(capsys, JUDGED)
    assert "failed" not in result, result.get("msg")
    readiness = result["readiness"]
    assert readiness["passed"] is True and [f["check"] for f in readiness["findings"]] == [
        "replica_role", "replica_lag", "source_backups", "dr_cluster_active", "dr_nodegroup_active", "dns_failover_time"]
    assert readiness["observed"]["dr_traffic"]["active_colour"] == "blue" and readiness["observed"]["replica_spec"]["instance_class"] == "db.t3.micro"
    assert [r["set_identifier"] for r in readiness["observed"]["dns_records"]] == ["dr", "primary"]
    # {colour} is the DR load balancer's active colour, read in the same process.
    assert estate.read_workloads == ["shop-blue"]
    assert result["capacity_restore"] == {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 3},
                                          "workloads": [{"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 0}]}
    [step] = result["cloudops_steps"]
    assert "cloudops_step" not in result  # (the run evidence records it where the playbook adds it, not here)
    assert (step["step"], step["phase"], step["module"], step["outcome"]) == ("status_before", "failover", "cloudops.runbooks.estate_status", "ok")
    assert result["status_report"]["rds"]["replica"]["lag_verdict"] == "ok"


def test_the_status_after_waits_for_the_dr_node_group_to_settle(monkeypatch, capsys):
    updating = {"nodegroupName": "shop-dr-workers", "status": "UPDATING", "scalingConfig": {"minSize": 1, "desiredSize": 3, "maxSize": 3}}
    settled = {"nodegroupName": "shop-dr-workers", "status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 3}}
    estate = Judged(monkeypatch, nodegroup_states=[updating, updating, settled])
    args = dict(JUDGED, nodegroup_settled={"min_size": 1, "desired_size": 1, "max_size": 3, "timeout": 60})
    args.pop("readiness"), args.pop("capacity"), args.pop("step")
    result = estate.run(capsys, args)
    assert "failed" not in result and estate.nodegroup_states == []


def test_a_node_group_that_does_not_settle_fails_the_read_naming_it(monkeypatch, capsys):
    degraded = {"nodegroupName": "shop-dr-workers", "status": "DEGRADED", "scalingConfig": {"minSize": 1, "desiredSize": 3, "maxSize": 3},
                "health": {"issues": [{"code": "Ec2LaunchTemplateNotFound", "message": "gone"}]}}
    args = dict(JUDGED, nodegroup_settled={"min_size": 1, "desired_size": 1, "max_size": 3, "timeout": 60})
    estate = Judged(monkeypatch, nodegroup_states=[degraded])
    estate.barrier = threading.Barrier(READS - 1, timeout=10)  # the DR cluster is not read: its wait failed
    result = estate.run(capsys, args)
    assert result["failed"] is True and result["msg"].startswith("eks dr: node group shop-dr-workers of shop-dr is DEGRADED")
    assert "Ec2LaunchTemplateNotFound" in result["msg"]


SOURCE_ARN = "arn:aws:rds:us-east-1:123456789012:db:shop-db"


def replica(status, source=SOURCE_ARN):
    return {"DBInstanceIdentifier": "shop-db-dr", "DBInstanceStatus": status, "ReadReplicaSourceDBInstanceIdentifier": source}


def replica_states(monkeypatch, states):
    described = []

    def describe_instance(module, conn, instance_id):
        described.append(instance_id)
        return states.pop(0)
    monkeypatch.setattr(estate_status.rds, "describe_instance", describe_instance)
    return described


def test_the_status_after_waits_for_the_re_created_replica_to_replicate(monkeypatch, capsys):
    estate = Judged(monkeypatch)
    states = [replica("creating"), replica("backing-up"), replica("available")]
    described = replica_states(monkeypatch, states)
    args = dict(ARGS, replica_settled={"timeout": 60})
    result = estate.run(capsys, args)
    assert "failed" not in result, result.get("msg")
    assert described == ["shop-db-dr"] * 3 and states == []
    assert result["replica_settled"]["waited_seconds"] >= 0 and result["replica_settled"]["replicating_at"]
    assert result["status_report"]["rds"]["replica"]["role"] == "replica"  # and read after it


def test_a_re_created_replica_that_failed_fails_the_read_at_once_naming_it(monkeypatch, capsys):
    estate = Judged(monkeypatch)
    estate.barrier = threading.Barrier(READS - 1, timeout=10)  # the replica is not read: its wait failed
    states = [replica("creating"), replica("failed")]
    replica_states(monkeypatch, states)
    result = estate.run(capsys, dict(ARGS, replica_settled={"timeout": 60}))
    assert result["failed"] is True and states == []
    assert result["msg"].startswith("rds replica: replica shop-db-dr is failed (read replication not reported)")
    assert "see its RDS events" in result["msg"]


def test_the_node_group_is_probed_after_the_replica_s_wait_not_during_it(monkeypatch, capsys):
    """A drill's failback: the replica re-created and the node group scaled down run at once; the node group's poll
    while the replica is awaited would read nothing the status needs sooner."""
    updating = {"nodegroupName": "shop-dr-workers", "status": "UPDATING", "scalingConfig": {"minSize": 1, "desiredSize": 3, "maxSize": 3}}
    settled = {"nodegroupName": "shop-dr-workers", "status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 3}}
    estate = Judged(monkeypatch, nodegroup_states=[updating, settled])
    order = []
    states = [replica("creating"), replica("creating"), replica("available")]

    def describe_instance(module, conn, instance_id):
        order.append("rds")
        return states.pop(0)

    def describe_nodegroup(module, conn, cluster, name):
        order.append("eks")
        return estate.nodegroup_states.pop(0)
    monkeypatch.setattr(estate_status.rds, "describe_instance", describe_instance)
    monkeypatch.setattr(estate_status.eks, "describe_nodegroup", describe_nodegroup)
    args = dict(ARGS, eks=JUDGED["eks"], replica_settled={"timeout": 60},
                nodegroup_settled={"min_size": 1, "desired_size": 1, "max_size": 3, "timeout": 60})
    result = estate.run(capsys, args)
    assert "failed" not in result, result.get("msg")
    assert order == ["rds", "rds", "rds", "eks", "eks"] and estate.nodegroup_states == []
    # The cluster's read keeps the wait's last answer: the node group is not described once more.
    assert estate.known["shop-dr"] == {"shop-dr-workers": settled} and estate.known["shop-primary"] is None


def test_a_failed_replica_wait_still_lets_the_node_group_be_read(monkeypatch, capsys):
    settled = {"nodegroupName": "shop-dr-workers", "status": "ACTIVE", "scalingConfig": {"minSize": 1, "desiredSize": 1, "maxSize": 3}}
    estate = Judged(monkeypatch, nodegroup_states=[settled])
    estate.barrier = threading.Barrier(READS - 1, timeout=10)  # the replica is not read: its wait failed
    replica_states(monkeypatch, [replica("failed")])
    args = dict(ARGS, eks=JUDGED["eks"], replica_settled={"timeout": 60},
                nodegroup_settled={"min_size": 1, "desired_size": 1, "max_size": 3, "timeout": 60})
    result = estate.run(capsys, args)
    assert result["failed"] is True and result["msg"].startswith("rds replica: replica shop-db-dr is failed")
    assert estate.nodegroup_states == []


def test_the_dr_sizes_keep_the_bounds_of_a_workload_s_autoscaler(monkeypatch, capsys):
    estate = Judged(monkeypatch)
    estate.autoscalers["shop-blue"] = {"metadata": {"name": "shop-blue"}, "spec": {"minReplicas": 1, "maxReplicas": 6}}
    result = estate.run(capsys, JUDGED)
    assert result["capacity_restore"]["workloads"] == [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 0, "autoscaler": {"min_replicas": 1, "max_replicas": 6}}]


# -- a one-region estate (docs/one-region.md): no `dr` cluster or load balancer, no replica ---------------------------
ONE_REGION = dict(ARGS, eks={"primary": ARGS["eks"]["primary"]}, rds={"primary": ARGS["rds"]["primary"]},
                  alb={"primary": ARGS["alb"]["primary"]})


class OneRegionEstate(Estate):
    """The same stand-ins; five reads in flight at once (EKS, RDS, ALB, Route 53, Helm of the primary side)."""

    def __init__(self, monkeypatch, fail=None):
        super(OneRegionEstate, self).__init__(monkeypatch, fail)
        self.barrier = threading.Barrier(5, timeout=10)

    def failover_info(self, module, conn, zone_name, record_name, private_zone, zone_id=None):
        self._read(module, ("dns", zone_name))
        simple = {"name": record_name + ".", "type": "CNAME", "set_identifier": None, "failover": None, "weight": None, "ttl": 60,
                  "value": "p-alb.elb", "health_check_id": None}
        return {"zone_id": "Z1", "records": [], "weighted_records": [], "other_records": [simple], "health_checks": {},
                "failover": {"primary": None, "secondary": None, "primary_healthy": None, "serving": "none"}}


def test_a_one_region_estate_reads_its_primary_side_only(monkeypatch, capsys):
    estate = OneRegionEstate(monkeypatch)
    result = estate.run(capsys, ONE_REGION)
    assert "failed" not in result, result.get("msg")
    report = result["status_report"]
    assert (list(report["eks"]), list(report["rds"]), list(report["alb"]), list(report["helm"])) == (
        ["primary"], ["primary"], ["primary"], ["primary"])
    # The simple record to the primary ALB is what serves.
    assert report["dns"]["serving"] == "PRIMARY" and [r["value"] for r in report["dns"]["simple_records"]] == ["p-alb.elb"]
    assert sorted(estate.clients, key=str) == sorted([("eks", "us-east-1"), ("elbv2", "us-east-1"), ("route53", None)], key=str)
    assert estate.kubeconfigs == ["/kp.yaml"]
    assert result["step_summary"]["detail"] == ("sandbox: DNS serving PRIMARY (simple record); one region, no DR replica; ALB primary blue; "
                                                "EKS 1/1 active; Helm 1/1 deployed")


@pytest.mark.parametrize("option", [{"readiness": {"rto_budget_seconds": 900}}, {"capacity": {"nodegroup": True}},
                                    {"replica_settled": {"timeout": 60}}])
def test_what_reads_the_dr_side_is_refused_on_a_one_region_estate_before_any_read(monkeypatch, capsys, option):
    estate = OneRegionEstate(monkeypatch)
    result = estate.run(capsys, dict(ONE_REGION, **option))
    assert result["failed"] is True and estate.clients == []
    assert "No DR side declared: cloudops_eks.dr, cloudops_rds.replica, cloudops_alb.dr are missing" in result["msg"]
    assert result["msg"].startswith(list(option)[0])


def test_a_half_declared_dr_side_is_refused_naming_what_is_there_and_what_is_not(monkeypatch, capsys):
    args = dict(ONE_REGION, eks=ARGS["eks"])
    estate = OneRegionEstate(monkeypatch)
    result = estate.run(capsys, args)
    assert result["failed"] is True and estate.clients == []
    assert result["msg"] == ("The DR side is half declared: cloudops_eks.dr is given but cloudops_rds.replica, cloudops_alb.dr are not. "
                             "Declare all of them (two regions) or none (a one-region estate, docs/one-region.md).")


def test_the_report_says_which_side_serves_production_from_the_failover_record(monkeypatch, capsys):
    estate = Judged(monkeypatch)
    read = []

    class ConfigMaps(object):
        def __init__(self, module, api, namespace):
            self.namespace = namespace

        def read(self, name):
            read.append((self.namespace, name))
            return {"data": {"record.json": '{"run_id": "failover-sandbox-1", "outcome": "failed_over", "smoke_passed_at": "2026-01-31T12:04:10Z"}'}}
    monkeypatch.setattr(estate_status.configmaps, "ConfigMaps", ConfigMaps)
    result = estate.run(capsys, dict(ARGS, production_record={"namespace": "shop"}))
    assert "failed" not in result, result.get("msg")
    assert read == [("shop", "cloudops-failover")]
    production = result["status_report"]["production"]
    assert (production["side"], production["failed_over"], production["run_id"]) == ("dr", True, "failover-sandbox-1")
    assert "production" not in estate.run(capsys, ARGS)["status_report"]  # not asked: not read, not reported
