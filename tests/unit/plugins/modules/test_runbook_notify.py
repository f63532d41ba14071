# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""runbook_notify's main(): a refused declaration, check mode, a round with a failing channel, SNS through a stubbed
client, and no secret in what it prints."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible.module_utils.testing import patch_module_args
from ansible_collections.cloudops.runbooks.plugins.module_utils import notify_send
from ansible_collections.cloudops.runbooks.plugins.modules import runbook_notify

SUMMARY = {"status": "succeeded", "outcome": "passed", "rto_seconds": 400, "rpo_seconds": 0, "run_dir": "runs/d-1"}
REPORT = {"outcome": "passed", "rto": {"seconds": 400, "budget_seconds": 900}, "rpo": {"seconds": 0, "rows": 0, "budget_seconds": 60}}


@pytest.fixture
def receiver():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            got.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            self.send_response(500 if "/fail/" in self.path else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1], got
    server.shutdown()
    server.server_close()


def run(capsys, args, check=False):
    base = {"runbook": "failover_drill", "environment": "prod", "run_id": "r-1", "region": "us-east-1"}
    if check:
        base["_ansible_check_mode"] = True
    with patch_module_args(dict(base, **args)):
        with pytest.raises(SystemExit) as exited:
            runbook_notify.main()
    out = capsys.readouterr().out
    return exited.value.code != 0, json.loads(out), out


def channels(url):
    return [{"name": "slack", "type": "slack", "webhook_url": url + "/slack/T/B/slacksecret"},
            {"name": "teams", "type": "teams", "webhook_url": url + "/fail/teamssecret"},
            {"name": "pager", "type": "pagerduty", "routing_key": "PDKEY-0123456789", "url": url + "/v2/enqueue"}]


def test_a_bad_declaration_fails_naming_the_settings(capsys):
    declared = {"channels": [{"name": "slack", "type": "slack"},
                             {"name": "mail", "type": "email", "host": "h", "to": ["x"], "password": "mailsecret"}]}
    failed, result, out = run(capsys, {"event": "start", "declaration": declared})
    assert failed and "cloudops_notify.channels[0] (slack).webhook_url is required for a slack channel" in result["msg"]
    assert "cloudops_notify.channels[1] (mail).sender is required" in result["msg"]
    assert "mailsecret" not in out


def test_a_round_with_a_failing_channel_does_not_fail(capsys, receiver):
    url, got = receiver
    failed, result, out = run(capsys, {"event": "end", "title": "Failover drill", "declaration": {"channels": channels(url)},
                                       "summary": SUMMARY, "report": REPORT})
    assert not failed and result["event"] == "success" and result["changed"] is True
    assert [(c["name"], c["ok"]) for c in result["notifications"]["channels"]] == [("slack", True), ("teams", False), ("pager", True)]
    assert result["notifications"]["channels"][1]["detail"] == "HTTP 500"
    assert "notification teams (teams) failed: HTTP 500" in json.dumps(result["warnings"]), result["warnings"]
    assert dict(result["message"]["facts"])["RTO"] == "400 s (budget 900 s)"
    bodies = dict(got)
    assert bodies["/v2/enqueue"]["event_action"] == "resolve" and bodies["/v2/enqueue"]["routing_key"] == "PDKEY-0123456789"
    for secret in ("slacksecret", "teamssecret", "PDKEY-0123456789"):
        assert secret not in out


def test_start_goes_to_the_channels_that_hear_of_it(capsys, receiver):
    url, got = receiver
    failed, result, dummy = run(capsys, {"event": "start", "declaration": {"channels": channels(url)}})
    assert not failed and result["skipped_channels"] == ["pager"] and result["notifications"]["sent"] == 1
    assert sorted(path for path, body in got) == ["/fail/teamssecret", "/slack/T/B/slacksecret"]


def test_check_mode_sends_nothing(capsys, receiver):
    url, got = receiver
    failed, result, dummy = run(capsys, {"event": "end", "declaration": {"channels": channels(url)}}, check=True)
    assert not failed and got == [] and result["changed"] is False and result["event"] == "failure"  # no summary: failed early
    assert [(c["name"], c["ok"]) for c in result["notifications"]["channels"]] == [("slack", None), ("teams", None), ("pager", None)]


def test_disabled_sends_nothing(capsys, receiver):
    url, got = receiver
    failed, result, dummy = run(capsys, {"event": "start", "declaration": {"enabled": False, "channels": channels(url)}})
    assert not failed and got == [] and result["notifications"] == {"sent": 0, "failed": 0, "channels": []}


def test_sns_publishes_through_the_collections_client(capsys, monkeypatch):
    boto3 = pytest.importorskip("boto3")
    from botocore.stub import Stubber
    raw = boto3.client("sns", region_name="us-west-2", aws_access_key_id="testing", aws_secret_access_key="testing")
    stubber = Stubber(raw)
    stubber.add_response("publish", {"MessageId": "m-1"}, {
        "TopicArn": "arn:aws:sns:us-west-2:111122223333:ops", "Subject": "[prod] failover_drill succeeded - passed",
        "Message": stubber_any(), "MessageAttributes": stubber_any()})
    stubber.add_client_error("publish", service_error_code="AuthorizationError", service_message="not allowed")
    stubber.activate()
    seen = []

    def client(self, service, retry_decorator=None, **extra):
        from ansible_collections.amazon.aws.plugins.module_utils.retries import RetryingBotoClientWrapper
        seen.append((service, extra.get("region")))
        return RetryingBotoClientWrapper(raw, retry_decorator)

    monkeypatch.setattr(runbook_notify.AnsibleAWSModule, "client", client)
    sns = {"name": "sns", "type": "sns", "topic_arn": "arn:aws:sns:us-west-2:111122223333:ops"}
    failed, result, dummy = run(capsys, {"event": "success", "declaration": {"channels": [sns, dict(sns, name="sns2")]},
                                         "summary": SUMMARY, "report": REPORT})
    assert not failed and seen == [("sns", "us-west-2"), ("sns", "us-west-2")]
    details = sorted(c["detail"] for c in result["notifications"]["channels"])
    assert details == ["SNS AuthorizationError: not allowed", "message m-1"]


def stubber_any():
    from botocore.stub import ANY
    return ANY


def test_the_senders_cover_every_type():
    assert sorted(notify_send.SENDERS) == sorted(runbook_notify.notify.TYPES)
