# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The Kubernetes side of the retry policy (_k8s/client.py): urllib3 retries and lost-response-safe creates."""

from __future__ import annotations

import pytest
import urllib3
from kubernetes.client.rest import ApiException

from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common
from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client


@pytest.fixture(autouse=True)
def no_sleep(monkeypatch):
    monkeypatch.setattr(client.time, "sleep", lambda seconds: None)


def test_the_urllib3_retry_has_the_policy_budget_and_never_re_sends_a_post_after_a_read_error():
    retry = client.retry()
    assert retry.total == common.RETRIES - 1 and retry.connect == retry.read == retry.status == common.RETRIES - 1
    assert set(retry.status_forcelist) == {429, 500, 502, 503, 504}
    assert "POST" not in retry.allowed_methods and {"GET", "PATCH", "PUT", "DELETE"} <= set(retry.allowed_methods)
    reset = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))
    assert retry.is_retry("GET", 503) and retry.is_retry("PATCH", 429) and not retry.is_retry("POST", 503)
    assert retry._is_read_error(reset) and not retry._is_method_retryable("POST")


def test_kubeconfig_builds_a_client_with_the_retry(tmp_path):
    kubeconfig = tmp_path / "config"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\ncurrent-context: c\nclusters: [{name: k, cluster: {server: "
                          "'http://127.0.0.1:1'}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: c, context: "
                          "{cluster: k, user: u}}]\n")
    api = client.api_client(str(kubeconfig), "c")
    try:
        assert api.configuration.retries.total == common.RETRIES - 1
        assert api.rest_client.pool_manager.connection_pool_kw["retries"].total == common.RETRIES - 1
    finally:
        api.close()


class Sequence(object):
    def __init__(self, *outcomes):
        self.outcomes, self.calls = list(outcomes), 0

    def __call__(self):
        self.calls += 1
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        return outcome


LOST = urllib3.exceptions.ProtocolError("Connection aborted.", ConnectionResetError(104, "reset"))


def test_a_create_whose_response_was_lost_is_read_back_not_sent_again():
    create, read = Sequence(LOST), Sequence({"metadata": {"name": "web-smoke"}})
    assert client.create(create, read) == {"metadata": {"name": "web-smoke"}}
    assert (create.calls, read.calls) == (1, 1)


def test_a_create_is_re_sent_when_the_object_is_not_there_and_refusals_are_retried():
    create, read = Sequence(LOST, ApiException(status=429), ApiException(status=503), "created"), Sequence(None, None, None)
    assert client.create(create, read) == "created"
    assert (create.calls, read.calls) == (4, 3)  # a read before each re-send once a request may have been applied


def test_a_conflict_after_a_lost_response_is_our_own_create():
    create, read = Sequence(LOST, ApiException(status=409)), Sequence(None, {"metadata": {"name": "web-smoke"}})
    assert client.create(create, read)["metadata"]["name"] == "web-smoke"
    with pytest.raises(ApiException):  # a first-attempt conflict is not ours
        client.create(Sequence(ApiException(status=409)), lambda: pytest.fail("read without a lost response"))


def test_a_module_with_an_unusable_kubeconfig_fails_naming_the_file(tmp_path):
    class Module(object):
        def fail_json(self, **result):
            raise RuntimeError(result["msg"])

    missing = str(tmp_path / "nope.yaml")
    with pytest.raises(RuntimeError, match="cannot load kubeconfig %s" % missing):
        client.module_api_client(Module(), missing)
