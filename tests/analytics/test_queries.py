"""Period reports: the hand-computed Tuesday's figures as a manager reads them, the same
figures from rollups and from the live tables, scopes that never widen, the previous
period, revenue, and the ticket-level rows."""

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from smartqueue.analytics import rollups
from smartqueue.analytics.queries import TICKET_COLUMNS, period_report, ticket_rows
from smartqueue.analytics.report import Scope
from smartqueue.models import (
    Channel,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
    TicketStatus,
)
from smartqueue.models.analytics import service_month
from tests.conftest import at

pytestmark = pytest.mark.backends("sqlite", "postgresql")

TUESDAY = date(2026, 12, 1)
WEDNESDAY = date(2026, 12, 2)


def test_period_report_of_the_hand_computed_day(tuesday):
    report = period_report(Scope(tuesday.org.id), TUESDAY, TUESDAY)
    totals = report.totals

    assert (totals.issued, totals.served, totals.cancelled) == (8, 4, 1)
    assert (totals.no_show, totals.transferred, totals.expired) == (1, 1, 1)
    # Waits 5, 5, 20, 35, 85, 95 min: the 6th of 6 (ceil 5.4) is in [90, 120).
    assert totals.wait_mean_minutes == pytest.approx(245 / 6)
    assert totals.wait_p90_minutes == 120
    assert totals.within_target == pytest.approx(2 / 6)
    # Service times 4, 5, 10, 20 min: the 4th of 4 (ceil 3.6) is in [20, 25).
    assert totals.service_mean_minutes == pytest.approx(39 / 4)
    assert totals.service_p90_minutes == 25
    assert (totals.told_n, totals.told_inside) == (3, pytest.approx(2 / 3))
    assert totals.told_error_minutes == pytest.approx(11 / 3)
    assert (totals.appointments, totals.appointments_kept) == (2, 1)
    assert totals.appointments_missed == 1
    assert (totals.rating_n, totals.rating_mean) == (2, 4.0)
    assert totals.ratings == (0, 0, 1, 0, 1)

    a, b = report.by_service[1], report.by_service[0]  # by name: Dépôt..., Ouverture...
    assert a.name == "Ouverture de compte"  # one branch: its name is not repeated
    assert (a.figures.wait_mean_minutes, a.figures.wait_p90_minutes) == (36.25, 90)
    assert (b.figures.wait_mean_minutes, b.figures.within_target) == (50.0, 0.5)
    assert [row.name for row in report.by_branch] == [tuesday.branch.name]
    assert [row.name for row in report.by_day] == ["2026-12-01"]

    # The heat map's cells: Tuesday (1) at 8, 9 and 16 h.
    assert report.arrivals[1][8] == 3 and report.arrivals[1][9] == 3
    assert report.arrivals[1][16] == 1
    assert sum(map(sum, report.arrivals)) == 7
    assert report.channels == {
        "mobile": 1,
        "web": 1,
        "sms": 1,
        "kiosk": 3,
        "counter": 0,
        "phone": 1,
    }
    assert report.communes == [("Plateau", 1)]


def test_period_report_agents_and_counters(tuesday):
    report = period_report(Scope(tuesday.org.id), TUESDAY, TUESDAY)
    first, second = report.by_agent

    assert (first.id, first.name) == (tuesday.first.id, tuesday.first.email)
    assert (first.called, first.served, first.no_show) == (4, 2, 1)
    assert first.service_mean_minutes == 15.0
    assert first.call_to_start_mean_minutes == 1.0
    assert first.idle_mean_minutes == 9.0
    assert (first.rating_n, first.rating_mean) == (2, 4.0)
    assert second.idle_mean_minutes == 59.5
    assert second.call_to_start_mean_minutes == 0.75
    assert [c.name for c in report.by_counter] == ["Guichet 1", "Guichet 2"]
    assert report.by_counter[0].branch_name == tuesday.branch.name


def test_period_report_names_in_the_readers_language(db, tuesday):
    """Counters by number (a named one says its name), services in the reader's language
    and, with one branch in the scope, without the branch's name."""
    tuesday.counters[2].name = "Caisse"
    tuesday.a.name_wo = "Ubbi kont"
    db.session.commit()
    report = period_report(Scope(tuesday.org.id), TUESDAY, TUESDAY, locale="wo")
    assert [c.name for c in report.by_counter] == ["Guichet 1", "Guichet 2 — Caisse"]
    names = {row.id: row.name for row in report.by_service}
    assert names[tuesday.a.id] == "Ubbi kont"
    assert names[tuesday.b.id] == tuesday.b.name_fr


