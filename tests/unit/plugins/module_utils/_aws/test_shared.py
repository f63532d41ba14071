# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_aws/shared.py: one client per service, region and settings for all the worker threads of a module process."""

from __future__ import annotations

import threading

import botocore.config
import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common, shared
from ansible_collections.cloudops.runbooks.tests.unit.plugins.modules.test_alb_traffic_switch import Paginator


class StandIn(object):
    """What SharedClients uses of an AnsibleAWSModule: params and client() (counted; made slowly, so threads overlap)."""

    def __init__(self, fail_for=()):
        self.params = {"aws_config": None}
        self.made = []
        self.fail_for = fail_for

    def client(self, service, retry_decorator=None, **extra):
        if extra.get("region") in self.fail_for:
            self.fail_json_aws(RuntimeError("no such region"), msg="Failed to connect to %s" % extra["region"])
        self.made.append((service, extra.get("region")))
        return object()

    def fail_json(self, **result):
        raise AssertionError("a worker must not end the module: %s" % result)

    def fail_json_aws(self, exception, msg=None, **result):
        raise AssertionError("a worker must not end the module: %s" % msg)


def test_one_client_per_service_and_region_whatever_the_threads():
    module = StandIn()
    worker = shared.SharedClients(module)
    got = {}

    def ask(index):
        def run():
            got[index] = common.client(worker, "elbv2", region="us-east-1" if index % 2 else "us-west-2")
            return got[index]
        return run

    threads.run_all(dict((index, ask(index)) for index in range(20)))
    assert sorted(module.made) == [("elbv2", "us-east-1"), ("elbv2", "us-west-2")]
    assert len(set(id(conn) for conn in got.values())) == 2
    assert got[1] is got[3] and got[0] is got[2] and got[0] is not got[1]


def test_another_service_or_settings_make_another_client():
    module = StandIn()
    worker = shared.SharedClients(module)
    elbv2 = common.client(worker, "elbv2", region="us-east-1")
    assert common.client(worker, "elbv2", region="us-east-1") is elbv2
    assert common.client(worker, "cloudwatch", region="us-east-1") is not elbv2
    slow = common.client(worker, "elbv2", region="us-east-1", config={"read_timeout": 5})
    assert slow is not elbv2
    assert common.client(worker, "elbv2", region="us-east-1", config=botocore.config.Config(read_timeout=5)) is slow
    assert worker.client("elbv2", region="us-east-1") is not elbv2  # no retry policy: another client
    assert len(module.made) == 4


def test_a_client_that_cannot_be_made_fails_the_worker_and_is_not_kept():
    module = StandIn(fail_for=("nowhere-1",))
    worker = shared.SharedClients(module)
    with pytest.raises(threads.WorkerFailed) as failed:
        common.client(worker, "elbv2", region="nowhere-1")
    assert failed.value.msg == "Failed to connect to nowhere-1"
    module.fail_for = ()
    common.client(worker, "elbv2", region="nowhere-1")
    assert module.made == [("elbv2", "nowhere-1")]


def test_clients_are_made_one_at_a_time():
    inside, most = [0], [0]
    lock = threading.Lock()

    class Slow(StandIn):
        def client(self, service, retry_decorator=None, **extra):
            with lock:
                inside[0] += 1
                most[0] = max(most[0], inside[0])
            threading.Event().wait(0.01)
            with lock:
                inside[0] -= 1
            return object()

    worker = shared.SharedClients(Slow())
    threads.run_all(dict((region, (lambda r=region: common.client(worker, "elbv2", region=r))) for region in ("a", "b", "c", "d")))
    assert most[0] == 1


# ---- LockedReads / SharedReads: the ELBv2 describes of a wave, made once for all its threads ----

ACCOUNT = "arn:aws:elasticloadbalancing:us-east-1:123456789012"
LB = ACCOUNT + ":loadbalancer/app/shop-alb/1111"
L80 = ACCOUNT + ":listener/app/shop-alb/1111/aaaa"
SERVICES = ["web", "cat", "api", "pay"]
TG = dict(("%s-%s" % (service, colour), ACCOUNT + ":targetgroup/%s-%s/%d%d" % (service, colour, index, n))
          for index, service in enumerate(SERVICES) for n, colour in enumerate(["blue", "green"]))


