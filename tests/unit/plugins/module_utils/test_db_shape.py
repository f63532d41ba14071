# -*- coding: utf-8 -*-
from __future__ import annotations

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import db_shape


@pytest.mark.parametrize("rds, expected", [
    ({"primary": {"instance_id": "db"}, "replica": {"instance_id": "db-dr"}}, db_shape.REPLICA),
    ({"engine": "aurora-postgresql", "global_cluster_id": "g", "primary": {}, "secondary": {}}, db_shape.AURORA_GLOBAL),
    ({"engine": "Aurora-PostgreSQL"}, db_shape.AURORA_GLOBAL),
    ({"primary": {"instance_id": "db"}, "dr_restore": {"instance_id": "db-dr"}}, db_shape.RESTORE),
    ({"primary": {"instance_id": "db"}}, db_shape.SINGLE),
    ({"primary": {"instance_id": "db"}, "replica": {}}, db_shape.SINGLE),
    (None, db_shape.SINGLE),
])
def test_the_shape_follows_the_declared_keys(rds, expected):
    assert db_shape.shape(rds) == expected


def test_an_unserved_shape_is_refused_naming_what_is_served():
    message = db_shape.unsupported("failback", {"primary": {}, "dr_restore": {"instance_id": "x"}}, (db_shape.REPLICA,))
    assert message.startswith("cloudops_rds declares an RDS instance restored in DR")
    assert "the failback runbook serves: an RDS instance with a cross-region read replica" in message


def test_a_served_shape_is_not_refused():
    assert db_shape.unsupported("drill", {"engine": "aurora-postgresql"}, (db_shape.REPLICA, db_shape.AURORA_GLOBAL)) is None
