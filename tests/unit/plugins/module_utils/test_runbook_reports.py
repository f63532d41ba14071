# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The drill and failover reports (module_utils/runbook_reports.py): the verdicts, the RTO and RPO against their
budgets, the next steps, the messages that fail a run, and the report kept when building it fails. The cases are
those the playbooks' Jinja decided before (git show <before issue 15>:playbooks/failover_drill.yml, failover.yml)."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_reports as rr

RUN_ID = "drill-sandbox-20260131T120000"
BUDGETS = {"rto_seconds": 900, "rpo_seconds": 60}
DIFFERENCES = [{"path": "rds.replica.role", "before": "replica", "after": "primary"},
               {"path": "dns.primary", "before": "primary", "after": "dr"}]


def drill_facts(**changes):
    """The facts of a drill that failed over (cut at 12:01:00, smoke test passed 4 min 30 s later, 2 markers lost
    over 1.5 s) and failed back to an estate equal to the one before."""
    facts = {
        "environment": "sandbox", "run_id": RUN_ID, "check_mode": False, "resumed": False, "error": "", "failback_error": "",
        "run_started_at": "2026-01-31T12:00:00.000000Z",
        "state": {"run_id": RUN_ID, "outcome": "in_progress", "started_at": "2026-01-31T12:00:00.000000Z",
                  "cut_at": "2026-01-31T12:01:00.000000Z", "smoke_passed_at": "2026-01-31T12:05:30.000000Z",
                  "rpo_measured": {"rows": 2, "seconds": 1.5, "basis": "markers", "written": 8, "present": 6, "missing_seqs": [7, 8]},
                  "promotion": {"lag_at_promotion_seconds": 0.4},
                  "status_before": {"dns": {"primary": "primary"}}, "readiness": {"passed": True, "findings": []},
                  "dns_before": [{"set_identifier": "primary", "failover": "PRIMARY"}],
                  "scale_restore": {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6}, "workloads": []}},
        "readiness": {"passed": True, "findings": [], "from": "this run"},
        "budgets": dict(BUDGETS),
        "steps": [{"step": "preflight", "outcome": "ok"}, {"step": "markers", "outcome": "changed"}],
        "status_ignore": ["collected_at", "rds.replica.endpoint"],
        "status_diff": [],
        "status_after": {"dns": {"primary": "primary"}},
        "replica": {"action": "recreated"},
        "markers_purged": 8,
    }
    facts.update(changes)
    return facts


# -- the arithmetic ------------------------------------------------------------------------------------------------

def test_span_seconds_is_the_time_between_two_iso_times_to_a_tenth():
    assert rr.span_seconds("2026-01-31T12:00:00.000000Z", "2026-01-31T12:00:01.260000Z") == 1.3
    assert rr.span_seconds("2026-01-31T12:00:00Z", "2026-01-31T13:00:00+01:00") == 0.0  # the same instant
    assert rr.span_seconds("2026-01-31T23:59:00Z", "2026-02-01T00:01:00Z") == 120.0


@pytest.mark.parametrize("start, end", [(None, "2026-01-31T12:00:00Z"), ("2026-01-31T12:00:00Z", None), ("", ""), (None, None)])
def test_span_seconds_is_none_without_both_ends(start, end):
    assert rr.span_seconds(start, end) is None


@pytest.mark.parametrize("seconds, budget, expected", [
    (900, 900, True),       # the budget itself is within it
    (900.1, 900, False),
    (0, 60, True),
    ("59.5", "60", True),   # numbers as text (a templated fact) are compared as numbers
    (None, 60, None),       # nothing measured: no verdict
    (12, None, None),
])
def test_within_budget(seconds, budget, expected):
    assert rr.within_budget(seconds, budget) is expected


# -- the drill's verdict, in the order the old playbook decided it -------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    # check mode predicts, unless the run failed
    (dict(check_mode=True), rr.WOULD_DRILL),
    (dict(check_mode=True, resumed=True), rr.WOULD_FAIL_BACK),
    (dict(check_mode=True, error="x"), rr.FAILED),
    (dict(check_mode=True, error="x", failback_error="y"), rr.FAILBACK_FAILED),
    # a failback that did not finish matters most, then an estate left changed, then a failed failover part
    (dict(failback_error="y", error="x", differences=DIFFERENCES, rto_ok=False), rr.FAILBACK_FAILED),
    (dict(error="x", differences=DIFFERENCES, rto_ok=False), rr.ESTATE_CHANGED),
    (dict(error="x", rto_ok=False, rpo_ok=False), rr.FAILED),
    # a resumed run that only failed back (no measurement), else the measurement decides
    (dict(resumed=True, rto_seconds=None), rr.FAILED_BACK),
    (dict(resumed=True, rto_seconds=300.0, rto_ok=True, rpo_ok=True), rr.PASSED),
    (dict(resumed=True, rto_seconds=1000.0, rto_ok=False), rr.OVER_BUDGET),
    (dict(rto_seconds=1000.0, rto_ok=False, rpo_ok=True), rr.OVER_BUDGET),
    (dict(rto_seconds=100.0, rto_ok=True, rpo_ok=False), rr.OVER_BUDGET),
    (dict(rto_seconds=100.0, rto_ok=True, rpo_ok=True), rr.PASSED),
    # not measured (None) is not over budget
    (dict(rto_seconds=100.0, rto_ok=True, rpo_ok=None), rr.PASSED),
])
def test_drill_outcome_order(args, expected):
    call = dict(check_mode=False, resumed=False, error=None, failback_error=None, differences=[], rto_seconds=270.0, rto_ok=True, rpo_ok=True)
    call.update(args)
    assert rr.drill_outcome(**call) == expected


