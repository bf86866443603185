"""My account: profile, password, deleting the account."""

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ...accounts import operations as accounts
from ...accounts.errors import AccountError
from ..forms import apply_domain_error
from .forms import DeleteAccountForm, PasswordForm, ProfileForm

bp = Blueprint("account", __name__, url_prefix="/account")


@bp.before_request
def _signed_in_only():
    """The one access rule of this blueprint: it is about the signed-in person."""
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()


@bp.route("/", methods=["GET", "POST"])
def profile():
    form = ProfileForm(obj=current_user)
    if request.method == "GET":
        form.phone.data = current_user.phone
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user, form.full_name.data, form.phone.data, form.locale.data
            )
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Profil enregistré."), "success")
            return redirect(url_for("account.profile"))
    return render_template(
        "account/profile.html",
        form=form,
        password_form=PasswordForm(),
        delete_form=DeleteAccountForm(),
    ), 422 if form.errors else 200


@bp.post("/password")
def change_password():
    form = PasswordForm()
    if form.validate_on_submit():
        try:
            accounts.change_password(
                current_user, form.current_password.data, form.password.data
            )
        except AccountError as error:
            apply_domain_error(form, error)
        else:
            flash(_("Mot de passe changé."), "success")
            return redirect(url_for("account.profile"))
    return render_template(
        "account/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=form,
        delete_form=DeleteAccountForm(),
    ), 422


@bp.post("/delete")
def delete():
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if form.confirm_email.data.strip().lower() == current_user.email:
            accounts.delete_account(current_user)
            logout_user()
            flash(_("Votre compte a été supprimé."), "info")
            return redirect(url_for("public.home"))
        form.confirm_email.errors = [_("Ce n'est pas votre adresse e-mail.")]
    return render_template(
        "account/profile.html",
        form=ProfileForm(obj=current_user),
        password_form=PasswordForm(),
        delete_form=form,
    ), 422
