"""Who may import whom (issue 13), read from the source as the import statements say it, including
imports made inside functions: the demo is imported by nothing but itself, settings import no app
module, and reporting's modules (packs: service, schedule, task) import one another without a
circle."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APPS = ("appetite", "demo", "registers", "reporting", "riskreg", "scoring")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_files(*packages: str) -> list[Path]:
    return sorted(
        path
        for package in packages
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


def imported(path: Path) -> set[str]:
    """Every module ``path`` imports, absolute, with ``from x import y`` read as both ``x`` and
    ``x.y`` (y may be a submodule)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*up, base] if base else up)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def test_nothing_but_the_demo_imports_the_demo():
    importers = {
        module_name(path): sorted(m for m in imported(path) if within(m, "demo"))
        for path in project_files(*(app for app in APPS if app != "demo"))
    }
    assert {name: demo for name, demo in importers.items() if demo} == {}


def test_settings_import_no_app_module():
    """Settings are read before the apps are loaded: an app module they import (and whatever it
    imports in turn) would run half-configured. Beat entries live with the Celery app."""
    imports = {
        module_name(path): sorted(
            m
            for m in imported(path)
            if any(within(m, app) for app in APPS) and not within(m, "riskreg.settings")
        )
        for path in (ROOT / "riskreg" / "settings").glob("*.py")
    }
    assert {name: apps for name, apps in imports.items() if apps} == {}


def circles(files: list[Path]) -> list[list[str]]:
    names = {module_name(path): path for path in files}
    graph = {
        name: {
            target
            for target in (
                # the longest known module each import names (``x.y`` as ``x`` if y is a name)
                max(
                    (known for known in names if within(m, known)),
                    key=len,
                    default=None,
                )
                for m in imported(path)
            )
            if target and target != name and not within(name, target)
        }
        for name, path in names.items()
    }
    found, seen = [], set()

    def walk(node, trail):
        for target in sorted(graph[node]):
            if target in trail:
                circle = trail[trail.index(target) :]
                if frozenset(circle) not in seen:
                    seen.add(frozenset(circle))
                    found.append([*circle, target])
            elif len(trail) < 8:
                walk(target, [*trail, target])

    for start in sorted(graph):
        walk(start, [start])
    return found


def test_no_import_circle_in_reporting_the_demo_or_the_project_package():
    """A Celery task imports the service it runs; the service queues it by the task's name
    (``reporting.packs.enqueue``), never by importing it."""
    assert circles(project_files("reporting", "demo", "riskreg")) == []
