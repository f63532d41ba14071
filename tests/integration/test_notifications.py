# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Notifications (cloudops_notify, module runbook_notify, the runbook frame's start and end) end to end: real
ansible-playbook runs on a private sandbox, real receivers on loopback - an HTTP recorder for the Slack, Teams and
PagerDuty payloads, an SMTP server (aiosmtpd), SNS on the sandbox's moto (read back through a subscribed SQS queue).
The sandbox inventory's declaration (inventories/sandbox/group_vars/all/notify.yml) is what is used, turned on by the
receivers' environment variables."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BIN, REPO, ansible_env, flat, ok, sandbox_cli

if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
from sandbox import receivers as rx  # noqa: E402  (the repository's sandbox package, after the path)

SECRETS = ("sandbox-slack-secret", "sandbox-teams-secret", "sandbox-routing-key-0123456789abcdef", "sandbox-smtp-secret")


@pytest.fixture(scope="module")
def receivers(tmp_path_factory):
    with rx.Receivers(tmp_path_factory.mktemp("receivers")) as running:
        yield running


class Notified(object):
    """Runs a playbook with the receivers on, and reads back what each channel got."""

    def __init__(self, sandbox, collections_path, receivers, tmp_path):
        self.sandbox, self.collections_path, self.rx, self.tmp_path = sandbox, collections_path, receivers, tmp_path
        for log in (receivers.http_log, receivers.smtp_log):
            log.path.write_text("")
        self.sns = rx.sns_topic(sandbox["env"])  # again after a reset of the sandbox
        rx.published(self.sns["queue_url"], sandbox["env"])  # drained

    def run(self, playbook, extra_vars=None, receivers_on=True, verbose=True):
        env = dict(self.sandbox["env"], **(self.rx.env() if receivers_on else {}))
        env["CLOUDOPS_NOTIFY_SNS_TOPIC"] = self.sns["topic_arn"]
        args = [str(BIN / "ansible-playbook"), playbook, "-i", "inventories/sandbox",
                "-e", json.dumps(dict({"drill_report_path": str(self.tmp_path / "drill.json")}, **(extra_vars or {})))]
        return subprocess.run(args + (["-v"] if verbose else []), cwd=REPO, capture_output=True, text=True, timeout=600,
                              env=ansible_env(self.collections_path, env))

    def http(self, prefix):
        return [r["body"] for r in self.rx.http_requests() if r["path"].startswith(prefix)]

    def mails(self):
        return self.rx.mails()

    def sns_messages(self):
        return rx.published(self.sns["queue_url"], self.sandbox["env"])


@pytest.fixture
def notified(sandbox, collections_path, receivers, tmp_path):
    return Notified(sandbox, collections_path, receivers, tmp_path)


@pytest.fixture
def notified_fresh(fresh_sandbox, collections_path, receivers, tmp_path):
    return Notified(fresh_sandbox, collections_path, receivers, tmp_path)


def facts_of_slack(body):
    return dict(f["text"][1:].split("*\n", 1) for block in body["blocks"][1:] for f in block["fields"])


def facts_of_teams(body):
    card = body["attachments"][0]["content"]
    return card["body"][0]["text"], dict((f["title"], f["value"]) for f in card["body"][1]["facts"])


