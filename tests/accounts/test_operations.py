"""Registration, email codes, passwords, profiles, deletion: on SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartqueue.accounts import operations as ops
from smartqueue.accounts.errors import (
    CodeExpired,
    CodeInvalid,
    CodeLocked,
    InvalidPhone,
    ResendTooSoon,
)
from smartqueue.models import EmailCode, User


def _register(email="Awa@Example.SN", **kw):
    return ops.register_user(
        email,
        "s3cret-pass",
        full_name="Awa Ndiaye",
        phone=kw.pop("phone", "77 123 45 67"),
        **kw,
    )


def _shift_code_time(db, user, delta):
    """Age the user's codes by delta (time travel without sleeping)."""
    for code in db.session.scalars(
        select(EmailCode).where(EmailCode.user_id == user.id)
    ):
        code.created_at -= delta
        code.expires_at -= delta
    db.session.commit()


def test_register_user_stores_normalised_email_and_phone_and_no_role(
    db, backend, mailbox
):
    user = _register(locale="wo")
    assert user.email == "awa@example.sn"
    assert user.phone == "+221771234567"
    assert user.locale == "wo"
    assert not user.is_verified
    assert user.memberships == [] and not user.is_platform_admin
    assert user.password_hash.startswith("$argon2id$")


def test_register_user_emails_a_code_that_is_stored_hashed(db, backend, mailbox):
    user = _register()
    code = mailbox.last_code("awa@example.sn")
    stored = db.session.scalar(select(EmailCode).where(EmailCode.user_id == user.id))
    assert stored.code_hash != code and code not in stored.code_hash
    assert stored.expires_at - stored.created_at == timedelta(minutes=15)


def test_register_user_with_a_taken_email_makes_nothing_and_tells_the_owner(
    db, backend, mailbox
):
    owner = _register()
    password_hash = owner.password_hash
    mailbox.clear()
    assert _register(email="AWA@example.sn", phone=None) is None
    db.session.expire_all()
    assert db.session.scalars(select(User)).all() == [owner]
    assert owner.password_hash == password_hash and owner.phone == "+221771234567"
    [warning] = mailbox.wait_for("awa@example.sn")
    assert "/auth/forgot" in warning.get_body(preferencelist=("plain",)).get_content()


def test_register_user_refuses_a_bad_phone_and_writes_nothing(db, backend, mailbox):
    with pytest.raises(InvalidPhone):
        _register(phone="12 34")
    assert db.session.scalars(select(User)).all() == []
    assert mailbox.messages() == []


def test_verify_email_with_the_right_code(db, backend, mailbox):
    user = _register()
    ops.verify_email(user, mailbox.last_code(user.email))
    assert user.is_verified


def test_verify_email_code_expires_after_15_minutes(db, backend, mailbox):
    user = _register()
    code = mailbox.last_code(user.email)
    _shift_code_time(db, user, timedelta(minutes=15, seconds=1))
    with pytest.raises(CodeExpired):
        ops.verify_email(user, code)
    assert not user.is_verified


def test_verify_email_locks_after_5_wrong_tries(db, backend, mailbox):
    user = _register()
    code = mailbox.last_code(user.email)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(4):
        with pytest.raises(CodeInvalid):
            ops.verify_email(user, wrong)
    with pytest.raises(CodeLocked):
        ops.verify_email(user, wrong)
    with pytest.raises(CodeLocked):  # even the right code is refused now
        ops.verify_email(user, code)
    assert not user.is_verified


def test_resend_waits_60_seconds_then_replaces_the_code(db, backend, mailbox):
    user = _register()
    first = mailbox.last_code(user.email)
    with pytest.raises(ResendTooSoon) as refused:
        ops.resend_verification_code(user)
    assert 0 < refused.value.seconds_left <= 60
    _shift_code_time(db, user, timedelta(seconds=61))
    ops.resend_verification_code(user)
    mailbox.wait_for(user.email, count=2)
    second = mailbox.last_code(user.email)
    if first != second:
        with pytest.raises(CodeInvalid):
            ops.verify_email(user, first)  # the old code was superseded
    ops.verify_email(user, second)
    assert user.is_verified


def test_authenticate(db, backend, mailbox):
    user = _register()
    assert ops.authenticate("AWA@example.sn", "s3cret-pass") == user
    assert ops.authenticate("awa@example.sn", "wrong-pass") is None
    assert ops.authenticate("nobody@example.sn", "s3cret-pass") is None


