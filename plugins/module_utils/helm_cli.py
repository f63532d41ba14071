# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the helm CLI, parse its output, and decide what a release change needs.

Plain functions (unit-tested): command building, JSON/history parsing, helm's `--set` parser and values merge
(to know the user-supplied values an upgrade would store, so idempotence and check mode need no helm plugin),
the change decision, check-mode predictions, rollback targets and error summaries. HelmRunner is the thin I/O
part over module.run_command. Option names follow kubernetes.core.helm (binary_path, kubeconfig, context).
"""

from __future__ import annotations

import copy
import functools
import json
import os
import re
import threading

from ansible_collections.cloudops.runbooks.plugins.module_utils import threads

MISSING_HELM = "helm not found on PATH; install helm or set binary_path"

# Options every helm-based module of the collection accepts; merge into the module's argument_spec.
HELM_ARG_SPEC = dict(
    binary_path=dict(type="path"),
    kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
    context=dict(type="str", aliases=["kube_context"]),
)

# set_values[].value_type -> helm flag (the kubernetes.core.helm choices).
SET_FLAGS = {"raw": "--set", "string": "--set-string", "json": "--set-json", "file": "--set-file"}

# helm's release name rule (DNS-1123 subdomain, at most 53 characters).
_RELEASE_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
# A Go duration as helm's --timeout takes it: 300s, 5m0s, 1h30m, 1.5m (a bare 0 too).
_DURATION = re.compile(r"^0$|^(([0-9]+(\.[0-9]*)?|\.[0-9]+)(ns|us|\u00b5s|ms|s|m|h))+$")
# name-version as helm list/history print a chart: the version is the first "-<digit>..." part that reads as one.
_CHART_STRING = re.compile(r"^(?P<name>.+?)-(?P<version>v?[0-9]+\.[0-9]+\.[0-9]+(?:[-+].*)?)$")
_CHART_STRING_LOOSE = re.compile(r"^(?P<name>.+?)-(?P<version>v?[0-9]+(?:\.[0-9]+)*(?:[-+].*)?)$")


# --- validation -----------------------------------------------------------------------------------------------------

def release_name_problem(name):
    """Why helm would refuse this release name, or None."""
    if len(name) > 53:
        return "release name %r is longer than 53 characters" % name
    if not _RELEASE_NAME.match(name):
        return "release name %r is invalid: lowercase letters, digits, '-' and '.', starting and ending alphanumeric" % name
    return None


def duration_problem(text):
    """Why helm would refuse this --timeout value, or None."""
    if not _DURATION.match(str(text)):
        return "timeout %r is not a helm duration: use e.g. 30s, 5m0s or 1h" % (text,)
    return None


# --- command building -----------------------------------------------------------------------------------------------

def global_args(kubeconfig=None, context=None):
    """Flags that pick the cluster; empty values are left out so helm uses its own defaults."""
    args = []
    if kubeconfig:
        args += ["--kubeconfig", kubeconfig]
    if context:
        args += ["--kube-context", context]
    return args


RELEASE_STATES = ("deployed", "failed", "pending", "superseded", "uninstalled", "uninstalling")


def list_args(namespace=None, all_namespaces=False, all_statuses=False):
    """Arguments of `helm list` with JSON output."""
    args = ["list", "--output", "json"]
    if all_namespaces:
        args.append("--all-namespaces")
    elif namespace:
        args += ["--namespace", namespace]
    if all_statuses:
        # Every state by name: helm v3 has --all for this, helm v4 lists every state by default and has no --all;
        # both take these flags.
        args += ["--" + state for state in RELEASE_STATES]
    return args


def status_args(release, namespace):
    """Arguments of `helm status` with JSON output."""
    return ["status", release, "--namespace", namespace, "--output", "json"]


def get_metadata_args(release, namespace):
    """Arguments of `helm get metadata` with JSON output (chart name, version and appVersion of the current revision;
    helm 3.13+ and 4)."""
    return ["get", "metadata", release, "--namespace", namespace, "--output", "json"]


def history_args(release, namespace):
    """Arguments of `helm history` with JSON output."""
    return ["history", release, "--namespace", namespace, "--output", "json"]


def get_values_args(release, namespace, revision=None):
    """Arguments of `helm get values` (user-supplied values) with JSON output, of one revision or the current one."""
    args = ["get", "values", release, "--namespace", namespace, "--output", "json"]
    if revision:
        args += ["--revision", str(revision)]
    return args


def show_chart_args(chart, version=None):
    """Arguments of `helm show chart` (the Chart.yaml of a repository or OCI chart)."""
    args = ["show", "chart", chart]
    if version:
        args += ["--version", version]
    return args


def set_value_args(set_values):
    """--set / --set-string / --set-json / --set-file flags of set_values, in the given order."""
    args = []
    for item in set_values or []:
        args += [SET_FLAGS[item.get("value_type") or "raw"], item["value"]]
    return args


def version_args():
    """Arguments of `helm version` printing the bare version (v3.19.0, v4.1.4): helm 3 and 4 both take --template."""
    return ["version", "--template", "{{ .Version }}"]


def major_version(text):
    """helm's major version (3, 4) from `helm version` output ("v4.1.4", "v3.19.0+g3d8990f",
    'version.BuildInfo{Version:"v4.1.4", ...'); ValueError when there is none."""
    match = re.search(r"\bv?([0-9]+)\.[0-9]+\.[0-9]+", text or "")
    if not match:
        raise ValueError("cannot tell helm's version from %r" % (text or "").strip()[:200])
    return int(match.group(1))


def upgrade_args(release, chart, namespace, chart_version=None, wait=True, atomic=False, timeout=None,
                 values_files=None, set_values=None, create_namespace=False, dry_run=False, helm_major=3):
    """Arguments of `helm upgrade --install`.

    --reset-values always: the release ends with exactly the values given (helm would otherwise reuse the old
    ones when none are given). A dry run leaves out wait/atomic/timeout: it renders and validates only.
    helm_major: 4 spells atomic --rollback-on-failure and the dry run --dry-run=client (helm 4 deprecates --atomic
    and a bare --dry-run); 3 keeps --atomic and --dry-run (client side in both), which helm 3.8+ takes.
    """
    args = ["upgrade", release, chart, "--install", "--namespace", namespace, "--reset-values"]
    if chart_version:
        args += ["--version", chart_version]
    if create_namespace:
        args.append("--create-namespace")
    if dry_run:
        args.append("--dry-run=client" if helm_major >= 4 else "--dry-run")
    else:
        # The release as it ends up, printed by the upgrade itself: no status read after it (HelmRunner.upgraded_release).
        args += ["--output", "json"]
        if wait:
            args.append("--wait")
        if atomic:
            args.append("--rollback-on-failure" if helm_major >= 4 else "--atomic")
        if timeout:
            args += ["--timeout", timeout]
    for path in values_files or []:
        args += ["--values", path]
    return args + set_value_args(set_values)


def uninstall_args(release, namespace, wait=True, timeout=None):
    """Arguments of `helm uninstall`."""
    args = ["uninstall", release, "--namespace", namespace]
    if wait:
        args.append("--wait")
    if timeout:
        args += ["--timeout", timeout]
    return args


def rollback_args(release, revision, namespace, wait=True, timeout=None):
    """Arguments of `helm rollback` to one revision."""
    args = ["rollback", release, str(revision), "--namespace", namespace]
    if wait:
        args.append("--wait")
    if timeout:
        args += ["--timeout", timeout]
    return args


def chart_reference_kind(chart, exists):
    """How helm finds a chart: "oci" (oci://), "url" (http/https), "path" (a local directory or archive; `exists`
    says whether it is on disk) or "repo" (repo/chart of a repository added with `helm repo add`)."""
    if chart.startswith("oci://"):
        return "oci"
    if chart.startswith(("http://", "https://")):
        return "url"
    if exists or chart.startswith(("/", ".", "~")) or chart.endswith((".tgz", ".tar.gz")) or chart.count("/") != 1:
        return "path"
    return "repo"


# --- parsing --------------------------------------------------------------------------------------------------------

def parse_json(text, what):
    """Parse helm's JSON output; ValueError names the command when it is not JSON."""
    try:
        return json.loads(text or "null")
    except ValueError:
        raise ValueError("helm %s did not print JSON: %s" % (what, (text or "").strip()[:200]))


