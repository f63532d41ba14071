# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime
import os

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request as rr

NOW = datetime.datetime(2026, 3, 1, 12, 0, tzinfo=datetime.timezone.utc)
INF = float("inf")


def problems(runbook, cwd=".", **values):
    return rr.problems(runbook, values, now=NOW, cwd=cwd)


# -- times ---------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["2026-01-31T11:58:00Z", "2026-01-31T11:58:00.123Z", "2026-01-31T11:58:00+00:00", "2026-02-28T23:59:59"])
def test_real_past_utc_times_pass(value):
    assert rr.time_problem("t", value, NOW, utc_only=True) is None


@pytest.mark.parametrize("value", ["2026-02-30T10:00:00Z", "0000-01-01T00:00:00Z", "2026-04-31T00:00:00Z", "2025-02-29T00:00:00Z"])
def test_days_that_do_not_exist_are_refused(value):
    assert "is not a time that exists" in rr.time_problem("t", value, NOW, utc_only=True)


def test_a_time_before_1970_is_refused():
    assert "before 1970" in rr.time_problem("t", "0001-01-01T00:00:00Z", NOW)


@pytest.mark.parametrize("value", ["yesterday", "2026-13-01T00:00:00Z", "2026-01-31T24:00:00Z", "31/01/2026 12:00", "2026-01-31T11:58:00Z\n x"])
def test_what_is_not_a_time_is_refused(value):
    assert "is not an ISO 8601 time" in rr.time_problem("restore_time", value, NOW)


@pytest.mark.parametrize("value", ["2026-01-31T11:58:00+02:00", "2026-01-31", "2026-01-31 11:58:00Z", "2026-01-31T11:58Z"])
def test_utc_only_wants_the_full_utc_form_the_report_reads(value):
    assert "is not a UTC time in ISO 8601" in rr.time_problem("failover_outage_started_at", value, NOW, utc_only=True)


def test_future_is_refused_where_it_must_have_happened():
    assert "is in the future (now 2026-03-01T12:00:00Z)" in rr.time_problem("t", "2026-03-01T12:00:01Z", NOW)
    assert rr.time_problem("t", "2026-03-01T12:00:01Z", NOW, past=False) is None


def test_a_time_with_an_offset_is_converted_before_the_future_check():
    assert rr.time_problem("t", "2026-03-01T13:30:00+02:00", NOW) is None  # 11:30 UTC
    assert rr.parse_time("2026-03-01T13:30+0200") == datetime.datetime(2026, 3, 1, 11, 30, tzinfo=datetime.timezone.utc)


# -- versions, names, identifiers ----------------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["1.2.0", "v1.2.0-rc.1+build5", "2026.01.31", "latest"])
def test_versions_pass(value):
    assert rr.version_problem("deploy_version", value) is None


@pytest.mark.parametrize("value, words", [
    ("1.2.0\n", "letters, digits and . _ + - only"), ("1.2 beta", "letters, digits"), ("../1.2", "letters, digits"),
    (True, "give it as a string"), (2, "give it as a string"), (1.1, "give it as a string"), (None, "give it as a string"),
    ({"tag": "1"}, "give it as a string"), (["1.2"], "give it as a string"), ("True", "reads as a YAML boolean"),
    ("no", "reads as a YAML boolean"), ("   ", "No version"),
])
def test_versions_refused(value, words):
    assert words in rr.version_problem("deploy_version", value)


def test_a_trailing_newline_shows_in_the_message():
    assert 'deploy_version "1.2.0\\n" is not a version' in rr.version_problem("deploy_version", "1.2.0\n")


@pytest.mark.parametrize("value", ["", "/", "..", "a/b", "../prod", "prod\n", "pro d", "-x", "x" * 64, None, 3])
def test_plain_names_refuse_paths_and_empties(value):
    assert "is not a plain name" in rr.plain_name_problem("cloudops_environment", value)


@pytest.mark.parametrize("value", ["prod", "sandbox", "eu-prod_2", "a.b"])
def test_plain_names_pass(value):
    assert rr.plain_name_problem("cloudops_environment", value) is None


@pytest.mark.parametrize("value", ["cloudops_drill_markers", "ops.markers", "_m1"])
def test_sql_identifiers_pass(value):
    assert rr.sql_identifier_problem("t", value) is None


