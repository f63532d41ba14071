# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Malformed inputs of every runbook that changes the estate (and of playbooks/release_lock.yml) are refused before
the first mutating AWS call, with a message naming the variable: wrong types, unknown environments, services and
sides, negative, zero or missing budgets, times that are not times or lie outside the restorable window, canary
weights that never reach 100 %, malformed data checks, confirmations missing or naming another environment.

Each case is one real ansible-playbook run on ONE shared sandbox (they change nothing), about a second each: most are
refused by the runbook_inputs entry point or the checks right after it, before the runbook lock and any call. The
AWS calls each run made are read from the sandbox's call log (counted at the moto server) and must hold no mutating
call. The one exception is a well-formed restore time outside the restorable window: only the API knows the window,
so the run reads it under the runbook lock; its only mutating calls are the lock's own (taken, then released).

Cases already covered elsewhere are not repeated here: tests/integration/test_deploy_playbook.py and
test_backup_playbooks.py (bad deploy and restore requests), test_failover_playbooks.py (prod without its
confirmation), tests/awx/test_runbook_inputs.py (a wrong type or choice for every option)."""

from __future__ import annotations

import copy
import json
import re
import sys

import pytest
import yaml

from conftest import REPO, flat, sandbox_client

INVENTORY = REPO / "inventories" / "sandbox" / "group_vars" / "all"
ESTATE = yaml.safe_load((INVENTORY / "estate.yml").read_text())
FAILOVER = yaml.safe_load((INVENTORY / "failover.yml").read_text())["cloudops_failover"]
LOCK = ESTATE["cloudops_lock"]
LOCK_CALLS = ["dynamodb:PutItem", "dynamodb:DeleteItem"]  # the runbook lock taken and released, in this order

CONFIRMING = dict(FAILOVER, require_confirmation=True)  # the sandbox as prod: confirmations required
FORCE_CONFIRMING = dict(LOCK, require_confirmation=True)


def canary_steps(steps):
    """cloudops_services with the catalog service's canary steps (the weights on the new colour, step by step)."""
    services = copy.deepcopy(ESTATE["cloudops_services"])
    catalog = [s for s in services if s["name"] == "catalog"][0]
    catalog["canary"] = dict(catalog["canary"], steps=steps)
    return services


def web_strategy(strategy):
    services = copy.deepcopy(ESTATE["cloudops_services"])
    services[0]["strategy"] = strategy
    return services


def canary_pause(seconds):
    """cloudops_services with the catalog service's pause between canary steps."""
    services = copy.deepcopy(ESTATE["cloudops_services"])
    catalog = [s for s in services if s["name"] == "catalog"][0]
    catalog["canary"] = dict(catalog["canary"], pause_seconds=seconds)
    return services


def backup_settings(**changes):
    """cloudops_backup with some settings replaced (retention=..., copy=..., restore=...)."""
    return dict(copy.deepcopy(ESTATE["cloudops_backup"]), **changes)


def retention(**changes):
    return backup_settings(retention=dict(ESTATE["cloudops_backup"]["retention"], **changes))


def markers_table(table):
    return dict(FAILOVER, drill=dict(FAILOVER["drill"], markers=dict(FAILOVER["drill"]["markers"], table=table)))


MISSING_DIR = "/nonexistent-cloudops-dir/report.json"
INFINITY = float("inf")  # json.dumps writes Infinity, which Ansible's extra-vars JSON reader reads back as inf (1e400)


class Case(object):
    def __init__(self, playbook, extra_vars, variable, message, inventory="inventories/sandbox", under_lock=False):
        self.playbook, self.extra_vars, self.variable, self.message = playbook, extra_vars, variable, message
        self.inventory, self.under_lock = inventory, under_lock


