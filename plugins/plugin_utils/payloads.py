# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Module payloads built ahead of the steps that run them.

Before a module process starts, ansible-core builds the module's payload (AnsiballZ: the module and every module_util
it imports, found by parsing each file) on the controller, once per module and ansible-playbook run, in the task's
worker: 0.3-0.9 s of CPU on each step's first call of a module, spent while the run waits. The runbook's first task
(the runbook_request action) hands the list of modules the run will call to `build_in_background`: a detached process
builds their payloads into the run's payload cache (the same files, under the same lock, as the steps' own builds),
in the order the run first calls them, while the lock is taken and the estate read; each step then finds its payload
built. Nothing depends on it: a step whose payload is not built yet builds it as before, and any error here only
means no head start.
"""

from __future__ import annotations

import os
import shutil
import sys
import warnings

from ansible import constants as C
from ansible.executor import module_common
from ansible.plugins.loader import module_loader
from ansible.utils.display import Display

display = Display()

# Set to 1 to leave every payload to its step (e.g. to measure the head start).
DISABLE_ENV = "CLOUDOPS_NO_PAYLOAD_HEAD_START"


def _alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def build(module_names, templar, task_vars, controller_pid):
    """Build the payload of each module (fully qualified names) into the run's payload cache, in order; stop when the
    ansible-playbook process `controller_pid` is gone (its temporary directory with the cache goes with it)."""
    variables = dict(task_vars)
    # The interpreter goes into the payload's shebang after the cache, not into the cached payload: any will do here.
    variables.setdefault("ansible_python_interpreter", sys.executable)
    compression = C.config.get_config_value("DEFAULT_MODULE_COMPRESSION", variables=task_vars)
    for name in module_names:
        if not _alive(controller_pid):
            break
        found = module_loader.find_plugin_with_context(name)
        if not found.resolved:
            continue
        module_common.modify_module(module_name=name, module_path=found.plugin_resolved_path, module_args={},
                                    templar=templar, task_vars=variables, module_compression=compression)
    if not _alive(controller_pid):
        # The run ended meanwhile and removed its temporary directory: do not leave one re-created by a build.
        shutil.rmtree(C.DEFAULT_LOCAL_TMP, ignore_errors=True)


def build_in_background(module_names, templar, task_vars):
    """Start `build` in a detached process (double fork: the calling worker neither waits for it nor leaves a zombie)
    and return at once. Does nothing when DISABLE_ENV is set or the process cannot be forked."""
    if not module_names or os.environ.get(DISABLE_ENV, "") not in ("", "0"):
        return False
    controller_pid = os.getppid()
    try:
        with warnings.catch_warnings():
            # Python 3.12+ warns of fork in a process with threads; the child only builds files and exits.
            warnings.simplefilter("ignore", DeprecationWarning)
            child = os.fork()
    except OSError:
        return False
    if child:
        os.waitpid(child, 0)
        return True
    try:
        if os.fork() == 0:
            detach()
            build(module_names, templar, task_vars, controller_pid)
    except BaseException:  # pylint: disable=broad-except
        pass
    finally:
        os._exit(0)


def detach():
    """In the building process: nothing on the run's output (its standard streams go to /dev/null, so whoever reads
    ansible-playbook's output does not wait for this process either), no message through the worker's queue to the
    controller, no other descriptor of the worker kept open, and a lower CPU priority than the run's own processes."""
    devnull = os.open(os.devnull, os.O_RDWR)
    for stream in (0, 1, 2):
        os.dup2(devnull, stream)
    os.closerange(3, 65536)
    display._final_q = None  # pylint: disable=protected-access
    # Behind the run's own processes for the CPU: a payload is needed seconds after the build starts, the step running
    # now is needed at once (on two cores a drill's status before and lock would otherwise share them with the builds).
    try:
        os.nice(10)
    except OSError:
        pass