def wednesday_too(tuesday, make_ticket, rate):
    """A few tickets on Wednesday, served at counter 2."""
    two, second = tuesday.counters[2], tuesday.second
    t = make_ticket(tuesday.a, at(2, 9, 0), at(2, 9, 3), at(2, 9, 4), at(2, 9, 9),
                    TicketStatus.SERVED, Channel.WEB, two, second, (2, 1, 4))  # fmt: skip
    rate(t, 4)
    make_ticket(tuesday.b, at(2, 11, 0), status=TicketStatus.CANCELLED)


def test_period_report_is_the_same_from_rollups_and_from_live_tables(
    tuesday, frozen, make_ticket, rate
):
    wednesday_too(tuesday, make_ticket, rate)
    frozen.set(at(3, 10))
    scope = Scope(tuesday.org.id)
    live = period_report(scope, TUESDAY, WEDNESDAY)

    rollups.rebuild(TUESDAY, TUESDAY)
    half = period_report(scope, TUESDAY, WEDNESDAY)
    rollups.rebuild(WEDNESDAY, WEDNESDAY)
    built = period_report(scope, TUESDAY, WEDNESDAY)

    assert live.from_rollups_until is None
    assert half.from_rollups_until == TUESDAY
    assert built.from_rollups_until == WEDNESDAY
    half.from_rollups_until = built.from_rollups_until = None
    assert half == live
    assert built == live
    assert live.totals.issued == 10 and live.totals.rating_n == 3


@pytest.mark.parametrize("read_from", ["live tables", "rollups"])
def test_scope_never_counts_another_organizations_tickets(
    tuesday, make_hall, make_ticket, frozen, read_from
):
    other = make_hall(org="Autre Banque")
    make_ticket(other.a, at(1, 9), status=TicketStatus.CANCELLED)
    if read_from == "rollups":
        frozen.set(at(2, 10))
        rollups.rebuild(TUESDAY, TUESDAY)

    def issued(scope):
        report = period_report(scope, TUESDAY, TUESDAY)
        return report.totals.issued, [row.name for row in report.by_branch]

    mine, theirs = tuesday.org.id, other.org.id
    assert issued(Scope(mine)) == (8, [tuesday.branch.name])
    assert issued(Scope(theirs)) == (1, [other.branch.name])
    assert issued(Scope(None))[0] == 9  # the platform's
    # Another organization's branch or service named in the scope adds nothing.
    assert issued(Scope(mine, branch_ids=(other.branch.id,))) == (0, [])
    assert issued(Scope(mine, service_id=other.a.id)) == (0, [])


def test_branch_ids_and_service_narrow_the_scope(tuesday, make_branch, make_ticket):
    second_branch = make_branch(tuesday.org)
    make_ticket(tuesday.a, at(1, 9), status=TicketStatus.CANCELLED)
    org = tuesday.org.id

    whole = period_report(Scope(org), TUESDAY, TUESDAY)
    first = period_report(Scope(org, branch_ids=(tuesday.branch.id,)), TUESDAY, TUESDAY)
    none = period_report(Scope(org, branch_ids=(second_branch.id,)), TUESDAY, TUESDAY)
    service_b = period_report(Scope(org, service_id=tuesday.b.id), TUESDAY, TUESDAY)

    assert whole.totals.issued == first.totals.issued == 9
    assert none.totals.issued == 0
    assert service_b.totals.issued == 3
    assert [r.id for r in service_b.by_service] == [tuesday.b.id]
    assert [a.called for a in service_b.by_agent] == [2]


def test_previous_period_is_the_same_length_just_before(
    tuesday, frozen, make_ticket, rate
):
    wednesday_too(tuesday, make_ticket, rate)
    frozen.set(at(3, 10))
    rollups.rebuild(TUESDAY, TUESDAY)

    report = period_report(Scope(tuesday.org.id), WEDNESDAY, WEDNESDAY)
    two_days = period_report(
        Scope(tuesday.org.id), date(2026, 12, 3), date(2026, 12, 4)
    )

    assert report.totals.issued == 2
    assert report.previous.issued == 8
    assert report.previous.wait_p90_minutes == 120
    assert two_days.previous.issued == 10  # 1 and 2 December


def test_days_after_today_count_nothing(tuesday):
    report = period_report(Scope(tuesday.org.id), TUESDAY, date(2026, 12, 31))

    assert report.end == date(2026, 12, 31)
    assert report.totals.issued == 8
    assert [row.name for row in report.by_day] == ["2026-12-01"]


