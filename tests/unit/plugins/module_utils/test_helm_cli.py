# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import helm_cli


@pytest.fixture(autouse=True)
def _each_test_asks_helm_its_version():
    """HelmRunner keeps helm's major version per binary for the module process; a test is one process of its own."""
    helm_cli._MAJOR_BY_BINARY.clear()


def test_global_args_leave_out_empty_values():
    assert helm_cli.global_args("/k.yaml", "ctx") == ["--kubeconfig", "/k.yaml", "--kube-context", "ctx"]
    assert helm_cli.global_args("", None) == []


@pytest.mark.parametrize(
    "kwargs, expected",
    [
        ({}, ["list", "--output", "json"]),
        ({"namespace": "shop"}, ["list", "--output", "json", "--namespace", "shop"]),
        ({"namespace": "shop", "all_namespaces": True}, ["list", "--output", "json", "--all-namespaces"]),
        ({"all_statuses": True}, ["list", "--output", "json", "--deployed", "--failed", "--pending", "--superseded", "--uninstalled",
                                  "--uninstalling"]),
    ],
)
def test_list_args(kwargs, expected):
    assert helm_cli.list_args(**kwargs) == expected


def test_status_args():
    assert helm_cli.status_args("shop-blue", "shop") == ["status", "shop-blue", "--namespace", "shop", "--output", "json"]


def test_parse_json_names_command_on_garbage():
    assert helm_cli.parse_json('[{"name": "a"}]', "list") == [{"name": "a"}]
    assert helm_cli.parse_json("", "list") is None
    with pytest.raises(ValueError, match="helm list did not print JSON: Error: boom"):
        helm_cli.parse_json("Error: boom\n", "list")


def test_release_from_merges_status():
    listed = {"name": "shop-blue", "namespace": "shop", "revision": "3", "updated": "t", "status": "deployed",
              "chart": "sample-app-0.1.0", "app_version": "1.0.0"}
    status = {"info": {"status": "failed", "description": "Upgrade failed", "first_deployed": "a", "last_deployed": "b"},
              "config": {"replicaCount": 2}}
    release = helm_cli.release_from(listed, status)
    assert release["revision"] == 3
    assert (release["status"], release["description"], release["values"]) == ("failed", "Upgrade failed", {"replicaCount": 2})
    assert helm_cli.release_from(listed)["status"] == "deployed"


# --- validation -----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["shop-blue", "a", "web.v2", "a" * 53])
def test_release_names_helm_accepts(name):
    assert helm_cli.release_name_problem(name) is None


@pytest.mark.parametrize("name, words", [("Shop", "invalid"), ("-shop", "invalid"), ("shop_blue", "invalid"), ("a" * 54, "longer than 53")])
def test_release_names_helm_refuses(name, words):
    assert words in helm_cli.release_name_problem(name)


@pytest.mark.parametrize("text", ["5m0s", "30s", "1h30m", "1.5m", "0", "500ms", "2h"])
def test_durations(text):
    assert helm_cli.duration_problem(text) is None


@pytest.mark.parametrize("text", ["5 minutes", "300", "5m0", "", "-5m", "m"])
def test_bad_durations(text):
    assert "is not a helm duration" in helm_cli.duration_problem(text)


@pytest.mark.parametrize(
    "chart, exists, kind",
    [
        ("oci://registry.example/charts/app", False, "oci"),
        ("https://charts.example/app-1.0.0.tgz", False, "url"),
        ("/srv/charts/app", False, "path"),
        ("./app", False, "path"),
        ("~/charts/app", False, "path"),
        ("app-1.0.0.tgz", False, "path"),
        ("app", False, "path"),
        ("charts/app", True, "path"),
        ("bitnami/nginx", False, "repo"),
        ("a/b/c", False, "path"),
    ],
)
def test_chart_reference_kind(chart, exists, kind):
    assert helm_cli.chart_reference_kind(chart, exists) == kind


# --- command building -----------------------------------------------------------------------------------------------