# -- the drill report ----------------------------------------------------------------------------------------------

def test_a_drill_within_its_budgets_passes_and_reports_its_measurements():
    report = rr.drill_report(drill_facts())
    assert report["kind"] == "drill" and report["outcome"] == rr.PASSED and report["run_id"] == RUN_ID
    assert report["error"] is None and report["failback_error"] is None and "report_error" not in report
    assert report["started_at"] == "2026-01-31T12:00:00.000000Z" and report["finished_at"].endswith("Z")
    assert report["cut_at"] == "2026-01-31T12:01:00.000000Z" and report["smoke_passed_at"] == "2026-01-31T12:05:30.000000Z"
    rto, rpo = report["rto"], report["rpo"]
    assert (rto["seconds"], rto["budget_seconds"], rto["within_budget"]) == (270.0, 900, True)
    assert rto["definition"] == rr.RTO_DRILL
    assert (rpo["rows"], rpo["seconds"], rpo["budget_seconds"], rpo["within_budget"]) == (2, 1.5, 60, True)
    assert (rpo["markers_written"], rpo["markers_present"], rpo["missing_seqs"], rpo["basis"]) == (8, 6, [7, 8], "markers")
    assert rpo["lag_at_promotion_seconds"] == 0.4
    assert report["status"] == {"compared": True, "equal": True, "ignored": ["collected_at", "rds.replica.endpoint"], "differences": []}
    assert report["status_before"] == {"dns": {"primary": "primary"}} and report["status_after"] == {"dns": {"primary": "primary"}}
    assert report["failback"] == {"dns_records": [{"set_identifier": "primary", "failover": "PRIMARY"}],
                                  "scale": {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6}, "workloads": []},
                                  "replica": {"action": "recreated"}, "markers_purged": 8}
    # the readiness recorded when the drill started wins over this run's
    assert report["readiness"] == {"passed": True, "findings": []}
    assert [s["step"] for s in report["steps"]] == ["preflight", "markers"]
    assert report["next_steps"] == []
    assert rr.drill_fail_message(report) == ""


def test_a_drill_over_its_rto_budget_fails_the_run_unless_allowed():
    facts = drill_facts()
    facts["state"]["smoke_passed_at"] = "2026-01-31T12:17:00.000000Z"  # 16 min after the cut, budget 15
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.OVER_BUDGET and report["rto"]["seconds"] == 960.0 and report["rto"]["within_budget"] is False
    assert report["rpo"]["within_budget"] is True and report["next_steps"] == []
    assert rr.drill_fail_message(report) == "Failover drill over_budget:  RTO 960.0 s (budget 900 s), RPO 1.5 s (budget 60 s)."
    assert rr.drill_fail_message(report, fail_over_budget=False) == ""


def test_a_drill_that_lost_more_than_the_rpo_budget_is_over_budget():
    facts = drill_facts()
    facts["state"]["rpo_measured"] = {"rows": 7, "seconds": "75.5", "written": 8, "present": 1, "missing_seqs": [2, 3, 4, 5, 6, 7, 8]}
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.OVER_BUDGET and report["rpo"]["within_budget"] is False and report["rto"]["within_budget"] is True
    assert "RPO 75.5 s (budget 60 s)." in rr.drill_fail_message(report)


def test_a_drill_whose_failover_part_failed_is_failed_and_says_what_to_do():
    facts = drill_facts(error="Drill | 3. promote the DR replica (lag gate): lag 120 s over the budget\n")
    facts["state"] = {k: v for k, v in facts["state"].items() if k not in ("cut_at", "smoke_passed_at", "rpo_measured", "promotion")}
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.FAILED
    assert report["error"] == "Drill | 3. promote the DR replica (lag gate): lag 120 s over the budget"  # trimmed
    assert report["rto"]["seconds"] is None and report["rto"]["within_budget"] is None and report["cut_at"] is None
    assert report["rpo"]["rows"] is None and report["rpo"]["missing_seqs"] == []
    assert report["next_steps"] == ["The failover part failed and was failed back: fix the cause and run the drill again."]
    assert rr.drill_fail_message(report) == (
        "Failover drill failed: Drill | 3. promote the DR replica (lag gate): lag 120 s over the budget "
        "The failover part failed and was failed back: fix the cause and run the drill again.")