@pytest.mark.parametrize("value", ["markers; DROP TABLE orders", '"Markers"', "Markers", "1markers", "a.b.c", "m\n", "", "m-1", None])
def test_sql_identifiers_refused(value):
    assert "is not a plain SQL identifier" in rr.sql_identifier_problem("t", value)


@pytest.mark.parametrize("value, ok", [("us-east-1", True), ("eu-central-2", True), ("us-gov-west-1", True), ("cn-north-1", True),
                                       ("us-isob-east-1", True), ("moon-base-1", False), ("us-east-1\n", False), ("US-EAST-1", False),
                                       ("", False), ("us-east", False), (1, False)])
def test_regions(value, ok):
    assert (rr.region_problem("r", value) is None) == ok


@pytest.mark.parametrize("value, ok", [("shop-db", True), ("s", True), ("shop-db\n", False), ("shop--db", False), ("shop-", False),
                                       ("1shop", False), ("shop_db", False), ("s" * 63, True), ("s" * 64, False)])
def test_instance_ids(value, ok):
    assert (rr.rds_id_problem("restore_instance_id", value) is None) == ok


def test_instance_id_message_names_the_variable():
    assert rr.rds_id_problem("restore_instance_id", "restore_db").startswith("Instance id restore_db is not valid")
    assert '"shop\\n"' in rr.rds_id_problem("restore_instance_id", "shop\n")


# -- numbers -------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [INF, -INF, float("nan"), True, "a minute", None, [1], "1e400x"])
def test_numbers_must_be_finite_numbers(value):
    assert rr.number_problem("n", value, minimum=0) is not None


def test_numbers_in_range_and_whole():
    assert rr.number_problem("n", 5, minimum=0, maximum=10) is None
    assert rr.number_problem("n", "5", minimum=0) is None  # -e n=5 is a string
    assert rr.number_problem("n", -30, minimum=0) == "n must be a number from 0, got -30."
    assert rr.number_problem("n", 2.5, minimum=1, integer=True) == "n must be a whole number from 1, got 2.5."
    assert rr.number_problem("n", 0, above=0) == "n must be a number above 0, got 0."
    assert rr.number_problem("n", INF, above=0, what="a positive number of seconds") == "n must be a positive number of seconds, got Infinity."
    assert rr.number_problem("n", "1e400", above=0) is not None  # a string that reads as Infinity


# -- report paths --------------------------------------------------------------------------------------------------

def test_report_paths(tmp_path):
    assert rr.report_path_problem("p", "", str(tmp_path)) is None
    assert rr.report_path_problem("p", str(tmp_path / "r.json"), "/") is None
    assert rr.report_path_problem("p", "r.json", str(tmp_path)) is None
    assert "does not exist" in rr.report_path_problem("p", str(tmp_path / "missing" / "r.json"), "/")
    assert "is a directory" in rr.report_path_problem("p", str(tmp_path), "/")
    assert "is not a file path" in rr.report_path_problem("p", "r.json\n", str(tmp_path))


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere")
def test_report_path_in_a_read_only_directory(tmp_path):
    locked = tmp_path / "ro"
    locked.mkdir(mode=0o500)
    assert "is not writable" in rr.report_path_problem("p", str(locked / "r.json"), "/")


# -- SQL checks ----------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("sql, count", [
    ("SELECT 1", 1), ("SELECT 1;", 1), ("SELECT 1; SELECT 2", 2), ("SELECT ';' AS x", 1), ('SELECT 1 AS "a;b"', 1),
    ("SELECT 1 -- ; DELETE\n", 1), ("SELECT /* ; */ 1", 1), ("SELECT $$;$$", 1), ("SELECT $q$ ; $q$", 1), ("SELECT 'it''s;'", 1),
    ("SELECT 1;\n-- nothing after\n", 1), ("SELECT 1; DELETE FROM orders", 2),
])
def test_sql_statements(sql, count):
    assert len(rr.sql_statements(sql)) == count


def test_sql_checks_refuse_two_statements_and_what_data_checks_refuses():
    two = [{"name": "two", "sql": "SELECT 1; SELECT 2", "expect": 1}]
    assert rr.sql_check_problems("restore_extra_checks", two) == [
        "restore_extra_checks: check 'two': sql must be exactly one SELECT statement, found 2 (\"SELECT 1; SELECT 2\"): run one query per check."]
    assert "sql must be one read-only query" in rr.sql_check_problems("restore_extra_checks", [{"name": "w", "sql": "DELETE FROM x", "expect": 0}])[0]
    assert rr.sql_check_problems("c", [{"name": "ok", "sql": "SELECT count(*) FROM orders;", "expect": 0}]) == []
    assert "must be a list of checks" in rr.sql_check_problems("c", "select 1")[0]
    assert "max_age_seconds" in rr.sql_check_problems("c", [{"name": "n", "newest": {"table": "t", "column": "c", "max_age_seconds": INF}}])[0]


