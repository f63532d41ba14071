# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The runbook lock of an environment, apart from any AWS call.

One lock per environment: a record naming its holder (runbook, run id, user, the controller host and the
ansible-playbook process there) and when it expires. A run acquires it before it reads the estate and releases it at
the end. Whether a run may take it, renew it, take it over or release it is decided here, from the record read and
who is asking; the module (plugins/modules/runbook_lock.py) does the reads, the conditional writes and the process
checks. Times are epoch seconds (int) in, ISO 8601 UTC strings in the messages and records.

A lock is stale, and anyone may take it over, when it has expired or when its holder ran on this same controller host
and that process is gone (a killed or crashed run). A lock held by a live run elsewhere is refused until it expires
or someone releases it explicitly (force).
"""

from __future__ import annotations

import datetime

KEY = "lock_id"

# Holder states
ABSENT = "absent"
MINE = "mine"
EXPIRED = "expired"
DEAD = "dead"          # its holder process on this host is gone (or the host rebooted since)
HELD = "held"          # by a live run, or one this host cannot check

# Actions
ACQUIRE = "acquired"
RENEW = "renewed"
TAKE_OVER = "taken_over"
REFUSE = "refused"
RELEASE = "released"
NOTHING = "none"
LEAVE = "left"

# Holder fields that identify one run; the others describe it.
IDENTITY = ("host", "boot_id", "pid", "pid_started")
# Fields whose change makes a renewal worth reporting as changed (a later expiry alone is not).
MEANINGFUL = ("runbook", "run_id", "user")


class LockError(Exception):
    """A refusal whose message says who holds the lock and how to release it."""


def iso(epoch):
    """ISO 8601 UTC, to the second."""
    if epoch is None:
        return None
    return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def expires_at(now, ttl_seconds):
    """Epoch second at which a lock taken now with this TTL expires."""
    ttl = int(ttl_seconds)
    if ttl <= 0:
        raise LockError("ttl_seconds must be a positive number of seconds, got %s" % ttl_seconds)
    return int(now) + ttl


def is_expired(lock, now):
    return int(lock["expires_epoch"]) <= int(now)


def same_host(lock, me):
    return lock.get("host") == me.get("host")


def is_mine(lock, me):
    """The record was written by this very run: same host, boot, ansible-playbook process (pid and its start time).
    Without a known process (pid None) a run is recognised by its run id."""
    if any(lock.get(field) != me.get(field) for field in IDENTITY):
        return False
    return me.get("pid") is not None or lock.get("run_id") == me.get("run_id")


def holder_state(lock, me, now, process_alive):
    """ABSENT, MINE, EXPIRED, DEAD or HELD. process_alive(pid, pid_started) is asked only about a holder on this host
    that ran since its last boot: another host's processes cannot be seen from here."""
    if lock is None:
        return ABSENT
    if is_mine(lock, me):
        return MINE
    if is_expired(lock, now):
        return EXPIRED
    if same_host(lock, me) and lock.get("pid") is not None:
        if lock.get("boot_id") and me.get("boot_id") and lock.get("boot_id") != me.get("boot_id"):
            return DEAD
        if not process_alive(lock["pid"], lock.get("pid_started")):
            return DEAD
    return HELD


def new_record(key, me, now, ttl_seconds, token, previous=None):
    """The record this run writes: its identity and description, started (kept across renewals), expiry."""
    kept = previous if previous is not None and is_mine(previous, me) else None
    record = dict((field, me.get(field)) for field in IDENTITY + MEANINGFUL)
    record.update({
        KEY: key,
        "token": kept["token"] if kept else token,
        "started_epoch": int(kept["started_epoch"]) if kept else int(now),
        "renewed_epoch": int(now),
        "expires_epoch": expires_at(now, ttl_seconds),
        "ttl_seconds": int(ttl_seconds),
    })
    record["started_at"], record["expires_at"] = iso(record["started_epoch"]), iso(record["expires_epoch"])
    return record


def why_stale(lock, key, state, now):
    """Whose stale lock it is and why it is stale, for the run output."""
    who = "the lock of %s held by %s run %s (user %s, host %s%s)" % (
        key, lock.get("runbook"), lock.get("run_id"), lock.get("user"), lock.get("host"),
        ", pid %s" % lock["pid"] if lock.get("pid") is not None else "")
    if state == EXPIRED:
        return "%s: it expired at %s (%s ago)" % (who, iso(lock["expires_epoch"]), duration(now - int(lock["expires_epoch"])))
    return "%s: its ansible-playbook process is no longer running on this host (a killed or crashed run)" % who