def test_a_failback_that_did_not_finish_names_both_errors_and_the_run_to_resume():
    facts = drill_facts(error="Drill | 6. switch Route 53: throttled", failback_error="Failback | 4. re-create the replica: timeout",
                        status_diff=None, status_after={"ignored": "not compared"})
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.FAILBACK_FAILED
    assert report["status"]["compared"] is False and report["status"]["equal"] is None and report["status_after"] is None
    resume = "The failback did not finish: fix the cause and run the same command again; it resumes the failback of %s." % RUN_ID
    assert report["next_steps"] == [resume]
    assert rr.drill_fail_message(report) == ("Failover drill failback_failed: Drill | 6. switch Route 53: throttled / "
                                             "Failback | 4. re-create the replica: timeout " + resume)


def test_an_estate_left_changed_lists_the_differences():
    report = rr.drill_report(drill_facts(status_diff=DIFFERENCES))
    assert report["outcome"] == rr.ESTATE_CHANGED
    assert report["status"]["compared"] is True and report["status"]["equal"] is False and report["status"]["differences"] == DIFFERENCES
    assert report["next_steps"] == ["The estate differs from before the drill (see status.differences): put those back by hand."]
    assert rr.drill_fail_message(report) == (
        "Failover drill estate_changed:  2 status difference(s): rds.replica.role, dns.primary "
        "The estate differs from before the drill (see status.differences): put those back by hand.")


def test_a_resumed_drill_that_was_interrupted_before_its_measurement_only_fails_back():
    state = {"run_id": "drill-sandbox-20260130T090000", "outcome": "in_progress", "started_at": "2026-01-30T09:00:00.000000Z",
             "status_before": {"dns": {"primary": "primary"}}, "readiness": {"passed": False, "findings": [{"check": "dns"}]}}
    report = rr.drill_report(drill_facts(resumed=True, run_id="drill-sandbox-20260130T090000", state=state))
    assert report["outcome"] == rr.FAILED_BACK and report["resumed"] is True
    # the interrupted run's start and readiness; this run's start is kept apart
    assert report["started_at"] == "2026-01-30T09:00:00.000000Z" and report["run_started_at"] == "2026-01-31T12:00:00.000000Z"
    assert report["readiness"] == state["readiness"]
    assert report["rto"]["seconds"] is None
    assert report["next_steps"] == ["The interrupted drill drill-sandbox-20260130T090000 is failed back; run the drill again for a measurement."]
    assert rr.drill_fail_message(report) == ""  # nothing went wrong in this run


def test_a_resumed_drill_interrupted_after_its_measurement_is_judged_by_it():
    facts = drill_facts(resumed=True)
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.PASSED and report["rto"]["seconds"] == 270.0


def test_without_a_record_the_drill_reads_this_runs_start_and_readiness():
    facts = drill_facts(state=None, status_diff=None)
    without = drill_facts(status_diff=None)
    del without["state"]
    for r in (rr.drill_report(facts), rr.drill_report(without)):
        assert r["started_at"] == "2026-01-31T12:00:00.000000Z" and r["readiness"]["from"] == "this run"
        assert r["rto"]["seconds"] is None and r["failback"]["dns_records"] is None


def test_check_mode_predicts_and_measures_nothing():
    report = rr.drill_report(drill_facts(check_mode=True, status_diff=None))
    assert report["outcome"] == rr.WOULD_DRILL and report["check_mode"] is True
    assert report["rto"]["seconds"] is None and report["rto"]["within_budget"] is None
    assert report["next_steps"] == ["Check mode: nothing changed; the failback would put back what the failover part would change."]
    assert rr.drill_fail_message(report) == ""
    assert rr.drill_report(drill_facts(check_mode=True, resumed=True, status_diff=None))["outcome"] == rr.WOULD_FAIL_BACK


def test_check_mode_with_an_error_fails_with_the_check_mode_next_step():
    report = rr.drill_report(drill_facts(check_mode=True, error="Drill | 1. status before: unreachable", status_diff=None))
    assert report["outcome"] == rr.FAILED
    assert rr.drill_fail_message(report) == ("Failover drill failed: Drill | 1. status before: unreachable Check mode: nothing changed; "
                                             "the failback would put back what the failover part would change.")


