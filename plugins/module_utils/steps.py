# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The standard result of a runbook step, in plain Python (no Ansible import): used by the modules (their
`step_summary`), the `runbook_step` action plugin (the recorded step, `cloudops_step`) and the run_evidence callback.

A module that is a runbook step returns, besides its own keys, `step_summary`:
    {"detail": "<one line a person reads in the report>", "measures": {<flat scalars>},
     "gates": [{"name", "passed" (bool|None), "detail", "numbers": {<flat scalars>}}]}
built with `summary()` and `gate()` below. `runbook_step` wraps it into the recorded step (`make_step()`):
    {"step", "phase", "title", "module", "started_at", "finished_at", "duration_seconds",
     "outcome" (ok|changed|failed|skipped), "detail", "error", "measures", "gates"}
"""

from __future__ import annotations

import datetime
import re

STEP_ID_RE = re.compile(r"^[a-z_][a-z0-9_]*$")
OUTCOMES = ("ok", "changed", "failed", "skipped")
STEP_KEYS = ("step", "phase", "title", "module", "started_at", "finished_at", "duration_seconds", "outcome", "detail",
             "error", "measures", "gates")
MAX_TEXT = 300
MAX_ERROR = 600


def scalar(value, limit=200):
    """A value fit for measures and a gate's numbers: numbers, booleans, None and short strings; None otherwise."""
    if value is None or isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, str):
        return value if len(value) <= limit else value[:limit] + "..."
    return None


def _is_scalar(value):
    return value is None or isinstance(value, (bool, int, float, str))


def text(value, limit=MAX_TEXT):
    """One line of text (None stays None): the first line, shortened to `limit` characters."""
    if value is None:
        return None
    line = str(value).strip().splitlines()[0] if str(value).strip() else ""
    return line if len(line) <= limit else line[:limit] + "..."


def flat(values, prefix=""):
    """(flat, dropped): `values` as {key: scalar} - nested dicts become dotted keys (`a.b`); lists and other objects
    are dropped and their keys returned in `dropped`."""
    out, dropped = {}, []
    if not isinstance(values, dict):
        return out, ([prefix] if prefix and values is not None else [])
    for key, value in values.items():
        name = "%s.%s" % (prefix, key) if prefix else str(key)
        if isinstance(value, dict):
            inner, lost = flat(value, name)
            out.update(inner)
            dropped.extend(lost)
        elif _is_scalar(value):
            out[name] = scalar(value)
        else:
            dropped.append(name)
    return out, dropped


def gate(name, passed, detail=None, numbers=None):
    """A gate: {name, passed (True|False|None: not a pass/fail check), detail (one line or None), numbers}."""
    numbers = numbers if isinstance(numbers, dict) else {}
    return {"name": str(name), "passed": passed if isinstance(passed, bool) else None,
            "detail": text(detail) if detail is not None else None,
            "numbers": dict((str(k), scalar(v)) for k, v in numbers.items() if scalar(v) is not None)}


def numbers_of(result, keys):
    """{key: scalar} of the keys of `result` that hold a scalar (missing and None values left out)."""
    out = {}
    for key in keys:
        if isinstance(result, dict) and key in result and scalar(result[key]) is not None:
            out[key] = scalar(result[key])
    return out


def gates_of(values):
    """The gates of a list as given by a module or a playbook, each normalised by gate(); anything else dropped."""
    out = []
    for g in values if isinstance(values, list) else []:
        if isinstance(g, dict) and g.get("name") not in (None, ""):
            out.append(gate(g.get("name"), g.get("passed"), g.get("detail"), g.get("numbers")))
    return out


def summary(detail=None, measures=None, gates=None):
    """A module's `step_summary`: {detail, measures, gates}."""
    return {"detail": text(detail), "measures": flat(measures)[0], "gates": gates_of(gates)}


def outcome(result):
    """ok | changed | failed | skipped of a module's result (a missing result: ok)."""
    result = result if isinstance(result, dict) else {}
    if result.get("failed") or result.get("unreachable"):
        return "failed"
    if result.get("skipped"):
        return "skipped"
    return "changed" if result.get("changed") else "ok"


