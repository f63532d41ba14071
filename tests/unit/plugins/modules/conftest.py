# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run an AWS module's main() against botocore Stubbers: real botocore clients whose answers the test supplies (and
whose request parameters it checks), wrapped in amazon.aws's retrying wrapper as module.client() would be.

The sandbox cannot emulate some calls (Aurora global failover); those modules are tested this way."""

from __future__ import annotations

import itertools
import json

import pytest

boto3 = pytest.importorskip("boto3")
from botocore.stub import Stubber  # noqa: E402  (after the importorskip)

from ansible.module_utils.testing import patch_module_args  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import AWSRetry  # noqa: E402
from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper  # noqa: E402

from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting  # noqa: E402


class StubbedAws(object):
    def __init__(self, monkeypatch, capsys):
        self.monkeypatch, self.capsys = monkeypatch, capsys
        self.clients, self.stubbers = {}, {}
        # Polls without pauses: the stubbed answers change from one poll to the next.
        monkeypatch.setattr(waiting, "backoff", lambda *args, **kwargs: itertools.repeat(0.0))

    def stub(self, service, region="us-east-1"):
        """The Stubber of service in region (created on first use, activated)."""
        key = (service, region)
        if key not in self.stubbers:
            raw = boto3.client(service, region_name=region, aws_access_key_id="testing", aws_secret_access_key="testing")
            self.stubbers[key] = Stubber(raw)
            self.stubbers[key].activate()
            self.clients[key] = RetryingBotoClientWrapper(raw, AWSRetry.jittered_backoff(retries=1))
        return self.stubbers[key]

    def put(self, service, region, client):
        """Answer service in region with a hand-made client (for errors a Stubber cannot raise)."""
        self.clients[(service, region)] = client

    def client(self, module, service, region=None, **extra):
        key = (service, region or module.region)
        assert key in self.clients, "the module asked for an unexpected client %s" % (key,)
        return self.clients[key]

    def run(self, module, args, patch=()):
        """Run module.main() with args; returns (failed, result). patch: more namespaces whose `client` to replace."""
        for namespace in (module,) + tuple(patch):
            self.monkeypatch.setattr(namespace, "client", self.client)
        with patch_module_args(dict({"region": "us-east-1"}, **args)):
            with pytest.raises(SystemExit) as exited:
                module.main()
        result = json.loads(self.capsys.readouterr().out)
        return exited.value.code != 0 or bool(result.get("failed")), result

    def verify(self):
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@pytest.fixture
def aws(monkeypatch, capsys):
    return StubbedAws(monkeypatch, capsys)