def test_the_report_does_not_change_the_facts_it_is_built_from():
    facts = drill_facts(status_diff=DIFFERENCES)
    before = copy.deepcopy(facts)
    report = rr.drill_report(facts)
    report["steps"].append({"step": "extra"})
    report["status"]["differences"].append({"path": "x"})
    assert facts == before


# -- the drill report when part of it cannot be built ----------------------------------------------------------------

def test_a_report_that_cannot_be_built_keeps_the_steps_and_the_record():
    facts = drill_facts()
    del facts["budgets"]
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.REPORT_FAILED and report["report_error"] == "KeyError: 'budgets'"
    assert report["steps"] == facts["steps"] and report["state"] == facts["state"]
    assert report["rto"] == {"seconds": None, "budget_seconds": None, "within_budget": None}
    assert report["status"] == {"compared": False, "equal": None, "ignored": [], "differences": []}
    assert report["started_at"] == report["run_started_at"] == "2026-01-31T12:00:00.000000Z"
    note = ("Part of the report could not be built (KeyError: 'budgets'): the steps as they ran are in `steps` and the progress "
            "record in `state`.")
    assert report["next_steps"] == [note]
    # no verdict without the arithmetic: the run fails
    assert rr.drill_fail_message(report) == "Failover drill report_failed: KeyError: 'budgets' " + note


def test_a_record_with_a_broken_time_gives_the_fallback_report():
    facts = drill_facts(error="Drill | x: boom")
    facts["state"]["smoke_passed_at"] = "half past twelve"
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.FAILED  # the run's own error wins over the report's
    assert "half past twelve" in report["report_error"]
    assert rr.drill_fail_message(report).startswith("Failover drill failed: Drill | x: boom / BackupError: ")


def test_the_fallback_of_an_unfinished_failback_says_to_run_again():
    facts = drill_facts(error="a", failback_error="b")
    facts["budgets"] = None
    report = rr.drill_report(facts)
    assert report["outcome"] == rr.FAILBACK_FAILED and report["error"] == "a" and report["failback_error"] == "b"
    assert report["next_steps"][0].endswith("The failback did not finish: fix the cause and run the same command again.")


# -- the failover report -------------------------------------------------------------------------------------------

def failover_facts(**changes):
    facts = {
        "environment": "sandbox", "run_id": "failover-sandbox-20260131T120000", "check_mode": False, "resumed": False, "error": "",
        "started_at": "2026-01-31T12:00:00.000000Z", "first_started_at": "2026-01-31T12:00:00.000000Z",
        "cut_at": "2026-01-31T12:00:05.000000Z", "smoke_passed_at": "2026-01-31T12:08:05.500000Z", "outage_started_at": None,
        "budgets": dict(BUDGETS),
        "promotion": {"instance_id": "shop-db-dr", "lag_at_promotion_seconds": 4.0, "lag_verdict": "within", "lag_gate": {"passed": True}},
        "readiness": {"passed": True, "findings": []}, "steps": [{"step": "promote"}], "changes": ["promoted shop-db-dr"],
        "promoted_instance": {"id": "shop-db-dr"}, "dns_before": [{"set_identifier": "primary"}], "dr_region": "us-west-2",
        "replica_instance_id": "shop-db-dr", "results": {"promote": {"changed": True}},
    }
    facts.update(changes)
    return facts


def test_a_failover_that_finished_reports_its_rto_rpo_and_what_comes_next():
    report = rr.failover_report(failover_facts())
    assert report["kind"] == "failover" and report["outcome"] == "failed_over" and report["error"] is None
    assert report["rto"]["seconds"] == 480.5 and report["rto"]["within_budget"] is True and report["rto"]["since_outage_seconds"] is None
    assert report["rto"]["definition"] == rr.RTO_FAILOVER and report["rpo"]["definition"] == rr.RPO_FAILOVER
    assert report["rpo"]["estimated_seconds"] == 4.0 and report["rpo"]["within_budget"] is True and report["rpo"]["lag_gate"] == {"passed": True}
    assert report["promoted_instance"] == {"id": "shop-db-dr"} and report["changes"] == ["promoted shop-db-dr"]
    assert report["next_steps"] == ["Production runs on us-west-2. Before failing back, rebuild a read replica of shop-db-dr in the old "
                                    "primary region; the DNS records before the failover are in the report (dns_before)."]
    assert rr.failover_fail_message(report) == ""


def test_the_rto_since_the_outage_counts_whole_seconds_from_the_outage():
    report = rr.failover_report(failover_facts(outage_started_at="2026-01-31T11:58:00Z"))
    assert report["rto"]["since_outage_seconds"] == 605.0  # 11:58:00 to 12:08:05, fractions dropped as before


def test_a_lag_over_the_rpo_budget_is_reported_not_failed():
    report = rr.failover_report(failover_facts(promotion={"lag_at_promotion_seconds": 95.0, "lag_gate": {"passed": False, "override": True}}))
    assert report["outcome"] == "failed_over" and report["rpo"]["within_budget"] is False
    assert rr.failover_fail_message(report) == ""


