#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: runbook_notify
version_added: 1.0.0
short_description: Tell a runbook's start, success or failure to Slack, Microsoft Teams, email, SNS and PagerDuty at once
description:
  - One notification round of a runbook, as the runbook frame (role C(cloudops.runbooks.runbook)) sends it from the
    environment's C(cloudops_notify) declaration - at the start (after the lock is taken) and at the end (before the
    report is published). Every channel is sent side by side, one thread each, in this one module process, each with
    its own timeout.
  - The message names the runbook, the environment, the run and its status; at the end its outcome and, where the run
    measured them (failover drill, failover, failback), the verdict, the RTO and the RPO against their budgets, and
    where the report is (O(declaration.report_link), the run directory of the run summary, O(report_path)). A failure
    adds the error that failed the run.
  - B(Channels.) V(slack) posts to an incoming webhook (text and blocks); V(teams) posts an Adaptive Card to a Teams
    webhook (Workflows or the older connectors); V(pagerduty) sends a PagerDuty Events API v2 event - a failure
    triggers an incident keyed C(cloudops/<environment>/<runbook>), the next success of that runbook resolves it;
    V(email) sends a plain-text mail through an SMTP server (STARTTLS by default); V(sns) publishes to an SNS topic
    with the message attributes C(event), C(runbook) and C(environment) (for subscription filter policies).
  - B(A failed channel never fails the task.) Its result says why (HTTP status, receiver unreachable, SMTP or AWS
    error) and the module warns; the runbook frame puts the results into the run summary (C(notifications)). The
    task fails only on a declaration that cannot be used, naming each setting that is wrong, before anything is sent.
  - B(Secrets.) Webhook URLs, routing keys and SMTP passwords are C(no_log) and never printed; every text a channel
    reports is scrubbed of them.
  - Check mode sends nothing and returns the message and the channels it would go to.
  - The maintained modules were weighed. C(community.general.slack) and C(community.general.pagerduty_alert) send to
    fixed Slack and PagerDuty hosts (no EU PagerDuty service region, no relay), Teams has none, and a round through
    them would cost one module process per channel; this module sends them all in one process.
