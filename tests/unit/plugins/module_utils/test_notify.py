# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/notify.py (the declaration, the message, the payloads) and notify_send.py (a round, side by side,
never raising) against receivers on loopback."""

from __future__ import annotations

import json
import smtplib
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import notify, notify_send

SLACK = {"name": "ops-slack", "type": "slack", "webhook_url": "https://hooks.slack.com/services/T1/B2/s3cr3tpath"}
PAGER = {"name": "pager", "type": "pagerduty", "routing_key": "R0UTINGKEY0123"}
MAIL = {"name": "mail", "type": "email", "host": "smtp.example.com", "sender": "a@example.com", "to": "b@example.com"}
SNS = {"name": "sns", "type": "sns", "topic_arn": "arn:aws:sns:us-west-2:111122223333:ops"}
TEAMS = {"name": "teams", "type": "teams", "webhook_url": "https://example.webhook.office.com/x/teamssecret"}

DRILL_REPORT = {"outcome": "passed", "rto": {"seconds": 412.0, "budget_seconds": 900},
                "rpo": {"seconds": 0, "rows": 0, "budget_seconds": 60}}
DRILL_SUMMARY = {"status": "succeeded", "outcome": "passed", "rto_seconds": 412.0, "rpo_seconds": 0, "rpo_rows": 0,
                 "run_dir": "/srv/runs/failover_drill-prod-1"}


# -- the declaration ---------------------------------------------------------------------------------------------------
def test_a_full_declaration_has_no_problem():
    assert notify.problems({"enabled": True, "source": "awx", "report_link": "https://awx/{run_id}", "timeout_seconds": 5,
                            "channels": [SLACK, PAGER, MAIL, SNS, TEAMS]}) == []
    assert notify.problems(None) == [] and notify.problems({}) == []


def test_each_problem_names_the_setting_and_never_the_value():
    found = notify.problems({"channels": [
        {"name": "s", "type": "slack", "webhook_url": "ftp://secret-value"},
        {"name": "s", "type": "teams"},
        {"name": "p", "type": "pagerduty", "routing_key": "k", "events": ["crash"], "colour": "red"},
        {"name": "m", "type": "email", "host": "h", "sender": "a", "to": ["b"], "username": "u", "security": "tls"},
        {"type": "carrier-pigeon"},
        "nope",
    ], "extra": 1})
    text = " | ".join(found)
    assert "cloudops_notify.extra is not a setting" in text
    assert "cloudops_notify.channels[0] (s).webhook_url must be an http(s) URL" in text and "secret-value" not in text
    assert "cloudops_notify.channels[1] (s): the name is used by another channel" in text
    assert "cloudops_notify.channels[1] (s).webhook_url is required for a teams channel" in text
    assert "cloudops_notify.channels[2] (p).events must be a list of: start, success, failure" in text
    assert "cloudops_notify.channels[2] (p).colour is not a setting of a pagerduty channel" in text
    assert "cloudops_notify.channels[3] (m): username and password go together" in text
    assert "cloudops_notify.channels[3] (m).security must be one of: starttls, ssl, none" in text
    assert "cloudops_notify.channels[4].name must be a short name" in text
    assert "cloudops_notify.channels[4].type must be one of" in text
    assert "cloudops_notify.channels[5] must be a mapping" in text
    assert notify.problems(["x"]) == ["cloudops_notify must be a mapping (enabled, channels, source, report_link, "
                                      "timeout_seconds), got list"]
    assert notify.problems({"channels": {}}) == ["cloudops_notify.channels must be a list of channels"]


def test_enabled_needs_a_channel_and_not_false():
    assert notify.enabled({"channels": [SLACK]})
    assert not notify.enabled({"channels": []}) and not notify.enabled(None) and not notify.enabled({})
    assert not notify.enabled({"channels": [SLACK], "enabled": False})
    assert not notify.enabled({"channels": [SLACK], "enabled": "False"})


def test_defaults_and_selection():
    channels = [notify.channel_settings(c, {"timeout_seconds": 3}) for c in (SLACK, PAGER, MAIL)]
    assert channels[0]["events"] == ["start", "success", "failure"] and channels[0]["timeout_seconds"] == 3.0
    assert channels[1]["events"] == ["failure", "success"] and channels[1]["url"] == notify.PAGERDUTY_URL
    assert (channels[2]["port"], channels[2]["security"], channels[2]["to"]) == (587, "starttls", ["b@example.com"])
    assert [c["name"] for c in notify.selected(channels, "deploy", "start")] == ["ops-slack", "mail"]
    assert [c["name"] for c in notify.selected(channels, "deploy", "failure")] == ["ops-slack", "pager", "mail"]
    only = [notify.channel_settings(dict(PAGER, runbooks=["failover"]))]
    assert notify.selected(only, "deploy", "failure") == [] and notify.selected(only, "failover", "failure") == only


def test_end_event():
    assert notify.end_event("succeeded") == "success" and notify.end_event("check") == "success"
    assert notify.end_event("failed") == "failure" and notify.end_event("refused") == "failure"
    assert notify.end_event("succeeded", fail_message="service web rolled back") == "failure"
    assert notify.end_event(None, report_present=False) == "failure"


# -- the message -------------------------------------------------------------------------------------------------------
def test_a_drill_says_its_verdict_rto_rpo_and_where_the_report_is():
    message = notify.build_message("success", "failover_drill", "prod", run_id="failover_drill-prod-1",
                                   summary=DRILL_SUMMARY, report=DRILL_REPORT, report_path="/tmp/drill.json",
                                   report_link="https://awx/jobs/{run_id}", title="Failover drill")
    facts = dict(message["facts"])
    assert message["title"] == "[prod] Failover drill succeeded - passed" and message["severity"] == "info"
    assert facts["Verdict"] == "passed" and facts["RTO"] == "412 s (budget 900 s)"
    assert facts["RPO"] == "0 s (budget 60 s), 0 row(s) lost"
    assert facts["Report"] == "https://awx/jobs/failover_drill-prod-1 ; /srv/runs/failover_drill-prod-1 ; /tmp/drill.json"
    assert "Runbook: failover_drill" in message["text"] and "Environment: prod" in message["text"]


def test_a_failure_says_why_and_a_deploy_has_no_rto():
    message = notify.build_message("failure", "deploy", "staging", run_id="d-1",
                                   summary={"status": "failed", "outcome": "rolled_back", "run_dir": "runs/d-1"},
                                   report={"outcome": "rolled_back"}, error="web: smoke test failed; rolled back")
    facts = dict(message["facts"])
    assert message["title"] == "[staging] deploy FAILED" and message["severity"] == "critical"
    assert facts["Error"] == "web: smoke test failed; rolled back" and facts["Status"] == "failed"
    assert "RTO" not in facts and "Verdict" not in facts
    refused = notify.build_message("failure", "failover", "prod", summary={"status": "refused", "outcome": "refused"},
                                   error="lag over budget")
    assert refused["title"] == "[prod] failover REFUSED" and dict(refused["facts"])["Status"] == "refused"
    early = notify.build_message("failure", "deploy", "staging")
    assert dict(early["facts"])["Error"].startswith("the run failed before its report was built")


def test_start_and_check_mode():
    start = notify.build_message("start", "failover", "prod", run_id="f-1", summary=DRILL_SUMMARY)
    assert start["title"] == "[prod] failover started" and "Report" not in dict(start["facts"])
    check = notify.build_message("success", "deploy", "dev", summary={"status": "check"}, check_mode=True)
    assert dict(check["facts"])["Status"] == "check mode: predicted, nothing changed"


def test_a_failover_reports_its_estimated_rpo():
    report = {"outcome": "failed_over", "rto": {"seconds": 300, "budget_seconds": 900},
              "rpo": {"estimated_seconds": 4.5, "budget_seconds": 60}}
    facts = dict(notify.build_message("success", "failover", "prod", summary={"status": "succeeded"}, report=report)["facts"])
    assert facts["RPO"] == "4.5 s (budget 60 s)" and facts["Verdict"] == "failed_over"


# -- the payloads ------------------------------------------------------------------------------------------------------
MESSAGE = notify.build_message("failure", "failover_drill", "prod", run_id="r-1", summary=dict(DRILL_SUMMARY, status="failed"),
                               report=dict(DRILL_REPORT, outcome="over_budget"), error="RTO over budget")


def test_slack_and_teams_payloads():
    slack = notify.slack_payload(MESSAGE, dict(SLACK, channel="#ops"))
    assert slack["text"] == MESSAGE["title"] and slack["channel"] == "#ops"
    assert {"type": "mrkdwn", "text": "*Environment*\nprod"} in slack["blocks"][1]["fields"]
    assert all(len(b.get("fields", [])) <= 10 for b in slack["blocks"])
    odd = dict(MESSAGE, facts=[["Error", "<urlopen error [Errno 111]> & more"]])
    assert notify.slack_payload(odd, SLACK)["blocks"][1]["fields"][0]["text"] == "*Error*\n&lt;urlopen error [Errno 111]&gt; &amp; more"
    card = notify.teams_payload(MESSAGE)["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["body"][0]["text"] == MESSAGE["title"]
    assert {"title": "Error", "value": "RTO over budget"} in card["content"]["body"][1]["facts"]


def test_pagerduty_triggers_on_failure_and_resolves_on_success():
    event = notify.pagerduty_event(MESSAGE, notify.channel_settings(PAGER), source="awx")
    assert event["event_action"] == "trigger" and event["dedup_key"] == "cloudops/prod/failover_drill"
    assert (event["payload"]["severity"], event["payload"]["source"], event["payload"]["group"]) == ("critical", "awx", "prod")
    assert "routing_key" not in event
    success = notify.build_message("success", "failover_drill", "prod", summary=DRILL_SUMMARY, report=DRILL_REPORT)
    assert notify.pagerduty_event(success, PAGER) == {"event_action": "resolve", "dedup_key": "cloudops/prod/failover_drill"}


def test_sns_and_email():
    params = notify.sns_params(MESSAGE, SNS)
    assert params["TopicArn"] == SNS["topic_arn"] and len(params["Subject"]) <= 100 and params["Message"] == MESSAGE["text"]
    assert params["MessageAttributes"]["event"] == {"DataType": "String", "StringValue": "failure"}
    assert notify.sns_params(dict(MESSAGE, title="[pr\u00f6d] x\ny"), SNS)["Subject"] == "[pr?d] xy"
    subject, body = notify.email_content(MESSAGE)
    assert subject == MESSAGE["title"] and "Error: RTO over budget" in body


def test_scrub_removes_secrets_and_webhook_paths():
    secrets = notify.secrets_of([SLACK, PAGER])
    text = "POST %s failed; key R0UTINGKEY0123; path services/T1/B2/s3cr3tpath" % SLACK["webhook_url"]
    scrubbed = notify.scrub(text, secrets)
    assert "s3cr3tpath" not in scrubbed and "R0UTINGKEY0123" not in scrubbed and "********" in scrubbed


# -- sending -----------------------------------------------------------------------------------------------------------
@pytest.fixture
def http_receiver():
    got = []

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):
            pass

        def do_POST(self):  # noqa: N802
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            got.append((self.path, body))
            code = int(self.path.split("/")[2]) if self.path.startswith("/status/") else 200
            if self.path.startswith("/slow/"):
                time.sleep(1.0)
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield "http://127.0.0.1:%d" % server.server_address[1], got
    server.shutdown()
    server.server_close()


def _closed_port():
    import socket
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_a_round_reports_each_channel_and_never_raises(http_receiver):
    url, got = http_receiver
    channels = [notify.channel_settings(c, {"timeout_seconds": 5}) for c in (
        {"name": "good", "type": "slack", "webhook_url": url + "/slack/T/B/goodsecret"},
        {"name": "teams-500", "type": "teams", "webhook_url": url + "/status/500/teams/badsecret"},
        {"name": "down", "type": "slack", "webhook_url": "http://127.0.0.1:%d/x/downsecret" % _closed_port()},
        {"name": "pager", "type": "pagerduty", "routing_key": "RKEY-123456", "url": url + "/v2/enqueue"},
    )]
    results = notify_send.send_all(MESSAGE, channels, {"module": None, "source": "test"})
    assert [(r["name"], r["ok"]) for r in results] == [("good", True), ("teams-500", False), ("down", False), ("pager", True)]
    assert results[1]["detail"].startswith("HTTP 500") and results[2]["detail"].startswith("cannot reach the receiver")
    assert not any(secret in json.dumps(results) for secret in ("goodsecret", "badsecret", "downsecret", "RKEY-123456"))
    paths = dict(got)
    assert paths["/slack/T/B/goodsecret"]["text"] == MESSAGE["title"]
    assert paths["/v2/enqueue"]["routing_key"] == "RKEY-123456" and paths["/v2/enqueue"]["event_action"] == "trigger"
    summary, warnings = notify.summary_of(results)
    assert (summary["sent"], summary["failed"]) == (2, 2) and warnings[0].startswith("notification teams-500 (teams) failed: HTTP 500")


def test_channels_are_sent_side_by_side(http_receiver):
    url, got = http_receiver
    channels = [notify.channel_settings({"name": "s%d" % i, "type": "slack", "webhook_url": url + "/slow/%d" % i}) for i in range(4)]
    started = time.monotonic()
    results = notify_send.send_all(MESSAGE, channels, {"module": None})
    assert all(r["ok"] for r in results) and time.monotonic() - started < 3.0  # 4 x 1 s one after the other would be 4 s


def test_a_sender_that_raises_is_a_failed_channel():
    def broken(message, channel, context):
        raise RuntimeError("boom with %s" % channel["webhook_url"])
    channel = notify.channel_settings({"name": "x", "type": "slack", "webhook_url": "https://h/secretpath"})
    [result] = notify_send.send_all(MESSAGE, [channel], {}, senders={"slack": broken})
    assert result["ok"] is False and "RuntimeError: boom" in result["detail"] and "secretpath" not in result["detail"]


def test_email_through_a_loopback_smtp_server():
    aiosmtpd = pytest.importorskip("aiosmtpd.controller")
    from aiosmtpd.smtp import AuthResult, LoginPassword
    mails = []

    class Handler:
        async def handle_DATA(self, server, session, envelope):  # noqa: N802
            mails.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content.decode()))
            return "250 OK"

    def auth(server, session, envelope, mechanism, data):
        return AuthResult(success=isinstance(data, LoginPassword) and data.password == b"pw-secret", handled=False)

    port = _closed_port()
    controller = aiosmtpd.Controller(Handler(), hostname="127.0.0.1", port=port, authenticator=auth,
                                     auth_require_tls=False, auth_exclude_mechanism=["LOGIN"])
    controller.start()
    try:
        base = {"name": "mail", "type": "email", "host": "127.0.0.1", "port": port, "security": "none",
                "sender": "cloudops@x", "to": ["oncall@x", "sre@x"], "username": "u"}
        good = notify.channel_settings(dict(base, password="pw-secret"))
        bad = notify.channel_settings(dict(base, name="bad", password="wrong-secret"))
        tls = notify.channel_settings(dict(base, name="tls", security="starttls", password="pw-secret"))
        results = notify_send.send_all(MESSAGE, [good, bad, tls], {})
    finally:
        controller.stop()
    assert results[0] == {"name": "mail", "type": "email", "ok": True, "detail": "sent to 2 recipient(s)"}
    assert results[1]["ok"] is False and "SMTP login refused" in results[1]["detail"]
    assert results[2]["ok"] is False and "STARTTLS" in results[2]["detail"]
    assert len(mails) == 1 and mails[0][0] == "cloudops@x" and mails[0][1] == ["oncall@x", "sre@x"]
    assert "Subject: [prod] failover_drill FAILED - over_budget" in mails[0][2]
    assert not any("secret" in r["detail"] for r in results)


def test_an_unreachable_smtp_server_is_a_result():
    channel = notify.channel_settings({"name": "m", "type": "email", "host": "127.0.0.1", "port": _closed_port(),
                                       "security": "none", "sender": "a@x", "to": ["b@x"], "timeout_seconds": 2})
    [result] = notify_send.send_all(MESSAGE, [channel], {})
    assert result["ok"] is False and result["detail"].startswith("cannot send the email through 127.0.0.1:")


def test_smtplib_is_the_transport():
    assert notify_send.smtplib is smtplib
