"""Monthly invoices: generated on the 1st (Dakar) for the month before, one per
organization that owes something (its plan, then its SMS), numbered FACT-YYYYMM-NNN with
no gap and no duplicate however many generators run at once; and the invoice's reads.

Numbering: the month's InvoiceSequence row is taken under a row lock (FOR UPDATE;
SQLite: the write lock of BEGIN IMMEDIATE) in the same transaction as the invoices, so a
second generator waits for the first to commit, then finds every organization invoiced
(one invoice per organization and month, a unique constraint) and adds nothing.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from flask import current_app
from sqlalchemy import exists, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import selectinload

from .. import clock
from ..extensions import db
from ..models import (
    Branch,
    DeliveryChannel,
    Invoice,
    InvoiceLine,
    InvoiceLineKind,
    InvoiceSequence,
    InvoiceStatus,
    Membership,
    Notification,
    NotificationStatus,
    Organization,
    Plan,
    Role,
    User,
)
from ..work import begin_write
from .fees import INVOICE_DUE_DAYS, PLAN_PRICES

# Who bills: SmartQueue's details on every invoice (INVOICE_SELLER in the app's config
# may replace any of them, e.g. the NINEA once registered).
SELLER = {
    "name": "SmartQueue SAS",
    "address": "Immeuble Kébé, avenue Léopold Sédar Senghor, Plateau, Dakar, Sénégal",
    "ninea": "NINEA 000000000 2G3",
    "rccm": "RCCM SN-DKR-2026-B-00000",
    "email": "facturation@smartqueue.sn",
    "phone": "+221 33 800 00 00",
}
# The plans as an invoice names them (French: the document is in French).
PLAN_NAMES = {
    Plan.FREE: "Gratuite",
    Plan.STARTER: "Starter",
    Plan.BUSINESS: "Business",
    Plan.ENTERPRISE: "Enterprise",
}
# The SMS an invoice bills: what sms_usage (notifications/queries.py) counts.
BILLED_SMS = (NotificationStatus.SENT, NotificationStatus.DELIVERED)
REMINDER_EVERY = timedelta(days=7)
REMINDER_BATCH = 200


# --- months -----------------------------------------------------------------------------


def month_before(today: date) -> date:
    """The first day of the month before `today`'s (the month billed on the 1st)."""
    first = today.replace(day=1)
    return (first - timedelta(days=1)).replace(day=1)


def month_end(first: date) -> date:
    """The last day of the month starting on `first`."""
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def month_moments(first: date) -> tuple[datetime, datetime]:
    """The month as [start, end) moments in Dakar: what its usage is counted between."""
    following = month_end(first) + timedelta(days=1)
    return (
        datetime(first.year, first.month, first.day, tzinfo=clock.DAKAR),
        datetime(following.year, following.month, following.day, tzinfo=clock.DAKAR),
    )


def month_key(first: date) -> str:
    return f"{first:%Y%m}"


def invoice_number(first: date, number: int) -> str:
    """FACT-YYYYMM-NNN: the billed month and its sequence number (1000 and up: 4 digits)."""
    return f"FACT-{month_key(first)}-{number:03d}"


# --- generation -------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    messages: int
    parts: int
    cost_fcfa: int


def billed_plan(plan: Plan, next_plan: Plan | None, next_from: date | None, first):
    """The plan an organization was on during the month starting on `first`: a downgrade
    due by then that nobody has applied yet counts; otherwise its plan. (There is no plan
    history: generate before a month's plan changes are applied.)"""
    if next_plan is not None and next_from is not None and next_from <= first:
        return next_plan
    return plan


