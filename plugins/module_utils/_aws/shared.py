# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the worker threads of one module process share: one boto3 client per service, region and settings
(`SharedClients`), and the ELBv2 describes of each region (`SharedReads`).

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

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads, traffic
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elbv2
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


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


class LockedReads(elbv2.Reads):
    """An elbv2.Reads the worker threads of a module process share: each describe made once for all of them, one
    thread at a time (the others wait for its answer). `expect_groups` names, before the threads start, the target
    groups they will ask for: the first thread that needs a target group describes all of them (one call for the
    names, one for the ARNs, batches of 20) instead of a call per thread; `expect_routes` names the listeners and
    rules the threads will switch, and a thread that needs a group by ARN that is not known yet describes with it
    every group those routes forward to (the colour a switch moves the traffic from, which it describes by ARN; the
    rules of a listener are read then if no thread has read them yet). These batches are an optimisation only: when one
    fails (a name that does not exist, a denied call) nothing of it is kept, and each thread's own describe fails with
    its own message, as it did without sharing."""

    def __init__(self, module, conn, region):
        super(LockedReads, self).__init__(module, conn, region)
        self._lock = threading.RLock()
        self._expected = set()  # target groups not described yet
        self._routes = set()    # (load balancer name, port, rule priority or None)

    def expect_groups(self, groups):
        """Target groups (names or ARNs) the threads will ask for."""
        with self._lock:
            self._expected.update(str(group) for group in groups if group)

    def expect_routes(self, routes):
        """Routes (load balancer name, listener port, rule priority or None) the threads will switch."""
        with self._lock:
            self._routes.update((str(name), int(port), None if priority is None else str(priority)) for name, port, priority in routes)

    def _describe_expected(self):
        if not self._expected:
            return
        names = sorted(group for group in self._expected if not traffic.is_arn(group) and group not in self._group_arns)
        arns = sorted(group for group in self._expected if traffic.is_arn(group) and group not in self._groups)
        self._expected.clear()  # tried once
        self._describe_quietly(names=names)
        self._describe_quietly(arns=arns)

    def _partners(self):
        """Groups not described yet that the expected routes forward to, in the listeners and rules read so far."""
        partners = set()
        for name, port, priority in self._routes:
            lb = self._load_balancers.get(name)
            found = next((item for item in self._listeners_of.get(lb["LoadBalancerArn"]) or [] if item.get("Port") == port), None) if lb else None
            if found is None:
                continue
            if priority is None:
                actions = found.get("DefaultActions")
            else:
                rule = next((item for item in self._listener_rules(found["ListenerArn"]) if str(item.get("Priority")) == priority), None)
                actions = rule.get("Actions") if rule else None
            partners.update(arn for arn in traffic.forward_action(actions or [])[1] if arn not in self._groups)
        return partners

    def _listener_rules(self, listener_arn):
        """The rules of a listener an expected route switches a rule of (read now if no thread has read them yet: its
        thread will); [] when the read fails (that thread fails with its own message)."""
        try:
            return super(LockedReads, self).rules(listener_arn) or []
        except threads.WorkerFailed:
            return []

    def _describe_quietly(self, names=(), arns=()):
        if names or arns:
            try:
                super(LockedReads, self).target_groups(names=names, arns=arns)
            except threads.WorkerFailed:
                pass

    def cached_groups(self, names=(), arns=()):
        """The target groups of `names` and `arns` (boto3 shape, in that order) when every one of them is described
        here already (after the expected batch), else None: the caller then describes them itself."""
        with self._lock:
            self._describe_expected()
            found = [self._group_arns.get(name) for name in names] + list(arns)
            if all(arn in self._groups for arn in found):
                return [self._groups[arn] for arn in found]
            return None

    def load_balancer(self, name):
        with self._lock:
            return super(LockedReads, self).load_balancer(name)

    def listeners(self, lb_arn):
        with self._lock:
            return super(LockedReads, self).listeners(lb_arn)

    def listener(self, arn):
        with self._lock:
            return super(LockedReads, self).listener(arn)

    def rules(self, listener_arn):
        with self._lock:
            return super(LockedReads, self).rules(listener_arn)

    def target_groups(self, names=(), arns=()):
        with self._lock:
            self._describe_expected()
            unknown = set(arn for arn in arns if arn not in self._groups)
            if unknown:
                self._describe_quietly(arns=sorted(unknown | self._partners()))
            return super(LockedReads, self).target_groups(names=names, arns=arns)

    def group_arn(self, name_or_arn):
        with self._lock:
            return super(LockedReads, self).group_arn(name_or_arn)

    def group_names(self):
        with self._lock:
            return super(LockedReads, self).group_names()


class SharedReads(object):
    """reads_of(region) for the worker threads of a module process: one LockedReads per region, made by the first
    thread that needs it (its client from the SharedClients `worker`, so a client that cannot be made fails in the
    thread as before). `expect_groups` and `expect_routes` before the threads start; they make no call."""

    def __init__(self, worker):
        self.worker = worker
        self._reads = {}
        self._groups = {}  # region -> expected target groups
        self._routes = {}  # region -> expected routes
        self._lock = threading.Lock()

    def __call__(self, region):
        with self._lock:
            if region not in self._reads:
                reads = LockedReads(self.worker, client(self.worker, "elbv2", region=region), region)
                reads.expect_groups(self._groups.get(region, ()))
                reads.expect_routes(self._routes.get(region, ()))
                self._reads[region] = reads
            return self._reads[region]

    def expect_routes(self, region, routes):
        """Routes (load balancer name, listener port, rule priority or None) the threads will switch in `region`."""
        with self._lock:
            self._routes.setdefault(region, []).extend(routes)
            if region in self._reads:
                self._reads[region].expect_routes(routes)

    def expect_groups(self, region, groups):
        """Target groups the threads will ask for: names in `region`, ARNs in theirs."""
        with self._lock:
            for group in [str(group) for group in groups if group]:
                where = traffic.region_of_arn(group) if traffic.is_arn(group) else region
                self._groups.setdefault(where, []).append(group)
                if where in self._reads:
                    self._reads[where].expect_groups([group])