def test_upgrade_args_full():
    args = helm_cli.upgrade_args("shop-green", "/c/app", "shop", chart_version="1.2.3", wait=True, atomic=True, timeout="2m",
                                 values_files=["/v1.yaml", "/tmp/values.yaml"], create_namespace=True,
                                 set_values=[{"value": "a=1", "value_type": "raw"}, {"value": "b=2", "value_type": "string"},
                                             {"value": 'c={"x":1}', "value_type": "json"}, {"value": "d=/f", "value_type": "file"}])
    assert args == ["upgrade", "shop-green", "/c/app", "--install", "--namespace", "shop", "--reset-values", "--version", "1.2.3",
                    "--create-namespace", "--output", "json", "--wait", "--atomic", "--timeout", "2m", "--values", "/v1.yaml", "--values", "/tmp/values.yaml",
                    "--set", "a=1", "--set-string", "b=2", "--set-json", 'c={"x":1}', "--set-file", "d=/f"]


def test_upgrade_args_minimal_and_dry_run():
    assert helm_cli.upgrade_args("r", "c", "ns", wait=False) == ["upgrade", "r", "c", "--install", "--namespace", "ns", "--reset-values",
                                                                 "--output", "json"]
    dry = helm_cli.upgrade_args("r", "c", "ns", wait=True, atomic=True, timeout="5m0s", set_values=[{"value": "a=1"}], dry_run=True)
    assert dry == ["upgrade", "r", "c", "--install", "--namespace", "ns", "--reset-values", "--dry-run", "--set", "a=1"]


def test_upgrade_args_spell_atomic_and_dry_run_as_helm_4_does():
    args = helm_cli.upgrade_args("r", "c", "ns", wait=True, atomic=True, timeout="2m", helm_major=4)
    assert args == ["upgrade", "r", "c", "--install", "--namespace", "ns", "--reset-values", "--output", "json", "--wait",
                    "--rollback-on-failure", "--timeout", "2m"]
    dry = helm_cli.upgrade_args("r", "c", "ns", atomic=True, dry_run=True, helm_major=4)
    assert dry == ["upgrade", "r", "c", "--install", "--namespace", "ns", "--reset-values", "--dry-run=client"]


@pytest.mark.parametrize("text, major", [
    ("v4.1.4", 4), ("v3.19.0+g3d8990f", 3), ("v3.8.2", 3),
    ('version.BuildInfo{Version:"v4.1.4", GitCommit:"05fa379", GitTreeState:"clean", GoVersion:"go1.25.9"}', 4),
])
def test_major_version(text, major):
    assert helm_cli.major_version(text) == major


def test_major_version_without_a_version():
    with pytest.raises(ValueError, match="cannot tell helm's version"):
        helm_cli.major_version("Error: unknown command")


def test_other_command_args():
    assert helm_cli.uninstall_args("r", "ns", True, "1m") == ["uninstall", "r", "--namespace", "ns", "--wait", "--timeout", "1m"]
    assert helm_cli.uninstall_args("r", "ns", False) == ["uninstall", "r", "--namespace", "ns"]
    assert helm_cli.rollback_args("r", 3, "ns", True, "30s") == ["rollback", "r", "3", "--namespace", "ns", "--wait", "--timeout", "30s"]
    assert helm_cli.rollback_args("r", 3, "ns", False) == ["rollback", "r", "3", "--namespace", "ns"]
    assert helm_cli.history_args("r", "ns") == ["history", "r", "--namespace", "ns", "--output", "json"]
    assert helm_cli.get_values_args("r", "ns") == ["get", "values", "r", "--namespace", "ns", "--output", "json"]
    assert helm_cli.get_values_args("r", "ns", 2)[-2:] == ["--revision", "2"]
    assert helm_cli.show_chart_args("repo/app") == ["show", "chart", "repo/app"]
    assert helm_cli.show_chart_args("repo/app", "1.0.0") == ["show", "chart", "repo/app", "--version", "1.0.0"]


# --- parsing --------------------------------------------------------------------------------------------------------

STATUS = {
    "name": "shop-green", "namespace": "shop", "version": 4,
    "info": {"status": "deployed", "last_deployed": "2026-01-01T12:00:00Z", "description": "Upgrade complete"},
    "chart": {"metadata": {"name": "sample-app", "version": "0.1.0", "appVersion": "1.0.0"}},
    "config": {"replicaCount": 2},
}


