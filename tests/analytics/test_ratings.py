"""A customer rates a served visit once (1-5, optional comment); managers read the
ratings and comments of their own scope only."""

import threading
from datetime import UTC, date, datetime

import pytest
from flask import render_template
from sqlalchemy import func, select

from smartqueue import events
from smartqueue.analytics import queries, ratings
from smartqueue.analytics.errors import AlreadyRated, BadRating, RatingRefused
from smartqueue.analytics.report import Scope
from smartqueue.models import Channel, TicketRating
from smartqueue.queueing import operations as ops

pytestmark = pytest.mark.backends("sqlite", "postgresql")

DAY = date(2026, 12, 1)


def _satisfaction(scope: Scope, start: date, end: date | None = None):
    """The period page's satisfaction: its figures from the period report (the live
    facts for today, rollups for closed days), its comments from ticket_rating."""
    return ratings.satisfaction(
        queries.period_report(scope, start, end or start), scope
    )


def _served(hall, **issue):
    """A ticket of hall's service A, called and served by hall's agent."""
    ticket = ops.issue_ticket(hall.a, channel=Channel.KIOSK, **issue)
    called = ops.call_next(hall.counter, by=hall.agent)
    assert called.id == ticket.id
    return ops.finish(called, by=hall.agent)


def test_rate_ticket_keeps_one_rating_with_its_ticket_facts(db, make_hall, frozen):
    hall = make_hall()
    ticket = _served(hall)
    given = ratings.rate_ticket(ticket.token, "4", "  Accueil rapide.  ", "wo")
    row = db.session.get(TicketRating, ticket.id)
    assert (row.rating, row.comment, row.locale) == (4, "Accueil rapide.", "wo")
    assert (row.service_id, row.branch_id, row.agent_id, row.day) == (
        hall.a.id,
        hall.branch.id,
        hall.agent.id,
        DAY,
    )
    assert given.ticket_id == ticket.id
    # A second rating is refused and changes nothing.
    with pytest.raises(AlreadyRated, match="déjà noté"):
        ratings.rate_ticket(ticket.token, 1, "Finalement non")
    db.session.expire_all()
    row = db.session.get(TicketRating, ticket.id)
    assert (row.rating, row.comment) == (4, "Accueil rapide.")
    assert db.session.scalar(select(func.count()).select_from(TicketRating)) == 1


def test_rate_ticket_refuses_a_waiting_or_cancelled_ticket(db, make_hall, frozen):
    hall = make_hall()
    waiting = ops.issue_ticket(hall.a, channel=Channel.KIOSK)
    with pytest.raises(RatingRefused, match="une fois servi"):
        ratings.rate_ticket(waiting.token, 5)
    ops.cancel_ticket(waiting)
    with pytest.raises(RatingRefused, match="une fois servi"):
        ratings.rate_ticket(waiting.token, 5)
    assert db.session.scalar(select(func.count()).select_from(TicketRating)) == 0


@pytest.mark.parametrize("rating", [0, 6, "", "abc", "4.5", None, -1])
def test_rate_ticket_refuses_a_rating_out_of_range_in_french(
    db, make_hall, frozen, rating
):
    ticket = _served(make_hall())
    with pytest.raises(BadRating, match="note de 1 à 5") as refused:
        ratings.rate_ticket(ticket.token, rating)
    assert refused.value.field == "rating"


def test_rate_ticket_strips_and_checks_the_comment(db, make_hall, frozen):
    hall = make_hall()
    first, second = _served(hall), _served(hall)
    with pytest.raises(BadRating, match="trop long") as refused:
        ratings.rate_ticket(first.token, 3, "x" * 501)
    assert refused.value.field == "comment"
    with pytest.raises(BadRating, match="non autorisés"):
        ratings.rate_ticket(first.token, 3, "bien\x00")
    ratings.rate_ticket(first.token, 3, "   ")  # blank: no comment at all
    ratings.rate_ticket(second.token, 2, " " + "é" * 500 + "\n")  # 500 is allowed
    assert db.session.get(TicketRating, first.id).comment is None
    assert db.session.get(TicketRating, second.id).comment == "é" * 500


def test_rate_ticket_is_open_for_seven_days_after_the_visit(db, make_hall, frozen):
    ticket = _served(make_hall())
    frozen.tick(days=7, minutes=1)
    with pytest.raises(RatingRefused, match="7 jours"):
        ratings.rate_ticket(ticket.token, 5)
    assert ratings.rating_state(ticket) == "closed"


@pytest.mark.backends("postgresql")
def test_two_ratings_at_once_keep_one_row(app, db, make_hall, frozen):
    """Two taps of the same link from two connections, released together, ten times:
    one rating each time, the other told it was rated already."""
    hall = make_hall()
    for _ in range(10):
        token = _served(hall).token
        barrier = threading.Barrier(2)
        outcomes = []

        def rate(value, token=token, barrier=barrier, outcomes=outcomes):
            with app.app_context():
                barrier.wait(timeout=30)
                try:
                    ratings.rate_ticket(token, value)
                    outcomes.append("rated")
                except AlreadyRated:
                    outcomes.append("already")
                finally:
                    db.session.remove()

        threads = [threading.Thread(target=rate, args=(v,)) for v in (1, 5)]
        with events.tickets_changed.muted():
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=60)
        assert sorted(outcomes) == ["already", "rated"]
    assert db.session.scalar(select(func.count()).select_from(TicketRating)) == 10


