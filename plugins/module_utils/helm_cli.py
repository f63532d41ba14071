# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Run the helm CLI and parse its JSON output.

The command building and parsing are plain functions (unit-tested); HelmRunner is the thin I/O part over
module.run_command. Option names follow kubernetes.core.helm (binary_path, kubeconfig, context).
"""

from __future__ import annotations

import json

MISSING_HELM = "helm not found on PATH; install helm or set binary_path"

# Options every helm-based module of the collection accepts; merge into the module's argument_spec.
HELM_ARG_SPEC = dict(
    binary_path=dict(type="path"),
    kubeconfig=dict(type="path", aliases=["kubeconfig_path"]),
    context=dict(type="str", aliases=["kube_context"]),
)


def global_args(kubeconfig=None, context=None):
    """Flags that pick the cluster; empty values are left out so helm uses its own defaults."""
    args = []
    if kubeconfig:
        args += ["--kubeconfig", kubeconfig]
    if context:
        args += ["--kube-context", context]
    return args


def list_args(namespace=None, all_namespaces=False, all_statuses=False):
    """Arguments of `helm list` with JSON output."""
    args = ["list", "--output", "json"]
    if all_namespaces:
        args.append("--all-namespaces")
    elif namespace:
        args += ["--namespace", namespace]
    if all_statuses:
        args.append("--all")
    return args


def status_args(release, namespace):
    """Arguments of `helm status` with JSON output."""
    return ["status", release, "--namespace", namespace, "--output", "json"]


def parse_json(text, what):
    """Parse helm's JSON output; ValueError names the command when it is not JSON."""
    try:
        return json.loads(text or "null")
    except ValueError:
        raise ValueError("helm %s did not print JSON: %s" % (what, (text or "").strip()[:200]))


def release_from(listed, status=None):
    """One release: the `helm list` entry, plus what `helm status` adds (description, values, deploy times)."""
    release = {
        "name": listed.get("name"),
        "namespace": listed.get("namespace"),
        "revision": int(listed["revision"]) if str(listed.get("revision", "")).isdigit() else listed.get("revision"),
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


class HelmRunner:
    """Runs helm for a module: finds the binary once, adds the cluster flags, fails with helm's stderr."""

    def __init__(self, module):
        self.module = module
        self.binary = module.params.get("binary_path") or module.get_bin_path("helm")
        if not self.binary:
            module.fail_json(msg=MISSING_HELM)
        self.globals = global_args(module.params.get("kubeconfig"), module.params.get("context"))

    def json(self, args):
        """Run `helm ARGS` and return its parsed JSON output."""
        command = [self.binary] + args + self.globals
        rc, out, err = self.module.run_command(command)
        if rc != 0:
            self.module.fail_json(msg="helm %s failed (rc=%s): %s" % (args[0], rc, err.strip() or out.strip()), command=command)
        try:
            return parse_json(out, args[0])
        except ValueError as e:
            self.module.fail_json(msg=str(e), command=command)