def test_a_failover_without_a_promotion_has_no_rpo_estimate():
    report = rr.failover_report(failover_facts(promotion=None))
    assert report["rpo"]["estimated_seconds"] is None and report["rpo"]["within_budget"] is None and report["rpo"]["lag_gate"] is None


def test_a_failed_failover_says_to_run_it_again():
    report = rr.failover_report(failover_facts(error="Failover | scale the DR node group: timeout \n", smoke_passed_at=None))
    assert report["outcome"] == "failed" and report["error"] == "Failover | scale the DR node group: timeout"
    assert report["rto"]["seconds"] is None and report["rto"]["within_budget"] is None
    fix = "Fix the cause, then run the same command again: done steps are skipped and the RTO clock keeps this run's cut."
    assert report["next_steps"] == [fix]
    assert rr.failover_fail_message(report) == "Failover failed: Failover | scale the DR node group: timeout " + fix


def test_a_failover_in_check_mode_predicts():
    report = rr.failover_report(failover_facts(check_mode=True, outage_started_at="2026-01-31T11:58:00Z"))
    assert report["outcome"] == "would_fail_over" and report["next_steps"] == []
    assert report["rto"]["seconds"] is None and report["rto"]["since_outage_seconds"] is None
    assert rr.failover_fail_message(report) == ""


def test_a_failover_report_that_cannot_be_built_keeps_each_steps_result():
    facts = failover_facts()
    del facts["budgets"]
    report = rr.failover_report(facts)
    assert report["outcome"] == "failed_over" and report["report_error"] == "KeyError: 'budgets'"
    assert report["results"] == {"promote": {"changed": True}} and report["dns_before"] == [{"set_identifier": "primary"}]
    assert report["steps"] == [] and report["rto"]["seconds"] is None
    assert report["next_steps"][0].startswith("Part of the report could not be built (KeyError: 'budgets'): the results of each step are in `results`.")
    assert rr.failover_fail_message(report) == ""  # the failover itself went through

    failed = rr.failover_report(dict(facts, error="boom"))
    assert failed["outcome"] == "failed" and failed["next_steps"][0].endswith("Fix the cause, then run the same command again.")
    assert rr.failover_fail_message(failed).startswith("Failover failed: boom Part of the report could not be built")


# -- progress records and what the reports show of the steps ---------------------------------------------------------

PROMOTE_RESULT = {"changed": True, "promoted": True, "instance": {"id": "shop-db-dr", "endpoint": "shop-db-dr.example:5432"},
                  "source": "arn:aws:rds:us-east-1:123456789012:db:shop-db", "lag_at_promotion_seconds": 0.4, "lag_verdict": "within budget",
                  "lag_gate": {"passed": True}, "role_before": "replica",
                  "cloudops_step": {"step": "promote", "finished_at": "2026-01-31T12:02:10.000000Z"}}
MARKERS = [{"seq": s, "written_at": "2026-01-31T12:00:5%d.000000+00:00" % s} for s in range(1, 9)]
VERIFY_RESULT = {"rpo_rows": 2, "rpo_seconds": 1.5, "rpo_basis": "markers", "written_count": 8, "present_count": 6, "missing_seqs": [7, 8],
                 "newest_present_at": "2026-01-31T12:00:56.000000+00:00", "in_recovery": False}


def test_a_promotion_is_kept_as_the_record_needs_it():
    assert rr.promotion(PROMOTE_RESULT) == {"instance_id": "shop-db-dr", "lag_at_promotion_seconds": 0.4, "lag_verdict": "within budget",
                                            "lag_gate": {"passed": True}, "available_at": "2026-01-31T12:02:10.000000Z"}
    # found promoted already (a resumed failover): nothing promoted by this call
    assert rr.promotion(dict(PROMOTE_RESULT, promoted=False, changed=False)) is None
    assert rr.promotion(None) is None


def test_the_rpo_measured_is_kept_with_the_last_marker_written():
    assert rr.rpo_measured(VERIFY_RESULT, MARKERS) == {"stores": [], "rows": 2, "seconds": 1.5, "basis": "markers", "written": 8,
                                                       "present": 6, "missing_seqs": [7, 8], "newest_present_at": "2026-01-31T12:00:56.000000+00:00",
                                                       "last_written_at": "2026-01-31T12:00:58.000000+00:00", "in_recovery": False}
    # not read (check mode skips the read): nothing measured
    assert rr.rpo_measured({"skipped": True}, MARKERS) is None and rr.rpo_measured(None, None) is None


