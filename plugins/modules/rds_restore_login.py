#!/usr/bin/python
# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

DOCUMENTATION = r"""
---
module: rds_restore_login
version_added: 1.0.0
short_description: Make the current database credentials log in to a restored RDS instance
description:
  - A restored instance has the master password of its restore point. When the password was changed since (rotated
    in Secrets Manager, say), the current credentials cannot log in to a restore of an older snapshot or point in
    time, and neither can the application after a cutover.
  - This module logs in to the restored instance O(instance_id) with the current credentials (O(login_secret_id),
    or O(login_user)/O(login_password), as M(cloudops.runbooks.rds_data_verify) does). When the server refuses the
    password (C(password authentication failed)) and the credentials' user is the instance's master user, it sets
    the instance's master password to the current one (C(ModifyDBInstance MasterUserPassword), applied immediately),
    waits until the instance is available again and the login works, and reports RV(password_set). The password is
    never returned or logged. For an instance of an Aurora cluster (restored by M(cloudops.runbooks.rds_restore)
    with O(cloudops.runbooks.rds_restore#module:cluster_id)) the password is the cluster's (C(ModifyDBCluster)).
  - Only an instance carrying the C(cloudops:restored-from) tag of M(cloudops.runbooks.rds_restore) is ever changed
    (O(only_if_restored)), so a typo cannot reset a primary's password. A user that is not the master user, a login
    refused for another reason (pg_hba, TLS, a missing database) and O(set_master_password=false) fail the task,
    saying why, without any change.
  - Check mode logs in for real (read-only) and predicts whether the password would be set.
options:
  instance_id:
    description:
      - Identifier of the restored DB instance.
    type: str
    required: true
    aliases: [db_instance_identifier]
  set_master_password:
    description:
      - Set the master password from the credentials when they cannot log in. V(false) only reports the refusal (the
        task fails).
    type: bool
    default: true
  only_if_restored:
    description:
      - Change only an instance with the C(cloudops:restored-from) tag (restored by M(cloudops.runbooks.rds_restore)).
    type: bool
    default: true
  wait_timeout:
    description:
      - Seconds to wait, after setting the password, until the instance is available and the login works.
    type: int
    default: 900
author:
  - cloudops platform team (@cloudops)
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
extends_documentation_fragment:
  - cloudops.runbooks.attributes
  - cloudops.runbooks.database
  - amazon.aws.common.modules
  - amazon.aws.region.modules
  - amazon.aws.boto3
"""

EXAMPLES = r"""
- name: Make the current secret's password work on the restored instance (a snapshot older than a rotation)
  cloudops.runbooks.rds_restore_login:
    instance_id: shop-db-restore-20260131-060000
    region: us-east-1
    login_secret_id: shop/db/master
    ssl_mode: verify-full
    ca_cert: /etc/ssl/certs/rds-global-bundle.pem
  register: login
"""

RETURN = r"""
login:
  description: >-
    V(ok) when the credentials logged in at once, V(password_set) when the master password was set and the login then
    worked, V(would_set_password) in check mode when it would be set.
  returned: success
  type: str
  sample: password_set
password_set:
  description: Whether the master password was set (in check mode, whether it would be).
  returned: always
  type: bool
  sample: true
user:
  description: The user the credentials name (the instance's master user when the password was set).
  returned: success
  type: str
  sample: shop_admin
credential_source:
  description: Where the credentials came from (V(secret) or V(options)).
  returned: success
  type: str
  sample: secret
endpoint:
  description: Where the module connected, and where each part came from.
  returned: success
  type: dict
  contains:
    address:
      description: Host name or IP address.
      type: str
      sample: 127.0.0.1
    port:
      description: TCP port.
      type: int
      sample: 5432
    address_source:
      description: V(api) (the instance's C(Endpoint.Address)) or V(login_host).
      type: str
      sample: login_host
    port_source:
      description: V(api) (the instance's C(Endpoint.Port)) or V(port).
      type: str
      sample: api
waited_seconds:
  description: Seconds from the password change until the login worked (0 when nothing was set).
  returned: always
  type: float
  sample: 41.2
"""

import time

from ansible.module_utils.basic import missing_required_lib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from ansible_collections.cloudops.runbooks.plugins.module_utils import backup
from ansible_collections.cloudops.runbooks.plugins.module_utils import database
from ansible_collections.cloudops.runbooks.plugins.module_utils import waiting
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import rds_snapshots
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client
from ansible_collections.cloudops.runbooks.plugins.module_utils._db import postgres
from ansible_collections.cloudops.runbooks.plugins.module_utils._db.connect import connection_options, credentials

WRONG_PASSWORD = "password authentication failed"


