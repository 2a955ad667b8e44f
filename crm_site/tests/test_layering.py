"""Apps use only the layers below them (DESIGN.md, "Which app may use which"); a lower app that
must show something of a higher one offers a registry the higher app fills in its ready().

Every module of every app (tests and migrations aside) is parsed, and each import of a higher
layer, at the top of a module or inside a function, fails the test with its file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings

# The one table of the layers, lowest first. demo builds every app's demo data, so it is on top.
LAYERS = ("crm_site", "retailers", "grading", "complaints", "visits", "loyalty", "analytics", "demo")
SKIPPED_DIRS = {"tests", "migrations", "__pycache__"}


def imported_modules(tree: ast.AST):
    """(line, dotted module) for every absolute import, and every import_module("…") of a constant."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from ((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "id", getattr(node.func, "attr", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def upward_imports(app: str, source: str, filename: str) -> list[str]:
    rank = LAYERS.index(app)
    return [
        f"{filename}:{line} ({app}) imports {module}"
        for line, module in sorted(imported_modules(ast.parse(source, filename)))
        if module.split(".")[0] in LAYERS and LAYERS.index(module.split(".")[0]) > rank
    ]


def app_modules(app: str):
    root = Path(settings.BASE_DIR) / app
    for path in sorted(root.rglob("*.py")):
        if not SKIPPED_DIRS & set(path.relative_to(root).parts[:-1]):
            yield path


def test_every_app_imports_only_the_layers_below_it():
    violations = [
        violation
        for app in LAYERS
        for path in app_modules(app)
        for violation in upward_imports(app, path.read_text(), str(path.relative_to(settings.BASE_DIR)))
    ]
    assert violations == []


def test_every_app_of_the_project_has_a_layer():
    project_apps = {app for app in settings.INSTALLED_APPS if (Path(settings.BASE_DIR) / app / "apps.py").exists()}
    assert project_apps == set(LAYERS)
    assert all(any(app_modules(app)) for app in LAYERS)


def test_an_upward_import_is_caught_wherever_it_hides():
    source = (
        "from crm_site.models import User\n"
        "import retailers.models\n"
        "def has_open(queryset):\n"
        "    from complaints.selectors import open_tickets_of\n"
        "    import grading.models as g\n"
        "    return importlib.import_module('loyalty.services')\n"
    )
    assert upward_imports("retailers", source, "retailers/filters.py") == [
        "retailers/filters.py:4 (retailers) imports complaints.selectors",
        "retailers/filters.py:5 (retailers) imports grading.models",
        "retailers/filters.py:6 (retailers) imports loyalty.services",
    ]
    assert upward_imports("demo", source, "demo/seed.py") == []
