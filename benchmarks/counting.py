"""Task executions and module processes of a playbook run, counted as they happen.

Two recorders, both written into build/bench/ by `python -m benchmarks.run` and switched on for every run:

- **module processes**: the run's `ansible_python_interpreter` is a small bash script (`write_interpreter`) that logs
  each start and end, its exit code, the CPU seconds the process and its children used (cutime + cstime of
  /proc/<wrapper>/stat once it exited) and its arguments (`AnsiballZ_<module>.py` names the module), then returns the
  module's exit code. It counts every real Python process Ansible starts for the run: each module task, each loop
  item, each module an action plugin runs (`template` runs `stat` and `copy`; an action plugin may run several), an
  `async` task's `async_wrapper`, the module it starts and each `async_status` poll. Action plugins that run no module
  (set_fact, assert, debug, include_*) start none, nor do the sandbox's helm or kubectl processes a module runs.
- **task executions**: the callback plugin benchmarks/callback_plugins/bench_tasks.py logs each task start (as
  ansible.posix.profile_tasks lists them: every task, handler and include that starts, skipped ones too) and each
  result, one JSON object per line.

The functions below read those two logs (pure, tests in benchmarks/tests/test_counting.py).
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections import Counter
from pathlib import Path
from typing import Any, Iterable

TASK_LOG_ENV = "CLOUDOPS_BENCH_TASK_LOG"
CALLBACK_NAME = "bench_tasks"
CALLBACK_DIR = Path(__file__).resolve().parent / "callback_plugins"
ANSIBALLZ_RE = re.compile(r"AnsiballZ_(?P<module>[A-Za-z0-9_]+)\.py")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def interpreter_script(python: str, log: str) -> str:
    """The bash script that stands in for the Python interpreter: logs one tab-separated line per module process
    (started, finished, exit code, children's user and system CPU in clock ticks, arguments) and exits as it did."""
    return "\n".join([
        "#!/bin/bash",
        "# Written by benchmarks/counting.py: each module process of a benchmark run, then the real interpreter.",
        "started=$EPOCHREALTIME",
        "%s \"$@\"" % shlex.quote(python),
        "rc=$?",
        "read -r -a stat < /proc/$$/stat",
        "printf '%%s\\t%%s\\t%%s\\t%%s\\t%%s\\t%%s\\n' \"$started\" \"$EPOCHREALTIME\" \"$rc\" \"${stat[15]}\" "
        "\"${stat[16]}\" \"$*\" >> %s" % shlex.quote(log),
        "exit $rc",
        ""])


def write_interpreter(path: Path, python: str, log: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(interpreter_script(python, str(log)))
    path.chmod(0o755)
    return path


def module_of(argv: str) -> str:
    """The module a process ran, from its arguments (`.../AnsiballZ_rds_instance.py`); `?` when they do not say (a
    pipelined module reads its code from stdin)."""
    first = os.path.basename((argv or "").split(" ", 1)[0])
    found = ANSIBALLZ_RE.fullmatch(first)
    if found:
        return found.group("module")
    return first[:-3] if first.endswith(".py") else "?"


def parse_process_log(text: str, clock_ticks: int = CLOCK_TICKS) -> list[dict[str, Any]]:
    """One dict per module process: started, finished, rc, cpu (seconds), module, argv. Lines cut short (a process
    still running when the log was read) are ignored."""
    out = []
    for line in text.splitlines():
        fields = line.split("\t", 5)
        if len(fields) < 6:
            continue
        started, finished, rc, utime, stime, argv = fields
        try:
            out.append({"started": float(started), "finished": float(finished), "rc": int(rc),
                        "cpu": (int(utime) + int(stime)) / float(clock_ticks), "module": module_of(argv),
                        "argv": argv})
        except ValueError:
            continue
    return sorted(out, key=lambda p: p["started"])


def parse_task_log(text: str) -> list[dict[str, Any]]:
    """The callback's events, in order (unparseable lines ignored)."""
    events = []
    for line in text.splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def tasks_of(events: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One dict per task execution (a task start): name, action, path, started, status (the last result's: ok,
    changed, failed, skipped, unreachable; None when no result came, e.g. a run killed), items (loop results)."""
    tasks: list[dict[str, Any]] = []
    current: dict[str, Any] | None = None
    for ev in events:
        kind = ev.get("event")
        if kind == "start":
            current = {"name": ev.get("name"), "action": ev.get("action"), "path": ev.get("path"),
                       "started": ev.get("t"), "handler": bool(ev.get("handler")), "status": None, "items": 0,
                       "uuid": ev.get("uuid")}
            tasks.append(current)
        elif kind in ("result", "item") and current is not None:
            target = current if ev.get("uuid") in (None, current["uuid"]) else next(
                (t for t in reversed(tasks) if t["uuid"] == ev.get("uuid")), current)
            if kind == "item":
                target["items"] += 1
            else:
                target["status"] = ev.get("status")
    return tasks


def attribute(processes: list[dict[str, Any]], tasks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each process with the task running when it started (the last task started before it)."""
    out = []
    starts = sorted((t for t in tasks if t.get("started") is not None), key=lambda t: t["started"])
    i = -1
    for proc in sorted(processes, key=lambda p: p["started"]):
        while i + 1 < len(starts) and starts[i + 1]["started"] <= proc["started"]:
            i += 1
        task = starts[i] if i >= 0 else None
        out.append(dict(proc, task=task["name"] if task else None, task_path=task["path"] if task else None))
    return out


def summary(processes: list[dict[str, Any]], tasks: list[dict[str, Any]], top: int = 12) -> dict[str, Any]:
    """The counts a report shows: task executions (and how many were skipped / are handlers), loop items, module
    processes, their CPU seconds, per module, and the tasks that started the most processes."""
    statuses = Counter(t["status"] or "no result" for t in tasks)
    attributed = attribute(processes, tasks)
    by_task = Counter((p["task"] or "(before the first task)") for p in attributed)
    cpu_by_task: Counter = Counter()
    for p in attributed:
        cpu_by_task[p["task"] or "(before the first task)"] += p["cpu"]
    return {
        "tasks": len(tasks),
        "tasks_by_status": dict(sorted(statuses.items())),
        "tasks_skipped": statuses.get("skipped", 0),
        "loop_items": sum(t["items"] for t in tasks),
        "processes": len(processes),
        "processes_failed": sum(1 for p in processes if p["rc"] != 0),
        "process_cpu_seconds": round(sum(p["cpu"] for p in processes), 2),
        "process_seconds": round(sum(p["finished"] - p["started"] for p in processes), 2),
        "processes_by_module": dict(Counter(p["module"] for p in processes).most_common()),
        "top_tasks": [{"task": name, "processes": n, "cpu": round(cpu_by_task[name], 2)}
                      for name, n in by_task.most_common(top)],
    }


def read_counts(process_log: Path, task_log: Path) -> dict[str, Any]:
    """summary() of the two logs of one run (missing logs read as empty)."""
    procs = parse_process_log(process_log.read_text()) if process_log.exists() else []
    tasks = tasks_of(parse_task_log(task_log.read_text())) if task_log.exists() else []
    return summary(procs, tasks)