def notify_seconds(value):
    return ("%.1f" % value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def no_secret_in(proc):
    for secret in SECRETS:
        assert secret not in proc.stdout and secret not in proc.stderr, "%s printed" % secret


def test_every_channel_hears_of_a_status_run_and_the_summary_says_so(notified):
    proc = notified.run("playbooks/status.yml")
    ok(proc)
    no_secret_in(proc)

    [slack] = notified.http("/slack/services/T0SANDBOX/B0SANDBOX/")  # status takes no lock: its end only
    assert slack["text"] == "[sandbox] Status succeeded"
    facts = facts_of_slack(slack)
    assert (facts["Runbook"], facts["Environment"], facts["Status"], facts["Outcome"]) == ("status", "sandbox", "succeeded", "collected")
    run_dir = Path(facts["Report"])
    [teams] = notified.http("/teams/")
    title, teams_facts = facts_of_teams(teams)
    assert title == slack["text"] and teams_facts == facts
    assert notified.http("/pagerduty/") == []  # the pager hears only of the runbooks it names, status is not one
    [mail] = notified.mails()
    assert (mail["subject"], mail["rcpt_tos"], mail["auth_user"]) == (slack["text"], ["oncall@sandbox.internal"], "cloudops")
    assert "Environment: sandbox" in mail["body"] and "Runbook: status" in mail["body"]
    [sns] = notified.sns_messages()
    assert sns["Subject"] == slack["text"][:100] and "Runbook: status" in sns["Message"]
    assert sns["MessageAttributes"]["event"]["Value"] == "success"

    summary = json.loads((run_dir / "report.json").read_text())["summary"]
    assert summary["notifications"]["sent"] == 4 and summary["notifications"]["failed"] == 0
    assert sorted(c["name"] for c in summary["notifications"]["channels"]) == ["oncall-mail", "ops-slack", "ops-sns", "ops-teams"]


def test_failing_channels_are_reported_and_never_fail_the_run(notified):
    http = notified.rx.http_address
    broken = {"timeout_seconds": 5, "channels": [
        {"name": "slack-down", "type": "slack", "webhook_url": "http://127.0.0.1:%d/services/T/B/sandbox-slack-secret" % rx.free_port()},
        {"name": "teams-500", "type": "teams", "webhook_url": "http://%s/status/500/sandbox-teams-secret" % http},
        {"name": "mail-badpw", "type": "email", "host": "127.0.0.1", "port": int(notified.rx.smtp_address.split(":")[1]),
         "security": "none", "sender": "a@sandbox.internal", "to": ["b@sandbox.internal"], "username": "cloudops",
         "password": "sandbox-smtp-secret-but-wrong"},
        {"name": "sns-missing", "type": "sns", "topic_arn": "arn:aws:sns:us-east-1:123456789012:no-such-topic"},
        {"name": "slack-ok", "type": "slack", "webhook_url": "http://%s/slack/ok/sandbox-slack-secret" % http},
    ]}
    proc = notified.run("playbooks/status.yml", extra_vars={"cloudops_notify": broken})
    ok(proc)
    no_secret_in(proc)
    out = flat(proc.stdout + proc.stderr)
    assert "notification slack-down (slack) failed: cannot reach the receiver" in out
    assert "notification teams-500 (teams) failed: HTTP 500" in out
    assert "notification mail-badpw (email) failed: SMTP login refused (535)" in out
    assert "notification sns-missing (sns) failed: SNS NotFound" in out
    assert len(notified.http("/slack/ok/")) == 1 and notified.mails() == []


def test_a_drill_tells_its_start_verdict_rto_rpo_and_report(notified_fresh):
    proc = notified_fresh.run("playbooks/failover_drill.yml", verbose=False)
    ok(proc)
    no_secret_in(proc)
    start, end = notified_fresh.http("/slack/services/")
    assert start["text"] == "[sandbox] Failover drill started"
    assert "Verdict" not in facts_of_slack(start) and facts_of_slack(start)["Status"] == "started"
    facts = facts_of_slack(end)
    report = json.loads((notified_fresh.tmp_path / "drill.json").read_text())
    assert end["text"] == "[sandbox] Failover drill succeeded - passed" and facts["Verdict"] == "passed"
    assert facts["RTO"] == "%s s (budget 900 s)" % notify_seconds(report["rto"]["seconds"])
    assert facts["RPO"] == "%s s (budget 60 s), %s row(s) lost" % (notify_seconds(report["rpo"]["seconds"]), report["rpo"]["rows"])
    assert str(notified_fresh.tmp_path / "drill.json") in facts["Report"] and report["run_id"] in facts["Report"]
    [pager] = notified_fresh.http("/pagerduty/")  # success only: it resolves the drill's incident, if any
    assert pager == {"event_action": "resolve", "dedup_key": "cloudops/sandbox/failover_drill",
                     "routing_key": "sandbox-routing-key-0123456789abcdef"}
    assert [m["subject"] for m in notified_fresh.mails()] == [start["text"], end["text"]]
    assert [m["MessageAttributes"]["event"]["Value"] for m in notified_fresh.sns_messages()] == ["start", "success"]


def test_a_refused_drill_tells_its_failure_and_pages(notified_fresh):
    sandbox_cli(notified_fresh.sandbox["state"], "knob", "replica-lag", "--seconds", "300")
    proc = notified_fresh.run("playbooks/failover_drill.yml", verbose=False)
    assert proc.returncode != 0
    no_secret_in(proc)
    bodies = notified_fresh.http("/slack/services/")
    assert [b["text"] for b in bodies] == ["[sandbox] Failover drill started", "[sandbox] Failover drill FAILED"]
    assert "Error" in facts_of_slack(bodies[-1])
    [pager] = notified_fresh.http("/pagerduty/")
    assert pager["event_action"] == "trigger" and pager["dedup_key"] == "cloudops/sandbox/failover_drill"
    assert (pager["payload"]["severity"], pager["payload"]["group"]) == ("critical", "sandbox")


def test_a_bad_declaration_is_refused_before_any_call(notified):
    pager = {"name": "pager", "type": "pagerduty", "routing_key": "sandbox-routing-key-0123456789abcdef", "events": ["panic"]}
    bad = {"channels": [{"name": "ops", "type": "slack"}, pager]}
    proc = notified.run("playbooks/status.yml", extra_vars={"cloudops_notify": bad})
    assert proc.returncode != 0
    out = flat(proc.stdout)
    assert "cloudops_notify.channels[0] (ops).webhook_url is required for a slack channel" in out
    assert "cloudops_notify.channels[1] (pager).events must be a list of: start, success, failure" in out
    assert "Collect the status" not in out  # refused before the status was read
    no_secret_in(proc)
    assert notified.rx.http_requests() == []


def test_without_receivers_the_declaration_is_off_and_costs_no_module(notified):
    proc = notified.run("playbooks/status.yml", receivers_on=False, verbose=False)
    ok(proc)
    assert notified.rx.http_requests() == [] and notified.mails() == [] and notified.sns_messages() == []
    assert "runbook_notify" not in proc.stdout
    out = flat(proc.stdout)
    assert "Notify | the end of the run to the environment's channels] *" in out and "skipping: [localhost]" in out