V = "1.2.0"
CASES = {
    # -- deploy --------------------------------------------------------------------------------------------------------
    "deploy: blank version": Case("deploy", {"deploy_version": "   "}, "deploy_version", "No version: give the version to ship"),
    "deploy: null version": Case("deploy", {"deploy_version": None}, "deploy_version", "deploy_version null is not a version"),
    "deploy: mapping as version": Case("deploy", {"deploy_version": {"tag": "1.2"}}, "deploy_version", 'deploy_version {"tag": "1.2"} is not a version'),
    "deploy: list as version": Case("deploy", {"deploy_version": ["1.2.0"]}, "deploy_version", 'deploy_version ["1.2.0"] is not a version'),
    "deploy: number as version": Case("deploy", {"deploy_version": 1.1}, "deploy_version", "deploy_version 1.1 is not a version: give it as a string"),
    "deploy: boolean as version": Case("deploy", {"deploy_version": True}, "deploy_version", "deploy_version true is not a version"),
    "deploy: version with a space": Case("deploy", {"deploy_version": "1.2 beta"}, "deploy_version",
                                         'deploy_version "1.2 beta" is not a version: letters, digits and . _ + - only'),
    "deploy: version with a path": Case("deploy", {"deploy_version": "../1.2"}, "deploy_version", 'deploy_version "../1.2" is not a version'),
    "deploy: version missing": Case("deploy", {}, "deploy_version", "missing required arguments: deploy_version",
                                    inventory="inventories/prod"),
    "deploy: unknown service": Case("deploy", {"deploy_version": V, "deploy_service": "WEB"}, "deploy_service",
                                    "Unknown service WEB (deploy_service): cloudops_services declares web, catalog."),
    "deploy: list as service": Case("deploy", {"deploy_version": V, "deploy_service": ["web"]}, "deploy_service",
                                    'deploy_service is one service name (a string), got ["web"]'),
    "deploy: string as sides": Case("deploy", {"deploy_version": V, "deploy_sides": "primary,moon"}, "deploy_sides",
                                    'deploy_sides must be a list of side names'),
    "deploy: number as sides": Case("deploy", {"deploy_version": V, "deploy_sides": 3}, "deploy_sides", "deploy_sides must be a list of side names"),
    "deploy: nested sides": Case("deploy", {"deploy_version": V, "deploy_sides": [["primary"]]}, "deploy_sides",
                                 'deploy_sides lists side names (strings), got [["primary"]]'),
    "deploy: canary weights short of 100": Case("deploy", {"deploy_version": V, "cloudops_services": canary_steps([10, 50, 90])},
                                                "canary.steps", "canary.steps [10, 50, 90] must be whole percentages above 0, strictly increasing, ending at 100"),
    "deploy: canary weights over 100": Case("deploy", {"deploy_version": V, "cloudops_services": canary_steps([10, 50, 110])},
                                            "canary.steps", "canary.steps [10, 50, 110] must be"),
    "deploy: canary weight of 0": Case("deploy", {"deploy_version": V, "cloudops_services": canary_steps([0, 100])},
                                       "canary.steps", "canary.steps [0, 100] must be whole percentages above 0"),
    "deploy: fractional canary weight": Case("deploy", {"deploy_version": V, "cloudops_services": canary_steps([25.5, 100])}, "steps",
                                             "Elements value for option 'steps' found in 'deploy_preflight_services -> canary' is of type float"),
    "deploy: no canary weights": Case("deploy", {"deploy_version": V, "cloudops_services": canary_steps([])},
                                      "canary.steps", "strategy canary needs canary.steps"),
    "deploy: unknown strategy": Case("deploy", {"deploy_version": V, "cloudops_services": web_strategy("purple")},
                                     "strategy", "value of strategy must be one of: bluegreen, canary, rolling, got: purple"),
    "deploy: version with a trailing newline": Case("deploy", {"deploy_version": "1.2.0\n"}, "deploy_version",
                                                    'deploy_version "1.2.0\\n" is not a version: letters, digits and . _ + - only'),
    "deploy: whole number as version": Case("deploy", {"deploy_version": 2}, "deploy_version",
                                            "deploy_version 2 is not a version: give it as a string"),
    "deploy: boolean word as version": Case("deploy", {"deploy_version": "True"}, "deploy_version",
                                            'deploy_version "True" reads as a YAML boolean, not a version'),
    "deploy: negative canary pause": Case("deploy", {"deploy_version": V, "cloudops_services": canary_pause(-30)}, "canary.pause_seconds",
                                          "Service catalog: canary.pause_seconds must be a number of seconds from 0 to 3600, got -30."),
    "deploy: infinite canary pause": Case("deploy", {"deploy_version": V, "cloudops_services": canary_pause(INFINITY)}, "canary.pause_seconds",
                                          "Service catalog: canary.pause_seconds must be a number of seconds from 0 to 3600, got Infinity."),
    "deploy: service name with a path": Case("deploy", {"deploy_version": V, "deploy_service": "../web"}, "deploy_service",
                                             'deploy_service "../web" is not a plain name'),
    "deploy: report directory missing": Case("deploy", {"deploy_version": V, "deploy_report_path": MISSING_DIR}, "deploy_report_path",
                                             "deploy_report_path %s: directory /nonexistent-cloudops-dir does not exist" % MISSING_DIR),
    # -- rollback ------------------------------------------------------------------------------------------------------
    "rollback: unknown service": Case("rollback", {"rollback_service": "nope"}, "rollback_service",
                                      "Unknown service nope (rollback_service): cloudops_services declares web, catalog."),
    "rollback: list as service": Case("rollback", {"rollback_service": ["web"]}, "rollback_service", "rollback_service is one service name"),
    "rollback: unknown side": Case("rollback", {"rollback_sides": ["moon"]}, "rollback_sides",
                                   "Unknown side moon (rollback_sides): cloudops_eks declares primary, dr."),
    "rollback: string as sides": Case("rollback", {"rollback_sides": "dr"}, "rollback_sides", "rollback_sides must be a list of side names"),
    "rollback: revision 0": Case("rollback", {"rollback_service": "web", "rollback_revision": 0}, "rollback_revision",
                                 "rollback_revision must be a revision number (see `helm history RELEASE`), got 0."),
    "rollback: negative revision": Case("rollback", {"rollback_service": "web", "rollback_revision": -2}, "rollback_revision",
                                        "rollback_revision must be a revision number (see `helm history RELEASE`), got -2."),
    "rollback: word as revision": Case("rollback", {"rollback_service": "web", "rollback_revision": "two"}, "rollback_revision",
                                       "argument 'rollback_revision' is of type str and we were unable to convert to int"),
    "rollback: fractional revision": Case("rollback", {"rollback_service": "web", "rollback_revision": 2.5}, "rollback_revision",
                                          "argument 'rollback_revision' is of type float and we were unable to convert to int"),
    "rollback: revision without helm": Case("rollback", {"rollback_service": "web", "rollback_revision": 3, "rollback_helm": False},
                                            "rollback_revision", "rollback_revision with rollback_helm=false: nothing would use the revision."),
    "rollback: nothing to do": Case("rollback", {"rollback_traffic": False, "rollback_helm": False}, "rollback_traffic",
                                    "rollback_traffic and rollback_helm are both false: nothing to do."),
    "rollback: word as boolean": Case("rollback", {"rollback_traffic": "sometimes"}, "rollback_traffic",
                                      "argument 'rollback_traffic' is of type str and we were unable to convert to bool"),
    "rollback: report directory missing": Case("rollback", {"rollback_report_path": MISSING_DIR}, "rollback_report_path",
                                               "rollback_report_path %s: directory /nonexistent-cloudops-dir does not exist" % MISSING_DIR),
    # -- failover ------------------------------------------------------------------------------------------------------
    "failover: confirmation missing": Case("failover", {"cloudops_failover": CONFIRMING}, "confirm_failover",
                                           "the sandbox environment requires a confirmation naming it. Run again with -e confirm_failover=sandbox"),
    "failover: confirmation in capitals": Case("failover", {"cloudops_failover": CONFIRMING, "confirm_failover": "SANDBOX"}, "confirm_failover",
                                               'The confirmation given, "SANDBOX", names another environment.'),
    "failover: confirmation of another environment": Case("failover", {"cloudops_failover": CONFIRMING, "confirm_failover": "prod"},
                                                           "confirm_failover", 'The confirmation given, "prod", names another environment.'),
    "failover: list as confirmation": Case("failover", {"cloudops_failover": CONFIRMING, "confirm_failover": ["sandbox"]},
                                           "confirm_failover", "names another environment"),
    "failover: word as lag override": Case("failover", {"failover_max_lag_override": "perhaps"}, "failover_max_lag_override",
                                           "argument 'failover_max_lag_override' is of type str and we were unable to convert to bool"),
    "failover: outage start not a time": Case("failover", {"failover_outage_started_at": "yesterday"}, "failover_outage_started_at",
                                              'failover_outage_started_at "yesterday" is not a UTC time in ISO 8601'),
    "failover: outage start in the future": Case("failover", {"failover_outage_started_at": "2999-01-01T00:00:00Z"},
                                                 "failover_outage_started_at", "failover_outage_started_at 2999-01-01T00:00:00Z is in the future"),
    "failover: outage start as epoch": Case("failover", {"failover_outage_started_at": 1769860800}, "failover_outage_started_at",
                                            'failover_outage_started_at "1769860800" is not a UTC time in ISO 8601'),
    "failover: outage start not in UTC": Case("failover", {"failover_outage_started_at": "2026-01-31T11:58:00+02:00"},
                                              "failover_outage_started_at", "is not a UTC time in ISO 8601"),
    "failover: negative RPO budget": Case("failover", {"cloudops_budgets": {"rpo_seconds": -60, "rto_seconds": 900}},
                                          "cloudops_budgets.rpo_seconds", "cloudops_budgets.rpo_seconds must be a positive number of seconds, got -60."),
    "failover: missing RTO budget": Case("failover", {"cloudops_budgets": {"rpo_seconds": 60}}, "cloudops_budgets.rto_seconds",
                                         "cloudops_budgets.rto_seconds is missing"),
    "failover: word as RPO budget": Case("failover", {"cloudops_budgets": {"rpo_seconds": "a minute", "rto_seconds": 900}},
                                         "cloudops_budgets.rpo_seconds", 'cloudops_budgets.rpo_seconds must be a positive number of seconds, got "a minute".'),
    "failover: list as budgets": Case("failover", {"cloudops_budgets": [60, 900]}, "cloudops_budgets",
                                      "cloudops_budgets must be a mapping {rpo_seconds: N, rto_seconds: N}, got [60, 900]."),
    "failover: outage start on a day that does not exist": Case("failover", {"failover_outage_started_at": "2026-02-30T10:00:00Z"},
                                                                "failover_outage_started_at",
                                                                'failover_outage_started_at "2026-02-30T10:00:00Z" is not a time that exists'),
    "failover: outage start in year 0": Case("failover", {"failover_outage_started_at": "0000-01-01T00:00:00Z"}, "failover_outage_started_at",
                                             'failover_outage_started_at "0000-01-01T00:00:00Z" is not a time that exists'),
    "failover: infinite RPO budget": Case("failover", {"cloudops_budgets": {"rpo_seconds": INFINITY, "rto_seconds": 900}},
                                          "cloudops_budgets.rpo_seconds",
                                          "cloudops_budgets.rpo_seconds must be a positive number of seconds, got Infinity."),
    "failover: empty environment": Case("failover", {"cloudops_environment": ""}, "cloudops_environment",
                                        'cloudops_environment "" is not a plain name'),
    "failover: environment with a path": Case("failover", {"cloudops_environment": "../../tmp/evidence"}, "cloudops_environment",
                                              'cloudops_environment "../../tmp/evidence" is not a plain name'),
    "failover: report directory missing": Case("failover", {"failover_report_path": MISSING_DIR}, "failover_report_path",
                                               "failover_report_path %s: directory /nonexistent-cloudops-dir does not exist" % MISSING_DIR),
    # -- failover drill ------------------------------------------------------------------------------------------------
    "drill: confirmation of another environment": Case("failover_drill", {"cloudops_failover": CONFIRMING, "confirm_drill": "dev"},
                                                       "confirm_drill", 'The confirmation given, "dev", names another environment.'),
    "drill: empty confirmation": Case("failover_drill", {"cloudops_failover": CONFIRMING, "confirm_drill": ""}, "confirm_drill",
                                      "Run again with -e confirm_drill=sandbox"),
    "drill: one marker": Case("failover_drill", {"drill_markers_count": 1}, "drill_markers_count",
                              "drill_markers_count must be between 2 and 1000"),
    "drill: negative markers": Case("failover_drill", {"drill_markers_count": -5}, "drill_markers_count", "got -5."),
    "drill: markers for a day": Case("failover_drill", {"drill_markers_count": 100000}, "drill_markers_count", "got 100000."),
    "drill: fractional markers": Case("failover_drill", {"drill_markers_count": 2.5}, "drill_markers_count",
                                      "argument 'drill_markers_count' is of type float and we were unable to convert to int"),
    "drill: number as boolean": Case("failover_drill", {"drill_fail_over_budget": 2}, "drill_fail_over_budget",
                                     "argument 'drill_fail_over_budget' is of type int and we were unable to convert to bool"),
    "drill: zero RTO budget": Case("failover_drill", {"cloudops_budgets": {"rpo_seconds": 60, "rto_seconds": 0}},
                                   "cloudops_budgets.rto_seconds", "cloudops_budgets.rto_seconds must be a positive number of seconds, got 0."),
    "drill: infinite RTO budget": Case("failover_drill", {"cloudops_budgets": {"rpo_seconds": 60, "rto_seconds": INFINITY}},
                                       "cloudops_budgets.rto_seconds", "cloudops_budgets.rto_seconds must be a positive number of seconds, got Infinity."),
    "drill: markers table that is not an identifier": Case("failover_drill", {"cloudops_failover": markers_table("markers; DROP TABLE orders")},
                                                           "cloudops_failover.drill.markers.table",
                                                           'cloudops_failover.drill.markers.table "markers; DROP TABLE orders" is not a plain SQL identifier'),
    "drill: quoted markers table": Case("failover_drill", {"cloudops_failover": markers_table('"Markers"')},
                                        "cloudops_failover.drill.markers.table", "is not a plain SQL identifier"),
    "drill: report directory missing": Case("failover_drill", {"drill_report_path": MISSING_DIR}, "drill_report_path",
                                            "drill_report_path %s: directory /nonexistent-cloudops-dir does not exist" % MISSING_DIR),
    # -- backup --------------------------------------------------------------------------------------------------------
    "backup: underscore in snapshot id": Case("backup", {"backup_snapshot_id": "Nightly_Backup"}, "backup_snapshot_id",
                                              'backup_snapshot_id "Nightly_Backup" is not a snapshot id RDS accepts'),
    "backup: snapshot id starting with a digit": Case("backup", {"backup_snapshot_id": "1-backup"}, "backup_snapshot_id",
                                                      'backup_snapshot_id "1-backup" is not a snapshot id RDS accepts'),
    "backup: two hyphens in snapshot id": Case("backup", {"backup_snapshot_id": "shop--db"}, "backup_snapshot_id",
                                               'backup_snapshot_id "shop--db" is not a snapshot id RDS accepts'),
    "backup: snapshot id too long": Case("backup", {"backup_snapshot_id": "s" * 300}, "backup_snapshot_id", "is not a snapshot id RDS accepts: 1-255"),
    "backup: negative helm revision": Case("backup", {"backup_helm_revision": -1}, "backup_helm_revision",
                                           "backup_helm_revision must be a Helm revision (1 or more"),
    "backup: word as helm revision": Case("backup", {"backup_helm_revision": "latest"}, "backup_helm_revision",
                                          "argument 'backup_helm_revision' is of type str and we were unable to convert to int"),
    "backup: word as copy": Case("backup", {"backup_copy": "maybe"}, "backup_copy",
                                 "argument 'backup_copy' is of type str and we were unable to convert to bool"),
    "backup: list as prune": Case("backup", {"backup_prune": [True]}, "backup_prune",
                                  "argument 'backup_prune' is of type list and we were unable to convert to bool"),
    "backup: snapshot id with a trailing newline": Case("backup", {"backup_snapshot_id": "shop-db-manual\n"}, "backup_snapshot_id",
                                                        'backup_snapshot_id "shop-db-manual\\n" is not a snapshot id RDS accepts'),
    "backup: retention without tag filters": Case("backup", {"cloudops_backup": retention(tag_filters={})},
                                                  "cloudops_backup.retention.tag_filters",
                                                  "cloudops_backup.retention.tag_filters is empty: retention prunes only snapshots"),
    "backup: retention keeping none": Case("backup", {"cloudops_backup": retention(primary={"keep_last": 0})},
                                           "cloudops_backup.retention.primary.keep_last",
                                           "cloudops_backup.retention.primary.keep_last must be a whole number from 1"),
    "backup: retention of negative days": Case("backup", {"cloudops_backup": retention(dr={"keep_days": -7})},
                                               "cloudops_backup.retention.dr.keep_days",
                                               "cloudops_backup.retention.dr.keep_days must be a whole number from 1"),
    "backup: copy region that is not a region": Case("backup", {"cloudops_backup": backup_settings(copy={"region": "moon-base-1"})},
                                                     "cloudops_backup.copy.region",
                                                     'cloudops_backup.copy.region "moon-base-1" is not an AWS region name'),
    "backup: empty environment": Case("backup", {"cloudops_environment": ""}, "cloudops_environment",
                                      'cloudops_environment "" is not a plain name'),
    "backup: report directory missing": Case("backup", {"backup_report_path": MISSING_DIR}, "backup_report_path",
                                             "backup_report_path %s: directory /nonexistent-cloudops-dir does not exist" % MISSING_DIR),
    # -- restore test --------------------------------------------------------------------------------------------------
    "restore: word as time": Case("backup_restore", {"restore_time": "yesterday"}, "restore_time",
                                  'restore_time "yesterday" is not an ISO 8601 time'),
    "restore: month 13": Case("backup_restore", {"restore_time": "2026-13-01T00:00:00Z"}, "restore_time",
                              'restore_time "2026-13-01T00:00:00Z" is not an ISO 8601 time'),
    "restore: day-first time": Case("backup_restore", {"restore_time": "31/01/2026 12:00"}, "restore_time",
                                    'restore_time "31/01/2026 12:00" is not an ISO 8601 time'),
    "restore: time outside the window": Case("backup_restore", {"restore_time": "2026-01-31T12:00:00Z"}, "restore_time",
                                             "restore_time 2026-01-31T12:00:00+00:00 is outside the restorable window of shop-db",
                                             under_lock=True),
    "restore: unknown restore point": Case("backup_restore", {"restore_point": "latest"}, "restore_point",
                                           "value of restore_point must be one of: latest_restorable_time, latest_snapshot, time, got: latest"),
    "restore: underscore in instance id": Case("backup_restore", {"restore_instance_id": "restore_db"}, "restore_instance_id",
                                               "Instance id restore_db is not valid"),
    "restore: instance id too long": Case("backup_restore", {"restore_instance_id": "r" * 70}, "restore_instance_id",
                                          "is not valid: 1-63 letters, digits and hyphens"),
    "restore: string as checks": Case("backup_restore", {"restore_checks": "select 1"}, "restore_checks",
                                      "Elements value for option 'restore_checks' is of type str and we were unable to convert to dict"),
    "restore: mapping as checks": Case("backup_restore", {"restore_checks": {"name": "x"}}, "restore_checks",
                                       "argument 'restore_checks' is of type dict and we were unable to convert to list"),
    "restore: check of no kind": Case("backup_restore", {"restore_extra_checks": [{"name": "rows"}]}, "restore_extra_checks",
                                      "restore_extra_checks: check 'rows' must have exactly one of row_count, checksum, newest, sql (it has none)"),
    "restore: check that writes": Case("backup_restore", {"restore_extra_checks": [{"name": "wipe", "sql": "DELETE FROM orders", "expect": 0}]},
                                       "restore_extra_checks", "restore_extra_checks: check 'wipe': sql must be one read-only query"),
    "restore: check without a name": Case("backup_restore", {"restore_extra_checks": [{"row_count": {"table": "orders", "min": 1}}]},
                                          "restore_extra_checks", "restore_extra_checks: check #1 has no name"),
    "restore: check without expectation": Case("backup_restore", {"restore_checks": [{"name": "n", "sql": "SELECT 1"}]},
                                               "restore_checks", "restore_checks: check 'n': sql checks need expect"),
    "restore: cleanup with a cutover": Case("backup_restore", {"restore_cleanup_instance": "shop-db-restore-x", "restore_cutover": True},
                                            "restore_cleanup_instance", "restore_cleanup_instance deletes an instance; run it on its own"),
    "restore: word as keep": Case("backup_restore", {"restore_keep": "perhaps"}, "restore_keep",
                                  "argument 'restore_keep' is of type str and we were unable to convert to bool"),
    "restore: day that does not exist": Case("backup_restore", {"restore_time": "2026-02-30T12:00:00Z"}, "restore_time",
                                             'restore_time "2026-02-30T12:00:00Z" is not a time that exists'),
    "restore: instance id with a trailing newline": Case("backup_restore", {"restore_instance_id": "shop-db-restore-x\n"}, "restore_instance_id",
                                                         'Instance id "shop-db-restore-x\\n" is not valid'),
    "restore: check with two statements": Case("backup_restore",
                                               {"restore_extra_checks": [{"name": "two", "sql": "SELECT 1; SELECT 2", "expect": 1}]},
                                               "restore_extra_checks", "restore_extra_checks: check 'two': sql must be exactly one SELECT statement"),
    "restore: report directory missing": Case("backup_restore", {"restore_report_path": MISSING_DIR}, "restore_report_path",
                                              "restore_report_path %s: directory /nonexistent-cloudops-dir does not exist" % MISSING_DIR),
    # -- status (read-only, but its evidence is written under the environment's name) ----------------------------------
    "status: environment with a path": Case("status", {"cloudops_environment": "sandbox/../../escape"}, "cloudops_environment",
                                            'cloudops_environment "sandbox/../../escape" is not a plain name'),
    "status: infinite RPO budget": Case("status", {"cloudops_budgets": {"rpo_seconds": INFINITY, "rto_seconds": 900}},
                                        "cloudops_budgets.rpo_seconds",
                                        "cloudops_budgets.rpo_seconds must be a positive number of seconds, got Infinity."),
    # -- explicit lock release -----------------------------------------------------------------------------------------
    "release lock: word as force": Case("release_lock", {"lock_force": "maybe"}, "lock_force", 'lock_force must be true or false (got "maybe")'),
    "release lock: forced without confirmation": Case("release_lock", {"lock_force": True, "cloudops_lock": FORCE_CONFIRMING},
                                                      "confirm_release_lock", "requires a confirmation naming it. Run again with -e confirm_release_lock=sandbox"),
    "release lock: confirmation of another environment": Case("release_lock", {"lock_force": True, "cloudops_lock": FORCE_CONFIRMING,
                                                                               "confirm_release_lock": "prod"},
                                                              "confirm_release_lock", 'The confirmation given, "prod", names another environment.'),
    # -- an environment that does not exist ----------------------------------------------------------------------------
    "unknown environment: deploy": Case("deploy", {"deploy_version": V}, "cloudops_environment",
                                        "Missing estate variables: cloudops_environment, cloudops_lock", inventory="inventories/qa"),
    "unknown environment: rollback": Case("rollback", {}, "cloudops_environment", "Missing estate variables: cloudops_environment", inventory="inventories/qa"),
    "unknown environment: failover": Case("failover", {}, "cloudops_environment", "Missing estate variables: cloudops_environment", inventory="inventories/qa"),
    "unknown environment: drill": Case("failover_drill", {}, "cloudops_environment", "Missing estate variables: cloudops_environment",
                                       inventory="inventories/qa"),
    "unknown environment: backup": Case("backup", {}, "cloudops_environment", "Missing estate variables: cloudops_environment", inventory="inventories/qa"),
    "unknown environment: restore": Case("backup_restore", {}, "cloudops_environment", "Missing estate variables: cloudops_environment",
                                         inventory="inventories/qa"),
}


