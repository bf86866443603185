"""Writes of the accounts domain: each function is one unit of work, side effects after commit."""

from datetime import datetime, timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_ngettext as ngettext
from sqlalchemy import select

from ..extensions import db
from ..jobs import enqueue
from ..jobs import mail as mail_jobs
from ..models import CodePurpose, EmailCode, User, utcnow
from .errors import (
    AccountError,
    CodeExpired,
    CodeInvalid,
    CodeLocked,
    ResendTooSoon,
)
from .phones import normalize_phone
from .secrets import (
    check_password,
    hash_password,
    keyed_hash,
    new_code,
    same_hash,
    unusable_password,
)
from .sessions import revoke_sessions

CODE_LIFETIME = timedelta(minutes=15)
CODE_MAX_ATTEMPTS = 5
RESEND_AFTER = timedelta(seconds=60)
LANGUAGES = ("fr", "wo", "en")


def normalize_email(email: str) -> str:
    return email.strip().lower()


def _issue_code(user: User, purpose: CodePurpose) -> str:
    """Replace the user's pending codes of this purpose by a new one (caller commits)."""
    now = utcnow()
    for old in db.session.scalars(
        select(EmailCode).where(
            EmailCode.user_id == user.id,
            EmailCode.purpose == purpose,
            EmailCode.used_at.is_(None),
        )
    ):
        old.used_at = now  # superseded
    code = new_code()
    db.session.add(
        EmailCode(
            user_id=user.id,
            purpose=purpose,
            code_hash=keyed_hash(code),
            created_at=now,
            expires_at=now + CODE_LIFETIME,
        )
    )
    return code


def register_user(
    email: str,
    password: str,
    full_name: str | None = None,
    phone: str | None = None,
    locale: str = "fr",
) -> User | None:
    """Create a customer account (never a staff role) and email it a verification code.

    An address already taken gets None and the same outward answer (no account probing):
    its owner is emailed that someone tried, with the way to reset the password.
    """
    email = normalize_email(email)
    phone = normalize_phone(phone)
    owner_id = db.session.scalar(select(User.id).where(User.email == email))
    if owner_id is not None:
        hash_password(password)  # about the cost of a real sign-up: no timing hint
        link = url_for("auth.forgot", _external=True)
        enqueue(mail_jobs.send_signup_attempt, owner_id, link)
        db.session.commit()
        return None
    user = User(
        email=email,
        password_hash=hash_password(password),
        full_name=(full_name or "").strip() or None,
        phone=phone,
        locale=locale if locale in LANGUAGES else "fr",
    )
    db.session.add(user)
    db.session.flush()
    code = _issue_code(user, CodePurpose.VERIFY_EMAIL)
    enqueue(mail_jobs.send_verification_code, user.id, code)
    db.session.commit()
    return user


def _latest_code(user: User, purpose: CodePurpose) -> EmailCode | None:
    return db.session.scalar(
        select(EmailCode)
        .where(EmailCode.user_id == user.id, EmailCode.purpose == purpose)
        .order_by(EmailCode.created_at.desc(), EmailCode.id.desc())
        .limit(1)
    )


def _consume_code(user: User, purpose: CodePurpose, code: str) -> None:
    """Check a code; count a wrong try (committed, so it survives the refusal); mark it used."""
    record = _latest_code(user, purpose)
    now = utcnow()
    if record is None or record.used_at is not None:
        raise CodeInvalid(_l("Ce code n'est plus valable. Demandez-en un nouveau."))
    if record.attempts >= CODE_MAX_ATTEMPTS:
        raise CodeLocked(_l("Trop d'essais. Demandez un nouveau code."))
    if record.expires_at <= now:
        raise CodeExpired(_l("Ce code a expiré. Demandez-en un nouveau."))
    if not same_hash(record.code_hash, keyed_hash(code.strip())):
        record.attempts += 1
        db.session.commit()
        if record.attempts >= CODE_MAX_ATTEMPTS:
            raise CodeLocked(_l("Trop d'essais. Demandez un nouveau code."))
        raise CodeInvalid(_l("Code incorrect."))
    record.used_at = now


def refuse_phantom_code(sent_at: datetime, attempts: int) -> None:
    """The refusal a code check gives a sign-up that made no account (address taken):
    the same words in the same order as a real code's, so the page tells nothing."""
    if attempts >= CODE_MAX_ATTEMPTS:
        raise CodeLocked(_l("Trop d'essais. Demandez un nouveau code."))
    if sent_at + CODE_LIFETIME <= utcnow():
        raise CodeExpired(_l("Ce code a expiré. Demandez-en un nouveau."))
    if attempts + 1 >= CODE_MAX_ATTEMPTS:
        raise CodeLocked(_l("Trop d'essais. Demandez un nouveau code."))
    raise CodeInvalid(_l("Code incorrect."))


