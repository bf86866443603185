"""Small helpers for pages that are also HTMX fragments."""

from flask import render_template, request


def is_htmx() -> bool:
    return request.headers.get("HX-Request") == "true" and not request.headers.get(
        "HX-Boosted"
    )


def page_or_fragment(page: str, fragment: str, **context):
    """One URL serves the whole page, or just its fragment to an HTMX request."""
    return render_template(fragment if is_htmx() else page, **context)
