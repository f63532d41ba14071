# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""threads: reads side by side in one module process; a worker's fail_json raises, the main thread fails once."""

from __future__ import annotations

import sys
import threading
import traceback

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads


class Ended(Exception):
    """The stand-in module ended (fail_json / fail_json_aws)."""


class StandIn(object):
    """What a worker uses of a module: params, run_command; failing ends it (raises Ended with the result)."""

    def __init__(self):
        self.params = {"kubeconfig": None}
        self.commands = []

    def run_command(self, args):
        self.commands.append(args)
        return 0, "out", ""

    def fail_json(self, **result):
        raise Ended(dict(result, failed=True))

    def fail_json_aws(self, exception, msg=None, **result):
        # As amazon.aws does: the traceback of the exception being handled.
        raise Ended(dict(result, failed=True, msg="%s: %s" % (msg, exception), aws=True, exception=traceback.format_exc()))


def test_run_all_runs_side_by_side_and_keeps_the_order_of_the_tasks():
    barrier = threading.Barrier(3, timeout=5)  # passes only when all three run at once

    def task(value):
        def run():
            barrier.wait()
            return value
        return run

    results, failures = threads.run_all({"c": task(3), "a": task(1), "b": task(2)})
    assert (list(results.items()), failures) == ([("c", 3), ("a", 1), ("b", 2)], {})


def test_run_all_of_nothing():
    assert threads.run_all({}) == ({}, {})


def test_a_workers_fail_json_is_collected_not_printed():
    worker = threads.WorkerModule(StandIn())

    def fails():
        worker.fail_json(msg="cluster x not found", command=["helm"])

    results, failures = threads.run_all({"ok": lambda: 1, "bad": fails})
    assert results == {"ok": 1}
    assert (failures["bad"].msg, failures["bad"].kwargs) == ("cluster x not found", {"command": ["helm"]})


def test_an_unexpected_error_is_raised_in_the_main_thread_after_every_task_ended():
    ended = []

    def slow():
        ended.append("slow")
        return 1

    with pytest.raises(ZeroDivisionError):
        threads.run_all({"boom": lambda: 1 / 0, "slow": slow})
    assert ended == ["slow"]


def test_the_worker_delegates_everything_else():
    module = StandIn()
    worker = threads.WorkerModule(threads.WorkerModule(module))
    assert worker.params is module.params
    assert worker.run_command(["helm", "list"]) == (0, "out", "")
    assert module.commands == [["helm", "list"]]
    with pytest.raises(RuntimeError, match="cannot end the module"):
        worker.exit_json(changed=False)


def test_aws_failure_keeps_the_exception_and_its_traceback():
    worker = threads.WorkerModule(StandIn())

    def describe():
        try:
            raise ValueError("AccessDenied")
        except ValueError as e:
            worker.fail_json_aws(e, msg="Could not describe x", region="us-west-2")

    failures = threads.run_all({"rds replica": describe})[1]
    assert (failures["rds replica"].msg, str(failures["rds replica"].exception)) == ("Could not describe x", "AccessDenied")
    with pytest.raises(Ended) as ended:
        threads.fail_from(StandIn(), failures, label=str)
    result = ended.value.args[0]
    assert (result["msg"], result["region"], result["aws"]) == ("rds replica: Could not describe x: AccessDenied", "us-west-2", True)
    assert 'raise ValueError("AccessDenied")' in result["exception"]  # the worker's frame, formatted in the main thread


def test_one_failure_fails_as_the_worker_asked_with_its_label():
    module = StandIn()
    with pytest.raises(Ended) as ended:
        threads.fail_from(module, {("eks", "dr"): threads.WorkerFailed("EKS cluster shop-dr not found", {"extra": 1})},
                          label=" ".join)
    assert ended.value.args[0] == {"failed": True, "msg": "eks dr: EKS cluster shop-dr not found", "extra": 1}

    with pytest.raises(Ended) as ended:
        threads.fail_from(module, {"dns": threads.WorkerFailed("Could not read zone", {}, ValueError("Throttling"))}, label=str)
    assert (ended.value.args[0]["msg"], ended.value.args[0]["aws"]) == ("dns: Could not read zone: Throttling", True)


def test_several_failures_fail_once_naming_each_in_order():
    failures = {"helm primary": threads.WorkerFailed("helm list failed (rc=1): unreachable", {"command": ["helm", "list"]}),
                "rds replica": threads.WorkerFailed("Could not describe RDS instance x", {}, ValueError("AccessDenied"))}
    with pytest.raises(Ended) as ended:
        threads.fail_from(StandIn(), failures, label=str)
    assert ended.value.args[0] == {"failed": True, "command": ["helm", "list"],
                                   "msg": "helm primary: helm list failed (rc=1): unreachable; "
                                          "rds replica: Could not describe RDS instance x: AccessDenied"}


def test_without_label_the_message_is_the_workers():
    with pytest.raises(Ended) as ended:
        threads.fail_from(StandIn(), {0: threads.WorkerFailed("helm status failed (rc=1): boom")})
    assert ended.value.args[0]["msg"] == "helm status failed (rc=1): boom"


def test_nested_workers_fail_into_the_outer_worker():
    outer = threads.WorkerModule(StandIn())

    def side():
        inner = threads.WorkerModule(outer)
        found, failures = threads.run_all({"a": lambda: inner.fail_json(msg="status of a failed"), "b": lambda: 2})
        threads.fail_from(outer, failures)

    results, failures = threads.run_all({"helm dr": side})
    assert results == {} and failures["helm dr"].msg == "status of a failed"


def real_module():
    from ansible.module_utils.basic import AnsibleModule
    from ansible.module_utils.testing import patch_module_args
    with patch_module_args({}):
        return AnsibleModule(argument_spec={})


def test_a_workers_command_is_read_to_its_end_even_when_it_is_quiet_for_a_while():
    worker = threads.WorkerModule(real_module())
    quiet = "import sys, time; time.sleep(1.2); sys.stdout.write('late out'); sys.stderr.write('err')"
    assert worker.run_command([sys.executable, "-c", quiet]) == (0, "late out", "err")
    assert worker.run_command([sys.executable, "-c", "raise SystemExit(3)"])[0] == 3


def test_a_workers_command_that_cannot_run_fails_the_worker():
    worker = threads.WorkerModule(real_module())
    with pytest.raises(threads.WorkerFailed, match="Error executing command"):
        worker.run_command(["/nonexistent/helm", "list"])
