# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The AWX surveys, job templates, workflow and schedules cannot drift from the runbooks: every survey field is an
option of the runbook's runbook_inputs entry point with a compatible type, and every option is an extra var its
playbook reads."""

from __future__ import annotations

import re

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator
from ansible.module_utils.parsing.convert_bool import BOOLEANS

from awx_testlib import REPO, RUNBOOKS, load_yaml, validate_awx

# AWX survey question type -> the argument spec types that accept what AWX sends for it.
COMPATIBLE = {
    "text": {"str"},
    "textarea": {"str"},
    "password": {"str"},
    "integer": {"int"},
    "float": {"float"},
    "multiplechoice": {"str", "bool"},  # bool: only when every choice is a boolean string ("true", "false")
    "multiselect": {"list"},
}
CONFIRMATIONS = {"failover": "confirm_failover", "failover_drill": "confirm_drill", "failback": "confirm_failback"}
# Variables a playbook reads that are not extra vars for a person to give: AWX's own, and Ansible's.
NOT_INPUTS = re.compile(r"^(__|cloudops_|awx_|tower_|ansible_)")


def question_problems(question, options) -> list:
    """What is wrong with one survey question against the runbook's options (empty: nothing)."""
    var = question.get("variable")
    if var not in options:
        return [f"{var}: not an option of the entry point (options: {', '.join(sorted(options))})"]
    option, qtype, problems = options[var], question.get("type"), []
    otype = option.get("type", "str")
    if otype not in COMPATIBLE.get(qtype, set()):
        return [f"{var}: survey type {qtype} does not fit option type {otype}"]
    choices = question.get("choices")
    if isinstance(choices, str):
        choices = choices.split("\n")
    if qtype in ("multiplechoice", "multiselect"):
        if not choices:
            problems.append(f"{var}: {qtype} without choices")
        elif otype == "bool" and not all(c in BOOLEANS for c in choices):
            problems.append(f"{var}: choices {choices} are not all booleans")
        elif option.get("choices") and not set(choices) <= set(option["choices"]):
            problems.append(f"{var}: choices {choices} not within the option's {option['choices']}")
        elif qtype == "multiselect" and option.get("elements", "str") != "str":
            problems.append(f"{var}: multiselect sends strings, option elements are {option.get('elements')}")
    has_default = "default" in option and option["default"] is not None
    if question.get("required") and has_default:
        problems.append(f"{var}: required in the survey but the runbook has a default ({option['default']!r})")
    if "default" in question and question["default"] not in ("", None):
        if choices and qtype == "multiplechoice" and question["default"] not in choices:
            problems.append(f"{var}: default {question['default']!r} is not a choice")
        errors = ArgumentSpecValidator({var: option}).validate({var: question["default"]}).error_messages
        problems.extend(f"{var}: default {question['default']!r}: {e}" for e in errors)
    return problems


# -- the role and the playbooks ----------------------------------------------------------------------------------------
FRAME = {"name": "cloudops.runbooks.runbook", "tasks_from": "validate"}
FAILOVER_PREFLIGHT = {"name": "cloudops.runbooks.failover_steps", "tasks_from": "preflight"}
FAILBACK_PREFLIGHT = {"name": "cloudops.runbooks.failover_steps", "tasks_from": "failback_preflight"}


def test_each_runbook_has_an_entry_point_and_its_playbook_validates_first(entry_points):
    """The runbook frame's request check (roles/runbook, validate: runbook_request against the runbook's entry point
    of roles/runbook_inputs) is the first thing each playbook runs (the failover's and the drill's through
    failover_steps preflight, whose first task it is)."""
    assert sorted(entry_points) == sorted(RUNBOOKS)
    for preflight in ("preflight", "failback_preflight"):
        first_of_preflight = load_yaml(REPO / "roles" / "failover_steps" / "tasks" / f"{preflight}.yml")[0]
        assert first_of_preflight.get("ansible.builtin.import_role") == FRAME, first_of_preflight
    for runbook in RUNBOOKS:
        play = load_yaml(REPO / "playbooks" / f"{runbook}.yml")[0]
        assert play["vars"]["runbook_name"] == runbook, (runbook, play.get("vars"))
        first = play["tasks"][0]
        assert first.get("ansible.builtin.import_role") in (FRAME, FAILOVER_PREFLIGHT, FAILBACK_PREFLIGHT), (runbook, first)
        assert "pre_tasks" not in play and "roles" not in play, f"{runbook}: something runs before the validation"


