"""The shape of the package, read from its source: no import cycles, an engine that knows no API.

Every import counts, type-only and function-level ones included.
"""

from __future__ import annotations

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import modellab_async

PACKAGE = Path(modellab_async.__file__).parent
ROOT = "modellab_async"

#: The shared machinery: it serves every API and may import none of them.
ENGINE = ("_engine", "_core", "_transport")
#: What belongs to one API, or to a layer above the client.
ABOVE_ENGINE = ("models", "resources", "pai", "frames", "cli", "testing")


def module_name(path: Path) -> str:
    parts = [ROOT, *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def imports(name: str) -> Iterator[tuple[str, str | None]]:
    """Yield (module, imported name) for every import in a module of the package."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            base = package.split(".")
            if node.level:
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield (submodule, None) if submodule in MODULES else (target, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None


def dependencies(name: str) -> set[str]:
    return {target for target, _ in imports(name) if target in MODULES and target != name}


GRAPH = {name: dependencies(name) for name in MODULES}


def reachable(name: str) -> set[str]:
    seen: set[str] = set()
    todo = [name]
    while todo:
        for dependency in GRAPH[todo.pop()]:
            if dependency not in seen:
                seen.add(dependency)
                todo.append(dependency)
    return seen


def layer(name: str) -> str:
    """Return the top-level module or package of the package a module belongs to."""
    return name.split(".")[1] if "." in name else ""


def test_no_module_imports_itself_back() -> None:
    assert not sorted(name for name in MODULES if name in reachable(name))


def test_the_engine_imports_no_api() -> None:
    engine = [name for name in MODULES if name.split(".")[1:2] in ([part] for part in ENGINE)]
    assert engine
    for name in engine:
        reached = {
            dep for dep in reachable(name) if dep.split(".")[1:2] in ([p] for p in ABOVE_ENGINE)
        }
        assert not reached, f"{name} reaches {sorted(reached)}"


def test_a_private_module_with_all_lists_what_others_take_from_it() -> None:
    for name in MODULES:
        for target, imported in imports(name):
            if imported is None or not target.rpartition(".")[2].startswith("_"):
                continue
            exported = getattr(importlib.import_module(target), "__all__", None)
            if exported is not None:
                assert imported in exported, f"{name} takes {imported}, not in {target}.__all__"