def test_password_reset_by_emailed_code(db, backend, mailbox):
    user = _register()
    mailbox.clear()
    ops.request_password_reset("awa@example.sn")
    code = mailbox.last_code("awa@example.sn")
    with pytest.raises(CodeInvalid):
        ops.reset_password(
            "awa@example.sn", "999999" if code != "999999" else "888888", "new-pass-123"
        )
    ops.reset_password("awa@example.sn", code, "new-pass-123")
    assert ops.authenticate("awa@example.sn", "new-pass-123") == user
    assert ops.authenticate("awa@example.sn", "s3cret-pass") is None
    with pytest.raises(CodeInvalid):  # a code works once
        ops.reset_password("awa@example.sn", code, "another-pass-1")


def test_password_reset_for_unknown_email_says_nothing_and_sends_nothing(
    db, backend, mailbox
):
    ops.request_password_reset("ghost@example.sn")
    assert mailbox.messages() == []


def test_password_reset_refusals_all_read_the_same(db, backend, mailbox):
    _register()
    ops.request_password_reset("awa@example.sn")
    code = mailbox.last_code("awa@example.sn")
    wrong = "999999" if code != "999999" else "888888"
    messages = set()
    for email, attempt in [("ghost@example.sn", wrong)] + [
        ("awa@example.sn", wrong)
    ] * 6:
        with pytest.raises(CodeInvalid) as refused:
            ops.reset_password(email, attempt, "new-pass-123")
        messages.add(str(refused.value.message))
    assert messages == {str(ops.RESET_REFUSED)}


def test_password_change_and_reset_end_sessions(db, backend, mailbox):
    from smartqueue.accounts import sessions
    from smartqueue.models import UserSession

    user = _register()
    sessions.start_session(user, None, None)  # elsewhere
    here = sessions.start_session(user, "Firefox/121.0 (Windows NT 10.0)", "41.82.13.7")
    assert here.device == "Firefox, Windows" and here.address == "41.82.13.0"
    ops.change_password(user, "s3cret-pass", "new-pass-123")  # signed in on `here`
    assert [s.id for s in sessions.list_active_sessions(user)] == [here.id]

    mailbox.clear()
    ops.request_password_reset("awa@example.sn")
    ops.reset_password("awa@example.sn", mailbox.last_code(user.email), "pass-456789")
    assert sessions.list_active_sessions(user) == []
    assert db.session.get(UserSession, here.id).revoked_at is not None


def test_update_profile(db, backend, mailbox):
    user = _register()
    ops.update_profile(user, "Awa N.", "00221 78 000 11 22", "en")
    assert (user.full_name, user.phone, user.locale) == (
        "Awa N.",
        "+221780001122",
        "en",
    )
    with pytest.raises(InvalidPhone):
        ops.update_profile(user, "Awa", "123", "fr")
    db.session.rollback()
    assert db.session.get(User, user.id).phone == "+221780001122"


def test_delete_account_erases_personal_data(
    db, backend, mailbox, make_branch, make_user
):
    branch = make_branch()
    user = make_user(
        email="moussa@example.sn",
        role="agent",
        branch=branch,
        full_name="Moussa",
        phone="+221771112233",
    )
    ops.delete_account(user)
    db.session.expire_all()
    gone = db.session.get(User, user.id)
    assert gone.email != "moussa@example.sn" and "moussa" not in gone.email
    assert gone.full_name is None and gone.phone is None
    assert gone.memberships == [] and not gone.is_active
    assert ops.authenticate("moussa@example.sn", "correct-horse-42") is None
    assert (
        db.session.scalars(select(EmailCode).where(EmailCode.user_id == user.id)).all()
        == []
    )


def test_production_passwords_use_argon2id_rfc9106_parameters(app, backend):
    from smartqueue.accounts.secrets import check_password, hash_password

    app.config["PASSWORD_HASH_PROFILE"] = (
        "RFC_9106_LOW_MEMORY"  # the default outside tests
    )
    strong = hash_password("s3cret-pass")
    assert strong.startswith("$argon2id$v=19$m=65536,t=3,p=4$")
    assert check_password(strong, "s3cret-pass") and not check_password(
        strong, "s3cret-pasS"
    )
