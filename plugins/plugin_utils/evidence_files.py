# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run directory's files, and the run evidence of a run whose ansible-playbook does not enable the callback.

The run_evidence callback records every task and writes the run directory at the end of the playbook. A project that
does not enable it (an installed collection run from the user's own project or an AWX project without this
repository's ansible.cfg) still gets the run directory: the runbook's close (roles/runbook/tasks/close.yml, the
runbook_evidence action) writes it from what the run holds as data - the run summary, the runbook's report and the
steps the run recorded (runbook_step's `runbook_steps` fact, or the report's own `steps`) - without the task timeline.

Plain Python (no Ansible import), unit-tested without a run.
"""

from __future__ import annotations

import os

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps as step_shape
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_model as model
from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_render as render
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_html import render_html

CALLBACK = "cloudops.runbooks.run_evidence"
FILES = (("report.json", render.render_json), ("report.md", render.render_markdown), ("junit.xml", render.render_junit),
         ("report.html", render_html))
HOST = "localhost"


def callback_enabled(callbacks_enabled):
    """Whether the run_evidence callback is enabled (the `callbacks_enabled` setting: a list or a comma-separated
    string); then it writes the run directory and the runbook's close writes none."""
    if isinstance(callbacks_enabled, str):
        callbacks_enabled = callbacks_enabled.split(",")
    return any(str(name).strip() == CALLBACK for name in callbacks_enabled or [])


def run_directory(summary, override=""):
    """Where the run directory goes: <override>/<run_id> (the operator's CLOUDOPS_RUN_EVIDENCE_DIR), else the summary's
    run_dir (absolute); '' writes none."""
    summary = summary if isinstance(summary, dict) else {}
    if override:
        return os.path.abspath(os.path.join(str(override), str(summary.get("run_id"))))
    directory = str(summary.get("run_dir") or "")
    return os.path.abspath(directory) if directory else ""


def _epoch(value):
    try:
        return step_shape.epoch(value) if value else None
    except (TypeError, ValueError):
        return None


def recorder_from_steps(steps, started=None, finished=None, playbook=None):
    """A RunRecorder holding one task per recorded step (runbook_step's `cloudops_step` shape; a report's step with its
    `result` too): what build_document needs to give the run its steps, gates and measures without the callback's
    task events. Steps that are not recorded steps are left out."""
    recorder = model.RunRecorder()
    recorder.playbook_start(playbook, started)
    for index, step in enumerate(steps or []):
        if not step_shape.is_step(step):
            continue
        begin = _epoch(step.get("started_at"))
        end = _epoch(step.get("finished_at"))
        begin = begin if begin is not None else (end if end is not None else started)
        end = end if end is not None else begin
        uid = "step-%d" % index
        declared = dict((k, str(step[k])) for k in ("step", "phase", "title", "module") if isinstance(step.get(k), str) and step[k])
        recorder.task_start(uid, step.get("title") or step.get("step"), begin, action=model.RUNBOOK_STEP, declared=declared)
        recorder.host_start(uid, HOST, begin)
        status = "failed" if step.get("outcome") == "failed" else ("skipped" if step.get("outcome") == "skipped" else "ok")
        clean = dict((k, step.get(k)) for k in step_shape.STEP_KEYS)
        recorder.task_result(uid, HOST, status, end, {"cloudops_step": clean, "changed": step.get("outcome") == "changed",
                                                      "msg": step.get("error")})
    if started is not None:
        recorder.started = started if recorder.started is None else min(recorder.started, started)
    recorder.finish(finished)
    return recorder


def document_without_callback(summary, report, steps, started=None, finished=None, playbook=None, ansible_version=None,
                              collection_version=None, run_dir=None):
    """The run evidence document of a run the callback did not record: its steps from `steps` (the run's recorded
    steps; the report's own `steps` when there are none), no task timeline (`tasks` is empty)."""
    report = report if isinstance(report, dict) else None
    recorded = [s for s in (steps or []) if step_shape.is_step(s)]
    if not recorded and report is not None:
        recorded = [s for s in (report.get("steps") or []) if step_shape.is_step(s)]
    recorder = recorder_from_steps(recorded, started=started, finished=finished, playbook=playbook)
    document = model.build_document(recorder, summary, report, host_stats={}, ansible_version=ansible_version,
                                    collection_version=collection_version, run_dir=run_dir, now=finished)
    # Each step is the one runbook_step task that recorded it; the tasks around them were not recorded.
    document["tasks"] = []
    document["generator"]["recorded_by"] = "runbook close (the run_evidence callback was not enabled: no task timeline)"
    return document


def write_run_dir(document, redactor, directory):
    """Write report.json, report.md, junit.xml and report.html of a (not yet redacted) document into `directory`, each
    through a .partial file renamed into place; every string redacted. Returns the file names."""
    doc = render.prepare(document, redactor)
    os.makedirs(directory, exist_ok=True)
    names = []
    for name, renderer in FILES:
        text = redactor.text(renderer(doc))
        path = os.path.join(directory, name)
        partial = path + ".partial"
        with open(partial, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
        names.append(name)
    return names


def collection_version(root=None):
    """This collection's version: MANIFEST.json of an installed copy, else galaxy.yml of a clone; None when unknown."""
    import json  # pylint: disable=import-outside-toplevel

    here = root or os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    for name in ("MANIFEST.json", "galaxy.yml"):
        try:
            with open(os.path.join(here, name)) as handle:
                text = handle.read()
        except (IOError, OSError):
            continue
        if name.endswith(".json"):
            return str(json.loads(text).get("collection_info", {}).get("version") or "") or None
        for line in text.splitlines():
            if line.startswith("version:"):
                return line.split(":", 1)[1].strip().strip("'\"") or None
    return None