def test_release_summary():
    assert helm_cli.release_summary(STATUS) == {
        "name": "shop-green", "namespace": "shop", "revision": 4, "status": "deployed", "chart": "sample-app",
        "chart_version": "0.1.0", "app_version": "1.0.0", "values": {"replicaCount": 2},
        "updated": "2026-01-01T12:00:00Z", "description": "Upgrade complete"}
    # helm get values wins over the status' config; null values are {}.
    assert helm_cli.release_summary(STATUS, {"replicaCount": 3})["values"] == {"replicaCount": 3}
    assert helm_cli.release_summary(dict(STATUS, config=None))["values"] == {}


def test_parse_history_sorts_oldest_first():
    items = [
        {"revision": 2, "updated": "t2", "status": "deployed", "chart": "app-0.2.0", "app_version": "2", "description": "Upgrade complete"},
        {"revision": 1, "updated": "t1", "status": "superseded", "chart": "app-0.1.0", "app_version": "1", "description": "Install complete"},
    ]
    history = helm_cli.parse_history(items)
    assert [h["revision"] for h in history] == [1, 2]
    assert history[0] == {"revision": 1, "status": "superseded", "chart": "app-0.1.0", "app_version": "1", "updated": "t1",
                          "description": "Install complete"}
    assert helm_cli.parse_history(None) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        ("sample-app-0.1.0", ("sample-app", "0.1.0")),
        ("app-2-web-1.0.0-rc.1", ("app-2-web", "1.0.0-rc.1")),
        ("nginx-v1.2.3", ("nginx", "v1.2.3")),
        ("legacy-1.0", ("legacy", "1.0")),
        ("noversion", ("noversion", None)),
        ("", ("", None)),
    ],
)
def test_split_chart(text, expected):
    assert helm_cli.split_chart(text) == expected


def test_chart_metadata():
    assert helm_cli.chart_metadata({"name": "app", "version": "0.1.0", "appVersion": 1.1}) == {"name": "app", "version": "0.1.0", "app_version": "1.1"}
    assert helm_cli.chart_metadata({"name": "app", "version": "0.1.0"})["app_version"] is None
    with pytest.raises(ValueError, match="no name or version"):
        helm_cli.chart_metadata({"name": "app"})
    with pytest.raises(ValueError):
        helm_cli.chart_metadata("not a mapping")


def test_release_not_found():
    assert helm_cli.is_release_not_found("Error: release: not found\n")
    assert helm_cli.is_release_not_found("Error: Release not found")
    assert not helm_cli.is_release_not_found("Error: Kubernetes cluster unreachable")


def test_summarise_error_drops_prefixes_and_warnings():
    err = "WARNING: Kubernetes configuration file is group-readable\nError: UPGRADE FAILED: release x failed\ncontext deadline exceeded\n"
    assert helm_cli.summarise_error(err) == "UPGRADE FAILED: release x failed context deadline exceeded"
    assert helm_cli.summarise_error("", "Error: from stdout") == "from stdout"
    assert helm_cli.summarise_error("", "") == "no output"
    assert len(helm_cli.summarise_error("Error: " + "x" * 5000)) == 1000


def test_summarise_error_drops_helm_4_log_lines_and_flag_deprecations():
    err = ('level=WARN msg="--dry-run is deprecated and should be replaced with \'--dry-run=client\'"\n'
           "Flag --atomic has been deprecated, use --rollback-on-failure instead\n"
           "Error: UPGRADE FAILED: context deadline exceeded\n")
    assert helm_cli.summarise_error(err) == "UPGRADE FAILED: context deadline exceeded"


@pytest.mark.parametrize(
    "text, words",
    [
        ("release x failed: context deadline exceeded", "did not become ready within timeout 2s"),
        ("timed out waiting for the condition", "raise timeout"),
        ("another operation (install/upgrade/rollback) is in progress", "helm_rollback"),
        ('"x" has no deployed releases', "uninstall it"),
        ("Kubernetes cluster unreachable: connection refused", "check kubeconfig"),
    ],
)
def test_error_hint(text, words):
    assert words in helm_cli.error_hint(text, "2s")


