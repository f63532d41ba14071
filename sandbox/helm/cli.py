"""`helm` for the sandbox: the helm v4 command line over the real Helm engine (helm-python-sdk).

Commands, flags, output formats, messages and exit codes follow helm 4.2 so that callers (kubernetes.core.helm,
helm_info, this collection's modules, people) cannot tell it from the real binary. What the sandbox cannot do
(chart repositories, OCI registries, plugins) fails with a clear `Error:` message. See sandbox/helm/README.md.
"""

from __future__ import annotations

import math
import os
import re
import sys
import time
from typing import Callable

import yaml

from . import engine
from .flags import Flag, Parsed, UsageError, parse, parse_duration
from .output import ansic, go_json, go_time_string, go_yaml, table


class CommandError(Exception):
    """Printed as `Error: <message>` on stderr; exit code 1 (what helm does for every failure)."""


# --- flags --------------------------------------------------------------------------------------------------------

GLOBAL_FLAGS = [
    Flag("kubeconfig", "str"),
    Flag("kube-context", "str"),
    Flag("namespace", "str", short="n"),
    Flag("debug", "bool"),
    Flag("kube-apiserver", "str"),
    Flag("kube-token", "str"),
    Flag("kube-ca-file", "str"),
    Flag("kube-tls-server-name", "str"),
    Flag("kube-insecure-skip-tls-verify", "bool"),
    Flag("kube-as-user", "str"),
    Flag("kube-as-group", "list"),
    Flag("burst-limit", "int"),
    Flag("qps", "str"),
    Flag("registry-config", "str"),
    Flag("repository-config", "str"),
    Flag("repository-cache", "str"),
    Flag("content-cache", "str"),
    Flag("color", "str"),
    Flag("colour", "str", dest="color"),
    Flag("help", "bool", short="h"),
]
_GLOBAL_WITH_VALUE = {f"--{f.name}" for f in GLOBAL_FLAGS if f.kind not in ("bool", "opt")} | {"-n"}

OUTPUT = Flag("output", "str", short="o", default="table")

VALUES_FLAGS = [
    Flag("values", "list", short="f"),
    Flag("set", "list"),
    Flag("set-string", "list"),
    Flag("set-json", "list"),
    Flag("set-file", "list"),
    Flag("set-literal", "list"),
]

CHART_REF_FLAGS = [
    Flag("version", "str"),
    Flag("repo", "str"),
    Flag("devel", "bool"),
    Flag("username", "str"),
    Flag("password", "str"),
    Flag("pass-credentials", "bool"),
    Flag("ca-file", "str"),
    Flag("cert-file", "str"),
    Flag("key-file", "str"),
    Flag("insecure-skip-tls-verify", "bool"),
    Flag("plain-http", "bool"),
    Flag("keyring", "str"),
    Flag("verify", "bool"),
]

# Helm 4: --wait takes an optional strategy (bare --wait = watcher); --atomic became --rollback-on-failure and
# --force became --force-replace (old spellings still accepted); --dry-run takes an optional strategy.
INSTALL_UPGRADE_FLAGS = VALUES_FLAGS + CHART_REF_FLAGS + [
    OUTPUT,
    Flag("wait", "opt", no_opt_value="watcher"),
    Flag("wait-for-jobs", "bool"),
    Flag("timeout", "str", default="5m0s"),
    Flag("atomic", "bool", dest="rollback-on-failure"),
    Flag("rollback-on-failure", "bool"),
    Flag("description", "str"),
    Flag("dry-run", "opt", no_opt_value="client"),
    Flag("server-side", "str"),
    Flag("force", "bool", dest="force-replace"),
    Flag("force-replace", "bool"),
    Flag("force-conflicts", "bool"),
    Flag("no-hooks", "bool"),
    Flag("skip-crds", "bool"),
    Flag("take-ownership", "bool"),
    Flag("skip-schema-validation", "bool"),
    Flag("disable-openapi-validation", "bool"),
    Flag("create-namespace", "bool"),
    Flag("dependency-update", "bool"),
    Flag("labels", "list", short="l"),
    Flag("render-subchart-notes", "bool"),
    Flag("hide-notes", "bool"),
    Flag("hide-secret", "bool"),
    Flag("enable-dns", "bool"),
    Flag("post-renderer", "str"),
    Flag("post-renderer-args", "list"),
    Flag("cleanup-on-fail", "bool"),
]
INSTALL_FLAGS = INSTALL_UPGRADE_FLAGS + [
    Flag("generate-name", "bool", short="g"),
    Flag("name-template", "str"),
    Flag("replace", "bool"),
]
UPGRADE_FLAGS = INSTALL_UPGRADE_FLAGS + [
    Flag("install", "bool", short="i"),
    Flag("reset-values", "bool"),
    Flag("reuse-values", "bool"),
    Flag("reset-then-reuse-values", "bool"),
    Flag("history-max", "int", default=10),
]
TEMPLATE_FLAGS = VALUES_FLAGS + CHART_REF_FLAGS + [
    Flag("show-only", "list", short="s"),
    Flag("output-dir", "str"),
    Flag("include-crds", "bool"),
    Flag("skip-tests", "bool"),
    Flag("is-upgrade", "bool"),
    Flag("api-versions", "list", short="a"),
    Flag("kube-version", "str"),
    Flag("release-name", "bool"),
    Flag("generate-name", "bool", short="g"),
    Flag("create-namespace", "bool"),
    Flag("no-hooks", "bool"),
    Flag("skip-crds", "bool"),
    Flag("dry-run", "opt", no_opt_value="client"),
    Flag("validate", "bool"),
]


# --- context: global options -> engine configuration --------------------------------------------------------------

