# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The failover and drill plan (module_utils/failover_plan.py): what the settings must hold, {colour}, the blocking
readiness checks and their refusal, the plan's shape, and what the progress records mean. The cases are those the
Jinja of roles/failover_preflight and of the playbooks decided before issue 15."""

from __future__ import annotations

import copy

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape
from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_plan as fp

EKS = {"dr": {"region": "us-west-2", "cluster_name": "shop-dr", "nodegroup_name": "shop-dr-workers", "kubeconfig": "/k/dr", "context": "dr"}}
RDS = {"primary": {"region": "us-east-1", "instance_id": "shop-db"}, "replica": {"region": "us-west-2", "instance_id": "shop-db-dr"}}
ALB = {"dr": {"region": "us-west-2", "load_balancer_name": "shop-dr-alb", "listener_port": 80,
              "target_groups": {"blue": "shop-dr-blue", "green": "shop-dr-green"}}}
DNS = {"zone_name": "shop.sandbox.internal", "record_name": "app.shop.sandbox.internal"}
BUDGETS = {"rpo_seconds": 60, "rto_seconds": 900}


def settings(**changes):
    """cloudops_failover as the sandbox inventory gives it."""
    s = {
        "require_confirmation": False,
        "record": {"namespace": "shop"},
        "promote": {"backup_retention_period": 7, "lag_lookback_seconds": 300, "wait_timeout": 600},
        "dr_scale": {"nodegroup": {"min_size": 3, "desired_size": 3, "max_size": 6}, "nodegroup_wait_timeout": 600, "namespace": "shop",
                     "workloads": [{"name": "shop-{colour}", "replicas": 2}], "timeout_seconds": 120},
        "app_db": {"namespace": "shop", "secret_name": "shop-db", "host_key": "DB_HOST", "port_key": "DB_PORT", "create_missing": True},
        "smoke_test": {"namespace": "shop", "timeout_seconds": 60,
                       "job": {"name": "failover-smoke", "image": "busybox:1.36", "command": ["sh", "-c", "wget -qO- http://$SMOKE_TARGET/healthz"],
                               "env": {"SMOKE_TARGET": "shop-{colour}"}}},
        "drill": {"markers": {"count": 8, "table": "cloudops_drill_markers"}, "final_snapshot": False, "wait_timeout": 600},
    }
    s.update(copy.deepcopy(changes))
    return s


def no_colour():
    s = settings()
    s["dr_scale"]["workloads"] = [{"name": "shop", "replicas": 2}]
    s["smoke_test"]["job"]["env"] = {"SMOKE_TARGET": "shop"}
    return s


# -- {colour} ------------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("where", ["workload", "job env", "http url", "restart deployment"])
def test_each_name_that_can_use_colour_is_seen(where):
    s = no_colour()
    assert fp.uses_colour(s) is False
    if where == "workload":
        s["dr_scale"]["workloads"].append({"name": "api-{colour}", "replicas": 1})
    elif where == "job env":
        s["smoke_test"]["job"]["env"]["URL"] = "http://web-{colour}/"
    elif where == "http url":
        s["smoke_test"]["http"] = {"url": "http://web-{colour}.shop/healthz", "status": 200}
    else:
        s["app_db"]["restart_deployments"] = ["worker", "web-{colour}"]
    assert fp.uses_colour(s) is True


def test_uses_colour_reads_what_is_not_text_or_not_there():
    assert fp.uses_colour(None) is False and fp.uses_colour({}) is False
    s = no_colour()
    s["smoke_test"]["job"]["env"] = {"RETRIES": 3, "VERBOSE": True}
    s["dr_scale"]["workloads"].append("not a mapping")
    assert fp.uses_colour(s) is False
    assert fp.uses_colour(settings()) is True


# -- plan problems -------------------------------------------------------------------------------------------------

def test_settings_that_lack_everything_get_every_problem_in_order():
    s = settings(dr_scale={"nodegroup": {"min_size": 4, "desired_size": 2, "max_size": 6},
                           "workloads": [{"name": "web", "replicas": 1}, {"name": "api-{colour}", "replicas": 1},
                                         {"name": "web", "namespace": "shop", "replicas": 2}, {"name": "web", "replicas": 3}]},
                 smoke_test={"namespace": "shop"})
    assert fp.plan_problems(fp.FAILOVER, s, {"dr": {"region": "us-west-2"}}, {"primary": {"region": "us-east-1"}}, {}) == [
        "cloudops_eks.dr needs region, cluster_name and nodegroup_name.",
        "cloudops_rds.primary needs region and instance_id.",
        "cloudops_rds.replica needs region and instance_id.",
        "cloudops_failover.dr_scale.nodegroup: min_size 4 <= desired_size 2 <= max_size 6 does not hold.",
        "cloudops_failover.dr_scale.workloads lists web twice.",
        "cloudops_failover.dr_scale.workloads: web has no namespace (give namespace, or dr_scale.namespace).",
        "cloudops_failover.dr_scale.workloads: api-{colour} has no namespace (give namespace, or dr_scale.namespace).",
        "cloudops_failover.dr_scale.workloads: web has no namespace (give namespace, or dr_scale.namespace).",
        "cloudops_failover.smoke_test needs a job or an http check: the smoke test passing on DR ends the RTO clock.",
        "A name uses {colour}, the DR active colour, but cloudops_alb.dr (load_balancer_name, listener_port, target_groups) is missing.",
    ]


def test_complete_settings_have_no_problem():
    assert fp.plan_problems(fp.FAILOVER, settings(), EKS, RDS, ALB) == []
    assert fp.plan_problems(fp.DRILL, settings(), EKS, RDS, ALB) == []
    # without {colour} the DR load balancer is not needed
    assert fp.plan_problems(fp.FAILOVER, no_colour(), EKS, RDS, None) == []


@pytest.mark.parametrize("nodegroup, holds", [
    ({"min_size": 0, "desired_size": 0, "max_size": 0}, True),
    ({"min_size": 1, "desired_size": 3, "max_size": 3}, True),
    ({"min_size": "1", "desired_size": "2", "max_size": "6"}, True),   # numbers as text, as | int read them
    ({"min_size": -1, "desired_size": 0, "max_size": 1}, False),
    ({"min_size": 1, "desired_size": 7, "max_size": 6}, False),
    ({"min_size": 1, "desired_size": 2}, True),                        # checked only when all three are given
])
def test_nodegroup_sizes_must_be_ordered(nodegroup, holds):
    s = settings()
    s["dr_scale"]["nodegroup"] = nodegroup
    found = [p for p in fp.plan_problems(fp.FAILOVER, s, EKS, RDS, ALB) if "nodegroup" in p]
    assert (found == []) is holds


def test_a_workload_without_its_namespace_may_take_dr_scale_namespace():
    s = settings()
    s["dr_scale"]["workloads"] = [{"name": "api", "namespace": "api", "replicas": 1}, {"name": "web", "replicas": 1}]
    assert fp.plan_problems(fp.FAILOVER, s, EKS, RDS, ALB) == []
    del s["dr_scale"]["namespace"]
    assert fp.plan_problems(fp.FAILOVER, s, EKS, RDS, ALB) == [
        "cloudops_failover.dr_scale.workloads: web has no namespace (give namespace, or dr_scale.namespace)."]


def test_an_http_smoke_test_is_enough():
    s = no_colour()
    s["smoke_test"] = {"namespace": "shop", "http": {"url": "https://app.example/healthz"}}
    assert fp.plan_problems(fp.DRILL, s, EKS, RDS, ALB) == []


# -- the DR side's active colour -----------------------------------------------------------------------------------

def test_one_active_colour_among_the_target_groups_is_no_problem():
    assert fp.colour_problem(fp.FAILOVER, ALB["dr"], {"active_colour": "green", "weights": {"blue": 0, "green": 100}}) is None


@pytest.mark.parametrize("operation, what", [(fp.FAILOVER, "Failover"), (fp.DRILL, "Failover drill")])
def test_a_split_or_unknown_colour_is_refused_showing_the_weights(operation, what):
    message = fp.colour_problem(operation, ALB["dr"], {"active_colour": None, "weights": {"blue": 50, "green": 50}})
    assert message == ('%s refused, nothing changed: the DR load balancer shop-dr-alb forwards to {"blue": 50, "green": 50} (active '
                       'colour None), so {colour} in cloudops_failover names no single release. Finish or roll back the DR deploy first.' % what)
    # a colour the inventory does not know is no single release either
    assert fp.colour_problem(operation, ALB["dr"], {"active_colour": "red", "weights": {"red": 100}}) is not None
    assert fp.colour_problem(operation, ALB["dr"], None) is not None


# -- blocking checks and the refusal -------------------------------------------------------------------------------

@pytest.mark.parametrize("operation, resuming, override, expected", [
    (fp.FAILOVER, False, False, ["replica_role", "dr_cluster_active", "replica_lag"]),
    (fp.FAILOVER, False, True, ["replica_role", "dr_cluster_active"]),   # the override accepts any lag
    (fp.FAILOVER, True, False, ["dr_cluster_active"]),                   # the replica may be promoted already
    (fp.DRILL, False, False, ["replica_role", "replica_lag", "source_backups", "dr_cluster_active", "dr_nodegroup_active"]),
    (fp.DRILL, False, True, ["replica_role", "replica_lag", "source_backups", "dr_cluster_active", "dr_nodegroup_active"]),
    (fp.DRILL, True, False, []),                                         # resuming only fails back
])
def test_blocking_checks(operation, resuming, override, expected):
    assert fp.blocking_checks(operation, resuming, override) == expected


def test_given_blocking_checks_win():
    assert fp.blocking_checks(fp.DRILL, True, False, ["dns_ttl"]) == ["dns_ttl"]
    assert fp.blocking_checks(fp.FAILOVER, False, False, []) == ["replica_role", "dr_cluster_active", "replica_lag"]


def finding(check, passed, detail=""):
    return {"check": check, "passed": passed, "detail": detail}


def audit(*findings):
    failed = [f["check"] for f in findings if not f["passed"]]
    return {"passed": not failed, "failed_checks": failed, "findings": list(findings)}


def test_readiness_keeps_the_audit_and_the_blocking_checks():
    a = audit(finding("replica_role", True), finding("dns_failover_time", False, "TTL 300 s"))
    part = fp.readiness(a, ["replica_role"])
    assert part == {"passed": False, "failed_checks": ["dns_failover_time"], "findings": a["findings"], "blocking_checks": ["replica_role"],
                    "summary": "readiness findings: dns_failover_time"}  # the preflight step's detail
    assert fp.readiness(audit(finding("replica_role", True)), [])["summary"] == "readiness passed"
    empty = fp.readiness(None, [])
    assert (empty["passed"], empty["failed_checks"], empty["findings"], empty["blocking_checks"]) == (None, [], [], [])


def test_no_refusal_when_only_a_check_that_does_not_block_failed():
    part = fp.readiness(audit(finding("replica_role", True), finding("dns_failover_time", False, "TTL 300 s")),
                        fp.blocking_checks(fp.FAILOVER, False, False))
    assert fp.readiness_refusal(fp.FAILOVER, part) is None


def test_a_replica_that_is_not_one_is_refused_with_its_hint_first():
    part = fp.readiness(audit(finding("replica_role", False, "shop-db-dr is a primary"), finding("replica_lag", False, "lag unknown")),
                        fp.blocking_checks(fp.FAILOVER, False, False))
    assert fp.readiness_refusal(fp.FAILOVER, part, "The progress record says this estate already failed over.") == (
        "Failover refused, nothing changed. replica_role: shop-db-dr is a primary. replica_lag: lag unknown. "
        "The DR instance must be a read replica of the primary (after a real failover, rebuild the replica first). "
        "The progress record says this estate already failed over.")


def test_a_lagging_replica_is_refused_with_what_each_runbook_may_do():
    findings = audit(finding("replica_role", True), finding("replica_lag", False, "lag 120 s over the RPO budget 60 s"))
    failover = fp.readiness_refusal(fp.FAILOVER, fp.readiness(findings, fp.blocking_checks(fp.FAILOVER, False, False)))
    assert failover == ("Failover refused, nothing changed. replica_lag: lag 120 s over the RPO budget 60 s. Wait for the replica to catch "
                        "up, or accept losing the writes it lacks with -e failover_max_lag_override=true (when the primary region is gone "
                        "and no better copy exists).")
    drill = fp.readiness_refusal(fp.DRILL, fp.readiness(findings, fp.blocking_checks(fp.DRILL, False, False)))
    assert drill == ("Failover drill refused, nothing changed. replica_lag: lag 120 s over the RPO budget 60 s. A drill must not lose more "
                     "than the RPO budget: wait for the replica to catch up and run it again.")
    # with the override the lag does not block a failover
    assert fp.readiness_refusal(fp.FAILOVER, fp.readiness(findings, fp.blocking_checks(fp.FAILOVER, False, True))) is None


def test_a_blocking_check_without_a_hint_is_named_alone():
    part = fp.readiness(audit(finding("dr_cluster_active", False, "shop-dr is CREATING")), fp.blocking_checks(fp.DRILL, False, False))
    assert fp.readiness_refusal(fp.DRILL, part) == "Failover drill refused, nothing changed. dr_cluster_active: shop-dr is CREATING."


# -- the plan ------------------------------------------------------------------------------------------------------

def old_drill_part(plan):
    """The drill part of the plan as failover_preflight_plan had it (newer keys are tested on their own)."""
    return dict((k, plan["drill"][k]) for k in ("markers", "replica", "final_snapshot", "wait_timeout", "status_ignore"))


def test_the_plan_of_the_sandbox_with_its_active_colour():
    p = fp.plan(fp.DRILL, "sandbox", settings(), EKS, RDS, DNS, {"rpo_seconds": "60", "rto_seconds": 900}, False, "green")
    assert p["operation"] == "drill" and p["environment"] == "sandbox"
    assert p["primary"] == {"instance_id": "shop-db", "region": "us-east-1"} and p["replica"] == {"instance_id": "shop-db-dr", "region": "us-west-2"}
    assert p["budgets"] == {"rpo_seconds": 60, "rto_seconds": 900} and p["max_lag_override"] is False
    assert p["promote"] == {"backup_retention_period": 7, "lag_lookback_seconds": 300, "wait_timeout": 600}
    assert p["dr"] == {"region": "us-west-2", "cluster_name": "shop-dr", "nodegroup_name": "shop-dr-workers", "kubeconfig": "/k/dr", "context": "dr"}
    assert p["dr_colour"] == "green"
    assert p["nodegroup"] == {"min_size": 3, "desired_size": 3, "max_size": 6} and p["nodegroup_wait_timeout"] == 600
    assert p["workloads"] == [{"kind": "Deployment", "name": "shop-green", "namespace": "shop", "replicas": 2}] and p["workloads_timeout"] == 120
    assert p["app_db"] == {"namespace": "shop", "secret_name": "shop-db", "host_key": "DB_HOST", "port_key": "DB_PORT", "create_missing": True,
                           "restart_deployments": [], "restart_timeout": 600}
    assert p["dns"] == {"zone_name": "shop.sandbox.internal", "record_name": "app.shop.sandbox.internal", "dr_set_identifier": "dr", "wait_timeout": 300}
    assert p["smoke_test"] == {"side": "dr", "namespace": "shop", "kubeconfig": "/k/dr", "context": "dr", "timeout_seconds": 60,
                               "job": {"name": "failover-smoke", "image": "busybox:1.36",
                                       "command": ["sh", "-c", "wget -qO- http://$SMOKE_TARGET/healthz"], "env": {"SMOKE_TARGET": "shop-green"}}}
    assert p["record"] == {"namespace": "shop", "kubeconfig": "/k/dr", "context": "dr"}
    assert old_drill_part(p) == {"markers": {"count": 8, "table": "cloudops_drill_markers"}, "replica": {}, "final_snapshot": False,
                                 "wait_timeout": 600, "status_ignore": []}


def test_colour_is_replaced_in_every_name_that_uses_it():
    s = settings(app_db={"namespace": "shop", "secret_name": "shop-db", "restart_deployments": ["worker", "web-{colour}"]})
    s["smoke_test"]["http"] = {"url": "http://web-{colour}.shop/healthz", "status": 200}
    s["smoke_test"]["job"]["env"] = {"SMOKE_TARGET": "shop-{colour}", "RETRIES": 3}
    s["dr_scale"]["workloads"].append({"kind": "StatefulSet", "name": "cache-{colour}-{colour}", "namespace": "cache", "replicas": "1"})
    p = fp.plan(fp.FAILOVER, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue")
    assert [w["name"] for w in p["workloads"]] == ["shop-blue", "cache-blue-blue"]
    assert p["workloads"][1] == {"kind": "StatefulSet", "name": "cache-blue-blue", "namespace": "cache", "replicas": 1}
    assert p["app_db"]["restart_deployments"] == ["worker", "web-blue"]
    assert p["smoke_test"]["http"] == {"url": "http://web-blue.shop/healthz", "status": 200}
    assert p["smoke_test"]["job"]["env"] == {"SMOKE_TARGET": "shop-blue", "RETRIES": "3"}  # env values are text


def test_without_a_colour_names_are_kept_and_dr_colour_is_none():
    p = fp.plan(fp.FAILOVER, "sandbox", no_colour(), EKS, RDS, DNS, BUDGETS)
    assert p["dr_colour"] is None and p["workloads"][0]["name"] == "shop" and p["smoke_test"]["job"]["env"] == {"SMOKE_TARGET": "shop"}


def test_no_nodegroup_is_scaled_without_a_nodegroup_name():
    eks = {"dr": dict(EKS["dr"], nodegroup_name="")}
    p = fp.plan(fp.FAILOVER, "sandbox", settings(), eks, RDS, DNS, BUDGETS, colour="blue")
    assert p["nodegroup"] is None and p["dr"]["nodegroup_name"] == ""
    eks = {"dr": {k: v for k, v in EKS["dr"].items() if k != "nodegroup_name"}}
    assert fp.plan(fp.FAILOVER, "sandbox", settings(), eks, RDS, DNS, BUDGETS, colour="blue")["nodegroup"] is None
    # nor without dr_scale.nodegroup; sizes left empty are left as they are
    s = settings()
    del s["dr_scale"]["nodegroup"]
    assert fp.plan(fp.FAILOVER, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue")["nodegroup"] is None
    s["dr_scale"]["nodegroup"] = {"min_size": 2, "desired_size": None, "max_size": 6}
    assert fp.plan(fp.FAILOVER, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue")["nodegroup"] == {"min_size": 2, "max_size": 6}


def test_defaults_of_what_the_settings_leave_out():
    s = {"record": {"namespace": "ops"}, "dr_scale": {"namespace": "shop", "workloads": [{"name": "web", "replicas": 2}]},
         "smoke_test": {"namespace": "shop", "http": {"url": "https://app/healthz"}}}
    eks = {"dr": {"region": "us-west-2", "cluster_name": "shop-dr"}}
    p = fp.plan(fp.FAILOVER, "prod", s, eks, RDS, DNS, BUDGETS)
    assert p["promote"] == {"backup_retention_period": None, "lag_lookback_seconds": 300, "wait_timeout": 1800}
    assert p["dr"] == {"region": "us-west-2", "cluster_name": "shop-dr", "nodegroup_name": "", "kubeconfig": "", "context": ""}
    assert p["nodegroup"] is None and p["nodegroup_wait_timeout"] == 1800 and p["workloads_timeout"] == 600
    assert p["app_db"] is None  # no Secret to cut over
    assert p["dns"]["dr_set_identifier"] == "dr" and p["dns"]["wait_timeout"] == 300
    assert p["smoke_test"] == {"side": "dr", "namespace": "shop", "kubeconfig": "", "context": "", "timeout_seconds": 300,
                               "http": {"url": "https://app/healthz"}}
    assert old_drill_part(p) == {"markers": {"count": 10, "table": "cloudops_drill_markers"}, "replica": {}, "final_snapshot": False,
                                 "wait_timeout": 3600, "status_ignore": []}
    assert p["drill"]["markers_interval_seconds"] == 0.5
    assert p["app_db"] is None and fp.plan(fp.FAILOVER, "prod", dict(s, app_db={}), eks, RDS, DNS, BUDGETS)["app_db"] is None


def test_empty_numbers_take_their_defaults_as_default_true_did():
    s = settings(promote={"lag_lookback_seconds": 0, "wait_timeout": ""}, dns={"dr_set_identifier": "", "wait_timeout": None},
                 drill={"markers": {"count": 0, "table": ""}, "wait_timeout": 0})
    s["smoke_test"]["timeout_seconds"] = None
    p = fp.plan(fp.DRILL, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue")
    assert p["promote"]["lag_lookback_seconds"] == 300 and p["promote"]["wait_timeout"] == 1800
    assert p["dns"]["dr_set_identifier"] == "dr" and p["dns"]["wait_timeout"] == 300
    assert p["drill"]["markers"] == {"count": 10, "table": "cloudops_drill_markers"} and p["drill"]["wait_timeout"] == 3600
    assert p["smoke_test"]["timeout_seconds"] == 300


@pytest.mark.parametrize("text, expected", [(True, True), ("true", True), ("yes", True), ("True", True), ("1", True), (1, True),
                                            (False, False), ("false", False), ("no", False), ("0", False), (0, False), (None, False),
                                            ("", False)])
def test_switches_read_as_the_bool_filter_reads_them(text, expected):
    s = settings(drill={"final_snapshot": text, "replica": {"instance_class": "db.t3.micro", "multi_az": None}})
    s["app_db"]["create_missing"] = text
    p = fp.plan(fp.DRILL, "sandbox", s, EKS, RDS, DNS, BUDGETS, max_lag_override=text, colour="blue")
    assert p["max_lag_override"] is expected and p["app_db"]["create_missing"] is expected and p["drill"]["final_snapshot"] is expected
    assert p["drill"]["replica"] == {"instance_class": "db.t3.micro"}  # unset overrides are left out


def test_the_plan_does_not_change_the_settings():
    s = settings()
    before = copy.deepcopy(s)
    fp.plan(fp.DRILL, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue")
    assert s == before


def test_the_drill_writes_its_markers_as_the_database_settings_say():
    db = {"name": "shop", "ssl_mode": "disable", "ca_cert": "", "host_override": "127.0.0.1", "port_override": 0,
          "credentials": {"source": "secretsmanager", "secret_id": "shop/db/master"}}
    s = settings()
    s["drill"]["markers"]["interval_seconds"] = 1.5
    p = fp.plan(fp.DRILL, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue", db=db)
    assert p["markers_login"] == {"login_db": "shop", "ssl_mode": "disable", "login_secret_id": "shop/db/master", "login_host": "127.0.0.1"}
    assert p["drill"]["markers_interval_seconds"] == 1.5
    # the markers' own user (the runbooks' reads may use a read-only one); TLS by default; a port and CA when given
    s["drill"]["markers"]["credentials"] = {"username": "marker_writer", "password": "pw"}
    login = fp.plan(fp.DRILL, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue",
                    db=dict(db, ssl_mode="", host_override="", port_override="5433", ca_cert="/ca.pem"))["markers_login"]
    assert login == {"login_db": "shop", "ssl_mode": "require", "login_user": "marker_writer", "login_password": "pw", "port": 5433,
                     "ca_cert": "/ca.pem"}
    # a failover writes no markers
    assert fp.plan(fp.FAILOVER, "sandbox", s, EKS, RDS, DNS, BUDGETS, colour="blue", db=db)["markers_login"] is None
    assert db["credentials"] == {"source": "secretsmanager", "secret_id": "shop/db/master"}


# -- progress records ----------------------------------------------------------------------------------------------

NEW_RUN, STARTED = "drill-sandbox-20260131T120000", "2026-01-31T12:00:00.000000Z"


def records(failover=None, drill=None):
    return {fp.FAILOVER_RECORD: failover, fp.DRILL_RECORD: drill}


def test_no_records_start_a_new_run():
    for operation, run_id in ((fp.DRILL, NEW_RUN), (fp.FAILOVER, "failover-sandbox-20260131T120000")):
        p = fp.progress(operation, records(), run_id, STARTED, "us-west-2", "shop")
        assert p["refusal"] is None and p["refusal_note"] == "" and p["resumed"] is False and p["resuming"] is False
        assert p["run_id"] == run_id and p["first_started_at"] == STARTED and p["record"] is None and p["supersede_drill"] is False
    assert fp.progress(fp.DRILL, None, NEW_RUN, STARTED, "us-west-2", "shop")["run_id"] == NEW_RUN


@pytest.mark.parametrize("outcome", ["in_progress", "failed"])
def test_no_drill_while_a_failover_is_under_way(outcome):
    failover = {"run_id": "failover-sandbox-20260130T080000", "started_at": "2026-01-30T08:00:00Z", "outcome": outcome}
    p = fp.progress(fp.DRILL, records(failover=failover), NEW_RUN, STARTED, "us-west-2", "shop")
    assert p["refusal"] == ("Failover drill refused, nothing changed: the failover failover-sandbox-20260130T080000 started "
                            "2026-01-30T08:00:00Z is %s (ConfigMap shop/cloudops-failover on the DR cluster). Finish it with "
                            "playbooks/failover.yml." % outcome)


def test_a_drill_after_a_real_failover_is_refused():
    failover = {"run_id": "failover-sandbox-20260130T080000", "outcome": "failed_over"}
    p = fp.progress(fp.DRILL, records(failover=failover), NEW_RUN, STARTED, "us-west-2", "shop")
    assert p["refusal"] == ("Failover drill refused, nothing changed: the failover record says this estate failed over for real (run "
                            "failover-sandbox-20260130T080000, ConfigMap shop/cloudops-failover on the DR cluster): production runs on "
                            "us-west-2, and a drill would fail it back without the writes made there. Return to the primary region with "
                            "playbooks/failback.yml first.")
    # once failed back, a drill may run again
    back = fp.progress(fp.DRILL, records(failover=dict(failover, outcome="failed_back")), NEW_RUN, STARTED, "us-west-2", "shop")
    assert back["refusal"] is None and back["resumed"] is False


def test_an_interrupted_drill_is_resumed_under_its_own_run_id():
    drill = {"run_id": "drill-sandbox-20260130T090000", "started_at": "2026-01-30T09:00:00Z", "outcome": "in_progress"}
    p = fp.progress(fp.DRILL, records(drill=drill), NEW_RUN, STARTED, "us-west-2", "shop")
    assert p["resumed"] is True and p["resuming"] is True and p["record"] == drill
    assert p["run_id"] == "drill-sandbox-20260130T090000" and p["first_started_at"] == "2026-01-30T09:00:00Z"
    # a completed drill is history: a new one starts
    done = fp.progress(fp.DRILL, records(drill=dict(drill, outcome="completed")), NEW_RUN, STARTED, "us-west-2", "shop")
    assert done["resumed"] is False and done["run_id"] == NEW_RUN


@pytest.mark.parametrize("outcome", ["in_progress", "failed"])
def test_an_unfinished_failover_is_resumed_from_its_cut(outcome):
    failover = {"run_id": "failover-sandbox-20260130T080000", "started_at": "2026-01-30T08:00:00Z", "outcome": outcome}
    p = fp.progress(fp.FAILOVER, records(failover=failover), "failover-sandbox-20260131T120000", STARTED, "us-west-2", "shop")
    assert p["resumed"] is True and p["resuming"] is True and p["run_id"] == "failover-sandbox-20260130T080000"
    assert p["first_started_at"] == "2026-01-30T08:00:00Z" and p["supersede_drill"] is False


def test_a_failover_takes_over_a_drill_in_progress_with_fewer_checks():
    drill = {"run_id": "drill-sandbox-20260130T090000", "outcome": "in_progress"}
    p = fp.progress(fp.FAILOVER, records(drill=drill), "failover-sandbox-20260131T120000", STARTED, "us-west-2", "shop")
    assert p["supersede_drill"] is True and p["resuming"] is True and p["resumed"] is False
    assert p["run_id"] == "failover-sandbox-20260131T120000" and p["other"] == drill


def test_a_failover_after_a_finished_one_gets_the_note_naming_it():
    failover = {"run_id": "failover-sandbox-20260130T080000", "outcome": "failed_over", "smoke_passed_at": "2026-01-30T08:09:00Z"}
    p = fp.progress(fp.FAILOVER, records(failover=failover), "failover-sandbox-20260131T120000", STARTED, "us-west-2", "shop")
    assert p["resumed"] is False and p["refusal"] is None
    assert p["refusal_note"] == ("The progress record says this estate already failed over (run failover-sandbox-20260130T080000, smoke "
                                 "test passed 2026-01-30T08:09:00Z): production runs on us-west-2.")
    del failover["smoke_passed_at"]
    assert "smoke test passed ?)" in fp.progress(fp.FAILOVER, records(failover=failover), "x", STARTED, "us-west-2", "shop")["refusal_note"]


AURORA_RDS = {"engine": "aurora-postgresql", "global_cluster_id": "shop-global",
              "primary": {"region": "us-east-1", "cluster_id": "shop-aurora", "instance_ids": ["shop-aurora-1", "shop-aurora-2"]},
              "secondary": {"region": "us-west-2", "cluster_id": "shop-aurora-dr", "instance_ids": ["shop-aurora-dr-1"]}}


def test_an_aurora_plan_names_the_global_database_and_each_cluster_first_instance():
    found = fp.database_plan(AURORA_RDS)
    assert found["primary"] == {"instance_id": "shop-aurora-1", "region": "us-east-1", "cluster_id": "shop-aurora"}
    assert found["replica"] == {"instance_id": "shop-aurora-dr-1", "region": "us-west-2", "cluster_id": "shop-aurora-dr"}
    assert found["aurora"]["global_cluster_id"] == "shop-global" and found["aurora"]["secondary"]["cluster_id"] == "shop-aurora-dr"
    assert fp.database_plan({"primary": {"instance_id": "a", "region": "r"}, "replica": {"instance_id": "b", "region": "s"}})["aurora"] is None


def test_aurora_plan_problems_name_the_missing_keys():
    assert fp.aurora_plan_problems(AURORA_RDS) == []
    broken = dict(AURORA_RDS, global_cluster_id="", secondary={"region": "us-west-2", "cluster_id": "x"})
    problems = fp.aurora_plan_problems(broken)
    assert problems[0].startswith("cloudops_rds.global_cluster_id") and "cloudops_rds.secondary needs region, cluster_id and instance_ids" in problems[1]


@pytest.mark.parametrize("operation, resuming, override, expected", [
    (fp.DRILL, False, False, ["global_secondary", "global_rpo_lag", "global_backups", "dr_cluster_active", "dr_nodegroup_active"]),
    (fp.FAILOVER, False, False, ["global_secondary", "dr_cluster_active", "global_rpo_lag"]),
    (fp.FAILOVER, False, True, ["global_secondary", "dr_cluster_active"]),
    (fp.FAILOVER, True, False, ["dr_cluster_active"]),
])
def test_aurora_blocking_checks(operation, resuming, override, expected):
    assert fp.blocking_checks(operation, resuming, override, shape=db_shape.AURORA_GLOBAL) == expected


def test_an_aurora_lag_refusal_says_how_to_override():
    part = fp.readiness(audit(finding("global_rpo_lag", False, "RPO lag 90 s is over the RPO budget of 60 s")),
                        fp.blocking_checks(fp.FAILOVER, False, False, shape=db_shape.AURORA_GLOBAL))
    assert "failover_max_lag_override=true" in fp.readiness_refusal(fp.FAILOVER, part)


CACHE = {"global_datastore_id": "qwmzn-shop-cache", "primary": {"region": "us-east-1", "replication_group_id": "shop-cache"},
         "secondary": {"region": "us-west-2", "replication_group_id": "shop-cache-dr"}}
BUCKETS = [{"name": "assets-use1", "dr_name": "assets-usw2", "prefix": "assets/"}, {"name": "logs-use1", "dr_name": "logs-usw2"}]
REGIONS = {"primary": "us-east-1", "dr": "us-west-2"}


def store_settings(**app_db):
    return {"app_db": dict({"namespace": "shop", "secret_name": "shop-db"}, **app_db),
            "cache": {"failback_max_lag_seconds": 0.5}, "drill": {"markers": {"cache_connection": {"host_override": "127.0.0.1"}}}}


def test_the_application_keys_of_the_stores_name_what_the_estate_declares():
    assert fp.store_settings_problems(store_settings(cache_host_key="REDIS_HOST", cache_port_key="REDIS_PORT",
                                                     bucket_keys={"assets-use1": "ASSETS"}), CACHE, BUCKETS) == []
    assert fp.store_settings_problems(store_settings(cache_host_key="REDIS_HOST", cache_port_key="REDIS_PORT"), None, BUCKETS) == [
        "cloudops_failover.app_db.cache_host_key is set but the estate declares no cache (cloudops_cache): remove it or declare the cache."]
    assert fp.store_settings_problems(store_settings(cache_host_key="REDIS_HOST"), CACHE, BUCKETS) == [
        "cloudops_failover.app_db needs both cache_host_key and cache_port_key (the application's cache endpoint), or neither."]
    assert fp.store_settings_problems(store_settings(bucket_keys={"other": "X"}), CACHE, BUCKETS) == [
        "cloudops_failover.app_db.bucket_keys names bucket other, which cloudops_buckets does not declare (it has: assets-use1, logs-use1)."]
    assert "must map a bucket" in fp.store_settings_problems(store_settings(bucket_keys=["assets-use1"]), CACHE, BUCKETS)[0]


def test_the_stores_plan_the_settings_a_failover_writes_and_the_markers_arguments():
    stores = fp.stores_plan(CACHE, BUCKETS, REGIONS, store_settings(cache_host_key="REDIS_HOST", cache_port_key="REDIS_PORT",
                                                                    bucket_keys={"assets-use1": "ASSETS"}))
    assert stores["cache"]["failback_max_lag_seconds"] == 0.5 and stores["cache"]["connection"]["host_override"] == "127.0.0.1"
    assert [(b["name"], b["region"], b["dr_region"], b["app_key"]) for b in stores["buckets"]] == [
        ("assets-use1", "us-east-1", "us-west-2", "ASSETS"), ("logs-use1", "us-east-1", "us-west-2", "")]
    endpoint = {"address": "shop-cache-dr.usw2.cache.amazonaws.com", "port": 6379}
    assert fp.app_settings(stores, endpoint) == {"REDIS_HOST": endpoint["address"], "REDIS_PORT": "6379", "ASSETS": "assets-usw2"}
    assert fp.app_settings(stores, None, side="primary") == {"ASSETS": "assets-use1"}
    assert fp.app_settings(fp.stores_plan(None, None, REGIONS, {}), endpoint) == {}
    markers = fp.markers_stores(stores)
    assert sorted(markers) == ["buckets", "cache", "cache_connection"]
    assert markers["cache"] == CACHE and markers["buckets"][0] == {"name": "assets-use1", "dr_name": "assets-usw2", "prefix": "assets/",
                                                                   "region": "us-east-1", "dr_region": "us-west-2"}
    assert fp.markers_stores(fp.stores_plan(None, [], REGIONS, {})) == {}


def test_the_cache_fails_over_behind_the_rpo_gate_and_back_once_caught_up():
    plan = {"stores": fp.stores_plan(CACHE, [], REGIONS, store_settings()), "budgets": {"rpo_seconds": 60},
            "promote": {"lag_lookback_seconds": 120}, "max_lag_override": False}
    over = fp.cache_failover_args(plan, "failover")
    assert over == {"global_datastore_id": "qwmzn-shop-cache", "region": "us-west-2", "replication_group_id": "shop-cache-dr",
                    "wait_timeout": 600, "lag_lookback_seconds": 120, "max_lag_seconds": 60.0}
    assert "max_lag_seconds" not in fp.cache_failover_args(dict(plan, max_lag_override=True), "failover")
    back = fp.cache_failover_args(plan, "failback")
    assert (back["region"], back["replication_group_id"]) == ("us-east-1", "shop-cache")
    assert back["catch_up"] == {"max_lag_seconds": 0.5, "timeout": 600}
    assert fp.cache_failover_args({"stores": fp.stores_plan(None, [], REGIONS, {})}, "failover") is None
