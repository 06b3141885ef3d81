"""``@transaction.atomic`` decorates functions only. Put on a class (a dataclass slipped in
between it and the function it was meant for), it leaves the function with no transaction of its
own, and the tests' own transaction hides that: every ``select_for_update`` in it then fails in
production only (decision 112's session found one)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("accounts", "api", "appetite", "registers", "reporting", "riskreg", "scoring")


def _is_atomic(decorator: ast.expr) -> bool:
    target = decorator.func if isinstance(decorator, ast.Call) else decorator
    return isinstance(target, ast.Attribute | ast.Name) and (
        getattr(target, "attr", None) == "atomic" or getattr(target, "id", None) == "atomic"
    )


def test_atomic_decorates_no_class():
    misplaced = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
                if isinstance(node, ast.ClassDef) and any(map(_is_atomic, node.decorator_list)):
                    misplaced.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert not misplaced, misplaced
