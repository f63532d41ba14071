# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cache and bucket checks in the failover plan: blocking when the audit has them, the lag ones overridable."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_plan as fp
from ansible_collections.cloudops.runbooks.plugins.module_utils import state_stores as ss

BASE = ["replica_role", "dr_cluster_active", "replica_lag"]


def audit(*failed):
    checks = ["replica_role", "replica_lag", "cache_dr_member", "cache_lag", "bucket_versioning", "bucket_replication_rule",
              "bucket_replication_probe"]
    findings = [{"check": c, "passed": c not in failed, "detail": "%s of shop-assets-use1 %s" % (c, "bad" if c in failed else "ok"),
                 "resource": "shop-assets-use1"} for c in checks]
    return {"passed": not failed, "failed_checks": list(failed), "findings": findings}


def test_no_state_store_findings_keep_the_blocking_checks_as_before():
    plain = {"findings": [{"check": "replica_lag", "passed": True}]}
    assert fp.blocking_checks(fp.FAILOVER, False, False, audit=plain) == BASE
    assert fp.blocking_checks(fp.DRILL, False, False, audit=plain) == fp.DRILL_BLOCKING
    assert fp.blocking_checks(fp.FAILOVER, False, False) == BASE


def test_state_store_checks_block_a_new_run_and_the_lag_ones_give_way_to_the_override():
    assert fp.blocking_checks(fp.DRILL, False, False, audit=audit()) == fp.DRILL_BLOCKING + list(ss.BLOCKING)
    assert fp.blocking_checks(fp.DRILL, False, True, audit=audit()) == fp.DRILL_BLOCKING + list(ss.BLOCKING)
    assert fp.blocking_checks(fp.FAILOVER, False, False, audit=audit()) == BASE + list(ss.BLOCKING)
    assert fp.blocking_checks(fp.FAILOVER, False, True, audit=audit()) == [
        "replica_role", "dr_cluster_active", "cache_dr_member", "bucket_versioning", "bucket_replication_rule"]
    assert fp.blocking_checks(fp.DRILL, True, False, audit=audit()) == []
    assert fp.blocking_checks(fp.FAILOVER, True, False, audit=audit()) == ["dr_cluster_active"]


def test_refusal_names_the_resource_and_the_override():
    a = audit("bucket_replication_probe")
    part = fp.readiness(a, fp.blocking_checks(fp.FAILOVER, False, False, audit=a))
    refusal = fp.readiness_refusal(fp.FAILOVER, part)
    assert refusal.startswith("Failover refused, nothing changed. bucket_replication_probe: bucket_replication_probe of shop-assets-use1 bad.")
    assert "-e failover_max_lag_override=true" in refusal
    assert fp.readiness_refusal(fp.FAILOVER, fp.readiness(a, fp.blocking_checks(fp.FAILOVER, False, True, audit=a))) is None
    drill = fp.readiness_refusal(fp.DRILL, fp.readiness(a, fp.blocking_checks(fp.DRILL, False, True, audit=a)))
    assert drill.startswith("Failover drill refused, nothing changed.") and "run it again" in drill


def test_a_missing_dr_cache_is_not_overridable():
    a = audit("cache_dr_member")
    refusal = fp.readiness_refusal(fp.FAILOVER, fp.readiness(a, fp.blocking_checks(fp.FAILOVER, False, True, audit=a)))
    assert "cache_dr_member" in refusal and "override" not in refusal
