"""Customers' ratings of their visit: given once per served ticket from its page (or the
"finished" notice's link), read by managers per service and agent, with the comments.

Managers read the counts and means from the period report (the rollups count
ticket_rating; a visit may be rated up to RATING_DAYS after its day, and the hourly
rollup job builds such a day again: analytics/rollups.py, days_to_build), and the latest
comments from `ticket_rating` itself: the page shows the comment given a minute ago.
"""

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..extensions import db
from ..models import Branch, Service, Ticket, TicketRating, TicketStatus, User
from ..work import begin_write, unit_of_work
from .errors import AlreadyRated, BadRating, RatingRefused
from .report import PeriodReport, Scope

RATINGS = (1, 2, 3, 4, 5)
RATING_DAYS = 7  # a visit may be rated this long after it ended
COMMENT_CHARS = 500
LOCALES = ("fr", "wo", "en")
# Control characters but tab and newlines: never typed, and PostgreSQL refuses NUL.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


# --- the customer's side ----------------------------------------------------------------


def rating_state(ticket: Ticket, now: datetime | None = None) -> str | None:
    """What a ticket's page offers: "open" (the form), "closed" (too late), or None
    (not a served ticket). Whether it was rated is `get_rating`'s."""
    if ticket.status is not TicketStatus.SERVED or ticket.finished_at is None:
        return None
    now = now or clock.now()
    if now - ticket.finished_at > timedelta(days=RATING_DAYS):
        return "closed"
    return "open"


def get_rating(ticket_id: int) -> TicketRating | None:
    """The ticket's rating, if it was given."""
    return db.session.get(TicketRating, ticket_id)


def clean_comment(comment: str | None) -> str | None:
    """The comment as kept: stripped, None when empty; refused past COMMENT_CHARS."""
    comment = (comment or "").strip()
    if not comment:
        return None
    if _CONTROL.search(comment):
        raise BadRating(
            _l("Ce champ contient des caractères non autorisés."), field="comment"
        )
    if len(comment) > COMMENT_CHARS:
        raise BadRating(
            _l(
                "Votre commentaire est trop long (%(max)s caractères au plus).",
                max=COMMENT_CHARS,
            ),
            field="comment",
        )
    return comment


def _check_rating(rating) -> int:
    try:
        value = int(rating)
    except (TypeError, ValueError):
        value = 0
    if value not in RATINGS or str(rating).strip() not in {str(r) for r in RATINGS}:
        raise BadRating(_l("Choisissez une note de 1 à 5."), field="rating")
    return value


