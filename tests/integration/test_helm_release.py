# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""helm_release, helm_rollback and helm_release_info (history) through ansible-playbook on the sandbox's real Helm
engine: install, upgrade, idempotence, check and diff mode, rollback, an atomic upgrade that never becomes ready.

Each test has releases of its own in namespace helm-it of the primary cluster and uninstalls them at the end; what
the modules report is checked against the sandbox's helm itself."""

from __future__ import annotations

import json
import subprocess
import uuid

import pytest

from conftest import REPO, clean_env

PLAYBOOK = "tests/integration/playbooks/helm_release.yml"
CHART = str(REPO / "sandbox" / "charts" / "sample-app")
NAMESPACE = "helm-it"
NEVER_READY = {"sandbox.cloudops.io/never-ready": "true"}


def diff_lines(stdout):
    """The changed lines of the --diff output, whitespace collapsed ("- tag: 1.0.0")."""
    return set(" ".join(line.split()) for line in stdout.splitlines() if line[:1] in "+-" and line[:3] not in ("+++", "---"))


class Helm:
    """Runs one module through the test playbook, and the sandbox's helm to check what it did."""

    def __init__(self, sandbox, run_playbook, tmp_path):
        self.sandbox, self.run_playbook, self.tmp_path = sandbox, run_playbook, tmp_path
        self.name = "it-%s" % uuid.uuid4().hex[:8]

    def module(self, action="release", **variables):
        out = self.tmp_path / ("result-%s.json" % uuid.uuid4().hex[:6])
        extra = dict(variables, helm_action=action, helm_name=variables.get("helm_name", self.name), helm_result_path=str(out))
        proc, _ = self.run_playbook(PLAYBOOK, env=self.sandbox["env"], extra_vars=extra)
        assert proc.returncode == 0, "ansible-playbook failed:\n%s\n%s" % (proc.stdout[-6000:], proc.stderr[-3000:])
        return json.loads(out.read_text()), proc

    def release(self, **variables):
        variables.setdefault("helm_chart", CHART)
        variables.setdefault("helm_timeout", "20s")
        result, proc = self.module("release", **variables)
        return result, proc

    def cli(self, *args, check=True):
        env = dict(clean_env(), **self.sandbox["env"])
        proc = subprocess.run([str(self.sandbox["state"] / "bin" / "helm"), *args, "--namespace", NAMESPACE,
                               "--kubeconfig", env["KUBECONFIG_PRIMARY"]], env=env, capture_output=True, text=True, timeout=60)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def history(self):
        return [(item["revision"], item["status"]) for item in json.loads(self.cli("history", self.name, "-o", "json").stdout)]

    def values(self, revision=None):
        args = ["get", "values", self.name, "-o", "json"] + (["--revision", str(revision)] if revision else [])
        return json.loads(self.cli(*args).stdout) or {}


@pytest.fixture
def helm(sandbox, run_playbook, tmp_path):
    h = Helm(sandbox, run_playbook, tmp_path)
    yield h
    h.cli("uninstall", h.name, check=False)


def succeeded(result):
    assert not result.get("failed"), result.get("msg")
    return result


V1 = {"replicaCount": 1, "image": {"tag": "1.0.0"}}
V2 = {"replicaCount": 2, "image": {"tag": "1.1.0"}}


def test_install_upgrade_idempotent_check_and_diff(helm):
    # Check mode on a release that does not exist: predicted revision 1, nothing installed.
    check = succeeded(helm.release(helm_values=V1, helm_check=True)[0])
    assert (check["changed"], check["release"]["revision"], check["previous_revision"]) == (True, 1, None)
    assert check["reasons"] == ["release is not installed"]
    assert helm.cli("history", helm.name, "-o", "json", check=False).returncode != 0

    first = succeeded(helm.release(helm_values=V1)[0])
    assert (first["changed"], first["previous_revision"]) == (True, None)
    release = first["release"]
    assert (release["revision"], release["status"], release["chart"], release["chart_version"], release["app_version"]) == (
        1, "deployed", "sample-app", "0.1.0", "1.0.0")
    assert release["values"] == V1 == helm.values()
    assert "--values" in first["command"] and "--wait" in first["command"]
    assert not any("1.0.0" in arg for arg in first["command"]), "values must not be on the command line"

    again = succeeded(helm.release(helm_values=V1)[0])
    assert (again["changed"], again["release"]["revision"], again["previous_revision"], again["reasons"]) == (False, 1, 1, [])
    assert helm.history() == [(1, "deployed")]

    # --check of an upgrade: predicted next revision and values, the release untouched.
    check = succeeded(helm.release(helm_values=V2, helm_check=True)[0])
    assert (check["changed"], check["release"]["revision"], check["release"]["values"], check["previous_revision"]) == (True, 2, V2, 1)
    assert check["reasons"] == ["values differ"]
    assert helm.history() == [(1, "deployed")] and helm.values() == V1

    # --diff of the real upgrade shows the values change.
    upgrade, proc = helm.release(helm_values=V2, helm_diff=True)
    succeeded(upgrade)
    assert (upgrade["changed"], upgrade["release"]["revision"], upgrade["previous_revision"]) == (True, 2, 1)
    assert (upgrade["diff"]["before"]["values"], upgrade["diff"]["after"]["values"]) == (V1, V2)
    assert diff_lines(proc.stdout) >= {"- tag: 1.0.0", "+ tag: 1.1.0", "- replicaCount: 1", "+ replicaCount: 2"}
    assert helm.history() == [(1, "superseded"), (2, "deployed")] and helm.values() == V2

    # force: a new revision with the same chart and values.
    forced = succeeded(helm.release(helm_values=V2, helm_force=True)[0])
    assert (forced["changed"], forced["reasons"], forced["release"]["revision"]) == (True, ["force"], 3)

    removed = succeeded(helm.release(helm_state="absent")[0])
    assert (removed["changed"], removed["release"], removed["previous_revision"]) == (True, None, 3)
    assert succeeded(helm.release(helm_state="absent")[0])["changed"] is False


