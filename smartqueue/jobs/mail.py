"""Mail jobs. Mail is only ever sent from here, after the operation that wanted it committed."""

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _

from ..extensions import db
from ..models import Invitation, User
from ..notifications.email import send_email


def deliver(
    to: str, subject: str, template: str, locale: str = "fr", **context
) -> None:
    """Render emails/<template>.txt|.html in the recipient's language and send it."""
    with force_locale(locale):
        body = render_template(f"emails/{template}.txt", **context)
        html = render_template(f"emails/{template}.html", **context)
    send_email(to, subject, body, html, template)


def send_verification_code(user_id: int, code: str) -> None:
    """Email a new account's 6-digit verification code."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active or user.is_verified:
        return
    with force_locale(user.locale):
        subject = _("Votre code SmartQueue : %(code)s", code=code)
    deliver(user.email, subject, "verification_code", user.locale, user=user, code=code)


def send_password_reset_code(user_id: int, code: str) -> None:
    """Email a code to choose a new password."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return
    with force_locale(user.locale):
        subject = _("Réinitialiser votre mot de passe SmartQueue")
    deliver(user.email, subject, "password_reset", user.locale, user=user, code=code)


def send_invitation(invitation_id: int, link: str) -> None:
    """Email a staff invitation link."""
    invitation = db.session.get(Invitation, invitation_id)
    if invitation is None or invitation.accepted_at is not None:
        return
    with force_locale("fr"):
        subject = _(
            "Invitation à rejoindre %(org)s sur SmartQueue",
            org=invitation.organization.name,
        )
    deliver(
        invitation.email, subject, "invitation", "fr", invitation=invitation, link=link
    )


def send_signup_attempt(user_id: int, link: str) -> None:
    """Tell an account's owner that someone tried to sign up again with their address."""
    user = db.session.get(User, user_id)
    if user is None or not user.is_active:
        return
    with force_locale(user.locale):
        subject = _("Tentative d'inscription avec votre adresse SmartQueue")
    deliver(user.email, subject, "signup_attempt", user.locale, user=user, link=link)
