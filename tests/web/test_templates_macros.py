"""The template macros: one opening-hours table for the public and the manage branch
pages, one list table for the manage area's lists (issue 15, "Templates")."""

import re
from datetime import time

from flask import render_template_string

HOURS_TABLE = re.compile(r"<table>\s*<tr><th scope=\"row\">.*?</table>", re.S)


def _render(source: str, **context) -> str:
    return " ".join(render_template_string(source, **context).split())


def test_hours_table_is_the_same_on_the_public_and_the_manage_branch_page(
    db, make_branch, make_user, auth, client
):
    branch = make_branch()
    monday, tuesday = branch.opening_hours[0], branch.opening_hours[1]
    monday.opens_at, monday.closes_at = time(20), time(2)  # overnight
    tuesday.opens_at, tuesday.closes_at = time(0), time(0)  # around the clock
    db.session.commit()
    public = client.get(f"/branches/{branch.id}").get_data(as_text=True)
    auth.login(make_user(role="branch_manager", branch=branch))
    manage = client.get(f"/manage/branches/{branch.id}").get_data(as_text=True)

    tables = [
        " ".join(HOURS_TABLE.search(page).group().split()) for page in (public, manage)
    ]
    assert tables[0] == tables[1]
    assert '<th scope="row">Lundi</th><td>20:00 – 02:00</td>' in tables[0]
    assert '<th scope="row">Mardi</th><td>24 h/24</td>' in tables[0]
    assert '<th scope="row">Mercredi</th><td>08:00 – 17:00</td>' in tables[0]
    assert '<th scope="row">Dimanche</th><td>Fermé</td>' in tables[0]


LIST = """{% from "macros/tables.html" import hidden_header, list_table %}
{% call(n) list_table("number-list", ["Nombre", hidden_header("Actions")], items, "Rien.", note=note) %}
<tr id="n-{{ n }}"><td>{{ n }}</td><td><button>x</button></td></tr>
{% endcall %}"""


def test_list_table_lists_each_item_through_its_caller(app):
    with app.test_request_context():
        html = _render(LIST, items=[1, 2], note="Une note.")
    assert html == (
        '<div class="table-wrap"> <table id="number-list"> <thead><tr>'
        '<th scope="col">Nombre</th>'
        '<th scope="col"><span class="visually-hidden">Actions</span></th></tr></thead>'
        ' <tbody> <tr id="n-1"><td>1</td><td><button>x</button></td></tr>'
        ' <tr id="n-2"><td>2</td><td><button>x</button></td></tr>'
        ' </tbody> </table> </div> <p class="hint">Une note.</p>'
    )


def test_list_table_keeps_its_id_on_the_empty_message(app):
    with app.test_request_context():
        html = _render(LIST, items=[], note="Une note.")
        card = _render(
            '{% from "macros/tables.html" import list_table %}'
            '{% call(x) list_table("x-list", ["X"], [], "Vide & rien.", '
            'empty_class="card muted") %}{% endcall %}'
        )
    assert html == '<p class="muted" id="number-list">Rien.</p>'
    assert card == '<p class="card muted" id="x-list">Vide &amp; rien.</p>'