def error_of(result):
    """The error of a failed result, one paragraph: msg (or stderr/exception), None when it did not fail."""
    result = result if isinstance(result, dict) else {}
    if outcome(result) != "failed":
        return None
    msg = result.get("msg") or result.get("reason") or result.get("stderr") or result.get("exception") or "failed"
    msg = str(msg).strip()
    return msg if len(msg) <= MAX_ERROR else msg[:MAX_ERROR] + "..."


def iso(ts):
    """ISO 8601 UTC with milliseconds of an epoch time (None stays None)."""
    if ts is None:
        return None
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def epoch(value):
    """Epoch seconds of an ISO 8601 time ('Z' or an offset; none means UTC); ValueError when it is not one."""
    text = str(value).strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    parsed = datetime.datetime.fromisoformat(text)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=datetime.timezone.utc)
    return parsed.timestamp()


def step_problems(step, phase=None, title=None, module=None, detail=None, measures=None, gates=None):
    """What is wrong with runbook_step's arguments (a list of sentences, empty when they are right)."""
    problems = []
    if not isinstance(step, str) or not STEP_ID_RE.match(step):
        problems.append("step must be an id of lower-case letters, digits and _ (such as promote), got %r." % (step,))
    for name, value in (("phase", phase), ("title", title), ("detail", detail), ("module", module)):
        if value is not None and not isinstance(value, str):
            problems.append("%s must be a string, got %s." % (name, type(value).__name__))
    if measures is not None and not isinstance(measures, dict):
        problems.append("measures must be a dictionary of numbers, got %s." % type(measures).__name__)
    if gates is not None and not isinstance(gates, list):
        problems.append("gates must be a list of {name, passed, detail, numbers}, got %s." % type(gates).__name__)
    return problems


def make_step(step, started, finished, phase=None, title=None, module=None, result=None, detail=None, measures=None,
              gates=None, recorded_outcome=None):
    """The recorded step (`cloudops_step`) of a step that ran from `started` to `finished` (epoch seconds).

    result: the module's result (None: a step with no module). Its `step_summary` gives detail, measures and gates;
    `detail` overrides the summary's detail, `measures` are merged over the summary's, `gates` are added after the
    summary's. A failed module: outcome failed, error its msg, and its msg is the detail when nothing else gives one.
    """
    result = result if isinstance(result, dict) else None
    found = result.get("step_summary") if result is not None and isinstance(result.get("step_summary"), dict) else {}
    merged = flat(found.get("measures"))[0]
    merged.update(flat(measures)[0])
    error = error_of(result)
    chosen = detail if detail not in (None, "") else found.get("detail")
    if chosen in (None, "") and error:
        chosen = error
    return {
        "step": str(step), "phase": None if phase in (None, "") else str(phase),
        "title": str(title) if title not in (None, "") else str(step),
        "module": module or None,
        "started_at": iso(started), "finished_at": iso(finished),
        "duration_seconds": None if started is None or finished is None else round(max(0.0, finished - started), 3),
        "outcome": outcome(result) if result is not None else (recorded_outcome if recorded_outcome in OUTCOMES else "ok"),
        "detail": text(chosen), "error": error,
        "measures": merged,
        "gates": gates_of(found.get("gates")) + gates_of(gates),
    }


def is_step(value):
    """Whether `value` looks like a recorded step (what runbook_step returns as `cloudops_step`)."""
    return isinstance(value, dict) and isinstance(value.get("step"), str) and value.get("outcome") in OUTCOMES


def steps_after(previous, recorded):
    """The run's list of steps after this one: the previous list (only its recorded steps) plus `recorded` (one
    step or a list of them)."""
    out = [s for s in (previous if isinstance(previous, list) else []) if is_step(s)]
    for s in recorded if isinstance(recorded, list) else [recorded]:
        if is_step(s):
            out.append(s)
    return out


def module_step(spec, started, finished, module, result):
    """The recorded step of a module that records its own step(s) (given `step: {step, phase, title}`), as runbook_step
    would record it, for a playbook to add with `runbook_step: record:` where it belongs in the run's list (a module
    that runs several steps at once returns a list of them). None without a spec."""
    if not isinstance(spec, dict) or not spec.get("step"):
        return None
    return make_step(spec["step"], started, finished, phase=spec.get("phase"), title=spec.get("title"), module=module, result=result)
