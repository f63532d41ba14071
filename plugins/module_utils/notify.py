# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Runbook notifications, apart from any call: the declaration (cloudops_notify) checked, which channels hear of an
event, the message (runbook, environment, outcome; verdict, RTO, RPO and the report where the run measured them)
and each channel's payload (Slack and Teams webhooks, PagerDuty Events v2, email, SNS).

The sending is module_utils/notify_send.py; the module is cloudops.runbooks.runbook_notify, called by the runbook
frame (roles/runbook: start in lock.yml, success/failure in close.yml).
"""

from __future__ import annotations

import re

VARIABLE = "cloudops_notify"
EVENTS = ("start", "success", "failure")
TYPES = ("slack", "teams", "email", "sns", "pagerduty")
# What each type needs (besides name and type), and what each may have. Secrets are never printed: the module
# declares them no_log, and every text a channel reports is scrubbed of them (scrub()).
REQUIRED = {
    "slack": ("webhook_url",),
    "teams": ("webhook_url",),
    "email": ("host", "sender", "to"),
    "sns": ("topic_arn",),
    "pagerduty": ("routing_key",),
}
OPTIONAL = {
    "slack": ("channel", "username"),
    "teams": (),
    "email": ("port", "security", "username", "password"),
    "sns": ("region",),
    "pagerduty": ("url", "severity"),
}
COMMON = ("name", "type", "events", "runbooks", "timeout_seconds")
SECRETS = ("webhook_url", "routing_key", "password")
SECURITY = ("starttls", "ssl", "none")
SEVERITIES = ("critical", "error", "warning", "info")
PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
DEFAULT_TIMEOUT = 10
# Who hears of what when a channel does not say: a pager only of failures (and the next success resolves the
# incident), the chat rooms and the mail of everything.
DEFAULT_EVENTS = {"pagerduty": ["failure", "success"]}
TOP_KEYS = ("enabled", "channels", "source", "report_link", "timeout_seconds")
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
_FAILED_STATUSES = ("failed", "refused")


def _is_list_of_str(value):
    return isinstance(value, list) and all(isinstance(v, str) and v for v in value)


def problems(declaration):
    """What is wrong with a cloudops_notify declaration, each naming the variable; [] when it can be used.

    None or {} is no declaration (notifications off)."""
    if declaration in (None, "", {}):
        return []
    if not isinstance(declaration, dict):
        return ["%s must be a mapping (enabled, channels, source, report_link, timeout_seconds), got %s"
                % (VARIABLE, type(declaration).__name__)]
    found = ["%s.%s is not a setting (expected one of: %s)" % (VARIABLE, key, ", ".join(TOP_KEYS))
             for key in sorted(declaration) if key not in TOP_KEYS]
    if "enabled" in declaration and not isinstance(declaration["enabled"], bool) and \
            str(declaration["enabled"]).lower() not in ("true", "false", "yes", "no", "1", "0", ""):
        found.append("%s.enabled must be true or false" % VARIABLE)
    timeout = declaration.get("timeout_seconds", DEFAULT_TIMEOUT)
    if not _positive_number(timeout):
        found.append("%s.timeout_seconds must be a positive number of seconds" % VARIABLE)
    if "report_link" in declaration and not isinstance(declaration["report_link"], str):
        found.append("%s.report_link must be a string (a URL; {run_id} and {environment} are filled in)" % VARIABLE)
    channels = declaration.get("channels", [])
    if not isinstance(channels, list):
        return found + ["%s.channels must be a list of channels" % VARIABLE]
    names = set()
    for index, channel in enumerate(channels):
        found.extend(_channel_problems(index, channel, names))
    return found


def _positive_number(value):
    try:
        return float(value) > 0 and not isinstance(value, bool)
    except (TypeError, ValueError):
        return False


def _channel_problems(index, channel, names):
    where = "%s.channels[%d]" % (VARIABLE, index)
    if not isinstance(channel, dict):
        return ["%s must be a mapping with name and type" % where]
    found = []
    name, kind = channel.get("name"), channel.get("type")
    if not isinstance(name, str) or not _NAME.match(name):
        found.append("%s.name must be a short name (letters, digits, '.', '_', '-')" % where)
    else:
        where = "%s (%s)" % (where, name)
        if name in names:
            found.append("%s: the name is used by another channel" % where)
        names.add(name)
    if kind not in TYPES:
        return found + ["%s.type must be one of: %s" % (where, ", ".join(TYPES))]
    allowed = set(COMMON) | set(REQUIRED[kind]) | set(OPTIONAL[kind])
    found.extend("%s.%s is not a setting of a %s channel (expected: %s)" % (where, key, kind, ", ".join(sorted(allowed)))
                 for key in sorted(channel) if key not in allowed)
    found.extend("%s.%s is required for a %s channel" % (where, key, kind)
                 for key in REQUIRED[kind] if channel.get(key) in (None, "", []))
    events = channel.get("events", DEFAULT_EVENTS.get(kind, list(EVENTS)))
    if not _is_list_of_str(events) or not events or any(e not in EVENTS for e in events):
        found.append("%s.events must be a list of: %s" % (where, ", ".join(EVENTS)))
    if "runbooks" in channel and not _is_list_of_str(channel["runbooks"]):
        found.append("%s.runbooks must be a list of runbook names (e.g. [deploy, failover, failover_drill])" % where)
    if "timeout_seconds" in channel and not _positive_number(channel["timeout_seconds"]):
        found.append("%s.timeout_seconds must be a positive number of seconds" % where)
    for key in ("webhook_url", "url"):
        value = channel.get(key)
        if isinstance(value, str) and value and not value.startswith(("https://", "http://")):
            # the value itself may be a secret: never repeat it
            found.append("%s.%s must be an http(s) URL" % (where, key))
    if kind == "email":
        if "to" in channel and not (_is_list_of_str(channel["to"]) or (isinstance(channel["to"], str) and channel["to"])):
            found.append("%s.to must be an address or a list of addresses" % where)
        if channel.get("security", "starttls") not in SECURITY:
            found.append("%s.security must be one of: %s" % (where, ", ".join(SECURITY)))
        if "port" in channel:
            try:
                if not 0 < int(channel["port"]) < 65536:
                    raise ValueError
            except (TypeError, ValueError):
                found.append("%s.port must be a TCP port" % where)
        if bool(channel.get("username")) != bool(channel.get("password")):
            found.append("%s: username and password go together" % where)
    if kind == "sns" and isinstance(channel.get("topic_arn"), str) and channel["topic_arn"] \
            and not channel["topic_arn"].startswith("arn:"):
        found.append("%s.topic_arn must be an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)" % where)
    if kind == "pagerduty" and channel.get("severity", "critical") not in SEVERITIES:
        found.append("%s.severity must be one of: %s" % (where, ", ".join(SEVERITIES)))
    return found


def enabled(declaration):
    """Whether the declaration turns notifications on: a channel at least, and enabled not false."""
    if not isinstance(declaration, dict) or not declaration.get("channels"):
        return False
    flag = declaration.get("enabled", True)
    return flag if isinstance(flag, bool) else str(flag).lower() in ("true", "yes", "1")


def channel_settings(channel, declaration=None):
    """A channel with its defaults filled in (events, runbooks, timeout, port, security, url, severity)."""
    declaration = declaration or {}
    kind = channel["type"]
    out = dict(channel)
    out.setdefault("events", list(DEFAULT_EVENTS.get(kind, EVENTS)))
    out.setdefault("runbooks", [])
    out["timeout_seconds"] = float(channel.get("timeout_seconds", declaration.get("timeout_seconds", DEFAULT_TIMEOUT)))
    if kind == "email":
        out.setdefault("security", "starttls")
        out["port"] = int(channel.get("port") or {"ssl": 465, "starttls": 587, "none": 25}[out["security"]])
        out["to"] = [channel["to"]] if isinstance(channel["to"], str) else list(channel["to"])
    if kind == "pagerduty":
        out.setdefault("url", PAGERDUTY_URL)
        out.setdefault("severity", "critical")
    return out


def selected(channels, runbook, event):
    """The channels (with their defaults) that hear of this runbook's event, in declaration order."""
    return [c for c in channels if event in c["events"] and (not c["runbooks"] or runbook in c["runbooks"])]