def _int(value):
    return int(value) if str(value if value is not None else "").isdigit() else value


def release_from(listed, status=None):
    """One release: the `helm list` entry, plus what `helm status` adds (description, values, deploy times)."""
    release = {
        "name": listed.get("name"),
        "namespace": listed.get("namespace"),
        "revision": _int(listed.get("revision")),
        "updated": listed.get("updated"),
        "status": listed.get("status"),
        "chart": listed.get("chart"),
        "app_version": listed.get("app_version"),
    }
    if status:
        info = status.get("info") or {}
        release["status"] = info.get("status", release["status"])
        release["description"] = info.get("description")
        release["first_deployed"] = info.get("first_deployed")
        release["last_deployed"] = info.get("last_deployed")
        release["values"] = status.get("config") or {}
    return release


def with_chart(status, metadata):
    """`helm status -o json` with the chart's metadata where helm 3 prints it (chart.metadata: name, version,
    appVersion): helm 4 leaves the chart out of status, so it comes from `helm get metadata -o json` (chart, version,
    appVersion). The status as it is when it has the chart already, or when there is no metadata."""
    if not status or ((status.get("chart") or {}).get("metadata") or {}).get("name") or not metadata:
        return status
    return dict(status, chart={"metadata": {"name": metadata.get("chart"), "version": metadata.get("version"),
                                            "appVersion": metadata.get("appVersion")}})


