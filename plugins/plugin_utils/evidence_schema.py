# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""JSON Schema (draft 2020-12) of report.json, the run evidence document, schema_version 1.

Stable: a field is only ever added within a schema_version; renaming, removing or retyping one raises it. The
callback's DOCUMENTATION and DEVELOPERS.md describe the same fields in prose.
"""

from __future__ import annotations

import copy

SCHEMA_VERSION = 1

_TIME = {"type": ["string", "null"], "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"}
_SECONDS = {"type": ["number", "null"]}
_STR = {"type": ["string", "null"]}
_TASK_STATUS = {"enum": ["ok", "changed", "failed", "skipped", "unfinished"]}
_SCALAR = {"type": ["string", "number", "boolean", "null"]}
# When a step or a task ran and how it ended.
_TIMED = {
    "started_at": _TIME,
    "finished_at": _TIME,
    "start_offset_seconds": _SECONDS,
    "duration_seconds": {"type": ["number", "null"], "minimum": 0},
    "status": _TASK_STATUS,
    "changed": {"type": "boolean"},
}

_MEASURE = {
    "type": ["object", "null"],
    "required": ["seconds", "budget_seconds", "within_budget", "definition"],
    "properties": {
        "seconds": _SECONDS,
        "budget_seconds": _SECONDS,
        "within_budget": {"type": ["boolean", "null"]},
        "definition": _STR,
        "started_at": _STR,
        "ended_at": _STR,
        "at": _STR,
        "rows": {"type": ["integer", "null"]},
        "basis": _STR,
        "estimated": {"type": "boolean"},
    },
}

SCHEMA = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "cloudops.runbooks run evidence (report.json)",
    "type": "object",
    "required": ["schema_version", "generator", "run", "summary", "measures", "state", "changes", "steps_basis", "steps",
                 "gates", "tasks", "hosts", "errors", "next_steps", "report", "redaction"],
    "properties": {
        "schema_version": {"const": SCHEMA_VERSION},
        "generator": {
            "type": "object",
            "required": ["name", "ansible_version", "generated_at"],
            "properties": {"name": {"const": "cloudops.runbooks.run_evidence"}, "collection_version": _STR,
                           "ansible_version": _STR, "generated_at": _TIME},
        },
        "run": {
            "type": "object",
            "required": ["runbook", "title", "environment", "run_id", "run_dir", "playbook", "check_mode", "outcome", "status",
                         "started_at", "finished_at", "duration_seconds"],
            "properties": {
                "runbook": {"enum": ["status", "deploy", "rollback", "failover", "failover_drill", "failback", "backup", "backup_restore"]},
                "title": {"type": "string"},
                "environment": _STR,
                "run_id": {"type": "string", "minLength": 1},
                "run_dir": {"type": "string"},
                "playbook": _STR,
                "check_mode": {"type": "boolean"},
                "outcome": _STR,
                "status": {"enum": ["succeeded", "failed", "refused", "check"]},
                "started_at": _TIME,
                "finished_at": _TIME,
                "duration_seconds": _SECONDS,
            },
        },
        "summary": {
            "type": "object",
            "required": ["schema_version", "runbook", "environment", "run_id", "outcome", "status", "rto_seconds", "rpo_seconds",
                         "rpo_rows", "changes", "run_dir"],
            "properties": {
                "schema_version": {"const": 1},
                "status": {"enum": ["succeeded", "failed", "refused", "check"]},
                "rto_seconds": _SECONDS,
                "rpo_seconds": _SECONDS,
                "rpo_rows": {"type": ["integer", "null"]},
                "changes": {"type": "array", "items": {"type": "string"}},
                "run_dir": {"type": "string"},
            },
        },
        "measures": {
            "type": "object",
            "required": ["rto", "rpo", "verdicts"],
            "properties": {
                "rto": _MEASURE,
                "rpo": _MEASURE,
                "verdicts": {"type": "array", "items": {
                    "type": "object", "required": ["name", "value", "budget", "verdict"],
                    "properties": {"name": {"type": "string"}, "value": {"type": "string"}, "budget": _STR, "verdict": _STR}}},
            },
        },
        "state": {
            "type": "object",
            "required": ["before_label", "after_label", "has_before", "has_after", "compared", "equal", "truncated", "rows"],
            "properties": {
                "before_label": {"type": "string"},
                "after_label": {"type": "string"},
                "has_before": {"type": "boolean"},
                "has_after": {"type": "boolean"},
                "compared": {"type": "boolean"},
                "equal": {"type": ["boolean", "null"]},
                "truncated": {"type": "boolean"},
                "rows": {"type": "array", "items": {
                    "type": "object", "required": ["path", "before", "after", "differs", "ignored"],
                    "properties": {"path": {"type": "string"}, "differs": {"type": "boolean"}, "ignored": {"type": "boolean"}}}},
            },
        },
        "changes": {"type": "array", "items": {"type": "string"}},
        # recorded: the steps the run recorded as data (runbook_step); top_level: a run that records none (numbered: documents
        # written before task names stopped being parsed).
        "steps_basis": {"enum": ["recorded", "numbered", "top_level"]},
        "steps": {"type": "array", "items": {
            "type": "object",
            "required": ["index", "number", "phase", "title", "name", "started_at", "finished_at", "start_offset_seconds",
                         "duration_seconds", "status", "changed", "tasks", "failed_task", "error"],
            "properties": {
                "index": {"type": "integer", "minimum": 0},
                "number": {"type": "integer"},
                "phase": _STR,
                "title": {"type": "string"},
                "name": {"type": "string"},
                **_TIMED,
                "tasks": {"type": "integer", "minimum": 1},
                "failed_task": _STR,
                "error": _STR,
                # added with steps as data (null or {} for a step of a run that records none)
                "step": _STR,
                "module": _STR,
                "detail": _STR,
                "measures": {"type": "object", "additionalProperties": _SCALAR},
            },
        }},
        "gates": {"type": "array", "items": {
            "type": "object",
            "required": ["module", "name", "passed", "detail", "numbers", "task", "step"],
            "properties": {
                "module": {"type": "string"},
                "name": {"type": "string"},
                "passed": {"type": ["boolean", "null"]},
                "detail": _STR,
                "numbers": {"type": "object", "additionalProperties": _SCALAR},
                "task": {"type": "string"},
                "step": {"type": ["integer", "null"]},
            },
        }},
        "tasks": {"type": "array", "items": {
            "type": "object",
            "required": ["index", "name", "role", "action", "step", "started_at", "finished_at", "start_offset_seconds",
                         "duration_seconds", "status", "changed", "hosts", "error"],
            "properties": {
                "index": {"type": "integer"},
                "name": {"type": "string"},
                "role": _STR,
                "action": {"type": "string"},
                "step": {"type": ["integer", "null"]},
                **_TIMED,
                "hosts": {"type": "array", "items": {"type": "string"}},
                "error": _STR,
            },
        }},
        "hosts": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "integer"}}},
        "errors": {"type": "array", "items": {"type": "string"}},
        "next_steps": {"type": "array", "items": {"type": "string"}},
        "report": {"type": ["object", "null"]},
        "redaction": {
            "type": "object", "required": ["masked"],
            "properties": {"masked": {"type": "integer", "minimum": 0}},
        },
    },
}


def schema():
    """A copy of the schema (callers may change theirs)."""
    return copy.deepcopy(SCHEMA)
