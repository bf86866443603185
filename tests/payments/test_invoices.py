"""Monthly invoices: who is billed what, numbering without gap or duplicate (two
generators at once on PostgreSQL), a second run adds nothing, overdue reminders."""

import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, insert, select

from smartqueue.extensions import db as database
from smartqueue.jobs import billing
from smartqueue.models import (
    DeliveryChannel,
    Invoice,
    InvoiceLineKind,
    InvoiceSequence,
    InvoiceStatus,
    Notification,
    NotificationKind,
    NotificationStatus,
    Organization,
    OrganizationType,
    Plan,
)
from smartqueue.notifications import queries as notification_queries
from smartqueue.payments import invoices
from tests.conftest import at

NOVEMBER = date(2026, 11, 1)


def moment(month: int, day: int, hour: int = 9) -> datetime:
    """A moment of 2026 in Dakar (= UTC)."""
    return datetime(2026, month, day, hour, tzinfo=timezone.utc)


def send_sms(org, count, parts=1, cost_per_part=20, when=None, status=None):
    """`count` SMS of the organization, as the send jobs leave them."""
    database.session.execute(
        insert(Notification),
        [
            {
                "kind": NotificationKind.TICKET_CALLED,
                "channel": DeliveryChannel.SMS,
                "status": status or NotificationStatus.SENT,
                "recipient": f"+22177000{i:04d}",
                "organization_id": org.id,
                "body": "A012 : présentez-vous au guichet 3",
                "segments": parts,
                "cost_fcfa": parts * cost_per_part,
                "created_at": when or moment(11, 15),
                "attempts": 1,
                "locale": "fr",
            }
            for i in range(count)
        ],
    )
    database.session.commit()


@pytest.fixture
def november(db, frozen, make_org, make_user):
    """Organizations as they stood in November 2026; the clock then on 1 December."""
    frozen.set(moment(11, 2))
    orgs = {
        "business": make_org(name="Banque Atlantique", plan=Plan.BUSINESS),
        "free_quiet": make_org(name="Mairie de Fann", plan=Plan.FREE),
        "starter_sms": make_org(name="Clinique Pasteur", plan=Plan.STARTER),
        "free_sms": make_org(name="Lycée Blaise Diagne", plan=Plan.FREE),
        "downgrading": make_org(name="Sonatel Plateau", plan=Plan.ENTERPRISE),
    }
    orgs["business"].email = "compta@atlantique.sn"
    orgs["downgrading"].next_plan = Plan.STARTER
    orgs["downgrading"].next_plan_from = date(2026, 12, 1)
    db.session.commit()
    send_sms(orgs["starter_sms"], 3, parts=2)
    send_sms(orgs["starter_sms"], 2, when=moment(10, 31, 23))  # October's
    send_sms(orgs["starter_sms"], 4, status=NotificationStatus.FAILED)  # never sent
    send_sms(orgs["free_sms"], 1, when=moment(11, 30, 23))  # its last hour
    frozen.set(moment(12, 1, 0))
    orgs["december"] = make_org(name="Créée en décembre", plan=Plan.BUSINESS)
    frozen.set(at(1, 10))
    return orgs


@pytest.mark.backends("sqlite", "postgresql")
def test_generate_invoices_bills_the_plan_and_the_sms_in_numbered_invoices(
    db, backend, november
):
    numbers = invoices.generate_invoices()

    assert numbers == [f"FACT-202611-00{n}" for n in (1, 2, 3, 4)]
    made = {
        invoice.organization_id: invoice
        for invoice in db.session.scalars(select(Invoice).order_by(Invoice.id))
    }
    # Free with nothing sent, and an organization born in December: no invoice.
    assert set(made) == {
        november[name].id
        for name in ("business", "starter_sms", "free_sms", "downgrading")
    }
    business = made[november["business"].id]
    assert business.number == "FACT-202611-001"
    assert (business.period_start, business.period_end) == (
        date(2026, 11, 1),
        date(2026, 11, 30),
    )
    assert business.due_on == date(2026, 12, 15)
    assert business.status is InvoiceStatus.ISSUED
    assert business.total_fcfa == 50_000
    assert [(line.kind, line.amount_fcfa) for line in business.lines] == [
        (InvoiceLineKind.PLAN, 50_000)
    ]
    assert "Business" in business.lines[0].description
    assert "novembre 2026" in business.lines[0].description

    starter = made[november["starter_sms"].id]
    assert [
        (line.kind, line.quantity, line.unit_fcfa, line.amount_fcfa)
        for line in starter.lines
    ] == [(InvoiceLineKind.PLAN, 1, 15_000, 15_000), (InvoiceLineKind.SMS, 6, 20, 120)]
    assert "3 messages" in starter.lines[1].description
    assert starter.total_fcfa == 15_120
    # The grouped statement counts what sms_usage counts, organization by organization.
    usage = notification_queries.sms_usage(
        november["starter_sms"].id, *invoices.month_moments(NOVEMBER)
    )
    assert (usage.messages, usage.segments, usage.cost_fcfa) == (3, 6, 120)

    free = made[november["free_sms"].id]
    assert [(line.kind, line.amount_fcfa) for line in free.lines] == [
        (InvoiceLineKind.SMS, 20)
    ]
    # A downgrade waiting for 1 December: November is billed at the plan it was on.
    downgrading = made[november["downgrading"].id]
    assert (downgrading.plan, downgrading.total_fcfa) == (Plan.ENTERPRISE, 150_000)
    assert db.session.get(InvoiceSequence, "202611").last_number == 4


