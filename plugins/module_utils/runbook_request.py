# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Request validation of every runbook: the extra vars and the estate settings a run reads, checked completely
before the runbook lock and any call, so a value that cannot be right is refused with nothing changed instead of
failing the run half-way (or after the last change, losing its report).

Plain functions, no I/O except `report_path_problem` (it looks at the file system of the control node) and no
Ansible import: the action plugin cloudops.runbooks.runbook_request reads the variables and calls `problems()`.

Each primitive returns None when the value is right, else one sentence naming the variable, what is wrong and how to
fix it. `problems(runbook, values, now, cwd)` applies the primitives a runbook needs to `values` (variable name ->
value, absent when undefined) and returns every problem, in a stable order. Whole-string patterns use `fullmatch`:
`re.match("...$")` would accept a trailing newline.
"""

from __future__ import annotations

import datetime
import json
import math
import os
import re

from ansible_collections.cloudops.runbooks.plugins.module_utils import data_checks, db_shape, failback, failover_plan
from ansible_collections.cloudops.runbooks.plugins.module_utils import restore_dr
from ansible_collections.cloudops.runbooks.plugins.module_utils import status as estate_shape

RUNBOOKS = ("status", "deploy", "rollback", "failover", "failover_drill", "failback", "backup", "backup_restore", "release_lock")
TITLES = {"status": "Status", "deploy": "Deploy", "rollback": "Rollback", "failover": "Failover",
          "failover_drill": "Failover drill", "failback": "Failback", "backup": "Backup", "backup_restore": "Restore", "release_lock": "Release"}
REPORT_PATHS = {"status": "status_report_path", "deploy": "deploy_report_path", "rollback": "rollback_report_path",
                "failover": "failover_report_path", "failover_drill": "drill_report_path", "failback": "failback_report_path", "backup": "backup_report_path",
                "backup_restore": "restore_report_path", "release_lock": None}

# The modules each runbook calls, in the order of their first call on a replica-based estate (a module of another
# estate's path is built by its step as before). The runbook_request action has their payloads built in the background
# from the start of the run (plugin_utils/payloads.py), so a step does not wait for its module's payload; the unit test
# tests/unit/plugins/module_utils/test_runbook_step_modules.py keeps each name one the runbook's playbook can call.
STEP_MODULES = {
    "status": ("estate_status",),
    "deploy": ("runbook_lock", "deploy_preflight", "deploy_new_colour", "deploy_traffic_step"),
    "rollback": ("runbook_lock", "deploy_rollback"),
    "failover": ("runbook_record", "runbook_lock", "dr_readiness_info", "eks_nodegroup_scale", "rds_promote", "eks_capacity",
                 "db_cutover", "route53_failover_switch", "failover_serving"),
    "failover_drill": ("runbook_record", "runbook_lock", "estate_status", "rds_drill_markers", "eks_nodegroup_scale", "rds_promote",
                       "eks_capacity", "db_cutover", "route53_failover_switch", "failover_serving", "rds_read_replica"),
    "failback": ("runbook_record", "runbook_lock", "estate_status", "rds_read_replica", "rds_switchover", "eks_capacity", "db_cutover",
                 "route53_failover_switch", "failover_serving"),
    "backup": ("runbook_lock", "amazon.aws.rds_instance_info", "rds_snapshot", "rds_snapshot_copy", "rds_snapshot_retention"),
    "backup_restore": ("runbook_lock", "rds_restore_point", "rds_restore", "rds_restore_login", "rds_data_verify", "db_cutover"),
    "release_lock": ("runbook_lock",),
}


def step_modules(runbook):
    """The fully qualified names of STEP_MODULES[runbook] (a bare name is this collection's module)."""
    return [name if "." in name else "cloudops.runbooks." + name for name in STEP_MODULES.get(runbook, ())]


# The oldest ansible-core the runbooks run on (meta/runtime.yml's requires_ansible; `make versions` runs the sandbox
# smoke on it). Older cores template differently (2.17 and 2.18: `default(none)` renders '', a report compares a float
# with text after the drill changed the estate; 2.19.0: a drill's record fails on an undefined attribute), and 2.17 and
# 2.18 are past their end of life: a runbook refuses them before the lock and any call.
MIN_ANSIBLE_CORE = (2, 19, 1)


def ansible_core_problem(version):
    """Why this ansible-core cannot run the runbooks ('' when it can): older than MIN_ANSIBLE_CORE."""
    numbers = []
    for part in str(version or "").split(".")[:3]:
        digits = re.match(r"[0-9]+", part)
        numbers.append(int(digits.group(0)) if digits else 0)
    if tuple(numbers + [0] * (3 - len(numbers))) >= MIN_ANSIBLE_CORE:
        return ""
    oldest = ".".join(str(n) for n in MIN_ANSIBLE_CORE)
    return ("cloudops.runbooks needs ansible-core %s or later (meta/runtime.yml requires_ansible), this is %s: refused before "
            "the lock and any call. Install a supported one (pip install 'ansible-core>=%s', or the ansible package 12 or "
            "later) or run it in the collection's execution environment." % (oldest, version, oldest))


UTC = datetime.timezone.utc
EARLIEST = datetime.datetime(1970, 1, 1, tzinfo=UTC)

# ISO 8601 as the runbooks write it: a date, then optionally a time to the minute or finer and a zone.
# Fields in their ranges here (month 13 is not a format); whether the day exists in that month is datetime's to say.
_ISO = re.compile(r"(?P<date>[0-9]{4}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01]))"
                  r"(?:[T ](?P<time>(?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]{1,6})?)?)"
                  r"(?P<zone>[Zz]|[+-](?:[01][0-9]|2[0-3]):?[0-5][0-9])?)?")
# The failover report reads the first 19 characters as %Y-%m-%dT%H:%M:%S: seconds and the T are required.
_UTC_STRICT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,6})?(?:Z|\+00:?00)?")
_VERSION = re.compile(r"[A-Za-z0-9][A-Za-z0-9._+-]{0,127}")
_YAML_BOOLEANS = frozenset(["true", "false", "yes", "no", "on", "off", "y", "n"])
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,62}")
_SQL_IDENTIFIER = re.compile(r"[a-z_][a-z0-9_]{0,62}(?:\.[a-z_][a-z0-9_]{0,62})?")
# aws partitions: us-east-1, eu-central-2, us-gov-west-1, cn-north-1, us-isob-east-1, ap-southeast-5...
_REGION = re.compile(r"[a-z]{2}(?:-(?:gov|iso[a-z]?))?-[a-z]+-[0-9]{1,2}")
_RDS_ID = re.compile(r"[a-z][a-z0-9-]*")
_TAG_VALUE = re.compile(r"[\w .:/=+@-]*", re.UNICODE)


