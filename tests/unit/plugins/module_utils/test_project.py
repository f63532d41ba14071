# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""module_utils/project.py: where an inventory's relative paths start, from a clone and from an installed collection."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import project

INSTALLED = "/home/sre/.ansible/collections/ansible_collections/cloudops/runbooks/playbooks"


def test_from_a_clone_the_project_is_the_playbooks_parent():
    assert project.project_dir("/src/cloudops.runbooks/playbooks", "/tmp") == "/src/cloudops.runbooks"
    assert not project.installed("/src/cloudops.runbooks/playbooks")


def test_from_an_installed_collection_the_project_is_where_ansible_playbook_runs():
    assert project.installed(INSTALLED) and project.installed(INSTALLED + "/")
    assert project.project_dir(INSTALLED, "/home/sre/shop-ops") == "/home/sre/shop-ops"
    # a clone that happens to be checked out under a collections path is an installed layout too
    assert project.project_dir("/x/ansible_collections/cloudops/runbooks/playbooks", "/work") == "/work"


def test_an_explicit_project_dir_wins_relative_to_the_working_directory():
    assert project.project_dir(INSTALLED, "/home/sre/shop-ops", "ops") == "/home/sre/shop-ops/ops"
    assert project.project_dir("/src/repo/playbooks", "/home/sre", "/srv/project") == "/srv/project"
