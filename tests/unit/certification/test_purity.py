"""The certification package stays pure: standard library only, no I/O, no clock."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import certification

PACKAGE = Path(certification.__file__).parent
MODULES = sorted(PACKAGE.glob("*.py"))
# Deliberately an allow-list: adding a module here is a decision, not an accident.
ALLOWED = {"__future__", "calendar", "collections", "dataclasses", "datetime", "enum", "re", "typing", "certification"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_imports_only_pure_standard_modules(path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add((node.module or "").split(".")[0])
    assert sorted(imported - ALLOWED) == []


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_never_reads_the_clock_or_environment(path):
    source = path.read_text(encoding="utf-8")
    for forbidden in ("date.today(", "datetime.now(", "time.time(", "environ", "open("):
        assert forbidden not in source, forbidden


def test_no_grab_bag_modules():
    assert not {"utils.py", "helpers.py", "common.py", "misc.py"} & {p.name for p in MODULES}