def show(value):
    """A value as the message shows it: JSON (a trailing newline shows as \\n, a string in quotes, inf as Infinity)."""
    try:
        return json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def is_number(value):
    return isinstance(value, (int, float)) and not isinstance(value, bool)


# -- primitives ----------------------------------------------------------------------------------------------------

def parse_time(value):
    """An aware UTC datetime from an ISO 8601 string, or raise ValueError saying why (format, or a date that does not
    exist). A time without a zone is UTC."""
    if not isinstance(value, str):
        raise ValueError("format")
    found = _ISO.fullmatch(value.strip())
    if not found:
        raise ValueError("format")
    date, clock, zone = found.group("date", "time", "zone")
    text = date + "T" + (clock or "00:00")
    if clock and clock.count(":") == 1:
        text += ":00"
    if zone in (None, "Z", "z"):
        zone = "+00:00"
    elif ":" not in zone:
        zone = zone[:3] + ":" + zone[3:]
    try:
        parsed = datetime.datetime.fromisoformat(text + zone)
    except ValueError:
        raise ValueError("exists")
    return parsed.astimezone(UTC)


def time_problem(name, value, now, utc_only=False, past=True, example="2026-01-31T12:00:00Z"):
    """A real point in time (2026-02-30 and year 0 are refused), not before 1970, in UTC if `utc_only`, and not in the
    future when `past` (it must already have happened)."""
    try:
        parsed = parse_time(value)
    except ValueError as exc:
        if str(exc) == "exists":
            return ("%s %s is not a time that exists (no such day in the calendar): write a real UTC time like %s."
                    % (name, show(value), example))
        return "%s %s is not %s: write it like %s." % (name, show(value), "a UTC time in ISO 8601" if utc_only else "an ISO 8601 time", example)
    if utc_only and not _UTC_STRICT.fullmatch(value.strip()):
        return "%s %s is not a UTC time in ISO 8601: write it like %s." % (name, show(value), example)
    if parsed < EARLIEST:
        return "%s %s is not a time that exists for this estate (before 1970): write a real UTC time like %s." % (name, show(value), example)
    if past and now is not None and parsed > now:
        return "%s %s is in the future (now %s): give a time that has passed, in UTC." % (
            name, value.strip(), now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return None


def version_problem(name, value, required=True):
    """A version is a string of letters, digits and . _ + - (whole string): a YAML number or boolean is not one."""
    if value is None or isinstance(value, (bool, int, float, dict, list, tuple)):
        return ("%s %s is not a version: give it as a string, e.g. -e %s=1.2.0 (a number like 1.10 written unquoted in JSON or YAML "
                "would lose its zero)." % (name, show(value), name))
    if not isinstance(value, str):
        return "%s %s is not a version: give it as a string." % (name, show(value))
    if not value.strip():
        if required:
            return ("No version: give the version to ship with -e %s=VERSION (it goes into each service's version_value, e.g. image.tag)."
                    % name)
        return None
    if value.strip().lower() in _YAML_BOOLEANS:
        return ("%s %s reads as a YAML boolean, not a version: give the real version (quote it if it really is %s)."
                % (name, show(value), value))
    if not _VERSION.fullmatch(value):
        return ("%s %s is not a version: letters, digits and . _ + - only, up to 128 (it goes into each service's version_value, "
                "e.g. image.tag)." % (name, show(value)))
    return None


def number_problem(name, value, minimum=None, maximum=None, integer=False, above=None, what=None, allow_text=True):
    """A finite number (no boolean, no Infinity or NaN) in [minimum, maximum] (or > `above`); whole when `integer`.
    Numeric strings are accepted when `allow_text` (key=value extra vars are strings). Returns None or the problem."""
    number = value
    if isinstance(value, str) and allow_text:
        text = value.strip()
        if re.fullmatch(r"[+-]?[0-9]+", text):
            number = int(text)
        elif re.fullmatch(r"[+-]?([0-9]+\.[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?|[+-]?[0-9]+[eE][+-]?[0-9]+", text):
            number = float(text)
    bad = not is_number(number) or (isinstance(number, float) and not math.isfinite(number))
    if not bad and integer and isinstance(number, float):
        bad = not number.is_integer()
    if not bad and minimum is not None and number < minimum:
        bad = True
    if not bad and above is not None and number <= above:
        bad = True
    if not bad and maximum is not None and number > maximum:
        bad = True
    if not bad:
        return None
    if what is None:
        kind = "a whole number" if integer else "a number"
        if above is not None:
            what = "%s above %s" % (kind, above)
        elif minimum is not None and maximum is not None:
            what = "%s from %s to %s" % (kind, minimum, maximum)
        elif minimum is not None:
            what = "%s from %s" % (kind, minimum)
        else:
            what = "a finite %s" % kind.split(" ", 1)[1]
    return "%s must be %s, got %s." % (name, what, show(value))


def plain_name_problem(name, value, what="an environment, service or side"):
    """A name that can go into a file path, a lock key or a Kubernetes object name as it is: letters, digits, . _ -,
    starting with a letter or digit, no `/`, no `..`, not empty."""
    if not isinstance(value, str) or not _PLAIN_NAME.fullmatch(value) or ".." in value:
        return ("%s %s is not a plain name: 1-63 letters, digits, '.', '_' and '-', starting with a letter or digit, without '/' or "
                "'..' (it names %s in paths, the runbook lock and the evidence)." % (name, show(value), what))
    return None


def sql_identifier_problem(name, value):
    """A plain SQL identifier, optionally schema-qualified: lower-case letters, digits and _, not starting with a digit
    (no quoting, no spaces, no statement)."""
    if not isinstance(value, str) or not _SQL_IDENTIFIER.fullmatch(value):
        return ("%s %s is not a plain SQL identifier: lower-case letters, digits and _ (up to 63, not starting with a digit), "
                "optionally schema.table, e.g. cloudops_drill_markers." % (name, show(value)))
    return None


def region_problem(name, value):
    if not isinstance(value, str) or not _REGION.fullmatch(value):
        return "%s %s is not an AWS region name, e.g. us-east-1 or eu-west-2." % (name, show(value))
    return None


def rds_id_problem(name, value, kind="instance", maximum=63):
    """An RDS instance (1-63) or snapshot (1-255) identifier: letters, digits, hyphens, starting with a letter, no two
    hyphens in a row, no trailing hyphen (RDS keeps them in lower case: so does the caller)."""
    if isinstance(value, str) and _RDS_ID.fullmatch(value) and len(value) <= maximum and "--" not in value and not value.endswith("-"):
        return None
    if kind == "snapshot":
        return ("%s %s is not a snapshot id RDS accepts: 1-%d letters, digits and hyphens, starting with a letter, without two hyphens "
                "in a row or a trailing hyphen." % (name, show(value), maximum))
    return ("Instance id %s is not valid: 1-%d letters, digits and hyphens, starting with a letter, without two hyphens in a row "
            "or a trailing hyphen (%s)." % (value if isinstance(value, str) and value.isprintable() else show(value), maximum, name))


def report_path_problem(name, value, cwd):
    """A report file the run can write at its end: its directory exists and is writable, and it is not a directory.
    Relative paths are from `cwd` (where ansible-playbook runs). Empty: no report file, no problem."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.strip() or value != value.strip() or "\n" in value:
        return "%s %s is not a file path." % (name, show(value))
    path = os.path.abspath(os.path.join(cwd, os.path.expanduser(value)))
    directory = os.path.dirname(path) or os.sep
    if not os.path.isdir(directory):
        return ("%s %s: directory %s does not exist: create it first, or give a path in an existing directory (the report is "
                "written at the end of the run, after its changes)." % (name, value, directory))
    if not os.access(directory, os.W_OK | os.X_OK):
        return "%s %s: directory %s is not writable by this user: give a path where the report can be written." % (name, value, directory)
    if os.path.isdir(path):
        return "%s %s is a directory: give a file name in it, e.g. %s." % (name, value, os.path.join(value, "report.json"))
    if os.path.exists(path) and not os.access(path, os.W_OK):
        return "%s %s exists and is not writable by this user." % (name, value)
    return None


def sql_statements(sql):
    """The statements of `sql` split at top-level `;` (outside quotes, dollar quotes and comments), empty ones dropped."""
    statements, current, i, n = [], [], 0, len(sql)
    while i < n:
        char = sql[i]
        if char == "-" and sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end + 1
            current.append(" ")
            continue
        if char == "/" and sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            i = n if end < 0 else end + 2
            current.append(" ")
            continue
        if char in ("'", '"'):
            end = i + 1
            while end < n:
                if sql[end] == char and sql.startswith(char * 2, end):
                    end += 2
                    continue
                if sql[end] == char:
                    break
                end += 1
            current.append(sql[i:end + 1])
            i = end + 1
            continue
        if char == "$":
            tag = re.match(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$", sql[i:])
            if tag:
                end = sql.find(tag.group(0), i + len(tag.group(0)))
                stop = n if end < 0 else end + len(tag.group(0))
                current.append(sql[i:stop])
                i = stop
                continue
        if char == ";":
            statements.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    statements.append("".join(current))
    return [statement.strip() for statement in statements if statement.strip()]


def sql_check_problems(name, checks):
    """Data checks (rds_data_verify's format) as data_checks plans them, plus: an sql check holds exactly one statement,
    a SELECT (or WITH/VALUES/TABLE/SHOW) query."""
    if checks is None or (isinstance(checks, (list, tuple)) and not checks):
        return []
    if not isinstance(checks, (list, tuple)) or not all(isinstance(check, dict) for check in checks):
        return ["%s must be a list of checks, each a mapping with a name and one of %s, got %s"
                % (name, ", ".join(data_checks.KINDS), show(checks))]
    out = []
    for check in checks:
        sql = check.get("sql")
        if isinstance(sql, str):
            statements = sql_statements(sql)
            if len(statements) != 1:
                out.append("%s: check %r: sql must be exactly one SELECT statement, found %d (%s): run one query per check."
                           % (name, check.get("name"), len(statements), show(sql)))
    if out:
        return out
    resolved = []
    for check in checks:
        newest = check.get("newest")
        if isinstance(newest, dict) and "max_age_seconds" in newest:
            # roles/db_verify turns it into not_before, counted back from the restore point the run picks.
            age, others = newest["max_age_seconds"], [key for key in ("not_before", "min_value") if newest.get(key) not in (None, "")]
            if others or number_problem("", age, minimum=0, allow_text=False):
                return ["%s: check %r: newest.max_age_seconds must be a number of seconds >= 0, instead of not_before or min_value"
                        % (name, check.get("name"))]
            newest = dict((key, value) for key, value in newest.items() if key != "max_age_seconds")
            check = dict(check, newest=dict(newest, not_before="1970-01-01T00:00:00Z"))
        resolved.append(dict(check))
    try:
        data_checks.plan_checks(resolved)
    except data_checks.CheckError as exc:
        return ["%s: %s" % (name, exc)]
    except (TypeError, ValueError, AttributeError) as exc:
        return ["%s: a check cannot be read: %s" % (name, exc)]
    return []


def name_list_problem(name, value, example):
    """A list of plain names (sides), e.g. ["primary"]."""
    if value is None:
        return None
    if isinstance(value, (str, dict)) or not isinstance(value, (list, tuple)):
        return "%s must be a list of side names, e.g. -e '{\"%s\": %s}', got %s." % (name, name, example, show(value))
    if not all(isinstance(item, str) for item in value):
        return "%s lists side names (strings), got %s." % (name, show(value))
    for item in value:
        problem = plain_name_problem("%s entry" % name, item, "a side")
        if problem:
            return problem
    return None


def one_name_problem(name, value):
    """One optional plain name (a service)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return "%s is one service name (a string), got %s." % (name, show(value))
    return plain_name_problem(name, value, "a service")


# -- estate settings -----------------------------------------------------------------------------------------------

def budget_problems(budgets):
    """cloudops_budgets: rpo_seconds and rto_seconds, finite and positive (1e400 is not a budget)."""
    if budgets is None:
        return []
    if not isinstance(budgets, dict):
        return ["cloudops_budgets must be a mapping {rpo_seconds: N, rto_seconds: N}, got %s." % show(budgets)]
    out = []
    for key in ("rpo_seconds", "rto_seconds"):
        value = budgets.get(key)
        if value is None:
            out.append("cloudops_budgets.%s is missing: give the budget in seconds (e.g. rpo_seconds: 60, rto_seconds: 900)." % key)
        else:
            problem = number_problem("cloudops_budgets." + key, value, above=0, maximum=10 ** 7, what="a positive number of seconds")
            if problem:
                out.append(problem)
    return out


def service_problems(services):
    """cloudops_services: names plain; the numbers the deploy waits on finite and in range."""
    if not isinstance(services, (list, tuple)):
        return []  # the deploy_preflight argument specs name a wrong type
    out = []
    for service in services:
        if not isinstance(service, dict):
            continue
        name = service.get("name")
        problem = plain_name_problem("cloudops_services name", name, "a service") if name is not None else None
        if problem:
            out.append(problem)
            continue
        where = "Service %s: " % name
        canary = service.get("canary")
        if isinstance(canary, dict) and canary.get("pause_seconds") is not None:
            problem = number_problem("canary.pause_seconds", canary["pause_seconds"], minimum=0, maximum=3600,
                                     what="a number of seconds from 0 to 3600")
            if problem:
                out.append(where + problem)
        smoke = service.get("smoke_test")
        if isinstance(smoke, dict) and smoke.get("timeout_seconds") is not None:
            problem = number_problem("smoke_test.timeout_seconds", smoke["timeout_seconds"], above=0, maximum=86400,
                                     what="a number of seconds above 0, up to a day")
            if problem:
                out.append(where + problem)
        for gate in service.get("gates") or []:
            if not isinstance(gate, dict):
                continue
            for key, kwargs in (("threshold", {}), ("window_seconds", {"above": 0, "maximum": 86400})):
                if gate.get(key) is not None:
                    problem = number_problem("gates[%s].%s" % (gate.get("name"), key), gate[key], **kwargs)
                    if problem:
                        out.append(where + problem)
    return out


def retention_problems(backup, prune=True, copy_region=""):
    """cloudops_backup.retention when the run prunes: tag_filters non-empty (plain tag values), each region's policy with
    keep_last and/or keep_days, whole numbers from 1."""
    if not prune or not isinstance(backup, dict):
        return []
    settings = backup.get("retention")
    base = "cloudops_backup.retention"
    if settings is None:
        settings = {}
    if not isinstance(settings, dict):
        return ["%s must be a mapping {tag_filters, primary, dr}, got %s (or run with -e backup_prune=false)." % (base, show(settings))]
    out = []
    filters = settings.get("tag_filters")
    if not isinstance(filters, dict) or not filters:
        out.append("%s.tag_filters is empty: retention prunes only snapshots carrying the runbook's tags; give them, e.g. "
                   "{managed-by: cloudops.runbooks} (or run with -e backup_prune=false)." % base)
    else:
        for key, value in filters.items():
            if not isinstance(key, str) or not key or isinstance(value, (dict, list, tuple)) or value is None or str(value) == "":
                out.append("%s.tag_filters %s: %s is not a tag and a value." % (base, show(key), show(value)))
    for side in ["primary"] + (["dr"] if copy_region else []):
        policy = settings.get(side)
        if policy is None:
            out.append("No retention for the %s region: give %s.%s: {keep_days, keep_last} (or run with -e backup_prune=false)."
                       % (side, base, side))
            continue
        if not isinstance(policy, dict):
            out.append("%s.%s must be a mapping {keep_days, keep_last}, got %s." % (base, side, show(policy)))
            continue
        if policy.get("keep_last") is None and policy.get("keep_days") is None:
            out.append("%s.%s: give keep_days, keep_last or both." % (base, side))
        for key, why in (("keep_last", "the newest backup always stays"), ("keep_days", "days of backups kept")):
            if policy.get(key) is not None:
                problem = number_problem("%s.%s.%s" % (base, side, key), policy[key], minimum=1, maximum=100000, integer=True,
                                         what="a whole number from 1 (%s)" % why)
                if problem:
                    out.append(problem)
    return out


def backup_settings_problems(backup, regions, backup_copy=True):
    """cloudops_backup's region, copy.region and instance id, and the copy region's fallback cloudops_regions.dr."""
    out = []
    if not isinstance(backup, dict):
        return out
    if backup.get("region"):
        out.extend(p for p in [region_problem("cloudops_backup.region", backup["region"])] if p)
    if backup.get("instance_id"):
        out.extend(p for p in [rds_id_problem("cloudops_backup.instance_id", backup["instance_id"])] if p)
    copy_settings = backup.get("copy")
    if copy_settings is not None and not isinstance(copy_settings, dict):
        out.append("cloudops_backup.copy must be a mapping {region, kms_key_id}, got %s." % show(copy_settings))
    elif backup_copy and isinstance(copy_settings, dict) and copy_settings.get("region"):
        out.extend(p for p in [region_problem("cloudops_backup.copy.region", copy_settings["region"])] if p)
    elif backup_copy and isinstance(regions, dict) and regions.get("dr"):
        out.extend(p for p in [region_problem("cloudops_regions.dr", regions["dr"])] if p)
    if backup.get("wait_timeout") is not None:
        out.extend(p for p in [number_problem("cloudops_backup.wait_timeout", backup["wait_timeout"], above=0, maximum=86400 * 2,
                                              integer=True, what="a whole number of seconds above 0")] if p)
    return out


def copy_region(backup, regions, backup_copy=True):
    """The region the backup copies to ('' when it does not copy), as playbooks/backup.yml resolves it."""
    if not backup_copy:
        return ""
    settings = backup.get("copy") if isinstance(backup, dict) else None
    if isinstance(settings, dict) and settings.get("region"):
        return settings["region"]
    return (regions or {}).get("dr", "") if isinstance(regions, dict) else ""


def truthy(value, default):
    """A boolean extra var as Ansible's `bool` filter reads it (its argument spec already refused other words)."""
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "yes", "on", "1", "y", "t")


# -- per runbook ---------------------------------------------------------------------------------------------------

def _given(values, name):
    return name in values and values[name] is not None


def _common(runbook, values, cwd):
    out = []
    if "cloudops_environment" in values:
        problem = plain_name_problem("cloudops_environment", values["cloudops_environment"], "the environment")
        if problem:
            out.append(problem)
    report = REPORT_PATHS[runbook]
    if report and report in values:
        problem = report_path_problem(report, values[report], cwd)
        if problem:
            out.append(problem)
    return out


def _deploy(values, now):
    out = []
    if "deploy_version" in values:
        problem = version_problem("deploy_version", values["deploy_version"])
        if problem:
            out.append(problem)
    if "deploy_service" in values:
        problem = one_name_problem("deploy_service", values["deploy_service"])
        if problem:
            out.append(problem)
    problem = name_list_problem("deploy_sides", values.get("deploy_sides"), '["primary"]')
    if problem:
        out.append(problem)
    out.extend(service_problems(values.get("cloudops_services")))
    return out


def _rollback(values, now):
    out = []
    if "rollback_service" in values:
        problem = one_name_problem("rollback_service", values["rollback_service"])
        if problem:
            out.append(problem)
    problem = name_list_problem("rollback_sides", values.get("rollback_sides"), '["dr"]')
    if problem:
        out.append(problem)
    if _given(values, "rollback_revision"):
        # Whether the revision exists is known from `helm history` only: roles/deploy_rollback reads it before any change.
        problem = number_problem("rollback_revision", values["rollback_revision"], minimum=1, integer=True,
                                 what="a revision number (see `helm history RELEASE`)")
        if problem:
            out.append(problem)
    out.extend(service_problems(values.get("cloudops_services")))
    return out


def _failover(values, now):
    out = []
    started = values.get("failover_outage_started_at")
    if started not in (None, ""):
        problem = time_problem("failover_outage_started_at", started if isinstance(started, str) else show(started), now,
                               utc_only=True, past=True, example="2026-01-31T11:58:00Z")
        if problem:
            out.append(problem)
    out.extend(budget_problems(values.get("cloudops_budgets")))
    out.extend(_failover_settings_problems(failover_plan.FAILOVER, values))
    return out


def _failover_settings_problems(operation, values):
    """What the failover settings lack (failover_plan.plan_problems), once the settings are there at all and the estate
    variables they are checked with are defined (an undefined one is refused as missing, naming it: missing_estate)."""
    runbook = "failover" if operation == failover_plan.FAILOVER else "failover_drill"
    needed = [name for name in ("cloudops_eks", "cloudops_rds", "cloudops_alb") if name in ESTATE[runbook]]
    if not isinstance(values.get("cloudops_failover"), dict) or any(name not in values for name in needed):
        return []
    return failover_plan.plan_problems(operation, values.get("cloudops_failover"), values.get("cloudops_eks"),
                                       values.get("cloudops_rds"), values.get("cloudops_alb"), values.get("cloudops_cache"),
                                       values.get("cloudops_buckets"))


def _failover_drill(values, now):
    out = []
    if _given(values, "drill_markers_count"):
        problem = number_problem("drill_markers_count", values["drill_markers_count"], minimum=2, maximum=1000, integer=True,
                                 what="between 2 and 1000 (markers are written one per second before the cut; the RPO is measured "
                                      "by the ones missing after it)")
        if problem:
            out.append(problem)
    settings = values.get("cloudops_failover")
    drill = settings.get("drill") if isinstance(settings, dict) else None
    markers = drill.get("markers") if isinstance(drill, dict) else None
    if isinstance(markers, dict):
        if markers.get("table") not in (None, ""):
            problem = sql_identifier_problem("cloudops_failover.drill.markers.table", markers["table"])
            if problem:
                out.append(problem)
        if markers.get("count") not in (None, "") and not _given(values, "drill_markers_count"):
            problem = number_problem("cloudops_failover.drill.markers.count", markers["count"], minimum=2, maximum=1000, integer=True,
                                     what="between 2 and 1000")
            if problem:
                out.append(problem)
    out.extend(budget_problems(values.get("cloudops_budgets")))
    out.extend(_failover_settings_problems(failover_plan.DRILL, values))
    return out


def _failback(values, now):
    """The failback's settings (module_utils/failback.plan_problems; what the failover record must hold is checked
    once it is read) and the failover settings it shares."""
    del now
    out = budget_problems(values.get("cloudops_budgets"))
    settings, given = values.get("cloudops_failover"), values.get("cloudops_failback")
    if given is not None and not isinstance(given, dict):
        out.append("cloudops_failback must be a dictionary of the failback's settings (got %s)." % show(given))
    if isinstance(settings, dict):
        out.extend(failback.plan_problems(settings, given, None, check_standby=False))
        markers = given.get("markers") if isinstance(given, dict) else None
        if isinstance(markers, dict) and markers.get("table") not in (None, ""):
            problem = sql_identifier_problem("cloudops_failback.markers.table", markers["table"])
            if problem:
                out.append(problem)
    if all(name in values for name in ("cloudops_eks", "cloudops_rds", "cloudops_alb")) and isinstance(settings, dict):
        out.extend(failover_plan.plan_problems(failover_plan.DRILL, settings, values.get("cloudops_eks"), values.get("cloudops_rds"),
                                               values.get("cloudops_alb"), values.get("cloudops_cache"), values.get("cloudops_buckets")))
    return out


def _backup(values, now):
    out = []
    snapshot = values.get("backup_snapshot_id")
    if snapshot not in (None, ""):
        text = snapshot.lower() if isinstance(snapshot, str) else snapshot
        if rds_id_problem("backup_snapshot_id", text, kind="snapshot", maximum=255):
            out.append(rds_id_problem("backup_snapshot_id", snapshot, kind="snapshot", maximum=255))
    if values.get("backup_helm_revision") not in (None, ""):
        problem = number_problem("backup_helm_revision", values["backup_helm_revision"], minimum=1, integer=True,
                                 what="a Helm revision (1 or more, see `helm history RELEASE`)")
        if problem:
            out.append(problem)
    for name in ("backup_helm_release", "backup_reason", "backup_requested_by"):
        value = values.get(name)
        if value is not None and not isinstance(value, str):
            out.append("%s must be a string, got %s." % (name, show(value)))
    backup_copy = truthy(values.get("backup_copy"), True)
    backup = values.get("cloudops_backup")
    out.extend(backup_settings_problems(backup, values.get("cloudops_regions"), backup_copy))
    out.extend(retention_problems(backup, truthy(values.get("backup_prune"), True), copy_region(backup, values.get("cloudops_regions"),
                                                                                                backup_copy)))
    return out


def _backup_restore(values, now):
    out = []
    restore_time = values.get("restore_time")
    if restore_time not in (None, ""):
        # A future time is outside the restorable window: the playbook refuses it once it has read the window (under the
        # lock, nothing created, with a report naming both bounds).
        problem = time_problem("restore_time", restore_time if isinstance(restore_time, str) else show(restore_time), now, past=False)
        if problem:
            out.append(problem)
    cleanup = values.get("restore_cleanup_instance")
    for name in ("restore_instance_id", "restore_cleanup_instance"):
        value = values.get(name)
        if value in (None, "") or (name == "restore_instance_id" and cleanup not in (None, "")):
            continue
        # The playbook lower-cases the id, as RDS does: the message shows the id it would use.
        text = value.lower() if isinstance(value, str) else value
        problem = rds_id_problem(name, text)
        if problem:
            out.append(problem)
    for name in ("restore_checks", "restore_extra_checks"):
        if name in values:
            out.extend(sql_check_problems(name, values[name]))
    backup = values.get("cloudops_backup")
    if isinstance(backup, dict):
        if backup.get("region"):
            out.extend(p for p in [region_problem("cloudops_backup.region", backup["region"])] if p)
        restore = backup.get("restore")
        if isinstance(restore, dict) and "restore_checks" not in values:
            out.extend(sql_check_problems("cloudops_backup.restore.checks", restore.get("checks")))
    if values.get("restore_requested_by") is not None and not isinstance(values["restore_requested_by"], str):
        out.append("restore_requested_by must be a string, got %s." % show(values["restore_requested_by"]))
    return out


def _status(values, now):
    return budget_problems(values.get("cloudops_budgets")) + estate_shape.half_dr_problems(
        *(values.get(name) for name in ("cloudops_regions", "cloudops_eks", "cloudops_rds", "cloudops_alb")))


_RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]*")
_BOOL_WORDS = ("true", "false", "yes", "no", "1", "0", "on", "off")


