"""Release history, rollback and failed upgrades with the real helm v4 against the Kubernetes emulator.

What the runbooks rely on helm for, beyond test_real_tools.py's conformance: --rollback-on-failure (helm 3's --atomic)
rolling a never-ready upgrade back, a rollback removing what the newer revision added, a failed first install
removed, the error texts the collection's modules read (helm_cli.is_release_not_found, error_hint), a dry run that
stores nothing, and the sandbox chart lint-clean.
"""

from __future__ import annotations

import json
from pathlib import Path

from sandbox.tests.helm_tools import tools  # noqa: F401 (pytest fixture)
from sandbox.tests.k8s_helpers import cluster, emulator, kubeconfig  # noqa: F401 (pytest fixtures)

REPO = Path(__file__).resolve().parents[2]
CHART = str(REPO / "sandbox" / "charts" / "sample-app")
NEVER_READY = 'deploymentAnnotations={"sandbox.cloudops.io/never-ready":"true"}'
KNOB = "sandbox.cloudops.io/never-ready"


def _history(tools, release):
    return [(h["revision"], h["status"], h["description"])
            for h in tools.json("helm", "history", release, "-n", "shop", "-o", "json")]


def _ready_without_knob(tools, name):
    dep = tools.get("deployment", name)
    assert KNOB not in dep["metadata"].get("annotations", {})
    assert dep["status"]["readyReplicas"] == dep["spec"]["replicas"] == dep["status"]["updatedReplicas"]
    return dep


def _image(dep):
    return dep["spec"]["template"]["spec"]["containers"][0]["image"].rsplit(":", 1)[1]


def test_rollback_on_failure_rolls_a_never_ready_upgrade_back(tools):
    tools("helm", "install", "shop-blue", CHART, "-n", "shop", "--create-namespace", "--wait", "--timeout", "30s")
    failed = tools("helm", "upgrade", "shop-blue", CHART, "-n", "shop", "--set", "image.tag=9.9.9", "--set-json",
                   NEVER_READY, "--rollback-on-failure", "--timeout", "2s", check=False)
    assert failed.returncode == 1, failed.stderr
    assert "UPGRADE FAILED: release shop-blue failed, and has been rolled back" in failed.stderr
    assert "context deadline exceeded" in failed.stderr  # what helm_cli.error_hint reads as a readiness timeout
    assert _history(tools, "shop-blue") == [(1, "superseded", "Install complete"),
                                            (2, "failed", failed_description(tools, "shop-blue", 2)),
                                            (3, "deployed", "Rollback to 1")]
    dep = _ready_without_knob(tools, "shop-blue")
    assert _image(dep) == "1.0.0"
    # helm v4 applies server-side as one field manager: the rollback's apply drops what only revision 2 set
    assert {(m["manager"], m["operation"]) for m in dep["metadata"]["managedFields"]} == {("helm", "Apply")}


def failed_description(tools, release, revision):
    """The description helm stored on a failed revision (the error), checked to name the failure."""
    entry = next(h for h in tools.json("helm", "history", release, "-n", "shop", "-o", "json")
                 if h["revision"] == revision)
    assert entry["description"].startswith("Upgrade \"%s\" failed" % release), entry["description"]
    return entry["description"]


def test_atomic_is_still_taken_by_helm_4_with_a_deprecation_warning(tools):
    tools("helm", "install", "web", CHART, "-n", "shop", "--create-namespace", "--wait", "--timeout", "30s")
    proc = tools("helm", "upgrade", "web", CHART, "-n", "shop", "--set", "image.tag=2.0.0", "--atomic",
                 "--timeout", "30s")
    assert "Flag --atomic has been deprecated, use --rollback-on-failure instead" in proc.stderr
    assert _history(tools, "web")[-1][:2] == (2, "deployed")


def test_rollback_removes_fields_of_the_newer_revision(tools):
    tools("helm", "install", "shop-blue", CHART, "-n", "shop", "--create-namespace", "--wait", "--timeout", "30s")
    tools("helm", "upgrade", "shop-blue", CHART, "-n", "shop", "--set-json", NEVER_READY)
    assert tools.get("deployment", "shop-blue")["metadata"]["annotations"][KNOB] == "true"
    tools("helm", "rollback", "shop-blue", "1", "-n", "shop", "--wait", "--timeout", "30s")
    _ready_without_knob(tools, "shop-blue")
    assert _history(tools, "shop-blue")[-1] == (3, "deployed", "Rollback to 1")