class Context:
    def __init__(self, p: Parsed):
        env = os.environ
        self.debug = bool(p.debug) or env.get("HELM_DEBUG", "").lower() in ("1", "true")
        self.kubeconfig = p.kubeconfig or None
        self.kube_context = p.kube_context or env.get("HELM_KUBECONTEXT") or None
        self.namespace_flag = p.namespace
        self.kw = dict(
            kubeconfig=self.kubeconfig,
            kube_context=self.kube_context,
            kube_token=p.kube_token or env.get("HELM_KUBETOKEN") or None,
            kube_apiserver=p.kube_apiserver or env.get("HELM_KUBEAPISERVER") or None,
            kube_ca_file=p.kube_ca_file or env.get("HELM_KUBECAFILE") or None,
            kube_tls_server_name=p.kube_tls_server_name or env.get("HELM_KUBETLS_SERVER_NAME") or None,
            insecure=bool(p.kube_insecure_skip_tls_verify)
            or env.get("HELM_KUBEINSECURE_SKIP_TLS_VERIFY", "").lower() == "true",
            as_user=p.kube_as_user or env.get("HELM_KUBEASUSER") or None,
            as_groups=p.kube_as_group or [g for g in env.get("HELM_KUBEASGROUPS", "").split(",") if g] or None,
            burst_limit=p.burst_limit,
            qps=float(p.qps) if p.qps else None,
            storage_driver=env.get("HELM_DRIVER") or None,
        )
        self._cfgs: dict[str, object] = {}

    @property
    def namespace(self) -> str:
        """--namespace, else HELM_NAMESPACE, else the kubeconfig context's namespace, else "default" (as helm)."""
        return self.namespace_flag or os.environ.get("HELM_NAMESPACE") or self._context_namespace() or "default"

    def _context_namespace(self) -> str | None:
        paths = [self.kubeconfig] if self.kubeconfig else (
            os.environ.get("KUBECONFIG", "").split(os.pathsep) if os.environ.get("KUBECONFIG")
            else [os.path.expanduser("~/.kube/config")])
        docs = []
        for path in filter(None, paths):
            try:
                with open(path) as fh:
                    docs.append(yaml.safe_load(fh) or {})
            except (OSError, yaml.YAMLError):
                continue
        current = self.kube_context or next((d.get("current-context") for d in docs if d.get("current-context")), None)
        for d in docs:
            for ctx in d.get("contexts") or []:
                if ctx.get("name") == current:
                    return (ctx.get("context") or {}).get("namespace")
        return None

    def cfg(self, namespace: str | None = None):
        ns = namespace or self.namespace
        if ns not in self._cfgs:
            self._cfgs[ns] = engine.config(namespace=ns, **self.kw)
        return self._cfgs[ns]


# --- values -------------------------------------------------------------------------------------------------------

def _merge(base: dict, override: dict) -> dict:
    """Deep merge like helm's mergeMaps; list items given by index (`a[1]=x`) update the existing list in place."""
    for key, value in override.items():
        cur = base.get(key)
        if isinstance(value, dict) and isinstance(cur, dict):
            _merge(cur, value)
        elif isinstance(value, list) and isinstance(cur, list) and any(v is None for v in value):
            merged = list(cur) + [None] * max(0, len(value) - len(cur))
            for i, v in enumerate(value):
                if v is not None:
                    merged[i] = _merge(merged[i], v) if isinstance(v, dict) and isinstance(merged[i], dict) else v
            base[key] = merged
        else:
            base[key] = value
    return base


def _read_values_file(path: str) -> dict:
    if path.startswith(("http://", "https://")):
        raise CommandError(f"remote values files are not available in the sandbox ({path})")
    try:
        text = sys.stdin.read() if path == "-" else open(path, encoding="utf-8").read()
    except OSError:
        raise CommandError(f"open {path}: no such file or directory") from None
    try:
        data = engine.helm_python.values_from_yaml(text) if text.strip() else {}
    except engine.helm_python.HelmError as exc:
        raise CommandError(f"failed to parse {path}: {exc.detail}") from None
    return data or {}


def build_values(p: Parsed) -> dict:
    """helm's values.Options.MergeValues order: -f files, --set-json, --set, --set-string, --set-file, --set-literal."""
    h = engine.helm_python
    vals: dict = {}
    for path in p.values:
        _merge(vals, _read_values_file(path))
    for exprs, fn, what in ((p.set_json, h.parse_set_json, "--set-json"), (p.set, h.parse_set_string, "--set"),
                            (p.set_string, h.parse_set_string_values, "--set-string"),
                            (p.set_file, h.parse_set_file, "--set-file"),
                            (p.set_literal, h.parse_set_literal, "--set-literal")):
        for expr in exprs:
            try:
                _merge(vals, fn(expr))
            except h.HelmError as exc:
                raise CommandError(f"failed parsing {what} data: {exc.detail}") from None
    return vals


# --- shared helpers ------------------------------------------------------------------------------------------------

def _timeout_seconds(text: str) -> int:
    try:
        secs = parse_duration(text)
    except UsageError as exc:
        raise UsageError(f'invalid argument "{text}" for "--timeout" flag: {exc}') from None
    return max(0, math.ceil(secs))


def _wait_strategy(value: object, rollback_on_failure: bool = False) -> str:
    """Helm 4 --wait: bare = watcher; true/false accepted; default hookOnly (watcher when rolling back on failure)."""
    if value is None:
        return "watcher" if rollback_on_failure else "hookOnly"
    mapping = {"true": "watcher", "false": "hookOnly", "watcher": "watcher", "legacy": "legacy", "hookonly": "hookOnly"}
    strategy = mapping.get(str(value).lower())
    if strategy is None:
        raise UsageError(f'invalid argument "{value}" for "--wait" flag: invalid wait strategy "{value}"; '
                         'valid values are: watcher, legacy, hookOnly')
    return strategy


def _dry_run(value: object) -> str | None:
    if value is None:
        return None
    mapping = {"client": "client", "true": "client", "unset": "client", "server": "server", "none": None,
               "false": None}
    if str(value).lower() not in mapping:
        raise UsageError(f'invalid dry-run value ({value}). Must be "none", "server", or "client"')
    return mapping[str(value).lower()]


