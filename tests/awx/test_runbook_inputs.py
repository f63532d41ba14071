# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook_inputs entry points accept what the AWX surveys send and refuse a wrong type or choice, and each
playbook runs that validation before anything else."""

from __future__ import annotations

import pytest
from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from awx_testlib import RUNBOOKS, run_playbook


def validate(options: dict, values: dict) -> list:
    """The errors Ansible's role argument validation reports for these values (as the playbook's first task does),
    the required options given a valid value unless `values` has them."""
    given = dict((name, "1.0.0") for name, option in options.items() if option.get("required") and option.get("type", "str") == "str")
    given.update(values)
    return ArgumentSpecValidator(options).validate(given, validate_role_argument_spec=True).error_messages


def answers(question) -> list:
    """Every answer AWX may send for a question, typed as AWX sends it (JSON from the survey)."""
    qtype, choices = question["type"], question.get("choices") or []
    if qtype == "multiplechoice":
        return list(choices)
    if qtype == "multiselect":
        return [[], list(choices)] + [[c] for c in choices]
    if qtype == "integer":
        return [question.get("min", 1), question.get("max", 1000)]
    if qtype == "float":
        return [float(question.get("min", 0.5))]
    return [question.get("default") or "answer-1", "2026-01-31T12:00:00Z"]


def job_template_surveys(rendered):
    """(job template, runbook, survey spec) of every job template and workflow with a survey, as configure.yml sends."""
    for jt in rendered["job_template"]:
        if jt["survey_enabled"]:
            yield jt["name"], jt["playbook"].split("/")[-1][:-4], jt["survey_spec"]["spec"]
    for wf in rendered["workflow_job_template"]:
        yield wf["name"], "failover" if " failover (" in wf["name"] else "deploy", wf["survey_spec"]["spec"]


def test_every_answer_a_survey_can_send_passes_the_runbook_inputs(rendered, entry_points):
    checked = 0
    for name, runbook, spec in job_template_surveys(rendered):
        for question in spec:
            for value in answers(question):
                errors = validate(entry_points[runbook], {question["variable"]: value})
                assert not errors, f"{name}: {question['variable']}={value!r} refused: {errors}"
                checked += 1
        # One launch with every question answered (the defaults, or the first answer).
        launch = dict((q["variable"], q["default"] if q.get("default") not in (None, "") else answers(q)[0]) for q in spec)
        assert not validate(entry_points[runbook], launch), (name, launch)
    assert checked > 100


# A wrong value for each type of option, and the message Ansible's validation gives for it.
WRONG = {
    "str": None,  # Ansible converts anything to a string: no wrong type
    "int": ("ten", "we were unable to convert to int"),
    "bool": ("maybe", "we were unable to convert to bool"),
    "list": ({"side": "primary"}, "we were unable to convert to list"),
    "float": ("fast", "we were unable to convert to float"),
}


@pytest.mark.parametrize("runbook", RUNBOOKS)
def test_a_wrong_type_or_choice_is_refused_naming_the_variable(entry_points, runbook):
    refused = 0
    for var, option in entry_points[runbook].items():
        wrong = WRONG[option.get("type", "str")]
        if wrong:
            errors = validate(entry_points[runbook], {var: wrong[0]})
            assert len(errors) == 1 and f"argument '{var}'" in errors[0] and wrong[1] in errors[0], errors
            refused += 1
        if option.get("choices"):
            errors = validate(entry_points[runbook], {var: "nope"})
            assert errors == [f"value of {var} must be one of: {', '.join(option['choices'])}, got: nope"]
            refused += 1
    assert refused > 0 or runbook == "status"
    if any(option.get("required") for option in entry_points[runbook].values()):
        assert ArgumentSpecValidator(entry_points[runbook]).validate({}).error_messages[0].startswith("missing required arguments")


VALIDATION = "Validating arguments against arg spec"
REQUEST = "the request, the estate and the confirmation"  # roles/runbook, entry point validate


def tasks(report) -> list:
    """(task name, result) of each task a playbook ran, from the ansible.posix.json report, from its request check on:
    roles/runbook's validate (the runbook frame; the role argument checks and includes before it are left out), or the
    runbook_inputs include of a playbook that does not use the frame yet."""
    ran = [(t["task"]["name"], t["hosts"]["localhost"]) for t in report["plays"][0]["tasks"]]
    for i, (name, _) in enumerate(ran):
        if REQUEST in name:
            return ran[i:]
    assert ran[0][0] == "Preflight | the extra vars are valid inputs of this runbook", [name for name, _ in ran]
    return ran[1:]


@pytest.mark.parametrize("runbook, extra_vars, message", [
    ("backup_restore", {"restore_point": "yesterday"},
     "value of restore_point must be one of: latest_restorable_time, latest_snapshot, time, got: yesterday"),
    ("deploy", {"deploy_version": "1.2.0", "deploy_sides": {"primary": True}},
     "argument 'deploy_sides' is of type dict and we were unable to convert to list"),
    ("failover_drill", {"drill_markers_count": "many", "drill_fail_over_budget": "perhaps"},
     "argument 'drill_markers_count' is of type str and we were unable to convert to int\n"
     "argument 'drill_fail_over_budget' is of type str and we were unable to convert to bool"),
])
def test_a_playbook_refuses_a_bad_extra_var_before_anything_else(runbook, extra_vars, message):
    ran = tasks(run_playbook(runbook, extra_vars))
    assert len(ran) == 1, f"tasks ran after the refusal: {[name for name, _ in ran]}"
    name, result = ran[0]
    assert REQUEST in name or VALIDATION in name, name
    assert result["failed"] and result["msg"].startswith("Validation of arguments failed:\n")
    for line in message.split("\n"):  # every bad variable named, in one message
        assert line in result["msg"]


@pytest.mark.parametrize("runbook, extra_vars", [
    # As AWX sends survey answers: multiple choices as strings, integers as numbers, multiselect as lists.
    ("failover_drill", {"confirm_drill": "sandbox", "drill_markers_count": 3, "drill_fail_over_budget": "false"}),
    ("deploy", {"deploy_version": "1.2.0", "deploy_service": "web", "deploy_sides": ["primary"]}),
])
def test_a_playbook_accepts_survey_answers_and_goes_on(runbook, extra_vars):
    ran = tasks(run_playbook(runbook, extra_vars))
    # The answers pass the argument checks; without a sandbox the run stops at the sandbox guard (the frame's request
    # check makes it too, after the arguments).
    assert not any(result.get("msg", "").startswith("Validation of arguments failed") for _, result in ran), ran
    assert ran[-1][1]["failed"] and "sandbox is not sourced" in ran[-1][1]["msg"], ran[-1]
