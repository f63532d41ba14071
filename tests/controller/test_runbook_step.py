# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook_step action plugin in real ansible-playbook runs of tiny playbooks (localhost, a fixture module that
returns a step_summary), read through the json stdout callback."""

from __future__ import annotations

import json
import os
import sys
import textwrap

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import steps as steps_utils
from conftest import run_json_playbook

COLLECTIONS = os.path.abspath(os.path.join(os.path.dirname(steps_utils.__file__), *([os.pardir] * 5)))

FIXTURE_MODULE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule


def main():
    module = AnsibleModule(argument_spec=dict(value=dict(type="int", default=1), fail=dict(type="bool", default=False),
                                              tag=dict(type="str", default="none")), supports_check_mode=True)
    p = module.params
    summary = {"detail": "value %d" % p["value"], "measures": {"value": p["value"], "from_module": 1},
               "gates": [{"name": "value small", "passed": p["value"] < 10, "detail": None, "numbers": {"value": p["value"]}}]}
    if p["fail"]:
        module.fail_json(msg="the fixture failed as asked", step_summary=summary)
    module.exit_json(changed=not module.check_mode, check_mode=module.check_mode, tag=p["tag"], step_summary=summary)


main()
'''

NO_CHECK_MODULE = '''#!/usr/bin/python
from ansible.module_utils.basic import AnsibleModule

AnsibleModule(argument_spec={}, supports_check_mode=False).exit_json(changed=True)
'''


def run_playbook(tmp_path, tasks, check=False, play_extra="", evidence=False):
    library = tmp_path / "library"
    library.mkdir(exist_ok=True)
    (library / "step_fixture.py").write_text(FIXTURE_MODULE)
    (library / "step_nocheck.py").write_text(NO_CHECK_MODULE)
    (tmp_path / "ansible.cfg").write_text("[defaults]\n" + ("callbacks_enabled = cloudops.runbooks.run_evidence\n" if evidence else ""))
    playbook = tmp_path / "play.yml"
    playbook.write_text("- hosts: localhost\n  gather_facts: false\n%s  tasks:\n%s" % (
        textwrap.indent(textwrap.dedent(play_extra), "  "), textwrap.indent(textwrap.dedent(tasks), "    ")))
    env = dict((k, v) for k, v in os.environ.items() if not k.startswith("ANSIBLE_"))
    env.update(ANSIBLE_COLLECTIONS_PATH=COLLECTIONS, ANSIBLE_LIBRARY=str(library), ANSIBLE_STDOUT_CALLBACK="ansible.builtin.json",
               ANSIBLE_CONFIG=str(tmp_path / "ansible.cfg"), ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_PYTHON_INTERPRETER=sys.executable,
               ANSIBLE_RETRY_FILES_ENABLED="false", ANSIBLE_NOCOLOR="1")
    cmd = [sys.executable, "-m", "ansible.cli.playbook", "-i", "localhost,", "-c", "local", str(playbook)] + (["--check"] if check else [])
    return run_json_playbook(cmd, tmp_path, env, 180)


def test_steps_are_recorded_as_data(tmp_path):
    rc, r = run_playbook(tmp_path, """
        - name: First step
          cloudops.runbooks.runbook_step:
            step: first
            phase: failover
            module: step_fixture
            args: {value: 3}
          register: first
        - name: Second step, no module
          cloudops.runbooks.runbook_step:
            step: second
            title: the second one
            since: "{{ first.cloudops_step.started_at }}"
            detail: "after {{ first.cloudops_step.step }}"
            measures: {seconds: 2.5, nested: {a: 1}}
            gates: [{name: manual, passed: true}]
        - name: Third step, detail and measures over the module's
          cloudops.runbooks.runbook_step:
            step: third
            module: step_fixture
            args: {value: 12, tag: given}
            detail: overridden
            measures: {value: 99, extra: 1}
        - name: Show
          ansible.builtin.debug:
            msg: "{{ ansible_facts.runbook_steps | map(attribute='step') | list }} {{ runbook_steps | length }}"
        """)
    assert rc == 0
    first = r["First step"]
    assert first["changed"] is True and first["tag"] == "none"  # the module's own result is returned
    step = first["cloudops_step"]
    assert step["step"] == "first" and step["phase"] == "failover" and step["title"] == "First step"
    assert step["outcome"] == "changed" and step["detail"] == "value 3" and step["error"] is None
    assert step["module"].endswith("step_fixture")
    assert step["measures"] == {"value": 3, "from_module": 1}
    assert step["gates"] == [{"name": "value small", "passed": True, "detail": None, "numbers": {"value": 3}}]
    assert step["duration_seconds"] >= 0 and step["started_at"].endswith("Z") and step["finished_at"] >= step["started_at"]
    assert [s["step"] for s in first["ansible_facts"]["runbook_steps"]] == ["first"]

    second = r["Second step, no module"]
    assert second["changed"] is False
    s2 = second["cloudops_step"]
    assert s2["title"] == "the second one" and s2["outcome"] == "ok" and s2["detail"] == "after first" and s2["module"] is None
    assert s2["measures"] == {"seconds": 2.5, "nested.a": 1}
    # since: the step began with the first one
    assert s2["started_at"] == step["started_at"] and s2["duration_seconds"] >= step["duration_seconds"]
    assert s2["gates"] == [{"name": "manual", "passed": True, "detail": None, "numbers": {}}]

    s3 = r["Third step, detail and measures over the module's"]["cloudops_step"]
    assert s3["detail"] == "overridden" and s3["measures"] == {"value": 99, "from_module": 1, "extra": 1}
    assert s3["gates"][0]["passed"] is False
    assert r["Show"]["msg"] == "['first', 'second', 'third'] 3"


def test_a_failed_step_fails_the_task_and_is_in_the_failed_result(tmp_path):
    rc, r = run_playbook(tmp_path, """
        - name: Before
          cloudops.runbooks.runbook_step: {step: before}
        - block:
            - name: Failing step
              cloudops.runbooks.runbook_step:
                step: failing
                module: step_fixture
                args: {fail: true}
          rescue:
            - name: Keep it
              cloudops.runbooks.runbook_step:
                record: "{{ ansible_failed_result.cloudops_step }}"
        - name: Show
          ansible.builtin.debug:
            msg: "{{ ansible_facts.runbook_steps | map(attribute='outcome') | list }}"
        """)
    assert rc == 0
    failed = r["Failing step"]
    assert failed["failed"] is True and failed["msg"] == "the fixture failed as asked"
    step = failed["cloudops_step"]
    assert step["outcome"] == "failed" and step["error"] == "the fixture failed as asked"
    assert step["detail"] == "value 1"  # the module's step_summary is still read
    assert "cloudops_step" not in r["Keep it"] and r["Keep it"]["changed"] is False
    assert r["Show"]["msg"] == ["ok", "failed"]


def test_check_mode_is_passed_to_the_module(tmp_path):
    rc, r = run_playbook(tmp_path, """
        - name: Predict
          cloudops.runbooks.runbook_step: {step: predict, module: step_fixture}
        - name: Not supported
          cloudops.runbooks.runbook_step: {step: unsupported, module: step_nocheck}
        - name: Plain
          cloudops.runbooks.runbook_step: {step: plain}
        """, check=True)
    assert rc == 0
    predict = r["Predict"]
    assert predict["check_mode"] is True and predict["changed"] is False and predict["cloudops_step"]["outcome"] == "ok"
    unsupported = r["Not supported"]
    assert unsupported["skipped"] is True and unsupported["cloudops_step"]["outcome"] == "skipped"
    # a skipped task's facts are not applied: the plain step follows the first one only
    assert [s["step"] for s in r["Plain"]["ansible_facts"]["runbook_steps"]] == ["predict", "plain"]


def test_module_defaults_apply_to_the_step_module(tmp_path):
    rc, r = run_playbook(tmp_path, """
        - name: Defaulted
          cloudops.runbooks.runbook_step: {step: defaulted, module: step_fixture, args: {value: 2}}
        """, play_extra="""
        module_defaults:
          step_fixture: {tag: from-defaults, value: 7}
        """)
    assert rc == 0
    assert r["Defaulted"]["tag"] == "from-defaults" and r["Defaulted"]["cloudops_step"]["measures"]["value"] == 2


@pytest.mark.parametrize("args, message", [
    ({"step": "Bad Id"}, "step must be an id"),
    ({"step": "ok", "module": "ansible.builtin.copy", "args": {"src": "a", "dest": "b"}}, "run by an action plugin"),
    ({"step": "ok", "module": "no_such_module_here"}, "was not found"),
    ({"step": "ok", "args": {"a": 1}}, "args is given without module"),
    ({"step": "ok", "measures": [1]}, "measures must be a dictionary"),
    ({"record": {"step": "x"}}, "record must be a recorded step"),
    ({"step": "ok", "since": "yesterday"}, "since must be an ISO 8601 time"),
])
def test_wrong_arguments_are_refused_before_any_module(tmp_path, args, message):
    rc, r = run_playbook(tmp_path, """
        - name: Wrong
          cloudops.runbooks.runbook_step: %s
        """ % json.dumps(args))
    assert rc != 0
    assert r["Wrong"]["failed"] is True and message in r["Wrong"]["msg"] and "cloudops_step" not in r["Wrong"]


def test_the_run_evidence_report_takes_its_steps_from_the_recorded_steps(tmp_path):
    rc, r = run_playbook(tmp_path, """
        - name: Not a step (bookkeeping)
          ansible.builtin.set_fact: {probe: 1}
        - name: "Whatever the task is called"
          cloudops.runbooks.runbook_step:
            step: first
            phase: probe
            title: "the first step"
            module: step_fixture
            args: {value: 4}
        - name: Skipped step
          cloudops.runbooks.runbook_step: {step: skipped_one, phase: probe, title: never runs, module: step_fixture}
          when: false
        - block:
            - name: Failing step
              cloudops.runbooks.runbook_step: {step: failing, phase: other, module: step_fixture, args: {fail: true}}
          rescue:
            - name: Keep it
              cloudops.runbooks.runbook_step:
                record: "{{ ansible_failed_result.cloudops_step }}"
        - name: Publish the run summary
          ansible.builtin.set_stats:
            data:
              cloudops_summary: >-
                {{ {'environment': 'probe', 'outcome': 'collected', 'started_at': '2026-01-01T00:00:00Z'}
                   | cloudops.runbooks.run_summary('status', root=playbook_dir ~ '/runs') }}
            aggregate: false
        """, evidence=True)
    assert rc == 0
    [report] = list((tmp_path / "runs").glob("*/report.json"))
    doc = json.loads(report.read_text())
    assert doc["steps_basis"] == "recorded"
    assert [(s["phase"], s["number"], s["step"], s["title"], s["status"], s["detail"]) for s in doc["steps"]] == [
        ("probe", 1, "first", "the first step", "changed", "value 4"),
        ("probe", 2, "skipped_one", "never runs", "skipped", None),
        ("other", 1, "failing", "Failing step", "failed", "value 1"),
    ]
    assert doc["steps"][0]["measures"] == {"value": 4, "from_module": 1} and doc["steps"][2]["error"] == "the fixture failed as asked"
    assert [(g["name"], g["passed"], g["step"], g["module"]) for g in doc["gates"]] == [
        ("value small", True, 0, "step_fixture"), ("value small", True, 2, "step_fixture")]