def test_revenue_counts_customers_completed_payments(tuesday, db):
    def pay(amount, purpose, status=PaymentStatus.COMPLETED, when=at(1, 9)):
        db.session.add(
            Payment(
                reference=f"PAY{amount}{purpose.value}{status.value}"[:24],
                idempotency_key=f"key-{amount}-{purpose.value}-{status.value}",
                purpose=purpose,
                method=PaymentMethod.WAVE,
                status=status,
                amount_fcfa=amount,
                description="test",
                organization_id=tuesday.org.id,
                branch_id=tuesday.branch.id,
                expires_at=at(2, 9),
                completed_at=when,
            )
        )
        db.session.commit()

    scope = Scope(tuesday.org.id)
    assert period_report(scope, TUESDAY, TUESDAY).revenue_fcfa is None
    pay(1000, PaymentPurpose.TICKET_FEE)
    pay(2000, PaymentPurpose.APPOINTMENT_FEE)
    pay(500, PaymentPurpose.TICKET_FEE, PaymentStatus.FAILED)
    pay(700, PaymentPurpose.TICKET_FEE, when=at(2, 0, 1))
    pay(9000, PaymentPurpose.SUBSCRIPTION_FEE)

    assert period_report(scope, TUESDAY, TUESDAY).revenue_fcfa == 3000


def test_ticket_rows_in_order_with_local_times(tuesday):
    rows = list(ticket_rows(Scope(tuesday.org.id), TUESDAY, TUESDAY))
    first = dict(zip(TICKET_COLUMNS, rows[0], strict=True))

    assert len(rows) == 8
    assert first["code"] == tuesday.tickets.t1.code
    assert first["arrived_at"] == datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
    assert (first["wait_s"], first["service_s"], first["rating"]) == (300, 600, 5)
    assert (first["counter"], first["agent"]) == (1, tuesday.first.email)
    assert (first["channel"], first["status"], first["told_minutes"]) == (
        "kiosk",
        "served",
        4,
    )
    assert list(ticket_rows(Scope(tuesday.org.id + 1000), TUESDAY, TUESDAY)) == []


def _dakar(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


def test_a_long_period_reads_whole_months_from_the_month_rollups_equal(
    tuesday, frozen, make_ticket, rate, db
):
    """From late August to today (98 days, shown by month): August's last days and
    December's closed days from the day rollups, September to November from the month
    rollups, today from the live tables; the same figures as all read live."""
    one, two = tuesday.counters[1], tuesday.counters[2]
    first, second = tuesday.first, tuesday.second
    served = TicketStatus.SERVED
    for month, day, hour in ((6, 10, 9), (8, 28, 10), (9, 1, 8), (9, 14, 15),
                             (10, 5, 11), (10, 31, 16), (11, 2, 9), (11, 30, 14),
                             (12, 2, 10), (12, 3, 9)):  # fmt: skip
        arrived = _dakar(month, day, hour)
        t = make_ticket(tuesday.a, arrived, arrived + timedelta(minutes=day % 20),
                        arrived + timedelta(minutes=day % 20 + 1),
                        arrived + timedelta(minutes=day % 20 + 9), served,
                        Channel.WEB, one if day % 2 else two,
                        first if day % 2 else second, (5, 3, 8))  # fmt: skip
        rate(t, 1 + day % 5)
        t.origin_commune_id = tuesday.plateau.id
        make_ticket(tuesday.b, arrived + timedelta(hours=1),
                    status=TicketStatus.CANCELLED, channel=Channel.SMS)  # fmt: skip
    db.session.commit()
    frozen.set(at(3, 10))
    scope = Scope(tuesday.org.id)
    start, end = date(2026, 8, 28), date(2026, 12, 3)
    live = period_report(scope, start, end)
    service_b = Scope(tuesday.org.id, service_id=tuesday.b.id)
    live_b = period_report(service_b, start, end)

    # Some days rolled up (November's 2nd not yet), then every closed day.
    rollups.rebuild(date(2026, 5, 1), date(2026, 11, 1))
    rollups.rebuild(date(2026, 11, 3), date(2026, 12, 2))
    half = period_report(scope, start, end)
    rollups.rebuild(date(2026, 11, 2), date(2026, 11, 2))
    built = period_report(scope, start, end)

    assert db.session.scalar(select(func.count()).select_from(service_month)) > 0
    assert live.from_rollups_until is None
    assert built.from_rollups_until == WEDNESDAY
    half.from_rollups_until = built.from_rollups_until = None
    assert half == live
    assert built == live
    assert [row.name for row in built.by_day] == [
        "2026-08", "2026-09", "2026-10", "2026-11", "2026-12"
    ]  # fmt: skip
    assert [row.figures.issued for row in built.by_day] == [2, 4, 4, 4, 2 + 8 + 2]
    assert built.totals.issued == 26 and built.previous.issued == 2
    assert built.communes == [("Plateau", 10)]
    assert sum(map(sum, built.arrivals)) == 26 - 1  # t6 came by a transfer
    assert {row.name: row.called for row in built.by_agent} == {
        first.full_name or first.email: 4 + 4,
        second.full_name or second.email: 5 + 2,
    }
    built_b = period_report(service_b, start, end)
    built_b.from_rollups_until = None
    assert built_b == live_b and built_b.totals.issued == 9 + 3