def test_set_values_and_values_files_are_stored_as_helm_parses_them(helm, tmp_path):
    values_file = tmp_path / "values.yaml"
    values_file.write_text("replicaCount: 3\nimage:\n  tag: '2.0.0'\n  pullPolicy: Always\nreleased: 2026-01-01\n")
    set_values = [
        {"value": "image.tag=2.0.1", "value_type": "string"},
        {"value": "replicaCount=2,extra.ratio=1.5,extra.enabled=true,extra.list={a,b}"},
        {"value": 'extra.owner={"team": "shop", "weight": 3}', "value_type": "json"},
    ]
    first = succeeded(helm.release(helm_values_files=[str(values_file)], helm_values={"colour": "blue"}, helm_set_values=set_values)[0])
    stored = helm.values()
    assert stored == first["release"]["values"] == {
        "replicaCount": 2, "released": "2026-01-01", "colour": "blue",
        "image": {"tag": "2.0.1", "pullPolicy": "Always"},
        "extra": {"ratio": "1.5", "enabled": True, "list": ["a", "b"], "owner": {"team": "shop", "weight": 3}},
    }
    # The computed values equal helm's: a second run changes nothing.
    again = succeeded(helm.release(helm_values_files=[str(values_file)], helm_values={"colour": "blue"}, helm_set_values=set_values)[0])
    assert (again["changed"], again["release"]["revision"]) == (False, 1)


def test_rollback_to_previous_restores_values_and_is_idempotent(helm):
    succeeded(helm.release(helm_values=V1)[0])
    upgrade = succeeded(helm.release(helm_values=V2)[0])
    assert upgrade["previous_revision"] == 1

    check = succeeded(helm.module("rollback", helm_check=True)[0])  # default: the revision before the current one
    assert (check["changed"], check["rolled_back_to"], check["release"]["revision"], check["release"]["values"]) == (True, 1, 3, V1)
    assert helm.history() == [(1, "superseded"), (2, "deployed")]

    rollback, proc = helm.module("rollback", helm_revision=upgrade["previous_revision"], helm_diff=True)
    succeeded(rollback)
    assert (rollback["changed"], rollback["rolled_back_to"], rollback["previous_revision"]) == (True, 1, 2)
    release = rollback["release"]
    assert (release["revision"], release["status"], release["values"], release["description"]) == (3, "deployed", V1, "Rollback to 1")
    assert helm.values() == V1 and helm.history()[-1] == (3, "deployed")
    assert diff_lines(proc.stdout) >= {"- tag: 1.1.0", "+ tag: 1.0.0"}

    again = succeeded(helm.module("rollback", helm_revision=1)[0])
    assert (again["changed"], again["release"]["revision"], again["previous_revision"]) == (False, 3, 3)

    missing = helm.module("rollback", helm_revision=9)[0]
    assert missing["failed"] and "revision 9 does not exist; existing revisions: 1, 2, 3 (current: 3)" in missing["msg"]


def test_rollback_of_a_missing_release_fails_clearly(helm):
    result = helm.module("rollback", helm_revision=1)[0]
    assert result["failed"] and "release %s not found in namespace %s" % (helm.name, NAMESPACE) in result["msg"]


def test_atomic_upgrade_that_never_becomes_ready_leaves_the_previous_values(helm):
    succeeded(helm.release(helm_values=V1)[0])
    broken = dict(V2, deploymentAnnotations=NEVER_READY)
    failed, _ = helm.release(helm_values=broken, helm_atomic=True, helm_timeout="2s")
    assert failed["failed"] and failed["changed"] is True
    assert "rolled it back (atomic)" in failed["msg"] and "with the chart and values of revision 1" in failed["msg"]
    assert "did not become ready within timeout 2s" in failed["msg"]
    assert (failed["previous_revision"], failed["release"]["revision"], failed["release"]["status"]) == (1, 3, "deployed")
    assert helm.values() == V1
    assert helm.history() == [(1, "superseded"), (2, "failed"), (3, "deployed")]

    # The release history as helm_release_info returns it, oldest first.
    info = succeeded(helm.module("info")[0])
    history = info["releases"][0]["history"]
    assert [(h["revision"], h["status"], h["chart"], h["app_version"]) for h in history] == [
        (1, "superseded", "sample-app-0.1.0", "1.0.0"), (2, "failed", "sample-app-0.1.0", "1.0.0"),
        (3, "deployed", "sample-app-0.1.0", "1.0.0")]
    assert history[0]["description"] == "Install complete" and history[2]["description"] == "Rollback to 1"
    assert all(h["updated"] for h in history)


def test_errors_say_what_to_fix(helm):
    missing_chart = helm.release(helm_chart="/nonexistent/charts/app")[0]
    assert missing_chart["failed"] and "chart path /nonexistent/charts/app does not exist" in missing_chart["msg"]

    wrong_version = helm.release(helm_chart_version="9.9.9")[0]
    assert wrong_version["failed"] and "chart_version 9.9.9 was asked but the local chart" in wrong_version["msg"]

    bad_timeout = helm.release(helm_timeout="5 minutes")[0]
    assert bad_timeout["failed"] and "is not a helm duration" in bad_timeout["msg"]
    assert helm.cli("history", helm.name, check=False).returncode != 0
