# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from ansible_collections.cloudops.runbooks.plugins.plugin_utils import evidence_model as model
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_html import render_html, timeline_svg
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import MASK, Redactor
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_render import prepare, render_json, render_junit, render_markdown
from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_render import to_plain

SECRET = "seeded-secret-value-77"


@pytest.fixture
def doc(recorded_drill, drill_summary, drill_report):
    drill_report["readiness"] = {"credentials": {"source": "inline", "password": SECRET}}
    drill_report["error"] = "connection refused for user shop_admin (password %s)" % SECRET
    redactor = Redactor()
    redactor.learn_environment({"AWS_SECRET_ACCESS_KEY": "aws-seeded-secret-key-88"})
    drill_report["next_steps"] = ["never print aws-seeded-secret-key-88"]
    document = model.build_document(recorded_drill, drill_summary, drill_report, host_stats={"localhost": {"ok": 8, "failures": 1}},
                                    ansible_version="2.19.14", collection_version="0.1.0", now=recorded_drill.finished)
    return prepare(document, redactor)


def test_no_renderer_writes_a_secret(doc):
    for text in (render_json(doc), render_markdown(doc), render_junit(doc), render_html(doc)):
        assert SECRET not in text and "aws-seeded-secret-key-88" not in text
    # The error, the next step and the readiness password were there, masked (JUnit carries none of them).
    for text in (render_json(doc), render_markdown(doc), render_html(doc)):
        assert "(password %s)" % MASK in text and "never print %s" % MASK in text
    assert doc["redaction"]["masked"] >= 3


def test_json_round_trips_with_plain_types(doc):
    assert json.loads(render_json(doc)) == doc
    assert doc["schema_version"] == 1 and doc["run"]["status"] == "succeeded"


def test_to_plain_turns_str_and_int_subclasses_tuples_and_sets_into_json_types():
    class Tagged(str):
        pass

    class Count(int):
        pass

    plain = to_plain({Tagged("k"): (Tagged("v"), Count(3), {1}), "b": True})
    assert plain == {"k": ["v", 3, [1]], "b": True}
    assert not isinstance(list(plain)[0], Tagged) and not isinstance(plain["k"][0], Tagged) and not isinstance(plain["k"][1], Count)


def test_junit_has_one_testcase_per_step_with_failures_skips_and_gate_properties(doc):
    root = ET.fromstring(render_junit(doc).encode("utf-8"))
    suite = root.find("testsuite")
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["drill | 1. status before", "drill | 2. promote the DR replica (lag gate)",
                                              "drill | 3. smoke-test the application on DR", "failback | 1. put Route 53 back as recorded"]
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("4", "1", "1")
    assert cases[2].find("failure").get("message") == "Job web-smoke failed: exit code 1"
    assert cases[3].find("skipped") is not None and cases[0].find("failure") is None and cases[0].get("time") == "1.900"
    props = dict((p.get("name"), p.get("value")) for p in cases[1].find("properties"))
    assert props["gate.lag at promotion.passed"] == "yes" and props["gate.lag at promotion.lag_at_promotion_seconds"] == "2.0"
    suite_props = dict((p.get("name"), p.get("value")) for p in suite.find("properties"))
    assert (suite_props["rto.seconds"], suite_props["rpo.seconds"], suite_props["rpo.rows"]) == ("6.5", "1.5", "2")
    assert suite_props["run_id"] == "drill-sandbox-20260131T120000"


def test_markdown_for_a_ticket(doc):
    text = render_markdown(doc)
    assert text.startswith("# FAILOVER DRILL of sandbox: PASSED\n")
    assert "| RTO: from the cut to the smoke test passing on DR | 6.5 s | 900 s | within budget |" in text
    assert "| RPO: the markers the promoted database lacks | 2 rows, 1.5 s | 60 s | within budget |" in text
    assert "| Estate after the failback equals before | yes | - | equal |" in text
    assert "| 3 | drill \\| 3. smoke-test the application on DR | 2026-01-31T12:00:05.250Z | 1.4 s | failed | Smoke test: Job web-smoke" in text
    assert "| lag at promotion | yes |" in text


