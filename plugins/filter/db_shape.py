# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The database shape an inventory's cloudops_rds declares (module_utils/db_shape.py): the one switch between shapes."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape as shapes


def db_shape(cloudops_rds):
    return shapes.shape(cloudops_rds)


class FilterModule(object):
    def filters(self):
        return {"db_shape": db_shape}