def test_no_hint_for_other_errors():
    assert helm_cli.error_hint("template: app/templates/x.yaml:3: bad") is None


# --- helm's --set parser --------------------------------------------------------------------------------------------

@pytest.mark.parametrize(
    "text, expected",
    [
        ("true", True), ("FALSE", False), ("null", None), ("0", 0), ("42", 42), ("-7", -7), ("+7", 7),
        ("1.5", "1.5"), ("007", "007"), ("1e3", "1e3"), ("9223372036854775808", "9223372036854775808"), ("", ""), ("abc", "abc"),
    ],
)
def test_typed_value_like_helm(text, expected):
    value = helm_cli.typed_value(text)
    assert value == expected and type(value) is type(expected)


def test_typed_value_string():
    assert helm_cli.typed_value("true", as_string=True) == "true"


@pytest.mark.parametrize(
    "expression, expected",
    [
        ("a=1", {"a": 1}),
        ("a=1,b=two", {"a": 1, "b": "two"}),
        ("a.b.c=x", {"a": {"b": {"c": "x"}}}),
        ("a.b=1,a.c=2", {"a": {"b": 1, "c": 2}}),
        ("a=", {"a": ""}),
        ("a={x,y,3}", {"a": ["x", "y", 3]}),
        ("a={x,y},b=1", {"a": ["x", "y"], "b": 1}),
        ("a[0]=x,a[2]=z", {"a": ["x", None, "z"]}),
        ("a[0].b=1,a[0].c=2", {"a": [{"b": 1, "c": 2}]}),
        ("a[0][1]=x", {"a": [[None, "x"]]}),
        (r"a\.b=c", {"a.b": "c"}),
        (r"a=x\,y", {"a": "x,y"}),
        ("a=b=c", {"a": "b=c"}),
        ("name=value with spaces", {"name": "value with spaces"}),
        ("a.b=null", {"a": {"b": None}}),
        ("a[0]=1,a[0].b=2", {"a": [{"b": 2}]}),  # helm replaces a scalar item by the map
        ("a=1,b[0", {"a": 1}),  # an unterminated index ends the input without an error (helm 4)
        ("", {}),
    ],
)
def test_parse_set_raw(expression, expected):
    assert helm_cli.parse_set(expression) == expected


def test_parse_set_into_existing_values():
    base = {"a": {"keep": 1, "b": 0}, "l": ["x", "y"]}
    assert helm_cli.parse_set("a.b=2,l[1]=z", base) == {"a": {"keep": 1, "b": 2}, "l": ["x", "z"]}


def test_parse_set_string_and_file():
    assert helm_cli.parse_set("a=1,b=true,c={1,2}", kind="string") == {"a": "1", "b": "true", "c": ["1", "2"]}
    assert helm_cli.parse_set("cert=/p/tls.crt", kind="file", read_file=lambda path: "content of " + path) == {"cert": "content of /p/tls.crt"}


@pytest.mark.parametrize(
    "expression, expected",
    [
        ('a={"x": [1, 2], "y": null}', {"a": {"x": [1, 2], "y": None}}),
        ('a=[1,"b"],b=true', {"a": [1, "b"], "b": True}),
        ('a.b="s",c=1', {"a": {"b": "s"}, "c": 1}),
        ('a=1, b=2', {"a": 1, " b": 2}),  # helm keeps the blank in the next key
        ("a=9007199254740993", {"a": 9007199254740992.0}),  # Go's float64
        ("a=", {"a": None}),
        ('l[1]={"k":1}', {"l": [None, {"k": 1}]}),
    ],
)
def test_parse_set_json(expression, expected):
    assert helm_cli.parse_set(expression, kind="json") == expected


