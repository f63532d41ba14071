# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drill markers in the estate's ElastiCache (Redis OSS) cache, with redis-py: CacheMarkers implements the marker-store
protocol of module_utils/state_store_markers.py on one replication group of cloudops_cache (its primary or its
secondary), at the group's primary endpoint (DescribeReplicationGroups' NodeGroups[0].PrimaryEndpoint).

  write    SET <cache_key> <written_at> EX CACHE_MARKER_TTL_SECONDS (on the datastore's primary group)
  present  SCAN MATCH <cache_pattern> + MGET (reads only: works on a read-only secondary)
  purge    DEL of the SCANned keys (a read-only group answers READONLY: StoreError naming the group)

Modules check HAS_REDIS first and fail with missing_required_lib("redis") (REDIS_IMPORT_ERROR); CacheMarkers itself
raises StoreError without redis-py. Errors are StoreError whose message names the replication group, the address it
connected to and the setting to check (cache_connection's options).
"""

from __future__ import annotations

import importlib
import importlib.util

# redis-py is imported when a cache is first connected to, not with this file: a drill of an estate without a cache
# would pay ~0.1-0.3 s of CPU per markers process for a library it never uses.
HAS_REDIS = importlib.util.find_spec("redis") is not None
REDIS_IMPORT_ERROR = None if HAS_REDIS else "ModuleNotFoundError: No module named 'redis'"

from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers as markers
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws import elasticache
from ansible_collections.cloudops.runbooks.plugins.module_utils._aws.common import client


def redis_library():
    """The redis module (imported on first use)."""
    return importlib.import_module("redis")


def errors():
    """What a cache call can raise: redis-py's errors and socket errors."""
    return (OSError, redis_library().exceptions.RedisError) if HAS_REDIS else (OSError,)


SIDES = ("primary", "secondary")
SCAN_COUNT = 1000   # keys a SCAN step looks at (a hint to the server)
CHUNK = 500         # keys per MGET / DEL
DEFAULT_CONNECT_TIMEOUT = 5.0

CONNECTION_DEFAULTS = {"host_override": "", "port_override": 0, "tls": None, "auth_token": "",
                       "connect_timeout": DEFAULT_CONNECT_TIMEOUT}


def connection_argument_spec():
    """The module option `cache_connection` (how this host reaches the cache's endpoints): a dict for argument_spec.
    Documented by the doc fragment cloudops.runbooks.cache_connection."""
    return dict(type="dict", apply_defaults=True, options=dict(
        host_override=dict(type="str", default=""),
        port_override=dict(type="int", default=0),
        tls=dict(type="bool"),
        auth_token=dict(type="str", default="", no_log=True),
        connect_timeout=dict(type="float", default=DEFAULT_CONNECT_TIMEOUT)))


def connection_settings(connection):
    """cache_connection with every key (None or missing values: the defaults)."""
    given = connection if isinstance(connection, dict) else {}
    out = dict(CONNECTION_DEFAULTS)
    out.update((key, value) for key, value in given.items() if key in CONNECTION_DEFAULTS and value is not None)
    return out


def group_endpoint(group):
    """{address, port, tls} of a ReplicationGroups entry's primary endpoint (cluster mode disabled: NodeGroups[0]),
    tls from its TransitEncryptionEnabled; None without one (cluster mode enabled, or the group still creating)."""
    node_groups = (group or {}).get("NodeGroups") or []
    endpoint = (node_groups[0].get("PrimaryEndpoint") or {}) if node_groups else {}
    if not endpoint.get("Address") or not endpoint.get("Port"):
        return None
    return {"address": endpoint["Address"], "port": int(endpoint["Port"]), "tls": bool(group.get("TransitEncryptionEnabled"))}


def connect_target(endpoint, connection):
    """(host, port, tls) to connect to: the endpoint with cache_connection's overrides ('' / 0 / None: none)."""
    settings = connection_settings(connection)
    host = settings["host_override"] or endpoint["address"]
    port = int(settings["port_override"] or endpoint["port"])
    tls = endpoint.get("tls", False) if settings["tls"] is None else bool(settings["tls"])
    return host, port, bool(tls)


def redis_kwargs(host, port, tls, connection):
    """Keyword arguments of redis.Redis for one connection (decoded replies; TLS verifies the server's certificate,
    and its host name unless host_override replaces the endpoint's, which the certificate cannot name)."""
    settings = connection_settings(connection)
    timeout = float(settings["connect_timeout"])
    kwargs = {"host": host, "port": int(port), "socket_connect_timeout": timeout, "socket_timeout": timeout,
              "decode_responses": True}
    if settings["auth_token"]:
        kwargs["password"] = settings["auth_token"]
    if tls:
        kwargs["ssl"] = True
        kwargs["ssl_check_hostname"] = not settings["host_override"]
    return kwargs


def seqs_of(run_id, keys):
    """{seq: key} of the keys that are run_id's markers (a SCAN MATCH may also return another run's keys whose id
    starts with run_id and a colon; other keys are ignored)."""
    out = {}
    for key in keys:
        key = key.decode() if isinstance(key, bytes) else str(key)
        try:
            seq = markers.seq_of_cache_key(key)
        except (ValueError, IndexError):
            continue
        if key == markers.cache_key(run_id, seq):
            out[seq] = key
    return out


def chunks(items, size=None):
    items, size = list(items), size or CHUNK
    return [items[start:start + size] for start in range(0, len(items), size)]


def error_message(error, resource, region, host, port, tls, doing):
    """StoreError's text for a redis-py error: names the group, where it connected, and what to check."""
    where = "cache %s (%s) at %s:%s%s" % (resource, region, host, port, " with TLS" if tls else "")
    name = type(error).__name__
    text = str(error).strip() or name
    if name == "ReadOnlyError" or text.upper().startswith("READONLY"):
        return ("%s is read-only (the Global Datastore's secondary, or a replica): %s needs its primary group - write and "
                "purge markers on cloudops_cache's current primary" % (where, doing))
    if name in ("AuthenticationError", "AuthenticationWrongNumberOfArgsError") or text.upper().startswith(("NOAUTH", "WRONGPASS")):
        return ("%s refused the login while %s (%s): check cache_connection.auth_token (the group's AUTH token; '' when it "
                "has none)" % (where, doing, text))
    if name in ("ConnectionError", "TimeoutError") or isinstance(error, (OSError,)):
        return ("could not reach %s while %s (%s): check cache_connection.host_override / port_override (the address "
                "this host reaches the group at), cache_connection.tls (the group's in-transit encryption), "
                "connect_timeout, and that the security group lets this host in" % (where, doing, text))
    return "%s failed while %s: %s" % (where, doing, text)


class CacheMarkers(object):
    """The marker store of one replication group of cloudops_cache (side 'primary' or 'secondary').

    module: the AnsibleAWSModule (its AWS connection describes the group); cache_spec: cloudops_cache
    ({global_datastore_id, primary: {region, replication_group_id}, secondary: {...}}); connection: cache_connection
    (connection_argument_spec(); None: defaults). group: a ReplicationGroups entry already read (skips the describe);
    redis_factory: a callable(**redis_kwargs) giving the client (tests); default redis.Redis.
    The endpoint is read and the connection opened on first use."""

    kind = markers.CACHE

    def __init__(self, module, cache_spec, side, connection=None, group=None, redis_factory=None):
        if side not in SIDES:
            raise ValueError("side must be one of %s, got %r" % (", ".join(SIDES), side))
        spec = (cache_spec or {}).get(side) or {}
        if not spec.get("replication_group_id") or not spec.get("region"):
            raise markers.StoreError("cloudops_cache.%s needs region and replication_group_id" % side)
        self.module, self.side, self.connection = module, side, connection_settings(connection)
        self.region, self.resource = spec["region"], spec["replication_group_id"]
        self._group, self._factory, self._client = group, redis_factory, None
        self.target = None  # (host, port, tls) once connected

    # -- the connection --------------------------------------------------------------------------------------------
    def group(self):
        if self._group is None:
            conn = client(self.module, "elasticache", region=self.region)
            self._group = elasticache.describe_replication_group(self.module, conn, self.resource)
            if self._group is None:
                raise markers.StoreError("cache %s: replication group not found in %s: check cloudops_cache.%s (region, "
                                         "replication_group_id)" % (self.resource, self.region, self.side))
        return self._group

    def endpoint(self):
        """{address, port, tls} as the API gives it (before cache_connection's overrides)."""
        found = group_endpoint(self.group())
        if found is None:
            raise markers.StoreError("cache %s (%s): no primary endpoint (status %s): a cluster-mode-disabled group that is "
                                     "available is needed" % (self.resource, self.region, self.group().get("Status")))
        return found

    def redis(self):
        if self._client is None:
            if self._factory is None and not HAS_REDIS:
                raise markers.StoreError("cache %s: the redis Python library (redis-py) is not installed on this host: "
                                         "pip install 'redis>=4.5'" % self.resource)
            self.target = connect_target(self.endpoint(), self.connection)
            factory = self._factory or redis_library().Redis
            self._client = factory(**redis_kwargs(self.target[0], self.target[1], self.target[2], self.connection))
        return self._client

    def _run(self, doing, action):
        """action(redis client); redis-py's errors become StoreError naming the group and what to check."""
        target = None
        try:
            found = self.redis()
            target = self.target
            return action(found)
        except errors() as e:  # redis-py's errors and socket errors: one message per kind
            host, port, tls = target or self.target or ("?", "?", False)
            raise markers.StoreError(error_message(e, self.resource, self.region, host, port, tls, doing))

    def _scan(self, found, run_id):
        return seqs_of(run_id, found.scan_iter(match=markers.cache_pattern(run_id), count=SCAN_COUNT))

    # -- the protocol ----------------------------------------------------------------------------------------------
    def write(self, run_id, seq, written_at):
        key = markers.cache_key(run_id, seq)
        self._run("writing marker %s" % key,
                  lambda found: found.set(key, str(written_at), ex=markers.CACHE_MARKER_TTL_SECONDS))

    def present(self, run_id):
        def read(found):
            keys = self._scan(found, run_id)
            out = {}
            for part in chunks(sorted(keys)):
                values = found.mget([keys[seq] for seq in part])
                out.update((seq, value) for seq, value in zip(part, values) if value is not None)  # expired meanwhile
            return out

        return self._run("reading the markers of run %s" % run_id, read)

    def purge(self, run_id):
        def delete(found):
            keys = self._scan(found, run_id)
            return sum(int(found.delete(*[keys[seq] for seq in part]) or 0) for part in chunks(sorted(keys)))

        return self._run("purging the markers of run %s" % run_id, delete)

    def close(self):
        if self._client is not None:
            try:
                self._client.close()
            except errors():  # closing is best effort
                pass
            self._client = None