def _release_lock(values, now):
    out = []
    force = values.get("lock_force")
    if force is not None and not isinstance(force, bool) and str(force).strip().lower() not in _BOOL_WORDS:
        out.append("lock_force must be true or false (got %s)." % show(force))
    abandon = values.get("lock_abandon")
    if abandon not in (None, "") and not (isinstance(abandon, str) and _RUN_ID.fullmatch(abandon)):
        out.append("lock_abandon must be the run id of the unfinished run to abandon, such as drill-prod-20260131T120000 (got %s)." % show(abandon))
    confirm = values.get("confirm_release_lock")
    if confirm is not None and not isinstance(confirm, str):
        out.append("confirm_release_lock must be the environment's name (got %s)." % show(confirm))
    return out


_CHECKS = {"status": _status, "deploy": _deploy, "rollback": _rollback, "failover": _failover, "failover_drill": _failover_drill,
           "failback": _failback,
           "backup": _backup, "backup_restore": _backup_restore, "release_lock": _release_lock}

# The variables each runbook's validation reads (the action plugin templates these and only these).
VARIABLES = {
    "status": ["cloudops_budgets", "cloudops_regions", "cloudops_eks", "cloudops_rds", "cloudops_alb"],
    "deploy": ["deploy_version", "deploy_service", "deploy_sides", "cloudops_services"],
    "rollback": ["rollback_service", "rollback_sides", "rollback_revision", "cloudops_services"],
    "failover": ["failover_outage_started_at", "cloudops_budgets", "cloudops_failover", "cloudops_eks", "cloudops_rds", "cloudops_alb",
                 "cloudops_cache", "cloudops_buckets"],
    "failover_drill": ["drill_markers_count", "cloudops_failover", "cloudops_budgets", "cloudops_eks", "cloudops_rds", "cloudops_alb",
                       "cloudops_cache", "cloudops_buckets"],
    "failback": ["failback_old_primary", "cloudops_failover", "cloudops_failback", "cloudops_budgets", "cloudops_eks", "cloudops_rds", "cloudops_alb",
                 "cloudops_cache", "cloudops_buckets"],
    "backup": ["backup_snapshot_id", "backup_helm_revision", "backup_helm_release", "backup_reason", "backup_requested_by",
               "backup_copy", "backup_prune", "cloudops_backup", "cloudops_regions"],
    "backup_restore": ["restore_time", "restore_instance_id", "restore_cleanup_instance", "restore_checks", "restore_extra_checks",
                       "restore_requested_by", "cloudops_backup"],
    "release_lock": ["lock_force", "lock_abandon", "confirm_release_lock"],
}