def test_the_drill_record_through_its_phases_feeds_the_report():
    started = {"run_id": RUN_ID, "environment": "sandbox", "outcome": "in_progress", "phase": "started",
               "started_at": "2026-01-31T12:00:00.000000Z", "status_before": {"dns": {"primary": "primary"}}}
    facts = {"operation": "drill", "state": started, "steps": [{"step": "status_before"}, {"step": "markers"}],
             "cut_at": "2026-01-31T12:01:00.000000Z", "smoke_passed_at": "2026-01-31T12:05:30.000000Z",
             "promote_result": PROMOTE_RESULT, "markers": {"markers": MARKERS}, "verify_result": VERIFY_RESULT}
    measured = rr.progress_record(facts, "failed_over")
    assert measured["outcome"] == "in_progress" and measured["phase"] == "failed_over" and measured["run_id"] == RUN_ID
    assert measured["cut_at"] == "2026-01-31T12:01:00.000000Z" and measured["smoke_passed_at"] == "2026-01-31T12:05:30.000000Z"
    assert measured["promotion"]["lag_at_promotion_seconds"] == 0.4 and measured["markers_written"] == MARKERS
    assert measured["rpo_measured"]["rows"] == 2 and measured["steps"] == facts["steps"]
    assert started["phase"] == "started" and "steps" not in started  # the record read is not changed

    report = rr.drill_report(drill_facts(state=measured))
    assert report["outcome"] == rr.PASSED and report["rto"]["seconds"] == 270.0 and report["rpo"]["rows"] == 2
    assert report["rpo"]["lag_at_promotion_seconds"] == 0.4

    done = rr.progress_record(dict(facts, state=measured, status_diff=[]), "failed_back")
    assert done["outcome"] == "completed" and done["phase"] == "failed_back" and done["status_diff"] == [] and done["finished_at"].endswith("Z")
    assert done["cut_at"] == measured["cut_at"]  # the measurements stay in the record


def test_the_failover_record_at_each_phase():
    facts = {"operation": "failover", "run_id": "failover-sandbox-20260131T120000", "environment": "sandbox",
             "first_started_at": "2026-01-30T08:00:00.000000Z", "started_at": "2026-01-31T12:00:00.000000Z",
             "cut_at": "2026-01-30T08:00:05.000000Z", "primary": {"instance_id": "shop-db", "region": "us-east-1"},
             "replica": {"instance_id": "shop-db-dr", "region": "us-west-2"}, "dns_before": [{"set_identifier": "primary"}],
             "promotion": {"lag_at_promotion_seconds": 3.0}, "smoke_passed_at": "2026-01-31T12:04:05.000000Z",
             "error": "Failover | 4. scale: timeout\n", "failed_step": "Failover | 4. scale"}
    started = rr.progress_record(facts, "started")
    assert started == {"run_id": "failover-sandbox-20260131T120000", "environment": "sandbox", "started_at": "2026-01-30T08:00:00.000000Z",
                       "last_run_at": "2026-01-31T12:00:00.000000Z", "cut_at": "2026-01-30T08:00:05.000000Z",
                       "primary": facts["primary"], "replica": facts["replica"], "dns_before": [{"set_identifier": "primary"}],
                       "promotion": {"lag_at_promotion_seconds": 3.0}, "outcome": "in_progress", "phase": "started"}
    assert rr.progress_record(facts, "promoted")["phase"] == "promoted"
    done = rr.progress_record(facts, "done")
    # a resumed failover's RTO runs from the first run's cut (08:00:05 the day before)
    assert done["outcome"] == "failed_over" and done["phase"] == "done" and done["rto_seconds"] == 101040.0  # 28 h 4 min
    failed = rr.progress_record(facts, "failed")
    assert failed["outcome"] == "failed" and failed["phase"] == "Failover | 4. scale" and failed["error"] == "Failover | 4. scale: timeout"
    assert rr.progress_record(dict(facts, failed_step=None), "failed")["phase"] == "failed"


def test_report_steps_show_each_outcome_as_result():
    steps = [{"step": "promote", "outcome": "changed"}, {"step": "old", "result": "ok", "outcome": "failed"}, "not a step", None]
    assert rr.report_steps(steps) == [{"step": "promote", "outcome": "changed", "result": "changed"},
                                      {"step": "old", "result": "ok", "outcome": "failed"}]
    assert rr.report_steps(None) == []
    assert rr.failover_report(failover_facts(steps=steps))["steps"][0]["result"] == "changed"


def test_primary_of_a_failover_pair():
    pair = [{"set_identifier": "dr", "failover": "SECONDARY"}, {"set_identifier": "primary", "failover": "PRIMARY"}]
    assert rr.primary_of(pair) == "primary" and rr.primary_of(pair[:1]) is None and rr.primary_of(None) is None


