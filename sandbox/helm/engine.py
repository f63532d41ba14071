"""The Helm v4 engine (helm-python-sdk = Helm 4.2.3 in libhelm_c.so) and the calls the CLI makes into it.

The Python wrapper of the SDK does not expose every option the CLI needs (disable_openapi_validation, server-side
apply, wait_for_jobs, list state filters, ...), so release actions go through the native calls with an options JSON;
the option keys are the SDK's ABI (see helm-c-sdk pkg/wrapper/*.go).
"""

from __future__ import annotations

import json
import os
from typing import Any

import helm_python
from helm_python import _native

HELM_VERSION = helm_python.helm_sdk_version()  # "v4.2.3": the engine really is this helm
GO_VERSION = "go1.26.6"  # from the library's build info
KUBE_CLIENT_VERSION = "v1.36"  # k8s.io/client-go v0.36.1


class ChartRefError(Exception):
    """A chart reference the sandbox cannot resolve (remote repository / OCI / missing path)."""


def opts(**pairs: Any) -> str | None:
    present = {k: v for k, v in pairs.items() if v is not None}
    return json.dumps(present) if present else None


def config(*, kubeconfig=None, kube_context=None, namespace=None, kube_token=None, kube_apiserver=None,
           kube_ca_file=None, kube_tls_server_name=None, insecure=False, as_user=None, as_groups=None,
           burst_limit=None, qps=None, storage_driver=None) -> helm_python.Config:
    return helm_python.Config(
        kubeconfig_path=kubeconfig, kube_context=kube_context, namespace=namespace, kube_token=kube_token,
        kube_apiserver=kube_apiserver, kube_ca_file=kube_ca_file, kube_tls_server_name=kube_tls_server_name,
        kube_insecure_skip_tls_verify=insecure, kube_as_user=as_user or None, kube_as_groups=as_groups or None,
        burst_limit=burst_limit, qps=qps, storage_driver=storage_driver,
    )


def resolve_chart(ref: str, *, repo: str | None = None) -> str:
    """Local chart directories and packaged archives only: the sandbox has no network access to chart repositories."""
    if repo:
        raise ChartRefError(f"chart repositories are not available in the sandbox (--repo {repo}); use a local chart path")
    if ref.startswith(("oci://", "http://", "https://", "file://")):
        raise ChartRefError(f"remote chart references are not available in the sandbox ({ref}); use a local chart path")
    if os.path.exists(ref):
        return os.path.abspath(ref)
    if os.path.isabs(ref) or ref.startswith("."):
        raise ChartRefError(f'path "{ref}" not found')
    raise ChartRefError(
        f'chart "{ref}" is not a local chart directory or archive; chart repositories and OCI registries are not '
        "available in the sandbox"
    )


def _loads(payload: str) -> Any:
    return json.loads(payload) if payload else None


def install(cfg, chart_path: str, name: str, values: dict, options: dict) -> dict:
    return _loads(_native.call_string("helm_install", cfg._raw(), _native.HANDLE(0), _native.HANDLE(0), chart_path,
                                      name, json.dumps(values), opts(**options)))


def upgrade(cfg, chart_path: str, name: str, values: dict, options: dict) -> dict:
    return _loads(_native.call_string("helm_upgrade", cfg._raw(), _native.HANDLE(0), _native.HANDLE(0), chart_path,
                                      name, json.dumps(values), opts(**options)))


def rollback(cfg, name: str, options: dict) -> None:
    _native.call_status("helm_rollback", cfg._raw(), name, opts(**options))


def uninstall(cfg, name: str, options: dict) -> dict:
    return _loads(_native.call_string("helm_uninstall", cfg._raw(), name, opts(**options)))


def list_releases(cfg, options: dict) -> list[dict]:
    return _loads(_native.call_string("helm_list", cfg._raw(), opts(**options))) or []


def history(cfg, name: str) -> list[dict]:
    return _loads(_native.call_string("helm_history", cfg._raw(), name, None)) or []


def get(cfg, name: str, revision: int | None = None) -> dict:
    """The stored release: {"summary": {...with manifest}, "hooks": [...], "config": {...}, "info": {...}}."""
    return _loads(_native.call_string("helm_get", cfg._raw(), name, opts(revision=revision or None)))


def get_metadata(cfg, name: str, revision: int | None = None) -> dict:
    return _loads(_native.call_string("helm_get_metadata", cfg._raw(), name, opts(revision=revision or None)))


def get_values(cfg, name: str, all_values: bool, revision: int | None) -> Any:
    return _loads(_native.call_string("helm_get_values", cfg._raw(), name,
                                      opts(all=all_values or None, revision=revision or None)))


def test(cfg, name: str, options: dict) -> dict:
    return _loads(_native.call_string("helm_test_run", cfg._raw(), name, opts(**options)))


def check_reachable(cfg) -> None:
    _native.call_status("helm_config_check_reachable", cfg._raw())
