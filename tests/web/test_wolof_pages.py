"""In Wolof (and in English) no page a customer or a kiosk user sees shows French.

One walk over the demo data per language: every customer page (finder, branch, ticket,
bookings, sign-in), and in Wolof every kiosk screen, collecting what a person reads (text
nodes, and the placeholder, title, aria-label, alt and button values). A text that is a
French msgid of the catalog, or the French name of a service that has one in the
language, is a string left untranslated; the test lists them, page by page.
"""

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import refresh
from sqlalchemy import select

from smartqueue.demo import PASSWORD, seed_demo
from smartqueue.models import Branch, Region, Service
from tests.conftest import at

ROOT = Path(__file__).resolve().parents[2]
KIOSK = "/kiosk/demo-kiosk-plateau"
BOARD = "/board/demo-board-plateau"

# Catalog entries whose translation is the French word itself: loanwords Wolof speakers
# use as they are (guichet, ticket, rendez-vous...), and English words spelt the same.
# Any other entry translated by its French msgid is French left in the catalog.
SAME_IN = {
    "wo": {
        "%(n)s min",
        "%(sign)s%(minutes)s min",  # the analytics tiles' "+3 min"
        "%(sign)s%(points)s pts",
        "%(num)s place",
        "%(num)s places",
        "%(num)s service",
        "%(num)s services",
        "Acompte",
        "Agence",
        "Agence : %(b)s.",
        "Agence : %(branch)s, %(address)s",
        "Agent",
        "Borne",
        "Business",
        "Créneau",
        "E-mail",
        "Enterprise",
        "Express",
        "File",
        "File « %(service)s » : %(status)s.",
        "Formule",
        "Guichet",
        "Guichet %(n)s",
        "Guichet %(number)s",
        "Mobile",
        "Notification",
        "Notification push",
        "Organisation",
        "Push",
        "Plateforme SmartQueue",
        "Rendez-vous",
        "Rendez-vous %(number)s",
        "Rendez-vous %(service)s",
        "Rendez-vous · %(service)s",
        "Rôle",
        "SMS",
        "Service",
        "Service : %(service)s",
        "Starter",
        "Tabaski, inventaire...",
        "Ticket",
        "Ticket %(code)s, guichet %(counter)s",
        "VIP",
        "Web",
        "absent",
        "absents",
        "rendez-vous",
    }
    # Holidays, named alike in French, Wolof and English.
    | {"Korité", "Maouloud", "Tabaski", "Tamkharit"},
    "en": {
        "%(n)s min",
        "%(n)s/5",
        "%(sign)s%(minutes)s min",
        "%(sign)s%(points)s pts",
        "%(num)s service",
        "%(num)s services",
        "Actions",
        "Active",
        "Agent",
        "Business",
        "Commune",
        "Date",
        "Enterprise",
        "Express",
        "Inactive",
        "Invitation",
        "Maintenance",
        "Message",
        "Mobile",
        "Notification",
        "Notifications",
        "Push",
        "Pause",
        "SMS",
        "Service",
        "Services",
        "Starter",
        "Ticket",
        "Tickets",
        "Type",
        "VIP",
        "Web",
        "minutes",
    }
    | {"Korité", "Maouloud", "Tabaski", "Tamkharit"},
}
SEEN_ATTRIBUTES = ("placeholder", "title", "aria-label", "alt")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta"}
VOID |= {"source", "track", "wbr"}


def _catalog(lang):
    path = ROOT / "smartqueue/translations" / lang / "LC_MESSAGES/messages.po"
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def _forms(value) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _left_in_french(lang):
    """(exact French texts, French texts with placeholders as regexes) to look out for."""
    catalog = [m for m in _catalog(lang) if m.id]
    translated = {s for m in catalog for s in _forms(m.string) if s}
    exact, patterns = set(), []
    for message in catalog:
        for french in _forms(message.id):
            # A text that is also a translation of this language is no evidence of French.
            if french in SAME_IN[lang] or french in translated - {french}:
                continue
            literal = re.sub(r"%\(\w+\)[sd]", "", french)
            if len(re.findall(r"[^\W\d_]", literal)) < 3:
                continue  # "%(code)s", "· %(n)s": nothing French to see
            if "%(" in french:
                parts = re.split(r"%\(\w+\)[sd]", french)
                patterns.append(".+?".join(map(re.escape, parts)))
            else:
                exact.add(french)
    return exact, re.compile("|".join(f"(?:{p})" for p in patterns))