def _labels(items: list[str]) -> dict | None:
    out: dict[str, str] = {}
    for item in items:
        for pair in filter(None, item.split(",")):
            key, eq, value = pair.partition("=")
            if not eq:
                raise UsageError(f'invalid argument "{item}" for "-l, --labels" flag: {pair} must be formatted as key=value')
            out[key] = value
    return out or None


def _output_format(p: Parsed) -> str:
    fmt = p.output
    if fmt not in ("table", "json", "yaml"):
        raise UsageError(f'invalid argument "{fmt}" for "-o, --output" flag: invalid format type')
    return fmt


def _chart(p: Parsed, ref: str) -> str:
    try:
        return engine.resolve_chart(ref, repo=p.repo)
    except engine.ChartRefError as exc:
        raise CommandError(str(exc)) from None


_SYSTEM_LABELS = {"name", "owner", "status", "version", "createdAt", "modifiedAt"}


def _release_object(ctx: Context, name: str, revision: int | None = None, cfg=None) -> dict:
    """The release as `helm status -o json` prints it (helm's release v1 JSON), from the stored release."""
    cfg = cfg or ctx.cfg()
    got = engine.get(cfg, name, revision)
    summary = got.get("summary") or {}
    meta = {}
    try:
        meta = engine.get_metadata(cfg, name, revision) or {}
    except engine.helm_python.HelmError:
        pass
    chart_meta = {"name": meta.get("chart") or summary.get("chart_name", ""),
                  "version": meta.get("version") or summary.get("chart_version", "")}
    if meta.get("appVersion") or summary.get("app_version"):
        chart_meta["appVersion"] = meta.get("appVersion") or summary.get("app_version")
    if meta.get("annotations"):
        chart_meta["annotations"] = meta["annotations"]
    if meta.get("dependencies"):
        chart_meta["dependencies"] = meta["dependencies"]
    rel = {
        "name": summary.get("name", name),
        "info": got.get("info") or {},
        "chart": {"metadata": chart_meta},
        "config": got.get("config") if got.get("config") is not None else {},
        "manifest": summary.get("manifest", ""),
    }
    if got.get("hooks"):
        rel["hooks"] = got["hooks"]
    rel["version"] = summary.get("revision")
    rel["namespace"] = summary.get("namespace", ctx.namespace)
    # The storage driver's own labels are not the release's (helm filters them the same way).
    labels = {k: v for k, v in (summary.get("labels") or {}).items() if k not in _SYSTEM_LABELS}
    if labels:
        rel["labels"] = labels
    if meta.get("applyMethod"):
        rel["apply_method"] = meta["applyMethod"]
    return rel


def _print_release(rel: dict, fmt: str, *, show_resources_manifest: bool = False, hide_notes: bool = False) -> None:
    if fmt == "json":
        sys.stdout.write(go_json(rel))
        return
    if fmt == "yaml":
        sys.stdout.write(go_yaml(rel))
        return
    info = rel.get("info") or {}
    out = [f"NAME: {rel['name']}"]
    if info.get("last_deployed"):
        out.append(f"LAST DEPLOYED: {ansic(info['last_deployed'])}")
    out += [f"NAMESPACE: {rel['namespace']}", f"STATUS: {info.get('status', '')}", f"REVISION: {rel['version']}"]
    if info.get("description"):
        out.append(f"DESCRIPTION: {info['description']}")
    tests = [h for h in rel.get("hooks") or [] if "test" in (h.get("events") or [])
             and (h.get("last_run") or {}).get("phase")]
    if not tests:
        out.append("TEST SUITE: None")
    else:
        for h in tests:
            run = h["last_run"]
            out += [f"TEST SUITE:     {h.get('name')}", f"Last Started:   {ansic(run.get('started_at'))}",
                    f"Last Completed: {ansic(run.get('completed_at'))}", f"Phase:          {run.get('phase')}"]
    if show_resources_manifest:
        out.append("MANIFEST:")
        out.append(rel.get("manifest", "").rstrip("\n"))
    sys.stdout.write("\n".join(out) + "\n")
    if info.get("notes") and not hide_notes:
        sys.stdout.write(f"NOTES:\n{info['notes'].rstrip()}\n")


# --- commands -----------------------------------------------------------------------------------------------------

def cmd_version(ctx: Context, p: Parsed) -> int:
    info = {"Version": engine.HELM_VERSION, "GitCommit": "", "GitTreeState": "clean", "GoVersion": engine.GO_VERSION,
            "KubeClientVersion": engine.KUBE_CLIENT_VERSION}
    if p.template:
        # Go text/template, the subset people use: {{.Field}} and {{ .Field }}.
        sys.stdout.write(re.sub(r"\{\{-?\s*\.(\w+)\s*-?\}\}", lambda m: str(info.get(m.group(1), "<no value>")),
                                p.template) + "\n")
    elif p.short:
        sys.stdout.write(info["Version"] + "\n")
    else:
        fields = ", ".join(f'{k}:"{v}"' for k, v in info.items())
        sys.stdout.write(f"version.BuildInfo{{{fields}}}\n")
    return 0


