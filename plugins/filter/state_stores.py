# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The estate's cache and buckets in the failover and drill steps (module_utils/failover_plan.py): the cache's global
failover arguments and the application's Secret keys repointed with the database."""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import failover_plan


def cache_failover_args(plan, direction):
    return failover_plan.cache_failover_args(plan, direction)


def app_settings(plan, cache_result=None, side="dr"):
    endpoint = ((cache_result or {}).get("primary") or {}).get("endpoint") if isinstance(cache_result, dict) else None
    return failover_plan.app_settings((plan or {}).get("stores"), endpoint, side)


class FilterModule(object):
    def filters(self):
        return {"cache_failover_args": cache_failover_args, "app_settings": app_settings}
