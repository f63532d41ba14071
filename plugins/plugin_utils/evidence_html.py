# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.html: the run evidence as one self-contained page (inline CSS and SVG, no script, no external asset).

A headline with the outcome, the RTO and RPO figures against their budgets, a timeline of the steps (inline SVG, one bar
per step on a time axis, RTO and RPO markers where the runbook measured them), the measures, the state before and
after, the steps, the gates, the changes, the errors, and every task in a collapsed section. Pure Python.
"""

from __future__ import annotations

import html

from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_model import parse_iso
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_render import cell, headline, rows, seconds, state_rows, step_detail, step_label

COLOURS = {"ok": "#2e7d32", "changed": "#1565c0", "failed": "#c62828", "skipped": "#9e9e9e", "unfinished": "#6d4c41"}
RTO_COLOUR = "#6a1b9a"
RPO_COLOUR = "#ef6c00"

CSS = """
body{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;margin:24px;color:#212121;background:#fafafa}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:4px}
.meta{color:#555;font-size:13px}
.badge{display:inline-block;padding:2px 10px;border-radius:10px;color:#fff;font-size:15px}
.succeeded{background:#2e7d32}.failed{background:#c62828}.refused{background:#ef6c00}.check{background:#546e7a}
.figures{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.figure{background:#fff;border:1px solid #ddd;border-radius:6px;padding:10px 16px;min-width:150px}
.figure .label{font-size:12px;color:#555;text-transform:uppercase;letter-spacing:.04em}
.figure .value{font-size:26px;font-weight:600}
.figure .budget{font-size:12px;color:#555}
.over{color:#c62828}.within{color:#2e7d32}
table{border-collapse:collapse;background:#fff;font-size:13px;width:100%}
th,td{border:1px solid #e0e0e0;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f0f0f0}
td.num{text-align:right;white-space:nowrap}
tr.differs td{background:#fff3e0}tr.ignored td{color:#888}
.status-failed{color:#c62828;font-weight:600}.status-changed{color:#1565c0}.status-skipped{color:#888}
svg text{font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif}
details{margin-top:16px}summary{cursor:pointer;font-weight:600}
footer{margin-top:32px;color:#777;font-size:12px}
"""


def _e(value):
    return html.escape(cell(value), quote=True)


def _nice_step(span):
    for step in (0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200):
        if span / step <= 10:
            return step
    return span / 10.0


def timeline_svg(doc, width=1000):
    """The steps on a time axis from the run's start, with the RTO and RPO markers; '' when there is no step."""
    steps = [s for s in doc["steps"] if s.get("start_offset_seconds") is not None]
    if not steps:
        return ""
    run = doc["run"]
    t0 = parse_iso(run.get("started_at"))
    span = max([float(run.get("duration_seconds") or 0)] + [s["start_offset_seconds"] + (s["duration_seconds"] or 0) for s in steps]) or 1.0
    label_w, right_pad, top, row_h, axis_h = 330, 70, 58, 22, 34
    chart_w = width - label_w - right_pad
    height = top + row_h * len(steps) + axis_h

    def x(offset):
        return label_w + max(0.0, min(offset, span)) / span * chart_w

    parts = ['<svg xmlns="http://www.w3.org/2000/svg" id="timeline" class="timeline" role="img" width="%d" height="%d" '
             'viewBox="0 0 %d %d" aria-label="Timeline of the steps">' % (width, height, width, height),
             '<title>Timeline of the steps, seconds from the start of the run</title>',
             '<rect x="0" y="0" width="%d" height="%d" fill="#ffffff"/>' % (width, height)]
    # legend
    lx = 4
    for status in ("ok", "changed", "failed", "skipped"):
        parts.append('<rect x="%d" y="6" width="10" height="10" fill="%s"/><text x="%d" y="15" font-size="11" fill="#555">%s</text>' % (
            lx, COLOURS[status], lx + 14, status))
        lx += 24 + 7 * len(status)
    # axis and grid
    tick = _nice_step(span)
    n = 0
    while n * tick <= span + 1e-9:
        gx = x(n * tick)
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="#eeeeee"/>' % (gx, top - 6, gx, top + row_h * len(steps)))
        parts.append('<text x="%.1f" y="%d" font-size="11" text-anchor="middle" fill="#555">%s</text>' % (
            gx, top + row_h * len(steps) + 16, ("%g s" % (n * tick))))
        n += 1
    # markers behind the bars
    measures = doc["measures"]
    rpo = measures.get("rpo") or {}
    rto = measures.get("rto") or {}
    if t0 is not None and rpo.get("seconds") is not None and parse_iso(rpo.get("at")) is not None:
        end = parse_iso(rpo["at"]) - t0
        start = end - float(rpo["seconds"])
        if end >= 0:
            x1, x2 = x(start), x(end)
            parts.append('<rect class="rpo-marker" x="%.1f" y="%d" width="%.1f" height="%d" fill="%s" fill-opacity="0.18" stroke="%s">'
                         '<title>RPO: writes lost before the cut</title></rect>' % (
                             x1, top - 4, max(2.0, x2 - x1), row_h * len(steps) + 4, RPO_COLOUR, RPO_COLOUR))
            label = "RPO %s" % seconds(rpo["seconds"])
            if rpo.get("rows") is not None:
                label += ", %s" % rows(rpo["rows"])
            if rpo.get("budget_seconds") is not None:
                label += " (budget %s)" % seconds(rpo["budget_seconds"], budget=True)
            parts.append('<text x="%.1f" y="%d" font-size="12" font-weight="600" fill="%s" text-anchor="end">%s</text>' % (
                x2, top - 30, RPO_COLOUR, html.escape(label)))
    if t0 is not None and rto.get("seconds") is not None and parse_iso(rto.get("started_at")) is not None:
        start = parse_iso(rto["started_at"]) - t0
        end = start + float(rto["seconds"])
        x1, x2 = x(start), x(end)
        note = " (started before this run)" if start < 0 else ""
        for gx in (x1, x2):
            parts.append('<line class="rto-marker" x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2" stroke-dasharray="5,3"/>' % (
                gx, top - 14, gx, top + row_h * len(steps), RTO_COLOUR))
        parts.append('<line x1="%.1f" y1="%d" x2="%.1f" y2="%d" stroke="%s" stroke-width="2"/>' % (x1, top - 14, x2, top - 14, RTO_COLOUR))
        label = "RTO %s" % seconds(rto["seconds"])
        if rto.get("budget_seconds") is not None:
            label += " (budget %s)" % seconds(rto["budget_seconds"], budget=True)
        parts.append('<text x="%.1f" y="%d" font-size="12" font-weight="600" fill="%s">%s%s</text>' % (
            x1 + 2, top - 18, RTO_COLOUR, html.escape(label), html.escape(note)))
    # one bar per step
    for i, step in enumerate(steps):
        y = top + i * row_h
        label = step_label(step)
        short = label if len(label) <= 48 else label[:47] + u"\u2026"
        colour = COLOURS.get(step["status"], "#607d8b")
        start = step["start_offset_seconds"]
        duration = step["duration_seconds"] or 0.0
        bx, bw = x(start), max(2.0, x(start + duration) - x(start))
        parts.append('<text x="%d" y="%d" font-size="12" fill="#212121">%s</text>' % (4, y + 15, html.escape(short)))
        parts.append('<rect class="step step-%s" x="%.1f" y="%d" width="%.1f" height="%d" rx="2" fill="%s"><title>%s: %s, %s</title></rect>' % (
            html.escape(step["status"]), bx, y + 4, bw, row_h - 8, colour, html.escape(label), html.escape(seconds(duration)),
            html.escape(step["status"])))
        parts.append('<text x="%.1f" y="%d" font-size="11" fill="#555">%s</text>' % (bx + bw + 4, y + 15, html.escape(seconds(duration))))
    parts.append("</svg>")
    return "\n".join(parts)


def _figure(label, value, budget=None, within=None, css=""):
    verdict = ""
    if within is not None:
        verdict = ' <span class="%s">%s</span>' % ("within" if within else "over", "within budget" if within else "OVER BUDGET")
    return ('<div class="figure %s"><div class="label">%s</div><div class="value">%s</div><div class="budget">%s%s</div></div>' % (
        css, html.escape(label), html.escape(value), html.escape("budget %s" % budget) if budget else "&nbsp;", verdict))


def _table(headers, rows, classes=None):
    out = ["<table><thead><tr>%s</tr></thead><tbody>" % "".join("<th>%s</th>" % html.escape(h) for h in headers)]
    for i, row in enumerate(rows):
        css = (' class="%s"' % classes[i]) if classes and classes[i] else ""
        out.append("<tr%s>%s</tr>" % (css, "".join(row)))
    out.append("</tbody></table>")
    return "\n".join(out)


def _td(value, css=""):
    return '<td%s>%s</td>' % (' class="%s"' % css if css else "", _e(value))


def render_html(doc):
    run = doc["run"]
    measures = doc["measures"]
    status = run.get("status") or "succeeded"
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           '<meta name="viewport" content="width=device-width, initial-scale=1">',
           "<title>%s</title>" % html.escape(headline(doc)), "<style>%s</style></head><body>" % CSS]
    out.append('<header><h1>%s of %s: <span class="badge %s">%s</span>%s</h1>' % (
        html.escape(run.get("title") or ""), _e(run.get("environment")), html.escape(status), _e(str(run.get("outcome") or status).upper()),
        " (check mode: nothing changed)" if run.get("check_mode") else ""))
    out.append('<p class="meta">Run <code>%s</code> &middot; %s &middot; %s to %s &middot; %s &middot; status %s</p></header>' % (
        _e(run.get("run_id")), _e(run.get("playbook")), _e(run.get("started_at")), _e(run.get("finished_at")),
        html.escape(seconds(run.get("duration_seconds"))), html.escape(status)))

    figures = []
    rto, rpo = measures.get("rto"), measures.get("rpo")
    if rto:
        figures.append(_figure("RTO", seconds(rto.get("seconds")) if rto.get("seconds") is not None else "not measured",
                               seconds(rto.get("budget_seconds"), budget=True) if rto.get("budget_seconds") is not None else None,
                               rto.get("within_budget"), "rto"))
    if rpo:
        value = seconds(rpo.get("seconds")) if rpo.get("seconds") is not None else "not measured"
        if rpo.get("rows") is not None:
            value += ", %s" % rows(rpo["rows"])
        if rpo.get("estimated"):
            value += " (est.)"
        figures.append(_figure("RPO", value, seconds(rpo.get("budget_seconds"), budget=True) if rpo.get("budget_seconds") is not None else None,
                               rpo.get("within_budget"), "rpo"))
    figures.append(_figure("Duration", seconds(run.get("duration_seconds"))))
    failed = sum(1 for s in doc["steps"] if s["status"] == "failed")
    figures.append(_figure("Steps", "%d" % len(doc["steps"]), None, None) if not failed else _figure("Steps failed", "%d of %d" % (failed, len(doc["steps"]))))
    figures.append(_figure("Changes", "%d" % len(doc["changes"])))
    out.append('<section class="figures">%s</section>' % "".join(figures))

    svg = timeline_svg(doc)
    out.append("<section><h2>Timeline</h2>%s</section>" % (svg or "<p>No step was recorded.</p>"))

    if measures["verdicts"]:
        out.append("<section><h2>Measures</h2>%s</section>" % _table(
            ["Measure", "Value", "Budget", "Verdict"],
            [[_td(v["name"]), _td(v["value"], "num"), _td(v["budget"], "num"), _td(v["verdict"])] for v in measures["verdicts"]]))

    state = doc["state"]
    if state["rows"]:
        shown, hidden = state_rows(doc, limit=200)
        compared = ("<p>Compared: <strong>%s</strong>.</p>" % ("equal" if state["equal"] else "differs")) if state["compared"] else ""
        table = _table(["Field", state["before_label"] or "before", state["after_label"] or "after"],
                       [[_td(r["path"]), _td(r["before"]), _td(r["after"])] for r in shown],
                       ["ignored" if r["ignored"] and r["differs"] else ("differs" if r["differs"] else "") for r in shown])
        more = "<p>%d more field(s) in report.json.</p>" % hidden if hidden else ""
        out.append("<section><h2>State before and after</h2>%s%s%s</section>" % (compared, table, more))

    out.append("<section><h2>Steps</h2>%s</section>" % _table(
        ["#", "Step", "Started (UTC)", "Duration", "Result", "Detail"],
        [[_td(s["index"] + 1, "num"), _td(step_label(s)), _td(s["started_at"]), _td(seconds(s["duration_seconds"]), "num"),
          _td(s["status"], "status-" + s["status"]),
          _td(step_detail(s))] for s in doc["steps"]]))

    if doc["gates"]:
        out.append("<section><h2>Gates</h2>%s</section>" % _table(
            ["Step", "Gate", "Passed", "Numbers", "Detail"],
            [[_td(step_label(doc["steps"][g["step"]]) if g.get("step") is not None else "-"), _td(g["name"]),
              _td("-" if g["passed"] is None else ("pass" if g["passed"] else "FAIL"), "" if g["passed"] is not False else "status-failed"),
              _td(", ".join("%s=%s" % (k, cell(v)) for k, v in sorted(g["numbers"].items()))), _td(g["detail"])] for g in doc["gates"]]))

    out.append("<section><h2>Changes</h2>%s</section>" % (
        "<ul>%s</ul>" % "".join("<li>%s</li>" % _e(c) for c in doc["changes"]) if doc["changes"] else "<p>None.</p>"))
    if doc["errors"]:
        out.append("<section><h2>Errors</h2><ul>%s</ul></section>" % "".join("<li>%s</li>" % _e(e) for e in doc["errors"]))
    if doc["next_steps"]:
        out.append("<section><h2>Next steps</h2><ul>%s</ul></section>" % "".join("<li>%s</li>" % _e(n) for n in doc["next_steps"]))

    out.append("<details><summary>All %d tasks</summary>%s</details>" % (len(doc["tasks"]), _table(
        ["#", "Task", "Role", "Action", "Started (UTC)", "Duration", "Result", "Error"],
        [[_td(t["index"] + 1, "num"), _td(t["name"]), _td(t["role"]), _td(t["action"]), _td(t["started_at"]),
          _td(seconds(t["duration_seconds"]), "num"), _td(t["status"], "status-" + t["status"]), _td(t["error"])] for t in doc["tasks"]])))
    out.append("<footer>Generated by %s (schema_version %s) at %s; %d value(s) masked. Files: report.json, report.md, junit.xml, "
               "report.html in %s.</footer>" % (_e(doc["generator"]["name"]), _e(doc["schema_version"]), _e(doc["generator"].get("generated_at")),
                                                doc["redaction"]["masked"], _e(run.get("run_dir"))))
    out.append("</body></html>")
    return "\n".join(out) + "\n"
