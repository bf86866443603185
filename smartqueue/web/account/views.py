"""My account: profile, password, signed-in devices, deleting the account."""

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ...accounts import operations as accounts
from ...accounts import sessions
from ...accounts.errors import AccountError
from ..forms import EmptyForm, apply_domain_error
from ..safety import acting_user
from .forms import DeleteAccountForm, EndSessionForm, PasswordForm, ProfileForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def _signed_in_only():
    """The one access rule of this blueprint: it is about the signed-in person."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    # Operations get the user itself, never the proxy (a stored proxy resolves to itself).
    g.me = acting_user()


def _page(form=None, password_form=None, delete_form=None):
    return render_template(
        "account/profile.html",
        form=form or ProfileForm(obj=g.me),
        password_form=password_form or PasswordForm(),
        delete_form=delete_form or DeleteAccountForm(),
        sessions=sessions.list_active_sessions(g.me),
        current_session_id=g.me.current_session.id,
        end_form=EndSessionForm(),
        button_form=EmptyForm(),
    )


@bp.route("/", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=g.me)
    if request.method == "GET":
        form.phone.data = g.me.phone
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                g.me, form.full_name.data, form.phone.data, form.locale.data
            )
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Profil enregistré."), "success")
            return redirect(url_for("account.profile"))
    return _page(form=form), 422 if form.errors else 200


@bp.post("/password")
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                g.me, form.current_password.data, form.password.data
            )
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            flash(
                _("Mot de passe changé. Vos autres appareils ont été déconnectés."),
                "success",
            )
            return redirect(url_for("account.profile"))
    return _page(password_form=form), 422


@bp.post("/sessions/end")
def end_session():
    form = EndSessionForm()
    if form.validate_on_submit() and sessions.end_session(g.me, form.session_id.data):
        if form.session_id.data == g.me.current_session.id:
            logout_user()
            flash(_("Vous êtes déconnecté."), "info")
            return redirect(url_for("auth.login"))
        flash(_("Cet appareil a été déconnecté."), "success")
    return redirect(url_for("account.profile", _anchor="sessions"))


@bp.post("/sessions/end-others")
def end_other_sessions():
    if EmptyForm().validate_on_submit():
        sessions.end_other_sessions(g.me)
        flash(_("Vos autres appareils ont été déconnectés."), "success")
    return redirect(url_for("account.profile", _anchor="sessions"))


@bp.post("/sessions/end-all")
def end_all_sessions():
    if EmptyForm().validate_on_submit():
        sessions.end_all_sessions(g.me)
        logout_user()
        flash(_("Vous êtes déconnecté de tous vos appareils."), "info")
        return redirect(url_for("auth.login"))
    return redirect(url_for("account.profile", _anchor="sessions"))


@bp.post("/delete")
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if form.confirm_email.data.strip().lower() == g.me.email:
            accounts.delete_account(g.me)
            logout_user()
            flash(_("Votre compte a été supprimé."), "info")
            return redirect(url_for("public.home"))
        form.confirm_email.errors = [_("Ce n'est pas votre adresse e-mail.")]
    return _page(delete_form=form), 422
