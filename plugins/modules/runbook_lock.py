#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: runbook_lock
version_added: 1.0.0
short_description: Take or release the runbook lock of an environment (a DynamoDB item written on a condition)
description:
  - One lock per environment, so that a second runbook started on the same environment while one runs is refused
    before it reads or changes anything. The lock is an item of a DynamoDB table, keyed by O(environment), written
    and deleted only on a condition (absent, or still carrying the token read) - the pattern Terraform uses for its
    state lock. Two runs can never both hold it.
  - The holder record names the runbook, the run id, the user, the controller host and the C(ansible-playbook)
    process there (its pid and start time, found by walking C(/proc) up from the module to the outermost
    C(ansible-playbook) ancestor; Ansible's per-task workers share its command line but die after each task; under
    ansible-runner and so AWX it is the C(ansible-playbook) ansible-runner started). The module must therefore run on
    the controller (a play on C(localhost), as every runbook of this collection is).
  - O(state=acquired) takes a free lock, renews this run's own lock (a later expiry; C(changed) only when the
    runbook, run id or user differ), and takes over a stale lock, saying why in RV(message). A lock is stale when it
    has expired (O(ttl_seconds) after it was last taken or renewed) or when its holder ran on this same controller
    host and that C(ansible-playbook) process is gone (a killed or crashed run; a reboot of the host counts too). A lock
    held by a live run, or by a run on another host that has not expired, fails the task with who holds it and the
    exact command that releases it (O(release_command)). Nothing is written then.
  - O(state=released) deletes this run's lock, or a stale one. A live lock of another run is released only with
    O(force=true); with O(holder_only=true) any lock that is not this run's is left alone (the runbooks' final release
    uses it, so a run that outlived its lock never drops the lock of the run that took it over). An absent lock
    changes nothing.
  - B(Heartbeat.) Outside check mode, a task that leaves the lock this run's starts a detached process (double fork,
    C(setsid), stdio on C(/dev/null), so Ansible does not wait for it) that renews the lock every O(ttl_seconds)/3
    with an C(UpdateItem) of its expiry and C(heartbeat_at) only, on the condition that the item still carries this
    run's token and this heartbeat's id. It exits when the run's C(ansible-playbook) process is gone (finished,
    killed, crashed), when the lock is no longer this run's (released, taken over, or a newer heartbeat of the same
    run took over) or when its renewals have failed for a whole TTL. A live run therefore keeps its lock however long
    it runs; only a dead run's lock expires, O(ttl_seconds) after its last heartbeat. Without an C(ansible-playbook)
    process above the module (an ad hoc task) there is no heartbeat.
  - B(Unfinished runs.) With O(mark_unfinished=true) (failover, failover drill, just before their first change) the
    item also gets C(unfinished) - runbook, run id, since, O(resume_command), O(resumed_by). The mark outlives the
    holder (a release without O(finished=true) keeps the item with the mark and without the holder fields (a failed
    or killed run leaves it)), and while it is there every runbook not in its C(resumed_by) is refused (even in check
    mode), naming the run, since when, the command that finishes it and the one that abandons it
    (O(abandon_command)). O(state=released) with O(abandon) set to the marked run id removes the mark.
  - B(Lost responses.) A conditional write whose response was lost (applied, then the connection broke) fails its
    own condition when sent again, and a connection error leaves its fate unknown; the item is read back, and this
    very write found in it (its token and heartbeat id) counts as done; a write that did not land is sent again.
  - B(No read in the common case.) Outside check mode the first attempt writes without reading the lock first - an
    acquire without O(expected) on the condition that the lock is absent, a task with O(expected) on the condition that
    the item is still that very record (its token and heartbeat id; the heartbeat moves only its expiry in place). A
    failed condition (another run holds or changed the lock) reads the item and decides again, as every attempt after
    it does. A decision on the expected record that is not a write of this run's own lock (or of an absent one) - a
    refusal, nothing to release, another run's lock, a stale lock to take over - is never acted on unread; the item is
    read and the decision made again on it. RV(previous), RV(holder_state) and the C(--diff)'s before are then the
    expected record, which the write proved (an expiry the heartbeat renewed since is not shown).
  - Check mode reads the lock and predicts the result (a refusal fails the task as the real run would); it writes
    nothing and starts no heartbeat. C(--diff) shows the lock record before and after.
  - The table has one string partition key C(lock_id); C(purge_epoch) may be its TTL attribute (an item marked
    unfinished has none, so the TTL never deletes a mark; do not use C(expires_epoch) as the TTL attribute). When it
    does not exist the task fails with the AWS CLI commands that create it. Permissions C(dynamodb:GetItem),
    C(PutItem), C(UpdateItem) (the heartbeat), C(DeleteItem).