def _sms_by_organization(start: datetime, end: datetime):
    """Every organization's SMS of the month in one grouped statement (sms_usage's
    filter, for all organizations at once)."""
    return (
        select(
            Notification.organization_id.label("organization_id"),
            func.count().label("messages"),
            func.coalesce(func.sum(Notification.segments), 0).label("parts"),
            func.coalesce(func.sum(Notification.cost_fcfa), 0).label("cost"),
        )
        .where(
            Notification.organization_id.is_not(None),
            Notification.channel == DeliveryChannel.SMS,
            Notification.status.in_(BILLED_SMS),
            Notification.created_at >= start,
            Notification.created_at < end,
        )
        .group_by(Notification.organization_id)
        .subquery()
    )


def _lock_sequence(key: str) -> InvoiceSequence:
    """The month's counter row, created if missing, locked until the commit."""
    dialect = db.session.get_bind().dialect.name
    upsert = (postgresql if dialect == "postgresql" else sqlite).insert(InvoiceSequence)
    db.session.execute(upsert.values(month=key, last_number=0).on_conflict_do_nothing())
    return db.session.scalars(
        select(InvoiceSequence)
        .where(InvoiceSequence.month == key)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).one()


def _lines(first: date, plan: Plan, price: int, usage: Usage) -> list[dict]:
    """An invoice's lines: its plan, then its SMS (when it sent any)."""
    month = format_date(first, "MMMM y", locale="fr")
    lines = []
    if price:
        lines.append(
            {
                "kind": InvoiceLineKind.PLAN,
                "description": f"Abonnement SmartQueue, formule {PLAN_NAMES[plan]}"
                f" ({month})",
                "quantity": 1,
                "unit_fcfa": price,
                "amount_fcfa": price,
            }
        )
    if usage.messages:
        parts = usage.parts or usage.messages
        lines.append(
            {
                "kind": InvoiceLineKind.SMS,
                "description": f"SMS envoyés ({month}) : {usage.messages} messages,"
                f" {parts} parties",
                "quantity": parts,
                # The price of a part may have changed within the month: the amount is
                # what the parts cost when they were sent.
                "unit_fcfa": round(usage.cost_fcfa / parts),
                "amount_fcfa": usage.cost_fcfa,
            }
        )
    return lines


def generate_invoices(month: date | None = None) -> list[str]:
    """Invoice every organization that owes something for `month` (its first day;
    default: the month before today in Dakar) and has no invoice for it yet; the new
    invoices' numbers, in order (none on a second run)."""
    first = (month or month_before(clock.today())).replace(day=1)
    last = month_end(first)
    start, end = month_moments(first)
    begin_write(db.session)
    sequence = _lock_sequence(month_key(first))
    sms = _sms_by_organization(start, end)
    rows = db.session.execute(
        select(
            Organization.id,
            Organization.plan,
            Organization.next_plan,
            Organization.next_plan_from,
            Organization.is_active,
            func.coalesce(sms.c.messages, 0),
            func.coalesce(sms.c.parts, 0),
            func.coalesce(sms.c.cost, 0),
        )
        .outerjoin(sms, sms.c.organization_id == Organization.id)
        .where(
            Organization.created_at < end,
            ~exists().where(
                Invoice.organization_id == Organization.id,
                Invoice.period_start == first,
            ),
        )
        .order_by(Organization.id)
    ).all()
    now = clock.now()
    due_on = last + timedelta(days=INVOICE_DUE_DAYS)
    invoices, lines = [], []
    number = sequence.last_number
    for org_id, plan, next_plan, next_from, active, messages, parts, cost in rows:
        plan = billed_plan(plan, next_plan, next_from, first)
        # A closed organization is not billed its plan, only what it sent.
        price = PLAN_PRICES[plan] if active else 0
        usage = Usage(int(messages), int(parts), int(cost))
        if price + usage.cost_fcfa <= 0:
            continue  # the free plan, nothing sent: nothing to bill
        number += 1
        invoice_lines = _lines(first, plan, price, usage)
        invoices.append(
            {
                "number": invoice_number(first, number),
                "organization_id": org_id,
                "period_start": first,
                "period_end": last,
                "plan": plan,
                "total_fcfa": sum(line["amount_fcfa"] for line in invoice_lines),
                "status": InvoiceStatus.ISSUED,
                "issued_at": now,
                "due_on": due_on,
                "reminders": 0,
            }
        )
        lines.append(invoice_lines)
    if invoices:
        # Rows in batches, then their ids in one read: SQLite would send an INSERT ...
        # RETURNING one row at a time to keep the ids in order.
        db.session.execute(insert(Invoice), invoices)
        ids = dict(
            db.session.execute(
                select(Invoice.organization_id, Invoice.id).where(
                    Invoice.period_start == first
                )
            ).all()
        )
        db.session.execute(
            insert(InvoiceLine),
            [
                {**line, "invoice_id": ids[invoice["organization_id"]]}
                for invoice, invoice_lines in zip(invoices, lines, strict=True)
                for line in invoice_lines
            ],
        )
        sequence.last_number = number
    db.session.commit()
    return [invoice["number"] for invoice in invoices]


