"""Static files under content-hashed names with a year's cache; compressed answers."""

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest
from flask import url_for

from smartqueue.models import Channel
from smartqueue.queueing import operations as ops
from smartqueue.web.assets import IMMUTABLE, SHORT, build_manifest
from tests.queueing import conftest as queueing

desk = queueing.desk

HTMX = "vendor/htmx.min.js"


def _digest(app, filename: str) -> str:
    body = (Path(app.static_folder) / filename).read_bytes()
    return hashlib.sha256(body).hexdigest()[:10]


def test_static_url_names_the_files_content(app):
    with app.test_request_context():
        assert url_for("static", filename=HTMX) == (
            f"/static/vendor/htmx.min.{_digest(app, HTMX)}.js"
        )
        assert url_for("static", filename="css/app.css").startswith("/static/css/app.")


def test_a_changed_file_gets_a_new_url(tmp_path):
    folder = tmp_path / "static"
    (folder / "css").mkdir(parents=True)
    (folder / "css" / "app.css").write_text("body { color: black }")
    before = build_manifest(folder)["css/app.css"].digest
    (folder / "css" / "app.css").write_text("body { color: navy }")
    after = build_manifest(folder)["css/app.css"].digest
    assert before != after and re.fullmatch(r"[0-9a-f]{10}", after)


def test_hashed_file_is_cached_for_a_year_and_compressed(app, client):
    with app.test_request_context():
        path = url_for("static", filename=HTMX)
    raw = (Path(app.static_folder) / HTMX).read_bytes()

    zipped = client.get(path, headers={"Accept-Encoding": "gzip, deflate"})
    assert zipped.status_code == 200
    assert zipped.headers["Cache-Control"] == IMMUTABLE
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in zipped.headers["Vary"]
    assert "Cookie" not in zipped.headers["Vary"] and "Set-Cookie" not in zipped.headers
    assert gzip.decompress(zipped.data) == raw
    assert len(zipped.data) < len(raw) / 2

    br = client.get(path, headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br"
    assert brotli.decompress(br.data) == raw

    plain = client.get(path, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and plain.data == raw


def test_hashed_file_answers_304_to_its_etag(app, client):
    with app.test_request_context():
        path = url_for("static", filename="css/ticket.css")
    first = client.get(path, headers={"Accept-Encoding": "gzip"})
    again = client.get(
        path,
        headers={"Accept-Encoding": "gzip", "If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304 and again.data == b""


@pytest.mark.parametrize(
    "path",
    ["/static/vendor/htmx.min.js", "/static/vendor/htmx.min.0123456789.js"],
    ids=["unhashed", "outdated-hash"],
)
def test_unhashed_or_outdated_names_still_work_with_a_short_cache(app, client, path):
    """A page cached before a deploy still gets its files, but not for a year."""
    response = client.get(path)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == SHORT
    assert response.data == (Path(app.static_folder) / HTMX).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/static/vendor/nothing.js",
        "/static/../config.py",
        "/static/%2e%2e/config.py",
        "/static/vendor/nothing.0123456789.js",
    ],
)
def test_unknown_static_paths_are_404(client, path):
    assert client.get(path).status_code == 404


def test_tiny_files_are_not_compressed(client):
    response = client.get("/static/favicon.svg", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert "Content-Encoding" not in response.headers
    assert response.data.startswith(b"<svg")


def test_scripts_and_stylesheets_skip_the_document_headers(client):
    response = client.get("/static/css/app.css")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Content-Security-Policy" not in response.headers
    # an SVG can be opened as a document: it keeps them
    svg = client.get("/static/favicon.svg")
    assert "default-src 'self'" in svg.headers["Content-Security-Policy"]


def test_ticket_page_is_compressed_gzip_6_and_names_hashed_files(app, client, desk):
    ticket = ops.issue_ticket(desk.a, channel=Channel.KIOSK)
    response = client.get(f"/t/{ticket.token}", headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response.headers["Vary"]
    html = gzip.decompress(response.data).decode()
    assert ticket.code in html
    assert int(response.headers["Content-Length"]) == len(response.data)
    assets = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    assert assets and all(
        re.search(r"\.[0-9a-f]{10}\.(css|js|svg)$", path) for path in assets
    ), assets


def test_without_accept_encoding_the_page_is_sent_as_is(client, desk):
    ticket = ops.issue_ticket(desk.a, channel=Channel.KIOSK)
    response = client.get(f"/t/{ticket.token}", headers={"Accept-Encoding": ""})
    assert "Content-Encoding" not in response.headers
    assert ticket.code in response.get_data(as_text=True)


def test_tiny_answers_are_not_compressed(client):
    response = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(response.data) < 500
    assert "Content-Encoding" not in response.headers
