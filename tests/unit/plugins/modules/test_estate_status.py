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
        monkeypatch.setattr(estate_status.eks, "cluster_info", self.cluster_info)
        monkeypatch.setattr(estate_status.rds, "replication_info", self.replication_info)
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

    def replication_info(self, module, region, instance_id, rpo_budget_seconds, lag_lookback_seconds):
        self._read(module, ("rds", instance_id))
        replica = instance_id.endswith("-dr")
        return {"region": region, "exists": True, "instance_id": instance_id, "role": "replica" if replica else "primary",
                "replica_lag_seconds": 2.0 if replica else None, "lag_verdict": "ok" if replica else None,
                "rpo_budget_seconds": rpo_budget_seconds, "lookback": lag_lookback_seconds}

    def traffic_info(self, module, conn, region, name, port, colours):
        self._read(module, ("alb", name))
        return {"region": region, "dns_name": name + ".elb", "active_colour": "blue", "idle_colour": "green", "weights": {"blue": 100},
                "forward": [{"target_group_name": colours["blue"], "target_group_arn": "arn", "weight": 1}],
                "target_groups": dict((group, {"colour": colour, "arn": "arn", "healthy": True, "healthy_count": 2, "total": 2})
                                      for colour, group in colours.items())}

    def failover_info(self, module, conn, zone_name, record_name, private_zone):
        self._read(module, ("dns", zone_name))
        return {"zone_id": "Z1", "records": [], "weighted_records": [], "health_checks": {},
                "failover": {"primary": "primary", "secondary": "dr", "primary_healthy": True, "serving": "PRIMARY"}}

    def helm_runner(self, module, kubeconfig=None):
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
