# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every module that opens the database behind an RDS instance shares: the argument spec of the connection
options (doc fragment cloudops.runbooks.database), the credentials they name, and opening the connection.

Decisions stay in module_utils/database.py, driver I/O in _db/postgres.py; this file wires them to a module.
"""

from __future__ import annotations

from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import secretsmanager
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres


def connection_options():
    """The argument spec of the connection options (doc fragment cloudops.runbooks.database)."""
    return dict(
        login_db=dict(type="str", aliases=["db", "database"]),
        login_user=dict(type="str"),
        login_password=dict(type="str", no_log=True),
        login_secret_id=dict(type="str"),
        login_host=dict(type="str"),
        port=dict(type="int", aliases=["login_port"]),
        ssl_mode=dict(type="str", default="require", choices=["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]),
        ca_cert=dict(type="path", aliases=["ssl_rootcert"]),
        connect_timeout=dict(type="int", default=60),
    )


def credentials(module):
    """(user, password, source, description) from the options or the secret they name."""
    params = module.params
    source = database.credential_source(params["login_user"], params["login_password"], params["login_secret_id"])
    if source == database.OPTIONS:
        return params["login_user"], params["login_password"], source, "login_user/login_password"
    secret_id = params["login_secret_id"]
    region = database.secret_region(secret_id, module.region)
    # Read once per process: a module that opens two databases with the same login (rds_drill_markers' read on DR and
    # purge on the primary) asks Secrets Manager once.
    read = module.__dict__.setdefault("_cloudops_secrets", {})
    if (secret_id, region) not in read:
        conn = client(module, "secretsmanager", region=region)
        read[(secret_id, region)] = database.parse_secret(secretsmanager.secret_string(module, conn, secret_id), secret_id)
    user, password = read[(secret_id, region)]
    module.no_log_values.add(password)  # masked wherever Ansible prints module output
    return user, password, source, "secret %s" % secret_id


def open_connection(module, instance):
    """A read-only connection to the database of instance (a DBInstances entry), or the task fails saying why.

    Returns (connection, facts) with facts {endpoint, database, user, credential_source, connect_attempts, settings}.
    """
    params = module.params
    if params["connect_timeout"] < 0:
        module.fail_json(msg="connect_timeout must be 0 or more seconds")
    try:
        endpoint = database.resolve_endpoint(instance, params["login_host"], params["port"])
        dbname = database.database_name(instance, params["login_db"])
        user, password, source, described = credentials(module)
    except database.DatabaseError as e:
        module.fail_json(msg=str(e))
    settings = database.ConnectionSettings(endpoint["address"], endpoint["port"], dbname, user, password,
                                           params["ssl_mode"], params["ca_cert"])
    try:
        conn, attempts = postgres.connect(settings, params["connect_timeout"])
    except database.ConnectFailed as e:
        module.fail_json(msg=database.connect_failure_message(e, settings, endpoint, described, params["connect_timeout"]))
    return conn, {"endpoint": endpoint, "database": dbname, "user": user, "credential_source": source,
                  "connect_attempts": attempts, "settings": settings}