def _install_options(p: Parsed, *, upgrade: bool) -> dict:
    rof = bool(p.rollback_on_failure)
    o = dict(
        timeout_seconds=_timeout_seconds(p.timeout),
        wait=_wait_strategy(p.wait, rof),
        dry_run=_dry_run(p.dry_run),
        rollback_on_failure=rof or None,
        description=p.description,
        labels=_labels(p.labels),
        wait_for_jobs=p.wait_for_jobs or None,
        disable_hooks=p.no_hooks or None,
        force_replace=p.force_replace or None,
        force_conflicts=p.force_conflicts or None,
        skip_crds=p.skip_crds or None,
        take_ownership=p.take_ownership or None,
        sub_notes=p.render_subchart_notes or None,
        hide_notes=p.hide_notes or None,
        hide_secret=p.hide_secret or None,
        skip_schema_validation=p.skip_schema_validation or None,
        # The sandbox API server publishes no OpenAPI documents; validation is the API server's job there.
        disable_openapi_validation=True,
        dependency_update=p.dependency_update or None,
        devel=p.devel or None,
        enable_dns=p.enable_dns or None,
        cleanup_on_fail=p.cleanup_on_fail or None,
    )
    if p.post_renderer:
        raise CommandError("post-renderers (plugins) are not available in the sandbox")
    ssa = p.server_side
    if ssa is not None:
        if ssa not in ("true", "false", "auto"):
            raise UsageError(f'invalid server-side value ({ssa}). Must be "true", "false" or "auto"')
    if upgrade:
        o.update(server_side_apply=ssa, max_history=p.history_max, reset_values=p.reset_values or None,
                 reuse_values=p.reuse_values or None, reset_then_reuse_values=p.reset_then_reuse_values or None)
    else:
        o.update(server_side_apply=None if ssa in (None, "auto") else ssa == "true",
                 replace=getattr(p, "replace", None) or None)
        # Not create_namespace: the engine validates the Namespace object against the OpenAPI schema even when
        # validation is disabled, and the sandbox publishes none. _ensure_namespace creates it instead.
        o.pop("cleanup_on_fail")
    return o


def _ensure_namespace(ctx: Context, namespace: str) -> None:
    """--create-namespace: the SDK validates the namespace before creating it, so create it first (as a no-op
    when it exists) through the kubernetes client, with the same kubeconfig/context helm uses."""
    from kubernetes import client, config as kconfig
    from kubernetes.client.rest import ApiException

    api_client = kconfig.new_client_from_config(config_file=ctx.kubeconfig, context=ctx.kube_context)
    core = client.CoreV1Api(api_client)
    try:
        core.read_namespace(namespace)
    except ApiException as exc:
        if exc.status != 404:
            raise CommandError(f"namespace {namespace}: {exc.reason}") from None
        body = {"apiVersion": "v1", "kind": "Namespace",
                "metadata": {"name": namespace, "labels": {"name": namespace}}}
        try:
            core.create_namespace(body)
        except ApiException as exc2:
            if exc2.status != 409:
                raise CommandError(f"create namespace {namespace}: {exc2.reason}") from None


def _release_exists(cfg, name: str) -> bool:
    try:
        return bool(engine.history(cfg, name))
    except engine.helm_python.HelmNotFoundError:
        return False
    except engine.helm_python.HelmError as exc:
        if "not found" in (exc.detail or ""):
            return False
        raise


def _after_deploy(ctx: Context, p: Parsed, result: dict, fmt: str, name: str, dry: bool) -> None:
    if dry:
        # Nothing is stored on a dry run: print what the engine returned.
        rel = {"name": result.get("name", name), "info": {"status": result.get("status"),
                                                          "notes": result.get("notes", "")},
               "chart": {"metadata": {"name": result.get("chart_name"), "version": result.get("chart_version"),
                                      "appVersion": result.get("app_version")}},
               "manifest": result.get("manifest", ""), "version": result.get("revision"),
               "namespace": result.get("namespace")}
        _print_release(rel, fmt, show_resources_manifest=True, hide_notes=bool(p.hide_notes))
        return
    rel = _release_object(ctx, name, result.get("revision"))
    _print_release(rel, fmt, hide_notes=bool(p.hide_notes))


def cmd_install(ctx: Context, p: Parsed) -> int:
    fmt = _output_format(p)
    args = list(p.args)
    if p.generate_name:
        if len(args) != 1:
            raise UsageError(f'"helm install" requires 1 argument when --generate-name is set\n\nUsage:  helm install [NAME] [CHART] [flags]')
        chart_ref = args[0]
        base = os.path.basename(chart_ref.rstrip("/"))
        base = re.sub(r"-\d+\.\d+\.\d+.*\.tgz$|\.tgz$", "", base)
        name = f"{base}-{int(time.time())}"
    else:
        if len(args) != 2:
            raise UsageError('"helm install" requires at least 1 argument\n\nUsage:  helm install [NAME] [CHART] [flags]'
                             if len(args) < 2 else f'"helm install" accepts at most 2 arguments; received {len(args)}')
        name, chart_ref = args
    return _do_install(ctx, p, name, chart_ref, fmt, from_upgrade=False)


def _do_install(ctx: Context, p: Parsed, name: str, chart_ref: str, fmt: str, from_upgrade: bool) -> int:
    chart = _chart(p, chart_ref)
    values = build_values(p)
    options = _install_options(p, upgrade=False)
    if from_upgrade:
        options.pop("replace", None)
    if p.create_namespace and not options.get("dry_run"):
        _ensure_namespace(ctx, ctx.namespace)
    try:
        result = engine.install(ctx.cfg(), chart, name, values, options)
    except engine.helm_python.HelmError as exc:
        raise CommandError(f"INSTALLATION FAILED: {exc.detail}") from None
    _after_deploy(ctx, p, result, fmt, name, bool(options.get("dry_run")))
    return 0


def cmd_upgrade(ctx: Context, p: Parsed) -> int:
    fmt = _output_format(p)
    if len(p.args) != 2:
        raise UsageError(f'"helm upgrade" requires 2 arguments\n\nUsage:  helm upgrade [RELEASE] [CHART] [flags]')
    name, chart_ref = p.args
    chart = _chart(p, chart_ref)  # refuse remote references before touching the cluster
    cfg = ctx.cfg()
    if p.install and not _release_exists(cfg, name):
        if fmt == "table":
            sys.stdout.write(f'Release "{name}" does not exist. Installing it now.\n')
        return _do_install(ctx, p, name, chart_ref, fmt, from_upgrade=True)
    values = build_values(p)
    options = _install_options(p, upgrade=True)
    try:
        result = engine.upgrade(cfg, chart, name, values, options)
    except engine.helm_python.HelmError as exc:
        raise CommandError(f"UPGRADE FAILED: {exc.detail}") from None
    if fmt == "table":
        sys.stdout.write(f'Release "{name}" has been upgraded. Happy Helming!\n')
    _after_deploy(ctx, p, result, fmt, name, bool(options.get("dry_run")))
    return 0