def test_satisfaction_counts_per_service_and_agent_in_scope_only(db, make_hall, frozen):
    ours = make_hall(name="Plateau")
    theirs = make_hall(name="Médina", org="Autre banque")
    for value, comment in ((5, "Parfait"), (4, None), (2, "Trop long")):
        frozen.tick(minutes=1)
        ratings.rate_ticket(_served(ours).token, value, comment)
    ratings.rate_ticket(_served(theirs).token, 1, "Secret de l'autre banque")

    mine = _satisfaction(Scope(ours.org.id), DAY)
    assert (mine.totals.n, mine.totals.total, mine.totals.counts) == (
        3,
        11,
        [0, 1, 0, 1, 1],
    )
    assert mine.totals.mean == pytest.approx(11 / 3)
    assert [(r.id, r.figures.n) for r in mine.by_service] == [(ours.a.id, 3)]
    assert [(r.id, r.figures.n) for r in mine.by_agent] == [(ours.agent.id, 3)]
    # The newest comment first, with its service, branch and agent.
    assert [(c.rating, c.text) for c in mine.comments] == [
        (2, "Trop long"),
        (5, "Parfait"),
    ]
    assert mine.comments[0].branch_name == "Plateau"
    assert mine.comments[0].agent_name == ours.agent.display_name

    # Another organization's manager never sees these comments, nor the reverse.
    other = ratings.list_comments(Scope(theirs.org.id), DAY, DAY)
    assert [c.text for c in other] == ["Secret de l'autre banque"]
    # A branch list narrows within the organization (a branch manager's scope).
    assert (
        ratings.list_comments(Scope(ours.org.id, (theirs.branch.id,)), DAY, DAY) == []
    )
    # The platform sees all; days outside the period are not counted.
    assert _satisfaction(Scope(None), DAY).totals.n == 4
    later = date(2026, 12, 2)
    assert _satisfaction(Scope(None), later).totals.n == 0


def test_the_satisfaction_partial_shows_bars_and_comments(app, db, make_hall, frozen):
    """manage/_satisfaction.html as the period page includes it (with a request, in
    French): the mean, a row per rating with its <meter>, the comments of the scope."""
    ours = make_hall(name="Plateau")
    theirs = make_hall(name="Médina", org="Autre banque")
    ratings.rate_ticket(_served(ours).token, 5, "Accueil <b>parfait</b>")
    ratings.rate_ticket(_served(ours).token, 2)
    ratings.rate_ticket(_served(theirs).token, 1, "Secret de l'autre banque")
    with app.test_request_context("/manage/analytics"):
        html = render_template(
            "manage/_satisfaction.html",
            satisfaction=_satisfaction(Scope(ours.org.id), DAY),
            rating_words=ratings.rating_words(),
        )
        empty = render_template(
            "manage/_satisfaction.html",
            satisfaction=_satisfaction(Scope(ours.org.id), date(2026, 11, 30)),
            rating_words=ratings.rating_words(),
        )
    assert "3,5" in html and "2 notes" in html
    assert html.count("<meter") == 5 and "Très satisfait" in html
    assert "Accueil &lt;b&gt;parfait&lt;/b&gt;" in html  # escaped
    assert "Secret" not in html
    assert "Aucune note pour cette période." in empty


def test_latest_comments_read_by_windows_are_the_whole_periods_latest(
    db, make_hall, frozen
):
    """list_comments reads the period's last days first; a visit rated up to 7 days
    later, from before that window, still comes in its place: the answer is the same as
    sorting the whole period's comments."""
    hall = make_hall(name="Plateau")
    # (visit day in November/December, when it was rated)
    visits = [
        (datetime(2026, 11, 16, 10, tzinfo=UTC), datetime(2026, 11, 23, 9, tzinfo=UTC)),
        (datetime(2026, 11, 19, 10, tzinfo=UTC), datetime(2026, 11, 19, 12, tzinfo=UTC)),
        (datetime(2026, 11, 23, 10, tzinfo=UTC), datetime(2026, 11, 30, 9, tzinfo=UTC)),
        (datetime(2026, 11, 25, 10, tzinfo=UTC), datetime(2026, 11, 25, 12, tzinfo=UTC)),
        (datetime(2026, 11, 27, 10, tzinfo=UTC), datetime(2026, 12, 1, 8, tzinfo=UTC)),
        (datetime(2026, 11, 30, 10, tzinfo=UTC), datetime(2026, 11, 30, 11, tzinfo=UTC)),
        (datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 10, 30, tzinfo=UTC)),
    ]  # fmt: skip
    served = []
    for visit, _rated in visits:
        frozen.set(visit)
        served.append(_served(hall))
    for ticket, (visit, rated) in zip(served, visits, strict=True):
        frozen.set(rated)
        ratings.rate_ticket(ticket.token, 4, f"Visite du {visit.date()}")
    scope = Scope(hall.org.id)
    for start, end in (
        (date(2026, 11, 16), date(2026, 12, 1)),
        (date(2026, 11, 1), date(2026, 11, 30)),
        (date(2026, 11, 16), date(2026, 11, 27)),
    ):
        for limit in range(1, len(visits) + 1):
            windowed = ratings.list_comments(scope, start, end, limit)
            whole = ratings._comments(scope, start, end, limit)
            assert windowed == whole, (start, end, limit)
    newest = ratings.list_comments(scope, date(2026, 11, 1), date(2026, 12, 1), 2)
    assert [c.text for c in newest] == ["Visite du 2026-12-01", "Visite du 2026-11-27"]