def verify_email(user: User, code: str) -> None:
    """Mark the user's email verified if the code is right."""
    if user.is_verified:
        return
    _consume_code(user, CodePurpose.VERIFY_EMAIL, code)
    user.email_verified_at = utcnow()
    db.session.commit()


def _check_resend(user: User, purpose: CodePurpose) -> None:
    latest = _latest_code(user, purpose)
    if latest is not None:
        check_resend_since(latest.created_at)


def check_resend_since(sent_at: datetime) -> None:
    """Refuse a new code within a minute of the last one."""
    if sent_at is not None:
        wait = sent_at + RESEND_AFTER - utcnow()
        if wait.total_seconds() > 0:
            seconds = int(wait.total_seconds()) + 1
            message = ngettext(
                "Vous pourrez demander un nouveau code dans %(num)s seconde.",
                "Vous pourrez demander un nouveau code dans %(num)s secondes.",
                seconds,
            )
            raise ResendTooSoon(message, seconds)


def resend_verification_code(user: User) -> None:
    """Send a fresh verification code, at most once a minute."""
    if user.is_verified:
        return
    _check_resend(user, CodePurpose.VERIFY_EMAIL)
    code = _issue_code(user, CodePurpose.VERIFY_EMAIL)
    enqueue(mail_jobs.send_verification_code, user.id, code)
    db.session.commit()


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, or None."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        hash_password(
            password
        )  # same cost either way: no timing hint that the email exists
        return None
    return user if check_password(user.password_hash, password) else None


def request_password_reset(email: str) -> None:
    """Email a reset code if the account exists; say nothing either way (no account probing)."""
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        return
    try:
        _check_resend(user, CodePurpose.RESET_PASSWORD)
    except ResendTooSoon:
        return
    code = _issue_code(user, CodePurpose.RESET_PASSWORD)
    enqueue(mail_jobs.send_password_reset_code, user.id, code)
    db.session.commit()


RESET_REFUSED = _l("Code incorrect ou expiré. Demandez un nouveau code si besoin.")


def reset_password(email: str, code: str, new_password: str) -> User:
    """Set a new password with an emailed code; proves the email too; ends every sign-in.

    Every refusal reads the same (unknown address, no code, wrong, expired, used up), so
    the form tells a stranger nothing; wrong tries still count against the code.
    """
    user = db.session.scalar(select(User).where(User.email == normalize_email(email)))
    if user is None or not user.is_active:
        raise CodeInvalid(RESET_REFUSED)
    try:
        _consume_code(user, CodePurpose.RESET_PASSWORD, code)
    except CodeInvalid:
        raise CodeInvalid(RESET_REFUSED) from None
    user.password_hash = hash_password(new_password)
    if user.email_verified_at is None:
        user.email_verified_at = utcnow()
    revoke_sessions(user)  # whoever knew the old password is signed out everywhere
    db.session.commit()
    return user


def update_profile(
    user: User, full_name: str | None, phone: str | None, locale: str
) -> None:
    """Change a user's name, phone and language."""
    user.phone = normalize_phone(phone)
    user.full_name = (full_name or "").strip() or None
    if locale in LANGUAGES:
        user.locale = locale
    db.session.commit()


def change_password(user: User, current: str, new: str) -> None:
    """Replace a password, knowing the current one."""
    if not check_password(user.password_hash, current):
        raise AccountError(
            _l("Mot de passe actuel incorrect."), field="current_password"
        )
    user.password_hash = hash_password(new)
    current = user.current_session.id if user.current_session else None
    revoke_sessions(user, keep=current)  # the other devices may be the intruder's
    db.session.commit()


def delete_account(user: User) -> None:
    """Erase a user's personal data; what they did stays, anonymous, for statistics."""
    user.email = f"deleted-{user.id}@invalid.smartqueue"
    user.full_name = None
    user.phone = None
    user.password_hash = unusable_password()
    user.is_platform_admin = False
    user.deleted_at = utcnow()
    user.memberships.clear()
    db.session.execute(db.delete(EmailCode).where(EmailCode.user_id == user.id))
    revoke_sessions(user)
    db.session.commit()
