# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A one-region estate (docs/one-region.md): its shape (module_utils/status.py), the status report of it, and the
refusal of the runbooks that need a DR side (module_utils/runbook_request.py)."""

from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import runbook_request as rr
from ansible_collections.cloudops.runbooks.plugins.module_utils import status

REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}
EKS = {"primary": {"region": "us-east-1", "cluster_name": "p"}, "dr": {"region": "us-west-2", "cluster_name": "d"}}
RDS = {"primary": {"region": "us-east-1", "instance_id": "db"}, "replica": {"region": "us-west-2", "instance_id": "db-dr"}}
ALB = {"primary": {"region": "us-east-1", "load_balancer_name": "p"}, "dr": {"region": "us-west-2", "load_balancer_name": "d"}}
ONE = {"cloudops_regions": {"primary": "us-east-1"}, "cloudops_eks": {"primary": EKS["primary"]},
       "cloudops_rds": {"primary": RDS["primary"]}, "cloudops_alb": {"primary": ALB["primary"]}}
TWO = {"cloudops_regions": REGIONS, "cloudops_eks": EKS, "cloudops_rds": RDS, "cloudops_alb": ALB}


def test_the_sides_of_an_estate():
    assert status.estate_sides(EKS, RDS, ALB) == {"sides": ("primary", "dr"), "rds_sides": ("primary", "replica")}
    assert status.estate_sides({"primary": EKS["primary"], "dr": None}, {"primary": RDS["primary"], "replica": None}, {"primary": {}}) == {
        "sides": ("primary",), "rds_sides": ("primary",)}


def test_dr_gaps_name_each_missing_piece_and_judge_only_what_is_given():
    assert status.dr_gaps(REGIONS, EKS, RDS, ALB, failover={}) == []
    assert status.dr_gaps(ONE["cloudops_regions"], ONE["cloudops_eks"], ONE["cloudops_rds"], ONE["cloudops_alb"]) == [
        "cloudops_regions.dr", "cloudops_eks.dr", "cloudops_rds.replica", "cloudops_alb.dr",
        "cloudops_failover (its dns: the Route 53 failover pair)"]
    assert status.dr_gaps(eks=ONE["cloudops_eks"], check_failover=False) == ["cloudops_eks.dr"]


@pytest.mark.parametrize("values", [TWO, ONE, {}, {"cloudops_eks": EKS}])
def test_a_whole_dr_side_or_none_is_no_problem(values):
    assert status.half_dr_problems(*(values.get(k) for k in ("cloudops_regions", "cloudops_eks", "cloudops_rds", "cloudops_alb"))) == []


def test_a_half_declared_dr_side_is_named():
    problems = status.half_dr_problems(ONE["cloudops_regions"], EKS, ONE["cloudops_rds"], None)
    assert problems == ["The DR side is half declared: cloudops_eks.dr is given but cloudops_regions.dr, cloudops_rds.replica are not. "
                        "Declare all of them (two regions) or none (a one-region estate, docs/one-region.md)."]


def test_the_status_request_refuses_a_half_declared_dr_side_and_passes_one_region():
    assert rr.problems("status", dict(ONE, cloudops_budgets={"rpo_seconds": 300, "rto_seconds": 3600})) == []
    assert rr.problems("status", dict(TWO, cloudops_budgets={"rpo_seconds": 60, "rto_seconds": 900})) == []
    found = rr.problems("status", dict(ONE, cloudops_rds=RDS))
    assert len(found) == 1 and found[0].startswith("The DR side is half declared: cloudops_rds.replica is given")


@pytest.mark.parametrize("runbook,title", [("failover", "Failover"), ("failover_drill", "Failover drill"), ("failback", "Failback")])
def test_failover_drill_and_failback_are_refused_on_a_one_region_estate_naming_what_is_missing(runbook, title):
    # What these runbooks' request checks read (runbook_request.VARIABLES): not cloudops_regions.
    values = dict((name, value) for name, value in ONE.items() if name in rr.variables(runbook))
    found = rr.problems(runbook, dict(values, cloudops_budgets={"rpo_seconds": 60, "rto_seconds": 900}))
    assert found == [
        "No DR side declared: cloudops_eks.dr, cloudops_rds.replica, cloudops_alb.dr, cloudops_failover (its dns: the Route 53 failover "
        "pair) are missing. %s needs a DR region with its EKS cluster, load balancer, RDS read replica and a Route 53 failover pair; "
        "a one-region estate runs status, deploy, rollback, backup and restore tests only (docs/one-region.md)." % title]
    assert rr.refusal(runbook, found).startswith("%s refused, nothing changed. No DR side declared: " % title)


def test_the_dr_refusal_comes_before_the_failover_settings_are_judged():
    # Failover settings that would be refused on their own are not judged: the missing DR side is the one problem.
    found = rr.problems("failover", dict(ONE, cloudops_failover={"dr_scale": "nonsense"}))
    assert len(found) == 1 and "cloudops_failover" not in found[0].split("missing")[0].split(": ", 1)[1]


def test_a_two_region_estate_is_not_refused_for_its_dr_side():
    assert rr.no_dr_problems("failover", TWO) == [] and rr.no_dr_problems("status", ONE) == [] and rr.no_dr_problems("deploy", ONE) == []


def test_a_one_region_status_report_shows_the_simple_record_and_no_replica():
    reads = {"eks": {"primary": {"region": "us-east-1", "exists": True, "cluster": {"name": "p", "status": "ACTIVE"}, "nodegroups": []}},
             "rds": {"primary": {"instance_id": "db", "region": "us-east-1", "role": "standalone", "status": "available"}},
             "alb": {}, "helm": {},
             "dns": {"zone_id": "Z1", "records": [], "weighted_records": [], "health_checks": {},
                     "other_records": [{"type": "CNAME", "value": "p.elb", "ttl": 60, "set_identifier": None, "failover": None,
                                        "weight": None, "health_check_id": None},
                                       {"type": "TXT", "value": "\"v=spf1\"", "ttl": 300}],
                     "failover": {"primary": None, "secondary": None, "primary_healthy": None, "serving": "none"}}}
    report = status.build_report(reads, {"environment": "one", "dns": {"record_name": "app.one"}})
    assert report["dns"]["serving"] == "PRIMARY" and [r["value"] for r in report["dns"]["simple_records"]] == ["p.elb"]
    table = status.status_table(report)
    assert "DNS  app.one -> simple record, no failover pair (one region)" in table and "SIMPLE  -    p.elb  60" in table
    assert "one region, no DR replica" in status.step_summary(report)["detail"]


def test_a_two_region_report_has_no_simple_records_key():
    reads = {"dns": {"zone_id": "Z1", "records": [{"failover": "PRIMARY", "set_identifier": "primary", "value": "p"}],
                     "weighted_records": [], "health_checks": {}, "other_records": [],
                     "failover": {"primary": "primary", "secondary": "dr", "primary_healthy": True, "serving": "PRIMARY"}}}
    assert "simple_records" not in status.build_report(reads, {"dns": {"record_name": "app"}})["dns"]


def test_a_one_region_backup_copies_nowhere_prunes_its_region_and_says_why():
    from ansible_collections.cloudops.runbooks.plugins.module_utils import backup_runbook as br

    settings = {"tags": {"managed-by": "cloudops.runbooks"},
                "retention": {"tag_filters": {"managed-by": "cloudops.runbooks"}, "primary": {"keep_last": 3}}}
    plan = br.backup_plan(settings, {"primary": RDS["primary"]}, {"primary": "us-east-1"}, {}, "2026-01-31T12:00:00.000000Z")
    assert plan["problems"] == [] and plan["copy_region"] == ""
    assert plan["copy_skipped"] == "one region: no cloudops_regions.dr, no cloudops_backup.copy.region"
    assert [(t["name"], t["region"]) for t in plan["retention_targets"]] == [("primary", "us-east-1")]
    report = br.backup_report(plan, "one", False, {"snapshot": {"id": "s1", "changed": True, "status": "available"}, "copy": None},
                              [], plan["started_at"], plan["started_at"])
    assert "copy     none (one region: no cloudops_regions.dr, no cloudops_backup.copy.region)" in br.backup_lines(report)
    # Nor does the request check ask for a DR retention policy.
    assert rr.problems("backup", {"cloudops_backup": settings, "cloudops_regions": {"primary": "us-east-1"}}) == []
    # A copy asked for elsewhere still happens (copy.region), with its retention.
    plan = br.backup_plan(dict(settings, copy={"region": "us-west-2"}), {"primary": RDS["primary"]}, {"primary": "us-east-1"}, {},
                          "2026-01-31T12:00:00.000000Z")
    assert plan["copy_region"] == "us-west-2" and plan["copy_skipped"] == ""
