# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The user's project directory (module_utils/project.py): where an inventory's relative paths start."""

from __future__ import annotations

import os

from ansible_collections.cloudops.runbooks.plugins.module_utils import project


def project_dir(playbook_dir, explicit=""):
    # Filters run in the ansible-playbook process on the control node: its working directory is the user's.
    return project.project_dir(playbook_dir, os.getcwd(), explicit or "")


class FilterModule(object):
    def filters(self):
        return {"project_dir": project_dir}