def cmd_template(ctx: Context, p: Parsed) -> int:
    """`helm template` is a client-only dry-run install in helm too: same engine path, same manifest ordering."""
    args = list(p.args)
    if len(args) == 1:
        name, chart_ref = "release-name", args[0]
    elif len(args) == 2:
        name, chart_ref = args
    else:
        raise UsageError('"helm template" requires at least 1 argument\n\nUsage:  helm template [NAME] [CHART] [flags]')
    chart_path = _chart(p, chart_ref)
    values = build_values(p)
    ns = ctx.namespace
    try:
        result = engine.install(engine.config(namespace=ns), chart_path, name, values,
                                dict(dry_run="client", replace=True, disable_openapi_validation=True,
                                     skip_crds=(not p.include_crds) or None, disable_hooks=p.no_hooks or None,
                                     namespace=ns))
        hooks = {} if p.no_hooks else engine.helm_python.Chart.load(chart_path).render(
            values, name=name, namespace=ns, revision=1, is_install=not p.is_upgrade, is_upgrade=bool(p.is_upgrade))
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    docs = [d for d in re.split(r"^---\n", result.get("manifest", ""), flags=re.M) if d.strip()]
    for path in sorted(hooks):
        body = hooks[path]
        if "helm.sh/hook" in body and not (p.skip_tests and "/tests/" in path):
            docs.append(f"# Source: {path}\n{body.strip()}\n")
    if p.show_only:
        docs = [d for d in docs if any(d.startswith(f"# Source: ") and d.split("\n", 1)[0].endswith(s)
                                       for s in p.show_only)]
        if not docs:
            raise CommandError(f"could not find template {p.show_only[0]} in chart")
    sys.stdout.write("".join(f"---\n{d.rstrip()}\n" for d in docs))
    return 0


def cmd_rollback(ctx: Context, p: Parsed) -> int:
    if not 1 <= len(p.args) <= 2:
        raise UsageError('"helm rollback" requires at least 1 argument\n\nUsage:  helm rollback <RELEASE> [REVISION] [flags]')
    version = 0
    if len(p.args) == 2:
        try:
            version = int(p.args[1])
        except ValueError:
            raise CommandError(f'could not convert revision to a number: strconv.Atoi: parsing "{p.args[1]}": invalid syntax') from None
    options = dict(version=version or None, timeout_seconds=_timeout_seconds(p.timeout),
                   wait=_wait_strategy(p.wait), dry_run=_dry_run(p.dry_run), wait_for_jobs=p.wait_for_jobs or None,
                   disable_hooks=p.no_hooks or None, force_replace=p.force_replace or None,
                   force_conflicts=p.force_conflicts or None, server_side_apply=p.server_side,
                   cleanup_on_fail=p.cleanup_on_fail or None, max_history=p.history_max)
    try:
        engine.rollback(ctx.cfg(), p.args[0], options)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    sys.stdout.write("Rollback was a success! Happy Helming!\n")
    return 0


def _one_release(p: Parsed, command: str) -> str:
    if len(p.args) != 1:
        raise UsageError(f'"helm {command}" requires 1 argument\n\nUsage:  helm {command} RELEASE_NAME [flags]')
    return p.args[0]


def _infos(ctx: Context, cfg, name: str, revision: int) -> dict:
    try:
        return engine.get(cfg, name, revision).get("info") or {}
    except engine.helm_python.HelmError:
        return {}


def cmd_history(ctx: Context, p: Parsed) -> int:
    name = _one_release(p, "history")
    fmt = _output_format(p)
    cfg = ctx.cfg()
    try:
        revs = engine.history(cfg, name)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    if not revs:
        raise CommandError("release: not found")
    revs.sort(key=lambda r: r["revision"])
    if p.max and len(revs) > p.max:
        revs = revs[-p.max:]
    items = []
    for r in revs:
        info = _infos(ctx, cfg, name, r["revision"])
        items.append({
            "revision": r["revision"],
            "updated": info.get("last_deployed") or r.get("deployed_at", ""),
            "status": r.get("status", ""),
            "chart": f"{r.get('chart_name', '')}-{r.get('chart_version', '')}",
            "app_version": r.get("app_version", ""),
            "description": info.get("description", ""),
        })
    if fmt == "json":
        sys.stdout.write(go_json(items))
    elif fmt == "yaml":
        sys.stdout.write(go_yaml(items))
    else:
        rows = [[i["revision"], ansic(i["updated"]), i["status"], i["chart"], i["app_version"], i["description"]]
                for i in items]
        sys.stdout.write(table(rows, ["REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION"]))
    return 0


def cmd_status(ctx: Context, p: Parsed) -> int:
    name = _one_release(p, "status")
    fmt = _output_format(p)
    try:
        rel = _release_object(ctx, name, p.revision or None)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    if fmt != "table":
        _print_release(rel, fmt)
        return 0
    _print_release(rel, fmt, hide_notes=bool(p.hide_notes))
    return 0


