"""CSRF, rate limits, headers and cookies: the defaults every page gets."""

import re

import pytest

from smartqueue import create_app


@pytest.fixture
def csrf_app(app_config):
    """An app with CSRF on, as in production."""
    return create_app(dict(app_config, WTF_CSRF_ENABLED=True))


def _token(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_post_without_csrf_token_is_refused_with_a_clear_400(csrf_app, make_user):
    make_user(email="awa@example.sn")
    client = csrf_app.test_client()
    response = client.post(
        "/auth/login", data={"email": "awa@example.sn", "password": "correct-horse-42"}
    )
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)


def test_form_token_and_htmx_header_token_are_accepted(csrf_app, make_user):
    make_user(email="awa@example.sn")
    client = csrf_app.test_client()
    page = client.get("/auth/login").get_data(as_text=True)
    token = _token(page)
    header_token = re.search(
        r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page
    ).group(1)
    response = client.post(
        "/auth/login",
        data={
            "email": "awa@example.sn",
            "password": "correct-horse-42",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    # an htmx request carries the token from <body hx-headers> instead of a form field
    response = client.post(
        "/language",
        data={"locale": "wo"},
        headers={"X-CSRFToken": header_token, "HX-Request": "true"},
    )
    assert response.status_code == 302


def test_login_attempts_are_rate_limited(app_config, make_user):
    limited = create_app(dict(app_config, RATELIMIT_ENABLED=True))
    client = limited.test_client()
    codes = [
        client.post(
            "/auth/login", data={"email": "x@example.sn", "password": "wrong-pass"}
        ).status_code
        for _ in range(11)
    ]
    assert codes[:10] == [422] * 10
    assert codes[10] == 429


def test_code_attempts_are_rate_limited(app_config, client, mailbox):
    limited = create_app(dict(app_config, RATELIMIT_ENABLED=True))
    c = limited.test_client()
    c.post(
        "/auth/register",
        data={
            "email": "awa@example.sn",
            "password": "s3cret-pass",
            "confirm": "s3cret-pass",
            "locale": "fr",
        },
    )
    codes = [
        c.post("/auth/verify", data={"code": "123456"}).status_code for _ in range(21)
    ]
    assert codes[-1] == 429


def test_security_headers_and_cookie_flags(client, make_user):
    user = make_user()
    response = client.get("/")
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    login = client.post(
        "/auth/login", data={"email": user.email, "password": "correct-horse-42"}
    )
    cookie = login.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_in_production(app_config, make_user):
    production = create_app(dict(app_config, SESSION_COOKIE_SECURE=True))
    user = make_user()
    login = production.test_client().post(
        "/auth/login", data={"email": user.email, "password": "correct-horse-42"}
    )
    assert "Secure" in login.headers["Set-Cookie"]


def test_pages_load_nothing_from_outside(client):
    for path in ("/", "/auth/login", "/auth/register"):
        html = client.get(path).get_data(as_text=True)
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_a_server_error_is_a_friendly_500_page(app, client):
    @app.get("/boom-for-test")
    def boom():
        raise RuntimeError("boom")

    response = client.get("/boom-for-test")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "Une erreur est survenue" in html and "RuntimeError" not in html
