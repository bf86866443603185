"""The import layers of smartqueue/, read from the source with `ast` (nothing is imported).

    foundations  clock, errors, extensions (the Redis client too), logs
    models       models/
    core         accounts, appointments, geo, orgs, queueing, travel, and their shared
                 plumbing (work: units of work; events: the engine's signals)
    screens      screens/: what the live screens show, rendered for the web pages and
                 the sockets alike
    interfaces   jobs, realtime, web
    app          smartqueue/__init__.py (create_app), cli, demo

A module imports from its own layer and the layers below, at the top of the file or
inside a function alike (a function-local import does not hide a dependency, it only
delays it). Interfaces do not import each other: realtime and web never, jobs neither;
/healthz (web) reads the jobs' outbox backlog and heartbeat. A new top-level module or
package says its layer in LAYERS, or this test fails.
"""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

FOUNDATIONS, MODELS, CORE, SCREENS, INTERFACES, APP = range(6)
LAYERS = {
    "clock": FOUNDATIONS,
    "errors": FOUNDATIONS,
    "extensions": FOUNDATIONS,
    "logs": FOUNDATIONS,
    "models": MODELS,
    "accounts": CORE,
    "analytics": CORE,
    "appointments": CORE,
    "events": CORE,
    "geo": CORE,
    "notifications": CORE,
    "payments": CORE,
    "orgs": CORE,
    "queueing": CORE,
    "travel": CORE,
    "work": CORE,
    "screens": SCREENS,
    "jobs": INTERFACES,
    "realtime": INTERFACES,
    "web": INTERFACES,
    "": APP,  # smartqueue/__init__.py: create_app
    "cli": APP,
    "demo": APP,
    "paysim": APP,  # the payment simulator: an app of its own, never in production
}
# (importer, imported) between interfaces: the only pair allowed.
INTERFACE_PAIRS = {("web", "jobs")}
# The core enqueues jobs inside its unit of work (jobs.enqueue writes the outbox row, and
# takes the job function itself): allowed at the top of a core module, never inside a
# function. Left to do: an outbox in the core that takes a job by name.
CORE_MAY_ENQUEUE = {"smartqueue.jobs"}
# Known, and left to the lead in issue 15's report: each entry ("file: statement") must
# still fail the rules above, so that fixing one makes this test say to remove it.
KNOWN: set[str] = set()
# Function-local imports of smartqueue modules are kept only where start-up order asks
# for them: create_app's (importing any smartqueue module runs the package's __init__,
# which must not pull the interfaces in), the CLI's (each command loads what it runs),
# register_web's (the blueprints' modules import the web package's own helpers).
LOCAL_IMPORTS_ALLOWED = {
    "smartqueue/__init__.py",
    "smartqueue/cli.py",
    "smartqueue/web/__init__.py",
}


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(node: ast.AST, module: str, is_package: bool) -> list[str]:
    """The smartqueue modules an import statement names (absolute, dotted)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if node.level == 0:
        base = node.module or ""
    else:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[: len(package) - (node.level - 1)]
        base = ".".join(package + ([node.module] if node.module else []))
    # `from .. import clock` names a module; `from ..models import Ticket` a name in one.
    return (
        [f"{base}.{alias.name}" for alias in node.names] if not node.module else [base]
    )


def area(dotted: str) -> str | None:
    """The top-level module or package under smartqueue ("" for the package itself)."""
    parts = dotted.split(".")
    if parts[0] != "smartqueue":
        return None
    return parts[1] if len(parts) > 1 else ""


def import_statements(body: list, in_function: bool = False):
    """(import statement, inside a function?) in a body, walking statements only."""
    for node in body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node, in_function
        inner = in_function or isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            yield from import_statements(getattr(node, field, None) or [], inner)


def imports(root: Path):
    """(file:line, importer's area, imported module, inside a function?, statement) for
    each import of a smartqueue module under root/smartqueue."""
    for path in sorted((root / "smartqueue").rglob("*.py")):
        module = module_name(path, root)
        tree = ast.parse(path.read_text(), filename=str(path))
        found = sorted(import_statements(tree.body), key=lambda pair: pair[0].lineno)
        for node, is_local in found:
            for target in imported_modules(node, module, path.name == "__init__.py"):
                if area(target) is not None:
                    where = f"{path.relative_to(root)}:{node.lineno}"
                    yield where, area(module), target, is_local, node


def unplaced(root: Path) -> list[str]:
    """Top-level modules and packages of smartqueue/ that LAYERS does not place."""
    names = {
        p.stem if p.is_file() else p.name
        for p in (root / "smartqueue").iterdir()
        if (p.suffix == ".py" and p.name != "__init__.py")
        or (p / "__init__.py").is_file()
    }
    return [f"smartqueue/{n}: no layer in LAYERS" for n in sorted(names - set(LAYERS))]


def violations(root: Path) -> list[str]:
    found = unplaced(root)
    for where, source, target, is_local, node in imports(root):
        statement = ast.unparse(node)
        imported = area(target)
        if source not in LAYERS or imported not in LAYERS:
            continue  # reported by unplaced() (or not a module: a typo fails elsewhere)
        file = where.rsplit(":", 1)[0]
        if is_local and file not in LOCAL_IMPORTS_ALLOWED:
            found.append(f"{where}: function-local {statement}")
            continue
        if LAYERS[source] == CORE and target in CORE_MAY_ENQUEUE and not is_local:
            continue
        if LAYERS[imported] > LAYERS[source]:
            found.append(f"{where}: {statement} (a layer above)")
        elif (
            LAYERS[source] == LAYERS[imported] == INTERFACES
            and source != imported
            and (source, imported) not in INTERFACE_PAIRS
        ):
            found.append(f"{where}: {statement} (another interface)")
    return found


def test_layers_hold():
    """No import goes up a layer or across interfaces, at the top or in a function."""
    found = {}
    for violation in violations(ROOT):
        where, _, what = violation.partition(": ")
        found[f"{where.split(':')[0]}: {what}"] = violation
    broken = [v for key, v in found.items() if key not in KNOWN]
    assert not broken, "imports that break the layers:\n" + "\n".join(broken)
    fixed = sorted(KNOWN - found.keys())
    assert not fixed, "fixed, remove from KNOWN:\n" + "\n".join(fixed)


def test_layers_report_planted_imports_with_file_and_line(tmp_path):
    """The check lists each offending import (it would fail on these)."""
    files = {
        "smartqueue/__init__.py": "def create_app():\n    from .web import bp\n",
        "smartqueue/realtime/__init__.py": "",
        "smartqueue/realtime/ticket.py": (
            "from ..screens import ticket\n\n"
            "def live():\n    from ..web.customer.views import render\n"
        ),
        "smartqueue/queueing/__init__.py": "",
        "smartqueue/queueing/calls.py": (
            "from .. import screens\nfrom ..jobs import enqueue\n\n"
            "def call():\n    from ..jobs import notify\n"
        ),
        "smartqueue/web/__init__.py": "from ..realtime import channels\n",
        "smartqueue/newthing.py": "import smartqueue.models\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    assert violations(tmp_path) == [
        "smartqueue/newthing: no layer in LAYERS",
        "smartqueue/queueing/calls.py:1: from .. import screens (a layer above)",
        "smartqueue/queueing/calls.py:5: function-local from ..jobs import notify",
        "smartqueue/realtime/ticket.py:4: function-local "
        "from ..web.customer.views import render",
        "smartqueue/web/__init__.py:1: from ..realtime import channels "
        "(another interface)",
    ]