options:
  event:
    description:
      - V(start), V(success), V(failure); V(end) chooses success or failure from O(summary) (its status C(failed) or
        C(refused)), O(error) (not empty) and O(summary) itself (absent when the run failed before its report).
    type: str
    choices: [start, end, success, failure]
    required: true
  runbook:
    description: The runbook (C(deploy), C(failover_drill)...), as the channels' O(declaration.channels[].runbooks) name it.
    type: str
    required: true
  title:
    description: How the message names the runbook (the frame's C(runbook_run.title)); default O(runbook).
    type: str
    default: ""
  environment:
    description: The environment (the inventory's C(cloudops_environment)).
    type: str
    required: true
  run_id:
    description: The run's id.
    type: str
    default: ""
  declaration:
    description:
      - The environment's declaration, the inventory's C(cloudops_notify).
    type: dict
    required: true
    suboptions:
      enabled:
        description: V(false) turns every channel off (e.g. from an environment variable or an AWX survey).
        type: bool
        default: true
      source:
        description: What PagerDuty shows as the event's source (e.g. the AWX host); default C(cloudops.runbooks).
        type: str
      report_link:
        description:
          - A link to the run's report (an AWX job URL, a bucket of run evidence); C({run_id}) and C({environment})
            are filled in.
        type: str
      timeout_seconds:
        description: The timeout of each channel that sets none.
        type: float
        default: 10
      channels:
        description: The channels; several at once.
        type: list
        elements: dict
        default: []
        suboptions:
          name:
            description: The channel's name, in the results and the warnings.
            type: str
            required: true
          type:
            description: The kind of channel.
            type: str
            required: true
            choices: [slack, teams, email, sns, pagerduty]
          events:
            description:
              - The events the channel hears of. Default all three, except V(pagerduty) (V(failure) and V(success),
                which resolves the incident).
            type: list
            elements: str
            choices: [start, success, failure]
          runbooks:
            description: Only these runbooks; default every runbook.
            type: list
            elements: str
          timeout_seconds:
            description: Seconds before the channel counts as failed; default O(declaration.timeout_seconds).
            type: float
          webhook_url:
            description: V(slack), V(teams) - the incoming webhook's URL (a secret).
            type: str
          channel:
            description: V(slack) - overrides the webhook's channel, where the workspace allows it.
            type: str
          username:
            description: V(slack) - the name the message is posted under; V(email) - the SMTP login.
            type: str
          routing_key:
            description: V(pagerduty) - the integration's routing key (a secret).
            type: str
          url:
            description: V(pagerduty) - the Events API v2 endpoint (e.g. C(https://events.eu.pagerduty.com/v2/enqueue)).
            type: str
          severity:
            description: V(pagerduty) - the severity of a failure's incident.
            type: str
            choices: [critical, error, warning, info]
          host:
            description: V(email) - the SMTP server.
            type: str
          port:
            description: V(email) - its port; default 587 (V(starttls)), 465 (V(ssl)), 25 (V(none)).
            type: int
          security:
            description: V(email) - STARTTLS, TLS from the start, or none (a relay on a trusted network).
            type: str
            choices: [starttls, ssl, none]
          sender:
            description: V(email) - the From address.
            type: str
          to:
            description: V(email) - the recipients.
            type: list
            elements: str
          password:
            description: V(email) - the SMTP password (a secret).
            type: str
          topic_arn:
            description: V(sns) - the topic's ARN.
            type: str
          region:
            description: V(sns) - the topic's region; default the ARN's.
            type: str
  summary:
    description: The run summary (the C(run_summary) filter's result) at the end; absent when the run failed before its report.
    type: dict
  report:
    description: The runbook's report (for the verdict, RTO and RPO and their budgets).
    type: dict
  report_path:
    description: Where the JSON report was also written.
    type: str
    default: ""
  error:
    description: The message that fails the run (the frame's C(runbook_fail_message)).
    type: str
    default: ""
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
author:
  - cloudops platform team (@cloudops)
"""

EXAMPLES = r"""
- name: Notify | the start of the run
  cloudops.runbooks.runbook_notify:
    event: start
    runbook: deploy
    environment: prod
    run_id: deploy-prod-20260101T120000Z
    declaration:
      source: awx.example.com
      channels:
        - name: ops-slack
          type: slack
          webhook_url: "{{ vault_slack_webhook_url }}"
        - name: oncall
          type: pagerduty
          routing_key: "{{ vault_pagerduty_routing_key }}"
  register: notified

- name: Notify | the end of a drill (success or failure from its summary)
  cloudops.runbooks.runbook_notify:
    event: end
    runbook: failover_drill
    environment: prod
    run_id: "{{ runbook_run.run_id }}"
    declaration: "{{ cloudops_notify }}"
    summary: "{{ drill_report | cloudops.runbooks.run_summary('failover_drill') }}"
    report: "{{ drill_report }}"
  failed_when: false
"""

RETURN = r"""
event:
  description: The event sent (V(start), V(success), V(failure)).
  returned: always
  type: str
  sample: failure
message:
  description: What every channel was told - title, severity, facts (label, value), text.
  returned: always
  type: dict
  sample:
    title: "[prod] Failover drill succeeded - passed"
    severity: info
    facts: [[Runbook, failover_drill], [Environment, prod], [RTO, "412 s (budget 900 s)"]]
notifications:
  description:
    - The round's results - how many channels were C(sent) and C(failed), and per channel its name, type, C(ok) and a
      C(detail) (HTTP status, message id, or why it failed). In check mode C(ok) is null and nothing is sent.
  returned: always
  type: dict
  sample:
    sent: 1
    failed: 1
    channels:
      - {name: ops-slack, type: slack, ok: true, detail: HTTP 200}
      - {name: oncall, type: pagerduty, ok: false, detail: "HTTP 500"}
skipped_channels:
  description: The channels that do not hear of this event or runbook (their O(declaration.channels[].events), O(declaration.channels[].runbooks)).
  returned: always
  type: list
  elements: str
  sample: [oncall]
"""

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import notify, notify_send

CHANNEL_OPTIONS = dict(
    name=dict(type="str", required=True),
    type=dict(type="str", required=True, choices=list(notify.TYPES)),
    events=dict(type="list", elements="str", choices=list(notify.EVENTS)),
    runbooks=dict(type="list", elements="str"),
    timeout_seconds=dict(type="float"),
    webhook_url=dict(type="str", no_log=True),
    channel=dict(type="str"),
    username=dict(type="str"),
    routing_key=dict(type="str", no_log=True),
    url=dict(type="str"),
    severity=dict(type="str", choices=list(notify.SEVERITIES)),
    host=dict(type="str"),
    port=dict(type="int"),
    security=dict(type="str", choices=list(notify.SECURITY)),
    sender=dict(type="str"),
    to=dict(type="list", elements="str"),
    password=dict(type="str", no_log=True),
    topic_arn=dict(type="str"),
    region=dict(type="str"),
)


def _declared(value):
    """The declaration as the inventory wrote it: the options Ansible filled with None dropped."""
    if isinstance(value, dict):
        return dict((k, _declared(v)) for k, v in value.items() if v is not None)
    if isinstance(value, list):
        return [_declared(v) for v in value]
    return value


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            event=dict(type="str", required=True, choices=["start", "end", "success", "failure"]),
            runbook=dict(type="str", required=True),
            title=dict(type="str", default=""),
            environment=dict(type="str", required=True),
            run_id=dict(type="str", default=""),
            declaration=dict(type="dict", required=True, options=dict(
                enabled=dict(type="bool", default=True),
                source=dict(type="str"),
                report_link=dict(type="str"),
                timeout_seconds=dict(type="float", default=float(notify.DEFAULT_TIMEOUT)),
                channels=dict(type="list", elements="dict", default=[], options=CHANNEL_OPTIONS),
            )),
            summary=dict(type="dict"),
            report=dict(type="dict"),
            report_path=dict(type="str", default=""),
            error=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    declaration = _declared(params["declaration"])
    problems = notify.problems(declaration)
    if problems:
        module.fail_json(msg="The notification channels cannot be used - %s" % "; ".join(problems), problems=problems)

    event = params["event"]
    if event == "end":
        event = notify.end_event((params["summary"] or {}).get("status"), params["error"], params["summary"] is not None)
    message = notify.build_message(
        event, params["runbook"], params["environment"], run_id=params["run_id"], summary=params["summary"],
        report=params["report"], error=params["error"], report_path=params["report_path"],
        report_link=declaration.get("report_link", ""), check_mode=module.check_mode, title=params["title"])
    channels = [notify.channel_settings(c, declaration) for c in declaration.get("channels", [])] \
        if notify.enabled(declaration) else []
    chosen = notify.selected(channels, params["runbook"], event)
    skipped = [c["name"] for c in channels if c not in chosen]
    secrets = notify.secrets_of(channels)
    message["text"] = notify.scrub(message["text"], secrets)
    message["facts"] = [[label, notify.scrub(value, secrets)] for label, value in message["facts"]]

    if module.check_mode:
        results = [{"name": c["name"], "type": c["type"], "ok": None, "detail": "check mode: not sent"} for c in chosen]
        module.exit_json(changed=False, event=event, message=message, skipped_channels=skipped,
                         notifications={"sent": 0, "failed": 0, "channels": results})

    results = notify_send.send_all(message, chosen, {"module": module, "source": declaration.get("source")})
    summary, warnings = notify.summary_of(results)
    for line in warnings:
        module.warn(line)
    module.exit_json(changed=summary["sent"] > 0, event=event, message=message, notifications=summary,
                     skipped_channels=skipped)


if __name__ == "__main__":
    main()