def listed_from_status(status):
    """The `helm list` entry of a release from its `helm status -o json` (what a reader of releases known by name gets
    without listing the namespace first): name, namespace, revision, updated (the last deploy time), status,
    chart (NAME-VERSION) and app_version."""
    info = status.get("info") or {}
    meta = (status.get("chart") or {}).get("metadata") or {}
    return {"name": status.get("name"), "namespace": status.get("namespace"), "revision": status.get("version"),
            "updated": info.get("last_deployed"), "status": info.get("status"),
            "chart": "%s-%s" % (meta.get("name"), meta.get("version")) if meta.get("name") else None, "app_version": meta.get("appVersion")}


def only_named(listed, names):
    """The `helm list` entries whose name is one of `names` (exact match, whatever regex rules `helm list --filter`
    applies), in listing order: what a reader of a few releases of a busy namespace runs `helm status` on."""
    wanted = set(name for name in names or [] if name)
    return [entry for entry in listed or [] if entry.get("name") in wanted]


def listed_charts(listed):
    """{(name, revision): the chart as `helm get metadata` gives it (chart, version, appVersion)} from `helm list -o
    json` entries; an entry whose chart string has no version that can be told apart is left out."""
    charts = {}
    for entry in listed:
        chart, version = split_chart(entry.get("chart"))
        if version:
            charts[(entry.get("name"), _int(entry.get("revision")))] = {"chart": chart, "version": version, "appVersion": entry.get("app_version")}
    return charts


def release_summary(status, values=None):
    """The release as helm_release and helm_rollback return it, from `helm status -o json` (+ `helm get values`)."""
    info = status.get("info") or {}
    meta = (status.get("chart") or {}).get("metadata") or {}
    return {
        "name": status.get("name"),
        "namespace": status.get("namespace"),
        "revision": _int(status.get("version")),
        "status": info.get("status"),
        "chart": meta.get("name"),
        "chart_version": meta.get("version"),
        "app_version": meta.get("appVersion"),
        "values": normalize_values(values if values is not None else status.get("config")),
        "updated": info.get("last_deployed"),
        "description": info.get("description"),
    }


def parse_history(items):
    """`helm history -o json` entries, oldest first: revision (int), status, chart, app_version, updated, description."""
    history = [
        {
            "revision": _int(item.get("revision")),
            "status": item.get("status"),
            "chart": item.get("chart"),
            "app_version": item.get("app_version"),
            "updated": item.get("updated"),
            "description": item.get("description"),
        }
        for item in items or []
    ]
    return sorted(history, key=lambda entry: entry["revision"] if isinstance(entry["revision"], int) else -1)


def split_chart(text):
    """("sample-app", "0.1.0") from helm's "sample-app-0.1.0"; (text, None) when no version can be told apart."""
    text = text or ""
    match = _CHART_STRING.match(text) or _CHART_STRING_LOOSE.match(text)
    return (match.group("name"), match.group("version")) if match else (text, None)


