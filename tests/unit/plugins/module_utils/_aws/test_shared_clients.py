# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""_aws/shared.py: one client per service, region and settings for all the worker threads of a module process."""

from __future__ import annotations

import threading

import botocore.config
import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common, shared


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