class FakeElb(object):
    """One load balancer, listener 80: web on its default action, the other services on rules 10, 20, ...; every
    service on blue. Records every call."""

    def __init__(self):
        self.calls = []
        self.lock = threading.Lock()

    def forward(self, service):
        return [{"Type": "forward", "ForwardConfig": {"TargetGroups": [{"TargetGroupArn": TG[service + "-blue"], "Weight": 1}]}}]

    def record(self, *call):
        with self.lock:
            self.calls.append(call)

    def get_paginator(self, operation):
        return Paginator(self, operation)

    def describe_load_balancers(self, Names):
        self.record("describe_load_balancers")
        return {"LoadBalancers": [{"LoadBalancerName": "shop-alb", "LoadBalancerArn": LB}]}

    def describe_listeners(self, LoadBalancerArn=None, ListenerArns=None, aws_retry=False):
        self.record("describe_listeners")
        return {"Listeners": [{"ListenerArn": L80, "LoadBalancerArn": LB, "Port": 80, "DefaultActions": self.forward("web")}]}

    def describe_rules(self, ListenerArn):
        self.record("describe_rules")
        return {"Rules": [{"RuleArn": ACCOUNT + ":listener-rule/app/shop-alb/1111/aaaa/r%d" % (10 * n), "Priority": str(10 * n),
                           "IsDefault": False, "Actions": self.forward(service)} for n, service in enumerate(SERVICES) if n]}

    def describe_target_groups(self, Names=None, TargetGroupArns=None):
        import botocore.exceptions
        self.record("describe_target_groups", tuple(Names or TargetGroupArns))
        wanted = set(Names or []) | set(TargetGroupArns or [])
        known = set(TG) | set(TG.values())
        if wanted - known:
            raise botocore.exceptions.ClientError({"Error": {"Code": "TargetGroupNotFound", "Message": "not found"}}, "DescribeTargetGroups")
        return {"TargetGroups": [{"TargetGroupName": name, "TargetGroupArn": arn} for name, arn in TG.items() if name in wanted or arn in wanted]}


def wave_plans(conn, expect=True, forward_of=lambda service: {service + "-green": 100}):
    """One thread per service plans its switch (web: the listener's default action, the others: their rule), with
    shared reads; {service: plan or failure message}."""
    from ansible_collections.cloudops.runbooks.plugins.module_utils import traffic
    from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import traffic_switch

    worker = threads.WorkerModule(StandIn())
    reads = shared.LockedReads(worker, conn, "us-east-1")
    items = dict((service, dict(dict.fromkeys(traffic_switch.SWITCH_SPEC), purge_unlisted=False, load_balancer_name="shop-alb", port=80,
                                rule_priority=10 * n if n else None, forward=forward_of(service)))
                 for n, service in enumerate(SERVICES))
    if expect:
        reads.expect_groups([group for item in items.values() for group in item["forward"]])
        reads.expect_routes([(item["load_balancer_name"], item["port"], item["rule_priority"]) for item in items.values()])

    def plan(item):
        def run():
            request = traffic.normalise_switch(item, 0, "us-east-1")
            return traffic_switch.plan_switches([request], lambda region: reads, lambda msg, **extra: worker.fail_json(msg=msg))
        return run

    done, failed = threads.run_all(dict((service, plan(item)) for service, item in items.items()))
    return dict(done, **dict((service, failure.msg) for service, failure in failed.items()))


def test_a_wave_describes_the_load_balancer_listeners_rules_and_groups_once():
    conn = FakeElb()
    plans = wave_plans(conn)
    operations = [call[0] for call in conn.calls]
    assert operations.count("describe_load_balancers") == 1
    assert operations.count("describe_listeners") == 1
    assert operations.count("describe_rules") == 1
    # the expected names in one call; the blue groups the routes forward to (by ARN) in at most one more
    assert operations.count("describe_target_groups") <= 2
    for service in SERVICES:
        [[switch], names] = plans[service]
        assert switch["changed"] and switch["after_arns"] == {TG[service + "-blue"]: 0, TG[service + "-green"]: 100}
        assert names["us-east-1"][TG[service + "-blue"]] == service + "-blue"


def test_without_expectations_the_same_plans_with_a_call_per_thread():
    shared_plans, alone = wave_plans(FakeElb()), wave_plans(FakeElb(), expect=False)
    for service in SERVICES:
        assert [p["after_arns"] for p in shared_plans[service][0]] == [p["after_arns"] for p in alone[service][0]]


def test_a_missing_target_group_fails_its_own_thread_with_its_own_message():
    conn = FakeElb()
    plans = wave_plans(conn, forward_of=lambda service: {("nope-green" if service == "cat" else service + "-green"): 100})
    assert plans["cat"] == "Target group(s) nope-green not found in us-east-1: check the target group names or ARNs and the region"
    for service in ("web", "api", "pay"):
        assert plans[service][0][0]["after_arns"][TG[service + "-green"]] == 100


def test_cached_groups_only_when_every_one_is_known():
    worker = threads.WorkerModule(StandIn())
    conn = FakeElb()
    reads = shared.LockedReads(worker, conn, "us-east-1")
    assert reads.cached_groups(names=["web-blue"]) is None
    reads.expect_groups(["web-blue", "web-green"])
    assert [g["TargetGroupName"] for g in reads.cached_groups(names=["web-green", "web-blue"])] == ["web-green", "web-blue"]
    assert reads.cached_groups(names=["web-green"], arns=[TG["cat-blue"]]) is None
    assert len(conn.calls) == 1