def is_month_generated(first: date) -> bool:
    """Whether a generator already ran for the month (its counter row exists)."""
    return db.session.get(InvoiceSequence, month_key(first.replace(day=1))) is not None


# --- reminders --------------------------------------------------------------------------


def lock_due_reminders(now: datetime, limit: int = REMINDER_BATCH) -> list[int]:
    """Overdue invoices never reminded, or last reminded a week ago or more, locked
    (others' locks skipped) for the caller to remind and mark in its transaction."""
    today = clock.local(now).date()
    return list(
        db.session.scalars(
            select(Invoice.id)
            .where(
                Invoice.status == InvoiceStatus.ISSUED,
                Invoice.due_on < today,
                (Invoice.reminded_at.is_(None))
                | (Invoice.reminded_at <= now - REMINDER_EVERY),
            )
            .order_by(Invoice.due_on, Invoice.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )


def mark_reminded(invoice_ids: list[int], now: datetime) -> None:
    """Note a reminder sent for each invoice (in the caller's transaction)."""
    if invoice_ids:
        db.session.execute(
            update(Invoice)
            .where(Invoice.id.in_(invoice_ids))
            .values(reminded_at=now, reminders=Invoice.reminders + 1)
        )


# --- reads ------------------------------------------------------------------------------


def get_invoice(invoice_id: int) -> Invoice | None:
    """An invoice with its lines and organization (what its page shows)."""
    return db.session.scalar(
        select(Invoice)
        .where(Invoice.id == invoice_id)
        .options(selectinload(Invoice.lines), selectinload(Invoice.organization))
    )


def list_organization_invoices(organization_id: int) -> list[Invoice]:
    """An organization's invoices, newest month first."""
    return list(
        db.session.scalars(
            select(Invoice)
            .where(Invoice.organization_id == organization_id)
            .order_by(Invoice.period_start.desc())
        )
    )


def seller() -> dict:
    """SmartQueue's details as its invoices show them."""
    return {**SELLER, **current_app.config.get("INVOICE_SELLER", {})}


def organization_address(organization_id: int) -> str | None:
    """The address an invoice shows for an organization: its first branch's."""
    return db.session.scalar(
        select(Branch.address)
        .where(Branch.organization_id == organization_id)
        .order_by(Branch.id)
        .limit(1)
    )


def reminder_recipients(invoice: Invoice) -> list[tuple[str, str]]:
    """(email, language) of whoever is told of an overdue invoice: the organization's
    address and its admins', each once."""
    found: dict[str, str] = {}
    if invoice.organization.email:
        found[invoice.organization.email.lower()] = "fr"
    admins = db.session.execute(
        select(User.email, User.locale)
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.organization_id == invoice.organization_id,
            Membership.role == Role.ORG_ADMIN,
            User.deleted_at.is_(None),
        )
        .order_by(User.id)
    ).all()
    for email, locale in admins:
        found.setdefault(email.lower(), locale or "fr")
    return list(found.items())