@pytest.mark.parametrize(
    "expression, kind, message",
    [
        ("a", "raw", 'key "a" has no value'),
        ("a,b=1", "raw", 'key "a" has no value (cannot end with ,)'),
        ("a.=1", "raw", 'key map "a" has no value'),
        ("a[x]=1", "raw", "error parsing index"),
        ("a[-1]=1", "raw", "negative -1 index not allowed"),
        ("a[0]x=1", "raw", "unexpected data at end of array index"),
        ("a={x,y", "raw", "list must terminate with '}'"),
        ("a={bad", "json", "invalid JSON value"),
        ("a=1,a.b=2", "raw", "unable to parse key: a is a int, not a map"),
        ("a={x},a.b=1", "raw", "unable to parse key: a is a list, not a map"),
        ("a.b=1,a[0]=2", "raw", "unable to parse key: a is a dict, not a list"),
        ("a[0]=1,a[0][0]=2", "raw", "unable to parse key: [0] is a int, not a list"),
        ("a=null,a.b=1", "raw", "unable to parse key: a is null, not a map"),
        ("a[ 1]=2", "raw", 'parsing " 1": invalid syntax'),
    ],
)
def test_parse_set_errors(expression, kind, message):
    with pytest.raises(ValueError) as error:
        helm_cli.parse_set(expression, kind=kind)
    assert message in str(error.value)


# --- values ---------------------------------------------------------------------------------------------------------

