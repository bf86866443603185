"""Sign-up, verification, sign-in, reset and the account pages through HTTP."""

import pytest
from sqlalchemy import select

from smartqueue.models import User
from tests.conftest import PASSWORD

REGISTER = {
    "email": "awa@example.sn",
    "password": "s3cret-pass",
    "confirm": "s3cret-pass",
    "full_name": "Awa Ndiaye",
    "phone": "77 123 45 67",
    "locale": "fr",
}


def test_register_verify_and_land_signed_in(client, db, mailbox):
    response = client.post("/auth/register", data=REGISTER)
    assert response.status_code == 302 and response.location.endswith("/auth/verify")
    assert client.get("/account/").status_code == 302  # not signed in before verifying
    code = mailbox.last_code("awa@example.sn")
    response = client.post("/auth/verify", data={"code": code})
    assert response.status_code == 302
    page = client.get("/account/")
    assert page.status_code == 200 and "awa@example.sn" in page.get_data(as_text=True)


def test_register_shows_errors_next_to_fields_and_keeps_nothing(client, db, mailbox):
    bad = dict(REGISTER, email="not-an-email", phone="12", confirm="different")
    response = client.post("/auth/register", data=bad)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and 'id="confirm-error"' in html
    assert db.session.scalars(select(User)).all() == []
    response = client.post("/auth/register", data=dict(REGISTER, phone="12 34"))
    assert response.status_code == 422 and 'id="phone-error"' in response.get_data(
        as_text=True
    )
    assert db.session.scalars(select(User)).all() == [] and mailbox.messages() == []


def test_registering_never_grants_a_role(client, db, mailbox):
    client.post(
        "/auth/register", data=dict(REGISTER, role="org_admin", is_platform_admin="1")
    )
    user = db.session.scalar(select(User))
    assert user.memberships == [] and not user.is_platform_admin


def test_verify_wrong_code_is_a_clear_422(client, db, mailbox):
    client.post("/auth/register", data=REGISTER)
    code = mailbox.last_code("awa@example.sn")
    response = client.post(
        "/auth/verify", data={"code": "000000" if code != "000000" else "111111"}
    )
    assert response.status_code == 422
    assert "Code incorrect" in response.get_data(as_text=True)
    response = client.post("/auth/verify", data={"code": "12ab"})
    assert response.status_code == 422


def test_resend_too_soon_is_refused_with_a_message(client, db, mailbox):
    client.post("/auth/register", data=REGISTER)
    response = client.post("/auth/verify/resend", follow_redirects=True)
    assert "secondes" in response.get_data(as_text=True)
    assert len(mailbox.messages("awa@example.sn")) == 1


def test_login_unverified_goes_to_verification(client, make_user):
    user = make_user(verified=False)
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "correct-horse-42"}
    )
    assert response.status_code == 302 and response.location.endswith("/auth/verify")


def test_login_wrong_password_and_logout(client, auth, make_user):
    user = make_user()
    response = client.post(
        "/auth/login", data={"email": user.email, "password": "nope-nope"}
    )
    assert response.status_code == 422
    assert "incorrect" in response.get_data(as_text=True)
    auth.login(user)
    assert client.get("/account/").status_code == 200
    auth.logout()
    assert client.get("/account/").status_code == 302


def test_login_next_never_leaves_the_site(client, make_user):
    user = make_user()
    response = client.post(
        "/auth/login?next=https://evil.example/x",
        data={"email": user.email, "password": "correct-horse-42"},
    )
    assert response.status_code == 302 and "evil" not in response.location


def test_forgot_and_reset_password(client, make_user, mailbox):
    user = make_user(email="awa@example.sn")
    response = client.post("/auth/forgot", data={"email": "awa@example.sn"})
    assert response.status_code == 302
    code = mailbox.last_code("awa@example.sn")
    response = client.post(
        "/auth/reset",
        data={
            "email": "awa@example.sn",
            "code": code,
            "password": "brand-new-pass",
            "confirm": "brand-new-pass",
        },
    )
    assert response.status_code == 302
    client.post("/auth/logout")
    ok = client.post(
        "/auth/login", data={"email": user.email, "password": "brand-new-pass"}
    )
    assert ok.status_code == 302


def test_profile_update_and_bad_phone(client, auth, make_user, db):
    user = make_user()
    auth.login(user)
    response = client.post(
        "/account/", data={"full_name": "Awa", "phone": "78 000 11 22", "locale": "en"}
    )
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.phone == "+221780001122" and user.locale == "en"
    response = client.post(
        "/account/", data={"full_name": "Awa", "phone": "0000", "locale": "fr"}
    )
    assert response.status_code == 422
    db.session.refresh(user)
    assert user.phone == "+221780001122"


