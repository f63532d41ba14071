"""Callback of `make bench` (benchmarks/counting.py): each task start and result, one JSON object per line."""

from __future__ import annotations

DOCUMENTATION = r"""
name: bench_tasks
type: aggregate
short_description: log task starts and results for the benchmark's counts
description:
  - Appends one JSON object per task start (tasks, handlers, includes; skipped ones too) and per result (and loop
    item) to the file named by the environment variable E(CLOUDOPS_BENCH_TASK_LOG). Does nothing without it.
  - Used by C(python -m benchmarks.run) only; not part of the collection.
requirements:
  - enabled in the run (C(ANSIBLE_CALLBACKS_ENABLED)) with C(ANSIBLE_CALLBACK_PLUGINS=benchmarks/callback_plugins)
"""

import json
import os
import time

from ansible.plugins.callback import CallbackBase


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "bench_tasks"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._path = os.environ.get("CLOUDOPS_BENCH_TASK_LOG")

    def _write(self, event):
        if not self._path:
            return
        event["t"] = time.time()
        with open(self._path, "a") as fh:
            fh.write(json.dumps(event, default=str) + "\n")

    def _start(self, task, handler):
        self._write({"event": "start", "uuid": task._uuid, "name": task.get_name(), "handler": handler,
                     "action": getattr(task, "resolved_action", None) or task.action, "path": task.get_path()})

    def _result(self, kind, result, status):
        task = getattr(result, "task", None) or result._task
        self._write({"event": kind, "uuid": task._uuid, "status": status})

    def v2_playbook_on_task_start(self, task, is_conditional):
        self._start(task, False)

    def v2_playbook_on_handler_task_start(self, task):
        self._start(task, True)

    def v2_runner_on_ok(self, result, **kwargs):
        self._result("result", result, "changed" if result.is_changed() else "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._result("result", result, "failed")

    def v2_runner_on_skipped(self, result):
        self._result("result", result, "skipped")

    def v2_runner_on_unreachable(self, result):
        self._result("result", result, "unreachable")

    def v2_runner_item_on_ok(self, result):
        self._result("item", result, "ok")

    def v2_runner_item_on_failed(self, result):
        self._result("item", result, "failed")

    def v2_runner_item_on_skipped(self, result):
        self._result("item", result, "skipped")
