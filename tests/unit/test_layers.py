"""The house's arrows: imports point down only, sit at module top, and never form a cycle.

Layers, bottom up (a module may import its own package and anything in a lower layer):

0. ``certification`` (domain rules), ``wording`` (every Chinese string), ``logconfig``
1. ``vision``, ``storage``, ``wechat``, ``sms`` — engines and adapters; none imports another
2. ``settings`` — the one reader of the environment; composes the parts' config classes
3. ``flows`` — the service layer: every use case
4. ``bootstrap`` — the composition root
5. entry points ``app``, ``web``, ``console``, ``bot``, ``cli``, ``jobs`` and the dev tool
   ``fakewechat``; an entry point does not import another one (``app`` wires the web ones,
   ``cli`` may start the fake WeChat).

Function-level imports of first-party modules are refused: they are how cycles hide.
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

LAYER = {
    "certification": 0, "wording": 0, "logconfig": 0,
    "vision": 1, "storage": 1, "wechat": 1, "sms": 1,
    "settings": 2,
    "flows": 3,
    "bootstrap": 4,
    "app": 5, "web": 5, "console": 5, "bot": 5, "cli": 5, "jobs": 5, "fakewechat": 5,
}
# Among peers of one layer only these edges are allowed.
PEER_EDGES = {
    ("app", "web"), ("app", "console"), ("app", "bot"), ("app", "cli"),
    ("cli", "fakewechat"), ("cli", "jobs"),
    ("wording", "certification"),
}
FIRST_PARTY = set(LAYER)


def _modules() -> list[Path]:
    files = []
    for name in FIRST_PARTY:
        path = ROOT / name
        if path.is_dir():
            files += [p for p in path.rglob("*.py") if "migrations" not in p.parts and "templates" not in p.parts]
        elif (ROOT / f"{name}.py").exists():
            files.append(ROOT / f"{name}.py")
    return sorted(files)


def _top(path: Path) -> str:
    return path.relative_to(ROOT).parts[0].removesuffix(".py")


def _imports(tree: ast.AST) -> list[tuple[ast.stmt, str, bool]]:
    """(node, first-party top-level package, at module level?) for each import."""
    found = []
    module_level = {id(n) for n in getattr(tree, "body", [])}
    # imports under `if TYPE_CHECKING:` at module level count as module level (and never run)
    for n in getattr(tree, "body", []):
        if isinstance(n, ast.If):
            module_level |= {id(m) for m in n.body}
        if isinstance(n, ast.Try):
            module_level |= {id(m) for m in n.body} | {id(m) for h in n.handlers for m in h.body}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        for name in names:
            top = name.split(".")[0]
            if top in FIRST_PARTY:
                found.append((node, top, id(node) in module_level))
    return found


# vision/ is being split (registry / loading / fetch) on the face-match branch, which also
# removes its last function-level imports and the vision.models <-> vision.paddle.backend
# cycle; its modules join this test when that branch lands.
PENDING: tuple[str, ...] = ()
MODULES = [m for m in _modules() if _top(m) not in PENDING]


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_imports_point_down_and_sit_at_the_top(path: Path) -> None:
    me = _top(path)
    problems = []
    for node, target, at_top in _imports(ast.parse(path.read_text(encoding="utf-8"))):
        if target == me:
            if not at_top:
                problems.append(f"line {node.lineno}: import of {target} inside a function")
            continue
        if not at_top:
            problems.append(f"line {node.lineno}: import of {target} inside a function")
        if LAYER[target] > LAYER[me] or (LAYER[target] == LAYER[me] and (me, target) not in PEER_EDGES):
            problems.append(f"line {node.lineno}: {me} (layer {LAYER[me]}) imports {target} (layer {LAYER[target]})")
    assert problems == []


def test_no_import_cycles_between_modules() -> None:
    graph: dict[str, set[str]] = {}
    for path in MODULES:
        rel = path.relative_to(ROOT).with_suffix("")
        name = ".".join(p for p in rel.parts if p != "__init__")
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module and node.module.split(".")[0] in FIRST_PARTY:
                deps.add(node.module)
                deps |= {f"{node.module}.{a.name}" for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names if a.name.split(".")[0] in FIRST_PARTY}
        graph[name] = deps
    known = set(graph)
    graph = {k: {d for d in v if d in known and d != k} for k, v in graph.items()}
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(node: str) -> None:
        seen[node] = 1
        stack.append(node)
        for dep in sorted(graph[node]):
            if seen.get(dep) == 1:
                cycles.append(stack[stack.index(dep):] + [dep])
            elif dep not in seen:
                visit(dep)
        stack.pop()
        seen[node] = 2

    for node in sorted(graph):
        if node not in seen:
            visit(node)
    # a package's __init__ re-exporting its own submodules is not a cycle worth refusing
    cycles = [c for c in cycles if len({x.split(".")[0] for x in c}) > 1 or not any(x.count(".") == 0 for x in c)]
    assert cycles == []


def test_every_queued_job_names_a_real_function() -> None:
    from storage import queues

    for job in queues.JOBS:
        module, _, func = job.func.rpartition(".")
        assert callable(getattr(importlib.import_module(module), func)), job.func
        assert job.queue in queues.ALL
