"""Operations are handed real objects, never the `current_user` proxy: one that keeps what
it is given (Flask-Login's login_user) stored the proxy, which then resolved to itself and
killed the process (issue 16, item 1)."""

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "smartqueue"
ACTOR_KEYWORDS = {"by", "user", "customer", "agent", "actor"}


def test_no_operation_is_handed_the_current_user_proxy():
    found = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                if (
                    keyword.arg in ACTOR_KEYWORDS
                    and isinstance(keyword.value, ast.Name)
                    and keyword.value.id == "current_user"
                ):
                    found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
            func = node.func
            name = (
                func.attr
                if isinstance(func, ast.Attribute)
                else getattr(func, "id", "")
            )
            if name == "login_user" and any(
                isinstance(arg, ast.Name) and arg.id == "current_user"
                for arg in node.args
            ):
                found.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert found == [], "use web.safety.acting_user() instead of the proxy"
