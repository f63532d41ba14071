# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Worker threads inside one module process: reads that wait on the network (AWS, helm) made side by side.

A module ends by printing its one JSON result and exiting, and only the main thread may do that: fail_json called in
a worker would print a result and end only that thread. So a worker gets `WorkerModule(module)`, which behaves as the
module (params, client(), run_command(), warn, ...) except that fail_json/fail_json_aws raise `WorkerFailed`; the
main thread collects every failure with `run_all` and fails the module once (`fail_from`).

Each worker makes its own clients (module.client() builds a fresh boto3 session per client): no boto3 session is
shared between threads. The deploy modules give their workers _aws/shared.SharedClients instead, which makes each
client once, under a lock, and shares it (botocore clients are thread-safe; making one costs 0.05-0.2 CPU s).
"""

from __future__ import annotations

import os
import subprocess
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_bytes, to_native


class WorkerFailed(Exception):
    """fail_json / fail_json_aws called in a worker: the message, the extra result keys, the exception if any."""

    def __init__(self, msg, kwargs=None, exception=None):
        super(WorkerFailed, self).__init__(msg)
        self.msg = msg
        self.kwargs = kwargs or {}
        self.exception = exception


class WorkerModule(object):
    """The module as a worker thread sees it: everything delegates to the module, failures raise WorkerFailed.

    client() is AnsibleAWSModule's, run with this object as `self`, so the failures it reports (no region, cannot
    connect) raise here too; run_command() reads a command's output safely from a thread (see there).
    """

    def __init__(self, module):
        self._module = module

    def __getattr__(self, name):
        return getattr(self._module, name)

    def fail_json(self, msg=None, **kwargs):
        raise WorkerFailed(msg, kwargs)

    def fail_json_aws(self, exception, msg=None, **kwargs):
        raise WorkerFailed(msg, kwargs, exception)

    def exit_json(self, **kwargs):
        raise RuntimeError("a worker thread cannot end the module: return the result to the main thread")

    def _base(self):
        """The module itself, under any WorkerModule wrappers (workers of workers)."""
        inner = self._module
        while isinstance(inner, WorkerModule):
            inner = inner._module
        return inner

    def client(self, service, retry_decorator=None, **extra_params):
        return type(self._base()).client(self, service, retry_decorator=retry_decorator, **extra_params)

    def run_command(self, args, **kwargs):
        """(rc, stdout, stderr) of a command, as AnsibleModule.run_command gives them.

        A command given as a list with no other option is run here, read to its end by subprocess: the read loop of
        AnsibleModule.run_command (ansible-core 2.19) stops without reading the output when the command ends just
        after one of its 1 s select() timeouts (rc 0, empty stdout: seen with helm, several at once, on a busy
        machine), and it forks with a preexec_fn, which Python documents as unsafe in a threaded process.
        Anything else goes to AnsibleModule.run_command with this object as `self`.
        """
        base = self._base()
        if not (isinstance(base, AnsibleModule) or isinstance(getattr(base, "_module", None), AnsibleModule)):
            return base.run_command(args, **kwargs)  # a stand-in of a test
        if kwargs or not isinstance(args, (list, tuple)):
            return AnsibleModule.run_command(self, args, **kwargs)
        command = [to_bytes(arg, errors="surrogate_or_strict") for arg in args]
        env = dict(os.environ, **(getattr(base, "run_command_environ_update", None) or {}))
        try:
            done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, close_fds=True, env=env, check=False)
        except OSError as e:
            self.fail_json(rc=e.errno, stdout="", stderr="", msg="Error executing command.", cmd=" ".join(args), exception=str(e))
        return (done.returncode, to_native(done.stdout, errors="surrogate_or_strict"),
                to_native(done.stderr, errors="surrogate_or_strict"))

    @property
    def region(self):
        return type(self._base()).region.fget(self)


def run_all(tasks, workers=None):
    """Run the callables of tasks ({key: callable()}) side by side; returns (results, failures), both keyed like tasks
    and in tasks' order: results[key] what the callable returned, failures[key] the WorkerFailed it raised.

    Anything else a callable raises is re-raised here, in the main thread, after every task has ended.
    """
    keys = list(tasks)
    if not keys:
        return {}, {}
    with ThreadPoolExecutor(max_workers=workers or len(keys)) as pool:
        futures = [(key, pool.submit(tasks[key])) for key in keys]
    results, failures = {}, {}
    for key, future in futures:
        error = future.exception()
        if error is None:
            results[key] = future.result()
        elif isinstance(error, WorkerFailed):
            failures[key] = error
        else:
            raise error
    return results, failures


def _text(failure):
    """The failure's message, with its exception's text as fail_json_aws would add it."""
    if failure.exception is None:
        return failure.msg
    error = getattr(failure.exception, "message", None) or str(failure.exception)
    return "%s: %s" % (failure.msg, error) if failure.msg else error


def fail_from(module, failures, label=None):
    """Fail the module (main thread, or a worker's WorkerModule for nested workers) with the failures of run_all, each
    message prefixed with label(key) when label is given.

    One failure fails as the worker asked (fail_json_aws keeps the AWS error code and response in the result);
    several fail with one message naming each, in order.
    """
    def prefixed(key, text):
        return "%s: %s" % (label(key), text) if label else text

    if len(failures) == 1:
        key, failure = next(iter(failures.items()))
        if failure.exception is not None and hasattr(module, "fail_json_aws"):
            try:
                raise failure.exception  # fail_json_aws formats the exception being handled: the worker's traceback
            except Exception:  # pylint: disable=broad-except
                module.fail_json_aws(failure.exception, msg=prefixed(key, failure.msg), **failure.kwargs)
        module.fail_json(msg=prefixed(key, failure.msg), **failure.kwargs)
    extra = {}
    for failure in failures.values():
        for name, value in failure.kwargs.items():
            extra.setdefault(name, value)
    module.fail_json(msg="; ".join(prefixed(key, _text(failure)) for key, failure in failures.items()), **extra)