def test_there_are_at_least_fifty_cases_and_every_mutating_runbook_has_some():
    assert len(CASES) >= 50
    assert set(case.playbook for case in CASES.values()) == {"deploy", "rollback", "failover", "failover_drill", "backup",
                                                            "backup_restore", "release_lock", "status"}


@pytest.fixture(scope="module")
def call_log(sandbox):
    """The sandbox's AWS call log (sandbox.knobs.api_calls), emptied first."""
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from sandbox import knobs

    sb = knobs.Sandbox(sandbox["state"])
    knobs.api_calls(sb, reset=True)
    return lambda: knobs.api_calls(sb, reset=True)["calls"]


def lock_item(sandbox):
    found = sandbox_client(sandbox, "dynamodb", LOCK["region"]).get_item(
        TableName=LOCK["table_name"], Key={"lock_id": {"S": "sandbox"}}, ConsistentRead=True)
    return found.get("Item")


# The defects of issue 14 that let a malformed input through, each kept in `make test`.
REGRESSIONS = {
    "deploy: version with a trailing newline", "deploy: boolean as version", "deploy: boolean word as version",
    "deploy: negative canary pause", "deploy: infinite canary pause", "failover: outage start on a day that does not exist",
    "failover: outage start in year 0", "failover: infinite RPO budget", "failover: empty environment",
    "failover: environment with a path", "drill: markers table that is not an identifier", "backup: empty environment",
    "backup: snapshot id with a trailing newline", "restore: check with two statements",
    "restore: instance id with a trailing newline", "restore: day that does not exist",
}