def cmd_get(ctx: Context, p: Parsed, what: str) -> int:
    name = _one_release(p, f"get {what}")
    cfg = ctx.cfg()
    try:
        if what == "values":
            fmt = _output_format(p)
            vals = engine.get_values(cfg, name, bool(p.all), p.revision or None)
            if fmt == "json":
                sys.stdout.write(go_json(vals))
            elif fmt == "yaml":
                sys.stdout.write(go_yaml(vals))
            else:
                sys.stdout.write(("COMPUTED VALUES:\n" if p.all else "USER-SUPPLIED VALUES:\n") + go_yaml(vals))
            return 0
        got = engine.get(cfg, name, p.revision or None)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    summary, info, hooks = got.get("summary") or {}, got.get("info") or {}, got.get("hooks") or []
    if what == "manifest":
        sys.stdout.write(summary.get("manifest", "") + "\n")
    elif what == "notes":
        if info.get("notes"):
            sys.stdout.write(f"NOTES:\n{info['notes']}\n")
    elif what == "hooks":
        for h in hooks:
            sys.stdout.write(f"---\n# Source: {h.get('path')}\n{h.get('manifest')}\n")
    elif what == "metadata":
        fmt = _output_format(p)
        meta = engine.get_metadata(cfg, name, p.revision or None)
        if fmt == "json":
            sys.stdout.write(go_json(meta))
        elif fmt == "yaml":
            sys.stdout.write(go_yaml(meta))
        else:
            order = [("NAME", "name"), ("CHART", "chart"), ("VERSION", "version"), ("APP_VERSION", "appVersion"),
                     ("NAMESPACE", "namespace"), ("REVISION", "revision"), ("STATUS", "status"),
                     ("DEPLOYED_AT", "deployedAt")]
            for label, key in order:
                sys.stdout.write(f"{label}: {meta.get(key, '')}\n")
    elif what == "all":
        rel = _release_object(ctx, name, p.revision or None)
        _print_release(rel, "table")
        sys.stdout.write("USER-SUPPLIED VALUES:\n" + go_yaml(got.get("config") or {}))
        sys.stdout.write("\nHOOKS:\n")
        for h in hooks:
            sys.stdout.write(f"---\n# Source: {h.get('path')}\n{h.get('manifest')}\n")
        sys.stdout.write("MANIFEST:\n" + summary.get("manifest", "") + "\n")
    return 0


_STATES = ["deployed", "failed", "pending", "superseded", "uninstalled", "uninstalling"]


def cmd_list(ctx: Context, p: Parsed) -> int:
    fmt = _output_format(p)
    if p.args:
        raise UsageError(f'unknown command "{p.args[0]}" for "helm list"')
    options = dict(all=p.all or None, all_namespaces=p.all_namespaces or None, limit=p.max, offset=p.offset or None,
                   filter=p.filter, selector=p.selector, by_date=p.date or None, sort_reverse=p.reverse or None,
                   **{s: getattr(p, s) or None for s in _STATES})
    cfg = ctx.cfg()  # the engine lists across namespaces itself with all_namespaces
    try:
        rels = engine.list_releases(cfg, options)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    items = []
    for r in rels:
        ns = r.get("namespace", "")
        info = _infos(ctx, ctx.cfg(ns), r["name"], r["revision"]) if fmt != "table" or not p.short else {}
        updated = info.get("last_deployed") or r.get("deployed_at")
        items.append({
            "name": r["name"], "namespace": ns, "revision": str(r["revision"]),
            "updated": go_time_string(updated) if updated else "-",
            "status": r.get("status", ""),
            "chart": f"{r.get('chart_name', '')}-{r.get('chart_version', '')}",
            "app_version": r.get("app_version", ""),
        })
    if fmt == "json":
        sys.stdout.write(go_json(items))
    elif fmt == "yaml":
        sys.stdout.write(go_yaml(items))
    elif p.short:
        for i in items:
            sys.stdout.write(i["name"] + "\n")
    else:
        rows = [[i["name"], i["namespace"], i["revision"], i["updated"], i["status"], i["chart"], i["app_version"]]
                for i in items]
        headers = None if p.no_headers else ["NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART",
                                             "APP VERSION"]
        sys.stdout.write(table(rows, headers))
    return 0


def cmd_uninstall(ctx: Context, p: Parsed) -> int:
    if not p.args:
        raise UsageError('"helm uninstall" requires at least 1 argument\n\nUsage:  helm uninstall RELEASE_NAME [...] [flags]')
    options = dict(keep_history=p.keep_history or None, timeout_seconds=_timeout_seconds(p.timeout),
                   dry_run=bool(_dry_run(p.dry_run)) or None, ignore_not_found=p.ignore_not_found or None,
                   wait=_wait_strategy(p.wait), description=p.description, disable_hooks=p.no_hooks or None,
                   deletion_propagation=p.cascade if p.cascade != "background" else None)
    for name in p.args:
        try:
            res = engine.uninstall(ctx.cfg(), name, options)
        except engine.helm_python.HelmError as exc:
            raise CommandError(exc.detail) from None
        if res and res.get("info"):
            sys.stdout.write(res["info"] + "\n")
        if res is not None and (res.get("release") or not p.ignore_not_found):
            sys.stdout.write(f'release "{name}" uninstalled\n')
    return 0


def cmd_test(ctx: Context, p: Parsed) -> int:
    name = _one_release(p, "test")
    try:
        res = engine.test(ctx.cfg(), name, dict(timeout_seconds=_timeout_seconds(p.timeout), logs=p.logs or None,
                                                include_names=p.filter or None))
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    rel = _release_object(ctx, name)
    _print_release(rel, "table", hide_notes=bool(p.hide_notes))
    if p.logs and res.get("logs"):
        sys.stdout.write(res["logs"])
    return 0


def cmd_show(ctx: Context, p: Parsed, what: str) -> int:
    if len(p.args) != 1:
        raise UsageError(f'"helm show {what}" requires 1 argument\n\nUsage:  helm show {what} [CHART] [flags]')
    chart = _chart(p, p.args[0])
    try:
        text = engine.helm_python.show(chart, output_format=what)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    sys.stdout.write(text if text.endswith("\n") or not text else text + "\n")
    return 0


