# -*- coding: utf-8 -*-
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module documents its attributes (check_mode, diff_mode, platform) through the collection's `attributes` doc
fragment, and says no more than it does: check mode only where the module declares supports_check_mode (or is the
documentation of an action plugin), diff mode only where the module returns a diff."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
import yaml

COLLECTION = Path(__file__).resolve().parents[2]
MODULES = sorted((COLLECTION / "plugins" / "modules").glob("*.py"))
ACTIONS = set(path.stem for path in (COLLECTION / "plugins" / "action").glob("*.py"))
FRAGMENT = "cloudops.runbooks.attributes"


def documentation(path):
    for node in ast.parse(path.read_text()).body:
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "DOCUMENTATION":
            return yaml.safe_load(node.value.value)
    raise AssertionError("%s has no DOCUMENTATION" % path.name)


@pytest.mark.parametrize("path", MODULES, ids=[path.stem for path in MODULES])
def test_the_module_documents_its_attributes(path):
    doc = documentation(path)
    fragments = doc.get("extends_documentation_fragment") or []
    assert FRAGMENT in fragments, "%s: extends_documentation_fragment lacks %s" % (path.stem, FRAGMENT)
    attributes = doc.get("attributes") or {}
    info = FRAGMENT + ".info_module" in fragments
    if info:
        assert "check_mode" not in attributes and "diff_mode" not in attributes, "the info_module fragment says them"
        return
    code = path.read_text()
    check, diff = attributes["check_mode"]["support"], attributes["diff_mode"]["support"]
    if path.stem not in ACTIONS:
        assert check == ("full" if "supports_check_mode=True" in code else "none"), path.stem
    if diff == "full" and path.stem not in ACTIONS:  # an action plugin passes --diff to the module it runs
        source = code.split('"""', 6)[-1]  # after DOCUMENTATION, EXAMPLES, RETURN
        assert re.search(r"_diff\b|diff=|\"diff\"|\b(helm_rollbacks|helm_upgrade|nodegroup_scaling|workloads|traffic_switch|scaling)\b", source), \
            "%s says diff_mode full but returns no diff" % path.stem