def chart_metadata(chart_yaml):
    """name, version and app_version of a parsed Chart.yaml; ValueError when it is not one."""
    if not isinstance(chart_yaml, dict) or not chart_yaml.get("name") or not chart_yaml.get("version"):
        raise ValueError("Chart.yaml has no name or version")
    app_version = chart_yaml.get("appVersion")
    return {"name": str(chart_yaml["name"]), "version": str(chart_yaml["version"]),
            "app_version": str(app_version) if app_version is not None else None}


def is_release_not_found(text):
    """helm's answer for a release (or revision) that does not exist."""
    text = (text or "").lower()
    return "release: not found" in text or "release not found" in text


def summarise_error(err, out=""):
    """helm's error in one line: `Error:` prefixes, warnings and blank lines dropped, at most 1000 characters."""
    text = (err or "").strip() or (out or "").strip()
    lines = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith(("WARNING:", "walk.go:", "coalesce.go:", "level=WARN ", "level=INFO ", "level=DEBUG ")):
            continue
        if line.startswith("Flag --") and " has been deprecated" in line:  # helm 4 on a renamed flag
            continue
        lines.append(line[len("Error: "):] if line.startswith("Error: ") else line)
    summary = " ".join(lines) or "no output"
    return summary if len(summary) <= 1000 else summary[:997] + "..."


def error_hint(text, timeout=None):
    """What to do about a helm failure, when the message says enough to tell."""
    lowered = (text or "").lower()
    if "context deadline exceeded" in lowered or "timed out waiting" in lowered:
        return ("the workloads did not become ready within timeout %s: check why the pods are not ready "
                "(image, probes, resources) or raise timeout" % (timeout or "(helm's default)"))
    if "another operation" in lowered and "in progress" in lowered:
        return ("a previous helm operation is still running or was interrupted: wait for it, or roll the release back "
                "to its last deployed revision (cloudops.runbooks.helm_rollback)")
    if "has no deployed releases" in lowered:
        return "the release was never deployed successfully: uninstall it (state=absent) and install it again"
    if "cluster unreachable" in lowered or "connection refused" in lowered or "no such host" in lowered:
        return "the cluster is unreachable: check kubeconfig and context"
    return None


# --- values: helm's --set parser and merge --------------------------------------------------------------------------

def typed_value(text, as_string=False):
    """helm's typing of a --set value: true/false/null (any case), integers without a leading 0; else a string."""
    if as_string:
        return text
    lowered = text.lower()
    if lowered == "true":
        return True
    if lowered == "false":
        return False
    if lowered == "null":
        return None
    if text == "0":
        return 0
    if text and text[0] != "0" and re.match(r"^[+-]?[0-9]+$", text):
        number = int(text)
        if -(2 ** 63) <= number < 2 ** 63:
            return number
    return text


def _json_int(text):
    number = int(text)
    return number if abs(number) <= 2 ** 53 else float(number)


def _existing(value, kind, key):
    """A list or map already set at `key` by an earlier expression; helm refuses to index into anything else."""
    if not isinstance(value, kind):
        raise ValueError("unable to parse key: %s is %s, not a %s" % (
            key, "null" if value is None else "a %s" % type(value).__name__, "list" if kind is list else "map"))
    return value


