# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook lock of an environment (roles/runbook_lock, the runbook_lock module, a DynamoDB item in the DR region)
end to end on a private sandbox, with real ansible-playbook runs: a second runbook started while one runs is refused
naming the holder, with nothing changed; another environment is not blocked; a killed run's lock is taken over by the
next run on the same host (its process is gone), an expired one by any run; a failed run releases its lock;
playbooks/release_lock.yml releases explicitly (a live lock only with lock_force); --check writes no lock. A live run
keeps its lock past its TTL (the heartbeat renews it) and a killed run's heartbeat stops; a drill killed after its DNS
flip leaves its unfinished mark, which refuses every other runbook until the drill is run again or abandoned. A run's
lock calls read nothing first (each write's condition proves what the run knows): a drill's three (acquire, mark,
release) are three writes and no GetItem; a refused run's conditional write fails, changes nothing, and the lock is
read once to name its holder.

The lock is read back from the sandbox's DynamoDB table, the calls from the sandbox's call log (sandbox.knobs)."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

import pytest
import yaml

from boto3.dynamodb.types import TypeDeserializer

from conftest import BIN, REPO, ansible_env, flat, ok, run_module, run_until, sandbox_client, sandbox_fixtures

LOCK = yaml.safe_load((REPO / "inventories/sandbox/group_vars/all/estate.yml").read_text())["cloudops_lock"]
LOCK_TASK = "take the runbook lock of the environment"  # the task that takes the lock (roles/runbook, lock.yml)
RELEASE = "ansible-playbook playbooks/release_lock.yml -i inventories/sandbox -e lock_force=true"


class Runs(object):
    def __init__(self, sandbox, collections_path, tmp_path):
        self.sandbox, self.collections_path, self.tmp_path = sandbox, collections_path, tmp_path

    def env(self):
        return ansible_env(self.collections_path, self.sandbox["env"], PYTHONUNBUFFERED="1")

    @staticmethod
    def command(playbook, extra_vars=None, check=False):
        variables = dict({"cloudops_run_dir_root": ""}, **(extra_vars or {}))
        return [str(BIN / "ansible-playbook"), playbook, "-i", "inventories/sandbox", "-e", json.dumps(variables)] + (
            ["--check"] if check else [])

    def run(self, playbook, extra_vars=None, check=False):
        return subprocess.run(self.command(playbook, extra_vars, check), cwd=REPO, env=self.env(), capture_output=True,
                              text=True, timeout=600)

    def start(self, playbook, extra_vars=None):
        """Start a run in its own process group and return it once it holds the lock, with its output so far."""
        proc = subprocess.Popen(self.command(playbook, extra_vars), cwd=REPO, env=self.env(), stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, text=True, start_new_session=True)
        seen, locking = [], False
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("TASK ["):
                if locking:  # the task after the lock's: the lock is held
                    return proc, "".join(seen)
                locking = LOCK_TASK in line.lower()
        proc.wait(timeout=60)
        raise AssertionError("the run ended before it held the lock:\n%s" % "".join(seen)[-4000:])

    # -- the lock and the calls, read back from the sandbox -------------------------------------------------------------
    def ddb(self):
        return sandbox_client(self.sandbox, "dynamodb", LOCK["region"])

    def lock(self, environment="sandbox"):
        item = self.ddb().get_item(TableName=LOCK["table_name"], Key={"lock_id": {"S": environment}}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        plain = dict((k, v.get("S", v.get("N"))) for k, v in item.items() if k != "unfinished")
        if "unfinished" in item:
            plain["unfinished"] = TypeDeserializer().deserialize(item["unfinished"])
        return plain

    def put_lock(self, expires_in, runbook="failover", run_id="failover-sandbox-20260131T120000", user="bob",
                 host="another-controller", pid=77):
        """A lock of another run, written as the module writes it."""
        now = int(time.time())
        item = {"lock_id": "sandbox", "token": "t-%d" % now, "runbook": runbook, "run_id": run_id, "user": user, "host": host,
                "boot_id": "boot-elsewhere", "pid": pid, "pid_started": 12345, "started_epoch": now - 600,
                "renewed_epoch": now - 600, "expires_epoch": now + expires_in, "ttl_seconds": 600 + expires_in}
        item["started_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(item["started_epoch"]))
        item["expires_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(item["expires_epoch"]))
        typed = dict((k, {"N": str(v)} if isinstance(v, int) else {"S": v}) for k, v in item.items())
        self.ddb().put_item(TableName=LOCK["table_name"], Item=typed)
        return item

    def put_mark(self, runbook="failover_drill", run_id="drill-sandbox-20260131T120000"):
        """What a killed or failed drill leaves once its lock was released: only its unfinished mark."""
        self.ddb().put_item(TableName=LOCK["table_name"], Item={
            "lock_id": {"S": "sandbox"}, "token": {"S": "t-mark"}, "unfinished": {"M": {
                "runbook": {"S": runbook}, "run_id": {"S": run_id}, "since": {"S": "2026-01-31T12:00:00Z"},
                "resume": {"S": "ansible-playbook playbooks/%s.yml -i inventories/sandbox" % runbook},
                "resumed_by": {"L": [{"S": runbook}]}}}})

    def drop_lock(self):
        self.ddb().delete_item(TableName=LOCK["table_name"], Key={"lock_id": {"S": "sandbox"}})

    def calls(self):
        """The sandbox's AWS calls since the last read ("service:Operation" of the mutating ones, and all)."""
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        from sandbox import knobs
        calls = knobs.api_calls(knobs.Sandbox(self.sandbox["state"]), reset=True)["calls"]
        return ["%s:%s" % (c["service"], c["operation"]) for c in calls if c["mutating"]], calls


def lock_calls(calls):
    """The lock's calls of a run as (operation, outcome at moto: ok, or error for a failed condition), the holder's
    heartbeat renewals (UpdateItem) left out."""
    return [(c["operation"], c["outcome"]) for c in calls if c["service"] == "dynamodb" and c["operation"] != "UpdateItem"]


# A refused acquire: the conditional put (no lock must exist) fails and changes nothing; the lock is then read once.
REFUSED_ACQUIRE = [("PutItem", "error"), ("GetItem", "ok")]


def applied(calls):
    """The mutating calls that changed something (a conditional write whose condition failed is refused by DynamoDB)."""
    return ["%s:%s" % (c["service"], c["operation"]) for c in calls if c["mutating"] and c["outcome"] == "ok"]


def changed(proc):
    recap = re.search(r"localhost\s*:\s*ok=\d+\s+changed=(\d+)", proc.stdout)
    return int(recap.group(1)) if recap else None


def refused(proc):
    assert proc.returncode != 0, "the run should have been refused:\n%s" % proc.stdout[-6000:]
    return flat(proc.stdout + " " + proc.stderr)


rb, ro = sandbox_fixtures(Runs, "rb", "ro")


@pytest.fixture
def no_lock_left(ro):
    ro.drop_lock()
    yield ro
    ro.drop_lock()


# -- one runbook at a time ------------------------------------------------------------------------------------------------
def test_a_second_runbook_is_refused_while_one_runs_and_takes_over_when_that_run_was_killed(rb, collections_path):
    holder, _ = rb.start("playbooks/backup.yml")
    os.killpg(holder.pid, signal.SIGSTOP)  # still running (it holds the lock), but makes no call meanwhile
    try:
        lock = rb.lock()
        assert (lock["runbook"], lock["host"], int(lock["pid"])) == ("backup", socket.gethostname(), holder.pid)
        assert re.match(r"^backup-sandbox-\d{8}T\d{6}$", lock["run_id"])

        rb.calls()
        proc = rb.run("playbooks/deploy.yml", {"deploy_version": "1.2.0"})
        out = refused(proc)
        assert ("deploy refused, nothing changed: another runbook holds the lock of environment sandbox (runbook backup, run %s, "
                "user %s, host %s (pid %d), started %s, expires %s" % (lock["run_id"], lock["user"], lock["host"], holder.pid,
                                                                       lock["started_at"], lock["expires_at"])) in out
        assert "release the lock: " + RELEASE in out
        _, calls = rb.calls()
        assert applied(calls) == [] and lock_calls(calls) == REFUSED_ACQUIRE and changed(proc) == 0 and rb.lock() == lock

        # Another environment's lock is another item: not blocked.
        args = {"environment": "sandbox-eu", "table_name": LOCK["table_name"], "region": LOCK["region"], "runbook": "deploy",
                "run_id": "deploy-sandbox-eu-1"}
        taken = run_module(collections_path, rb.sandbox["env"], "runbook_lock", args)
        assert taken.get("outcome") == "acquired" and not taken.get("failed"), taken
        released = run_module(collections_path, rb.sandbox["env"], "runbook_lock",
                              dict(args, state="released", force=True))
        assert released.get("outcome") == "released", released
        assert rb.lock() == lock
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # a kill -9 or a lost node: no `always`, the lock stays
        holder.wait(timeout=60)
        holder.stdout.close()
    assert rb.lock() == lock

    proc = rb.run("playbooks/backup.yml")
    ok(proc)
    assert ("Runbook lock: took over the lock of sandbox held by backup run %s (user %s, host %s, pid %d): its ansible-playbook "
            "process is no longer running on this host (a killed or crashed run)"
            % (lock["run_id"], lock["user"], lock["host"], holder.pid)) in flat(proc.stdout + proc.stderr)  # a warning
    assert rb.lock() is None


def test_an_expired_lock_is_taken_over_and_a_failed_run_still_releases_its_lock(no_lock_left):
    runs = no_lock_left
    runs.put_lock(expires_in=-90, runbook="deploy", run_id="deploy-sandbox-20260131T100000", user="alice")
    proc = runs.run("playbooks/rollback.yml")
    ok(proc)
    assert ("Runbook lock: took over the lock of sandbox held by deploy run deploy-sandbox-20260131T100000 (user alice, host "
            "another-controller, pid 77): it expired at") in flat(proc.stdout + proc.stderr)  # a warning
    assert runs.lock() is None

    # Refused after the lock (no deploy of web is recorded): the `always` section releases it.
    proc = runs.run("playbooks/rollback.yml", {"rollback_service": "web"})
    out = refused(proc)
    assert "No deploy of web is recorded" in out and "Release the runbook lock of the environment" in out
    assert runs.lock() is None


def test_the_release_playbook_refuses_a_live_lock_unless_forced(no_lock_left):
    runs = no_lock_left
    runs.put_lock(expires_in=3000)
    before = runs.lock()
    proc = runs.run("playbooks/release_lock.yml")
    out = refused(proc)
    assert ("Lock of environment sandbox not released, nothing changed: it is held by a running runbook (runbook failover, run "
            "failover-sandbox-20260131T120000, user bob, host another-controller (pid 77)") in out
    assert "release it by force: " + RELEASE in out
    assert runs.lock() == before

    proc = runs.run("playbooks/release_lock.yml", {"lock_force": True})
    ok(proc)
    assert "Runbook lock of sandbox: released by force the lock held by runbook failover" in flat(proc.stdout)
    assert changed(proc) == 1 and runs.lock() is None

    proc = runs.run("playbooks/release_lock.yml")
    ok(proc)
    assert "Runbook lock of sandbox: no lock to release" in flat(proc.stdout) and changed(proc) == 0

    # Where the inventory requires it (prod, staging), a forced release names the environment.
    runs.put_lock(expires_in=3000)
    confirming = dict(LOCK, require_confirmation=True)
    proc = runs.run("playbooks/release_lock.yml", {"lock_force": True, "cloudops_lock": confirming})
    assert "requires a confirmation naming it. Run again with -e confirm_release_lock=sandbox" in refused(proc)
    assert runs.lock() is not None
    proc = runs.run("playbooks/release_lock.yml", {"lock_force": True, "cloudops_lock": confirming, "confirm_release_lock": "sandbox"})
    ok(proc)
    assert runs.lock() is None


def test_check_mode_writes_no_lock_and_predicts_a_refusal(no_lock_left):
    runs = no_lock_left
    runs.calls()
    proc = runs.run("playbooks/rollback.yml", check=True)
    ok(proc)
    mutating, calls = runs.calls()
    assert mutating == [] and runs.lock() is None
    assert [c["operation"] for c in calls if c["service"] == "dynamodb"] == ["GetItem", "GetItem"]  # read to predict, nothing written

    runs.put_lock(expires_in=3000)
    proc = runs.run("playbooks/rollback.yml", check=True)
    assert "rollback refused, nothing changed: another runbook holds the lock of environment sandbox" in refused(proc)


# -- a live run keeps its lock; only a dead run's lock expires (heartbeat) -------------------------------------------------
def test_a_live_run_keeps_its_lock_past_its_ttl_and_a_killed_run_s_heartbeat_stops(rb):
    short = dict(LOCK, ttl_seconds=20)
    holder, _ = rb.start("playbooks/backup.yml", {"cloudops_lock": short})
    os.killpg(holder.pid, signal.SIGSTOP)  # alive (it holds the lock) but makes no call: only the heartbeat renews
    try:
        first = rb.lock()
        assert int(first["ttl_seconds"]) == 20 and first["heartbeat_at"]
        time.sleep(30)  # well past the TTL of the first write
        lock = rb.lock()
        assert lock["token"] == first["token"] and lock["run_id"] == first["run_id"]
        assert int(lock["renewed_epoch"]) > int(first["renewed_epoch"]) and int(lock["expires_epoch"]) > time.time()
        assert lock["heartbeat_at"] > first["heartbeat_at"]

        rb.calls()
        proc = rb.run("playbooks/deploy.yml", {"deploy_version": "1.2.0", "cloudops_lock": short})
        assert ("deploy refused, nothing changed: another runbook holds the lock of environment sandbox (runbook backup, run %s"
                % lock["run_id"]) in refused(proc)
        _, calls = rb.calls()
        # The deploy changed nothing; the only write meanwhile is the holder's heartbeat (UpdateItem).
        assert set(applied(calls)) <= {"dynamodb:UpdateItem"} and lock_calls(calls) == REFUSED_ACQUIRE
        assert rb.lock()["token"] == first["token"]
    finally:
        os.killpg(holder.pid, signal.SIGKILL)  # a kill -9: the run's process group, not its (detached) heartbeat
        holder.wait(timeout=60)
        holder.stdout.close()

    time.sleep(3)  # the heartbeat looks at the run's process every second
    stopped = rb.lock()
    time.sleep(9)  # more than ttl/3: a live heartbeat would have renewed meanwhile
    assert rb.lock() == stopped  # so the lock expires ttl after the last heartbeat

    proc = rb.run("playbooks/backup.yml", {"cloudops_lock": short})
    ok(proc)
    assert ("Runbook lock: took over the lock of sandbox held by backup run %s" % stopped["run_id"]) in flat(proc.stdout + proc.stderr)
    assert rb.lock() is None


# -- an unfinished failover or drill refuses the other runbooks ------------------------------------------------------------
def test_a_drill_killed_after_its_dns_flip_refuses_other_runbooks_until_it_is_run_again(rb):
    rb.calls()
    run_until(rb.command("playbooks/failover_drill.yml"), rb.env(), "failover_steps : Failover | smoke-test")
    _, calls = rb.calls()
    assert lock_calls(calls) == [("PutItem", "ok"), ("PutItem", "ok")]  # acquired, then marked: no read
    lock = rb.lock()
    mark = lock["unfinished"]
    assert (mark["runbook"], mark["run_id"]) == ("failover_drill", lock["run_id"]) and re.match(r"^drill-sandbox-\d{8}T\d{6}$", mark["run_id"])
    assert mark["resume"] == "ansible-playbook playbooks/failover_drill.yml -i inventories/sandbox"

    rb.calls()
    proc = rb.run("playbooks/deploy.yml", {"deploy_version": "1.2.0"})
    out = refused(proc)
    assert ("deploy refused, nothing changed: the failover_drill run %s on environment sandbox is unfinished since %s"
            % (mark["run_id"], mark["since"])) in out
    assert "Finish it by running it again: ansible-playbook playbooks/failover_drill.yml -i inventories/sandbox." in out
    assert "abandon it: ansible-playbook playbooks/release_lock.yml -i inventories/sandbox -e lock_abandon=%s." % mark["run_id"] in out
    _, calls = rb.calls()
    assert applied(calls) == [] and lock_calls(calls) == REFUSED_ACQUIRE and changed(proc) == 0

    # Releasing the killed drill's lock (stale: its process is gone) keeps the mark: still refused.
    proc = rb.run("playbooks/release_lock.yml")
    ok(proc)
    assert "stays marked unfinished" in flat(proc.stdout)
    left = rb.lock()
    assert left["unfinished"] == mark and "run_id" not in left and "expires_epoch" not in left
    proc = rb.run("playbooks/backup.yml")
    assert "backup refused, nothing changed: the failover_drill run %s" % mark["run_id"] in refused(proc)

    # The drill's re-run resumes it (same runbook), fails back and clears the mark; then the deploy runs. The resumed
    # acquire finds the mark (its put fails, the lock is read once); its release needs no read.
    rb.calls()
    proc = rb.run("playbooks/failover_drill.yml")
    ok(proc)
    _, calls = rb.calls()  # before the test's own read of the lock
    assert lock_calls(calls) == REFUSED_ACQUIRE + [("PutItem", "ok"), ("DeleteItem", "ok")]
    assert rb.lock() is None
    rb.calls()
    proc = rb.run("playbooks/deploy.yml", {"deploy_version": "1.2.0"})
    ok(proc)
    _, calls = rb.calls()
    assert lock_calls(calls) == [("PutItem", "ok"), ("DeleteItem", "ok")]
    assert rb.lock() is None


def test_an_unfinished_run_is_abandoned_only_by_its_run_id_with_the_confirmation(no_lock_left):
    runs = no_lock_left
    runs.put_mark()
    proc = runs.run("playbooks/rollback.yml", check=True)
    assert "rollback refused, nothing changed: the failover_drill run drill-sandbox-20260131T120000 on environment sandbox is unfinished" in refused(proc)

    proc = runs.run("playbooks/release_lock.yml", {"lock_abandon": "drill-sandbox-20260101T000000"})
    assert ("Abandon refused, nothing changed: lock_abandon=drill-sandbox-20260101T000000 does not name the unfinished run of "
            "environment sandbox, which is the failover_drill run drill-sandbox-20260131T120000") in refused(proc)
    proc = runs.run("playbooks/release_lock.yml", {"lock_abandon": "drill-sandbox\n"})
    assert "lock_abandon must be the run id of the unfinished run to abandon" in refused(proc)
    confirming = dict(LOCK, require_confirmation=True)
    proc = runs.run("playbooks/release_lock.yml", {"lock_abandon": "drill-sandbox-20260131T120000", "cloudops_lock": confirming})
    assert "Abandon of an unfinished run refused before any AWS call" in refused(proc)
    assert runs.lock()["unfinished"]["run_id"] == "drill-sandbox-20260131T120000"

    proc = runs.run("playbooks/release_lock.yml", {"lock_abandon": "drill-sandbox-20260131T120000", "cloudops_lock": confirming,
                                                   "confirm_release_lock": "sandbox"})
    ok(proc)
    assert "abandoned the unfinished failover_drill run drill-sandbox-20260131T120000" in flat(proc.stdout)
    assert runs.lock() is None
    ok(runs.run("playbooks/rollback.yml", check=True))


# -- no read in the common case ---------------------------------------------------------------------------------------------
# A whole drill more in make test's time: the killed drill above already shows its acquire and mark read nothing and its
# resumed run's release none, and the deploy after it a release on the acquire's record.
@pytest.mark.long
def test_a_drill_s_three_lock_calls_are_three_writes_and_no_read(rb):
    """The frame's acquire (no lock must exist), the mark (on the acquire's record) and the release (on the mark's): each
    written on the condition that proves what the run knows, none read first."""
    rb.calls()
    proc = rb.run("playbooks/failover_drill.yml")
    ok(proc)
    _, calls = rb.calls()
    assert lock_calls(calls) == [("PutItem", "ok"), ("PutItem", "ok"), ("DeleteItem", "ok")]
    assert rb.lock() is None