def variables(runbook):
    """Names of the variables `problems(runbook, ...)` reads."""
    if runbook not in _CHECKS:
        raise ValueError("unknown runbook %r: one of %s" % (runbook, ", ".join(RUNBOOKS)))
    return ["cloudops_environment"] + ([REPORT_PATHS[runbook]] if REPORT_PATHS[runbook] else []) + VARIABLES[runbook]


def problems(runbook, values, now=None, cwd="."):
    """Every problem of a runbook's request (values: variable name -> value, undefined ones absent), in a stable
    order; [] when the request can be carried out as far as can be known without a call."""
    if runbook not in _CHECKS:
        raise ValueError("unknown runbook %r: one of %s" % (runbook, ", ".join(RUNBOOKS)))
    now = now or datetime.datetime.now(UTC)
    out = _common(runbook, values, cwd) + (no_dr_problems(runbook, values) or restore_dr_problems(runbook, values)
                                           or shape_problems(runbook, values) or _CHECKS[runbook](values, now))
    seen, unique = set(), []
    for problem in out:
        if problem not in seen:
            seen.add(problem)
            unique.append(problem)
    return unique


# The runbooks that need a DR side: on a one-region estate (docs/one-region.md) they are refused with one message
# naming what is missing, before their settings are judged.
NEEDS_DR = ("failover", "failover_drill", "failback")


