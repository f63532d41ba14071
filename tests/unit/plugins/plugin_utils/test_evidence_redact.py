# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.cloudops.runbooks.plugins.plugin_utils.evidence_redact import MASK, Redactor, is_secret_key


@pytest.mark.parametrize("key", ["password", "DB_PASSWORD", "master-password", "aws_secret_access_key", "secret_key", "access_key_id",
                                 "AWS_ACCESS_KEY_ID", "session_token", "token", "Authorization", "private_key", "client_secret",
                                 "api_key", "connection_string", "secret"])
def test_keys_holding_credentials_are_secret(key):
    assert is_secret_key(key)


@pytest.mark.parametrize("key", ["secret_name", "secret_id", "secret_arn", "kms_key_id", "host_key", "port_key", "passed",
                                 "token_expires_at", "credentials", "user", "username", "db_cutover_settings_var", "lag_gate"])
def test_keys_naming_or_locating_a_secret_are_kept(key):
    assert not is_secret_key(key)


def test_secret_values_are_masked_and_masked_again_wherever_they_appear():
    redactor = Redactor()
    data = {"connection": {"user": "shop_admin", "password": "hunter2-xyz-9", "secret_name": "shop/db/master"},
            "steps": [{"error": "login failed for shop_admin with hunter2-xyz-9"}],
            "hunter2-xyz-9": "a key that is the secret"}
    out = redactor.redact(data)
    assert out["connection"] == {"user": "shop_admin", "password": MASK, "secret_name": "shop/db/master"}
    assert out["steps"][0]["error"] == "login failed for shop_admin with %s" % MASK
    assert MASK in out and "hunter2-xyz-9" not in json.dumps(out)
    assert redactor.masked == 3
    # The input is not modified.
    assert data["connection"]["password"] == "hunter2-xyz-9"


def test_values_learned_earlier_in_the_run_are_masked_in_later_documents_and_texts():
    redactor = Redactor()
    redactor.learn({"results": [{"item": "a", "token": "tok-1234567890"}]})
    assert redactor.redact({"msg": "used tok-1234567890 twice: tok-1234567890"}) == {"msg": "used %s twice: %s" % (MASK, MASK)}
    assert redactor.text("no secret here") == "no secret here"


def test_environment_variables_with_secret_names_are_learned_and_others_are_not():
    redactor = Redactor()
    redactor.learn_environment({"AWS_SECRET_ACCESS_KEY": "env-seeded-secret-42", "HOME": "/home/operator", "PATH": "/usr/bin",
                                "GITHUB_TOKEN": "ghp_abcdefghijkl"})
    assert redactor.values == frozenset(["env-seeded-secret-42", "ghp_abcdefghijkl"])
    assert redactor.text("key env-seeded-secret-42 in /home/operator") == "key %s in /home/operator" % MASK


def test_short_values_and_placeholders_are_not_learned_so_ordinary_words_survive():
    redactor = Redactor()
    out = redactor.redact({"password": "abc", "token": "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "note": "abc is a word"})
    assert out == {"password": MASK, "token": MASK, "note": "abc is a word"}
    assert redactor.values == frozenset()


def test_a_longer_secret_containing_a_shorter_one_is_masked_whole():
    redactor = Redactor()
    redactor.add("s3cret-value")
    redactor.add("s3cret-value-extended")
    assert redactor.text("x s3cret-value-extended y") == "x %s y" % MASK


@pytest.mark.parametrize("text, expected", [
    ("key AKIAIOSFODNN7EXAMPLE used", "key %s used" % MASK),
    ("postgresql://shop_admin:pa55word@db:5432/shop", "postgresql://shop_admin:%s@db:5432/shop" % MASK),
    ("-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----", MASK),
    ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer %s" % MASK),
    ("https://example.com/path", "https://example.com/path"),
])
def test_secret_shapes_are_masked_whatever_their_key(text, expected):
    assert Redactor().text(text) == expected


def test_lists_under_a_secret_key_are_masked_and_booleans_and_nulls_are_kept():
    out = Redactor().redact({"passwords": None, "password": None, "tokens": ["abcdefgh", "ijklmnop"], "api_key": True,
                             "access_key": ["first-secret-key", "second-secret-key"]})
    assert out == {"passwords": None, "password": None, "tokens": ["abcdefgh", "ijklmnop"], "api_key": True, "access_key": [MASK, MASK]}


def test_a_bare_secret_key_naming_a_kubernetes_secret_or_an_arn_is_a_reference_but_any_other_value_is_masked():
    redactor = Redactor()
    out = redactor.redact({"cutover": {"secret": "shop/shop-db", "changed": True},
                           "aws": {"secret": "arn:aws:secretsmanager:us-east-1:123456789012:secret:shop/db/master-AbCdEf"},
                           "client": {"id": "app", "secret": "Zx9-not-a-name"}, "note": "Secret shop/shop-db -> db:5432"})
    assert out["cutover"]["secret"] == "shop/shop-db" and out["note"] == "Secret shop/shop-db -> db:5432"
    assert out["aws"]["secret"].startswith("arn:aws:secretsmanager:")
    assert out["client"] == {"id": "app", "secret": MASK}
    assert redactor.values == frozenset(["Zx9-not-a-name"])
