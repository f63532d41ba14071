# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which side is production, from the failover's progress record (ConfigMap cloudops-failover on the DR cluster).

After a real failover (record outcome `failed_over`) production runs on DR until a failback completes (outcome
`failed_back`): a deploy or a rollback then treats DR as production (the production values, not the standby ones),
the status says DR serves, a drill is refused. A failover that is unfinished (in_progress, failed) leaves the estate
half-moved: the runbooks that change it refuse until it is finished (the runbook lock's unfinished mark says so).
"""

from __future__ import annotations

FAILOVER_RECORD = "cloudops-failover"
PRIMARY, DR = "primary", "dr"


def production(record):
    """{side (primary or dr), failed_over, run_id, since, failback (the failback's phase while one runs, else None),
    note} for the failover record (a dict, or None when there is none)."""
    record = record if isinstance(record, dict) else {}
    failed_over = record.get("outcome") == "failed_over"
    failback = record.get("failback") if isinstance(record.get("failback"), dict) else {}
    out = {"side": DR if failed_over else PRIMARY, "failed_over": failed_over, "run_id": record.get("run_id") if failed_over else None,
           "since": (record.get("smoke_passed_at") or record.get("last_run_at")) if failed_over else None,
           "failback": failback.get("phase") if failed_over and failback else None, "note": ""}
    if failed_over:
        out["note"] = ("production runs on DR since %s (failover %s)%s: DR gets the production values; playbooks/failback.yml "
                       "brings it back" % (out["since"] or "?", out["run_id"] or "?",
                                           ", a failback is at %s" % out["failback"] if out["failback"] else ""))
    return out


def side_values_key(side, state):
    """Whose side_values a release of `side` takes: the primary's for DR while production runs there."""
    return PRIMARY if side == DR and (state or {}).get("failed_over") else side