def test_catalogs_leave_no_french_but_the_listed_loanwords():
    """An entry translated by its own French msgid is French on the page."""
    for lang in ("wo", "en"):
        copied = {
            string
            for message in _catalog(lang)
            if message.id
            for string in _forms(message.string)
            if string in _forms(message.id)
        }
        assert copied <= SAME_IN[lang], (lang, sorted(copied - SAME_IN[lang]))


class _Seen(HTMLParser):
    """What a person reads: text and labelling attributes, outside scripts and styles and
    outside elements marked in another language (lang="fr" on the kiosk's "Français")."""

    def __init__(self, page_lang):
        super().__init__(convert_charrefs=True)
        self.page_lang, self.stack, self.texts = page_lang, [], []

    def _hidden(self):
        return any(hidden for _tag, hidden in self.stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang")
        hidden = tag in ("script", "style") or (
            tag != "html" and lang is not None and lang != self.page_lang
        )
        if not (hidden or self._hidden()):
            for name in SEEN_ATTRIBUTES:
                if attrs.get(name):
                    self.texts.append(attrs[name])
            if tag in ("input", "button") and attrs.get("type") in ("submit", "button"):
                self.texts.append(attrs.get("value") or "")
        if tag not in VOID:
            self.stack.append((tag, hidden))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        while self.stack:
            if self.stack.pop()[0] == tag:
                break

    def handle_data(self, data):
        if not self._hidden():
            self.texts.append(data)


def _texts(html: str, lang: str) -> list[str]:
    seen = _Seen(lang)
    seen.feed(html)
    texts = (" ".join(t.split()).strip(" ·–-|:") for t in seen.texts)
    return [t for t in texts if t]


class Walk:
    """GETs (and POSTs) pages, keeping the French each one shows."""

    def __init__(self, client, lang, services):
        self.client, self.lang = client, lang
        self.headers = {"Accept-Language": lang}
        self.exact, self.patterns = _left_in_french(lang)  # patterns: one regex
        self.names = {s.name_fr for s in services if s.name_for(lang) != s.name_fr}
        self.french: dict[str, list[str]] = {}
        self.pages = 0

    def check(self, label, response, expected=200):
        assert response.status_code == expected, (label, response.status_code)
        html = response.get_data(as_text=True)
        assert f'<html lang="{self.lang}">' in html, label
        found = []
        for text in _texts(html, self.lang):
            if text in self.exact or self.patterns.fullmatch(text):
                found.append(text)
            found += [name for name in self.names if name in text]
        if found:
            self.french[label] = sorted(set(found))
        self.pages += 1
        return response

    def get(self, url, expected=200, label=None):
        response = self.client.get(url, headers=self.headers)
        return self.check(label or url, response, expected)

    def post(self, url, data=None, expected=303, label=None):
        response = self.client.post(url, data=data or {}, headers=self.headers)
        assert response.status_code == expected, (label or url, response.status_code)
        if expected in (302, 303):
            return response.headers["Location"]
        return self.check(label or f"POST {url}", response, expected)


@pytest.fixture
def demo(db, frozen):
    """The demo data, on a Tuesday at 10:00 (every branch open)."""
    seed_demo()
    plateau = db.session.scalar(select(Branch).where(Branch.name == "Agence Plateau"))
    cards = next(s for s in plateau.services if s.prefix == "D")
    cards.requires_appointment = (
        True  # so that the kiosk's "by appointment" screen shows
    )
    db.session.commit()
    return plateau


def _walk_customer_pages(walk, db, plateau, frozen):
    client = walk.client
    dakar = db.session.scalar(select(Region).where(Region.name == "Dakar"))
    fann = db.session.scalar(select(Branch).where(Branch.name == "Site de Fann"))
    deposit = next(s for s in plateau.services if s.prefix == "B")
    bookable = next(s for s in plateau.services if s.prefix == "A")

    walk.get("/")
    walk.get(f"/?region={dakar.id}")
    walk.get(f"/?region={dakar.id}&q=zzzz", label="finder, nothing found")
    walk.get(f"/branches/{plateau.id}")
    walk.get("/auth/login")
    walk.post("/auth/login", {"email": "client@demo.sn", "password": "x"}, 422)
    walk.get("/auth/register")
    walk.post("/auth/register", {"email": "pas-un-email"}, 422)
    walk.get("/auth/forgot")
    walk.get("/nowhere", 404)

    # Signed in, in the language chosen (kept in the profile).
    client.post("/auth/login", data={"email": "client@demo.sn", "password": PASSWORD})
    client.post("/language", data={"locale": walk.lang})
    walk.get("/account/")
    ticket = walk.post(f"/branches/{plateau.id}/services/{deposit.id}/ticket")
    walk.get(ticket, label="ticket page, waiting")
    walk.get("/my/tickets")
    day = "2026-12-02"
    walk.get(f"/appointments/book/{bookable.id}")
    walk.get(f"/appointments/book/{bookable.id}/{day}")
    booked = walk.post(f"/appointments/book/{bookable.id}/{day}", {"time": "09:30"})
    walk.get(booked, label="appointment page")
    number = booked.rstrip("/").rsplit("/", 1)[-1]
    walk.get(f"/appointments/{number}/move")
    walk.get("/appointments/")
    from smartqueue.appointments.queries import get_appointment_by_number

    appointment = get_appointment_by_number(number, branch=plateau)
    check_in = f"/appointments/{number}/check-in?token={appointment.check_in_token}"
    walk.get(check_in)
    walk.post(check_in, expected=409, label="check-in a day early (refused)")
    walk.post(f"{ticket}/cancel")
    walk.get(ticket, label="ticket page, cancelled")

    frozen.set(at(6, 3))  # Sunday night: Fann is closed
    walk.get(f"/branches/{fann.id}", label="closed branch")
    walk.get(f"/?region={dakar.id}", label="finder, Sunday night")
    frozen.set(at(1, 10))


def _walk_kiosk(walk, plateau):
    walk.client.post(f"{KIOSK}/language", data={"lang": walk.lang})
    by_appointment = next(s for s in plateau.services if s.prefix == "D")
    deposit = next(s for s in plateau.services if s.prefix == "B")
    walk.get(KIOSK, label="kiosk start")
    walk.get(f"{KIOSK}/services/{deposit.id}", label="kiosk priority")
    walk.get(f"{KIOSK}/services/{by_appointment.id}", label="kiosk by appointment")
    contact = f"{KIOSK}/services/{deposit.id}/contact?priority=high"
    walk.get(contact, label="kiosk contact")
    tickets = f"{KIOSK}/services/{deposit.id}/tickets"
    walk.post(tickets, {"contact": "pas un contact"}, 422, label="kiosk bad contact")
    printed = walk.post(tickets, {"priority": "high", "skip": "1"})
    walk.get(printed, label="kiosk ticket")
    walk.get(f"{KIOSK}/appointments", label="kiosk check-in")
    walk.post(f"{KIOSK}/appointments", {"number": "9999"}, 404, label="kiosk unknown")


@pytest.mark.parametrize("lang", ["wo", "en"])
def test_customer_and_kiosk_pages_show_no_french(client, db, demo, frozen, lang):
    services = db.session.scalars(select(Service)).all()
    assert all(s.name_for(lang) != s.name_fr for s in services)  # the demo is named
    walk = Walk(client, lang, services)
    _walk_customer_pages(walk, db, demo, frozen)
    if lang == "wo":  # the kiosk speaks French and Wolof
        _walk_kiosk(walk, demo)
    assert walk.pages >= 20
    assert not walk.french, "\n".join(
        f"{page}: {strings}" for page, strings in walk.french.items()
    )


def test_the_board_gives_each_service_its_wolof_name_under_the_french(client, db, demo):
    """The board is the room's, in French (BOARD_LOCALE), each name in Wolof beneath."""
    html = client.get(BOARD, headers={"Accept-Language": "wo"}).get_data(as_text=True)
    html = html.replace("&#39;", "'")
    for service in demo.services:
        assert f'<span class="service-fr">{service.name_fr}</span>' in html
        assert f'<span class="service-wo" lang="wo">{service.name_wo}</span>' in html


# --- the manage area: which services lack a name, and naming them -----------------------

SERVICE_FORM = {
    "name_fr": "Ouverture de compte",
    "prefix": "A",
    "estimated_minutes": "10",
    "price_fcfa": "0",
    "queue_type": "normal",
    "queue_status": "active",
    "strategy": "fifo",
    "capacity": "0",
    "expiry_minutes": "0",
    "notify_before": "3",
    "is_active": "y",
}


def _badges(html: str) -> list[str]:
    return re.findall(r'data-missing="(\w+)"', html)


def test_a_manager_sees_the_missing_names_and_fills_them(client, db, auth, world):
    users, ids = world
    auth.login(users["manager_a1"])
    branch_page = f"/manage/branches/{ids['branch']}"
    page = client.get(branch_page).get_data(as_text=True)
    assert _badges(page) == ["wo", "en"]
    assert "Nom wolof manquant" in page and "Nom anglais manquant" in page
    assert 'id="missing-names-note"' in page

    form = client.get(f"/manage/services/{ids['service']}").get_data(as_text=True)
    assert 'name="name_wo"' in form and 'name="name_en"' in form
    url = f"/manage/services/{ids['service']}"
    too_long = client.post(url, data=SERVICE_FORM | {"name_en": "x" * 121})
    assert too_long.status_code == 422
    assert db.session.get(Service, ids["service"]).name_en is None  # nothing written

    client.post(url, data=SERVICE_FORM | {"name_wo": " Ubbi kont ", "name_en": ""})
    service = db.session.get(Service, ids["service"])
    db.session.refresh(service)
    assert (service.name_wo, service.name_en) == ("Ubbi kont", None)
    assert _badges(client.get(branch_page).get_data(as_text=True)) == ["en"]

    client.post(
        url, data=SERVICE_FORM | {"name_wo": "Ubbi kont", "name_en": "Accounts"}
    )
    page = client.get(branch_page).get_data(as_text=True)
    assert _badges(page) == [] and 'id="missing-names-note"' not in page
    db.session.refresh(service)
    assert [service.name_for(lang) for lang in ("fr", "wo", "en")] == [
        "Ouverture de compte",
        "Ubbi kont",
        "Accounts",
    ]
    # A manager reading Wolof picks a counter's services by their Wolof names.
    users["manager_a1"].locale = "wo"
    db.session.commit()
    refresh()  # the test's app context (shared by its requests) keeps the last locale
    counter_form = client.get(f"/manage/branches/{ids['branch']}/counters/new").text
    assert "A · Ubbi kont" in counter_form and "Ouverture de compte" not in counter_form


@pytest.mark.parametrize("lang,name", [("wo", "Ubbi kont"), ("en", "Accounts")])
def test_a_customer_reads_the_service_in_their_language_else_in_french(
    client, db, world, lang, name
):
    _users, ids = world
    url = f"/branches/{ids['branch']}"
    headers = {"Accept-Language": lang}
    assert "Ouverture de compte" in client.get(url, headers=headers).text
    service = db.session.get(Service, ids["service"])
    service.name_wo, service.name_en = "Ubbi kont", "Accounts"
    db.session.commit()
    page = client.get(url, headers=headers).text
    assert name in page and "Ouverture de compte" not in page
