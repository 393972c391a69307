"""Coding standards the code keeps itself to (after CKAN's test_coding_standards):

- every public function of a domain's ``operations.py`` says in a docstring what it
  guarantees;
- every route that changes state checks a named permission predicate (``can_…``), directly
  or through a loader of its module, unless it is listed below with the reason.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import participation

PACKAGE = Path(participation.__file__).parent

# Mutating routes open to anyone by design, with the reason.
NO_PREDICATE = {
    "accounts.login": "signing in",
    "accounts.logout": "signing out (needs only the CSRF token)",
    "accounts.register": "anyone may register",
    "accounts.verify_registration": "the code sent at registration",
    "accounts.resend_code": "the code sent at registration",
    "accounts.change_password": "the signed-in person's own account (login_required)",
    "accounts.delete_account": "the signed-in person's own account (login_required)",
}


def _operations_modules() -> list[Path]:
    return sorted(PACKAGE.glob("*/operations.py"))


def test_every_public_operation_has_a_docstring():
    missing = []
    for path in _operations_modules():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and not node.name.startswith("_") \
                    and not ast.get_docstring(node):
                missing.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno} {node.name}")
    assert len(_operations_modules()) >= 5
    assert not missing, "operations without a docstring:\n" + "\n".join(missing)


def _checks_a_predicate(function: ast.FunctionDef, local: dict[str, ast.FunctionDef],
                        seen: set[str]) -> bool:
    for node in ast.walk(function):
        if isinstance(node, ast.Name) and node.id.startswith("can_"):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            name = node.func.id
            if name in ("require_official",):
                return True
            if name in local and name not in seen:
                seen.add(name)
                if _checks_a_predicate(local[name], local, seen):
                    return True
    return False


def test_every_mutating_route_checks_a_named_predicate(app):
    unchecked = []
    mutating = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static" or not rule.methods - {"GET", "HEAD", "OPTIONS"}:
            continue
        mutating += 1
        if rule.endpoint in NO_PREDICATE:
            continue
        view = inspect.unwrap(app.view_functions[rule.endpoint])
        module = ast.parse(Path(inspect.getsourcefile(view)).read_text(encoding="utf-8"))
        local = {n.name: n for n in module.body if isinstance(n, ast.FunctionDef)}
        if not _checks_a_predicate(local[view.__name__], local, set()):
            unchecked.append(rule.endpoint)
    assert mutating >= 25
    assert not unchecked, "mutating routes without a named predicate: " + ", ".join(unchecked)


def test_the_exemptions_name_routes_that_exist(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    stale = set(NO_PREDICATE) - endpoints - {"accounts.resend_code"}
    assert not stale