class _SetParser:
    """A port of helm's strvals parser (pkg/strvals): `a.b=c,d[0]=e,f={x,y}` into a values dict.

    kind: raw (--set), string (--set-string), json (--set-json) or file (--set-file, read_file(path) -> content).
    Errors are ValueError with helm's wording.
    """

    def __init__(self, text, kind="raw", read_file=None):
        self.text = text
        self.pos = 0
        self.kind = kind
        self.read_file = read_file

    def parse_into(self, data):
        while not self._key(data):
            pass
        return data

    # Each step returns True at the end of the input (helm's io.EOF) and False to go on.

    def _until(self, stops):
        out = []
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == "\\":
                if self.pos >= len(self.text):
                    return "".join(out), None
                out.append(self.text[self.pos])
                self.pos += 1
            elif char in stops:
                return "".join(out), char
            else:
                out.append(char)
        return "".join(out), None

    def _read(self, text):
        if self.kind == "file":
            return self.read_file(text)
        return typed_value(text, as_string=self.kind == "string")

    def _value_list(self):
        """A {a,b} list: (list, eof) or None when the value is not a list."""
        if self.pos >= len(self.text):
            return [], True
        if self.text[self.pos] != "{":
            return None
        self.pos += 1
        items = []
        while True:
            text, last = self._until(",}")
            if last is None:
                raise ValueError("list must terminate with '}'")
            items.append(self._read(text))
            if last == "}":
                if self.pos < len(self.text) and self.text[self.pos] == ",":
                    self.pos += 1
                return items, False

    def _empty_value(self):
        """Skip blanks; True when the value is empty (end of input or a comma, consumed)."""
        while self.pos < len(self.text):
            char = self.text[self.pos]
            self.pos += 1
            if char == ",":
                return True
            if not char.isspace():
                self.pos -= 1
                return False
        return True

    def _json_value(self):
        if self._empty_value():
            return None
        try:
            # Go decodes JSON numbers as float64: integers beyond 2**53 lose precision there too.
            value, end = json.JSONDecoder(parse_int=_json_int).raw_decode(self.text, self.pos)
        except ValueError as e:
            raise ValueError("invalid JSON value: %s" % e)
        self.pos = end
        self._empty_value()
        return value

    def _scalar_or_list(self):
        """(value, eof) after a `=`."""
        listed = self._value_list()
        if listed is not None:
            items, eof = listed
            return ("" if eof else items), eof
        text, dummy = self._until(",")
        return self._read(text), False

    def _index(self):
        """The index up to `]`; None at the end of the input (helm then stops parsing, without an error)."""
        text, last = self._until("]")
        if last is None:
            return None
        if not re.match(r"^[+-]?[0-9]+$", text):
            raise ValueError('error parsing index: strconv.Atoi: parsing "%s": invalid syntax' % text)
        index = int(text)
        if index < 0:
            raise ValueError("negative %d index not allowed" % index)
        return index

    @staticmethod
    def _set(data, key, value):
        if key:
            data[key] = value

    @staticmethod
    def _set_index(items, index, value):
        items = list(items) + [None] * max(0, index + 1 - len(items))
        items[index] = value
        return items

    def _key(self, data):
        key, last = self._until("=[,.")
        if last is None:
            if not key:
                return True
            raise ValueError('key "%s" has no value' % key)
        if last == "[":
            index = self._index()
            if index is None:
                return True
            items, eof = self._list_item(_existing(data[key], list, key) if key in data else [], index)
            self._set(data, key, items)
            return eof
        if last == "=":
            if self.kind == "json":
                self._set(data, key, self._json_value())
                return False
            value, eof = self._scalar_or_list()
            self._set(data, key, value)
            return eof
        if last == ",":
            raise ValueError('key "%s" has no value (cannot end with ,)' % key)
        inner = _existing(data[key], dict, key) if key in data else {}
        eof = self._key(inner)
        if not eof and not inner:
            raise ValueError('key map "%s" has no value' % key)
        if inner:
            self._set(data, key, inner)
        return eof

    def _list_item(self, items, index):
        text, last = self._until("[.=")
        if text:
            raise ValueError('unexpected data at end of array index: "%s"' % text)
        if last is None:
            return items, True
        if last == "=":
            if self.kind == "json":
                return self._set_index(items, index, self._json_value()), False
            value, eof = self._scalar_or_list()
            return self._set_index(items, index, value), eof
        if last == "[":
            next_index = self._index()
            if next_index is None:
                return items, True
            nested = []
            if len(items) > index and items[index] is not None:
                nested = _existing(items[index], list, "[%s]" % index)
            nested, eof = self._list_item(nested, next_index)
            return self._set_index(items, index, nested), eof
        inner = items[index] if len(items) > index and isinstance(items[index], dict) else {}
        eof = self._key(inner)
        if eof:
            return items, eof
        return self._set_index(items, index, inner), False


def parse_set(expression, into=None, kind="raw", read_file=None):
    """Parse one --set style expression into `into` (a new dict by default), as helm does."""
    return _SetParser(expression, kind, read_file).parse_into({} if into is None else into)


def merge_values(base, override):
    """helm's mergeMaps: maps merge key by key, anything else in `override` replaces (a new dict)."""
    out = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge_values(out[key], value)
        else:
            out[key] = value
    return out


