"""The recorders' logs read back (no Ansible run): `pytest benchmarks/tests`."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from benchmarks import counting


def line(started, finished, rc, utime, stime, argv):
    return "\t".join(str(x) for x in (started, finished, rc, utime, stime, argv))


def test_the_module_comes_from_the_ansiballz_file_or_the_script_run():
    assert counting.module_of("/root/.ansible/tmp/ansible-tmp-1/AnsiballZ_rds_instance.py") == "rds_instance"
    assert counting.module_of("/tmp/x/async_wrapper.py j1 10 /tmp/x/AnsiballZ_command.py _") == "async_wrapper"
    assert counting.module_of("") == "?"


def test_process_log_lines_give_times_cpu_and_module_and_cut_lines_are_ignored():
    text = "\n".join([line(10.5, 11.0, 0, 80, 20, "/t/AnsiballZ_k8s.py"),
                      line(9.0, 9.5, 1, 50, 0, "/t/AnsiballZ_helm_release.py"),
                      "12.0\t12.1\t0\t3"])
    procs = counting.parse_process_log(text, clock_ticks=100)
    assert [(p["module"], p["rc"], p["cpu"]) for p in procs] == [("helm_release", 1, 0.5), ("k8s", 0, 1.0)]


def ev(kind, uuid, t=None, **kw):
    return dict(event=kind, uuid=uuid, t=t, **kw)


def test_tasks_are_task_starts_with_their_last_result_and_loop_items():
    events = [ev("start", "a", 1.0, name="Read", action="x.read", path="p:1"), ev("result", "a", status="ok"),
              ev("start", "b", 2.0, name="Loop", action="x.write", path="p:5"), ev("item", "b", status="ok"),
              ev("item", "b", status="ok"), ev("result", "b", status="changed"),
              ev("start", "c", 3.0, name="Maybe", action="x.write", path="p:9"), ev("result", "c", status="skipped"),
              ev("start", "d", 4.0, name="Killed", action="x.write", path="p:12")]
    tasks = counting.tasks_of(counting.parse_task_log("\n".join(json.dumps(e) for e in events) + "\nnot json"))
    assert [(t["name"], t["status"], t["items"]) for t in tasks] == [
        ("Read", "ok", 0), ("Loop", "changed", 2), ("Maybe", "skipped", 0), ("Killed", None, 0)]


def test_summary_attributes_each_process_to_the_task_running_when_it_started():
    tasks = [{"name": "Read", "started": 1.0, "path": "p:1", "status": "ok", "items": 0},
             {"name": "Loop", "started": 2.0, "path": "p:5", "status": "changed", "items": 2},
             {"name": "Maybe", "started": 3.0, "path": "p:9", "status": "skipped", "items": 0}]
    procs = [{"started": s, "finished": s + 0.5, "rc": 0, "cpu": 0.75, "module": m}
             for s, m in ((1.1, "info"), (2.1, "write"), (2.6, "write"))]
    s = counting.summary(procs, tasks)
    assert (s["tasks"], s["tasks_skipped"], s["loop_items"], s["processes"]) == (3, 1, 2, 3)
    assert s["process_cpu_seconds"] == pytest.approx(2.25)
    assert s["processes_by_module"] == {"write": 2, "info": 1}
    assert s["top_tasks"][0] == {"task": "Loop", "processes": 2, "cpu": 1.5}


def test_the_interpreter_wrapper_logs_a_process_and_keeps_its_exit_code(tmp_path):
    log = tmp_path / "processes"
    wrapper = counting.write_interpreter(tmp_path / "python", sys.executable, log)
    script = tmp_path / "AnsiballZ_probe.py"
    script.write_text("import sys\nprint('out')\nsys.exit(3)\n")
    proc = subprocess.run([str(wrapper), str(script)], capture_output=True, text=True)
    assert (proc.returncode, proc.stdout) == (3, "out\n")
    [p] = counting.parse_process_log(log.read_text())
    assert (p["module"], p["rc"]) == ("probe", 3) and p["finished"] >= p["started"] and p["cpu"] >= 0
