"""Register, verify by emailed code, sign in and out, forgotten password, staff invitations."""

from datetime import datetime, timezone

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from ...accounts import operations as accounts
from ...accounts import sessions
from ...accounts.errors import AccountError
from ...errors import DomainError
from ...extensions import db
from ...models import User, utcnow
from ...orgs import operations as orgs
from ...orgs import queries as org_queries
from ...orgs.policy import can_use_manage
from ..forms import EmptyForm, apply_domain_error
from ..limits import client_address
from ..safety import acting_user, safe_next
from . import limits
from .forms import (
    AcceptInvitationForm,
    ForgotForm,
    LoginForm,
    RegisterForm,
    ResetForm,
    VerifyForm,
)
from .limits import PENDING, PHANTOM

bp = Blueprint("auth", __name__, url_prefix="/auth")


def _sign_in(user: User, remember: bool = False) -> None:
    """A server-side session for this device (revocable), then Flask-Login's cookie."""
    sessions.start_session(user, request.user_agent.string, client_address())
    login_user(user, remember=remember)


@bp.route("/register", methods=["GET", "POST"])
@limits.register
def register():
    form = RegisterForm()
    if request.method == "GET" and "locale" in session:
        form.locale.data = session["locale"]
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                form.email.data,
                form.password.data,
                form.full_name.data,
                form.phone.data,
                form.locale.data,
            )
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            session.pop(PENDING, None)
            session.pop(PHANTOM, None)
            if user is None:  # address taken: the same page follows, its owner is told
                session[PHANTOM] = {
                    "email": accounts.normalize_email(form.email.data),
                    "sent_at": utcnow().timestamp(),
                    "attempts": 0,
                }
            else:
                session[PENDING] = user.id
            # the verify page already in the chosen language
            session["locale"] = (
                form.locale.data if form.locale.data in accounts.LANGUAGES else "fr"
            )
            flash(_("Un code à 6 chiffres vous a été envoyé par e-mail."), "info")
            return redirect(url_for("auth.verify"))
    return render_template("auth/register.html", form=form), 422 if form.errors else 200


def _pending_user() -> User | None:
    user_id = session.get(PENDING)
    user = db.session.get(User, user_id) if user_id else None
    return user if user is not None and user.is_active else None


def _phantom() -> dict | None:
    """A sign-up that made no account (address taken), acted out like a real one."""
    phantom = session.get(PHANTOM)
    return dict(phantom) if isinstance(phantom, dict) else None


def _sent_at(phantom: dict) -> datetime:
    return datetime.fromtimestamp(phantom["sent_at"], timezone.utc)


@bp.route("/verify", methods=["GET", "POST"])
@limits.verify
def verify():
    user, phantom = _pending_user(), _phantom()
    if user is None and phantom is None:
        return redirect(url_for("auth.login"))
    form = VerifyForm()
    if form.validate_on_submit():
        try:
            if user is None:
                session[PHANTOM] = dict(phantom, attempts=phantom["attempts"] + 1)
                accounts.refuse_phantom_code(_sent_at(phantom), phantom["attempts"])
            accounts.verify_email(user, form.code.data)
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            session.pop(PENDING, None)
            _sign_in(user)
            flash(_("Adresse e-mail vérifiée. Bienvenue !"), "success")
            return redirect(url_for("public.home"))
    email = user.email if user is not None else phantom["email"]
    return render_template(
        "auth/verify.html", form=form, email=email, resend_form=EmptyForm()
    ), 422 if form.errors else 200


@bp.post("/verify/resend")
@limits.resend
def resend_code():
    user, phantom = _pending_user(), _phantom()
    if user is None and phantom is None:
        return redirect(url_for("auth.login"))
    if EmptyForm().validate_on_submit():
        try:
            if user is None:
                accounts.check_resend_since(_sent_at(phantom))
                session[PHANTOM] = dict(
                    phantom, sent_at=utcnow().timestamp(), attempts=0
                )
            else:
                accounts.resend_verification_code(user)
            flash(_("Un nouveau code vous a été envoyé."), "info")
        except AccountError as error:
            flash(str(error.message), "error")
    return redirect(url_for("auth.verify"))


