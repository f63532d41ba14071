"""Notification receivers on loopback, for the runbooks' notifications (cloudops_notify, module runbook_notify).

- An HTTP recorder: every POST (Slack and Teams webhooks, PagerDuty Events v2) is recorded with its path and JSON
  body. A path starting with `/status/<code>/` is answered with that code (a failing channel: `/status/500/...`);
  anything else gets 200 `ok` (Slack's answer), or 202 for a path containing `/v2/enqueue` (PagerDuty's).
- An SMTP server (aiosmtpd) that takes any mail, with AUTH LOGIN/PLAIN over plain text (loopback only) for the
  user and password given, and records each mail.
- SNS: the topic `cloudops-notify` on the sandbox's moto (us-east-1), with an SQS queue subscribed to it so that what
  was published can be read back (`published()`).

    python -m sandbox.receivers --dir build/notify      # after `source <state>/env` for SNS; Ctrl-C stops
    source build/notify/receivers.env                   # CLOUDOPS_NOTIFY_HTTP, CLOUDOPS_NOTIFY_SMTP: the sandbox
                                                        # inventory's cloudops_notify turns on (group_vars notify.yml)

Records go to <dir>/http.jsonl and <dir>/smtp.jsonl, one JSON object a line. Tests use `Receivers` in-process.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

SMTP_USER = "cloudops"
SMTP_PASSWORD = "sandbox-smtp-secret"
SNS_TOPIC = "cloudops-notify"
SNS_REGION = "us-east-1"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _Recorder:
    def __init__(self, path: Path):
        self.path = path
        self.lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()

    def add(self, entry: dict) -> None:
        with self.lock, self.path.open("a") as out:
            out.write(json.dumps(entry, sort_keys=True) + "\n")

    def read(self) -> list:
        with self.lock:
            return [json.loads(line) for line in self.path.read_text().splitlines() if line.strip()]


def _http_handler(recorder: _Recorder):
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args):  # quiet
            pass

        def do_POST(self):  # noqa: N802 (http.server's name)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            try:
                body = json.loads(raw.decode("utf-8"))
            except ValueError:
                body = raw.decode("utf-8", "replace")
            recorder.add({"path": self.path, "content_type": self.headers.get("Content-Type"), "body": body})
            parts = self.path.split("/")
            if len(parts) > 2 and parts[1] == "status" and parts[2].isdigit():
                code = int(parts[2])
            else:
                code = 202 if "/v2/enqueue" in self.path else 200
            answer = b'{"status": "success", "message": "Event processed"}' if code == 202 else b"ok"
            self.send_response(code)
            self.send_header("Content-Type", "application/json" if code == 202 else "text/plain")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

    return Handler


class Receivers:
    """The HTTP recorder and the SMTP server, on free loopback ports, recording under `directory`."""

    def __init__(self, directory: Path, smtp_user: str = SMTP_USER, smtp_password: str = SMTP_PASSWORD):
        self.directory = Path(directory)
        self.http_log = _Recorder(self.directory / "http.jsonl")
        self.smtp_log = _Recorder(self.directory / "smtp.jsonl")
        self.smtp_user, self.smtp_password = smtp_user, smtp_password
        self._http = None
        self._smtp = None

    # -- lifecycle
    def start(self) -> "Receivers":
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), _http_handler(self.http_log))
        threading.Thread(target=self._http.serve_forever, name="notify-http", daemon=True).start()
        self._smtp = self._smtp_controller()
        self._smtp.start()
        return self

    def stop(self) -> None:
        if self._http is not None:
            self._http.shutdown()
            self._http.server_close()
            self._http = None
        if self._smtp is not None:
            self._smtp.stop()
            self._smtp = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    def _smtp_controller(self):
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        log, user, password = self.smtp_log, self.smtp_user, self.smtp_password

        class Handler:
            async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's name)
                mail = message_from_bytes(envelope.original_content or envelope.content, policy=default_policy)
                log.add({"mail_from": envelope.mail_from, "rcpt_tos": list(envelope.rcpt_tos),
                         "subject": str(mail["Subject"]), "headers": dict((k, str(v)) for k, v in mail.items()),
                         "body": mail.get_content() if not mail.is_multipart() else "",
                         "auth_user": (session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword)
                                       else None)})
                return "250 Message accepted for delivery"

        def authenticator(server, session, envelope, mechanism, auth_data):
            good = isinstance(auth_data, LoginPassword) and auth_data.login.decode() == user \
                and auth_data.password.decode() == password
            return AuthResult(success=good, handled=False, auth_data=auth_data)

        return Controller(Handler(), hostname="127.0.0.1", port=free_port(), authenticator=authenticator,
                          auth_require_tls=False, auth_required=False, auth_exclude_mechanism=["LOGIN"])

    # -- where and what
    @property
    def http_address(self) -> str:
        return "127.0.0.1:%d" % self._http.server_address[1]

    @property
    def smtp_address(self) -> str:
        return "127.0.0.1:%d" % self._smtp.port

    def env(self) -> dict:
        """What the sandbox inventory's cloudops_notify reads (inventories/sandbox/group_vars/all/notify.yml)."""
        host, port = self.smtp_address.split(":")
        return {"CLOUDOPS_NOTIFY_HTTP": self.http_address, "CLOUDOPS_NOTIFY_SMTP_HOST": host,
                "CLOUDOPS_NOTIFY_SMTP_PORT": port}

    def http_requests(self) -> list:
        return self.http_log.read()

    def mails(self) -> list:
        return self.smtp_log.read()


