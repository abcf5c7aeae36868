"""The layers, checked on the imports of every module (REVIEW: a core<->web import cycle, the
demo tooling inside the product).

- ``standardiste.acd`` (the domain) imports nothing of the project but itself;
- ``standardiste.dialer`` (the campaigns' domain: contacts, schedules, retries, pacing) imports
  only itself, the domain and ``standardiste.errors`` (a leaf: it imports nothing);
- ``standardiste.ami_bridge`` imports only itself and the domain;
- the core (``standardiste.*`` except ``web``, ``tools`` and ``cli``) never imports ``web``
  or ``tools``;
- ``standardiste.web`` never imports ``tools``;
- only ``cli`` (the entry point of every process) may import everything.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2] / "standardiste"


def modules() -> list[tuple[str, Path]]:
    out = []
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        name = ".".join(rel.parts).removesuffix(".__init__")
        if ".migrations." not in name:
            out.append((name, path))
    return sorted(out)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names |= {f"{node.module}.{a.name}" for a in node.names}
    return {n for n in names if n.startswith("standardiste")}


def layer(name: str) -> str:
    parts = name.split(".")
    if name == "standardiste.errors" or name.startswith("standardiste.errors."):
        return "errors"
    if len(parts) > 1 and parts[1] in ("acd", "dialer", "ami_bridge", "web", "tools", "cli"):
        return parts[1]
    return "core"


ALLOWED = {
    "errors": set(),
    "acd": {"acd"},
    "dialer": {"acd", "dialer", "errors"},
    "ami_bridge": {"acd", "ami_bridge"},
    "core": {"acd", "dialer", "errors", "ami_bridge", "core"},
    "web": {"acd", "dialer", "errors", "ami_bridge", "core", "web"},
    "tools": {"acd", "dialer", "errors", "ami_bridge", "core", "web", "tools"},
    "cli": {"acd", "dialer", "errors", "ami_bridge", "core", "web", "tools", "cli"},
}


# Parsed once, at collection: ast.parse in a process full of finished event loops once hit
# CPython 3.11's "AST constructor recursion depth mismatch" (a finaliser run by the garbage
# collector in the middle of building the tree).
IMPORTS = {name: imported(path) for name, path in modules()}


@pytest.mark.parametrize("name", sorted(IMPORTS))
def test_module_imports_only_from_the_layers_below(name: str) -> None:
    mine = layer(name)
    wrong = sorted(
        i for i in IMPORTS[name] if layer(i) not in ALLOWED[mine] and i != "standardiste"
    )
    assert wrong == [], f"{name} ({mine}) imports {wrong}"
