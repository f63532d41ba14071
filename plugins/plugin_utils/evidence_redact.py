# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Redaction of the run evidence: no secret reaches a file the run_evidence callback writes, nor its output lines.

Two passes over every document before it is rendered:

- values under keys that look secret (password, secret key, access key id, token, authorization, private key, client
  secret, connection string...) are replaced by MASK, and remembered;
- every string is scanned for the remembered values (learned from those keys anywhere in the run, and from the
  controller's environment variables with secret-looking names such as AWS_SECRET_ACCESS_KEY) and for shapes that are
  secrets whatever their key (an AWS access key id, a PEM private key, the password of a URL), which are masked too.

Keys that name or point at a secret without holding it (secret_name, secret_id, kms_key_id, host_key..., and a bare
`secret` whose value is a Kubernetes `namespace/name` or a Secrets Manager ARN) are kept: they are what an auditor needs
to know where a credential came from. Pure Python, no Ansible import.
"""

from __future__ import annotations

import re

MASK = "********"

# The key holds a credential. Matched against the key with - and spaces turned into _, case-insensitively.
_SECRET_KEY = re.compile(
    r"(^|_)(pass|passwd|password|passphrase|pwd|secret|token|bearer|authorization|auth_header|cookie|credential|"
    r"private_key|privatekey|api_key|apikey|access_key|access_key_id|secret_key|secret_access_key|session_token|"
    r"session_key|client_secret|connection_string|dsn|pgpass|db_pass|db_password|master_password|vault_password)($|_)"
)
# ... unless it only names, locates or describes one (the secret's name, its ARN, the key that holds it in a Secret).
_REFERENCE_KEY = re.compile(
    r"(_name|_names|_id|_ids|_arn|_arns|_ref|_path|_file|_namespace|_source|_kind|_type|_count|_seconds|_at|_keys|"
    r"_key_name|_var|_hint|_length|_expires|_expiry|_policy)$"
)
# Credentials whatever their key is called: these win over _REFERENCE_KEY (an access key id is a credential).
_ALWAYS_SECRET_KEY = re.compile(r"(^|_)(access_key_id|aws_access_key|aws_access_key_id|secret_access_key|session_token)$")

# Shapes that are secrets wherever they appear in a text.
_SECRET_SHAPES = (
    (re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----.*?(-----END [A-Z ]*PRIVATE KEY-----|$)", re.S), MASK),
    (re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"), MASK),
    # scheme://user:password@host -> scheme://user:********@host
    (re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://[^/\s:@]+:)([^@\s/]+)(@)"), r"\1" + MASK + r"\3"),
    (re.compile(r"(?i)(\bauthorization:\s*|\bbearer\s+)([A-Za-z0-9._~+/=-]{8,})"), r"\1" + MASK),
)
# A bare `secret` key that names a Kubernetes Secret (`namespace/name`) or points at one by ARN holds no credential.
_SECRET_REFERENCE = re.compile(r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?/[a-z0-9]([-.a-z0-9]*[a-z0-9])?|arn:aws[a-z-]*:secretsmanager:\S+)$")
# Environment variables whose values are remembered (their names look secret).
_SECRET_ENV = re.compile(r"(?i)(PASSWORD|PASSWD|SECRET|TOKEN|PRIVATE_KEY|ACCESS_KEY|API_KEY|CREDENTIAL)")

# Shorter values would mask ordinary words; these are placeholders, not secrets.
MIN_SECRET_LENGTH = 6
_PLACEHOLDERS = {MASK, "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER", "None", "null", "true", "false", "True", "False"}


def _normal(key):
    return re.sub(r"[\s-]+", "_", str(key)).lower()


def is_secret_key(key):
    """Whether the value under this key is a credential (not merely the name or location of one)."""
    k = _normal(key)
    if _ALWAYS_SECRET_KEY.search(k):
        return True
    return bool(_SECRET_KEY.search(k)) and not _REFERENCE_KEY.search(k)


def is_secret_value(key, value):
    """Whether this value, under this key, is a credential: a secret key's value, unless the key is a bare `secret`
    naming a Kubernetes Secret (`namespace/name`) or a Secrets Manager ARN."""
    if not is_secret_key(key):
        return False
    if _normal(key) == "secret" and isinstance(value, str) and _SECRET_REFERENCE.match(value):
        return False
    return True


class Redactor(object):
    """Learns the secret values of a run, then masks them (and secret-keyed values) in documents and texts."""

    def __init__(self):
        self._values = set()
        self._pattern = None
        self.masked = 0

    @property
    def values(self):
        return frozenset(self._values)

    def add(self, value):
        """Remember a secret value (a string; anything shorter than MIN_SECRET_LENGTH or a placeholder is ignored)."""
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, (int, float)):
            value = str(value)
        if not isinstance(value, str):
            return
        value = value.strip()
        if len(value) < MIN_SECRET_LENGTH or value in _PLACEHOLDERS or value.strip("*") == "":
            return
        if value not in self._values:
            self._values.add(value)
            self._pattern = None

    def learn_environment(self, environ):
        """Remember the values of environment variables with secret-looking names (AWS_SECRET_ACCESS_KEY, ...)."""
        for name, value in (environ or {}).items():
            if _SECRET_ENV.search(str(name)):
                self.add(value)

    def learn(self, data):
        """Remember the values found under secret-looking keys anywhere in data (dicts, lists, scalars)."""
        stack = [(None, data)]
        while stack:
            key, value = stack.pop()
            if isinstance(value, dict):
                stack.extend(value.items())
            elif isinstance(value, (list, tuple, set, frozenset)):
                stack.extend((key, v) for v in value)
            elif key is not None and is_secret_value(key, value):
                self.add(value)

    def _compiled(self):
        if self._pattern is None and self._values:
            # Longest first, so a secret containing another is masked whole.
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))
        return self._pattern

    def text(self, value):
        """A string with every known secret value and every secret shape masked."""
        if not isinstance(value, str) or not value:
            return value
        out = value
        pattern = self._compiled()
        if pattern is not None:
            out, n = pattern.subn(MASK, out)
            self.masked += n
        for shape, replacement in _SECRET_SHAPES:
            out, n = shape.subn(replacement, out)
            self.masked += n
        return out

    def redact(self, data):
        """A copy of data with secret-keyed values masked and secrets masked inside every string (keys included).

        Learns the secret-keyed values first, so a secret under its key here is also masked where it appears in text.
        """
        self.learn(data)
        return self._redact(data, secret=False)

    def _redact(self, value, secret, key=None):
        if isinstance(value, dict):
            return dict((self.text(str(k)), self._redact(v, secret or is_secret_key(k), k)) for k, v in value.items())
        if isinstance(value, (list, tuple, set, frozenset)):
            return [self._redact(v, secret, key) for v in value]
        if secret and value is not None and not isinstance(value, bool) and is_secret_value(key, value):
            if value == "" or value == MASK:
                return value
            self.masked += 1
            return MASK
        return self.text(value) if isinstance(value, str) else value