def try_login(settings, timeout):
    """None when the credentials log in (the connection is closed again), else the database.ConnectFailed."""
    try:
        conn, dummy = postgres.connect(settings, timeout)
    except database.ConnectFailed as e:
        return e
    postgres.close(conn)
    return None


def main():
    argument_spec = dict(
        instance_id=dict(type="str", required=True, aliases=["db_instance_identifier"]),
        set_master_password=dict(type="bool", default=True),
        only_if_restored=dict(type="bool", default=True),
        wait_timeout=dict(type="int", default=900),
    )
    argument_spec.update(connection_options())
    module = AnsibleAWSModule(argument_spec=argument_spec, supports_check_mode=True)
    if not postgres.HAS_PSYCOPG:
        module.fail_json(msg=missing_required_lib("psycopg"), exception=postgres.PSYCOPG_IMPORT_ERROR)
    params = module.params
    instance_id = params["instance_id"]
    conn = client(module, "rds")
    instance = rds.describe_instance(module, conn, instance_id)
    if instance is None:
        module.fail_json(msg="RDS instance %s not found in %s: check instance_id and region" % (instance_id, module.region),
                         password_set=False, waited_seconds=0.0)
    try:
        endpoint = database.resolve_endpoint(instance, params["login_host"], params["port"])
        dbname = database.database_name(instance, params["login_db"])
        user, password, source, described = credentials(module)
    except database.DatabaseError as e:
        module.fail_json(msg=str(e), password_set=False, waited_seconds=0.0)
    settings = database.ConnectionSettings(endpoint["address"], endpoint["port"], dbname, user, password,
                                           params["ssl_mode"], params["ca_cert"])
    result = dict(user=user, credential_source=source, password_set=False, waited_seconds=0.0, endpoint=endpoint)

    failure = try_login(settings, params["connect_timeout"])
    if failure is None:
        module.exit_json(changed=False, login="ok", **result)
    refusal = database.connect_failure_message(failure, settings, endpoint, described, params["connect_timeout"])
    if WRONG_PASSWORD not in failure.last_error.lower():
        module.fail_json(msg=refusal, **result)

    # The password is wrong: the restore point predates a password change. Only the master user's can be set.
    tags = backup.tags_to_dict(instance.get("TagList"))
    master = instance.get("MasterUsername")
    why_not = None
    if params["only_if_restored"] and backup.RESTORED_FROM_TAG not in tags:
        why_not = ("it has no %s tag, so it was not restored by rds_restore and its password is left alone"
                   % backup.RESTORED_FROM_TAG)
    elif master and master != user:
        why_not = ("the credentials' user %s is not its master user %s, and only the master user's password can be set "
                   "through RDS: set %s's password on the instance by hand, or use the master user's credentials"
                   % (user, master, user))
    elif not params["set_master_password"]:
        why_not = "set_master_password is false"
    if why_not:
        module.fail_json(msg="The current credentials (%s) cannot log in to %s - its data predates a password change? - "
                         "and its master password was not set: %s. %s" % (described, instance_id, why_not, refusal), **result)
    if module.check_mode:
        result.update(password_set=True)
        module.exit_json(changed=True, login="would_set_password", **result)

    # RDS refuses ModifyDBInstance while the instance is busy (creating, modifying, backing-up...).
    ready = waiting.poll_until(lambda: rds.describe_instance(module, conn, instance_id),
                               lambda found: found is None or found.get("DBInstanceStatus") == backup.AVAILABLE,
                               params["wait_timeout"])
    if ready["result"] is None or not ready["done"]:
        module.fail_json(msg="instance %s is %s: its master password can only be set while it is available"
                         % (instance_id, "gone" if ready["result"] is None else ready["result"].get("DBInstanceStatus")), **result)
    started = time.monotonic()
    if instance.get("DBClusterIdentifier"):  # an Aurora instance: the master password is its cluster's
        rds_snapshots.modify_cluster_master_password(module, conn, instance["DBClusterIdentifier"], password)
    else:
        rds_snapshots.modify_master_password(module, conn, instance_id, password)
    # RDS applies the new password asynchronously (status resetting-master-credentials): log in until it works.
    outcome = waiting.poll_until(lambda: try_login(settings, min(params["connect_timeout"], 10) or 2),
                                 lambda failed: failed is None, params["wait_timeout"])
    waited = round(time.monotonic() - started, 3)
    result.update(password_set=True, waited_seconds=waited)
    if outcome["result"] is not None:
        module.fail_json(changed=True, msg="The master password of %s was set from %s, but the login still fails after %s s: "
                         "%s" % (instance_id, described, params["wait_timeout"], database.connect_failure_message(
                             outcome["result"], settings, endpoint, described, params["connect_timeout"])), **result)
    module.exit_json(changed=True, login="password_set", **result)


if __name__ == "__main__":
    main()