def normalize_values(values):
    """Values as helm stores them (JSON types, string keys); None -> {}."""
    if values is None:
        return {}
    return json.loads(json.dumps(values, sort_keys=True, default=str))


def same_values(left, right):
    """Deep equality as helm's values compare: booleans are not numbers (True == 1 in Python), 1 equals 1.0."""
    if isinstance(left, dict) and isinstance(right, dict):
        return left.keys() == right.keys() and all(same_values(left[key], right[key]) for key in left)
    if isinstance(left, list) and isinstance(right, list):
        return len(left) == len(right) and all(same_values(a, b) for a, b in zip(left, right))
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool) and left == right
    if isinstance(left, (int, float)) and isinstance(right, (int, float)):
        return left == right if type(left) is type(right) else float(left) == float(right)
    return type(left) is type(right) and left == right


def desired_values(file_values=None, values=None, set_values=None, read_file=None):
    """The user-supplied values helm will store, in its merge order.

    file_values: parsed values_files, in order; values: the `values` dict (passed last of the -f files);
    then set_values by type as helm applies them: json, raw, string, file (each in the given order).
    """
    result = {}
    for data in list(file_values or []) + [values or {}]:
        result = merge_values(result, normalize_values(data))
    for kind in ("json", "raw", "string", "file"):
        for item in set_values or []:
            if (item.get("value_type") or "raw") == kind:
                try:
                    parse_set(item["value"], result, kind, read_file)
                except ValueError as e:
                    raise ValueError("set_values %r: %s" % (item["value"], e))
    return normalize_values(result)


# --- decisions and predictions --------------------------------------------------------------------------------------

def upgrade_reasons(current, chart, values, force=False):
    """Why `helm upgrade --install` must run; [] when the release already is what was asked.

    current: release_summary() or None; chart: chart_metadata() of the chart asked for; values: desired_values().
    """
    if current is None or current.get("status") == "uninstalled":
        return ["release is not installed"]
    reasons = []
    if current.get("status") != "deployed":
        reasons.append("release status is %s, not deployed" % current.get("status"))
    if (current.get("chart"), current.get("chart_version")) != (chart["name"], chart["version"]):
        reasons.append("chart %s-%s -> %s-%s" % (current.get("chart"), current.get("chart_version"), chart["name"], chart["version"]))
    elif chart.get("app_version") and current.get("app_version") != chart["app_version"]:
        reasons.append("app version %s -> %s" % (current.get("app_version"), chart["app_version"]))
    if not same_values(current.get("values") or {}, values):
        reasons.append("values differ")
    if force and not reasons:
        reasons.append("force")
    return reasons


def predicted_release(release, namespace, current, chart, values):
    """The release a `helm upgrade --install` would leave (check mode): next revision, deployed, the new chart/values."""
    return {
        "name": release,
        "namespace": namespace,
        "revision": (current["revision"] + 1) if current and isinstance(current.get("revision"), int) else 1,
        "status": "deployed",
        "chart": chart["name"],
        "chart_version": chart["version"],
        "app_version": chart.get("app_version"),
        "values": values,
        "updated": None,
        "description": None,
    }


def diff_state(release):
    """What --diff shows of a release: chart, chart version and user values ({} when absent)."""
    if not release:
        return {}
    return {"chart": release.get("chart"), "chart_version": release.get("chart_version"), "values": release.get("values") or {}}


def rollback_target(history, revision=None):
    """(current, target) history entries; target = `revision`, or the newest one before the current (helm's default).

    ValueError says what exists when the revision does not.
    """
    if not history:
        raise ValueError("the release has no revisions")
    current = history[-1]
    existing = ", ".join(str(entry["revision"]) for entry in history)
    if revision is None:
        older = [entry for entry in history if entry["revision"] < current["revision"]]
        if not older:
            raise ValueError("only revision %s exists: there is no previous revision to roll back to" % current["revision"])
        return current, older[-1]
    for entry in history:
        if entry["revision"] == revision:
            return current, entry
    raise ValueError("revision %s does not exist; existing revisions: %s (current: %s)" % (revision, existing, current["revision"]))


def rollback_needed(current, current_values, target, target_values):
    """False when the current revision is deployed with the target's chart and values already."""
    return not (current.get("status") == "deployed" and current.get("chart") == target.get("chart")
                and same_values(current_values, target_values))