def no_dr_problems(runbook, values):
    """[the refusal] of a runbook of NEEDS_DR on an estate that declares no DR side at all (none of cloudops_regions.dr,
    cloudops_eks.dr, cloudops_rds.replica, cloudops_alb.dr that the inventory defines; cloudops_failover named too when
    absent), else []."""
    if runbook not in NEEDS_DR:
        return []
    judged = dict(regions=values.get("cloudops_regions"), eks=values.get("cloudops_eks"), rds=values.get("cloudops_rds"),
                  alb=values.get("cloudops_alb"))
    gaps = estate_shape.dr_gaps(check_failover=False, **judged)
    # Half a DR side (some declared): the runbook's own checks name each missing setting precisely.
    if not gaps or len(gaps) < sum(1 for value in judged.values() if value is not None):
        return []
    if "cloudops_failover" not in values:
        gaps.append("cloudops_failover (its dns: the Route 53 failover pair)")
    return [estate_shape.no_dr_message(gaps, TITLES[runbook])]


# The database shapes (module_utils/db_shape.py) each runbook with a DR database serves; a runbook refuses another shape
# before any call (a one-region estate, db_shape.SINGLE, is refused by no_dr_problems first).
SHAPES_SERVED = {
    "failover": (db_shape.REPLICA, db_shape.AURORA_GLOBAL, db_shape.RESTORE),
    "failover_drill": (db_shape.REPLICA, db_shape.AURORA_GLOBAL, db_shape.RESTORE),
    "failback": (db_shape.REPLICA, db_shape.AURORA_GLOBAL),
}


