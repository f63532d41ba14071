# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The option cache_connection of the modules that read or write the estate's ElastiCache (Redis OSS) cache with
redis-py (module_utils/_cache/markers.py: connection_argument_spec())."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  cache_connection:
    description:
      - How this host reaches the cache's replication groups (C(cloudops_cache)), at each group's primary endpoint
        (C(NodeGroups[0].PrimaryEndpoint) of C(DescribeReplicationGroups)).
      - Needs the C(redis) Python library (redis-py) on the host the module runs on.
    type: dict
    version_added: 1.1.0
    suboptions:
      host_override:
        description:
          - Address to connect to instead of the endpoint's (a tunnel; the sandbox's V(127.0.0.1)). V('') uses the
            endpoint's. With TLS the server's certificate is then not checked against the host name.
        type: str
        default: ''
      port_override:
        description:
          - Port to connect to instead of the endpoint's. V(0) uses the endpoint's.
        type: int
        default: 0
      tls:
        description:
          - Connect with TLS (the group's in-transit encryption). Omitted, the group's C(TransitEncryptionEnabled) decides.
        type: bool
      auth_token:
        description:
          - The group's AUTH token. V('') logs in without one. Never returned or logged.
        type: str
        default: ''
      connect_timeout:
        description:
          - Seconds to wait for a connection and for each reply.
        type: float
        default: 5.0
"""