options:
  state:
    description:
      - V(acquired) takes, renews or takes over the lock; V(released) releases it.
    type: str
    choices: [acquired, released]
    default: acquired
  environment:
    description:
      - The lock's key, the environment the runbook runs on (the inventory's C(cloudops_environment)).
    type: str
    required: true
  table_name:
    description:
      - The DynamoDB table holding the locks (the inventory's C(cloudops_lock.table_name)). Its region is O(region);
        put it in the DR region, so that a failover can take the lock while the primary region is down.
    type: str
    required: true
  runbook:
    description:
      - The runbook taking the lock (for the holder record and the messages). Required with O(state=acquired).
    type: str
  run_id:
    description:
      - The run's id, as its run evidence names it (for the holder record and the messages). Required with
        O(state=acquired). A renewal with another run id (a failover resuming an interrupted run's id) reports a change.
      - With O(state=released), it identifies this run when no C(ansible-playbook) process was found above the module.
    type: str
  user:
    description:
      - Who runs it (an AWX job passes its user). Default the operating system user running the module.
    type: str
  ttl_seconds:
    description:
      - Seconds after which the lock expires unless renewed; longer than the runbook's longest run, so that only a
        crashed run's lock expires. A run killed on the same controller host is taken over at once (its process is
        gone) without waiting for the expiry.
    type: int
    default: 3600
  force:
    description:
      - With O(state=released), release the lock even when a live run of someone else holds it (that run may then
        overlap with the next one; use it only when that run is gone).
    type: bool
    default: false
  holder_only:
    description:
      - With O(state=released), release only this run's own lock; leave any other one as it is (no failure; RV(message) says whose it is).
    type: bool
    default: false
  release_command:
    description:
      - The command that releases the lock by force, quoted in refusals (the runbook_lock role passes the inventory's
        C(playbooks/release_lock.yml) command line). Default a generic one.
    type: str
  mark_unfinished:
    description:
      - With O(state=acquired), mark this run unfinished in the lock item, in the same conditional write (see above).
        A mark of the same runbook keeps its C(since); a mark of another runbook this one resumes is replaced.
    type: bool
    default: false
  resume_command:
    description:
      - With O(mark_unfinished), the command that finishes the run, quoted in refusals. Default
        C(ansible-playbook playbooks/<runbook>.yml -i INVENTORY).
    type: str
  resumed_by:
    description:
      - With O(mark_unfinished), the runbooks that may take the lock while the mark is there. Default the runbook
        itself; for V(failover_drill) also V(failover) (a real failover supersedes an unfinished drill).
    type: list
    elements: str
  record:
    description:
      - With O(mark_unfinished), also write the run's first progress record (a ConfigMap, as
        M(cloudops.runbooks.runbook_record) writes it) once the mark is in place, in the same module process (the
        failover and the drill mark themselves unfinished and record their start just before their first change).
      - With O(state=released), the run's last progress record, written in the same module process before the lock
        is released (the drill records that it failed back as it ends). When it cannot be written, the lock is
        released keeping the run's unfinished mark (as without O(finished)) and the task fails saying so; running the
        runbook again finds the estate back and writes it.
      - Never written in check mode (RV(record) is what would be written).
    type: dict
    version_added: 1.0.0
    suboptions:
      namespace: {description: Namespace of the ConfigMap., type: str, required: true}
      name: {description: "The ConfigMap's name (V(cloudops-failover), V(cloudops-failover-drill))", type: str, required: true}
      data: {description: The whole record., type: dict, required: true}
      kubeconfig: {description: Kubeconfig of the cluster that keeps it (empty is the default)., type: path}
      context: {description: Its context., type: str}
  finished:
    description:
      - With O(state=released), this run completed; its own unfinished mark is cleared with the lock. Without it a
        marked lock's release keeps the mark.
    type: bool
    default: false
  abandon:
    description:
      - With O(state=released), the run id of the unfinished run whose mark to remove. Another run id, or no mark, is
        refused naming what is marked. A holder is released by the usual rules (stale, or O(force)).
    type: str
  abandon_command:
    description:
      - The command that abandons an unfinished run, quoted in refusals; C(<run_id>) is replaced by the marked run id.
        Default a generic one.
    type: str
  heartbeat:
    description:
      - With O(state=acquired), start the heartbeat that renews the lock while the run's C(ansible-playbook) process lives.
    type: bool
    default: true
  expected:
    description:
      - The lock record this module returned to this run last (the RV(lock) of its acquire, or of its mark once marked).
        Outside check mode the task decides on it instead of reading the lock, and writes on the condition that the item
        is still that record (see B(No read in the common case) above); when it is not, the lock is read as without it.
      - Without it, O(state=acquired) assumes no lock (the write's condition proves it) and O(state=released) reads the
        lock first. Must be this environment's record (its C(lock_id) and C(token)); empty or null is none.
      - Pass the latest record only. An older one of the same run (the acquire's after the mark) fails the condition, and
        costs a read.
    type: dict
    version_added: 1.1.0
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Take the lock of prod before anything else (fails naming the holder when another runbook runs)
  cloudops.runbooks.runbook_lock:
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1          # the DR region: a failover can lock while the primary region is down
    runbook: deploy
    run_id: deploy-prod-20260131T120000
    ttl_seconds: 7200
    release_command: ansible-playbook playbooks/release_lock.yml -i inventories/prod -e lock_force=true -e confirm_release_lock=prod
  register: lock

- name: Release it at the end, also when the run failed (only if it is still this run's)
  cloudops.runbooks.runbook_lock:
    state: released
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1
    holder_only: true
    # The record the acquire returned: released on the condition that the item is still that record, with no read
    # first (a lock taken over meanwhile fails the condition, is read, and is left as it is).
    expected: "{{ lock.lock }}"

- name: Just before the first change of a failover, mark it unfinished (other runbooks are refused until it completes)
  cloudops.runbooks.runbook_lock:
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1
    runbook: failover
    run_id: failover-prod-20260131T120000
    mark_unfinished: true
    resume_command: ansible-playbook playbooks/failover.yml -i inventories/prod -e confirm_failover=prod
    expected: "{{ lock.lock }}"   # the acquire's record: marked without a read
    # and its first progress record, in the same module process, once the mark is in place
    record:
      namespace: cloudops-system
      name: cloudops-failover
      data: {run_id: failover-prod-20260131T120000, outcome: in_progress, phase: started}
  register: lock                  # the mark's record replaces the acquire's: the release passes it as expected

- name: Abandon an unfinished failover drill that cannot be finished (the estate was put right by hand)
  cloudops.runbooks.runbook_lock:
    state: released
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1
    abandon: drill-prod-20260131T120000

- name: Release a lock whose run is gone (an AWX node was lost) before it expires
  cloudops.runbooks.runbook_lock:
    state: released
    environment: prod
    table_name: cloudops-runbook-locks
    region: eu-central-1
    force: true
"""

RETURN = r"""
outcome:
  description:
    - What happened (in check mode, what would happen). V(acquired), V(renewed), V(taken_over) (a stale lock),
      V(released), V(none) (no lock to release), V(left) (O(holder_only) and the lock is another run's), V(refused)
      (with the failure).
  returned: always
  type: str
  sample: acquired
lock:
  description: The lock record after the task (in check mode, as it would be); null when there is none.
  returned: always
  type: dict
  contains:
    lock_id:
      description: The environment.
      type: str
      sample: prod
    runbook:
      description: The runbook holding it.
      type: str
      sample: deploy
    run_id:
      description: Its run id.
      type: str
      sample: deploy-prod-20260131T120000
    user:
      description: Who runs it.
      type: str
      sample: alice
    host:
      description: The controller host it runs on.
      type: str
      sample: awx-task-7f9c
    pid:
      description: The pid of its C(ansible-playbook) process on that host (null when none was found).
      type: int
      sample: 4242
    pid_started:
      description: That process's start time (clock ticks since boot), so a reused pid is not taken for it.
      type: int
      sample: 81234567
    boot_id:
      description: The host's boot id (a reboot ends every run on it).
      type: str
      sample: 6b1e0c2c-5d7e-4c1b-9a57-2f2f0f6b1e0c
    started_at:
      description: When this run first took it (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T12:00:00Z'
    expires_at:
      description: When it expires unless renewed (ISO 8601, UTC).
      type: str
      sample: '2026-01-31T14:00:00Z'
    ttl_seconds:
      description: Its time to live.
      type: int
      sample: 7200
    heartbeat_at:
      description: When it was last renewed (ISO 8601, UTC) - by the heartbeat while the run lives.
      type: str
      sample: '2026-01-31T12:40:00Z'
heartbeat:
  description: Whether a heartbeat process was started for this run's lock.
  returned: always
  type: bool
  sample: true
unfinished:
  description: The unfinished-run mark of the lock item after the task (null when none).
  returned: success
  type: dict
  sample: {runbook: failover_drill, run_id: drill-prod-20260131T120000, since: '2026-01-31T12:00:05Z',
           resume: ansible-playbook playbooks/failover_drill.yml -i inventories/prod -e confirm_drill=prod,
           resumed_by: [failover_drill, failover]}
reason:
  description: Why the task was refused - V(held) (a live run holds the lock), V(unfinished) (another runbook's run is
    unfinished), V(abandon) (O(abandon) does not name the marked run).
  returned: failure
  type: str
  sample: unfinished
holder_state:
  description:
    - The lock as read, before the task (when the write needed no read, as assumed and proven by the write's condition -
      V(absent) for an acquire without O(expected), V(mine) with it). V(absent), V(mine) (this run's), V(expired),
      V(dead) (its run's process is gone from this host), V(held) (a live run, or one on another host that has not
      expired).
  returned: success
  type: str
  sample: absent
previous:
  description:
    - The lock record read before the task; null when there was none.
    - When the write needed no read (outside check mode, its condition held), the record assumed instead - null for an
      acquire without O(expected), else O(expected) as given (an expiry the heartbeat renewed since is not in it).
  returned: always
  type: dict
  sample: null
message:
  description: What happened, in a sentence (a take-over says whose lock it was and why it was stale).
  returned: always
  type: str
  sample: acquired the lock of prod until 2026-01-31T14:00:00Z
table:
  description: The table and region used.
  returned: always
  type: dict
  sample: {name: cloudops-runbook-locks, region: eu-central-1}
record:
  description: With O(record), the record written (in check mode, the one that would be).
  returned: with O(record)
  type: dict
  sample: {run_id: failover-prod-20260131T120000, outcome: in_progress, phase: started}
written:
  description: With O(record), C(<namespace>/<name>) when the ConfigMap changed (or would), else null.
  returned: with O(record)
  type: str
  sample: cloudops-system/cloudops-failover
record_changed:
  description: With O(record), whether the record changed (or would).
  returned: with O(record)
  type: bool
  sample: true
"""

import getpass
import os
import socket
import time
import uuid

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import locking
from ansible_collections.cloudops.runbooks.plugins.module_utils import records
from ansible_collections.cloudops.runbooks.plugins.module_utils import threads
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import dynamodb
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client

# A conditional write that loses a race re-reads and decides again; more than this many losses in one task means
# something keeps changing the lock.
ATTEMPTS = 5
# The heartbeat looks at the holder process this often (seconds), and gives up when its renewals have failed for a TTL.
WATCH_SECONDS = 1.0


def read_text(path):
    try:
        with open(path) as f:
            return f.read()
    except (IOError, OSError):
        return None


def ancestors():
    """[(pid, argv)] of this process's ancestors, nearest first."""
    out, pid = [], os.getppid()
    while pid > 1:
        stat, cmdline = read_text("/proc/%d/stat" % pid), read_text("/proc/%d/cmdline" % pid)
        if stat is None or cmdline is None:
            break
        out.append((pid, [arg for arg in cmdline.split("\0") if arg]))
        pid = locking.parse_stat(stat)[0]
    return out


def started_ticks(pid):
    stat = read_text("/proc/%d/stat" % int(pid))
    return locking.parse_stat(stat)[1] if stat else None


def process_alive(pid, pid_started):
    """The process runs, and is the same one (same start time: pids are reused)."""
    ticks = started_ticks(pid)
    return ticks is not None and (pid_started is None or ticks == int(pid_started))


def os_user():
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry for the uid (containers)
        return str(os.getuid())


def this_run(params):
    pid = locking.playbook_process(ancestors())
    boot_id = (read_text("/proc/sys/kernel/random/boot_id") or "").strip() or None
    return {"host": socket.gethostname(), "boot_id": boot_id, "pid": pid, "pid_started": started_ticks(pid) if pid else None,
            "runbook": params["runbook"], "run_id": params["run_id"], "user": params["user"] or os_user()}


def table_missing(module, table):
    module.fail_json(msg="The runbook lock table %s does not exist in %s. Create it once per AWS account, in the region "
                     "of cloudops_lock.region (the DR region: a failover must be able to take the lock while the primary "
                     "region is down): %s. Or point cloudops_lock.table_name/region at an existing table."
                     % (table, module.region, dynamodb.create_table_command(table, module.region)))


def without_token(record):
    return dict((k, v) for k, v in (record or {}).items() if k != "token")


def diff_of(before, after):
    return {"before": without_token(before), "after": without_token(after)}


def heartbeat_loop(conn, table, key, record, watch=WATCH_SECONDS, clock=time.time, sleep=time.sleep, alive=None):
    """Renew the lock every ttl/3 while the holder's ansible-playbook process lives. Returns why it stopped: "gone"
    (the process ended: killed, crashed or finished), "lost" (the lock is no longer this run's: released, taken
    over, or a newer heartbeat of the same run took over) or "failing" (renewals failed for a whole TTL: the lock has
    expired meanwhile)."""
    alive = alive or process_alive
    ttl, interval = int(record["ttl_seconds"]), locking.heartbeat_interval(record["ttl_seconds"])
    purge = not record.get(locking.MARK)
    last_ok = clock()
    due = last_ok + interval
    while True:
        sleep(min(watch, interval))
        if not alive(record["pid"], record.get("pid_started")):
            return "gone"
        now = clock()
        if now < due:
            continue
        outcome = dynamodb.heartbeat(conn, table, key, record["token"], record["heartbeat_id"], ttl, int(now), purge)
        if outcome == dynamodb.HEARTBEAT_LOST:
            return "lost"
        if outcome == dynamodb.HEARTBEAT_RENEWED:
            last_ok, due = now, now + interval
        elif now - last_ok >= ttl:
            return "failing"
        else:
            due = now + min(interval, 5.0)


def start_heartbeat(module, table, key, record):
    """Start the heartbeat of this run's lock as a detached process (double fork, setsid, stdio on /dev/null, every
    other descriptor closed: Ansible does not wait for it, and a kill of the run's process group leaves it, so it
    sees the run end and stops renewing). Its DynamoDB client is made here, before the fork: the child imports
    nothing (Ansible removes the module's payload after the task). True when it was started."""
    if not record.get("pid") or not record.get("heartbeat_id"):
        return False  # no ansible-playbook process to watch (an ad hoc task): the lock only expires
    try:
        conn = client(module, "dynamodb")
        child = os.fork()
    except Exception:  # pylint: disable=broad-except
        return False
    if child:
        os.waitpid(child, 0)
        return True
    try:
        os.setsid()
        if os.fork():
            os._exit(0)
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        os.closerange(3, 4096)
        heartbeat_loop(conn, table, key, record)
    except BaseException:  # pylint: disable=broad-except
        pass
    finally:
        os._exit(0)  # never back into the module (or AnsiballZ's clean-up of its payload)


def write_progress_record(module, spec):
    """The run's first progress record (once the mark is in place) or its last (before the release):
    {record, written, record_changed}."""
    try:
        records.record_data(spec["data"])
    except records.RecordError as e:
        module.fail_json(msg=str(e))
    # Imported here: only a record needs the Kubernetes client, whose import (~0.5 s of CPU) the acquire, the heartbeat
    # and the release of every runbook would otherwise pay.
    from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s import client as k8s_retry
    from ansible_collections.cloudops.runbooks.plugins.module_utils._k8s.configmaps import ConfigMaps, write_record

    io = ConfigMaps(module, k8s_retry.module_api_client(module, spec["kubeconfig"] or None, spec["context"] or None), spec["namespace"])
    done = write_record(module, io, spec["name"], spec["data"])
    return {"record": done["record"], "written": done["written"], "record_changed": done["changed"]}


def write_last_record(module, spec):
    """The run's last progress record, before the release: (result fields, None) or ({}, why it was not written).
    Written through a WorkerModule: a failure is raised back here instead of ending the process before the release."""
    try:
        return write_progress_record(threads.WorkerModule(module), spec), None
    except threads.WorkerFailed as e:
        return {}, threads._text(e)  # pylint: disable=protected-access


def read_lock(module, conn, table, key):
    try:
        return dynamodb.read(module, conn, table, key)
    except dynamodb.TableMissing:
        table_missing(module, table)


def expected_record(module, key):
    """The `expected` option: the lock record this module returned to this run last, or None (not given, or empty)."""
    expected = module.params["expected"] or None
    if expected is not None and (expected.get(locking.KEY) != key or not isinstance(expected.get("token"), str)):
        module.fail_json(msg="expected must be the lock record this module returned to this run for environment %s (its "
                         "result's `lock`, with lock_id %s and its token); got one with lock_id %r and %s. Pass the `lock` "
                         "of this run's last runbook_lock task, or leave expected out (the lock is then read)."
                         % (key, key, expected.get(locking.KEY), "a token" if expected.get("token") else "no token"))
    return expected


def decide(params, lock, me, key, now, mark):
    if params["state"] == "acquired":
        return locking.decide_acquire(lock, me, key, now, params["ttl_seconds"], uuid.uuid4().hex, process_alive,
                                      heartbeat_id=uuid.uuid4().hex, mark=mark)
    return locking.decide_release(lock, me, now, params["force"], params["holder_only"], process_alive,
                                  finished=params["finished"], abandon=params["abandon"], token=uuid.uuid4().hex)


def proven_by_write(decision):
    """A decision made on an assumed record (no lock, or this run's own expected one) that its conditional write
    proves: a write of an absent lock or of this run's own. A stale lock's takeover or release is not (its staleness
    rests on an expiry the heartbeat moves without changing the token), nor is anything that writes nothing."""
    return (decision["action"] in (locking.ACQUIRE, locking.RENEW, locking.RELEASE)
            and decision["state"] in (locking.ABSENT, locking.MINE))


def refusal(params, decision, lock, key, now, release_command, abandon_command):
    """The message of a refused acquire or release."""
    if params["state"] == "acquired":
        if decision["reason"] == "unfinished":
            return locking.unfinished_message(lock, key, now, abandon_command, params["runbook"])
        return locking.refusal_message(lock, key, now, release_command, params["runbook"])
    if decision["reason"] == "abandon":
        return locking.abandon_refusal_message(lock, key, params["abandon"])
    return locking.release_refusal_message(lock, key, now, release_command)


def main():
    module = AnsibleAWSModule(
        argument_spec=dict(
            state=dict(type="str", choices=["acquired", "released"], default="acquired"),
            environment=dict(type="str", required=True),
            table_name=dict(type="str", required=True),
            runbook=dict(type="str"),
            run_id=dict(type="str"),
            user=dict(type="str"),
            ttl_seconds=dict(type="int", default=3600),
            force=dict(type="bool", default=False),
            holder_only=dict(type="bool", default=False),
            release_command=dict(type="str"),
            mark_unfinished=dict(type="bool", default=False),
            resume_command=dict(type="str"),
            resumed_by=dict(type="list", elements="str"),
            finished=dict(type="bool", default=False),
            abandon=dict(type="str"),
            abandon_command=dict(type="str"),
            heartbeat=dict(type="bool", default=True),
            expected=dict(type="dict"),
            record=dict(type="dict", options=dict(namespace=dict(type="str", required=True), name=dict(type="str", required=True),
                                                  data=dict(type="dict", required=True), kubeconfig=dict(type="path"),
                                                  context=dict(type="str"))),
        ),
        required_if=[["state", "acquired", ["runbook", "run_id"]]],
        supports_check_mode=True,
    )
    params = module.params
    key, table = params["environment"], params["table_name"]
    if params["ttl_seconds"] <= 0:
        module.fail_json(msg="ttl_seconds must be a positive number of seconds (cloudops_lock.ttl_seconds), got %s" % params["ttl_seconds"])
    release_command = params["release_command"] or locking.release_command(None, key, False)
    abandon_command = params["abandon_command"] or locking.abandon_command(None, key, False)
    if params["abandon"] is not None and not params["abandon"].strip():
        module.fail_json(msg="abandon (lock_abandon) must be the run id of the unfinished run to abandon, got an empty string")
    mark = None
    if params["mark_unfinished"]:
        mark = {"resume": params["resume_command"], "resumed_by": params["resumed_by"]}
    me = this_run(params)
    conn = client(module, "dynamodb")
    result = {"table": {"name": table, "region": module.region}}
    record_error = None
    if params["record"] and params["state"] == "released":
        written, record_error = write_last_record(module, params["record"])
        result.update(written)
        if record_error:  # the run is not recorded as finished: its mark stays for the run that finishes it
            params["finished"] = False

    # Outside check mode the first attempt decides on the record this run expects instead of reading it (an acquire
    # without `expected`: no lock); the conditional write proves it or fails, and only then is the item read.
    expected = expected_record(module, key)
    assuming = not module.check_mode and (params["state"] == "acquired" or expected is not None)
    attempted, seen = {}, {}
    for dummy in range(ATTEMPTS):
        now = int(time.time())
        if assuming:
            lock = expected
        else:
            lock = seen.pop("item") if "item" in seen else read_lock(module, conn, table, key)
        if attempted and (lock == attempted["after"] or (lock is not None and attempted["after"] is not None
                                                         and dynamodb.is_this_write(lock, attempted["after"]))):
            # The write whose condition "failed" had landed: a retried call (after a 5xx or a reset) found its own work.
            decision, after, lock = attempted["decision"], attempted["after"], attempted["previous"]
            break
        decision = decide(params, lock, me, key, now, mark)
        if assuming and not proven_by_write(decision):
            # Only a write of this run's own lock (or of an absent one) is proven by its condition; anything else
            # (a refusal, nothing to do, another run's lock) is decided on the item as it is.
            assuming, lock = False, read_lock(module, conn, table, key)
            decision = decide(params, lock, me, key, now, mark)
        if decision["action"] == locking.REFUSE:
            module.fail_json(msg=refusal(params, decision, lock, key, now, release_command, abandon_command),
                             outcome=locking.REFUSE, reason=decision["reason"], lock=lock, previous=lock, message="refused", **result)
        if params["state"] == "acquired" or decision["action"] == locking.RELEASE:
            after = decision["record"]
        else:
            after = lock
        done = module.check_mode or decision["action"] in (locking.NOTHING, locking.LEAVE)
        if not done:
            condition = dict(expected=lock if assuming else None, seen=seen)
            try:
                if after is None:
                    done = dynamodb.delete(module, conn, table, key, decision["condition_token"], **condition)
                else:  # a taken or renewed lock, or an unfinished run's mark kept without a holder
                    done = dynamodb.write(module, conn, table, after, decision["condition_token"], **condition)
            except dynamodb.TableMissing:
                table_missing(module, table)
        if done:
            break
        # The condition failed: someone else wrote or released the lock since it was read (or it was not as this run
        # expected). Decide again on the item as read back.
        attempted, assuming = {"decision": decision, "after": after, "previous": lock}, False
    else:
        module.fail_json(msg="The runbook lock of %s in %s (%s) kept changing while this task tried to %s it; run again."
                         % (key, table, module.region, "take" if params["state"] == "acquired" else "release"), **result)

    heartbeat = False
    if (params["state"] == "acquired" and params["heartbeat"] and not module.check_mode
            and decision["action"] in (locking.ACQUIRE, locking.RENEW, locking.TAKE_OVER)):
        heartbeat = start_heartbeat(module, table, key, after)
    result.update(changed=decision["changed"], outcome=decision["action"], holder_state=decision["state"], lock=after,
                  previous=lock, message=decision["message"], heartbeat=heartbeat,
                  unfinished=locking.mark_of(after))
    if module._diff:
        result["diff"] = diff_of(lock, after)
    if params["record"] and params["mark_unfinished"] and params["state"] == "acquired":
        result.update(write_progress_record(module, params["record"]))
    if decision["action"] == locking.TAKE_OVER:
        # Whose stale lock this run took over, and why: said in the run's output, not only in the result.
        module.warn("Runbook lock: %s" % decision["message"])
    if record_error:
        module.fail_json(msg="The run's last progress record (ConfigMap %s/%s) could not be written: %s. The lock was released "
                         "keeping this run's unfinished mark, so other runbooks are refused until it is finished: fix the cause "
                         "and run the same runbook again (it finds the estate as this run left it and records it)."
                         % (params["record"]["namespace"], params["record"]["name"], record_error), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
