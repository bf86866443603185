"""French by default, the browser's language otherwise, the person's own choice above both."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
H1 = {
    "fr": "Moins d'attente, plus de temps pour vous",
    "en": "Less waiting, more time for you",
    "wo": "Doo yàgg xaar, dinga am jot ngir sa bopp",
}


def _h1(html: str) -> str:
    return (
        re.search(r"<h1>(.*?)</h1>", html, re.S).group(1).strip().replace("&#39;", "'")
    )


@pytest.mark.parametrize(
    "accept,expected",
    [
        (None, "fr"),
        ("en-US,en;q=0.9", "en"),
        ("wo", "wo"),
        ("fr-SN", "fr"),
        ("de", "fr"),
    ],
)
def test_page_language_follows_the_browser_else_french(client, accept, expected):
    headers = {"Accept-Language": accept} if accept else {}
    html = client.get("/", headers=headers).get_data(as_text=True)
    assert f'<html lang="{expected}">' in html
    assert _h1(html) == H1[expected]


def test_the_persons_preference_beats_the_browser(client, auth, make_user):
    auth.login(make_user(locale="wo"))
    html = client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert _h1(html) == H1["wo"]


def test_anonymous_choice_is_kept_in_the_session(client):
    client.post("/language", data={"locale": "en", "next": "/auth/login"})
    html = client.get("/", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert _h1(html) == H1["en"]


def test_error_pages_speak_the_users_language(client):
    html = client.get("/nowhere", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )
    assert "Page not found" in html


def test_mail_goes_out_in_the_persons_language(client, mailbox):
    client.post(
        "/auth/register",
        data={
            "email": "jane@example.sn",
            "password": "s3cret-pass",
            "confirm": "s3cret-pass",
            "locale": "en",
        },
    )
    message = mailbox.wait_for("jane@example.sn")[0]
    assert message["Subject"].startswith("Your SmartQueue code: ")


def _catalog(lang):
    path = ROOT / "smartqueue/translations" / lang / "LC_MESSAGES/messages.po"
    with open(path, "rb") as f:
        return read_po(f, locale=lang)


def test_catalogs_cover_every_string_in_the_code(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg",
         "-k", "_l", "-k", "lazy_gettext", "--ignore-dirs=.venv tests", "-o", str(pot), "."],
        cwd=ROOT, check=True, capture_output=True,
    )  # fmt: skip
    with open(pot, "rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    for lang in ("wo", "en"):
        catalog = _catalog(lang)
        have = {m.id for m in catalog if m.id and not m.fuzzy and _translated(m)}
        missing = wanted - have
        assert not missing, f"{lang}: untranslated {sorted(map(str, missing))[:10]}"


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings)


@pytest.mark.parametrize("lang", ["wo", "en"])
def test_translations_keep_every_placeholder(lang):
    for message in _catalog(lang):
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = (
            message.string if isinstance(message.string, tuple) else (message.string,)
        )
        wanted = set(re.findall(r"%\(\w+\)[sd]", ids[-1]))
        for string in strings:
            assert set(re.findall(r"%\(\w+\)[sd]", string)) == wanted, (
                lang,
                message.id,
            )