def cmd_lint(ctx: Context, p: Parsed) -> int:
    paths = p.args or ["."]
    failed = 0
    severities = {0: "UNKNOWN", 1: "INFO", 2: "WARNING", 3: "ERROR"}
    for path in paths:
        report = engine.helm_python.lint(path, build_values(p) or None, strict=p.strict or None,
                                         namespace=ctx.namespace, with_subcharts=p.with_subcharts or None,
                                         quiet=p.quiet or None, kube_version=p.kube_version,
                                         skip_schema_validation=p.skip_schema_validation or None)
        sys.stdout.write(f"==> Linting {path}\n")
        for m in report.get("messages") or []:
            if isinstance(m, dict):
                sys.stdout.write(f"[{severities.get(m.get('severity'), 'UNKNOWN')}] {m.get('path', '')}: "
                                 f"{m.get('error', '')}\n")
            else:
                sys.stdout.write(f"{m}\n")
        errors = report.get("errors") or []
        failed += 1 if errors else 0
        sys.stdout.write("\n")
    sys.stdout.write(f"{len(paths)} chart(s) linted, {failed} chart(s) failed\n")
    if failed:
        raise CommandError(f"{failed} chart(s) failed linting")
    return 0


def cmd_dependency(ctx: Context, p: Parsed, what: str) -> int:
    chart = p.args[0] if p.args else "."
    if not os.path.isdir(chart):
        raise CommandError(f'path "{chart}" not found' if not os.path.exists(chart) else f"{chart} is not a directory")
    deps = engine.helm_python.dependency_list(chart)
    if what == "list":
        rows = [[d.get("name", ""), d.get("version", ""), d.get("repository", ""), d.get("status", "")] for d in deps]
        if not rows:
            sys.stdout.write(f"WARNING: no dependencies at {os.path.join(chart, 'charts')}\n")
        else:
            sys.stdout.write(table(rows, ["NAME", "VERSION", "REPOSITORY", "STATUS"]) + "\n")
        return 0
    if not deps:
        return 0  # nothing to fetch: what helm does for a chart without dependencies
    remote = [d for d in deps if not str(d.get("repository", "")).startswith("file://")]
    if remote:
        raise CommandError("chart repositories are not available in the sandbox; dependencies must use file:// "
                           f"repositories (remote: {', '.join(d.get('name', '?') for d in remote)})")
    fn = engine.helm_python.dependency_update if what == "update" else engine.helm_python.dependency_build
    try:
        fn(chart)
    except engine.helm_python.HelmError as exc:
        raise CommandError(exc.detail) from None
    return 0


def cmd_plugin(ctx: Context, p: Parsed, what: str) -> int:
    if what in ("list", "ls"):
        # No plugins are installed in the sandbox (helm-diff included): the header only, like helm with none.
        sys.stdout.write(table([], ["NAME", "VERSION", "TYPE", "APIVERSION", "PROVENANCE", "SOURCE"]))
        return 0
    raise CommandError("plugins are not available in the sandbox")


def cmd_repo(ctx: Context, p: Parsed, what: str) -> int:
    if what in ("list", "ls"):
        raise CommandError("no repositories to show")
    if what == "update":
        raise CommandError("no repositories found. You must add one before updating")
    raise CommandError("chart repositories are not available in the sandbox")


def cmd_env(ctx: Context, p: Parsed) -> int:
    env = {"HELM_BIN": sys.argv[0] or "helm", "HELM_DEBUG": str(ctx.debug).lower(),
           "HELM_KUBECONTEXT": ctx.kube_context or "", "HELM_NAMESPACE": ctx.namespace,
           "HELM_DRIVER": os.environ.get("HELM_DRIVER", ""), "KUBECONFIG": ctx.kubeconfig or os.environ.get("KUBECONFIG", "")}
    for k in sorted(env):
        sys.stdout.write(f'{k}="{env[k]}"\n')
    return 0


def _unsupported(what: str) -> Callable[[Context, Parsed], int]:
    def run(ctx: Context, p: Parsed) -> int:
        raise CommandError(f"`helm {what}` is not available in the sandbox")
    return run


# command path -> (flags, handler)
COMMANDS: dict[tuple[str, ...], tuple[list[Flag], Callable[[Context, Parsed], int]]] = {
    ("version",): ([Flag("short", "bool"), Flag("template", "str")], cmd_version),
    ("install",): (INSTALL_FLAGS, cmd_install),
    ("upgrade",): (UPGRADE_FLAGS, cmd_upgrade),
    ("template",): (TEMPLATE_FLAGS, cmd_template),
    ("rollback",): ([Flag("wait", "opt", no_opt_value="watcher"), Flag("wait-for-jobs", "bool"),
                     Flag("timeout", "str", default="5m0s"), Flag("dry-run", "opt", no_opt_value="client"),
                     Flag("no-hooks", "bool"), Flag("force", "bool", dest="force-replace"),
                     Flag("force-replace", "bool"), Flag("force-conflicts", "bool"), Flag("server-side", "str"),
                     Flag("cleanup-on-fail", "bool"), Flag("history-max", "int", default=10)], cmd_rollback),
    ("history",): ([OUTPUT, Flag("max", "int", default=256)], cmd_history),
    ("status",): ([OUTPUT, Flag("revision", "int", default=0), Flag("show-desc", "bool"),
                   Flag("show-resources", "bool"), Flag("hide-notes", "bool")], cmd_status),
    ("list",): ([OUTPUT, Flag("all", "bool", short="a"), Flag("all-namespaces", "bool", short="A"),
                 Flag("filter", "str", short="f"), Flag("max", "int", short="m", default=256),
                 Flag("offset", "int", default=0), Flag("selector", "str", short="l"), Flag("date", "bool", short="d"),
                 Flag("reverse", "bool", short="r"), Flag("short", "bool", short="q"), Flag("no-headers", "bool"),
                 Flag("time-format", "str")] + [Flag(s, "bool") for s in _STATES], cmd_list),
    ("uninstall",): ([Flag("keep-history", "bool"), Flag("wait", "opt", no_opt_value="watcher"),
                      Flag("timeout", "str", default="5m0s"), Flag("dry-run", "opt", no_opt_value="client"),
                      Flag("ignore-not-found", "bool"), Flag("no-hooks", "bool"), Flag("description", "str"),
                      Flag("cascade", "str", default="background")], cmd_uninstall),
    ("test",): ([Flag("timeout", "str", default="5m0s"), Flag("logs", "bool"), Flag("filter", "list"),
                 Flag("hide-notes", "bool")], cmd_test),
    ("lint",): (VALUES_FLAGS + [Flag("strict", "bool"), Flag("with-subcharts", "bool"), Flag("quiet", "bool"),
                                Flag("kube-version", "str"), Flag("skip-schema-validation", "bool")], cmd_lint),
    ("env",): ([], cmd_env),
}
_GET_FLAGS = [Flag("revision", "int", default=0)]
for _what, _flags in (("values", [OUTPUT, Flag("all", "bool", short="a")]), ("manifest", []), ("notes", []),
                      ("hooks", []), ("metadata", [OUTPUT]), ("all", [Flag("template", "str")])):
    COMMANDS[("get", _what)] = (_GET_FLAGS + _flags, lambda c, p, w=_what: cmd_get(c, p, w))
