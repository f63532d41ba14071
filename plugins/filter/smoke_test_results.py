# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""smoke_test_results: the smoke_test role's results per side (logic in module_utils/smoke.py)."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import smoke


def smoke_test_results(runs, jobs=None, http=None):
    return smoke.results(runs, jobs, http)


class FilterModule(object):
    def filters(self):
        return {"smoke_test_results": smoke_test_results}