def shape_problems(runbook, values):
    """[the refusal] of a runbook of SHAPES_SERVED on a database shape it does not serve, else []."""
    if runbook not in SHAPES_SERVED or "cloudops_rds" not in values:
        return []
    rds = values.get("cloudops_rds")
    if db_shape.shape(rds) == db_shape.SINGLE:
        return []
    found = db_shape.unsupported(TITLES[runbook].lower(), rds, SHAPES_SERVED[runbook])
    return [found] if found else []


def restore_dr_problems(runbook, values):
    """[the refusal] of a runbook of NEEDS_DR on a restore-based DR estate (module_utils/restore_dr.py), else []."""
    if runbook not in NEEDS_DR:
        return []
    found = restore_dr.runbook_refusal(runbook, values.get("cloudops_rds"))
    return [found] if found else []


def refusal(runbook, found):
    """The message of a refused request: '<Runbook> refused, nothing changed. <problem> <problem>...'."""
    return "%s refused, nothing changed. %s" % (TITLES[runbook], " ".join(found))


# ------------------------------------------------------------------------------------------------- the runbook frame
# What roles/runbook (entry point validate) checks besides the values, in this order, before the lock and any call:
# the extra vars' types (roles/runbook_inputs/meta/argument_specs.yml), the values (problems() above), the estate
# variables the runbook reads, the confirmation naming the environment, and that a sandbox inventory talks to the sandbox.

