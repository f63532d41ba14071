# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One boto3 client per service, region and settings for all the worker threads of a module process.

threads.WorkerModule gives each worker its own clients (module.client() builds a fresh boto3 session per client). A
client costs 0.05-0.2 CPU s to make (the new session loads the endpoint and service models from disk), which is
more than the few calls a deploy worker makes with it: a 10-service deploy made ~80 of them across its three module
processes. `SharedClients` is a WorkerModule (failures raise WorkerFailed the same way) whose client() makes each
client once, under a lock (a boto3 session is not thread-safe, so no two threads make a client at once), and then
hands the same client to every thread that asks: botocore documents its clients as thread-safe, and the retrying
wrapper amazon.aws puts around a client holds no per-call state. The calls, their retries and their failure
messages are the ones each worker's own client made.
"""

from __future__ import annotations

import threading

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads


def _frozen(value):
    """A hashable stand-in of a client() keyword value (a botocore Config by the options it was given)."""
    options = getattr(value, "_user_provided_options", None)
    if isinstance(options, dict):
        value = options
    if isinstance(value, dict):
        return tuple(sorted((str(k), _frozen(v)) for k, v in value.items()))
    if isinstance(value, (list, tuple)):
        return tuple(_frozen(v) for v in value)
    try:
        hash(value)
    except TypeError:
        return repr(value)
    return value


class SharedClients(threads.WorkerModule):
    """The module as worker threads see it (threads.WorkerModule), with clients shared between the threads: one per
    (service, retrying or not, client() keywords such as region and config). Make one per module process (or per
    step) and give it to every worker."""

    def __init__(self, module):
        super(SharedClients, self).__init__(module)
        self._clients = {}
        self._clients_lock = threading.Lock()

    def client(self, service, retry_decorator=None, **extra_params):
        key = (service, retry_decorator is not None, _frozen(extra_params))
        with self._clients_lock:
            if key not in self._clients:
                self._clients[key] = super(SharedClients, self).client(service, retry_decorator=retry_decorator, **extra_params)
            return self._clients[key]