@pytest.mark.backends("sqlite", "postgresql")
def test_generate_invoices_second_run_adds_nothing_and_each_month_counts_from_one(
    db, backend, november, frozen, make_org
):
    first = invoices.generate_invoices()
    again = invoices.generate_invoices(NOVEMBER)

    assert len(first) == 4 and again == []
    assert db.session.scalar(select(func.count()).select_from(Invoice)) == 4
    assert db.session.get(InvoiceSequence, "202611").last_number == 4

    # An organization the first run did not see (its row restored from a backup):
    # generating November again by hand bills it alone, with the next number.
    restored = make_org(name="Restaurée", plan=Plan.STARTER)
    restored.created_at = moment(11, 20)
    db.session.commit()
    assert invoices.generate_invoices(NOVEMBER) == ["FACT-202611-005"]
    frozen.set(datetime(2027, 1, 1, 8, tzinfo=timezone.utc))
    december = invoices.generate_invoices()
    assert december[0] == "FACT-202612-001" and len(december) == 5


@pytest.mark.backends("postgresql")
def test_two_generators_at_once_give_one_set_of_consecutive_numbers(
    app, db, backend, frozen
):
    """Two generators of the same month, each with its own session and connection,
    released together, three months in a row: one set of invoices, 001..N; the
    second finds them made and adds nothing."""
    frozen.set(moment(8, 1))
    db.session.execute(
        insert(Organization),
        [
            {
                "name": f"Organisation {i:02d}",
                "type": OrganizationType.BANK,
                "plan": Plan.STARTER,
                "is_active": True,
                "created_at": moment(8, 1),
            }
            for i in range(30)
        ],
    )
    # September's counter is made by the race; October's and November's exist already
    # (as a run that found nothing to bill leaves them): the row lock is all that
    # keeps the two apart then.
    db.session.add_all(
        [InvoiceSequence(month="202610"), InvoiceSequence(month="202611")]
    )
    db.session.commit()
    frozen.set(moment(12, 1, 6))

    for month in (date(2026, 9, 1), date(2026, 10, 1), NOVEMBER):
        barrier = threading.Barrier(2)
        got, failed = {}, []

        def generate(name, month=month, barrier=barrier, got=got, failed=failed):
            with app.app_context():
                try:
                    barrier.wait(timeout=30)
                    got[name] = invoices.generate_invoices(month)
                except Exception as error:  # shown by the assert below
                    failed.append(repr(error))
                finally:
                    db.session.remove()

        threads = [
            threading.Thread(target=generate, args=(name,)) for name in ("one", "two")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        assert failed == []
        assert sorted(len(numbers) for numbers in got.values()) == [0, 30], got
        expected = [f"FACT-{month:%Y%m}-{n:03d}" for n in range(1, 31)]
        stored = db.session.scalars(
            select(Invoice.number)
            .where(Invoice.period_start == month)
            .order_by(Invoice.number)
        ).all()
        assert stored == expected
        assert db.session.get(InvoiceSequence, f"{month:%Y%m}").last_number == 30


@pytest.mark.backends("sqlite", "postgresql")
def test_overdue_invoice_is_reminded_then_again_each_week_until_paid(
    db, backend, november, frozen, make_user, mailbox
):
    admin = make_user(
        email="daf@atlantique.sn", role="org_admin", org=november["business"]
    )
    make_user(email="agent@atlantique.sn", role="agent", org=november["business"])
    assert billing.run_billing()["generated"] == 4
    business = db.session.scalar(
        select(Invoice).where(Invoice.organization_id == november["business"].id)
    )

    frozen.set(moment(12, 15, 18))  # its last day to pay: not late yet
    assert billing.remind_overdue_invoices() == 0

    frozen.set(moment(12, 16, 8))
    assert billing.run_billing() == {"generated": 0, "reminded": 4}
    for address in ("compta@atlantique.sn", admin.email):
        (mail,) = mailbox.wait_for(address)
        assert "FACT-202611-001" in mail["Subject"]
        body = mail.get_body(preferencelist=("plain",)).get_content()
        assert "cinquante mille francs CFA" in body
        assert f"/manage/invoices/{business.id}" in body
    assert mailbox.messages("agent@atlantique.sn") == []
    db.session.expire_all()
    assert (business.reminders, business.reminded_at) == (1, moment(12, 16, 8))

    frozen.set(moment(12, 22, 20))  # six days on
    assert billing.remind_overdue_invoices() == 0

    business.status = InvoiceStatus.PAID  # the business pays; the others do not
    db.session.commit()
    frozen.set(moment(12, 23, 8))  # a week on
    mailbox.clear()
    assert billing.remind_overdue_invoices() == 3
    db.session.expire_all()
    assert business.reminders == 1
    assert mailbox.messages("compta@atlantique.sn") == []
    reminded = db.session.scalars(
        select(Invoice.reminders).where(Invoice.id != business.id)
    ).all()
    assert reminded == [2, 2, 2]


def test_run_billing_invoices_last_month_once_from_the_first(db, november, frozen):
    assert invoices.is_month_generated(NOVEMBER) is False
    frozen.set(moment(12, 3))  # the 1st was missed
    assert billing.run_billing()["generated"] == 4
    assert billing.run_billing()["generated"] == 0
    assert invoices.is_month_generated(NOVEMBER)