def test_failover_changes_say_what_changed_as_before():
    f = {"check_mode": False, "promote_result": PROMOTE_RESULT, "nodegroup_name": "shop-dr-workers",
         "nodegroup_result": {"changed": True, "before": {"min_size": 1, "desired_size": 1, "max_size": 6},
                              "after": {"min_size": 3, "desired_size": 3, "max_size": 6}},
         "workloads_result": {"workloads": [{"kind": "Deployment", "namespace": "shop", "name": "shop-blue", "before": 1, "replicas": 2, "changed": True},
                                            {"kind": "Deployment", "namespace": "shop", "name": "worker", "before": 2, "replicas": 2, "changed": False}]},
         "app_db_result": {"changed": True, "cutover": {"secret": "shop/shop-db", "previous": {"existed": True, "host": "shop-db.example", "port": "5432"},
                                                        "current": {"host": "shop-db-dr.example", "port": "5432"}, "restarted": ["shop-blue"]}},
         "record_name": "app.shop.sandbox.internal",
         "dns_result": {"changed": True, "before": [{"set_identifier": "primary", "failover": "PRIMARY"}, {"set_identifier": "dr", "failover": "SECONDARY"}],
                        "after": [{"set_identifier": "primary", "failover": "SECONDARY"}, {"set_identifier": "dr", "failover": "PRIMARY"}]}}
    assert rr.failover_changes(f) == [
        "RDS shop-db-dr promoted: no longer a read replica of arn:aws:rds:us-east-1:123456789012:db:shop-db, writable",
        "EKS node group shop-dr-workers min/desired/max 1/1/6 -> 3/3/6",
        "Deployment shop/shop-blue replicas 1 -> 2",
        "Secret shop/shop-db shop-db.example:5432 -> shop-db-dr.example:5432, restarted shop-blue",
        "Route 53 app.shop.sandbox.internal: PRIMARY primary -> dr",
    ]
    created = dict(f, check_mode=True, app_db_result={"changed": True, "cutover": {"secret": "shop/shop-db", "previous": {"existed": False},
                                                                                   "current": {"host": "h", "port": "5432"}, "restarted": []}})
    changes = rr.failover_changes(created)
    assert all(c.startswith("would: ") for c in changes) and "would: Secret shop/shop-db (created) -> h:5432" in changes
    # nothing changed (a resumed run whose steps were done): nothing listed
    assert rr.failover_changes({"promote_result": dict(PROMOTE_RESULT, changed=False), "dns_result": {"changed": False}}) == []


# -- serving_at: the RTO clock stops when the smoke test passed and the DNS change is INSYNC ------------------------------
def test_dr_serves_at_the_later_of_the_smoke_test_and_the_dns_change_being_insync():
    smoke, insync = "2026-01-31T12:00:10.000Z", "2026-01-31T12:00:12.500Z"
    assert rr.serving_at(smoke, insync) == insync
    assert rr.serving_at(insync, smoke) == insync
    # A record written before the INSYNC wait existed has none: the smoke test is the end.
    assert rr.serving_at(smoke, None) == smoke
    # No smoke test passed: DR does not serve, whatever DNS says.
    assert rr.serving_at(None, insync) is None


def test_the_failover_rto_runs_to_the_dns_change_when_it_was_insync_after_the_smoke_test():
    facts = failover_facts(cut_at="2026-01-31T12:00:00.000Z", smoke_passed_at="2026-01-31T12:00:30.000Z",
                           dns_insync_at="2026-01-31T12:00:45.000Z")
    report = rr.failover_report(facts)
    assert (report["rto"]["seconds"], report["serving_at"]) == (45.0, "2026-01-31T12:00:45.000Z")


REBUILT = {"action": "rebuilt", "found": {"exists": True, "role": "primary", "source": None}, "deleted": True, "created": True,
           "instance": {"id": "shop-db-dr", "status": "creating"}, "delete_seconds": 15.2, "changed": True,
           "started_at": "2026-01-31T12:10:00.000000+00:00", "duration_seconds": None}


def test_a_replica_created_without_a_wait_is_timed_to_when_the_status_after_saw_it_replicate():
    settled = {"replicating_at": "2026-01-31T12:10:45.500000+00:00", "waited_seconds": 41.0}
    shown = rr.replica_rebuild(REBUILT, settled)
    assert (shown["create_seconds"], shown["instance"]["status"], shown["delete_seconds"]) == (45.5, "available", 15.2)
    assert REBUILT["instance"]["status"] == "creating"  # the module's result is left as it was


def test_a_replica_waited_for_by_its_own_call_keeps_that_call_s_time():
    waited = dict(REBUILT, duration_seconds=44.0, instance={"id": "shop-db-dr", "status": "available"})
    assert rr.replica_rebuild(waited, {"replicating_at": "2026-01-31T12:11:00+00:00"})["create_seconds"] == 44.0
    assert rr.replica_rebuild(dict(REBUILT), None)["create_seconds"] is None  # not waited for, not (yet) seen replicating
    assert rr.replica_rebuild({"skipped": True}, None) is None