# The inventory variables each runbook reads (inventories/<env>/group_vars/all/ defines them).
ESTATE = {
    "status": ["cloudops_environment", "cloudops_eks", "cloudops_rds", "cloudops_alb", "cloudops_dns", "cloudops_helm", "cloudops_budgets"],
    "deploy": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_services"],
    "rollback": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_services"],
    "failover": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_rds", "cloudops_dns", "cloudops_budgets", "cloudops_failover"],
    "failover_drill": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_rds", "cloudops_alb", "cloudops_dns", "cloudops_helm",
                       "cloudops_budgets", "cloudops_db", "cloudops_failover"],
    "failback": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_rds", "cloudops_alb", "cloudops_dns", "cloudops_helm",
                 "cloudops_budgets", "cloudops_db", "cloudops_failover"],
    "backup": ["cloudops_environment", "cloudops_lock", "cloudops_regions", "cloudops_rds", "cloudops_backup"],
    "backup_restore": ["cloudops_environment", "cloudops_lock", "cloudops_rds", "cloudops_db", "cloudops_backup"],
    "release_lock": ["cloudops_environment", "cloudops_lock"],
}
# The extra var that confirms a run naming the environment, for the runbooks that need one where the inventory says so
# (cloudops_failover.require_confirmation, default true).
CONFIRMATIONS = {"failover": "confirm_failover", "failover_drill": "confirm_drill", "failback": "confirm_failback", "release_lock": "confirm_release_lock"}
# Run ids: <prefix>-<environment>-<UTC stamp to the second>.
RUN_ID_PREFIXES = {"failover_drill": "drill"}
SANDBOX_NOT_SOURCED = "sandbox is not sourced: run `make sandbox && source .sandbox/env`"


