# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared plumbing of the thin AWS adapters: the collection's one retry policy, the clients that follow it, retried
pagination, and `apply`, the lost-response-safe path of every mutating call.

The policy (`CloudopsRetry`, a subclass of amazon.aws's AWSRetry): every call made with aws_retry=True is retried, with
jittered exponential backoff (RETRIES attempts in all, DELAY s first, doubling, at most MAX_DELAY s between two), on

- throttling (the codes AWSRetry retries, plus the other services' throttling codes),
- server errors (5xx codes, and any 502/503/504 answer),
- transient network errors: could not connect (EndpointConnectionError, ConnectTimeoutError, ProxyConnectionError)
  and lost responses (connection reset or closed, read timeout, a truncated answer).

botocore's own retries are off (`total_max_attempts: 1`, whatever the caller's aws_config says), so every attempt is
ours and the budget is the same for all of them. A lost response of a mutating call is never re-sent blindly: the
request may have been applied, and only `apply` (which first asks a describe whether the change is in place) may
send it again. A mutating call made with aws_retry=True outside `apply` therefore fails on a lost response.
"""

from __future__ import annotations

import functools
import time

try:
    import botocore
    import botocore.config
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

from ansible_collections.amazon.aws.plugins.module_utils.cloud import BackoffIterator
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry

RETRIES = 10      # attempts in all, for every kind of transient failure
DELAY = 1.0       # seconds before the first retry (jittered: a uniform draw up to this)
BACKOFF = 2.0
MAX_DELAY = 60.0  # the cap of one wait

# What the policy calls each transient failure (CloudRetry's "status code").
THROTTLED, SERVER_ERROR, NOT_SENT, LOST = "throttled", "server-error", "not-sent", "response-lost"
TRANSIENT = (THROTTLED, SERVER_ERROR, NOT_SENT, LOST)

THROTTLING_CODES = frozenset([
    "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException", "RequestThrottled",
    "TooManyRequestsException", "RequestLimitExceeded", "ProvisionedThroughputExceededException",
    "RequestLimitExceededException", "BandwidthLimitExceeded", "SlowDown", "PriorRequestNotComplete",
    "EC2ThrottledException",
])
SERVER_ERROR_CODES = frozenset([
    "InternalFailure", "InternalError", "InternalServerError", "InternalServerException", "InternalException",
    "ServerException", "ServiceException", "ServiceUnavailable", "ServiceUnavailableException", "Unavailable",
])
SERVER_ERROR_STATUSES = (502, 503, 504)
READ_PREFIXES = ("describe_", "list_", "get_", "head_", "check_", "lookup_", "search_", "validate_", "filter_",
                 "batch_get_", "query", "scan", "paginate", "generate_", "can_paginate")


def _not_sent_errors():
    return (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
            botocore.exceptions.ProxyConnectionError)


def _lost_errors():
    return (botocore.exceptions.ConnectionError, botocore.exceptions.HTTPClientError,
            botocore.exceptions.IncompleteReadError)


def classify(error):
    """THROTTLED, SERVER_ERROR, NOT_SENT or LOST for a transient failure, else None (retrying would not help)."""
    if isinstance(error, botocore.exceptions.ClientError):
        code = error.response.get("Error", {}).get("Code")
        if code in THROTTLING_CODES:
            return THROTTLED
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        if code in SERVER_ERROR_CODES or status in SERVER_ERROR_STATUSES:
            return SERVER_ERROR
        return None
    if isinstance(error, _not_sent_errors()):
        return NOT_SENT
    if isinstance(error, _lost_errors()):
        return LOST
    return None


def is_mutating(name):
    """Whether a boto3 method name (snake case) may change something."""
    return not (name or "").startswith(READ_PREFIXES)


class CloudopsRetry(AWSRetry):
    """AWSRetry with the collection's policy (module docstring): throttling, 5xx and transient network errors alike.

    Used as amazon.aws uses AWSRetry: `CloudopsRetry.jittered_backoff()` is the decorator given to module.client()
    (calls with aws_retry=True) or put on a function. For a mutating method (by its name), a lost response is not
    retried here: see `apply`.
    """

    @staticmethod
    def status_code_from_exception(error):
        """The kind of transient failure, else the AWS error code (for catch_extra_error_codes), else None."""
        kind = classify(error)
        if kind is None and isinstance(error, botocore.exceptions.ClientError):
            return error.response.get("Error", {}).get("Code")
        return kind

    @staticmethod
    def found(response_code, catch_extra_error_codes=None):
        return response_code in TRANSIENT or bool(catch_extra_error_codes and response_code in catch_extra_error_codes)

    @classmethod
    def base_decorator(cls, retries, found, status_code_from_exception, catch_extra_error_codes, sleep_time_generator):
        def retry_decorator(func):
            mutating = is_mutating(getattr(func, "__name__", ""))

            @functools.wraps(func)
            def _retry_wrapper(*args, **kwargs):
                delays = iter(sleep_time_generator)
                for attempt in range(1, retries + 1):
                    try:
                        return func(*args, **kwargs)
                    except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
                        code = status_code_from_exception(e)
                        if attempt == retries or (mutating and code == LOST) or not found(code, catch_extra_error_codes):
                            raise
                        time.sleep(next(delays))
                return None  # not reached: the last attempt returns or raises

            return _retry_wrapper

        return retry_decorator

    @classmethod
    def policy(cls, retries=RETRIES, delay=DELAY, max_delay=MAX_DELAY, catch_extra_error_codes=None):
        """The collection's decorator."""
        return cls.jittered_backoff(retries=retries, delay=delay, backoff=BACKOFF, max_delay=max_delay,
                                    catch_extra_error_codes=catch_extra_error_codes)


NO_BOTOCORE_RETRIES = {"retries": {"total_max_attempts": 1, "mode": "standard"}}


def client_config(*configs):
    """A botocore Config: the given ones (dicts or Configs, later wins) merged, botocore's retries always off."""
    merged = botocore.config.Config()
    for config in configs + (NO_BOTOCORE_RETRIES,):
        if config:
            merged = merged.merge(config if isinstance(config, botocore.config.Config) else botocore.config.Config(**config))
    return merged


def client(module, service, **extra):
    """A boto3 client whose calls passed aws_retry=True follow the policy; botocore itself never retries.

    The module's aws_config and a `config` given here are kept (timeouts, proxies, ...), except their retries.
    """
    config = client_config(module.params.get("aws_config"), extra.pop("config", None), extra.pop("aws_config", None))
    return module.client(service, retry_decorator=CloudopsRetry.policy(), aws_config=config, **extra)


@CloudopsRetry.policy()
def paginate(conn, operation, **params):
    """All pages of a paginated describe call merged into one dict (the whole walk is retried)."""
    return conn.get_paginator(operation).paginate(**params).build_full_result()


def apply(call, params, applied, retries=RETRIES, delay=DELAY, max_delay=MAX_DELAY):
    """Make one mutating call under the policy, never applying it twice when a response is lost.

    call: the client's method (the retrying wrapper's, called without aws_retry: every attempt is made here);
    params: its keyword arguments; applied: a function of no argument that reads the resource (with aws_retry=True)
    and returns the response the call would have given when the change is already in place, None when it is not.

    Throttling and could-not-connect are retried at once (the request was not applied). After a lost response or a
    server error the request may have been applied: before sending it again, applied() is asked, and its answer is
    returned when the change is in place. A re-sent request refused by AWS (e.g. "already exists", "invalid state"
    while the first one is being applied) asks applied() once more before the error is raised; so does the last
    attempt's transient failure. Anything else raises as the call raised it (the caller's except clauses see it).
    """
    delays = iter(BackoffIterator(delay=delay, backoff=BACKOFF, max_delay=max_delay, jitter=True))
    uncertain = False  # an earlier attempt may have been applied
    for attempt in range(1, retries + 1):
        if uncertain:
            done = applied()
            if done is not None:
                return done
        try:
            return call(**params)
        except (botocore.exceptions.ClientError, botocore.exceptions.BotoCoreError) as e:
            kind = classify(e)
            if kind in (LOST, SERVER_ERROR):
                uncertain = True
            if kind is None or attempt == retries:
                if uncertain:
                    done = applied()
                    if done is not None:
                        return done
                raise
            time.sleep(next(delays))
    return None  # not reached
