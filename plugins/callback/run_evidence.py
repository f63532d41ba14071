# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run evidence of every runbook: the run directory (JSON, Markdown, JUnit XML, HTML timeline) and progress lines."""

from __future__ import annotations

DOCUMENTATION = r"""
name: run_evidence
type: notification
short_description: Write the evidence of a runbook run (JSON, Markdown, JUnit XML, HTML timeline) and show progress
version_added: 1.0.0
author:
  - cloudops platform team (@cloudops)
description:
  - Records every task of the run (name, role, start, end, duration, status ok/changed/failed/skipped, changed), the
    runbook's steps, and the gate numbers the collection's modules return, and at the end of the playbook writes the
    run directory C(<root>/<run_id>/) with C(report.json), C(report.md), C(junit.xml) and C(report.html).
  - B(Which runs.) Only a runbook, that is a playbook that publishes the C(cloudops_summary) with
    C(ansible.builtin.set_stats) (every playbook of this collection does, at its end, with the
    C(cloudops.runbooks.run_summary) filter). The summary names the runbook, the run id and the run directory
    (C(run_dir), from the inventory's C(cloudops_run_dir_root), default C(runs) under the project directory; V('')
    writes no files). Any other playbook, and an ad hoc command, writes nothing.
  - B(Steps) are data, not task names. Each C(cloudops.runbooks.runbook_step) task records its step in its result
    (C(cloudops_step) - id, phase, title, times, outcome, detail, measures, gates) and that is the report's step,
    numbered within its phase; renaming a task changes nothing. A runbook_step task that recorded nothing (skipped by
    C(when), hidden by C(no_log)) is still a step, named by what its arguments declare. A step that began earlier
    (runbook_step's C(since)) spans the tasks that ran since then; they, and their gates, are part of it.
  - A run with no runbook_step task (another playbook) gets one step per top-level task, block or include of its
    play that does more than C(set_fact), C(debug), C(set_stats), C(fail), C(copy) or C(meta), titled with its name
    (task names are never parsed; a block or an C(include_role) spans the tasks inside it).
  - B(Gates) are the C(gates) of each recorded step, and the C(step_summary.gates) this collection's modules return
    (rds_promote lag gate, cloudwatch_gate verdict, alb_target_health counts, dr_readiness_info findings, k8s_job_run
    outcome, route53_failover_switch INSYNC time, rds_data_verify checks, rds_drill_markers, rds_replication_info lag,
    rds_restore_point gap, and any module that returns one). Module arguments and whole results are never recorded.
  - B(Measures and state) (RTO, RPO, state before and after, changes) come from the C(cloudops_summary) and the
    runbook's own report published with C(set_stats) (C(drill_report), C(failover_report), C(deploy_report),
    C(rollback_report), C(backup_report), C(restore_report), C(status_report)).
  - B(No secrets.) Results of C(no_log) tasks are never read. Before anything is written, values under keys that look
    secret (password, secret key, access key id, token, authorization, private key, client secret, connection
    string) are masked, and so is every occurrence of those values, and of the values of the controller's environment
    variables with secret-looking names (such as E(AWS_SECRET_ACCESS_KEY)), in every string of every file and
    progress line; AWS access key ids, PEM private keys and URL passwords are masked wherever they appear.
  - "B(report.json) (schema_version 1, a JSON Schema ships as C(plugins/plugin_utils/evidence_schema.py)):
    C(schema_version); C(generator) {name, collection_version, ansible_version, generated_at};
    C(run) {runbook, title, environment, run_id, run_dir, playbook, check_mode, outcome, status (succeeded, failed,
    refused, check), started_at, finished_at, duration_seconds}; C(summary) (the cloudops_summary as published);
    C(measures) {rto, rpo (each null or {seconds, budget_seconds, within_budget, definition, started_at/ended_at or
    at, rows, basis, estimated}), verdicts [{name, value, budget, verdict}]}; C(state) {before_label, after_label,
    has_before, has_after, compared, equal, truncated, rows [{path, before, after, differs, ignored}]}; C(changes) [text];
    C(steps_basis) (recorded, or top_level for a run that records no step); C(steps) [{index, number,
    phase, title, name, started_at, finished_at, start_offset_seconds, duration_seconds, status, changed, tasks,
    failed_task, error, step, module, detail, measures}]; C(gates) [{module, name,
    passed, detail, numbers, task, step}]; C(tasks) [{index, name, role, action, step, started_at, finished_at,
    start_offset_seconds, duration_seconds, status, changed, hosts, error}]; C(hosts) {host: {ok, changed, failures,
    unreachable, skipped, rescued, ignored}}; C(errors) [text]; C(next_steps) [text]; C(report) (the runbook's own
    report); C(redaction) {masked}. Times are ISO 8601 UTC. Fields are only ever added within a schema_version."
  - B(report.md) is the same for a ticket; B(junit.xml) has one testcase per step (failed -> failure, skipped ->
    skipped) with the step's gates as properties; B(report.html) is self-contained (inline CSS, an inline SVG timeline
    of the steps with the RTO and RPO markers, the state before and after; no script, no external asset).
  - B(Progress.) A task that runs longer than O(progress_interval) seconds gets a line every O(progress_interval)
    seconds, C(… <step or task> - <elapsed> s, waiting for <what>), C(<what>) being what its module waits for (the
    promoted instance available and writable, the change INSYNC, ...). No progress and no closing line are printed when
    the stdout callback is a JSON one.
  - The callback never fails a run - a problem is shown as a warning and the run goes on.
  - B(Not enabled.) A project that does not enable this callback still gets the run directory, written by the close of every
    runbook (the C(cloudops.runbooks.runbook_evidence) action) from the run summary, the runbook's report
    and the steps the run recorded, without the task timeline (C(tasks) empty), the host counts and the progress
    lines. Enabled, the callback writes it and the runbook's close writes none.
requirements:
  - "Enabled in C(callbacks_enabled) for the full evidence and the progress lines (this repository's C(ansible.cfg)
    does; in your own project add C(callbacks_enabled = cloudops.runbooks.run_evidence) under C([defaults]) of its
    C(ansible.cfg), or set E(ANSIBLE_CALLBACKS_ENABLED))."
options:
  run_dir_root:
    description:
      - Write the run directory under this directory (C(<run_dir_root>/<run_id>/)) instead of the runbook's
        C(run_dir), even when the runbook's root is V('') - an operator's setting, such as an AWX execution environment
        collecting artifacts.
    type: path
    env:
      - name: CLOUDOPS_RUN_EVIDENCE_DIR
    ini:
      - section: cloudops_run_evidence
        key: run_dir_root
  progress_interval:
    description:
      - Seconds between progress lines of a long task; V(0) prints none.
    type: int
    default: 10
    env:
      - name: CLOUDOPS_RUN_EVIDENCE_PROGRESS_INTERVAL
    ini:
      - section: cloudops_run_evidence
        key: progress_interval
"""

