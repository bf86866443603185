"""Manage area: an organization's billing (its plan, the plans side by side, a change of
plan, its invoices and paying one), and the platform's invoices and revenue by month.

Paying an invoice: the admin picks a method, the payment is written and started with its
provider (payments.operations), then the browser goes to the provider's checkout (303);
the provider sends the payer back here, where the payment's status is shown (htmx asks
again every few seconds while it is open; the provider's callback settles it)."""

import secrets
from datetime import date

from flask import (
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import HiddenField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from ... import clock
from ...accounts.phones import normalize_phone
from ...errors import DomainError
from ...extensions import db
from ...models import (
    Invoice,
    InvoiceState,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    Plan,
)
from ...orgs import plans
from ...payments import operations as payments
from ...payments import queries as payment_queries
from ...payments.providers import online_methods
from ..filters import fcfa
from ..forms import REQUIRED, EmptyForm, Form
from ..htmx import is_htmx
from ..payments.hooks import notify_url
from ..payments.pages import METHOD_NAMES
from ..safety import acting_user
from . import bp
from .common import refuse

PAYMENT_WORDS = {
    PaymentStatus.PENDING: _l("en attente de votre validation"),
    PaymentStatus.PROCESSING: _l("en cours chez l'opérateur"),
    PaymentStatus.COMPLETED: _l("réussi : la facture est réglée"),
    PaymentStatus.FAILED: _l("échoué"),
    PaymentStatus.CANCELLED: _l("annulé"),
    PaymentStatus.EXPIRED: _l("expiré"),
    PaymentStatus.REFUNDED: _l("remboursé"),
}
STATE_WORDS = {
    InvoiceState.PAID: _l("Payée"),
    InvoiceState.TO_PAY: _l("À payer"),
    InvoiceState.OVERDUE: _l("En retard"),
    InvoiceState.VOID: _l("Annulée"),
}


class PlanForm(Form):
    plan = SelectField(
        _l("Formule"),
        choices=[(p.value, p.value) for p in plans.PLANS],
        validators=[DataRequired(message=REQUIRED)],
    )


class PayForm(Form):
    method = RadioField(_l("Payer avec"), validators=[DataRequired(message=REQUIRED)])
    phone = StringField(
        _l("Numéro de téléphone (Free Money)"),
        validators=[Length(max=20)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    # One per page shown: a second submit of the same page gives the same payment.
    key = HiddenField(validators=[DataRequired(), Length(max=40)])


def _pay_form(formdata=None) -> PayForm:
    form = PayForm(formdata=formdata) if formdata is not None else PayForm()
    form.method.choices = [(m.value, METHOD_NAMES[m]) for m in online_methods()]
    if formdata is None and form.method.choices:
        form.method.data = form.method.choices[0][0]
    if not form.key.data:
        form.key.data = secrets.token_urlsafe(16)
    return form


def _invoice_of_org(org_id: int, invoice_id: int) -> Invoice:
    invoice = db.session.get(Invoice, invoice_id)
    if invoice is None or invoice.organization_id != org_id:
        abort(404)
    return invoice


def _payment_shown(org_id: int) -> Payment | None:
    """The payment named by `?payment=` (the provider sent the payer back), if it is one
    of this organization's invoices'."""
    reference = (request.args.get("payment") or "")[:24]
    if not reference:
        return None
    return db.session.scalar(
        select(Payment)
        .join(Invoice, Invoice.id == Payment.invoice_id)
        .where(Payment.reference == reference, Invoice.organization_id == org_id)
    )


def _billing_page(plan_error: str | None = None, status: int = 200):
    org = g.org
    use = plans.current_use(org.id)
    payment = _payment_shown(org.id)
    return render_template(
        "manage/billing.html",
        org=org,
        current=plans.terms(org.plan),
        waiting=plans.terms(org.next_plan) if org.next_plan else None,
        use=use,
        plans=list(plans.PLANS.values()),
        rank=plans.RANK,
        too_much={p: plans.too_much_for(p, use) for p in plans.PLANS},
        invoices=payment_queries.list_organization_invoices(org.id),
        state_words=STATE_WORDS,
        payment=payment,
        payment_words=PAYMENT_WORDS,
        method_names=METHOD_NAMES,
        invoice_page=_invoice_page_endpoint(),
        can_pay=bool(online_methods()),
        plan_error=plan_error,
        form=EmptyForm(),
    ), status


def _invoice_page_endpoint() -> str | None:
    """The invoice's own page (manage/invoices.py) once it is registered."""
    return "manage.invoice" if "manage.invoice" in current_app.view_functions else None


@bp.get("/organizations/<int:org_id>/billing")
def billing(org_id: int):
    """The organization's plan and use, the plans, its invoices; to htmx, the status of
    the payment the provider sent the payer back with."""
    if is_htmx() and request.args.get("payment"):
        return render_template(
            "manage/_billing_payment.html",
            org=g.org,
            payment=_payment_shown(org_id),
            payment_words=PAYMENT_WORDS,
            method_names=METHOD_NAMES,
        )
    return _billing_page()


@bp.post("/organizations/<int:org_id>/billing/plan")
def change_plan(org_id: int):
    form = PlanForm()
    if not form.validate_on_submit():
        return _billing_page(_("Choisissez une formule."), 422)
    try:
        change = plans.change_plan(g.org, Plan(form.plan.data), by=acting_user())
    except DomainError as error:
        db.session.rollback()
        return _billing_page(str(error.message), 422)
    name = plans.terms(change.plan).name
    if change.next_plan is not None:
        flash(
            _(
                "Changement enregistré : la formule %(plan)s s’appliquera le "
                "%(day)s. D’ici là, vous gardez la formule %(current)s.",
                plan=plans.terms(change.next_plan).name,
                day=change.next_plan_from.strftime("%d/%m/%Y"),
                current=name,
            ),
            "success",
        )
    else:
        flash(
            _("Votre organisation a maintenant la formule %(plan)s.", plan=name),
            "success",
        )
    return redirect(url_for("manage.billing", org_id=org_id), 303)


@bp.post("/organizations/<int:org_id>/billing/plan/cancel")
def cancel_plan_change(org_id: int):
    if EmptyForm().validate_on_submit():
        try:
            plans.cancel_plan_change(g.org, by=acting_user())
        except DomainError as error:
            db.session.rollback()
            flash(str(error.message), "info")
        else:
            flash(_("Changement annulé : vous gardez votre formule."), "success")
    return redirect(url_for("manage.billing", org_id=org_id), 303)


@bp.route(
    "/organizations/<int:org_id>/billing/invoices/<int:invoice_id>/pay",
    methods=["GET", "POST"],
)
def pay_invoice(org_id: int, invoice_id: int):
    """Choose how to pay an invoice, then go to the provider's checkout."""
    invoice = _invoice_of_org(org_id, invoice_id)
    if invoice.status is not InvoiceStatus.ISSUED:
        flash(_("Cette facture n'est plus à payer."), "info")
        return redirect(url_for("manage.billing", org_id=org_id), 303)
    form = _pay_form(request.form if request.method == "POST" else None)
    # This page's form is answered by a redirect to the provider's checkout, another
    # site: web/payments/pages.py widens the page's CSP form-action on this flag.
    g.payment_form_shown = True
    if form.validate_on_submit():
        try:
            payment = _start(invoice, form)
        except DomainError as error:
            refuse(form, error)
        else:
            if payment.checkout_url:
                return redirect(payment.checkout_url, 303)
            flash(
                _(
                    "Validez le paiement de %(amount)s sur votre téléphone "
                    "(%(method)s) : cette page dira quand il est reçu.",
                    amount=fcfa(payment.amount_fcfa),
                    method=METHOD_NAMES[payment.method],
                ),
                "info",
            )
            return redirect(
                url_for("manage.billing", org_id=org_id, payment=payment.reference),
                303,
            )
    return render_template(
        "manage/billing_pay.html",
        org=g.org,
        invoice=invoice,
        state=invoice.state_on(clock.today()),
        state_words=STATE_WORDS,
        form=form,
    ), (422 if form.errors else 200)


def _start(invoice: Invoice, form: PayForm) -> Payment:
    method = PaymentMethod(form.method.data)
    try:
        phone = normalize_phone(form.phone.data)
    except DomainError as error:
        raise DomainError(error.message, field="phone") from None
    if method is PaymentMethod.FREE_MONEY and phone is None:
        raise DomainError(
            _("Free Money demande le numéro qui va payer."), field="phone"
        )
    payer = acting_user()
    payment = payments.pay_invoice(
        invoice,
        method=method,
        payer=payer,
        payer_phone=phone,
        # Scoped to the invoice and the person: a key sent by someone else cannot
        # fetch their payment.
        idempotency_key=f"invoice:{invoice.id}:{payer.id}:{form.key.data}",
    )
    back = url_for(
        "manage.billing",
        org_id=invoice.organization_id,
        payment=payment.reference,
        _external=True,
    )
    return payments.start_payment(
        payment, return_url=back, cancel_url=back, notify_url=notify_url(payment)
    )


# --- the platform --------------------------------------------------------------------------


def _month_arg() -> date | None:
    text = request.args.get("month") or ""
    try:
        year, month = (int(part) for part in text.split("-"))
        return date(year, month, 1)
    except ValueError:
        return None


@bp.get("/billing")
def platform_billing():
    """All organizations' invoices (by state, by month) and revenue by month."""
    try:
        state = InvoiceState(request.args.get("state") or "")
    except ValueError:
        state = None
    month = _month_arg()
    invoices = payment_queries.list_invoices(state=state, month=month)
    return render_template(
        "manage/billing_platform.html",
        invoices=invoices,
        truncated=len(invoices) >= payment_queries.LIST_LIMIT,
        months=payment_queries.list_invoice_months(),
        revenue=payment_queries.revenue_by_month(),
        state=state,
        month=month,
        states=list(InvoiceState),
        state_words=STATE_WORDS,
        invoice_page=_invoice_page_endpoint(),
    )
