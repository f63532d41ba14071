# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every default a role documents in meta/argument_specs.yml is in the role's defaults, with the same value.

Ansible's role argument validation checks a variable but does not set the `default` its spec documents: a role used
from a user's own playbook (`include_role: cloudops.runbooks.<role>`) without a variable the spec says defaults to X
would fail on the first task that reads it. So defaults/main.yml (or defaults/<entry point>.yml) must hold X.
roles/runbook_inputs is the exception: it has no tasks, its specs document the playbooks' extra vars (the playbooks
apply those defaults, tests/awx/test_surveys.py checks them)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[2] / "roles"


DOCUMENTATION_ONLY = ("runbook_inputs",)


def documented_defaults():
    """(role, entry point, option, its documented default) of every option whose spec gives a default."""
    for spec_file in sorted(ROLES.glob("*/meta/argument_specs.yml")):
        role = spec_file.parent.parent
        if role.name in DOCUMENTATION_ONLY:
            continue
        specs = (yaml.safe_load(spec_file.read_text()) or {}).get("argument_specs") or {}
        for entry, spec in specs.items():
            for name, option in ((spec or {}).get("options") or {}).items():
                if "default" in (option or {}):
                    yield role.name, entry, name, option["default"]


DOCUMENTED = list(documented_defaults())


def defaults_of(role, entry):
    out = {}
    for name in ("main.yml", "%s.yml" % entry):
        path = ROLES / role / "defaults" / name
        if path.exists():
            out.update(yaml.safe_load(path.read_text()) or {})
    return out


def test_there_are_roles_with_documented_defaults():
    assert len(DOCUMENTED) > 20


@pytest.mark.parametrize("role, entry", sorted({(item[0], item[1]) for item in DOCUMENTED}))
def test_every_documented_default_of_a_role_is_in_its_defaults(role, entry):
    defaults = defaults_of(role, entry)
    wanted = [(name, value) for r, e, name, value in DOCUMENTED if (r, e) == (role, entry)]
    missing = [name for name, dummy in wanted if name not in defaults]
    assert not missing, "roles/%s (entry point %s): a default in meta/argument_specs.yml, missing from defaults/: %s" % (
        role, entry, ", ".join(missing))
    different = ["%s (spec %r, defaults %r)" % (name, value, defaults[name]) for name, value in wanted if defaults[name] != value]
    assert not different, "roles/%s (entry point %s): spec and defaults/ differ: %s" % (role, entry, "; ".join(different))