# -- SNS on moto -------------------------------------------------------------------------------------------------------
def sns_client(service: str, env: dict | None = None):
    import boto3
    env = env if env is not None else dict(os.environ)
    return boto3.client(service, region_name=SNS_REGION, endpoint_url=env["AWS_ENDPOINT_URL"],
                        aws_access_key_id=env.get("AWS_ACCESS_KEY_ID", "testing"),
                        aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY", "testing"))


def sns_topic(env: dict | None = None) -> dict:
    """The topic cloudops-notify on moto, with an SQS queue subscribed (raw delivery off: SNS's JSON envelope, which
    carries the subject and the message attributes). Idempotent. {topic_arn, queue_url}."""
    sns, sqs = sns_client("sns", env), sns_client("sqs", env)
    topic_arn = sns.create_topic(Name=SNS_TOPIC)["TopicArn"]
    queue_url = sqs.create_queue(QueueName=SNS_TOPIC + "-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    subscribed = sns.list_subscriptions_by_topic(TopicArn=topic_arn)["Subscriptions"]
    if not any(s["Endpoint"] == queue_arn for s in subscribed):
        sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    return {"topic_arn": topic_arn, "queue_url": queue_url}


def published(queue_url: str, env: dict | None = None) -> list:
    """The SNS notifications the queue received since the last call (each: Subject, Message, MessageAttributes)."""
    sqs = sns_client("sqs", env)
    found = []
    while True:
        answer = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0)
        messages = answer.get("Messages", [])
        if not messages:
            return found
        for message in messages:
            found.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sandbox.receivers", description=__doc__.split("\n\n")[0])
    parser.add_argument("--dir", default="build/notify", help="where the records and receivers.env go")
    args = parser.parse_args(argv)
    directory = Path(args.dir)
    receivers = Receivers(directory).start()
    env = receivers.env()
    if os.environ.get("AWS_ENDPOINT_URL"):
        env["CLOUDOPS_NOTIFY_SNS_TOPIC"] = sns_topic()["topic_arn"]
    (directory / "receivers.env").write_text("".join("export %s=%s\n" % item for item in sorted(env.items())))
    print("receivers up: HTTP %s, SMTP %s; records in %s; `source %s`" % (
        receivers.http_address, receivers.smtp_address, directory, directory / "receivers.env"), flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        stop.wait()
    except KeyboardInterrupt:
        pass
    receivers.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
