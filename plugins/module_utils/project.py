# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user's project directory: where the relative paths an inventory gives (a service's `chart`, `values_files`, the
run evidence root `cloudops_run_dir_root`) start.

Run from a clone of this repository (`ansible-playbook playbooks/deploy.yml`), the playbooks' parent directory is the
project. Run by FQCN from an installed collection (`ansible-playbook cloudops.runbooks.deploy`, an execution
environment, AWX), the playbooks live inside the collection - a directory that may be read-only and that `ansible-galaxy
collection install --force` wipes - so the project is the directory ansible-playbook runs in (AWX runs a job in its
project's checkout). `cloudops_project_dir` overrides both.
"""

from __future__ import annotations

import os

COLLECTION_PLAYBOOKS = os.path.join("ansible_collections", "cloudops", "runbooks", "playbooks")


def installed(playbook_dir):
    """Whether the playbook is one of an installed copy of this collection (…/ansible_collections/cloudops/runbooks/playbooks)."""
    return os.path.normpath(str(playbook_dir or "")).endswith(os.sep + COLLECTION_PLAYBOOKS)


def project_dir(playbook_dir, cwd, explicit=""):
    """The project directory (absolute): `explicit` (relative to cwd) when given; cwd for a playbook of an installed
    collection; else the playbook directory's parent (a clone: <repo>/playbooks -> <repo>)."""
    if explicit:
        return os.path.normpath(os.path.join(cwd, str(explicit)))
    if installed(playbook_dir):
        return os.path.normpath(cwd)
    return os.path.dirname(os.path.normpath(str(playbook_dir)))
