"""The house's shape, checked: the shared layer never imports a case app, each casework
package imports only the packages its docstring allows, no two modules import each other
round a circle, and no module outgrows what a reader can hold (a nudge to split).

Imports are read from the source (every ``import`` statement, also those inside functions),
so a lazy import counts as much as one at the top of a module."""

from __future__ import annotations

import ast
import importlib
import re
import subprocess
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CASE_APPS = ("complaints", "accounts", "refunds")
PROJECT = ("casework", "config", *CASE_APPS)
# A module longer than this is asked to split by concern (migrations are written by Django).
MAX_MODULE_LINES = 600


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def casework_modules() -> Iterator[Path]:
    """casework's own code: not its tests, not its migrations."""
    for path in sorted((ROOT / "casework").rglob("*.py")):
        relative = path.relative_to(ROOT / "casework").parts
        if relative[0] in {"tests", "migrations"}:
            continue
        yield path


def imports_of(path: Path) -> set[str]:
    """Every project module ``path`` imports, as dotted names (``from a import b`` gives
    ``a.b`` when ``a.b`` is a module, else ``a``)."""
    package = module_name(path).split(".")
    if not is_package(path):
        package = package[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package[: len(package) - node.level + 1] + ([base] if base else []))
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if is_module(candidate) else base)
    return {name for name in found if name.split(".")[0] in PROJECT}


def is_module(dotted: str) -> bool:
    path = ROOT.joinpath(*dotted.split("."))
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def package_of(module: str) -> str | None:
    """The casework package a module belongs to (``casework.sla.clocks`` -> ``sla``), or None
    for casework's fixed places (apps, tasks, management, templatetags)."""
    parts = module.split(".")
    if parts[0] != "casework" or len(parts) < 2:
        return None
    return parts[1] if (ROOT / "casework" / parts[1] / "__init__.py").exists() else None


def allowed_imports(package: str) -> set[str] | None:
    """What the package's docstring says it may import: None for every package."""
    doc = ast.get_docstring(ast.parse((ROOT / "casework" / package / "__init__.py").read_text())) or ""
    match = re.search(r"^May import: (.*?)(?:\n\n|\Z)", doc, flags=re.M | re.S)
    assert match, f"casework/{package}/__init__.py's docstring does not say what it may import"
    text = match.group(1)
    if "every other casework package" in text:
        return None
    return set(re.findall(r"``casework\.(\w+)``", text))


LAYERED = sorted({package_of(module_name(path)) for path in casework_modules()} - {None})


def test_casework_imports_no_case_app():
    offenders = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in casework_modules()
        for name in sorted(imports_of(path))
        if name.split(".")[0] in CASE_APPS
    ]
    assert offenders == []


@pytest.mark.parametrize("package", LAYERED)
def test_a_casework_package_imports_only_what_its_docstring_allows(package):
    allowed = allowed_imports(package)
    if allowed is None:
        return  # the admin: the top of the house
    assert all(is_module(f"casework.{name}") for name in allowed), allowed
    offenders = []
    for path in casework_modules():
        if package_of(module_name(path)) != package:
            continue
        for name in sorted(imports_of(path)):
            other = package_of(name)
            if name.startswith("config."):
                other = "config"
            if other not in {None, package} and other not in allowed:
                offenders.append(f"{path.relative_to(ROOT)} imports {name}")
            elif other is None and name.split(".")[0] == "casework" and name != "casework":
                offenders.append(f"{path.relative_to(ROOT)} imports {name}, above every package")
    assert offenders == []


def test_the_layers_have_no_circle():
    """What each package may import, followed: no package reaches itself again."""
    allows = {package: allowed_imports(package) or set() for package in LAYERED}

    def reaches(start: str, seen: tuple[str, ...]) -> None:
        for other in allows[start] & set(allows):
            assert other not in seen, " -> ".join((*seen, other))
            reaches(other, (*seen, other))

    for package in allows:
        reaches(package, (package,))


def test_no_two_casework_modules_import_each_other_round_a_circle():
    graph: dict[str, set[str]] = defaultdict(set)
    for path in casework_modules():
        me = module_name(path)
        for name in imports_of(path):
            # A package's __init__ that gathers its modules (models, admin) is not a step.
            if name.startswith("casework") and name != me and not me.startswith(name + "."):
                graph[me].add(name)
    circles = [component for component in strongly_connected(graph) if len(component) > 1]
    assert circles == []


def strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iteratively."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    for root in list(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    components.append(sorted(component))
    return components


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert [c for c in strongly_connected(graph) if len(c) > 1] == [["a", "b", "c"]]


def test_every_casework_module_imports():
    """The layout is real: each module loads on its own (a moved module left behind fails)."""
    for path in casework_modules():
        importlib.import_module(module_name(path))


def tracked_python_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return [ROOT / name for name in listed if "/migrations/" not in f"/{name}" and (ROOT / name).exists()]


def test_no_module_outside_migrations_grows_past_600_lines():
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in tracked_python_files()
        if (lines := len(path.read_text().splitlines())) > MAX_MODULE_LINES
    }
    assert too_long == {}, f"split these by concern: {too_long}"


def named_in_docs() -> set[str]:
    docs = ("README.md", "docs/architecture.md", "docs/regimes.md")
    text = "\n".join((ROOT / name).read_text() for name in docs)
    return set(re.findall(r"`((?:casework|complaints|accounts|refunds)(?:\.\w+)+)", text))


def resolves(dotted: str) -> bool:
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        module = ".".join(parts[:cut])
        if not is_module(module):
            continue
        target = importlib.import_module(module)
        for name in parts[cut:]:
            if not hasattr(target, name):
                return False
            target = getattr(target, name)
        return True
    return False


def test_every_module_the_docs_name_is_there():
    """README and docs (architecture, regimes) name modules and functions: each must exist."""
    assert sorted(name for name in named_in_docs() if not resolves(name)) == []