for _what in ("all", "chart", "values", "readme", "crds"):
    COMMANDS[("show", _what)] = (CHART_REF_FLAGS + [Flag("jsonpath", "str")], lambda c, p, w=_what: cmd_show(c, p, w))
    COMMANDS[("inspect", _what)] = COMMANDS[("show", _what)]
for _what in ("update", "build", "list", "up", "ls"):
    _canon = {"up": "update", "ls": "list"}.get(_what, _what)
    COMMANDS[("dependency", _what)] = ([Flag("skip-refresh", "bool"), Flag("verify", "bool"), Flag("keyring", "str"),
                                        Flag("max-col-width", "int", default=80)],
                                       lambda c, p, w=_canon: cmd_dependency(c, p, w))
    COMMANDS[("dep", _what)] = COMMANDS[("dependency", _what)]
for _what in ("list", "ls", "install", "uninstall", "update", "verify", "package"):
    COMMANDS[("plugin", _what)] = ([], lambda c, p, w=_what: cmd_plugin(c, p, w))
for _what in ("add", "list", "ls", "update", "up", "remove", "rm", "index"):
    COMMANDS[("repo", _what)] = ([Flag("force-update", "bool"), Flag("username", "str"), Flag("password", "str"),
                                  OUTPUT], lambda c, p, w=_what: cmd_repo(c, p, {"up": "update", "ls": "list"}.get(w, w)))
for _what in ("pull", "push", "package", "search", "registry", "create", "verify", "completion", "fetch"):
    COMMANDS[(_what,)] = ([], _unsupported(_what))
ALIASES = {"ls": "list", "delete": "uninstall", "un": "uninstall", "del": "uninstall", "hist": "history",
           "fetch": "pull", "dependencies": "dependency"}
GROUPS = {"get", "show", "inspect", "dependency", "dep", "plugin", "repo"}


def _split_command(argv: list[str]) -> tuple[tuple[str, ...], list[str]]:
    """Find the command words among the arguments (global flags may come first, as cobra allows)."""
    words: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(argv):
        a = argv[i]
        need = 2 if words and words[0] in GROUPS else 1
        if len(words) < need and not a.startswith("-"):
            words.append(ALIASES.get(a, a) if not words else a)
        else:
            rest.append(a)
            if len(words) < need and a in _GLOBAL_WITH_VALUE and i + 1 < len(argv):
                rest.append(argv[i + 1])
                i += 1
        i += 1
    return tuple(words), rest


USAGE = """The Kubernetes package manager (cloudops sandbox: the Helm 4 engine against the sandbox API server)

Usage:
  helm [command]

Available Commands:
  dependency  manage a chart's dependencies (local file:// only)
  env         helm client environment information
  get         download extended information of a named release
  history     fetch release history
  install     install a chart
  lint        examine a chart for possible issues
  list        list releases
  plugin      install, list, or uninstall Helm plugins (none in the sandbox)
  rollback    roll back a release to a previous revision
  show        show information of a chart
  status      display the status of the named release
  template    locally render templates
  test        run tests for a release
  uninstall   uninstall a release
  upgrade     upgrade a release
  version     print the helm version information
"""


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    words, rest = _split_command(argv)
    try:
        if not words:
            if "--help" in rest or "-h" in rest or not rest:
                sys.stdout.write(USAGE)
                return 0
            parse(rest, GLOBAL_FLAGS)  # reports unknown flags like cobra
            sys.stdout.write(USAGE)
            return 0
        spec = COMMANDS.get(words)
        if spec is None:
            if words[0] in GROUPS and len(words) == 2:
                raise UsageError(f'unknown command "{words[1]}" for "helm {words[0]}"')
            if words[0] in GROUPS:
                sys.stdout.write(f"Usage:  helm {words[0]} [command]\n")
                return 0
            raise UsageError(f'unknown command "{words[0]}" for "helm"\nRun \'helm --help\' for usage.')
        flags, handler = spec
        names = {f.name for f in flags}
        p = parse(rest, flags + [f for f in GLOBAL_FLAGS if f.name not in names])
        if p.help:
            sys.stdout.write(f"Usage:  helm {' '.join(words)} [flags]\n")
            return 0
        ctx = Context(p)
        if ctx.debug:
            import logging
            logging.basicConfig(level=logging.DEBUG, stream=sys.stderr, format="%(message)s")
            engine.helm_python.enable_logging(logging.DEBUG)
        return handler(ctx, p)
    except (UsageError, CommandError) as exc:
        sys.stderr.write(f"Error: {exc}\n")
        return 1
    except engine.helm_python.HelmError as exc:
        sys.stderr.write(f"Error: {exc.detail}\n")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0


__all__ = ["main"]
