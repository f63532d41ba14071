# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""awx/configure.yml for production: the kubeconfig credential type, job timeouts and dry runs with --diff, the
notification templates, the failover workflow with its approval in prod, and who may launch or approve a failover."""

from __future__ import annotations

import pytest

from awx_testlib import NOTIFICATION_SECRETS, REPO, configure, load_yaml, run_playbook

# The options of AWX's notification classes (awx/main/notifications/*.py of AWX 24.6.1, init_parameters) without a
# default: the controller refuses a notification template whose configuration lacks one.
NOTIFICATION_FIELDS = {
    "slack": {"token", "channels"},
    "webhook": {"url", "headers", "http_method"},
    "email": {"host", "port", "username", "password", "use_tls", "use_ssl", "sender", "recipients"},
    "pagerduty": {"token", "subdomain", "service_key", "client_name"},
    "awssns": {"sns_topic_arn"},
}
# cloudops_notify channel type -> the AWX notification type that reaches the same channel.
CHANNELS = {"slack": "slack", "teams": "webhook", "email": "email", "pagerduty": "pagerduty", "sns": "awssns"}


def by_name(calls):
    return dict((call["name"], call) for call in calls)


def test_the_kubeconfig_credential_type_gives_the_paths_the_inventories_read(rendered, awx_vars):
    [ctype] = rendered["credential_type"]
    fields = dict((field["id"], field) for field in ctype["inputs"]["fields"])
    assert set(fields) == {"primary_kubeconfig", "dr_kubeconfig"} and all(f["secret"] and f["multiline"] for f in fields.values())
    assert ctype["inputs"]["required"] == ["primary_kubeconfig"]  # a one-region estate has no DR cluster
    injectors = ctype["injectors"]
    assert injectors["env"] == {"KUBECONFIG_PRIMARY": "{{ tower.filename.primary }}", "KUBECONFIG_DR": "{{ tower.filename.dr }}"}
    assert injectors["file"]["template.primary"] == "{{ primary_kubeconfig }}"
    # The inventories AWX runs with read those paths (the sandbox's reads the same variables from its env file).
    for env in awx_vars["cloudops_awx_environments"]:
        eks = load_yaml(REPO / "inventories" / env["name"] / "group_vars" / "all" / "estate.yml")["cloudops_eks"]
        for side, var in (("primary", "KUBECONFIG_PRIMARY"), ("dr", "KUBECONFIG_DR")):
            assert eks[side]["kubeconfig"].startswith("{{ lookup('ansible.builtin.env', '%s', default=" % var), (env["name"], side)
        assert len(env["credentials"]) >= 2, f"{env['name']}: an AWS credential and a kubeconfigs credential"
    estate = (REPO / "inventories" / "sandbox" / "group_vars" / "all" / "estate.yml").read_text()
    assert "lookup('ansible.builtin.env', 'KUBECONFIG_PRIMARY')" in estate and "lookup('ansible.builtin.env', 'KUBECONFIG_DR')" in estate


def test_every_job_template_has_a_timeout_under_the_lock_ttl_and_dry_runs_show_the_diff(rendered, awx_vars):
    ttl = load_yaml(REPO / "inventories" / "prod" / "group_vars" / "all" / "estate.yml")["cloudops_lock"]["ttl_seconds"]
    for jt in rendered["job_template"]:
        assert 0 < int(jt["timeout"]) < ttl, (jt["name"], jt["timeout"])
        assert jt["ask_job_type_on_launch"] is False
        if jt["name"].endswith(" (check)"):
            assert (jt["job_type"], jt["diff_mode"]) == ("check", True), jt["name"]
        else:
            assert (jt["job_type"], jt["diff_mode"]) == ("run", False), jt["name"]
    names = set(by_name(rendered["job_template"]))
    for env in awx_vars["cloudops_awx_environments"]:
        assert {f"{env['name']} {t} (check)" for t in ("deploy", "rollback", "failover", "failback")} <= names
        assert f"{env['name']} status (check)" not in names  # read-only already


def test_notification_templates_reach_the_runbooks_channels_with_every_required_field(rendered, awx_vars):
    templates = by_name(rendered["notification_template"])
    assert {t["notification_type"] for t in templates.values()} == set(CHANNELS.values())
    for template in templates.values():
        config = template["notification_configuration"]
        missing = NOTIFICATION_FIELDS[template["notification_type"]] - set(config)
        assert not missing, f"{template['name']}: missing {missing}"
        assert all(value not in ("", None) for value in config.values()), template["name"]
    # The prod job templates and workflows notify on failure; the prod failover workflow also asks for its approval.
    prod = [jt for jt in rendered["job_template"] if jt["name"].startswith("prod ")]
    assert all(jt["notification_templates_error"] for jt in prod)
    failover = by_name(rendered["workflow_job_template"])["prod failover (approve, verify, notify)"]
    assert failover["notification_templates_approvals"] and failover["notification_templates_error"]
    for calls in (rendered["job_template"], rendered["workflow_job_template"]):
        for call in calls:
            for key in ("started", "success", "error", "approvals"):
                assert set(call.get("notification_templates_" + key) or []) <= set(templates), call["name"]


def test_a_missing_notification_secret_is_refused_naming_it(tmp_path_factory):
    secrets = dict((name, "x") for name in NOTIFICATION_SECRETS if name != "CLOUDOPS_AWX_PAGERDUTY_TOKEN")
    proc = configure(tmp_path_factory, secrets)
    assert proc.returncode != 0
    assert "Notification cloudops-pagerduty: no value for token - export the variable its lookup in" in proc.stdout
    assert '"awx_module"' not in proc.stdout  # refused before anything is configured


def nodes_of(workflow):
    return dict((node["identifier"], node) for node in workflow["workflow_nodes"])


@pytest.mark.parametrize("environment", ["dev", "staging", "prod"])
def test_the_failover_workflow_approves_in_prod_then_fails_over_then_verifies(rendered, awx_vars, environment):
    env = [e for e in awx_vars["cloudops_awx_environments"] if e["name"] == environment][0]
    workflow = by_name(rendered["workflow_job_template"])[f"{environment} failover (approve, verify, notify)"]
    nodes = nodes_of(workflow)
    templates = by_name(rendered["job_template"])
    assert templates[nodes["failover"]["unified_job_template"]["name"]]["playbook"] == "playbooks/failover.yml"
    assert templates[nodes["verify"]["unified_job_template"]["name"]]["playbook"] == "playbooks/status.yml"
    assert nodes["failover"]["related"] == {"success_nodes": [{"identifier": "verify"}]}  # verify only a failover that worked
    targets = [t["identifier"] for node in nodes.values() for kind in node.get("related", {}).values() for t in kind]
    roots = [name for name in nodes if name not in targets]
    if env["failover_approval"]:
        approve = nodes["approve"]["unified_job_template"]
        assert approve["type"] == "workflow_approval" and 0 < int(approve["timeout"]) <= 3600
        assert nodes["approve"]["related"] == {"success_nodes": [{"identifier": "failover"}]}
        assert roots == ["approve"], "nothing runs before the approval"
    else:
        assert roots == ["failover"]
    # Its survey is the failover's, the confirmation the environment's name.
    confirm = [q for q in workflow["survey_spec"]["spec"] if q["variable"] == "confirm_failover"]
    assert confirm and confirm[0]["choices"] == [environment] and confirm[0]["required"] is True


def test_the_verify_node_accepts_the_failover_surveys_answers():
    """AWX passes a workflow's survey answers to every node: the status runbook (verify) takes the failover's answers
    and goes on (here, without a sandbox, to its sandbox guard), it does not refuse them."""
    report = run_playbook("status", {"confirm_failover": "sandbox", "failover_max_lag_override": "false",
                                     "failover_outage_started_at": "2026-01-31T11:58:00Z"})
    failed = [(t["task"]["name"], t["hosts"]["localhost"].get("msg")) for t in report["plays"][0]["tasks"]
              if t["hosts"]["localhost"].get("failed")]
    assert len(failed) == 1 and "sandbox is not sourced" in failed[0][1], failed


def granted(rendered, team, role, target):
    return any(r["team"] == team and r["role"] == role and target in (r.get("job_templates") or []) + (r.get("workflows") or [])
               for r in rendered["role"])


def test_only_the_on_call_team_launches_a_prod_failover_and_only_through_its_approved_workflow(rendered, awx_vars):
    teams = {t["name"] for t in rendered["team"]}
    assert teams == {t["name"] for t in awx_vars["cloudops_awx_teams"]}
    known = set(by_name(rendered["job_template"])) | set(by_name(rendered["workflow_job_template"]))
    for r in rendered["role"]:
        assert r["team"] in teams and set(r.get("job_templates") or []) | set(r.get("workflows") or []) <= known, r
    for name in ("prod failover", "prod failback"):
        assert not any(name in (r.get("job_templates") or []) for r in rendered["role"] if r["role"] == "execute"), name
    workflow = "prod failover (approve, verify, notify)"
    launchers = {r["team"] for r in rendered["role"] if r["role"] == "execute" and workflow in (r.get("workflows") or [])}
    approvers = {r["team"] for r in rendered["role"] if r["role"] == "approval" and workflow in (r.get("workflows") or [])}
    assert launchers == {"cloudops-oncall"} and approvers == {"cloudops-incident-commanders"}
    assert not launchers & approvers, "whoever launches a prod failover is not the one who approves it"
    assert granted(rendered, "cloudops-developers", "execute", "staging deploy")
    assert not granted(rendered, "cloudops-developers", "execute", "prod deploy")