def predicted_rollback(release, namespace, current, target, target_values):
    """The release a rollback would leave (check mode): next revision, deployed, the target's chart and values."""
    name, version = split_chart(target.get("chart"))
    return {
        "name": release,
        "namespace": namespace,
        "revision": current["revision"] + 1,
        "status": "deployed",
        "chart": name,
        "chart_version": version,
        "app_version": target.get("app_version"),
        "values": target_values,
        "updated": None,
        "description": "Rollback to %s" % target["revision"],
    }


# --- I/O ------------------------------------------------------------------------------------------------------------

# helm's major version by binary path, for this module process (HelmRunner.major).
_MAJOR_BY_BINARY = {}
_MAJOR_LOCK = threading.Lock()

# The Go garbage collector's target for the helm processes a module starts, unless the environment sets GOGC: helm is
# a short-lived process whose heap is mostly what it keeps until it exits (the cluster's API discovery and OpenAPI
# schema, the release), and Go's default (100) collects it several times on the way. 400 makes `helm upgrade
# --dry-run` ~25 % cheaper in CPU (0.30 -> 0.21 s on the sandbox, `helm status` 0.09 -> 0.07 s) for ~15 MB more
# memory per process; nothing helm does or prints changes. A deploy of 10 services runs ~100 helm processes.
HELM_GOGC = "400"


def helm_environment(environ):
    """Set GOGC (HELM_GOGC) in `environ` (os.environ: the helm processes inherit it) unless it is set already."""
    if "GOGC" not in environ:
        environ["GOGC"] = HELM_GOGC


