# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook frame's checks before the lock and any call (module_utils/runbook_request.py, end of the file): the
estate variables each runbook needs, the confirmation naming the environment, the run id, and the failover settings'
problems refused with the request. The cases are those the playbooks' preflight tasks and roles/failover_preflight
decided before issue 15."""

from __future__ import annotations

import copy
import datetime

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request as rr

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)

# The `__<runbook>_required` lists of the playbooks before issue 15: an inventory without one of these is refused.
REQUIRED_BEFORE = {
    "status": ["cloudops_environment", "cloudops_eks", "cloudops_rds", "cloudops_alb", "cloudops_dns", "cloudops_helm", "cloudops_budgets"],
    "deploy": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_services"],
    "rollback": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_services"],
    "failover": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_rds", "cloudops_dns", "cloudops_budgets", "cloudops_failover"],
    "failover_drill": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_rds", "cloudops_alb", "cloudops_dns", "cloudops_helm",
                       "cloudops_budgets", "cloudops_db", "cloudops_failover"],
    "failback": ["cloudops_environment", "cloudops_lock", "cloudops_eks", "cloudops_rds", "cloudops_alb", "cloudops_dns", "cloudops_helm",
                 "cloudops_budgets", "cloudops_db", "cloudops_failover"],
    "backup": ["cloudops_environment", "cloudops_lock", "cloudops_regions", "cloudops_rds", "cloudops_backup"],
    "backup_restore": ["cloudops_environment", "cloudops_lock", "cloudops_rds", "cloudops_db", "cloudops_backup"],
    "release_lock": ["cloudops_environment", "cloudops_lock"],
}


# -- the estate ----------------------------------------------------------------------------------------------------

def test_every_runbook_needs_the_estate_it_needed_before():
    assert set(rr.ESTATE) == set(rr.RUNBOOKS)
    assert rr.ESTATE == REQUIRED_BEFORE


@pytest.mark.parametrize("runbook", sorted(REQUIRED_BEFORE))
def test_a_complete_inventory_misses_nothing(runbook):
    defined = dict((name, {}) for name in REQUIRED_BEFORE[runbook])
    defined["unrelated_var"] = 1
    assert rr.missing_estate(runbook, defined) == []


def test_the_missing_ones_are_named_in_the_runbooks_order():
    defined = {"cloudops_environment": "prod", "cloudops_rds": {}, "cloudops_helm": {}, "cloudops_db": None}  # None is defined
    assert rr.missing_estate("failover_drill", defined) == ["cloudops_lock", "cloudops_eks", "cloudops_alb", "cloudops_dns", "cloudops_budgets",
                                                            "cloudops_failover"]
    assert rr.missing_estate("failover", {}) == REQUIRED_BEFORE["failover"]
    # the failover reads cloudops_alb only when a name uses {colour}: it is not required
    assert "cloudops_alb" not in rr.missing_estate("failover", {})


def test_the_missing_estate_message_names_them_and_the_inventory_to_use():
    message = rr.missing_estate_message(["cloudops_lock", "cloudops_failover"])
    assert message.startswith("Missing estate variables: cloudops_lock, cloudops_failover. Run with an inventory")
    assert "`-i inventories/sandbox`" in message and "inventories/<env>/group_vars/all/" in message


def test_an_unknown_runbook_has_no_estate():
    with pytest.raises(KeyError):
        rr.missing_estate("deploy_everything", {})


# -- the confirmation ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runbook, what, variable", [("failover", "Failover", "confirm_failover"), ("failover_drill", "Failover drill", "confirm_drill")])
def test_a_failover_or_drill_without_the_confirmation_is_refused_before_any_call(runbook, what, variable):
    assert rr.confirmation_problem(runbook, "prod", True, "") == (
        "%s refused before any AWS call, nothing changed: the prod environment requires a confirmation naming it. Run again with "
        "-e %s=prod (in AWX: answer the survey question %s)." % (what, variable, variable))
    assert rr.confirmation_problem(runbook, "prod", True, None) == rr.confirmation_problem(runbook, "prod", True, "")


def test_a_confirmation_naming_another_environment_says_so():
    message = rr.confirmation_problem("failover", "prod", True, "staging")
    assert message.endswith('(in AWX: answer the survey question confirm_failover). The confirmation given, "staging", names another environment.')


@pytest.mark.parametrize("given", ["prod", " prod ", "prod\n"])
def test_the_confirmation_naming_the_environment_lets_the_run_go_on(given):
    assert rr.confirmation_problem("failover_drill", "prod", True, given) is None


@pytest.mark.parametrize("given", ["Prod", "production", "prod-eu"])
def test_only_the_exact_name_confirms(given):
    assert rr.confirmation_problem("failover", "prod", True, given) is not None


@pytest.mark.parametrize("required", [False, "false", "no", "off", 0])
def test_no_confirmation_where_the_inventory_does_not_require_it(required):
    assert rr.confirmation_problem("failover", "sandbox", required, "") is None


@pytest.mark.parametrize("required", [True, "true", "yes", None])  # the default is to require it
def test_the_confirmation_is_required_by_default(required):
    assert rr.confirmation_problem("failover", "sandbox", required, "") is not None


@pytest.mark.parametrize("runbook", ["status", "deploy", "rollback", "backup", "backup_restore"])
def test_other_runbooks_need_no_confirmation(runbook):
    assert rr.confirmation_problem(runbook, "prod", True, "") is None


# -- the run id ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("runbook, expected", [
    ("failover_drill", "drill-prod-20260131T120509"),
    ("failover", "failover-prod-20260131T120509"),
    ("backup", "backup-prod-20260131T120509"),
    ("backup_restore", "backup_restore-prod-20260131T120509"),
    ("deploy", "deploy-prod-20260131T120509"),
])
def test_run_ids_are_the_runbook_the_environment_and_the_start_to_the_second(runbook, expected):
    assert rr.run_id(runbook, "prod", "2026-01-31T12:05:09.123456Z") == expected


# -- the failover settings, refused with the request ----------------------------------------------------------------

EKS = {"dr": {"region": "us-west-2", "cluster_name": "shop-dr", "nodegroup_name": "shop-dr-workers"}}
RDS = {"primary": {"region": "us-east-1", "instance_id": "shop-db"}, "replica": {"region": "us-west-2", "instance_id": "shop-db-dr"}}
ALB = {"dr": {"load_balancer_name": "shop-dr-alb", "listener_port": 80, "target_groups": {"blue": "b", "green": "g"}}}
SETTINGS = {"record": {"namespace": "shop"},
            "dr_scale": {"namespace": "shop", "nodegroup": {"min_size": 3, "desired_size": 3, "max_size": 6},
                         "workloads": [{"name": "shop-{colour}", "replicas": 2}]},
            "smoke_test": {"namespace": "shop", "job": {"name": "smoke", "image": "busybox", "env": {"SMOKE_TARGET": "shop-{colour}"}}},
            "drill": {"markers": {"count": 8, "table": "cloudops_drill_markers"}}}
BUDGETS = {"rpo_seconds": 60, "rto_seconds": 900}


def request(runbook, **changes):
    values = {"cloudops_environment": "sandbox", "cloudops_failover": copy.deepcopy(SETTINGS), "cloudops_eks": EKS, "cloudops_rds": RDS,
              "cloudops_alb": ALB, "cloudops_budgets": BUDGETS}
    values.update(changes)
    return rr.problems(runbook, values, now=NOW)


@pytest.mark.parametrize("runbook", ["failover", "failover_drill"])
def test_complete_failover_settings_pass(runbook):
    assert request(runbook) == []


@pytest.mark.parametrize("runbook", ["failover", "failover_drill"])
def test_failover_settings_problems_are_refused_with_the_request(runbook):
    settings = copy.deepcopy(SETTINGS)
    settings["smoke_test"] = {"namespace": "shop"}
    settings["dr_scale"]["nodegroup"] = {"min_size": 4, "desired_size": 3, "max_size": 6}
    found = request(runbook, cloudops_failover=settings, cloudops_rds={"primary": RDS["primary"]}, cloudops_alb={})
    assert found == [
        "cloudops_rds.replica needs region and instance_id.",
        "cloudops_failover.dr_scale.nodegroup: min_size 4 <= desired_size 3 <= max_size 6 does not hold.",
        "cloudops_failover.smoke_test needs a job or an http check: the smoke test passing on DR ends the RTO clock.",
        "A name uses {colour}, the DR active colour, but cloudops_alb.dr (load_balancer_name, listener_port, target_groups) is missing.",
    ]
    assert rr.refusal(runbook, found).startswith("%s refused, nothing changed. cloudops_rds.replica needs" % rr.TITLES[runbook])


def test_the_failover_reads_the_dr_load_balancer_only_for_colour():
    settings = copy.deepcopy(SETTINGS)
    settings["dr_scale"]["workloads"] = [{"name": "shop", "replicas": 2}]
    settings["smoke_test"]["job"]["env"] = {}
    values = {"cloudops_failover": settings, "cloudops_eks": EKS, "cloudops_rds": RDS, "cloudops_budgets": BUDGETS}
    assert rr.problems("failover", values, now=NOW) == []
    del settings["smoke_test"]
    assert rr.problems("failover", values, now=NOW) == [
        "cloudops_failover.smoke_test needs a job or an http check: the smoke test passing on DR ends the RTO clock."]


@pytest.mark.parametrize("runbook, undefined", [("failover", "cloudops_eks"), ("failover", "cloudops_rds"), ("failover_drill", "cloudops_eks"),
                                                ("failover_drill", "cloudops_alb")])
def test_an_undefined_estate_variable_is_left_to_the_missing_estate_check(runbook, undefined):
    """Before, the inventory was refused as 'Missing estate variables: <name>' before the settings were looked at."""
    values = {"cloudops_failover": copy.deepcopy(SETTINGS), "cloudops_eks": EKS, "cloudops_rds": RDS, "cloudops_alb": ALB,
              "cloudops_budgets": BUDGETS}
    del values[undefined]
    assert rr.problems(runbook, values, now=NOW) == []
    assert undefined in rr.missing_estate(runbook, values)


def test_settings_that_are_not_a_mapping_are_not_read():
    assert request("failover", cloudops_failover=None) == []
    assert request("failover_drill", cloudops_failover="oops") == []


def test_the_drill_count_given_as_an_extra_var_is_checked_with_the_settings():
    found = request("failover_drill", drill_markers_count=1)
    assert len(found) == 1 and found[0].startswith("drill_markers_count must be between 2 and 1000")
    settings = copy.deepcopy(SETTINGS)
    settings["smoke_test"] = {}
    found = request("failover_drill", drill_markers_count=1, cloudops_failover=settings)
    assert found[0].startswith("drill_markers_count") and found[1].startswith("cloudops_failover.smoke_test needs a job")


def test_the_variables_read_include_the_estate_the_settings_are_checked_with():
    for runbook in ("failover", "failover_drill"):
        names = rr.variables(runbook)
        assert {"cloudops_failover", "cloudops_eks", "cloudops_rds", "cloudops_alb"} <= set(names)


# -- release_lock: its extra vars, and the confirmation only a forced release or an abandon needs ---------------------------
@pytest.mark.parametrize("values, problem", [
    ({"lock_force": "maybe"}, 'lock_force must be true or false (got "maybe").'),
    ({"lock_abandon": "two words"}, "lock_abandon must be the run id of the unfinished run to abandon"),
    ({"lock_abandon": "drill-prod\n"}, "lock_abandon must be the run id of the unfinished run to abandon"),
    ({"confirm_release_lock": 3}, "confirm_release_lock must be the environment's name (got 3)."),
])
def test_a_lock_release_refuses_extra_vars_that_cannot_be_right(values, problem):
    found = rr.problems("release_lock", values)
    assert len(found) == 1 and found[0].startswith(problem), found


def test_a_lock_release_accepts_what_awx_and_the_command_line_send():
    for values in ({}, {"lock_force": True}, {"lock_force": "false"}, {"lock_abandon": "drill-prod-20260131T120000"},
                   {"confirm_release_lock": "prod"}):
        assert rr.problems("release_lock", values) == [], values


def test_only_a_forced_release_or_an_abandon_needs_the_confirmation():
    assert rr.confirmation_problem("release_lock", "prod", True, "", {}) is None
    forced = rr.confirmation_problem("release_lock", "prod", True, "", {"lock_force": "true"})
    assert forced.startswith("Forced release of the runbook lock refused before any AWS call") and "-e confirm_release_lock=prod" in forced
    abandon = rr.confirmation_problem("release_lock", "prod", True, "staging", {"lock_abandon": "drill-prod-1"})
    assert abandon.startswith("Abandon of an unfinished run refused") and 'The confirmation given, "staging", names another environment.' in abandon
    assert rr.confirmation_problem("release_lock", "prod", True, "prod", {"lock_force": True}) is None
    assert rr.confirmation_problem("release_lock", "dev", False, "", {"lock_force": True}) is None