@bp.route("/login", methods=["GET", "POST"])
@limits.login
def login():
    if current_user.is_authenticated:
        return redirect(url_for("public.home"))
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(form.email.data, form.password.data)
        if user is None:
            form.form_errors.append(_("Adresse e-mail ou mot de passe incorrect."))
        elif not user.is_verified:
            session.pop(PHANTOM, None)
            session[PENDING] = user.id
            flash(_("Vérifiez d'abord votre adresse e-mail avec le code reçu."), "info")
            return redirect(url_for("auth.verify"))
        else:
            _sign_in(user, remember=form.remember.data)
            session.pop("locale", None)
            return redirect(safe_next(request.args.get("next")) or _landing(user))
    return render_template(
        "auth/login.html", form=form
    ), 422 if form.errors or form.form_errors else 200


def _landing(user: User) -> str:
    if can_use_manage(user):
        return url_for("manage.dashboard")
    if user.is_staff:  # agents serve at a counter
        return url_for("agent.counters")
    return url_for("public.home")


@bp.post("/logout")
def logout():
    if EmptyForm().validate_on_submit():
        if current_user.is_authenticated:  # this device's sign-in ends server-side too
            user = acting_user()
            sessions.end_session(user, user.current_session.id)
        logout_user()
        flash(_("Vous êtes déconnecté."), "info")
    return redirect(url_for("public.home"))


@bp.route("/forgot", methods=["GET", "POST"])
@limits.forgot
def forgot():
    form = ForgotForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data)
        flash(
            _("Si un compte existe pour cette adresse, un code vient d'y être envoyé."),
            "info",
        )
        return redirect(url_for("auth.reset", email=form.email.data))
    return render_template("auth/forgot.html", form=form), 422 if form.errors else 200


@bp.route("/reset", methods=["GET", "POST"])
@limits.reset
def reset():
    form = ResetForm()
    if request.method == "GET" and request.args.get("email"):
        form.email.data = request.args["email"][:254]
    if form.validate_on_submit():
        try:
            user = accounts.reset_password(
                form.email.data, form.code.data, form.password.data
            )
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            logout_user()  # whoever was signed in here, the reset ended it
            _sign_in(user)  # ... and this is now the account's only sign-in
            flash(_("Votre mot de passe a été changé."), "success")
            return redirect(_landing(user))
    return render_template("auth/reset.html", form=form), 422 if form.errors else 200


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@limits.invitation
def accept_invitation(token: str):
    invitation = org_queries.find_invitation(token)
    if invitation is None:
        abort(404)
    has_account = db.session.scalar(
        db.select(User.id).where(User.email == invitation.email)
    )
    form = EmptyForm() if has_account else AcceptInvitationForm()
    if form.validate_on_submit():
        try:
            if has_account:
                if not current_user.is_authenticated:
                    return redirect(url_for("auth.login", next=request.path))
                # The real object: the proxy stored by an operation or by login_user
                # resolves to itself and the process dies (issue 16, item 1).
                user = orgs.accept_invitation(invitation, user=acting_user())
            else:
                user = orgs.accept_invitation(
                    invitation,
                    full_name=form.full_name.data,
                    password=form.password.data,
                )
                _sign_in(user)  # a signed-in member stays on their own sign-in
        except DomainError as error:
            apply_domain_error(form, error)
        else:
            flash(
                _("Bienvenue dans %(org)s.", org=invitation.organization.name),
                "success",
            )
            return redirect(_landing(user))
    return render_template(
        "auth/invitation.html",
        form=form,
        invitation=invitation,
        has_account=bool(has_account),
    ), 422 if form.errors else 200
