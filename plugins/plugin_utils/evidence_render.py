# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The run evidence document rendered as report.json, report.md (for a ticket) and junit.xml (for CI dashboards).

Every renderer takes the document after redaction (`prepare`), so what they write is what the redactor let through.
report.html is rendered by evidence_html. Pure Python, no Ansible import.
"""

from __future__ import annotations

import datetime
import json
import xml.etree.ElementTree as ET

FILES = ("report.json", "report.md", "junit.xml", "report.html")


def to_plain(value, _depth=0):
    """JSON-ready plain types: str/int/float/bool/None, dicts with str keys, lists (tagged or unsafe strings, tuples,
    sets, datetimes and other objects become their plain equivalents)."""
    if _depth > 100:
        return str(value)
    if value is None or type(value) in (bool, int, float, str):
        return value
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, dict):
        return dict((to_plain(k, _depth + 1) if isinstance(k, str) else str(k), to_plain(v, _depth + 1)) for k, v in value.items())
    if isinstance(value, (list, tuple, set, frozenset)):
        return [to_plain(v, _depth + 1) for v in value]
    if isinstance(value, (datetime.datetime, datetime.date)):
        return value.isoformat()
    return str(value)


def prepare(document, redactor):
    """The document as plain data, redacted, with the redaction count."""
    plain = to_plain(document)
    redacted = redactor.redact(plain)
    redacted["redaction"] = {"masked": redactor.masked}
    return redacted


def render_json(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


# -- formatting shared with the HTML renderer ---------------------------------------------------------------------------
def seconds(value, budget=False):
    """12.345 -> '12.3 s'; a budget (whole seconds) -> '900 s'; None -> '-'."""
    if value is None or isinstance(value, bool):
        return "-"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if budget and number.is_integer():
        return "%d s" % int(number)
    return "%.1f s" % number


def rows(count):
    return "%s row%s" % (count, "" if count == 1 else "s")


def cell(value):
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (dict, list)):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def step_label(step):
    number = "%s. " % step["number"] if step.get("number") is not None else ""
    phase = "%s | " % step["phase"] if step.get("phase") else ""
    return "%s%s%s" % (phase, number, step.get("title") or step.get("name"))


def step_detail(step):
    """What the report says of a step: its error (with the task that failed), else the detail it recorded, else how many
    tasks it spans."""
    if step.get("error"):
        return ("%s: %s" % (step["failed_task"], step["error"])) if step.get("failed_task") else str(step["error"])
    if step.get("detail"):
        return str(step["detail"])
    return "%d task(s)" % step["tasks"]


def headline(doc):
    run = doc["run"]
    return "%s of %s: %s" % (run.get("title") or run.get("runbook"), run.get("environment") or "?", str(run.get("outcome") or run.get("status")).upper())


def state_rows(doc, limit=40):
    """The state rows worth showing: all when few, else those that differ (the rest are in report.json)."""
    every = doc["state"]["rows"]
    if len(every) <= limit:
        return every, 0
    if not (doc["state"]["has_before"] and doc["state"]["has_after"]):
        return every[:limit], len(every) - limit
    shown = [r for r in every if r["differs"]]
    return shown, len(every) - len(shown)


# -- Markdown -----------------------------------------------------------------------------------------------------------
def _md(value):
    return cell(value).replace("|", "\\|").replace("\n", " ")


def render_markdown(doc):
    run = doc["run"]
    lines = ["# " + headline(doc) + (" (check mode: nothing changed)" if run.get("check_mode") else ""), ""]
    lines.append("Run `%s` (%s, %s), %s to %s (%s). Status **%s**." % (
        run.get("run_id"), run.get("runbook"), run.get("playbook") or "-", run.get("started_at"), run.get("finished_at"),
        seconds(run.get("duration_seconds")), run.get("status")))
    lines.append("")
    verdicts = doc["measures"]["verdicts"]
    if verdicts:
        lines += ["| Measure | Value | Budget | Verdict |", "| --- | --- | --- | --- |"]
        lines += ["| %s | %s | %s | %s |" % (_md(v["name"]), _md(v["value"]), _md(v["budget"]), _md(v["verdict"])) for v in verdicts]
        lines.append("")
    lines += ["## Steps", "", "| # | Step | Started (UTC) | Duration | Result | Detail |", "| --- | --- | --- | --- | --- | --- |"]
    for step in doc["steps"]:
        cells = (step["index"] + 1, _md(step_label(step)), _md(step["started_at"]), seconds(step["duration_seconds"]), step["status"],
                 _md(step_detail(step)))
        lines.append("| %s | %s | %s | %s | %s | %s |" % cells)
    if not doc["steps"]:
        lines.append("| - | no steps recorded | | | | |")
    if doc["gates"]:
        lines += ["", "## Gates", "", "| Step | Gate | Passed | Numbers | Detail |", "| --- | --- | --- | --- | --- |"]
        for gate in doc["gates"]:
            step = doc["steps"][gate["step"]] if gate.get("step") is not None else None
            numbers = ", ".join("%s=%s" % (k, cell(v)) for k, v in sorted(gate["numbers"].items()))
            cells = (_md(step_label(step) if step else "-"), _md(gate["name"]), _md(gate["passed"]), _md(numbers), _md(gate["detail"]))
            lines.append("| %s | %s | %s | %s | %s |" % cells)
    state = doc["state"]
    shown, hidden = state_rows(doc)
    if state["rows"]:
        lines += ["", "## State: %s / %s" % (state["before_label"] or "-", state["after_label"] or "-"), ""]
        if state["compared"]:
            lines.append("Compared: %s." % ("equal" if state["equal"] else "differs"))
            lines.append("")
        if shown:
            lines += ["| Field | %s | %s | |" % (_md(state["before_label"] or "before"), _md(state["after_label"] or "after")),
                      "| --- | --- | --- | --- |"]
            for r in shown:
                mark = "ignored" if r["ignored"] and r["differs"] else ("differs" if r["differs"] else "")
                lines.append("| %s | %s | %s | %s |" % (_md(r["path"]), _md(r["before"]), _md(r["after"]), mark))
        if hidden:
            lines.append("")
            lines.append("%d more field(s) in report.json." % hidden)
    lines += ["", "## Changes", ""]
    lines += ["- %s" % c for c in doc["changes"]] or ["None."]
    if doc["errors"]:
        lines += ["", "## Errors", ""] + ["- %s" % e for e in doc["errors"]]
    if doc["next_steps"]:
        lines += ["", "## Next steps", ""] + ["- %s" % n for n in doc["next_steps"]]
    lines += ["", "Evidence: %s (%s). Generated by %s, schema_version %s; %d value(s) masked." % (
        run.get("run_dir") or "-", ", ".join(FILES), doc["generator"]["name"], doc["schema_version"], doc["redaction"]["masked"])]
    return "\n".join(lines) + "\n"


# -- JUnit XML ----------------------------------------------------------------------------------------------------------
def _props(parent, pairs):
    props = ET.SubElement(parent, "properties")
    for name, value in pairs:
        ET.SubElement(props, "property", name=str(name), value=cell(value))
    return props


def _gate_pairs(gate, prefix="gate"):
    base = "%s.%s" % (prefix, gate["name"])
    pairs = [(base + ".passed", gate["passed"])]
    pairs += [("%s.%s" % (base, k), v) for k, v in sorted(gate["numbers"].items())]
    return pairs


def render_junit(doc):
    """One testcase per step: failed -> <failure>, skipped -> <skipped>; gates as properties of their step's testcase
    (gates outside any step, and the run's measures, as properties of the testsuite)."""
    run = doc["run"]
    steps = doc["steps"]
    failures = sum(1 for s in steps if s["status"] == "failed")
    skipped = sum(1 for s in steps if s["status"] == "skipped")
    name = "cloudops.runbooks.%s" % (run.get("runbook") or "run")
    time_total = "%.3f" % float(run.get("duration_seconds") or 0)
    suites = ET.Element("testsuites", name=name, tests=str(len(steps)), failures=str(failures), errors="0", skipped=str(skipped), time=time_total)
    suite = ET.SubElement(suites, "testsuite", name=name, tests=str(len(steps)), failures=str(failures), errors="0", skipped=str(skipped),
                          time=time_total, timestamp=str(run.get("started_at") or ""), hostname="localhost")
    measures = doc["measures"]
    pairs = [("run_id", run.get("run_id")), ("environment", run.get("environment")), ("outcome", run.get("outcome")),
             ("status", run.get("status")), ("check_mode", run.get("check_mode"))]
    for label in ("rto", "rpo"):
        m = measures.get(label)
        if m:
            pairs += [("%s.seconds" % label, m.get("seconds")), ("%s.budget_seconds" % label, m.get("budget_seconds")),
                      ("%s.within_budget" % label, m.get("within_budget"))]
            if label == "rpo" and m.get("rows") is not None:
                pairs.append(("rpo.rows", m.get("rows")))
    for gate in doc["gates"]:
        if gate.get("step") is None:
            pairs += _gate_pairs(gate)
    _props(suite, pairs)
    for step in steps:
        case = ET.SubElement(suite, "testcase", classname="%s.%s" % (name, step.get("phase") or "run"), name=step_label(step),
                             time="%.3f" % float(step.get("duration_seconds") or 0))
        gates = [g for g in doc["gates"] if g.get("step") == step["index"]]
        case_pairs = [("measure.%s" % k, v) for k, v in sorted((step.get("measures") or {}).items())]
        for g in gates:
            case_pairs += _gate_pairs(g)
        if case_pairs:
            _props(case, case_pairs)
        if step["status"] == "failed":
            failure = ET.SubElement(case, "failure", message=cell(step.get("error")) or "failed", type="failed")
            failure.text = "%s: %s" % (step.get("failed_task"), step.get("error"))
        elif step["status"] == "skipped":
            ET.SubElement(case, "skipped", message="skipped")
        out = ET.SubElement(case, "system-out")
        out.text = "%s -> %s, %d task(s), %s" % (step.get("started_at"), step.get("finished_at"), step["tasks"],
                                                 "changed" if step.get("changed") else "unchanged")
        if step.get("detail"):
            out.text += "\n" + str(step["detail"])
    body = ET.tostring(suites, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"