def test_failed_install_with_rollback_on_failure_is_removed(tools, cluster):
    cluster.set_rollout("shop", "shop-red", False)  # knob before the object exists
    failed = tools("helm", "upgrade", "--install", "shop-red", CHART, "-n", "shop", "--create-namespace",
                   "--rollback-on-failure", "--timeout", "1s", check=False)
    assert failed.returncode == 1
    assert failed.stderr.startswith("Error: release shop-red failed, and has been uninstalled due to "
                                    "rollback-on-failure being set: resource Deployment/shop/shop-red not ready")
    assert tools.json("helm", "list", "-n", "shop", "-o", "json") == []
    gone = tools("kubectl", "get", "deployment", "shop-red", "-n", "shop", check=False)
    assert gone.returncode == 1 and "not found" in gone.stderr


def test_failed_upgrade_without_rollback_leaves_a_failed_revision(tools):
    tools("helm", "install", "web", CHART, "-n", "shop", "--create-namespace", "--wait", "--timeout", "30s")
    failed = tools("helm", "upgrade", "web", CHART, "-n", "shop", "--set", "image.tag=9.9.9", "--set-json",
                   NEVER_READY, "--wait", "--timeout", "1s", check=False)
    assert failed.returncode == 1 and "context deadline exceeded" in failed.stderr
    # helm 4 leaves the last good revision "deployed" beside the failed one (helm 3 marked it superseded)
    assert [h[:2] for h in _history(tools, "web")] == [(1, "deployed"), (2, "failed")]
    status = tools.json("helm", "status", "web", "-n", "shop", "-o", "json")
    assert (status["version"], status["info"]["status"]) == (2, "failed")
    tools("helm", "rollback", "web", "1", "-n", "shop", "--wait", "--timeout", "30s")
    _ready_without_knob(tools, "web")


def test_errors_the_modules_read(tools):
    tools("kubectl", "create", "namespace", "shop")
    missing = tools("helm", "status", "nope", "-n", "shop", check=False)
    assert (missing.returncode, missing.stderr) == (1, "Error: release: not found\n")
    history = tools("helm", "history", "nope", "-n", "shop", check=False)
    assert (history.returncode, history.stderr) == (1, "Error: release: not found\n")
    up = tools("helm", "upgrade", "nope", CHART, "-n", "shop", check=False)
    assert (up.returncode, up.stderr) == (1, 'Error: UPGRADE FAILED: "nope" has no deployed releases\n')
    un = tools("helm", "uninstall", "nope", "-n", "shop", check=False)
    assert (un.returncode, un.stderr) == (1, "Error: uninstall: Release not loaded: nope: release: not found\n")
    tools("helm", "install", "dup", CHART, "-n", "shop")
    again = tools("helm", "install", "dup", CHART, "-n", "shop", check=False)
    assert again.returncode == 1 and "cannot reuse a name that is still in use" in again.stderr


def test_client_dry_run_renders_and_stores_nothing(tools):
    tools("helm", "install", "dup", CHART, "-n", "shop", "--create-namespace")
    dry = tools("helm", "upgrade", "--install", "dup", CHART, "-n", "shop", "--reset-values", "--dry-run=client",
                "--set", "replicaCount=5")
    assert "replicas: 5" in dry.stdout and dry.stderr == ""  # no deprecation warning, as a bare --dry-run gives
    bare = tools("helm", "upgrade", "dup", CHART, "-n", "shop", "--dry-run")
    assert "--dry-run is deprecated" in bare.stderr
    assert [h[0] for h in _history(tools, "dup")] == [1]
    assert tools.get("deployment", "dup")["spec"]["replicas"] == 1


def test_list_by_state_flags_and_version_as_the_modules_ask(tools):
    tools("helm", "install", "a", CHART, "-n", "shop", "--create-namespace")
    states = ["--deployed", "--failed", "--pending", "--superseded", "--uninstalled", "--uninstalling"]
    listed = tools.json("helm", "list", "--output", "json", "--namespace", "shop", *states)
    assert [(r["name"], r["status"]) for r in listed] == [("a", "deployed")]
    assert tools("helm", "list", "--all", check=False).stderr == "Error: unknown flag: --all\n"  # gone in helm 4
    assert tools("helm", "version", "--template", "{{ .Version }}").stdout == "v4.1.4"


def test_the_sandbox_chart_is_lint_clean(tools):
    out = tools("helm", "lint", "--strict", CHART).stdout
    assert "1 chart(s) linted, 0 chart(s) failed" in out
    shown = tools("helm", "show", "chart", CHART).stdout
    assert "name: sample-app" in shown and "version: 0.1.0" in shown
    rendered = tools("helm", "template", "web", CHART, "-n", "shop", "--set", "replicaCount=3").stdout
    assert "replicas: 3" in rendered and json.dumps("web")[1:-1] in rendered