def test_delete_account_needs_the_email_typed(client, auth, make_user, db):
    user = make_user(email="awa@example.sn")
    auth.login(user)
    assert (
        client.post(
            "/account/delete", data={"confirm_email": "x@example.sn"}
        ).status_code
        == 422
    )
    response = client.post("/account/delete", data={"confirm_email": "awa@example.sn"})
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(User, user.id).deleted_at is not None
    assert client.get("/account/").status_code == 302
    again = client.post(
        "/auth/login", data={"email": "awa@example.sn", "password": "correct-horse-42"}
    )
    assert again.status_code == 422


@pytest.mark.parametrize(
    "path", ["/auth/invitation/not-a-token", "/branches/999999", "/nowhere"]
)
def test_unknown_things_are_404_pages(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert "Page introuvable" in response.get_data(as_text=True)


def test_each_role_lands_where_it_works(client, make_branch, make_user):
    branch = make_branch()
    landing = {
        "agent": "/agent/",
        "branch_manager": "/manage/",
        "customer": "/",
    }
    for role, path in landing.items():
        user = make_user(role=None if role == "customer" else role, branch=branch)
        client.post("/auth/logout")
        response = client.post(
            "/auth/login", data={"email": user.email, "password": "correct-horse-42"}
        )
        assert response.location.endswith(path), role


# --- rate limits: narrow per account, wide per address (issue 16, item 8) -------------------


@pytest.fixture
def limited(app, app_config):
    """The app with its rate limits on (tests run without them), counters in memory."""
    from smartqueue import create_app

    return create_app(dict(app_config, RATELIMIT_ENABLED=True))


NAT = {"REMOTE_ADDR": "41.82.13.7"}  # one carrier address shared by many people
ELSEWHERE = {"REMOTE_ADDR": "196.207.1.9"}


def _login(client, email, password, environ=NAT):
    return client.post(
        "/auth/login",
        data={"email": email, "password": password},
        environ_base=environ,
    )


def test_wrong_passwords_lock_that_account_and_not_the_neighbours(limited, make_user):
    victim, neighbour = make_user(), make_user()
    client = limited.test_client()
    codes = [_login(client, victim.email, "wrong-pass").status_code for _ in range(10)]
    assert codes == [422] * 10
    refused = _login(client, victim.email, "wrong-pass")
    assert refused.status_code == 429
    assert "Trop de tentatives" in refused.get_data(as_text=True)
    # the account is what is limited: from anywhere, even with its right password ...
    assert (
        _login(limited.test_client(), victim.email, PASSWORD, ELSEWHERE).status_code
        == 429
    )
    # ... while the next person behind the same address signs in
    assert _login(limited.test_client(), neighbour.email, PASSWORD).status_code == 302


def test_successful_sign_ins_do_not_use_up_the_limits(limited, make_user):
    user = make_user()
    for _ in range(15):
        assert _login(limited.test_client(), user.email, PASSWORD).status_code == 302


def test_one_address_trying_many_accounts_is_stopped(limited):
    client = limited.test_client()
    codes = [
        _login(client, f"guess{n}@example.sn", "wrong-pass").status_code
        for n in range(201)
    ]
    assert codes[:200] == [422] * 200 and codes[200] == 429
    other = _login(limited.test_client(), "guess0@example.sn", "x", ELSEWHERE)
    assert other.status_code == 422


def test_a_shared_address_is_not_capped_at_ten_sign_ups(limited, db, mailbox):
    client = limited.test_client()
    codes = [
        client.post(
            "/auth/register",
            data=dict(REGISTER, email=f"client{n}@example.sn", phone=""),
            environ_base=NAT,
        ).status_code
        for n in range(25)
    ]
    assert codes == [302] * 25


def test_sign_ups_with_one_address_are_limited_to_spare_its_mailbox(
    limited, db, mailbox
):
    client = limited.test_client()
    codes = [
        client.post(
            "/auth/register", data=dict(REGISTER, phone=""), environ_base=NAT
        ).status_code
        for _ in range(4)
    ]
    assert codes == [302, 302, 302, 429]


def test_reset_guesses_are_limited_per_account(limited, make_user, mailbox):
    make_user(email="awa@example.sn")
    client = limited.test_client()

    def guess(environ):
        return client.post(
            "/auth/reset",
            data={
                "email": "awa@example.sn",
                "code": "123456",
                "password": "brand-new-pass",
                "confirm": "brand-new-pass",
            },
            environ_base=environ,
        ).status_code

    assert [guess(NAT) for _ in range(10)] == [422] * 10
    assert guess(ELSEWHERE) == 429
