"""The code-shape checks on made-up files: `pytest benchmarks/tests`."""

from __future__ import annotations

from benchmarks import shape


def test_jinja_statement_lines_count_each_line_with_a_block_start_once():
    text = "a: \"{{ x }}\"\nb: >-\n  {%- set y = 1 -%}{% if y %}\n  {{ y }}\n  {% endif %}\n"
    assert shape.count_jinja_statement_lines(text) == 2


def test_shape_verdicts_name_the_long_playbooks_the_jinja_and_the_task_name_parsing():
    long_playbook = "\n".join(["- x"] * 201)
    found = shape.shape_of(
        playbooks=[("playbooks/a.yml", long_playbook), ("playbooks/b.yml", "- y\n")],
        task_files=[("playbooks/tasks/t.yml", "- z\n")],
        jinja_files=[("roles/r/tasks/main.yml", "{% if %}\n" * 60), ("roles/r/templates/t.j2", "{% for %}\n" * 41)],
        plugins=[("plugins/x.py", "import re\nSTEP_RE = re.compile('')\n")])
    assert found["playbooks_over"] == ["playbooks/a.yml"]
    assert (found["jinja_lines"], found["jinja_lines_yaml"]) == (101, 60)
    assert found["task_name_parsing"] == ["plugins/x.py:2"]
    assert [v["passed"] for v in found["verdicts"]] == [False, False, False]
    clean = shape.shape_of([("playbooks/b.yml", "- y\n")], [], [("roles/r/tasks/main.yml", "{% if %}\n" * 100)],
                           [("plugins/x.py", "")])
    assert [v["passed"] for v in clean["verdicts"]] == [True, True, True]