def end_event(status, fail_message="", report_present=True):
    """success or failure, for the end of a run: its summary status (failed/refused), a fail message, or no report
    (the run failed before building it)."""
    if not report_present or fail_message or status in _FAILED_STATUSES:
        return "failure"
    return "success"


def _dig(node, *keys):
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _seconds(value):
    if value is None:
        return None
    return ("%.1f" % value).rstrip("0").rstrip(".") if isinstance(value, float) else str(value)


def measured(report, summary=None):
    """The verdict, RTO and RPO a run measured (drill, failover, failback...), {} when it measured none."""
    report = report if isinstance(report, dict) else {}
    summary = summary if isinstance(summary, dict) else {}
    rto, rpo = report.get("rto"), report.get("rpo")
    if not isinstance(rto, dict) and not isinstance(rpo, dict) and summary.get("rto_seconds") is None:
        return {}
    out = {"verdict": report.get("outcome") or summary.get("outcome")}
    rto_seconds = _dig(rto, "seconds") if isinstance(rto, dict) else summary.get("rto_seconds")
    rpo_seconds = None
    if isinstance(rpo, dict):
        rpo_seconds = rpo.get("seconds", rpo.get("estimated_seconds"))
    if rpo_seconds is None:
        rpo_seconds = summary.get("rpo_seconds")
    out["rto_seconds"], out["rto_budget_seconds"] = rto_seconds, _dig(rto, "budget_seconds")
    out["rpo_seconds"], out["rpo_budget_seconds"] = rpo_seconds, _dig(rpo, "budget_seconds")
    out["rpo_rows"] = _dig(rpo, "rows") if _dig(rpo, "rows") is not None else summary.get("rpo_rows")
    return out