def selection():
    """Every case; `make test` runs the first of each (runbook, variable) and the regressions, `make integration-long`
    the others too (each case is one ansible-playbook run)."""
    first = {}
    for name in sorted(CASES):
        first.setdefault((CASES[name].playbook, CASES[name].variable), name)
    kept = set(first.values()) | REGRESSIONS
    assert REGRESSIONS <= set(CASES), REGRESSIONS - set(CASES)
    return [pytest.param(name, marks=[] if name in kept else [pytest.mark.long]) for name in sorted(CASES)]


@pytest.mark.parametrize("name", selection())
def test_a_malformed_input_is_refused_before_any_mutating_call_naming_the_variable(name, sandbox, run_playbook, call_log):
    case = CASES[name]
    call_log()  # whatever ran before is not this case's
    proc, _ = run_playbook("playbooks/%s.yml" % case.playbook, inventory=case.inventory, env=sandbox["env"],
                           extra_vars=dict(case.extra_vars, cloudops_run_dir_root=""))
    out = flat(proc.stdout + " " + proc.stderr)
    calls = call_log()
    assert proc.returncode != 0, "%s was not refused:\n%s" % (name, proc.stdout[-4000:])
    assert case.message in out, "%s: expected %r in:\n%s" % (name, case.message, out[-3000:])
    assert re.search(r"(?<![\w.])%s(?![\w])" % re.escape(case.variable), out), "%s: the message does not name %s" % (name, case.variable)
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", proc.stdout), "%s: something changed" % name
    mutating = ["%s:%s" % (c["service"], c["operation"]) for c in calls if c["mutating"]]
    if case.under_lock:
        # Refused once the API said where the window is: the only writes are the runbook lock's, released again.
        assert mutating == LOCK_CALLS, "%s: mutating calls %s" % (name, mutating)
        assert lock_item(sandbox) is None
    else:
        assert mutating == [], "%s: mutating calls before the refusal: %s" % (name, mutating)