def playbook_text(runbook: str) -> str:
    text = (REPO / "playbooks" / f"{runbook}.yml").read_text()
    for included in re.findall(r"include_tasks:\s*(tasks/\S+\.yml)", text):
        text += (REPO / "playbooks" / included).read_text()
    return text


def header_extra_vars(text: str) -> set:
    """The extra vars a playbook's header comment lists: `# Extra vars: name=...` or a `#   name  meaning` block."""
    header = text.split("\n- name:", 1)[0]
    names = set(re.findall(r"^# Extra vars: (\w+)=", header, re.M))
    block = header.split("# Extra vars:", 1)[1] if "# Extra vars:" in header else ""
    names.update(re.findall(r"^#   (\w+)\s", block, re.M))
    names.update(re.findall(r"; (\w+): ", block))  # "restore_checks  replace ...; restore_extra_checks: add to them"
    return names


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_the_entry_point_declares_exactly_the_extra_vars_of_its_playbook(entry_points, runbook):
    options, text = entry_points[runbook], playbook_text(runbook)
    listed = header_extra_vars(text)
    assert listed, f"{runbook}: no extra vars found in the playbook's header"
    missing = sorted(name for name in listed if name not in options)
    assert not missing, f"{runbook}: the header lists extra vars the entry point does not declare: {missing}"
    roles = [p.name for p in (REPO / "roles").iterdir() if p.is_dir() and p.name != "runbook_inputs"]
    read = set(m.group(1) for m in re.finditer(r"(?<![\w.\]'\"])([a-z_][a-z0-9_]*)\s*\|\s*default\(", text)
               if not text[:m.start()].rstrip().endswith("|"))  # `x | first | default(...)`: a filter, not a variable
    # A name the playbook sets itself (a key of its vars or of a set_fact, such as the report it builds) is not an input.
    own = set(re.findall(r"^\s+([a-z_][a-z0-9_]*):\s", text, re.M))
    undeclared = sorted(name for name in read if not NOT_INPUTS.match(name) and name not in options and name not in own
                        and not any(name.startswith(role + "_") for role in roles))  # a role's output facts
    assert not undeclared, f"{runbook}: the playbook reads extra vars the entry point does not declare: {undeclared}"
    stale = sorted(name for name in options if not re.search(rf"\b{name}\b", text))
    assert not stale, f"{runbook}: options its playbook never reads: {stale}"


# -- the surveys -------------------------------------------------------------------------------------------------------
def test_every_survey_field_is_an_option_of_the_runbook_inputs(awx_vars, surveys, entry_points):
    used = set()
    for rb in awx_vars["cloudops_awx_runbooks"]:
        if not rb["survey"]:
            continue
        used.add(rb["survey"])
        survey = surveys[rb["survey"]]
        assert survey.get("name") and survey.get("description"), f"{rb['survey']}: AWX needs name and description"
        variables = [q["variable"] for q in survey["spec"]]
        assert len(variables) == len(set(variables)), f"{rb['survey']}: a variable asked twice"
        problems = [p for q in survey["spec"] for p in question_problems(q, entry_points[rb["runbook"]])]
        assert not problems, f"survey {rb['survey']} vs runbook_inputs {rb['runbook']}: " + "; ".join(problems)
    assert used == set(surveys), f"survey files no job template uses: {sorted(set(surveys) - used)}"