# -- retention and backup settings ---------------------------------------------------------------------------------

GOOD_BACKUP = {
    "tags": {"managed-by": "cloudops.runbooks"},
    "retention": {"tag_filters": {"managed-by": "cloudops.runbooks"}, "primary": {"keep_last": 3}, "dr": {"keep_last": 2, "keep_days": 7}},
}
REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}


def with_retention(**changes):
    return dict(GOOD_BACKUP, retention=dict(GOOD_BACKUP["retention"], **changes))


def test_good_backup_passes():
    assert problems("backup", cloudops_backup=GOOD_BACKUP, cloudops_regions=REGIONS, cloudops_environment="prod") == []


@pytest.mark.parametrize("backup, words", [
    (with_retention(tag_filters={}), "cloudops_backup.retention.tag_filters is empty"),
    (with_retention(primary={"keep_last": 0}), "cloudops_backup.retention.primary.keep_last must be a whole number from 1"),
    (with_retention(dr={"keep_days": -7}), "cloudops_backup.retention.dr.keep_days must be a whole number from 1"),
    (with_retention(dr={"keep_days": INF}), "cloudops_backup.retention.dr.keep_days must be a whole number from 1"),
    (with_retention(dr={}), "cloudops_backup.retention.dr: give keep_days, keep_last or both."),
    (with_retention(dr=None), "No retention for the dr region"),
    (dict(GOOD_BACKUP, copy={"region": "moon-base-1"}), 'cloudops_backup.copy.region "moon-base-1" is not an AWS region name'),
    (dict(GOOD_BACKUP, copy={"region": "us-west-2\n"}), "cloudops_backup.copy.region"),
    (dict(GOOD_BACKUP, wait_timeout=-1), "cloudops_backup.wait_timeout must be"),
])
def test_backup_settings_refused(backup, words):
    found = problems("backup", cloudops_backup=backup, cloudops_regions=REGIONS)
    assert any(words in p for p in found), found


def test_retention_is_not_checked_without_pruning_and_dr_not_without_a_copy():
    assert problems("backup", cloudops_backup=with_retention(tag_filters={}), cloudops_regions=REGIONS, backup_prune=False) == []
    assert problems("backup", cloudops_backup=with_retention(dr=None), cloudops_regions=REGIONS, backup_copy="false") == []


def test_backup_snapshot_id_and_revision():
    assert problems("backup", backup_snapshot_id="Nightly-Backup") == []  # lower-cased by the playbook
    assert 'backup_snapshot_id "shop-db\\n" is not a snapshot id RDS accepts' in problems("backup", backup_snapshot_id="shop-db\n")[0]
    assert "backup_helm_revision must be a Helm revision (1 or more" in problems("backup", backup_helm_revision=-1)[0]


# -- per runbook ---------------------------------------------------------------------------------------------------

def test_every_runbook_checks_the_environment_and_its_report_path(tmp_path):
    for runbook in rr.RUNBOOKS:
        report = rr.REPORT_PATHS[runbook]
        if report is None:  # release_lock writes no report
            assert rr.problems(runbook, {"cloudops_environment": ""}, now=NOW)[0].startswith('cloudops_environment "" is not a plain name')
            continue
        found = rr.problems(runbook, {"cloudops_environment": "", report: str(tmp_path / "no" / "r.json")}, now=NOW)
        assert found[0].startswith('cloudops_environment "" is not a plain name')
        assert found[1].startswith("%s %s: directory" % (report, tmp_path / "no" / "r.json"))
        assert rr.refusal(runbook, found).startswith("%s refused, nothing changed. cloudops_environment" % rr.TITLES[runbook])


def test_undefined_variables_are_not_problems():
    for runbook in rr.RUNBOOKS:
        assert rr.problems(runbook, {}, now=NOW) == []


