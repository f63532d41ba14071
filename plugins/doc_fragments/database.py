# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Connection options of the modules that open the database behind an RDS instance."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  login_db:
    description:
      - Database to open.
      - Defaults to the database the instance was created with (its C(DBName)); set it when the instance has none.
    type: str
    aliases: [db, database]
  login_user:
    description:
      - User to log in as. Needs O(login_password); mutually exclusive with O(login_secret_id).
    type: str
  login_password:
    description:
      - Password of O(login_user). Never returned or logged.
    type: str
  login_secret_id:
    description:
      - Name or ARN of a Secrets Manager secret holding the credentials, read in the instance's region (an ARN's
        own region when an ARN is given).
      - Its C(SecretString) is JSON with C(username) and C(password) keys, as in the secrets RDS manages; other
        keys (C(host), C(port), C(dbname)) are ignored, the endpoint comes from the RDS API or the overrides.
      - Mutually exclusive with O(login_user) and O(login_password).
    type: str
  login_host:
    description:
      - Address to connect to instead of the instance's API endpoint address, for example the local end of a
        bastion tunnel. RV(endpoint.address_source) tells which was used.
    type: str
  port:
    description:
      - Port to connect to instead of the instance's API endpoint port. V(0) uses the endpoint's port.
        RV(endpoint.port_source) tells which was used.
    type: int
    aliases: [login_port]
  ssl_mode:
    description:
      - libpq C(sslmode). See U(https://www.postgresql.org/docs/current/libpq-ssl.html).
      - Use V(verify-full) with O(ca_cert) set to the RDS certificate bundle in production.
    type: str
    default: require
    choices: [disable, allow, prefer, require, verify-ca, verify-full]
  ca_cert:
    description:
      - File of CA certificates that must sign the server's certificate (libpq C(sslrootcert)), for example the
        RDS global bundle.
    type: path
    aliases: [ssl_rootcert]
  connect_timeout:
    description:
      - Total seconds to wait for the server to accept a connection. Refused connections, timeouts, unresolved
        names and a server still starting are retried with growing pauses (0.2 s up to 5 s) until then;
        authentication, unknown database and TLS errors fail at once.
    type: int
    default: 60
notes:
  - Needs the C(psycopg) (version 3) Python library on the host that runs the module.
requirements:
  - psycopg >= 3.1
"""
