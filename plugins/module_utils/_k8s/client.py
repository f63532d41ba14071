# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes API client of the collection's own modules (k8s_workload_scale, k8s_job_run), under the same retry
policy as the AWS calls (_aws/common.py): RETRIES attempts, jittered exponential backoff from DELAY s capped at
MAX_DELAY s, on connection errors, 429 and 5xx.

- `api_client()` gives the ApiClient an urllib3 Retry: every request is retried when it could not connect (not sent);
  reads, PUT/DELETE and PATCH (our patches set a value: sending one twice changes nothing more) also on a read error
  (lost response), 429 and 502/503/504/500. POST (a create) is never re-sent by urllib3 after it may have been sent.
- `create()` makes a create lost-response-safe as _aws/common.apply does: after a lost response or a 5xx/429 it
  reads the object first and re-sends only when it is not there; a 409 AlreadyExists after a lost response is
  answered by the read too.

kubernetes.core's modules (k8s, k8s_info; 6.x) build their own clients and retry nothing themselves: only urllib3's
default (3 retries of connection errors, and of read errors for idempotent methods; no 429/5xx), see README.
"""

from __future__ import annotations

import time
import traceback

try:
    import urllib3
    from kubernetes import client as k8s_client
    from kubernetes import config as k8s_config
    from kubernetes.client.rest import ApiException
except ImportError:
    HAS_KUBERNETES = False  # the modules report the missing kubernetes library (module_api_client does)
    KUBERNETES_IMPORT_ERROR = traceback.format_exc()
else:
    HAS_KUBERNETES = True
    KUBERNETES_IMPORT_ERROR = None

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import (  # the one policy's figures
    BACKOFF, DELAY, MAX_DELAY, RETRIES)
from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator

RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH")


def retry():
    """The urllib3 Retry of the policy (RETRIES attempts: RETRIES - 1 retries)."""
    settings = dict(total=RETRIES - 1, connect=RETRIES - 1, read=RETRIES - 1, status=RETRIES - 1, other=0,
                    allowed_methods=frozenset(RETRY_METHODS), status_forcelist=RETRY_STATUSES, backoff_factor=DELAY,
                    respect_retry_after_header=True, raise_on_status=False, raise_on_redirect=False)
    try:  # urllib3 2: the cap and the jitter of the policy
        return urllib3.Retry(backoff_max=MAX_DELAY, backoff_jitter=DELAY, **settings)
    except TypeError:  # urllib3 1.26: its fixed cap (120 s), no jitter
        return urllib3.Retry(**settings)


def api_client(kubeconfig=None, context=None):
    """An ApiClient for the kubeconfig/context whose every request follows the policy. Raises what the kubernetes
    client raises for an unusable kubeconfig (the caller says which file)."""
    configuration = k8s_client.Configuration()
    k8s_config.load_kube_config(config_file=kubeconfig, context=context, client_configuration=configuration,
                                persist_config=False)
    configuration.retries = retry()
    return k8s_client.ApiClient(configuration=configuration)


def module_api_client(module, kubeconfig=None, context=None):
    """api_client() for a module: fails it when the kubernetes library is missing or the kubeconfig unusable (saying
    which file)."""
    if not HAS_KUBERNETES:
        from ansible.module_utils.basic import missing_required_lib
        module.fail_json(msg=missing_required_lib("kubernetes"), exception=KUBERNETES_IMPORT_ERROR)
    try:
        return api_client(kubeconfig, context)
    except Exception as exc:  # the client raises ConfigException, IOError, ... for an unusable kubeconfig
        module.fail_json(msg="cannot load kubeconfig %s: %s" % (kubeconfig or "(default)", exc))


def _transient(exc):
    """'lost' (may have been applied), 'refused' (429: not applied) or None."""
    if isinstance(exc, ApiException):
        if exc.status == 429:
            return "refused"
        return "lost" if exc.status in (500, 502, 503, 504) else None
    return "lost" if isinstance(exc, (urllib3.exceptions.HTTPError, OSError)) else None


def create(call, read, retries=RETRIES, delay=DELAY, max_delay=MAX_DELAY):
    """Create an object, never twice: call() creates it, read() returns it (or None when it does not exist).

    Returns call()'s answer, or read()'s when an earlier attempt whose response was lost had created it. Errors that
    are not transient raise as call() raised them (ApiException, urllib3 errors)."""
    delays = iter(BackoffIterator(delay=delay, backoff=BACKOFF, max_delay=max_delay, jitter=True))
    uncertain = False
    for attempt in range(1, retries + 1):
        if uncertain:
            found = read()
            if found is not None:
                return found
        try:
            return call()
        except Exception as exc:  # pylint: disable=broad-except
            kind = _transient(exc)
            uncertain = uncertain or kind == "lost"
            if kind is None or attempt == retries:
                if uncertain:
                    found = read()
                    if found is not None:
                        return found
                raise
            time.sleep(next(delays))
    return None  # not reached