def decide_acquire(lock, me, key, now, ttl_seconds, token, process_alive):
    """What acquiring does: {action, changed, record (to write, None when refused), condition_token (the token the
    write must find, None: the lock must be absent), message}."""
    state = holder_state(lock, me, now, process_alive)
    if state == HELD:
        return {"action": REFUSE, "changed": False, "record": None, "condition_token": None, "state": state, "message": None}
    record = new_record(key, me, now, ttl_seconds, token, previous=lock if state == MINE else None)
    if state == ABSENT:
        return {"action": ACQUIRE, "changed": True, "record": record, "condition_token": None, "state": state,
                "message": "acquired the lock of %s until %s" % (key, record["expires_at"])}
    if state == MINE:
        changed = any(lock.get(field) != record[field] for field in MEANINGFUL)
        return {"action": RENEW, "changed": changed, "record": record, "condition_token": lock["token"], "state": state,
                "message": "renewed this run's lock of %s until %s" % (key, record["expires_at"])}
    return {"action": TAKE_OVER, "changed": True, "record": record, "condition_token": lock["token"], "state": state,
            "message": "took over %s" % why_stale(lock, key, state, now)}


def decide_release(lock, me, now, force, holder_only, process_alive):
    """What releasing does: {action, changed, condition_token, message}. Only the holder releases; a stale lock
    (expired, or its process gone from this host) is nobody's and is released too; a live lock of another run is
    released only with force. holder_only: leave any lock that is not this run's (a run's own final release must
    never drop the lock of a run that took its expired lock over)."""
    state = holder_state(lock, me, now, process_alive)
    if state == ABSENT:
        return {"action": NOTHING, "changed": False, "condition_token": None, "state": state, "message": "no lock to release"}
    if state == MINE:
        return {"action": RELEASE, "changed": True, "condition_token": lock["token"], "state": state,
                "message": "released this run's lock"}
    if holder_only:
        return {"action": LEAVE, "changed": False, "condition_token": None, "state": state,
                "message": "the lock is no longer this run's (%s): left as it is" % describe(lock, now)}
    if state in (EXPIRED, DEAD):
        return {"action": RELEASE, "changed": True, "condition_token": lock["token"], "state": state,
                "message": "released %s" % why_stale(lock, lock.get(KEY), state, now)}
    if force:
        return {"action": RELEASE, "changed": True, "condition_token": lock["token"], "state": state,
                "message": "released by force the lock held by %s" % describe(lock, now)}
    return {"action": REFUSE, "changed": False, "condition_token": None, "state": state, "message": None}


def duration(seconds):
    """'42 s', '7 min', '2 h 5 min'."""
    seconds = max(0, int(seconds))
    if seconds < 120:
        return "%d s" % seconds
    minutes = seconds // 60
    if minutes < 120:
        return "%d min" % minutes
    return "%d h %d min" % (minutes // 60, minutes % 60)


def describe(lock, now):
    """Who holds the lock, in one phrase."""
    return ("runbook %s, run %s, user %s, host %s%s, started %s, expires %s (in %s)"
            % (lock.get("runbook"), lock.get("run_id"), lock.get("user"), lock.get("host"),
               " (pid %s)" % lock["pid"] if lock.get("pid") is not None else "",
               iso(lock.get("started_epoch")), iso(lock.get("expires_epoch")), duration(int(lock["expires_epoch"]) - int(now))))


def refusal_message(lock, key, now, release_command, runbook=None):
    """The message of a refused acquire: nothing changed, who holds the lock, and the exact command to release it."""
    what = ("%s refused" % runbook) if runbook else "Refused"
    return ("%s, nothing changed: another runbook holds the lock of environment %s (%s). Wait for it to finish, "
            "or, if that run is gone (the lock expires by itself then), release the lock: %s"
            % (what, key, describe(lock, now), release_command))


def release_refusal_message(lock, key, now, release_command):
    """The message of a refused release: the lock is another live run's."""
    return ("Lock of environment %s not released, nothing changed: it is held by a running runbook (%s). Releasing it "
            "lets another runbook change the estate while that one still runs. If that run is gone, release it by "
            "force: %s" % (key, describe(lock, now), release_command))


def release_command(inventory, environment, confirm):
    """The command that releases an environment's lock by force (with the confirmation where one is required)."""
    command = "ansible-playbook playbooks/release_lock.yml -i %s -e lock_force=true" % (inventory or "INVENTORY")
    if confirm:
        command += " -e confirm_release_lock=%s" % environment
    return command


# ------------------------------------------------------------------------------------------- the holder process


def parse_stat(text):
    """(ppid, start time in clock ticks since boot) from the text of /proc/<pid>/stat. The command name (field 2)
    is in parentheses and may itself hold spaces or parentheses: fields are counted after the last ')'."""
    fields = text[text.rindex(")") + 2:].split()
    return int(fields[1]), int(fields[19])


def is_playbook_command(argv):
    """The command line runs ansible-playbook: `ansible-playbook ...` or `python .../ansible-playbook ...`
    (ansible-runner, and so AWX, start it so too)."""
    names = [arg.rsplit("/", 1)[-1] for arg in argv[:2]]
    return "ansible-playbook" in names


def playbook_process(ancestors):
    """The ansible-playbook process a module runs under, from its ancestors [(pid, argv), ...] nearest first, or None.
    Ansible forks a worker per task (same command line as its parent) and the worker dies after the task: the process
    that lives as long as the run is the outermost of the first run of ansible-playbook ancestors."""
    found = None
    for pid, argv in ancestors:
        if is_playbook_command(argv):
            found = pid
        elif found is not None:
            break
    return found
