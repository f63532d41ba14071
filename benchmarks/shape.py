"""The code-shape targets of issue 15, read from the working tree as it is when the bench runs.

- no playbook over PLAYBOOK_LINES_TARGET lines (playbooks/*.yml, the runbooks a user runs; playbooks/tasks/ are task
  files, listed apart);
- lines holding a Jinja statement `{%` across playbooks/ and roles/ (every file: YAML and templates) at most
  JINJA_LINES_TARGET;
- no task-name parsing in plugins/: no `STEP_RE` (the evidence callback's regular expression over task names).
Counting is pure (`count_*` take texts; tests in benchmarks/tests/test_shape.py); `read_shape` walks the tree.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

PLAYBOOK_LINES_TARGET = 200
JINJA_LINES_TARGET = 100
TASK_NAME_PARSING = "STEP_RE"
TEXT_SUFFIXES = (".yml", ".yaml", ".j2", ".json", ".md", ".txt", ".py", ".cfg", ".ini")


def count_lines(text: str) -> int:
    return len(text.splitlines())


def count_jinja_statement_lines(text: str) -> int:
    """Lines holding `{%` (a Jinja statement or its start, `{%-` too)."""
    return sum(1 for line in text.splitlines() if "{%" in line)


def find_marker(texts: Iterable[tuple[str, str]], marker: str = TASK_NAME_PARSING) -> list[str]:
    """`path:line` of each line naming the marker."""
    return ["%s:%d" % (path, n) for path, text in texts for n, line in enumerate(text.splitlines(), 1)
            if marker in line]


def _texts(root: Path, top: str, suffixes: tuple[str, ...] = TEXT_SUFFIXES) -> list[tuple[str, str]]:
    base = root / top
    if not base.is_dir():
        return []
    return [(str(p.relative_to(root)), p.read_text(errors="replace")) for p in sorted(base.rglob("*"))
            if p.is_file() and p.suffix in suffixes and "__pycache__" not in p.parts]


def shape_of(playbooks: list[tuple[str, str]], task_files: list[tuple[str, str]], jinja_files: list[tuple[str, str]],
             plugins: list[tuple[str, str]]) -> dict[str, Any]:
    """The figures and verdicts of the three checks, from (path, text) pairs."""
    lines = {path: count_lines(text) for path, text in playbooks}
    jinja = {path: n for path, text in jinja_files if (n := count_jinja_statement_lines(text))}
    over = sorted(p for p, n in lines.items() if n > PLAYBOOK_LINES_TARGET)
    parsing = find_marker(plugins)
    return {
        "playbook_lines": dict(sorted(lines.items(), key=lambda kv: -kv[1])),
        "task_file_lines": dict(sorted(((p, count_lines(t)) for p, t in task_files), key=lambda kv: -kv[1])),
        "playbooks_over": over,
        "jinja_lines": sum(jinja.values()),
        "jinja_lines_yaml": sum(n for p, n in jinja.items() if p.endswith((".yml", ".yaml"))),
        "jinja_by_file": dict(sorted(jinja.items(), key=lambda kv: -kv[1])),
        "task_name_parsing": parsing,
        "verdicts": [
            {"target": "no playbook over %d lines" % PLAYBOOK_LINES_TARGET, "passed": not over,
             "detail": ("longest %s (%d lines)" % max(lines.items(), key=lambda kv: kv[1]) if lines else "no playbook")
             + ("; over: %s" % ", ".join("%s (%d)" % (p, lines[p]) for p in over) if over else "")},
            {"target": "`{%%` lines in playbooks and roles <= %d" % JINJA_LINES_TARGET,
             "passed": sum(jinja.values()) <= JINJA_LINES_TARGET,
             "detail": "%d lines (%d in YAML, %d in templates); most in %s" % (
                 sum(jinja.values()), sum(n for p, n in jinja.items() if p.endswith((".yml", ".yaml"))),
                 sum(n for p, n in jinja.items() if not p.endswith((".yml", ".yaml"))),
                 ", ".join("%s (%d)" % kv for kv in sorted(jinja.items(), key=lambda kv: -kv[1])[:3]) or "-")},
            {"target": "no task-name parsing (`%s`) in plugins/" % TASK_NAME_PARSING, "passed": not parsing,
             "detail": ", ".join(parsing[:4]) + (" and %d more" % (len(parsing) - 4) if len(parsing) > 4 else "")
             if parsing else "none"},
        ],
    }


def read_shape(root: Path) -> dict[str, Any]:
    """shape_of() the tree at `root` as it is now."""
    playbook_dir = root / "playbooks"
    playbooks = [(str(p.relative_to(root)), p.read_text()) for p in sorted(playbook_dir.glob("*.y*ml"))]
    task_files = [(path, text) for path, text in _texts(root, "playbooks", (".yml", ".yaml"))
                  if Path(path).parent != Path("playbooks")]
    jinja_files = _texts(root, "playbooks") + _texts(root, "roles")
    return shape_of(playbooks, task_files, jinja_files, _texts(root, "plugins", (".py",)))
