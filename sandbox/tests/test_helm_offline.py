"""The sandbox `helm` without a cluster: argument parsing, version, charts (show/template/lint), values merging."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from sandbox.helm import cli, write_wrapper
from sandbox.helm.flags import Flag, UsageError, parse, parse_duration
from sandbox.helm.output import GoTime, go_json

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "sandbox" / "charts" / "sample-app"


@pytest.fixture(scope="module")
def helm(tmp_path_factory):
    exe = write_wrapper(tmp_path_factory.mktemp("bin"))

    def run(*args, check=True, **kw):
        proc = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, cwd=REPO, **kw)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    return run


def test_flags_follow_pflag_forms():
    flags = [Flag("values", "list", short="f"), Flag("reuse-values", "bool"), Flag("wait", "opt", no_opt_value="watcher"),
             Flag("namespace", "str", short="n"), Flag("all", "bool", short="a"), Flag("all-namespaces", "bool", short="A")]
    p = parse(["rel", "-f=a.yml", "--values=b.yml", "-f", "c.yml", "-fd.yml", "--reuse-values=False", "--wait",
               "-nshop", "-aA", "chart"], flags)
    assert p.args == ["rel", "chart"]
    assert p.values == ["a.yml", "b.yml", "c.yml", "d.yml"]
    assert p.reuse_values is False and p.wait == "watcher" and p.namespace == "shop" and p.all and p.all_namespaces
    assert parse(["--wait=legacy"], flags).wait == "legacy"
    with pytest.raises(UsageError, match="unknown flag: --nope"):
        parse(["--nope"], flags)


@pytest.mark.parametrize("text,seconds", [("5m0s", 300), ("30s", 30), ("1h30m", 5400), ("300ms", 0.3), ("0", 0)])
def test_go_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


def test_duration_without_unit_is_an_error():
    with pytest.raises(UsageError, match="missing unit"):
        parse_duration("300")


def test_go_formats():
    t = GoTime("2026-01-02T03:04:05.120000000Z")
    assert t.go_string() == "2026-01-02 03:04:05.12 +0000 UTC"
    assert t.ansic() == "Fri Jan  2 03:04:05 2026"
    assert go_json({"a": "<&>"}) == '{"a":"\\u003c\\u0026\\u003e"}\n'


def test_version_forms_kubernetes_core_parses(helm):
    out = helm("version").stdout
    assert out.startswith('version.BuildInfo{Version:"v4.2.3",')
    assert helm("version", "--short").stdout == "v4.2.3\n"
    assert helm("version", "--template", "{{.Version}}").stdout == "v4.2.3\n"


def test_plugin_list_prints_only_the_header(helm):
    out = helm("plugin", "list").stdout
    assert out.startswith("NAME") and len(out.splitlines()) == 1


def test_show_chart_and_template(helm):
    meta = yaml.safe_load(helm("show", "chart", CHART).stdout)
    assert (meta["name"], meta["version"], meta["appVersion"]) == ("sample-app", "0.1.0", "1.0.0")
    docs = [d for d in yaml.safe_load_all(helm("template", "shop-green", CHART, "-n", "shop", "--set",
                                               "image.tag=2.0.0", "--skip-tests").stdout) if d]
    kinds = {d["kind"]: d for d in docs}
    assert set(kinds) == {"ConfigMap", "Deployment", "Service"}
    dep = kinds["Deployment"]
    assert dep["metadata"]["name"] == "shop-green"
    assert dep["spec"]["template"]["spec"]["containers"][0]["image"].endswith(":2.0.0")
    assert dep["spec"]["selector"]["matchLabels"] == {"app.kubernetes.io/name": "sample-app",
                                                      "app.kubernetes.io/instance": "shop-green"}
    labels = dep["metadata"]["labels"]
    assert labels["helm.sh/chart"] == "sample-app-0.1.0" and labels["app.kubernetes.io/version"] == "2.0.0"
    assert kinds["ConfigMap"]["data"] == {"colour": "green", "version": "2.0.0"}


def test_chart_is_lint_clean(helm):
    out = helm("lint", CHART, "--strict").stdout
    assert "0 chart(s) failed" in out and "[WARNING]" not in out and "[ERROR]" not in out


def test_values_merge_order(tmp_path):
    f1 = tmp_path / "a.yaml"
    f1.write_text("image:\n  tag: a\n  repository: r\nlist: [1, 2, 3]\n")
    f2 = tmp_path / "b.yaml"
    f2.write_text("image:\n  tag: b\n")
    p = parse(["-f", str(f1), "--values", str(f2), "--set", "image.tag=c,list[1]=9", "--set-string", "port=80",
               "--set-json", 'obj={"k":[1]}'], cli.INSTALL_FLAGS)
    assert cli.build_values(p) == {"image": {"tag": "c", "repository": "r"}, "list": [1, 9, 3], "port": "80",
                                   "obj": {"k": [1]}}


def test_remote_charts_are_refused_clearly(helm):
    proc = helm("upgrade", "--install", "x", "oci://registry.example/charts/app", check=False)
    assert proc.returncode == 1
    assert proc.stderr.startswith("Error: ") and "not available in the sandbox" in proc.stderr


def test_unknown_command_and_flag(helm):
    assert helm("diff", "upgrade", "x", "y", check=False).stderr.startswith('Error: unknown command "diff"')
    assert helm("list", "--bogus", check=False).stderr.startswith("Error: unknown flag: --bogus")


def test_module_entry_point():
    proc = subprocess.run([sys.executable, "-m", "sandbox.helm", "version", "--short"], capture_output=True,
                          text=True, cwd=REPO)
    assert proc.stdout == "v4.2.3\n"


def test_wrapper_is_absolute(tmp_path):
    exe = write_wrapper(tmp_path / "bin", python=sys.executable)
    text = exe.read_text()
    assert text.startswith(f"#!{sys.executable}\n") and str(REPO) in text
    assert json.loads(subprocess.run([str(exe), "version", "--template", '{"v":"{{.Version}}"}'],
                                     capture_output=True, text=True, cwd=tmp_path).stdout) == {"v": "v4.2.3"}