def test_the_drift_check_catches_what_it_is_for(entry_points):
    """The check above refuses an unknown field, a wrong type, a foreign choice and a required field with a default."""
    options = entry_points["backup_restore"]
    assert question_problems({"variable": "restore_when", "type": "text"}, options)[0].startswith("restore_when: not an option")
    assert "does not fit" in question_problems({"variable": "restore_keep", "type": "integer"}, options)[0]
    assert "not within" in question_problems({"variable": "restore_point", "type": "multiplechoice",
                                              "choices": ["latest_restorable_time", "yesterday"]}, options)[0]
    assert "not all booleans" in question_problems({"variable": "restore_keep", "type": "multiplechoice",
                                                    "choices": ["keep", "delete"]}, options)[0]
    assert "required in the survey" in question_problems({"variable": "restore_keep", "type": "multiplechoice",
                                                          "choices": ["false", "true"], "required": True}, options)[0]
    assert question_problems({"variable": "restore_keep", "type": "multiplechoice", "choices": ["false", "true"],
                              "default": "false", "required": False}, options) == []


# -- awx/configure.yml, as it renders --------------------------------------------------------------------------------
def by_name(calls):
    return dict((call["name"], call) for call in calls)


def test_a_job_template_per_runbook_and_environment_with_its_playbook_and_survey(rendered, awx_vars, surveys):
    templates = by_name(rendered["job_template"])
    inventories = by_name(rendered["inventory"])
    project, ee = rendered["project"][0]["name"], rendered["execution_environment"][0]["name"]
    environments = [env["name"] for env in awx_vars["cloudops_awx_environments"]]
    assert sorted(rb["runbook"] for rb in awx_vars["cloudops_awx_runbooks"]) == sorted(RUNBOOKS)
    checks = [rb for rb in awx_vars["cloudops_awx_runbooks"] if rb["check"]]
    assert len(templates) == len(environments) * (len(RUNBOOKS) + len(checks))
    for env in environments:
        assert (REPO / "inventories" / env / "hosts.yml").is_file()
        for rb in awx_vars["cloudops_awx_runbooks"]:
            # The runbook's job template, and its dry run (job type check, --diff) where it has one.
            for jt in [templates[f"{env} {rb['title']}"]] + ([templates[f"{env} {rb['title']} (check)"]] if rb["check"] else []):
                assert (REPO / jt["playbook"]).is_file() and jt["playbook"] == f"playbooks/{rb['runbook']}.yml"
                assert jt["inventory"] in inventories and jt["project"] == project and jt["execution_environment"] == ee
                assert jt["survey_enabled"] == bool(rb["survey"])
                if rb["survey"]:
                    sent = dict((q["variable"], q) for q in jt["survey_spec"]["spec"])
                    for q in surveys[rb["survey"]]["spec"]:
                        expected = dict(q, choices=[env]) if q["variable"] == CONFIRMATIONS.get(rb["runbook"]) else q
                        assert sent.pop(q["variable"]) == expected
                    assert not sent
    for source in rendered["inventory_source"]:
        assert source["inventory"] in inventories and source["source_project"] == project
        assert (REPO / source["source_path"]).is_file()


@pytest.mark.parametrize("runbook", sorted(CONFIRMATIONS))
def test_prod_failover_and_drill_ask_for_the_confirmation(rendered, runbook):
    inventory = load_yaml(REPO / "inventories" / "prod" / "group_vars" / "all" / "failover.yml")
    assert inventory["cloudops_failover"]["require_confirmation"] is True
    title = {"failover": "failover", "failover_drill": "failover drill", "failback": "failback"}[runbook]
    jt = by_name(rendered["job_template"])[f"prod {title}"]
    question = [q for q in jt["survey_spec"]["spec"] if q["variable"] == CONFIRMATIONS[runbook]]
    assert len(question) == 1
    assert question[0]["required"] is True and question[0]["type"] == "multiplechoice"
    assert question[0]["choices"] == ["prod"] and question[0].get("default") in (None, "")