def test_the_cases_leave_no_lock_behind(sandbox):
    assert lock_item(sandbox) is None, json.dumps(lock_item(sandbox))


def test_an_unknown_rollback_revision_is_refused_before_any_traffic_change(fresh_sandbox, run_playbook, call_log):
    """Defect 6 of issue 14: the revision is checked against `helm history` before the traffic is touched."""
    proc, _ = run_playbook("playbooks/deploy.yml", env=fresh_sandbox["env"],
                           extra_vars={"deploy_version": V, "deploy_service": "web", "deploy_sides": ["primary"], "cloudops_run_dir_root": ""})
    assert proc.returncode == 0, proc.stdout[-4000:]
    call_log()
    proc, _ = run_playbook("playbooks/rollback.yml", env=fresh_sandbox["env"],
                           extra_vars={"rollback_service": "web", "rollback_revision": 99999999999, "cloudops_run_dir_root": ""})
    out = flat(proc.stdout + " " + proc.stderr)
    mutating = ["%s:%s" % (c["service"], c["operation"]) for c in call_log() if c["mutating"]]
    assert proc.returncode != 0, proc.stdout[-4000:]
    assert "Rollback refused, nothing changed." in out and "revision 99999999999 does not exist" in out, out[-3000:]
    assert re.search(r"(?<![\w.])rollback_revision(?![\w])", out), out[-3000:]
    assert re.search(r"localhost\s*:\s*ok=\d+\s+changed=0\s", proc.stdout), proc.stdout[-3000:]
    # The runbook lock's own writes only (taken, perhaps renewed, released): no ModifyListener, no other change.
    assert [call for call in mutating if not call.startswith("dynamodb:")] == [], mutating
