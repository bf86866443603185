"""Control characters (NUL first: PostgreSQL refuses it, a 500 there) are refused in every
text field with one clear message, and in URLs, before anything reaches the database."""

import html as htmllib
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from smartqueue.models import (
    Branch,
    BranchClosure,
    Device,
    DeviceKind,
    Service,
    Ticket,
    User,
)
from smartqueue.web import forms as web_forms
from smartqueue.web.forms import Form

pytestmark = pytest.mark.backends("postgresql")

MESSAGE = "Ce champ contient des caractères non autorisés."


class _FormReader(HTMLParser):
    """The values a browser would post from the page's form whose action is `action`."""

    def __init__(self, action: str):
        super().__init__()
        self.action, self.inside, self.data = action, False, {}
        self._select = self._textarea = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = a.get("action", "").split("?")[0] == self.action
        elif not self.inside:
            return
        elif tag == "option" and self._select:
            if "selected" in a or self._select not in self.data:
                self.data[self._select] = a.get("value", "")
        elif not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                return
            self.data[a["name"]] = a.get("value", "")
        elif tag == "select":
            self._select = a["name"]
        elif tag == "textarea":
            self._textarea = a["name"]
            self.data[a["name"]] = ""

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea] += data


def _form_data(client, page: str, action: str) -> dict:
    reader = _FormReader(action)
    reader.feed(client.get(page).get_data(as_text=True))
    assert reader.data, f"no form posting to {action} on {page}"
    return reader.data


@pytest.fixture
def branch_world(make_hall, make_user):
    """A branch, its service A, an open counter, its manager, a customer, a kiosk link."""
    world = make_hall(
        staff=("branch_manager",),
        screens=[(DeviceKind.KIOSK, "Entrée")],
        name="Agence Plateau",
    )
    world.service, world.customer = world.a, make_user(full_name="Awa Diop")
    world.kiosk = world.token
    return world


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# (who signs in, page with the form, where it posts, field, text, what must not change)
CASES = {
    "sign-up name": (
        None,
        "/auth/register",
        "/auth/register",
        "full_name",
        "Awa\x00Diop",
        lambda db, w: _count(db, User),
    ),
    "profile name": (
        "customer",
        "/account/",
        "/account/",
        "full_name",
        "Awa\x00",
        lambda db, w: db.session.get(User, w.customer.id).full_name,
    ),
    "branch name": (
        "manager",
        "/manage/branches/{branch}",
        "/manage/branches/{branch}",
        "name",
        "Plateau\x00",
        lambda db, w: db.session.get(Branch, w.branch.id).name,
    ),
    "service name": (
        "manager",
        "/manage/services/{service}",
        "/manage/services/{service}",
        "name_fr",
        "Retrait\x1b[31m",
        lambda db, w: db.session.get(Service, w.service.id).name_fr,
    ),
    "service documents (multi-line)": (
        "manager",
        "/manage/services/{service}",
        "/manage/services/{service}",
        "documents",
        "Pièce d'identité\r\nJustificatif\x00",
        lambda db, w: db.session.get(Service, w.service.id).documents,
    ),
    "closure reason": (
        "manager",
        "/manage/branches/{branch}/closures",
        "/manage/branches/{branch}/closures",
        "reason",
        "Tabaski\x07",
        lambda db, w: _count(db, BranchClosure),
    ),
    "device name": (
        "manager",
        "/manage/branches/{branch}/devices",
        "/manage/branches/{branch}/devices",
        "name",
        "TV\x00",
        lambda db, w: _count(db, Device),
    ),
    "kiosk phone": (
        None,
        "/kiosk/{kiosk}/services/{service}/contact",
        "/kiosk/{kiosk}/services/{service}/tickets",
        "contact",
        "77 123\x00 45 67",
        lambda db, w: _count(db, Ticket),
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_control_character_in_a_text_field_is_refused_and_nothing_is_written(
    client, auth, db, branch_world, case
):
    who, page, action, field, text, state = CASES[case]
    w = branch_world
    if who:
        auth.login(getattr(w, who))
    ids = dict(branch=w.branch.id, service=w.service.id, kiosk=w.kiosk)
    page, action = page.format(**ids), action.format(**ids)
    data = _form_data(client, page, action)
    if case == "sign-up name":
        data.update(
            email="awa@example.sn", password="s3cret-pass", confirm="s3cret-pass"
        )
    if case == "closure reason":
        data.update(date="2026-12-24")
    if case == "kiosk phone":
        data.update(submit="x")
        client.application.config["SMS_ENABLED"] = True  # phones only with SMS
    before = state(db, w)

    response = client.post(action, data={**data, field: text})

    assert response.status_code == 422
    assert MESSAGE in htmllib.unescape(response.get_data(as_text=True))
    db.session.rollback()
    assert state(db, w) == before
    # The same form with the character taken out goes through (the test's form is whole).
    clean = client.post(action, data={**data, field: text.replace("\x00", "")})
    if "\x00" in text:
        assert clean.status_code in (200, 201, 302, 303)


def test_multi_line_text_keeps_its_line_breaks(client, auth, db, branch_world):
    w = branch_world
    auth.login(w.manager)
    page = f"/manage/services/{w.service.id}"
    data = _form_data(client, page, page)
    response = client.post(page, data={**data, "documents": "Carte\r\nPhoto\tx2"})
    assert response.status_code in (200, 302, 303)
    db.session.rollback()
    assert db.session.get(Service, w.service.id).documents.splitlines() == [
        "Carte",
        "Photo\tx2",
    ]


@pytest.mark.parametrize(
    "url,status",
    [
        ("/t/abc%00def", 404),  # a ticket's token in the path
        ("/kiosk/abc%00/services/1/contact", 404),
        ("/board/tv%00", 404),
        ("/appointments/RDV202612010001/check-in?token=%00", 400),
        ("/auth/reset?email=a%00@example.sn", 400),
        ("/?region=1%00", 400),
    ],
)
def test_control_characters_in_a_url_are_a_4xx_not_a_500(client, url, status):
    response = client.get(url)
    assert response.status_code == status
    if status == 400:
        assert "Ce lien contient des caractères non autorisés." in htmllib.unescape(
            response.get_data(as_text=True)
        )


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def test_every_form_of_the_app_checks_its_text_fields(app):
    """The check lives in one base class: a form written on FlaskForm directly would
    skip it."""
    from flask_wtf import FlaskForm

    forms = [
        c
        for c in _subclasses(FlaskForm)
        if c.__module__.startswith("smartqueue.") and c is not Form
    ]
    assert len(forms) >= 25
    assert [c.__qualname__ for c in forms if not issubclass(c, Form)] == []
    assert web_forms.has_control_characters("\u0085")  # C1 too
    assert not web_forms.has_control_characters("Ñdéyé Sëk – Thiès")
