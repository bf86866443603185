"""Billing jobs: last month's invoices on the 1st (Dakar), and the reminders of overdue
invoices, by email to the organization and its admins, then again every week."""

from flask_babel import force_locale
from flask_babel import gettext as _

from .. import clock
from ..extensions import db
from ..models import InvoiceState
from ..notifications import links
from ..payments import invoices
from ..payments.words import amount_in_words
from ..work import begin_write
from .mail import deliver
from .outbox import enqueue


def run_billing() -> dict:
    """Every hour: invoice last month once (from the 1st; a missed 1st is made up
    later, the generation being idempotent), then remind what is overdue."""
    month = invoices.month_before(clock.today())
    generated = []
    if not invoices.is_month_generated(month):
        generated = invoices.generate_invoices(month)
    return {"generated": len(generated), "reminded": remind_overdue_invoices()}


def remind_overdue_invoices() -> int:
    """Enqueue a reminder for each invoice now due one, noting it in the same
    transaction (so a second run within the week finds nothing)."""
    now = clock.now()
    begin_write(db.session)
    due = invoices.lock_due_reminders(now)
    for invoice_id in due:
        enqueue(
            send_invoice_reminder,
            invoice_id,
            key=f"invoice-reminder:{invoice_id}",
        )
    invoices.mark_reminded(due, now)
    db.session.commit()
    return len(due)


def send_invoice_reminder(invoice_id: int) -> int:
    """Email an overdue invoice's reminder to its organization and admins (not once it
    is paid); how many were sent."""
    invoice = invoices.get_invoice(invoice_id)
    if invoice is None or invoice.state_on(clock.today()) is not InvoiceState.OVERDUE:
        return 0
    link = links.external("manage.invoice", invoice_id=invoice.id)
    recipients = invoices.reminder_recipients(invoice)
    for email, locale in recipients:
        with force_locale(locale):
            subject = _(
                "Facture %(number)s en retard de paiement", number=invoice.number
            )
        deliver(
            email,
            subject,
            "invoice_overdue",
            locale,
            invoice=invoice,
            link=link,
            in_words=amount_in_words(invoice.total_fcfa),
            days_late=(clock.today() - invoice.due_on).days,
        )
    return len(recipients)