@unit_of_work
def rate_ticket(
    token: str, rating, comment: str | None = None, locale: str = "fr"
) -> TicketRating:
    """A customer rates their served visit, 1 to 5 with an optional comment, once."""
    value = _check_rating(rating)
    comment = clean_comment(comment)
    begin_write(db.session)
    branch_id = db.session.scalar(select(Ticket.branch_id).where(Ticket.token == token))
    if branch_id is None:
        raise RatingRefused(_l("Ce ticket n'existe pas."))
    # A rollup build of the branch's day holds its row FOR NO KEY UPDATE (rollups.
    # build_day): sharing it here, the rating is either read by the build or written
    # after it, newer than its build, so built again; never lost between the two.
    db.session.execute(
        select(Branch.id).where(Branch.id == branch_id).with_for_update(read=True)
    )
    # The ticket's row lock makes two taps of the same link wait for each other: the
    # second sees the first's rating and is told so.
    ticket = db.session.scalar(
        select(Ticket)
        .where(Ticket.token == token)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if ticket is None:  # removed in between
        raise RatingRefused(_l("Ce ticket n'existe pas."))
    state = rating_state(ticket)
    if state is None:
        raise RatingRefused(_l("Vous pourrez noter votre visite une fois servi."))
    if db.session.get(TicketRating, ticket.id, populate_existing=True) is not None:
        raise AlreadyRated(_l("Vous avez déjà noté cette visite. Merci !"))
    if state == "closed":
        raise RatingRefused(
            _l(
                "Une visite se note dans les %(days)s jours : ce délai est passé.",
                days=RATING_DAYS,
            )
        )
    given = TicketRating(
        ticket_id=ticket.id,
        service_id=ticket.service_id,
        branch_id=ticket.branch_id,
        agent_id=ticket.agent_id,
        day=ticket.day,
        rating=value,
        comment=comment,
        locale=locale if locale in LOCALES else "fr",
        created_at=clock.now(),
    )
    db.session.add(given)
    try:
        db.session.flush()
    except (
        IntegrityError
    ):  # rated in between without the lock (cannot, but never a 500)
        db.session.rollback()
        raise AlreadyRated(_l("Vous avez déjà noté cette visite. Merci !")) from None
    db.session.commit()
    return given


# --- the managers' side -----------------------------------------------------------------


@dataclass
class RatingFigures:
    """Ratings of a scope: how many, their mean, and how many of each 1..5."""

    n: int = 0
    total: int = 0
    counts: list[int] = field(default_factory=lambda: [0, 0, 0, 0, 0])

    @property
    def mean(self) -> float | None:
        return self.total / self.n if self.n else None

    def share(self, rating: int) -> float:
        """The share (0..1) of ratings that gave `rating`."""
        return self.counts[rating - 1] / self.n if self.n else 0.0

    def add(self, rating: int, how_many: int) -> None:
        self.n += how_many
        self.total += rating * how_many
        self.counts[rating - 1] += how_many


@dataclass
class RatedRow:
    """A service or an agent with its ratings."""

    id: int | None
    name: str
    figures: RatingFigures


@dataclass(frozen=True)
class Comment:
    """A customer's comment as a manager reads it."""

    rating: int
    text: str
    day: date
    service_name: str
    branch_name: str
    agent_name: str | None
    created_at: datetime


@dataclass
class Satisfaction:
    """What the period page's satisfaction part shows (manage/_satisfaction.html)."""

    totals: RatingFigures
    by_service: list[RatedRow]
    by_agent: list[RatedRow]
    comments: list[Comment]


def _in_scope(statement, scope: Scope):
    """Narrow a read of ticket_rating to what `scope` may see (never wider)."""
    if scope.organization_id is not None:
        statement = statement.where(
            TicketRating.branch_id.in_(
                select(Branch.id).where(Branch.organization_id == scope.organization_id)
            )
        )
    if scope.branch_ids is not None:
        statement = statement.where(TicketRating.branch_id.in_(scope.branch_ids))
    if scope.service_id is not None:
        statement = statement.where(TicketRating.service_id == scope.service_id)
    return statement


def _figures(n: int, mean: float | None, counts=None) -> RatingFigures:
    """RatingFigures from a report's rating_n and rating_mean (sums of whole ratings, so
    n * mean is their exact total once rounded)."""
    return RatingFigures(
        n=n,
        total=round(n * mean) if n and mean is not None else 0,
        counts=list(counts) if counts else [0, 0, 0, 0, 0],
    )


def satisfaction(
    report: PeriodReport, scope: Scope, comments: int = 20
) -> Satisfaction:
    """Ratings of the report's days in `scope`: totals, per service and per agent (most
    rated first), and the latest `comments`. The figures are the report's (rollups for
    closed days, the live facts for today: both count ticket_rating, and the hourly job
    builds a day again once it is rated after its build); only the comments are read
    from ticket_rating, so the page shows one given a minute ago."""
    totals = report.totals
    return Satisfaction(
        totals=_figures(totals.rating_n, totals.rating_mean, totals.ratings),
        by_service=sorted(
            (
                RatedRow(
                    row.id,
                    row.name,
                    _figures(
                        row.figures.rating_n,
                        row.figures.rating_mean,
                        row.figures.ratings,
                    ),
                )
                for row in report.by_service
                if row.figures.rating_n
            ),
            key=lambda row: (-row.figures.n, row.name),
        ),
        by_agent=sorted(
            (
                RatedRow(row.id, row.name, _figures(row.rating_n, row.rating_mean))
                for row in report.by_agent
                if row.rating_n
            ),
            key=lambda row: (-row.figures.n, row.name),
        ),
        comments=list_comments(scope, report.start, report.end, comments)
        if comments
        else [],
    )


# The days list_comments reads first, then widens to (the period's last ones).
COMMENT_WINDOWS = (10, 40, 160)


def list_comments(scope: Scope, start: date, end: date, limit: int = 20):
    """The latest comments given for tickets of days start..end in `scope`, newest
    first, with their service, branch and agent.

    A year has a million ratings: sorting them all by created_at for 20 costs ~0.2 s.
    So the period's last days are read first, through the (day, branch_id) or
    (service_id, day) index: a visit is rated within RATING_DAYS, so a day before the
    window was rated before `first + RATING_DAYS + 1` (a day's margin for visits ending
    after midnight); `limit` comments of the window given since then are the answer.
    Otherwise a wider window, and in the end the whole period."""
    for days in COMMENT_WINDOWS:
        first = end - timedelta(days=days - 1)
        if first <= start:
            break
        since = datetime.combine(
            first + timedelta(days=RATING_DAYS + 1), time(0), tzinfo=clock.DAKAR
        )
        found = _comments(scope, first, end, limit, since)
        if len(found) == limit:
            return found
    return _comments(scope, start, end, limit)


def _comments(
    scope: Scope, start: date, end: date, limit: int, since: datetime | None = None
) -> list[Comment]:
    """The latest `limit` comments of days start..end (given at `since` or later)."""
    statement = _in_scope(
        select(
            TicketRating.rating,
            TicketRating.comment,
            TicketRating.day,
            TicketRating.created_at,
            Service.name_fr,
            Branch.name,
            User.full_name,
            User.email,
        )
        .join(Service, Service.id == TicketRating.service_id)
        .join(Branch, Branch.id == TicketRating.branch_id)
        .outerjoin(User, User.id == TicketRating.agent_id)
        .where(
            TicketRating.day >= start,
            TicketRating.day <= end,
            TicketRating.comment.is_not(None),
        )
        .order_by(TicketRating.created_at.desc(), TicketRating.ticket_id.desc())
        .limit(limit),
        scope,
    )
    if since is not None:
        statement = statement.where(TicketRating.created_at >= since)
    return [
        Comment(
            rating=rating,
            text=text,
            day=day,
            service_name=service,
            branch_name=branch,
            agent_name=full_name or email,
            created_at=created_at,
        )
        for rating, text, day, created_at, service, branch, full_name, email in (
            db.session.execute(statement)
        )
    ]


def rating_words() -> dict[int, str]:
    """What each rating means, in the reader's language (the form, the tables)."""
    return {
        1: str(_l("Très mécontent")),
        2: str(_l("Mécontent")),
        3: str(_l("Correct")),
        4: str(_l("Satisfait")),
        5: str(_l("Très satisfait")),
    }