def test_the_deploy_workflow_rolls_the_same_service_back_when_the_deploy_fails(rendered, awx_vars, entry_points):
    templates = by_name(rendered["job_template"])
    workflows = by_name(wf for wf in rendered["workflow_job_template"] if wf["name"].endswith("(rollback on failure)"))
    expected = [(env["name"], service) for env in awx_vars["cloudops_awx_environments"] for service in env["deploy_services"]]
    assert len(workflows) == len(expected) > 0
    for env, service in expected:
        estate = load_yaml(REPO / "inventories" / env / "group_vars" / "all" / "estate.yml")
        assert service in [s["name"] for s in estate["cloudops_services"]], f"{env} has no service {service}"
        wf = workflows[f"{env} deploy {service} (rollback on failure)"]
        nodes = dict((node["identifier"], node) for node in wf["workflow_nodes"])
        assert nodes["deploy"]["related"]["failure_nodes"] == [{"identifier": "rollback"}]
        assert not nodes["rollback"].get("related", {}).get("success_nodes")
        for node, runbook, var in (("deploy", "deploy", "deploy_service"), ("rollback", "rollback", "rollback_service")):
            jt = templates[nodes[node]["unified_job_template"]["name"]]
            assert nodes[node]["unified_job_template"]["type"] == "job_template" and jt["playbook"] == f"playbooks/{runbook}.yml"
            # AWX accepts a node's extra_data only for variables its job template's survey asks.
            assert nodes[node]["extra_data"] == {var: service}
            assert var in [q["variable"] for q in jt["survey_spec"]["spec"]] and var in entry_points[runbook]
        asked = [q["variable"] for q in wf["survey_spec"]["spec"]]
        assert "deploy_version" in asked and "deploy_service" not in asked
        assert not [p for q in wf["survey_spec"]["spec"] for p in question_problems(q, entry_points["deploy"])]


def test_schedules_nightly_backup_and_monthly_drill_launch_with_every_required_answer(rendered, entry_points):
    templates = by_name(rendered["job_template"])
    schedules = rendered["schedule"]
    kinds = set()
    for schedule in schedules:
        jt = templates[schedule["unified_job_template"]]
        runbook = jt["playbook"].split("/")[-1][:-4]
        rrule = schedule["rrule"]
        assert re.match(r"^DTSTART:\d{8}T\d{6}Z RRULE:FREQ=(DAILY|WEEKLY|MONTHLY)", rrule), rrule
        kinds.add((runbook, re.search(r"FREQ=(\w+)", rrule).group(1)))
        spec = dict((q["variable"], q) for q in jt["survey_spec"]["spec"]) if jt["survey_enabled"] else {}
        extra = schedule.get("extra_data") or {}
        assert set(extra) <= set(spec), f"{schedule['name']}: AWX refuses extra_data its survey does not ask"
        unanswered = [v for v, q in spec.items() if q.get("required") and q.get("default") in (None, "") and v not in extra]
        assert not unanswered, f"{schedule['name']} cannot launch: no answer for {unanswered}"
        for var, value in extra.items():
            assert value in spec[var].get("choices", [value])
        assert not ArgumentSpecValidator(entry_points[runbook]).validate(dict(extra)).error_messages
    assert ("backup", "DAILY") in kinds and ("failover_drill", "MONTHLY") in kinds


def test_every_call_of_configure_yml_fits_its_awx_awx_module(rendered):
    """Each call's arguments pass the argument validation of the real awx.awx module (its argument_spec and
    constraints as main() builds them, with the controller connection options), as the module would run it."""
    for module, calls in rendered.items():
        assert calls, f"configure.yml never calls awx.awx.{module}"
        for args in calls:
            errors = validate_awx(module, args)
            assert not errors, f"awx.awx.{module} {args.get('name') or args.get('team')}: {errors}"


def test_the_real_argument_validation_refuses_what_the_controller_would():
    """The validation above is the modules' own: an unknown option, a wrong choice, a missing required option."""
    assert "timeout_s. Supported parameters include" in " ".join(validate_awx("job_template", {"name": "x", "timeout_s": 1}))
    assert "must be one of" in " ".join(validate_awx("job_template", {"name": "x", "job_type": "dry"}))
    assert "missing required arguments: role" in " ".join(validate_awx("role", {"team": "t"}))
    assert "must be one of" in " ".join(validate_awx("notification_template", {"name": "n", "notification_type": "teams"}))