import os
import threading
import time

from ansible import constants as C
from ansible.plugins.callback import CallbackBase
from ansible.release import __version__ as ansible_version
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_model as model
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_files as files
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_render as render
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import Redactor

_JSON_STDOUT = ("json", "ansible.builtin.json", "ansible.posix.json", "community.general.json", "ansible.posix.jsonl")


def _guarded(method):
    """A callback handler that warns instead of raising: the evidence must never break a run."""

    def wrapper(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:  # pylint: disable=broad-except
            try:
                self._display.warning(self._redactor.text("cloudops.runbooks.run_evidence: %s failed: %s: %s" % (
                    method.__name__, type(exc).__name__, exc)))
            except Exception:  # pylint: disable=broad-except
                pass
            return None

    wrapper.__name__ = method.__name__
    wrapper.__doc__ = method.__doc__
    return wrapper


def _name(obj):
    try:
        return str(getattr(obj, "name", None) or "")
    except Exception:  # pylint: disable=broad-except
        return ""


def _lineage(task):
    """(uid, name) of the task and of the named blocks and includes around it, innermost first; and the top-level item
    of the play it belongs to."""
    chain, node = [], task
    while node is not None and len(chain) < 64:
        chain.append(node)
        node = getattr(node, "_parent", None)
    named = [(getattr(item, "_uuid", id(item)), _name(item)) for item in chain if _name(item)]
    # The play's implicit blocks have no name (and copies of them, on the way up from an included task, lose their
    # _implicit flag): under an unnamed root the top-level item is the task, block or include below it.
    root = chain[-1]
    top = chain[-2] if len(chain) > 1 and not _name(root) else root
    top_name = _name(top) or (top.get_name() if hasattr(top, "get_name") else "")
    return named, (getattr(top, "_uuid", id(top)), top_name)


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "notification"
    CALLBACK_NAME = "cloudops.runbooks.run_evidence"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, display=None):
        super(CallbackModule, self).__init__(display=display)
        self._recorder = model.RunRecorder()
        self._redactor = Redactor()
        self._redactor.learn_environment(os.environ)
        self._stop = threading.Event()
        self._thread = None
        self._printed = {}
        self._in_playbook = False
        self._written = False

    # -- options and output -------------------------------------------------------------------------------------------
    def _option(self, key, default=None):
        try:
            value = self.get_option(key)
        except Exception:  # pylint: disable=broad-except
            return default
        return default if value is None else value

    def _quiet(self):
        """No line of ours on stdout when it carries JSON (ansible-playbook with a JSON stdout callback, ad hoc runs)."""
        return not self._in_playbook or str(C.DEFAULT_STDOUT_CALLBACK) in _JSON_STDOUT

    def _say(self, text):
        if not self._quiet():
            self._display.display(self._redactor.text(text))

    # -- progress -------------------------------------------------------------------------------------------------------
    def _start_progress(self):
        interval = int(self._option("progress_interval", 10) or 0)
        if interval <= 0 or self._thread is not None or self._quiet():
            return
        self._thread = threading.Thread(target=self._progress_loop, args=(interval,), name="cloudops-run-evidence-progress")
        self._thread.daemon = True
        self._thread.start()

    def _stop_progress(self):
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _progress_loop(self, interval):
        while not self._stop.wait(min(1.0, interval)):
            try:
                self._progress_tick(interval, time.time())
            except Exception as exc:  # pylint: disable=broad-except
                self._display.warning("cloudops.runbooks.run_evidence: progress: %s" % exc)

    def _progress_tick(self, interval, now):
        for record, host, started in self._recorder.running():
            elapsed = now - started
            key = (id(record), host)
            last = self._printed.get(key, started)
            if elapsed >= interval and now - last >= interval - 0.05:
                self._printed[key] = now
                label, action = model.progress_of(record)
                self._say(model.progress_line(label, elapsed, action, record["name"]))

    # -- events ----------------------------------------------------------------------------------------------------------
    @_guarded
    def v2_playbook_on_start(self, playbook):
        self._in_playbook = True
        self._recorder.playbook_start(getattr(playbook, "_file_name", None), time.time())
        self._start_progress()

    @_guarded
    def v2_playbook_on_play_start(self, play):
        self._recorder.play_start(play.get_name(), time.time())

    def _task_start(self, task):
        lineage, top = _lineage(task)
        role = task._role.get_name() if getattr(task, "_role", None) is not None else None
        action = getattr(task, "resolved_action", None) or task.action
        declared = model.declared_step(action, getattr(task, "args", None)) if model.is_runbook_step(action) else None
        self._recorder.task_start(task._uuid, _name(task) or str(task.action), time.time(),
                                  action=action, role=role, path=task.get_path(), lineage=lineage, top=top, declared=declared)

    @_guarded
    def v2_playbook_on_task_start(self, task, is_conditional):
        self._task_start(task)

    @_guarded
    def v2_playbook_on_handler_task_start(self, task):
        self._task_start(task)

    @_guarded
    def v2_runner_on_start(self, host, task):
        self._recorder.host_start(task._uuid, host.get_name(), time.time())

    def _result(self, result, status):
        data = result.result if hasattr(result, "result") else result._result
        data = render.to_plain(data) if isinstance(data, dict) else {}
        if not model.is_censored(data):
            self._redactor.learn(data)
        else:
            data = {"censored": True, "changed": data.get("changed")}
        if status == "ok" and data.get("changed"):
            status = "changed"
        self._recorder.task_result(result.task._uuid if hasattr(result, "task") else result._task._uuid,
                                   result.host.get_name() if hasattr(result, "host") else result._host.get_name(), status, time.time(), data)

    @_guarded
    def v2_runner_on_ok(self, result):
        self._result(result, "ok")

    @_guarded
    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result(result, "failed")

    @_guarded
    def v2_runner_on_skipped(self, result):
        self._result(result, "skipped")

    @_guarded
    def v2_runner_on_unreachable(self, result):
        self._result(result, "unreachable")

    @_guarded
    def v2_playbook_on_stats(self, stats):
        self._stop_progress()
        now = time.time()
        self._recorder.finish(now)
        if self._written:
            return
        custom = render.to_plain(getattr(stats, "custom", {}) or {})
        summary = model.find_summary(custom)
        if not summary:
            return
        self._written = True
        runbook = summary.get("runbook")
        report = model.find_report(custom, runbook)
        override = self._option("run_dir_root", None)
        directory = os.path.join(str(override), str(summary.get("run_id"))) if override else str(summary.get("run_dir") or "")
        if not directory:
            return
        directory = os.path.abspath(directory)
        hosts = {}
        for host in sorted(getattr(stats, "processed", {}) or {}):
            s = stats.summarize(host)
            hosts[str(host)] = dict((str(k), int(v)) for k, v in s.items() if isinstance(v, int))
        document = model.build_document(self._recorder, summary, report, host_stats=hosts, ansible_version=ansible_version,
                                        collection_version=files.collection_version(), run_dir=directory, now=now)
        names = files.write_run_dir(document, self._redactor, directory)
        self._say("Run evidence: %s/ (%s)" % (directory, ", ".join(names)))