def test_failover():
    assert problems("failover", failover_outage_started_at="2026-02-30T10:00:00Z")[0].startswith(
        'failover_outage_started_at "2026-02-30T10:00:00Z" is not a time that exists')
    assert problems("failover", failover_outage_started_at="") == []
    assert problems("failover", cloudops_budgets={"rpo_seconds": INF, "rto_seconds": 900}) == [
        "cloudops_budgets.rpo_seconds must be a positive number of seconds, got Infinity."]
    assert problems("failover", cloudops_budgets={"rpo_seconds": 60}) == [
        "cloudops_budgets.rto_seconds is missing: give the budget in seconds (e.g. rpo_seconds: 60, rto_seconds: 900)."]
    assert problems("failover", cloudops_budgets=[60, 900]) == ["cloudops_budgets must be a mapping {rpo_seconds: N, rto_seconds: N}, got [60, 900]."]
    assert problems("failover", cloudops_budgets={"rpo_seconds": "60", "rto_seconds": 900.5}) == []


def test_failover_drill():
    settings = {"drill": {"markers": {"count": 8, "table": "cloudops_drill_markers"}}}
    assert problems("failover_drill", cloudops_failover=settings, drill_markers_count=10) == []
    bad = {"drill": {"markers": {"table": "x; DROP TABLE y"}}}
    assert "cloudops_failover.drill.markers.table" in problems("failover_drill", cloudops_failover=bad)[0]
    assert "drill_markers_count must be between 2 and 1000" in problems("failover_drill", drill_markers_count=1)[0]
    assert problems("failover_drill", drill_markers_count=100000)[0].endswith("got 100000.")


def test_deploy():
    assert problems("deploy", deploy_version="1.2.0", deploy_service="web", deploy_sides=["primary"]) == []
    assert "deploy_service \"../web\" is not a plain name" in problems("deploy", deploy_service="../web")[0]
    assert problems("deploy", deploy_service=["web"]) == ['deploy_service is one service name (a string), got ["web"].']
    assert "deploy_sides must be a list of side names" in problems("deploy", deploy_sides="primary")[0]
    assert problems("deploy", deploy_sides=[["primary"]]) == ['deploy_sides lists side names (strings), got [["primary"]].']
    services = [{"name": "catalog", "canary": {"steps": [10, 100], "pause_seconds": -30}, "smoke_test": {"timeout_seconds": INF},
                 "gates": [{"name": "5xx", "threshold": INF, "window_seconds": 0}]}]
    found = problems("deploy", cloudops_services=services)
    assert found == ["Service catalog: canary.pause_seconds must be a number of seconds from 0 to 3600, got -30.",
                     "Service catalog: smoke_test.timeout_seconds must be a number of seconds above 0, up to a day, got Infinity.",
                     "Service catalog: gates[5xx].threshold must be a finite number, got Infinity.",
                     "Service catalog: gates[5xx].window_seconds must be a number above 0, got 0."]


def test_rollback():
    assert problems("rollback", rollback_revision=99999999999, rollback_service="web") == []  # helm history says whether it exists
    assert problems("rollback", rollback_revision=0) == ["rollback_revision must be a revision number (see `helm history RELEASE`), got 0."]
    assert problems("rollback", rollback_revision=None) == []


def test_backup_restore():
    assert problems("backup_restore", restore_time="2026-02-30T12:00:00Z")[0].startswith('restore_time "2026-02-30T12:00:00Z" is not a time that exists')
    assert problems("backup_restore", restore_time="2999-01-01T00:00:00Z") == []  # outside the window: the playbook says so, with a report
    assert problems("backup_restore", restore_time="2026-01-31T12:00:00Z") == []
    assert problems("backup_restore", restore_instance_id="shop-db-restore-x\n")[0].startswith('Instance id "shop-db-restore-x\\n" is not valid')
    assert problems("backup_restore", restore_instance_id="Shop-DB-Restore") == []
    assert problems("backup_restore", restore_cleanup_instance="a_b")[0].startswith("Instance id a_b is not valid")
    assert problems("backup_restore", restore_instance_id="Shop--db")[0].startswith("Instance id shop--db is not valid")
    inventory = {"restore": {"checks": [{"name": "two", "sql": "SELECT 1; DELETE FROM x", "expect": 1}]}}
    assert "cloudops_backup.restore.checks: check 'two'" in problems("backup_restore", cloudops_backup=inventory)[0]
    assert problems("backup_restore", cloudops_backup=inventory, restore_checks=[{"name": "n", "row_count": {"table": "t", "min": 1}}]) == []


def test_unknown_runbook():
    with pytest.raises(ValueError):
        rr.problems("nope", {})
    with pytest.raises(ValueError):
        rr.variables("nope")