def test_html_is_self_contained_with_the_timeline_and_the_figures(doc):
    page = render_html(doc)
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page.lower() and "<link" not in page.lower()
    # No external asset: the only URL is the SVG namespace.
    assert re.findall(r"""(?:src|href)\s*=\s*["']?https?:""", page, re.I) == []
    assert set(re.findall(r"https?://[^\s\"'<>]+", page)) == {"http://www.w3.org/2000/svg"}
    assert page.count("<svg") == 1 and 'class="rto-marker"' in page and 'class="rpo-marker"' in page
    assert "RTO 6.5 s (budget 900 s)" in page and "RPO 1.5 s, 2 rows (budget 60 s)" in page
    assert '<div class="label">RTO</div><div class="value">6.5 s</div>' in page
    assert '<div class="label">RPO</div><div class="value">1.5 s, 2 rows</div>' in page
    # State before and after, with the ignored difference marked.
    assert '<tr class="ignored"><td>rds.replica.endpoint.port</td><td>5433</td><td>5440</td></tr>' in page


def test_the_timeline_places_bars_by_time_and_escapes_names(recorded_drill, drill_summary, drill_report):
    recorded_drill.tasks[1]["recorded"][0]["step"]["title"] = "<b>status</b> & before"
    d = prepare(model.build_document(recorded_drill, drill_summary, drill_report, now=recorded_drill.finished), Redactor())
    svg = timeline_svg(d, width=1000)
    assert "<b>" not in svg and "&lt;b&gt;status&lt;/b&gt; &amp; before" in svg
    bars = re.findall(r'<rect class="step step-(\w+)" x="([\d.]+)" y="\d+" width="([\d.]+)"', svg)
    assert [b[0] for b in bars] == ["ok", "changed", "failed", "skipped"]
    # The run is 7.3 s long on 600 px from x=330: the first step ran from 1.05 s for 1.9 s (the times it recorded).
    x, width = float(bars[0][1]), float(bars[0][2])
    assert abs(x - (330 + 1.05 / 7.3 * 600)) < 0.1 and abs(width - 1.9 / 7.3 * 600) < 0.1
    assert [float(b[1]) for b in bars] == sorted(float(b[1]) for b in bars)


def test_recorded_steps_show_their_detail_and_measures(recorded_drill, drill_summary, drill_report):
    d = prepare(model.build_document(recorded_drill, drill_summary, drill_report, now=recorded_drill.finished), Redactor())
    text = render_markdown(d)
    assert "| 1 | drill \\| 1. status before | 2026-01-31T12:00:01.050Z | 1.9 s | ok | estate collected |" in text
    assert "| 3 | drill \\| 3. smoke-test the application on DR | 2026-01-31T12:00:05.250Z | 1.4 s | failed | Smoke test: Job web-smoke" in text
    cases = ET.fromstring(render_junit(d).encode("utf-8")).find("testsuite").findall("testcase")
    assert [c.get("name") for c in cases][:2] == ["drill | 1. status before", "drill | 2. promote the DR replica (lag gate)"]
    props = dict((p.get("name"), p.get("value")) for p in cases[1].find("properties"))
    assert props["measure.lag_at_promotion_seconds"] == "2.0" and props["gate.lag at promotion.passed"] == "yes"
    assert "<td>estate collected</td>" in render_html(d)


def test_a_run_without_measures_has_no_markers_and_says_so():
    recorder = model.RunRecorder()
    recorder.play_start("Status", 1000.0)
    recorder.task_start("a", "Collect the status", 1000.0, action="ansible.builtin.include_role", lineage=[("a", "Collect the status")],
                        top=("a", "Collect the status"))
    recorder.task_result("a", "localhost", "ok", 1003.0, {})
    recorder.finish(1003.5)
    d = prepare(model.build_document(recorder, {"runbook": "status", "run_id": "status-x", "status": "succeeded", "outcome": "collected"},
                                     {"environment": "sandbox", "dns": {"primary": "primary"}}, now=1003.5), Redactor())
    page = render_html(d)
    assert "rto-marker" not in page and "rpo-marker" not in page and page.count("<svg") == 1
    assert d["measures"] == {"rto": None, "rpo": None, "verdicts": []}
    assert "<td>dns.primary</td><td>-</td><td>primary</td>" in page
    assert "# STATUS of ?: COLLECTED" in render_markdown(d)
