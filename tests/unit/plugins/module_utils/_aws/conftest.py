# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Fixtures of the adapter tests that pin exact AWS calls with botocore's Stubber (which fails on any call it was not
given): a module whose failures raise, and stubbed clients wrapped as AnsibleAWSModule's retrying clients are."""

from __future__ import annotations

import pytest


class FailingModule(object):
    """The module an adapter is given: fail_json and fail_json_aws raise AssertionError with the message."""

    def fail_json(self, **result):
        raise AssertionError(result["msg"])

    def fail_json_aws(self, exception, msg=None, **result):
        raise AssertionError("%s: %s" % (msg, exception))


@pytest.fixture
def failing_module():
    return FailingModule()


@pytest.fixture
def stubbed():
    """stubbed(service, region) -> (retrying client, its Stubber); each Stubber must have answered every response it
    was given by the end of the test."""
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber
    from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry, RetryingBotoClientWrapper

    stubbers = []

    def make(service, region):
        conn = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
        stubber = Stubber(conn)
        stubber.activate()
        stubbers.append(stubber)
        return RetryingBotoClientWrapper(conn, AWSRetry.jittered_backoff(retries=1)), stubber

    yield make
    for stubber in stubbers:
        stubber.deactivate()
        stubber.assert_no_pending_responses()