def test_the_failover_record_keeps_the_dr_sizes_and_hpa_bounds_its_scale_up_changed():
    nodegroup = {"changed": True, "before": {"min_size": 1, "desired_size": 1, "max_size": 6}}
    workloads = {"workloads": [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "before": 1, "replicas": 2, "changed": True,
         "autoscaler": {"name": "shop-blue", "before": {"min_replicas": 1, "max_replicas": 6}, "after": {"min_replicas": 2, "max_replicas": 6}}},
        {"kind": "Deployment", "name": "shop-worker", "namespace": "shop", "before": 0, "replicas": 2, "changed": True},
        {"kind": "Deployment", "name": "shop-cron", "namespace": "shop", "before": 1, "replicas": 1, "changed": False}]}
    assert rr.scale_restore(nodegroup, workloads) == {"nodegroup": {"min_size": 1, "desired_size": 1, "max_size": 6}, "workloads": [
        {"kind": "Deployment", "name": "shop-blue", "namespace": "shop", "replicas": 1, "autoscaler": {"min_replicas": 1, "max_replicas": 6}},
        {"kind": "Deployment", "name": "shop-worker", "namespace": "shop", "replicas": 0}]}
    assert rr.scale_restore({"changed": False}, {"workloads": []}) is None  # a resumed run changed nothing


def store(kind, resource, moment, missing, seconds):
    return {"kind": kind, "resource": resource, "moment": moment, "written_count": 8, "present_count": 8 - len(missing),
            "missing_count": len(missing), "missing_seqs": missing, "rpo_rows": len(missing), "rpo_seconds": seconds,
            "rpo_basis": "newest_present" if missing else "nothing_missing"}


def test_each_store_has_its_rpo_row_the_cache_once_promoted_the_buckets_at_the_cut():
    write = {"stores": [store("cache", "shop-cache-dr", "cut", [7, 8], 1.0), store("bucket", "assets-dr", "cut", [8], 0.5)]}
    read = dict(VERIFY_RESULT, stores=[store("cache", "shop-cache-dr", "promoted", [], 0.0)])
    rows = rr.store_rpos(write, read)
    assert [(row["kind"], row["resource"], row["moment"], row["rows"], row["seconds"]) for row in rows] == [
        ("bucket", "assets-dr", "cut", 1, 0.5), ("cache", "shop-cache-dr", "promoted", 0, 0.0)]
    assert rr.rpo_measured(read, MARKERS, write)["stores"] == rows
    assert rr.store_rpos(None, {"skipped": True}) == []


def test_a_store_over_the_rpo_budget_fails_the_drill_rpo_verdict():
    stores = [{"kind": "bucket", "resource": "assets-dr", "moment": "cut", "written": 8, "present": 0, "missing_seqs": list(range(1, 9)),
               "rows": 8, "seconds": 75.0, "basis": "none_present"}]
    facts = drill_facts()
    facts["state"]["rpo_measured"] = dict(facts["state"]["rpo_measured"], stores=stores)
    report = rr.drill_report(facts)
    assert report["rpo"]["stores"][0]["within_budget"] is False and report["rpo"]["within_budget"] is False
    assert report["outcome"] == rr.OVER_BUDGET and report["rpo"]["seconds"] == 1.5  # the database alone was within
    within = dict(stores[0], rows=0, seconds=0.0, missing_seqs=[])
    facts["state"]["rpo_measured"]["stores"] = [within]
    assert rr.drill_report(facts)["rpo"]["within_budget"] is True


def test_failover_changes_name_the_cache_and_the_secret_settings():
    f = {"check_mode": False,
         "cache_result": {"changed": True, "global_datastore_id": "qwmzn-shop-cache",
                          "previous_primary": {"region": "us-east-1", "replication_group_id": "shop-cache"},
                          "primary": {"region": "us-west-2", "replication_group_id": "shop-cache-dr"}},
         "app_db_result": {"changed": True, "cutover": {"secret": "shop/shop-db", "previous": {"existed": False},
                                                        "current": {"host": "h", "port": "5432",
                                                                    "settings": {"REDIS_HOST": "c", "ASSETS_BUCKET": "b-dr"}}}}}
    assert rr.failover_changes(f) == [
        "ElastiCache Global Datastore qwmzn-shop-cache: primary shop-cache (us-east-1) -> shop-cache-dr (us-west-2)",
        "Secret shop/shop-db (created) -> h:5432, ASSETS_BUCKET=b-dr, REDIS_HOST=c"]
    assert rr.failover_changes(dict(f, cache_result={"changed": False}))[0].startswith("Secret")
