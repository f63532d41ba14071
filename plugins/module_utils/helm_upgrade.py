# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What `helm upgrade --install` of a release would do, for the modules that upgrade (helm_release) or predict
upgrades (helm_release_check): the chart asked for (a local chart's Chart.yaml, or `helm show chart`), the values the
release would store, why it must be upgraded, and the check-mode prediction validated by `helm upgrade --dry-run`.

I/O through a module (fail_json with a message naming the option to fix) and helm_cli.HelmRunner; the decisions
are helm_cli's pure functions.
"""

from __future__ import annotations

import json
import os
import tarfile
import tempfile
import traceback

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli

YAML_IMPORT_ERROR = None
try:
    import yaml
except ImportError:
    YAML_IMPORT_ERROR = traceback.format_exc()


def yaml_load(text):
    """Parse YAML as helm does (sigs.k8s.io/yaml): dates stay strings."""

    class HelmLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
        pass

    HelmLoader.yaml_implicit_resolvers = dict(
        (first, [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"])
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    )
    return yaml.load(text, Loader=HelmLoader)  # nosec: a SafeLoader subclass


def load_values_file(module, path):
    try:
        with open(path, encoding="utf-8") as handle:
            data = yaml_load(handle.read())
    except OSError as e:
        module.fail_json(msg="values file %s cannot be read: %s; check values_files" % (path, e.strerror or e))
    except yaml.YAMLError as e:
        module.fail_json(msg="values file %s is not valid YAML: %s" % (path, e))
    if data is None:
        return {}
    if not isinstance(data, dict):
        module.fail_json(msg="values file %s must hold a mapping at the top level, not a %s" % (path, type(data).__name__))
    return data


def read_set_file(path):
    """Content of a set_values file (value_type: file)."""
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except OSError as e:
        raise ValueError("cannot read file %s: %s" % (path, e.strerror or e))


def local_chart_metadata(module, path):
    """Chart.yaml of a chart directory or .tgz archive."""
    text = None
    try:
        if os.path.isdir(path):
            chart_file = os.path.join(path, "Chart.yaml")
            if not os.path.isfile(chart_file):
                module.fail_json(msg="chart path %s is a directory without Chart.yaml: give the chart's own directory" % path)
            with open(chart_file, encoding="utf-8") as handle:
                text = handle.read()
        else:
            with tarfile.open(path) as archive:
                member = next((m for m in archive.getmembers() if m.isfile() and m.name.count("/") == 1 and m.name.endswith("/Chart.yaml")), None)
                if member is None:
                    module.fail_json(msg="chart archive %s holds no <chart>/Chart.yaml" % path)
                text = archive.extractfile(member).read().decode("utf-8")
    except (OSError, tarfile.TarError) as e:
        module.fail_json(msg="chart %s cannot be read: %s" % (path, e))
    try:
        return helm_cli.chart_metadata(yaml_load(text))
    except (ValueError, yaml.YAMLError) as e:
        module.fail_json(msg="chart %s has an invalid Chart.yaml: %s" % (path, e))


def resolve_chart(module, helm, ref, version):
    """(chart argument for helm, --version to pin or None, chart metadata) of chart `ref` (+ chart_version)."""
    path = ref  # as helm takes it: no ~ expansion
    kind = helm_cli.chart_reference_kind(ref, os.path.exists(path))
    if kind == "path":
        if not os.path.exists(path):
            module.fail_json(msg="chart path %s does not exist on this host: give a chart directory or .tgz archive "
                                 "(an absolute path is safest), a repo/chart reference or an oci:// reference" % ref)
        meta = local_chart_metadata(module, path)
        if version and version != meta["version"]:
            module.fail_json(msg="chart_version %s was asked but the local chart %s is %s version %s: fix chart_version or "
                                 "the chart" % (version, ref, meta["name"], meta["version"]))
        return path, None, meta
    args = helm_cli.show_chart_args(ref, version)
    rc, out, err = helm.run(args, check=False)
    if rc != 0:
        module.fail_json(msg="helm show chart %s failed: %s. For a repository chart, add the repository first (helm repo "
                             "add) and check chart_version; for a local chart, give a path that exists"
                             % (ref, helm_cli.summarise_error(err, out)), command=helm.command(args))
    try:
        meta = helm_cli.chart_metadata(yaml_load(out))
    except (ValueError, yaml.YAMLError) as e:
        module.fail_json(msg="helm show chart %s printed no usable Chart.yaml: %s" % (ref, e), command=helm.command(args))
    return ref, meta["version"], meta


def desired(module, spec):
    """The values the release would store (values_files, then values, then set_values, as helm merges them)."""
    file_values = [load_values_file(module, path) for path in spec.get("values_files") or []]
    try:
        return helm_cli.desired_values(file_values, spec.get("values") or {}, spec.get("set_values") or [], read_set_file)
    except ValueError as e:
        module.fail_json(msg="%s; fix set_values" % e)


class ValuesFile(object):
    """`values` written to a private temporary file for helm's -f (JSON is YAML; mode 0600), removed on exit."""

    def __init__(self, module, values):
        self.module, self.values, self.path = module, values, None

    def __enter__(self):
        if self.values:
            handle, self.path = tempfile.mkstemp(prefix="helm-values-", suffix=".yaml", dir=self.module.tmpdir)
            with os.fdopen(handle, "w") as out:
                json.dump(self.values, out, default=str)
        return self.path

    def __exit__(self, *exc):
        if self.path and os.path.exists(self.path):
            os.remove(self.path)
        return False


def upgrade_args_for(spec, chart_arg, pin_version, values_files, dry_run=False, helm=None):
    """helm upgrade --install arguments of a release spec (name, namespace, wait, atomic, timeout, set_values...).
    helm: the HelmRunner, asked for helm's major version where a flag differs between helm 3 and 4 (a dry run, atomic)."""
    atomic = spec.get("atomic", False)
    major = helm.major() if helm is not None and (dry_run or atomic) else 3
    return helm_cli.upgrade_args(spec["name"], chart_arg, spec["namespace"], pin_version, spec.get("wait", True), atomic,
                                 spec.get("timeout"), values_files, spec.get("set_values") or [], spec.get("create_namespace", False), dry_run,
                                 helm_major=major)


def predict(module, helm, spec, current, validate=True):
    """What `helm upgrade --install` of `spec` would do to the release `current` (release_summary() or None), without
    changing anything: {previous_revision, changed, reasons, command, release (predicted), diff}. With `validate` and a
    change predicted, `helm upgrade --install --dry-run` renders the chart with the values first (fails the module with
    helm's message when it refuses them)."""
    chart_arg, pin_version, chart = resolve_chart(module, helm, spec["chart"], spec.get("chart_version"))
    values = desired(module, spec)
    reasons = helm_cli.upgrade_reasons(current, chart, values, spec.get("force", False))
    with ValuesFile(module, spec.get("values")) as values_file:
        values_files = list(spec.get("values_files") or []) + ([values_file] if values_file else [])
        result = dict(previous_revision=current["revision"] if current else None, changed=bool(reasons), reasons=reasons,
                      command=helm.command(upgrade_args_for(spec, chart_arg, pin_version, values_files, helm=helm)), release=current,
                      diff=dict(before=helm_cli.diff_state(current), after=helm_cli.diff_state(current)))
        if not reasons:
            return result
        if validate:
            dry_run = upgrade_args_for(spec, chart_arg, pin_version, values_files, dry_run=True, helm=helm)
            rc, out, err = helm.run(dry_run, check=False)
            if rc != 0:
                result.update(changed=False, command=helm.command(dry_run))
                module.fail_json(msg="check mode: helm upgrade --install --dry-run of release %s refused the chart or values: %s"
                                     % (spec["name"], helm_cli.summarise_error(err, out)), **result)
    predicted = helm_cli.predicted_release(spec["name"], spec["namespace"], current, chart, values)
    result.update(release=predicted, diff=dict(result["diff"], after=helm_cli.diff_state(predicted)))
    return result


def upgrade_failed(module, helm, params, current, result, summary):
    """Fail with where the release was left: rolled back by --atomic, or failed at a new revision."""
    name, namespace = params["name"], params["namespace"]
    after = helm.release(name, namespace)
    before_revision = current["revision"] if current else None
    msg = "helm upgrade --install of release %s in namespace %s failed: %s." % (name, namespace, summary)
    if after is None:
        msg += " The release is not installed%s." % (" (helm uninstalled the failed install: atomic)" if params["atomic"] else "")
    elif params["atomic"] and current is not None:
        same = helm_cli.same_values(after["values"], current["values"]) and after["chart_version"] == current["chart_version"]
        msg += " Helm rolled it back (atomic): the release is at revision %s, status %s, %s." % (
            after["revision"], after["status"],
            "with the chart and values of revision %s" % before_revision if same else "check its values")
    else:
        msg += " The release is at revision %s with status %s; fix the cause and run again, or roll back%s." % (
            after["revision"], after["status"],
            " with cloudops.runbooks.helm_rollback revision=%s" % before_revision if before_revision else "")
    hint = helm_cli.error_hint(summary, params["timeout"])
    if hint:
        msg += " Hint: %s." % hint
    changed = (after or {}).get("revision") != before_revision
    result.update(changed=changed, release=after, diff=dict(result["diff"], after=helm_cli.diff_state(after)))
    module.fail_json(msg=msg, **result)


def upgrade(module, helm, params, current):
    """`helm upgrade --install` of the release of `params` (helm_release's options) when it would change anything:
    {changed, reasons, command, release (after), diff}. A failed upgrade fails the module (upgrade_failed) with where
    the release was left."""
    chart_arg, pin_version, chart = resolve_chart(module, helm, params["chart"], params.get("chart_version"))
    values = desired(module, params)
    reasons = helm_cli.upgrade_reasons(current, chart, values, params.get("force", False))
    result = dict(previous_revision=current["revision"] if current else None)
    with ValuesFile(module, params.get("values")) as values_file:
        values_files = list(params.get("values_files") or []) + ([values_file] if values_file else [])
        args = upgrade_args_for(params, chart_arg, pin_version, values_files, helm=helm)
        result.update(changed=bool(reasons), reasons=reasons, command=helm.command(args), release=current,
                      diff=dict(before=helm_cli.diff_state(current), after=helm_cli.diff_state(current)))
        if not reasons:
            return result
        rc, out, err = helm.run(args, check=False)
        if rc != 0:
            upgrade_failed(module, helm, params, current, result, helm_cli.summarise_error(err, out))
    after = helm.upgraded_release(params["name"], params["namespace"], out)
    result.update(release=after, diff=dict(result["diff"], after=helm_cli.diff_state(after)))
    return result