def test_merge_values_like_helm():
    base = {"a": {"x": 1, "y": 2}, "l": [1, 2], "s": "keep"}
    assert helm_cli.merge_values(base, {"a": {"y": 3}, "l": [9]}) == {"a": {"x": 1, "y": 3}, "l": [9], "s": "keep"}
    assert helm_cli.merge_values({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert base["a"] == {"x": 1, "y": 2}, "the inputs are not changed"


def test_desired_values_follow_helms_order():
    files = [{"replicaCount": 3, "image": {"tag": "1", "pullPolicy": "Always"}}, {"image": {"tag": "2"}}]
    set_values = [
        {"value": "image.tag=5", "value_type": "string"},   # string after raw, whatever the list order
        {"value": "image.tag=4"},
        {"value": 'image={"tag": "3", "extra": true}', "value_type": "json"},  # json first
        {"value": "cert=/tls.crt", "value_type": "file"},
    ]
    values = helm_cli.desired_values(files, {"replicaCount": 2, "image": {"pullPolicy": "Never"}}, set_values, read_file=lambda p: "PEM")
    # --set-json replaces the whole image map; --set and --set-string then set keys in it.
    assert values == {"replicaCount": 2, "image": {"tag": "5", "extra": True}, "cert": "PEM"}
    set_values = [{"value": "image.tag=4"}, {"value": "cert=/tls.crt", "value_type": "file"}]
    values = helm_cli.desired_values(files, {"replicaCount": 2, "image": {"pullPolicy": "Never"}}, set_values, read_file=lambda p: "PEM")
    assert values == {"replicaCount": 2, "image": {"tag": 4, "pullPolicy": "Never"}, "cert": "PEM"}
    assert helm_cli.desired_values() == {}


def test_desired_values_names_the_bad_expression():
    with pytest.raises(ValueError, match="set_values 'a': key \"a\" has no value"):
        helm_cli.desired_values(set_values=[{"value": "a", "value_type": "raw"}])


def test_normalize_and_same_values():
    assert helm_cli.normalize_values(None) == {}
    assert helm_cli.normalize_values({1: (1, 2)}) == {"1": [1, 2]}
    assert helm_cli.same_values({"a": 1}, {"a": 1.0})
    assert not helm_cli.same_values({"a": True}, {"a": 1})
    assert not helm_cli.same_values({"a": 1}, {"a": True})
    assert not helm_cli.same_values({"a": "1"}, {"a": 1})
    assert not helm_cli.same_values({"a": [1, 2]}, {"a": [1]})
    assert not helm_cli.same_values({"a": 1}, {"a": 1, "b": None})
    assert helm_cli.same_values({"a": [{"b": None}]}, {"a": [{"b": None}]})
    assert helm_cli.same_values({"a": 9223372036854776000}, {"a": 9.223372036854776e18})


# --- decisions and predictions --------------------------------------------------------------------------------------

CHART = {"name": "sample-app", "version": "0.1.0", "app_version": "1.0.0"}
CURRENT = helm_cli.release_summary(STATUS)


def test_upgrade_reasons_nothing_to_do():
    assert helm_cli.upgrade_reasons(CURRENT, CHART, {"replicaCount": 2}) == []
    assert helm_cli.upgrade_reasons(CURRENT, CHART, {"replicaCount": 2}, force=True) == ["force"]


def test_upgrade_reasons():
    assert helm_cli.upgrade_reasons(None, CHART, {}) == ["release is not installed"]
    assert helm_cli.upgrade_reasons(dict(CURRENT, status="uninstalled"), CHART, {}) == ["release is not installed"]
    assert helm_cli.upgrade_reasons(CURRENT, dict(CHART, version="0.2.0"), {"replicaCount": 3}) == [
        "chart sample-app-0.1.0 -> sample-app-0.2.0", "values differ"]
    assert helm_cli.upgrade_reasons(dict(CURRENT, status="failed"), CHART, {"replicaCount": 2}, force=True) == [
        "release status is failed, not deployed"]
    assert helm_cli.upgrade_reasons(CURRENT, dict(CHART, app_version="1.1.0"), {"replicaCount": 2}) == ["app version 1.0.0 -> 1.1.0"]
    assert helm_cli.upgrade_reasons(CURRENT, dict(CHART, app_version=None), {"replicaCount": 2}) == []


def test_predicted_release():
    predicted = helm_cli.predicted_release("shop-green", "shop", CURRENT, CHART, {"replicaCount": 3})
    assert (predicted["revision"], predicted["status"], predicted["chart"], predicted["chart_version"], predicted["values"]) == (
        5, "deployed", "sample-app", "0.1.0", {"replicaCount": 3})
    assert helm_cli.predicted_release("new", "shop", None, CHART, {})["revision"] == 1


def test_diff_state():
    assert helm_cli.diff_state(None) == {}
    assert helm_cli.diff_state(CURRENT) == {"chart": "sample-app", "chart_version": "0.1.0", "values": {"replicaCount": 2}}


HISTORY = helm_cli.parse_history([
    {"revision": 1, "status": "superseded", "chart": "app-0.1.0"},
    {"revision": 2, "status": "superseded", "chart": "app-0.2.0"},
    {"revision": 4, "status": "deployed", "chart": "app-0.2.0", "app_version": "2"},
])


def test_rollback_target():
    current, target = helm_cli.rollback_target(HISTORY)
    assert (current["revision"], target["revision"]) == (4, 2)  # revision 3 was pruned: the newest before the current
    assert helm_cli.rollback_target(HISTORY, 1)[1]["revision"] == 1
    assert helm_cli.rollback_target(HISTORY, 4)[1]["revision"] == 4


def test_rollback_target_errors_list_what_exists():
    with pytest.raises(ValueError, match=r"revision 3 does not exist; existing revisions: 1, 2, 4 \(current: 4\)"):
        helm_cli.rollback_target(HISTORY, 3)
    with pytest.raises(ValueError, match="only revision 1 exists: there is no previous revision"):
        helm_cli.rollback_target(HISTORY[:1])
    with pytest.raises(ValueError, match="no revisions"):
        helm_cli.rollback_target([])


def test_rollback_needed():
    current, target = HISTORY[2], HISTORY[1]
    assert not helm_cli.rollback_needed(current, {"a": 1}, target, {"a": 1})
    assert helm_cli.rollback_needed(current, {"a": 1}, target, {"a": 2})
    assert helm_cli.rollback_needed(current, {"a": 1}, HISTORY[0], {"a": 1})  # other chart version
    assert helm_cli.rollback_needed(dict(current, status="failed"), {"a": 1}, target, {"a": 1})


def test_predicted_rollback():
    predicted = helm_cli.predicted_rollback("r", "ns", HISTORY[2], HISTORY[0], {"a": 1})
    assert (predicted["revision"], predicted["chart"], predicted["chart_version"], predicted["values"], predicted["description"]) == (
        5, "app", "0.1.0", {"a": 1}, "Rollback to 1")


# --- HelmRunner -----------------------------------------------------------------------------------------------------

class FakeModule:
    """Just what HelmRunner uses of AnsibleModule; answers run_command from a table of argv prefixes."""

    def __init__(self, answers, params=None):
        self.params = dict(binary_path="/bin/helm", kubeconfig="/k.yaml", context=None, **(params or {}))
        self.answers = answers
        self.commands = []

    def get_bin_path(self, name):
        return None

    def run_command(self, command):
        self.commands.append(command)
        for prefix, answer in self.answers:
            if command[1:1 + len(prefix)] == prefix:
                return answer
        raise AssertionError("unexpected command %s" % command)

    def fail_json(self, **kwargs):
        raise RuntimeError(kwargs)


def test_runner_reads_a_release():
    module = FakeModule([(["status"], (0, '{"name": "r", "namespace": "ns", "version": 2, "info": {"status": "deployed"}, '
                                          '"chart": {"metadata": {"name": "app", "version": "1.0.0"}}}', "")),
                         (["get", "values"], (0, "null", ""))])
    release = helm_cli.HelmRunner(module).release("r", "ns")
    assert (release["revision"], release["values"]) == (2, {})
    assert module.commands[0] == ["/bin/helm", "status", "r", "--namespace", "ns", "--output", "json", "--kubeconfig", "/k.yaml"]


def test_runner_missing_release_is_none():
    module = FakeModule([(["status"], (1, "", "Error: release: not found\n")), (["history"], (1, "", "Error: release: not found\n"))])
    runner = helm_cli.HelmRunner(module)
    assert runner.release("r", "ns") is None
    assert runner.history("r", "ns") is None


def test_runner_fails_with_helms_error_summarised():
    module = FakeModule([(["status"], (1, "", "WARNING: x\nError: Kubernetes cluster unreachable\n"))])
    with pytest.raises(RuntimeError) as error:
        helm_cli.HelmRunner(module).release("r", "ns")
    assert error.value.args[0]["msg"] == "helm status failed (rc=1): Kubernetes cluster unreachable"


HELM4_STATUS = {"name": "r", "namespace": "ns", "version": 2, "info": {"status": "deployed", "description": "Upgrade complete"},
                "config": {"a": 1}, "apply_method": "ssa"}  # helm 4: no "chart"
HELM4_METADATA = {"name": "r", "chart": "sample-app", "version": "0.1.0", "appVersion": "1.0.0", "namespace": "ns",
                  "revision": 2, "status": "deployed", "deployedAt": "2026-12-06T18:57:31Z", "applyMethod": "ssa"}


def test_with_chart_puts_helm_4s_metadata_where_helm_3_has_it():
    status = helm_cli.with_chart(HELM4_STATUS, HELM4_METADATA)
    assert status["chart"] == {"metadata": {"name": "sample-app", "version": "0.1.0", "appVersion": "1.0.0"}}
    summary = helm_cli.release_summary(status)
    assert (summary["chart"], summary["chart_version"], summary["app_version"], summary["revision"]) == ("sample-app", "0.1.0", "1.0.0", 2)
    helm3 = dict(HELM4_STATUS, chart={"metadata": {"name": "app", "version": "9.9.9"}})
    assert helm_cli.with_chart(helm3, HELM4_METADATA) is helm3
    assert helm_cli.with_chart(HELM4_STATUS, None) is HELM4_STATUS and helm_cli.with_chart(None, HELM4_METADATA) is None


def test_runner_reads_helm_4s_chart_with_get_metadata_and_the_values_from_the_status():
    module = FakeModule([(["status"], (0, json.dumps(HELM4_STATUS), "")), (["get", "metadata"], (0, json.dumps(HELM4_METADATA), ""))])
    release = helm_cli.HelmRunner(module).release("r", "ns")
    assert (release["chart"], release["chart_version"], release["values"]) == ("sample-app", "0.1.0", {"a": 1})
    assert module.commands[1] == ["/bin/helm", "get", "metadata", "r", "--namespace", "ns", "--output", "json", "--kubeconfig", "/k.yaml"]
    assert len(module.commands) == 2  # no `helm get values`: the status's config is the same values


def test_the_release_an_upgrade_prints_needs_no_read():
    printed = dict(HELM4_STATUS, version=3, chart={"metadata": {"name": "sample-app", "version": "0.2.0", "appVersion": "1.1.0"}})
    module = FakeModule([])
    release = helm_cli.HelmRunner(module).upgraded_release("r", "ns", json.dumps(printed))
    assert (release["revision"], release["chart_version"], release["app_version"], release["values"]) == (3, "0.2.0", "1.1.0", {"a": 1})
    assert module.commands == []


@pytest.mark.parametrize("printed", ["", "Release \"r\" has been upgraded. Happy Helming!", json.dumps(HELM4_STATUS),
                                     json.dumps(dict(HELM4_STATUS, name="other", chart={"metadata": {"name": "app"}}))])
def test_an_upgrade_output_that_is_not_the_release_is_read_back(printed):
    module = FakeModule([(["status"], (0, json.dumps(HELM4_STATUS), "")), (["get", "metadata"], (0, json.dumps(HELM4_METADATA), ""))])
    release = helm_cli.HelmRunner(module).upgraded_release("r", "ns", printed)
    assert (release["chart"], release["revision"]) == ("sample-app", 2)
    assert [command[1] for command in module.commands] == ["status", "get"]


def test_runner_status_of_helm_3_needs_no_metadata():
    helm3 = dict(HELM4_STATUS, chart={"metadata": {"name": "app", "version": "1.0.0"}})
    module = FakeModule([(["status"], (0, json.dumps(helm3), ""))])
    assert helm_cli.HelmRunner(module).status("r", "ns")["chart"]["metadata"]["name"] == "app"
    assert len(module.commands) == 1


def test_runner_asks_helms_major_version_once():
    module = FakeModule([(["version"], (0, "v4.1.4", ""))])
    runner = helm_cli.HelmRunner(module)
    assert (runner.major(), runner.major(), runner.in_worker().major()) == (4, 4, 4)
    assert module.commands == [["/bin/helm", "version", "--template", "{{ .Version }}"]]
    other_cluster = helm_cli.HelmRunner(module, kubeconfig="/dr.yaml")
    assert other_cluster.major() == 4 and len(module.commands) == 1  # one `helm version` per binary and module process


def test_runner_fails_when_helm_version_says_nothing_usable():
    module = FakeModule([(["version"], (0, "garbage", ""))])
    with pytest.raises(RuntimeError, match="helm version failed: cannot tell"):
        helm_cli.HelmRunner(module).major()


def test_runner_without_helm():
    module = FakeModule([])
    module.params["binary_path"] = None
    with pytest.raises(RuntimeError, match="helm not found on PATH"):
        helm_cli.HelmRunner(module)


def test_only_named_keeps_the_named_releases_in_listing_order():
    listed = [{"name": "a-blue"}, {"name": "shop-green"}, {"name": "shop-blue"}, {"name": "shop-blue-2"}]
    assert helm_cli.only_named(listed, ["shop-blue", "shop-green", "", None]) == [{"name": "shop-green"}, {"name": "shop-blue"}]
    assert helm_cli.only_named(listed, []) == []
    assert helm_cli.only_named(None, ["x"]) == []


def test_listed_from_status_reads_as_a_helm_list_entry():
    status = {"name": "shop-green", "namespace": "shop", "version": 3, "config": {"image": {"tag": "1.1.0"}},
              "info": {"status": "deployed", "last_deployed": "2026-01-01T00:00:00Z", "description": "Upgrade complete"},
              "chart": {"metadata": {"name": "sample-app", "version": "0.2.0", "appVersion": "1.0"}}}
    listed = helm_cli.listed_from_status(status)
    assert listed == {"name": "shop-green", "namespace": "shop", "revision": 3, "updated": "2026-01-01T00:00:00Z", "status": "deployed",
                      "chart": "sample-app-0.2.0", "app_version": "1.0"}
    release = helm_cli.release_from(listed, status)
    assert (release["revision"], release["chart"], release["values"], release["description"]) == (
        3, "sample-app-0.2.0", {"image": {"tag": "1.1.0"}}, "Upgrade complete")
    assert helm_cli.listed_from_status({"name": "x"})["chart"] is None


def test_helm_runs_with_a_larger_gc_target_unless_the_environment_sets_one():
    environ = {"PATH": "/bin"}
    helm_cli.helm_environment(environ)
    assert environ == {"PATH": "/bin", "GOGC": helm_cli.HELM_GOGC}
    mine = {"GOGC": "50"}
    helm_cli.helm_environment(mine)
    assert mine == {"GOGC": "50"}