def _with_budget(seconds, budget):
    if seconds is None:
        return "not measured"
    text = "%s s" % _seconds(seconds)
    return text + (" (budget %s s)" % _seconds(budget) if budget is not None else "")


def build_message(event, runbook, environment, run_id="", summary=None, report=None, error="", report_path="",
                  report_link="", check_mode=False, title=""):
    """What every channel says of one event: title, severity, the facts (label, value) in order, and the text."""
    summary = summary if isinstance(summary, dict) else {}
    name = title or runbook
    status = {"start": "started", "success": summary.get("status") or "succeeded",
              "failure": summary.get("status") if summary.get("status") in _FAILED_STATUSES else "failed"}[event]
    if check_mode and event != "failure":
        status = "check mode: " + ("started" if event == "start" else "predicted, nothing changed")
    facts = [("Runbook", runbook), ("Environment", environment), ("Run", run_id or None), ("Status", status)]
    outcome = summary.get("outcome")
    if event != "start" and outcome not in (None, ""):
        facts.append(("Outcome", str(outcome)))
    found = measured(report, summary) if event != "start" else {}
    if found:
        facts.append(("Verdict", str(found.get("verdict"))))
        facts.append(("RTO", _with_budget(found["rto_seconds"], found["rto_budget_seconds"])))
        rpo = _with_budget(found["rpo_seconds"], found["rpo_budget_seconds"])
        if found.get("rpo_rows") is not None:
            rpo += ", %s row(s) lost" % found["rpo_rows"]
        facts.append(("RPO", rpo))
    if event == "failure":
        facts.append(("Error", error or "the run failed before its report was built: see the run's output"))
    where = []
    if report_link:
        where.append(report_link.replace("{run_id}", run_id or "").replace("{environment}", environment or ""))
    if event != "start" and summary.get("run_dir"):
        where.append(str(summary["run_dir"]))
    if event != "start" and report_path:
        where.append(str(report_path))
    if where:
        facts.append(("Report", " ; ".join(where)))
    facts = [(label, value) for label, value in facts if value not in (None, "")]
    word = {"start": "started", "success": "succeeded", "failure": "REFUSED" if status == "refused" else "FAILED"}[event]
    headline = "[%s] %s %s" % (environment, name, word)
    if event == "success" and status not in ("succeeded",):
        headline = "[%s] %s: %s" % (environment, name, status)
    if found and event != "start" and found.get("verdict"):
        headline += " - %s" % found["verdict"]
    return {
        "event": event,
        "runbook": runbook,
        "environment": environment,
        "run_id": run_id,
        "status": status,
        "title": headline,
        "severity": "critical" if event == "failure" else "info",
        "facts": [[label, str(value)] for label, value in facts],
        "text": "\n".join([headline, ""] + ["%s: %s" % (label, value) for label, value in facts]),
    }


