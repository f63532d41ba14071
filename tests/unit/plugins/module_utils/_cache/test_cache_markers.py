# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""CacheMarkers (_cache/markers.py) on a fake Redis client: the keys and TTL of the marker-store protocol, SCAN + MGET
reads, purge counts, the endpoint and connection settings, and the StoreError texts naming the group and what to check.
The real thing (redis-server behind the sandbox's Global Datastore) is tests/integration/test_cache_failover.py."""

from __future__ import annotations

import re

import pytest

from ansible_collections.cloudops.runbooks.plugins.module_utils import state_store_markers as ssm
from ansible_collections.cloudops.runbooks.plugins.module_utils._cache import markers as cm

redis = pytest.importorskip("redis")

SPEC = {"global_datastore_id": "qwmzn-shop-cache", "primary": {"region": "us-east-1", "replication_group_id": "shop-cache"},
        "secondary": {"region": "us-west-2", "replication_group_id": "shop-cache-dr"}}


def group(name="shop-cache", port=6379, tls=False, address=None):
    return {"ReplicationGroupId": name, "Status": "available", "TransitEncryptionEnabled": tls,
            "NodeGroups": [{"NodeGroupId": "0001", "PrimaryEndpoint": {"Address": address or "master.%s.abc.use1.cache.amazonaws.com" % name,
                                                                       "Port": port}}]}


def glob(pattern):
    """Redis glob (with backslash escapes) as a regular expression."""
    out, i = "", 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
            out += re.escape(pattern[i])
        else:
            out += {"*": ".*", "?": "."}.get(char, re.escape(char))
        i += 1
    return re.compile(out + r"\Z")


class FakeRedis(object):
    def __init__(self, error=None, **kwargs):
        self.kwargs, self.data, self.ttl, self.error, self.calls = kwargs, {}, {}, error, []
        self.expire_on_mget = set()

    def _check(self, name):
        self.calls.append(name)
        if self.error is not None:
            raise self.error

    def set(self, key, value, ex=None):
        self._check("set")
        self.data[key], self.ttl[key] = value, ex
        return True

    def scan_iter(self, match=None, count=None):
        self._check("scan")
        self.scan_count = count
        return iter([key for key in list(self.data) if glob(match).match(key)])

    def mget(self, keys):
        self._check("mget")
        for key in self.expire_on_mget:
            self.data.pop(key, None)
        return [self.data.get(key) for key in keys]

    def delete(self, *keys):
        self._check("delete")
        return sum(1 for key in keys if self.data.pop(key, None) is not None)

    def close(self):
        self.calls.append("close")


def store(side="primary", connection=None, error=None, tls=False, fake=None):
    made = []

    def factory(**kwargs):
        client = fake or FakeRedis(error)
        client.kwargs = kwargs
        made.append(client)
        return client

    name = SPEC[side]["replication_group_id"]
    found = cm.CacheMarkers(None, SPEC, side, connection, group=group(name, tls=tls), redis_factory=factory)
    return found, made


def test_write_sets_the_key_with_the_ttl_and_present_reads_it_back():
    markers, made = store(connection={"host_override": "127.0.0.1"})
    assert (markers.kind, markers.resource) == ("cache", "shop-cache")
    for seq in (1, 2, 3):
        markers.write("drill-1", seq, "2026-12-07T01:00:0%dZ" % seq)
    fake = made[0]
    assert fake.data["cloudops-drill:drill-1:2"] == "2026-12-07T01:00:02Z"
    assert set(fake.ttl.values()) == {ssm.CACHE_MARKER_TTL_SECONDS}
    assert markers.present("drill-1") == {1: "2026-12-07T01:00:01Z", 2: "2026-12-07T01:00:02Z", 3: "2026-12-07T01:00:03Z"}
    assert fake.scan_count == cm.SCAN_COUNT and len(made) == 1  # one connection for the store's life


def test_present_and_purge_ignore_other_runs_and_other_keys():
    fake = FakeRedis()
    fake.data.update({"cloudops-drill:drill-1:1": "a", "cloudops-drill:drill-10:1": "b", "cloudops-drill:drill-1:x:2": "c",
                      "cloudops-drill:drill-1:oops": "d", "shop:config:currency": "EUR"})
    markers, dummy = store(fake=fake)
    assert markers.present("drill-1") == {1: "a"}
    assert markers.purge("drill-1") == 1
    assert sorted(fake.data) == ["cloudops-drill:drill-10:1", "cloudops-drill:drill-1:oops", "cloudops-drill:drill-1:x:2",
                                 "shop:config:currency"]


def test_a_run_id_with_glob_characters_matches_only_itself():
    fake = FakeRedis()
    fake.data.update({"cloudops-drill:run[1]*:1": "a", "cloudops-drill:run1x:1": "b"})
    markers, dummy = store(fake=fake)
    assert markers.present("run[1]*") == {1: "a"}


def test_purge_deletes_in_chunks_and_counts(monkeypatch):
    monkeypatch.setattr(cm, "CHUNK", 2)
    markers, made = store()
    for seq in range(1, 6):
        markers.write("d", seq, "t%d" % seq)
    assert markers.purge("d") == 5 and made[0].calls.count("delete") == 3
    assert markers.purge("d") == 0 and markers.present("d") == {}


def test_a_key_expired_between_scan_and_mget_is_not_present():
    markers, made = store()
    markers.write("d", 1, "t1")
    markers.write("d", 2, "t2")
    made[0].expire_on_mget = {"cloudops-drill:d:1"}
    assert markers.present("d") == {2: "t2"}


def test_a_read_only_group_refuses_writes_and_purges_naming_it():
    markers, dummy = store("secondary", {"host_override": "127.0.0.1", "port_override": 7000},
                           error=redis.exceptions.ReadOnlyError("You can't write against a read only replica."))
    with pytest.raises(ssm.StoreError) as raised:
        markers.purge("d")
    text = str(raised.value)
    assert text.startswith("cache shop-cache-dr (us-west-2) at 127.0.0.1:7000 is read-only")
    assert "purging the markers of run d needs its primary group" in text
    with pytest.raises(ssm.StoreError, match="writing marker cloudops-drill:d:1 needs its primary group"):
        markers.write("d", 1, "t")


def test_connection_and_login_failures_say_what_to_check():
    markers, dummy = store(error=redis.exceptions.ConnectionError("Error 111 connecting to 127.0.0.1:1. Connection refused."))
    with pytest.raises(ssm.StoreError) as raised:
        markers.present("d")
    text = str(raised.value)
    assert text.startswith("could not reach cache shop-cache (us-east-1) at master.shop-cache.abc.use1.cache.amazonaws.com:6379 "
                           "while reading the markers of run d (Error 111")
    assert "cache_connection.host_override / port_override" in text and "cache_connection.tls" in text
    markers, dummy = store(error=redis.exceptions.AuthenticationError("WRONGPASS invalid username-password pair"))
    with pytest.raises(ssm.StoreError, match=r"refused the login .*check cache_connection.auth_token"):
        markers.write("d", 1, "t")
    markers, dummy = store(error=redis.exceptions.TimeoutError("Timeout reading from socket"), tls=True)
    with pytest.raises(ssm.StoreError, match=r"could not reach cache shop-cache \(us-east-1\) at \S+:6379 with TLS"):
        markers.present("d")
    markers, dummy = store(error=redis.exceptions.ResponseError("OOM command not allowed"))
    with pytest.raises(ssm.StoreError, match="failed while writing marker cloudops-drill:d:1: OOM command not allowed"):
        markers.write("d", 1, "t")


def test_the_endpoint_and_the_overrides():
    endpoint = cm.group_endpoint(group(port=6380, tls=True))
    assert endpoint == {"address": "master.shop-cache.abc.use1.cache.amazonaws.com", "port": 6380, "tls": True}
    assert cm.connect_target(endpoint, None) == ("master.shop-cache.abc.use1.cache.amazonaws.com", 6380, True)
    assert cm.connect_target(endpoint, {"host_override": "127.0.0.1", "port_override": 7001, "tls": False}) == ("127.0.0.1", 7001, False)
    assert cm.connect_target(endpoint, {"host_override": "", "port_override": 0, "tls": None})[1:] == (6380, True)
    assert cm.group_endpoint({"NodeGroups": []}) is None and cm.group_endpoint(None) is None
    assert cm.group_endpoint({"NodeGroups": [{"PrimaryEndpoint": {}}]}) is None


def test_redis_settings():
    plain = cm.redis_kwargs("127.0.0.1", 7000, False, {"connect_timeout": 2})
    assert plain == {"host": "127.0.0.1", "port": 7000, "socket_connect_timeout": 2.0, "socket_timeout": 2.0, "decode_responses": True}
    tls = cm.redis_kwargs("master.x", 6379, True, {"auth_token": "s3cret"})
    assert tls["ssl"] is True and tls["ssl_check_hostname"] is True and tls["password"] == "s3cret"
    assert tls["socket_connect_timeout"] == cm.DEFAULT_CONNECT_TIMEOUT
    # an override address is not the name in the server's certificate
    assert cm.redis_kwargs("127.0.0.1", 6379, True, {"host_override": "127.0.0.1"})["ssl_check_hostname"] is False


def test_the_store_connects_to_the_overridden_endpoint_with_the_group_tls():
    markers, made = store(connection={"host_override": "10.0.0.5", "auth_token": "t"}, tls=True)
    markers.present("d")
    assert made[0].kwargs["host"] == "10.0.0.5" and made[0].kwargs["port"] == 6379 and made[0].kwargs["ssl"] is True
    assert markers.target == ("10.0.0.5", 6379, True)
    markers.close()
    assert made[0].calls[-1] == "close"


def test_the_module_option_hides_the_token():
    spec = cm.connection_argument_spec()
    assert spec["type"] == "dict" and spec["options"]["auth_token"]["no_log"] is True
    assert set(spec["options"]) == {"host_override", "port_override", "tls", "auth_token", "connect_timeout"}
    assert cm.connection_settings({"host_override": None, "port_override": 7}) == {
        "host_override": "", "port_override": 7, "tls": None, "auth_token": "", "connect_timeout": cm.DEFAULT_CONNECT_TIMEOUT}


def test_a_wrong_side_or_spec_is_refused():
    with pytest.raises(ValueError, match="side must be one of primary, secondary"):
        cm.CacheMarkers(None, SPEC, "dr", None)
    with pytest.raises(ssm.StoreError, match="cloudops_cache.secondary needs region and replication_group_id"):
        cm.CacheMarkers(None, {"primary": SPEC["primary"]}, "secondary", None)


def test_a_missing_group_and_a_group_without_endpoint(monkeypatch):
    monkeypatch.setattr(cm, "client", lambda module, service, region=None: (service, region))
    monkeypatch.setattr(cm.elasticache, "describe_replication_group", lambda module, conn, group_id: None)
    markers = cm.CacheMarkers(None, SPEC, "secondary", None, redis_factory=FakeRedis)
    with pytest.raises(ssm.StoreError, match=r"cache shop-cache-dr: replication group not found in us-west-2: check "
                                             r"cloudops_cache.secondary"):
        markers.present("d")
    creating = cm.CacheMarkers(None, SPEC, "primary", None, group={"Status": "creating", "NodeGroups": []}, redis_factory=FakeRedis)
    with pytest.raises(ssm.StoreError, match=r"cache shop-cache \(us-east-1\): no primary endpoint \(status creating\)"):
        creating.write("d", 1, "t")


def test_without_redis_py_the_store_says_how_to_install_it(monkeypatch):
    monkeypatch.setattr(cm, "HAS_REDIS", False)
    markers = cm.CacheMarkers(None, SPEC, "primary", None, group=group())
    with pytest.raises(ssm.StoreError, match=r"redis Python library \(redis-py\) is not installed on this host: pip install 'redis>=4.5'"):
        markers.present("d")
