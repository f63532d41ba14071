# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Sending one notification round: every channel side by side (one thread each, one module process in all), each
with its own timeout. A channel that fails gives a result saying why (HTTP status, connection refused, SMTP or AWS
error), scrubbed of the channel's secrets; it never raises. The payloads are module_utils/notify.py's.
"""

from __future__ import annotations

import json
import smtplib
import socket
import ssl
from concurrent.futures import ThreadPoolExecutor
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from ansible.module_utils.six.moves.urllib.error import HTTPError, URLError
from ansible.module_utils.urls import open_url

from ansible_collections.cloudops.runbooks.plugins.module_utils import notify

try:
    import botocore.exceptions
except ImportError:
    pass  # AnsibleAWSModule reports the missing dependency

SNS_RETRIES = 3       # a notification may not hold the runbook for the collection's full AWS retry budget
SNS_MAX_DELAY = 2.0


def post_json(url, body, timeout, expect=(200, 201, 202, 204)):
    """POST a JSON body; (ok, detail). HTTP errors and unreachable receivers are results, not exceptions."""
    try:
        response = open_url(url, data=json.dumps(body).encode("utf-8"), method="POST", timeout=timeout,
                            headers={"Content-Type": "application/json"}, validate_certs=True, follow_redirects="safe")
        status = response.getcode()
        text = response.read(2048).decode("utf-8", "replace").strip()
    except HTTPError as e:
        detail = ""
        try:
            detail = e.read(300).decode("utf-8", "replace").strip()
        except Exception:  # pylint: disable=broad-except
            pass
        return False, "HTTP %s%s" % (e.code, (": " + detail) if detail else "")
    except URLError as e:
        return False, "cannot reach the receiver: %s" % (getattr(e, "reason", None) or e)
    except (socket.timeout, TimeoutError):
        return False, "no answer within %s s" % timeout
    except (OSError, ValueError) as e:
        return False, "cannot send: %s" % e
    if status not in expect:
        return False, "HTTP %s: %s" % (status, text[:300])
    return True, "HTTP %s" % status


def send_slack(message, channel, context):
    return post_json(channel["webhook_url"], notify.slack_payload(message, channel), channel["timeout_seconds"])


def send_teams(message, channel, context):
    return post_json(channel["webhook_url"], notify.teams_payload(message), channel["timeout_seconds"])


def send_pagerduty(message, channel, context):
    event = notify.pagerduty_event(message, channel, source=context.get("source"))
    event["routing_key"] = channel["routing_key"]
    return post_json(channel["url"], event, channel["timeout_seconds"], expect=(200, 201, 202))


def send_email(message, channel, context):
    subject, body = notify.email_content(message)
    mail = EmailMessage()
    mail["Subject"] = subject
    mail["From"] = channel["sender"]
    mail["To"] = ", ".join(channel["to"])
    mail["Date"] = formatdate(localtime=False, usegmt=True)
    mail["Message-ID"] = make_msgid(domain="cloudops.runbooks")
    mail["X-Cloudops-Event"] = message["event"]
    mail.set_content(body)
    timeout = channel["timeout_seconds"]
    try:
        if channel["security"] == "ssl":
            server = smtplib.SMTP_SSL(channel["host"], channel["port"], timeout=timeout, context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(channel["host"], channel["port"], timeout=timeout)
        try:
            if channel["security"] == "starttls":
                server.starttls(context=ssl.create_default_context())
            if channel.get("username"):
                server.login(channel["username"], channel["password"])
            refused = server.send_message(mail)
        finally:
            try:
                server.quit()
            except (smtplib.SMTPException, OSError):
                pass
    except smtplib.SMTPAuthenticationError as e:
        return False, "SMTP login refused (%s): check the channel's username and password" % e.smtp_code
    except smtplib.SMTPNotSupportedError:
        return False, "the SMTP server does not offer STARTTLS: set security (ssl, or none on a trusted network)"
    except smtplib.SMTPResponseException as e:
        return False, "SMTP %s: %s" % (e.smtp_code, e.smtp_error.decode("utf-8", "replace") if isinstance(e.smtp_error, bytes) else e.smtp_error)
    except smtplib.SMTPRecipientsRefused as e:
        return False, "every recipient refused: %s" % ", ".join(sorted(e.recipients))
    except (smtplib.SMTPException, OSError, ssl.SSLError) as e:
        return False, "cannot send the email through %s:%s: %s" % (channel["host"], channel["port"], e)
    if refused:
        return False, "refused for %s (sent to the others)" % ", ".join(sorted(refused))
    return True, "sent to %d recipient(s)" % len(channel["to"])


def send_sns(message, channel, context):
    module = context["module"]
    if module is None:
        return False, "SNS needs the AWS module context"
    from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import common
    from ansible_collections.cloudops.runbooks.plugins.module_utils.threads import WorkerFailed, WorkerModule

    region = channel.get("region") or channel["topic_arn"].split(":")[3] or None
    timeout = channel["timeout_seconds"]
    try:
        config = common.client_config(module.params.get("aws_config"),
                                      {"connect_timeout": timeout, "read_timeout": timeout})
        client = WorkerModule(module).client(
            "sns", retry_decorator=common.CloudopsRetry.policy(retries=SNS_RETRIES, max_delay=SNS_MAX_DELAY),
            aws_config=config, region=region)
        answer = client.publish(aws_retry=True, **notify.sns_params(message, channel))
    except WorkerFailed as e:
        return False, "cannot make an SNS client: %s" % e.msg
    except botocore.exceptions.ClientError as e:
        error = e.response.get("Error", {})
        return False, "SNS %s: %s" % (error.get("Code"), error.get("Message"))
    except botocore.exceptions.BotoCoreError as e:
        return False, "SNS: %s" % e
    return True, "message %s" % answer.get("MessageId")


SENDERS = {"slack": send_slack, "teams": send_teams, "pagerduty": send_pagerduty, "email": send_email, "sns": send_sns}


def send_all(message, channels, context, senders=None):
    """Send message to every channel side by side; [{name, type, ok, detail}] in the channels' order."""
    senders = senders or SENDERS
    secrets = notify.secrets_of(channels)

    def one(channel):
        try:
            sent, detail = senders[channel["type"]](message, channel, context)
        except Exception as e:  # pylint: disable=broad-except
            sent, detail = False, "%s: %s" % (type(e).__name__, e)
        return {"name": channel["name"], "type": channel["type"], "ok": bool(sent),
                "detail": notify.scrub(detail, secrets)}

    if not channels:
        return []
    with ThreadPoolExecutor(max_workers=len(channels)) as pool:
        return list(pool.map(one, channels))