# -- payloads ----------------------------------------------------------------------------------------------------------
def slack_escape(text):
    """Slack's three control characters escaped (an error text such as `<Errno 111 ...>` would be read as a link)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(message, channel):
    """A Slack incoming-webhook body: the text (what notifications and old clients show) and blocks."""
    fields = [{"type": "mrkdwn", "text": "*%s*\n%s" % (label, slack_escape(value))} for label, value in message["facts"]]
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "*%s*" % slack_escape(message["title"])}}]
    for start in range(0, len(fields), 10):  # Slack takes at most 10 fields per section
        blocks.append({"type": "section", "fields": fields[start:start + 10]})
    body = {"text": slack_escape(message["title"]), "blocks": blocks}
    for key in ("channel", "username"):
        if channel.get(key):
            body[key] = channel[key]
    return body


def teams_payload(message):
    """A Microsoft Teams webhook body (Workflows and the older connectors): one Adaptive Card with a FactSet."""
    return {
        "type": "message",
        "summary": message["title"],
        "attachments": [{
            "contentType": "application/vnd.microsoft.card.adaptive",
            "contentUrl": None,
            "content": {
                "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                "type": "AdaptiveCard",
                "version": "1.4",
                "body": [
                    {"type": "TextBlock", "text": message["title"], "weight": "Bolder", "size": "Medium", "wrap": True,
                     "color": "Attention" if message["event"] == "failure" else "Default"},
                    {"type": "FactSet", "facts": [{"title": label, "value": value} for label, value in message["facts"]]},
                ],
            },
        }],
    }


def dedup_key(message):
    """One incident per environment and runbook: a failure triggers it, the next success resolves it."""
    return "cloudops/%s/%s" % (message["environment"], message["runbook"])


def pagerduty_event(message, channel, source="cloudops.runbooks"):
    """A PagerDuty Events API v2 event (without the routing key, which the sender adds): trigger on a failure (or a
    start, when a channel asks for starts: severity info), resolve on a success."""
    action = "resolve" if message["event"] == "success" else "trigger"
    event = {"event_action": action, "dedup_key": dedup_key(message)}
    if action == "trigger":
        event["payload"] = {
            "summary": message["title"][:1024],
            "source": source or "cloudops.runbooks",
            "severity": channel.get("severity", "critical") if message["event"] == "failure" else "info",
            "component": message["runbook"],
            "group": message["environment"],
            "class": "runbook",
            "custom_details": dict((label, value) for label, value in message["facts"]),
        }
    return event


def email_content(message):
    """(subject, body) of the email."""
    return message["title"][:200], message["text"] + "\n"


def sns_params(message, channel):
    """The SNS Publish parameters: a subject (at most 100 characters), the text, attributes for filter policies."""
    # SNS takes an ASCII subject of at most 100 characters without control characters.
    subject = "".join(ch for ch in message["title"] if ch.isprintable()).encode("ascii", "replace").decode("ascii")[:100]
    return {
        "TopicArn": channel["topic_arn"],
        "Subject": subject,
        "Message": message["text"],
        "MessageAttributes": dict((key, {"DataType": "String", "StringValue": str(message[key])})
                                  for key in ("event", "runbook", "environment") if message.get(key)),
    }


# -- results -----------------------------------------------------------------------------------------------------------
def secrets_of(channels):
    return [str(c[key]) for c in channels for key in SECRETS if c.get(key)]


def scrub(text, secrets):
    """text with every secret (and a webhook URL's path, which is its secret) replaced by ********."""
    text = str(text)
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, "********")
        if secret.startswith(("http://", "https://")):
            path = secret.split("/", 3)[-1] if secret.count("/") >= 3 else ""
            if len(path) > 3:
                text = text.replace(path, "********")
    return text


def summary_of(results):
    """What the report keeps of a round: {sent, failed, channels: [{name, type, ok, detail}]} and the warning lines."""
    sent = [r for r in results if r["ok"]]
    failed = [r for r in results if not r["ok"]]
    warnings = ["notification %s (%s) failed: %s" % (r["name"], r["type"], r["detail"]) for r in failed]
    return {"sent": len(sent), "failed": len(failed), "channels": results}, warnings