def missing_estate(runbook, defined):
    """The estate variables of the runbook that are not defined (in the runbook's order)."""
    return [name for name in ESTATE[runbook] if name not in defined]


def missing_estate_message(missing):
    return ("Missing estate variables: %s. Run with an inventory that describes the estate this runbook works on, e.g. "
            "`-i inventories/sandbox` (inventories/<env>/group_vars/all/*.yml define them)." % ", ".join(missing))


def confirmation_problem(runbook, environment, required, given, values=None):
    """None when the run may go on; else the refusal of a runbook that needs the environment named and was not given it
    (a lock release only when it is forced or abandons an unfinished run)."""
    variable = CONFIRMATIONS.get(runbook)
    if variable is None or not truthy(required, True):
        return None
    given = "" if given is None else str(given)
    if given.strip() == str(environment):
        return None
    if runbook == "release_lock":
        values = values or {}
        abandon = values.get("lock_abandon") not in (None, "")
        if not (abandon or truthy(values.get("lock_force"), False)):
            return None
        message = ("%s refused before any AWS call, nothing changed: the %s environment requires a confirmation naming it. Run again "
                   "with -e %s=%s." % ("Abandon of an unfinished run" if abandon else "Forced release of the runbook lock",
                                       environment, variable, environment))
    else:
        message = ("%s refused before any AWS call, nothing changed: the %s environment requires a confirmation naming it. Run again "
                   "with -e %s=%s (in AWX: answer the survey question %s)." % (TITLES[runbook], environment, variable, environment, variable))
    if given:
        message += ' The confirmation given, "%s", names another environment.' % given
    return message


def run_id(runbook, environment, started_at):
    """`<prefix>-<environment>-<YYYYmmddTHHMMSS>` from the run's start (ISO 8601 UTC)."""
    stamp = re.sub(r"[-:]", "", str(started_at)[:19])
    return "%s-%s-%s" % (RUN_ID_PREFIXES.get(runbook, runbook), environment, stamp)