class HelmRunner:
    """Runs helm for a module: finds the binary once, adds the cluster flags, fails with helm's error summarised."""

    def __init__(self, module, kubeconfig=None, context=None):
        """kubeconfig, context: the cluster to talk to, when not the module's own options of those names."""
        self.module = module
        self.binary = module.params.get("binary_path") or module.get_bin_path("helm")
        if not self.binary:
            module.fail_json(msg=MISSING_HELM)
        self.globals = global_args(kubeconfig or module.params.get("kubeconfig"), context or module.params.get("context"))
        self._major = None
        with _MAJOR_LOCK:
            helm_environment(os.environ)

    def major(self):
        """helm's major version (3 or 4), asked once per binary and module process (`helm version`; a wave's runners
        for each release and side share the answer) and only where a flag depends on it."""
        if self._major is None:
            with _MAJOR_LOCK:  # a wave's worker threads ask at once: the first asks helm, the others wait for it
                self._major = _MAJOR_BY_BINARY.get(self.binary)
                if self._major is None:
                    rc, out, err = self.module.run_command([self.binary] + version_args())
                    try:
                        if rc != 0:
                            raise ValueError(summarise_error(err, out))
                        self._major = _MAJOR_BY_BINARY[self.binary] = major_version(out)
                    except ValueError as e:
                        self.module.fail_json(msg="helm version failed: %s" % e, command=[self.binary] + version_args())
        return self._major

    def command(self, args):
        return [self.binary] + args + self.globals

    def run(self, args, check=True):
        """Run `helm ARGS`; (rc, stdout, stderr). check: fail the module on a non-zero exit."""
        command = self.command(args)
        rc, out, err = self.module.run_command(command)
        if rc != 0 and check:
            self.module.fail_json(msg="helm %s failed (rc=%s): %s" % (args[0], rc, summarise_error(err, out)), command=command)
        return rc, out, err

    def json(self, args, missing_ok=False):
        """Run `helm ARGS` and return its parsed JSON output (None for a missing release when missing_ok)."""
        rc, out, err = self.run(args, check=False)
        if rc != 0:
            if missing_ok and is_release_not_found(err):
                return None
            self.module.fail_json(msg="helm %s failed (rc=%s): %s" % (args[0], rc, summarise_error(err, out)), command=self.command(args))
        try:
            return parse_json(out, args[0])
        except ValueError as e:
            self.module.fail_json(msg=str(e), command=self.command(args))

    def status(self, name, namespace, missing_ok=False):
        """`helm status -o json` of a release with its chart's metadata (with_chart: one `helm get metadata` more on
        helm 4, whose status has no chart); None for a missing release when missing_ok."""
        status = self.json(status_args(name, namespace), missing_ok=missing_ok)
        if status and not ((status.get("chart") or {}).get("metadata") or {}).get("name"):
            status = with_chart(status, self.json(get_metadata_args(name, namespace), missing_ok=True))
        return status

    def statuses(self, namespace, names, workers):
        """{name: status()} of several releases of one namespace (None for a missing one), read side by side. The
        charts helm 4's status leaves out come from one `helm list` of the namespace instead of one `helm get metadata`
        per release (listed_charts); `helm get metadata` still reads a release the listing shows at another revision."""
        worker = self.in_worker()
        found, failures = threads.run_all(
            dict((name, functools.partial(worker.json, status_args(name, namespace), True)) for name in names), workers)
        if failures:
            threads.fail_from(self.module, failures)
        chartless = [name for name in names if found[name] and not ((found[name].get("chart") or {}).get("metadata") or {}).get("name")]
        listed = listed_charts(self.json(list_args(namespace, all_statuses=True)) or []) if len(chartless) > 1 else {}
        for name in chartless:
            metadata = listed.get((name, _int(found[name].get("version"))))
            found[name] = with_chart(found[name], metadata or self.json(get_metadata_args(name, namespace), missing_ok=True))
        return found

    def release(self, name, namespace):
        """release_summary() of the current revision, or None when the release does not exist."""
        return self.summary(name, namespace, self.status(name, namespace, missing_ok=True))

    def summary(self, name, namespace, status):
        """release_summary() of a status() (None for None); the values from its `config` (what `helm get values`
        prints), with `helm get values` only where a helm leaves `config` out."""
        if not status:
            return None
        values = None if "config" in status else self.json(get_values_args(name, namespace))
        return release_summary(status, values)

    def releases_now(self, namespace, names, workers):
        """{name: release()} of several releases of one namespace, read as statuses() reads them."""
        return dict((name, self.summary(name, namespace, status)) for name, status in self.statuses(namespace, names, workers).items())

    def upgraded_release(self, name, namespace, upgrade_stdout):
        """release_summary() after a successful `helm upgrade --output json`: its output is the release with its chart
        (helm 3 and 4), so no read follows; read the release (release()) only when the output is not that."""
        try:
            printed = parse_json(upgrade_stdout, "upgrade")
        except ValueError:
            printed = None
        if (isinstance(printed, dict) and printed.get("name") == name and "config" in printed
                and ((printed.get("chart") or {}).get("metadata") or {}).get("name")):
            return release_summary(printed)
        return self.release(name, namespace)

    def history(self, name, namespace):
        """parse_history() of the release, or None when it does not exist."""
        items = self.json(history_args(name, namespace), missing_ok=True)
        return None if items is None else parse_history(items)

    def in_worker(self):
        """This runner for worker threads (threads.WorkerModule: a failure raises instead of ending the module)."""
        runner = copy.copy(self)
        runner.module = threads.WorkerModule(self.module)
        return runner

    def releases(self, namespace=None, all_namespaces=False, all_statuses=False, names=None, history=False, workers=1):
        """What helm_release_info returns: one `helm list`, then `helm status` (and `helm history` with history) of each
        listed release, sorted by namespace and name. names: only these releases (exact names; None: all listed).
        workers: how many releases are read side by side (each read is a helm process that mostly waits)."""
        listed = self.json(list_args(namespace, all_namespaces, all_statuses)) or []
        if names is not None:
            listed = only_named(listed, names)
        entries = sorted(listed, key=lambda item: (item.get("namespace") or "", item.get("name") or ""))
        worker = self.in_worker()

        def read(entry):
            release_namespace = entry.get("namespace") or namespace or "default"
            release = release_from(entry, worker.json(status_args(entry["name"], release_namespace)))
            if history:
                release["history"] = worker.history(entry["name"], release_namespace) or []
            return release

        found, failures = threads.run_all(dict((index, functools.partial(read, entry)) for index, entry in enumerate(entries)), workers)
        if failures:
            threads.fail_from(self.module, failures)
        return [found[index] for index in range(len(entries))]

    def values(self, name, namespace, revision=None):
        """User-supplied values of a revision (normalized)."""
        return normalize_values(self.json(get_values_args(name, namespace, revision)))
