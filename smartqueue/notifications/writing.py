"""Writing notices: one row per message (kind, recipient, channel, language, text), in
the caller's unit of work, with the jobs that will send them (jobs/sending.py).

A message the channel cannot carry here (SMS or push not configured, an address that
said stop) is written too, as "not sent" with the reason: its history never pretends.
A message held by quiet hours is written with `hold_until`; the minute job
(`release_held`) gives it to a send job when that moment comes.
"""

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import clock
from ..extensions import db
from ..jobs import enqueue, sending
from ..models import DeliveryChannel, Notification, NotificationKind, NotificationStatus
from . import links, texts
from .recipients import Holder, Route, plan_routes

SEND_BATCH = 50  # messages per send job: a branch-wide message is a few hundred jobs
INSERT_BATCH = 500


@dataclass
class Notice:
    """One holder to tell about one event; `event` names the event once ("ticket:12:near"),
    so that writing it twice writes nothing more."""

    holder: Holder
    event: str
    context: dict  # the words' values (texts.words)
    ticket_id: int | None = None
    appointment_id: int | None = None
    broadcast_id: int | None = None
    branch_id: int | None = None
    organization_id: int | None = None
    link: str | None = None  # where a tap leads (push, in-app, email)
    email_template: str | None = None  # emails/<name>.txt|.html, else the plain one
    email_context: dict = field(default_factory=dict)


def write(kind: NotificationKind, notices: list[Notice]) -> list[int]:
    """Write the messages of `notices` (in the caller's unit of work, before its
    commit) and enqueue the send jobs of those that can go now; their ids."""
    if not notices:
        return []
    now = clock.now()
    planned = plan_routes([n.holder for n in notices], kind, now)
    rows = []
    said_in: dict = {}  # a branch-wide message says the same words to everyone
    for notice, routes in zip(notices, planned, strict=True):
        if not routes:
            continue
        key = (notice.holder.locale, tuple(sorted(notice.context.items())))
        said = said_in.get(key)
        if said is None:
            said = said_in[key] = texts.words(
                kind, notice.holder.locale, **notice.context
            )
        rows += [_row(kind, notice, route, said) for route in routes]
    ids = []
    for start in range(0, len(rows), INSERT_BATCH):
        ids += _insert(rows[start : start + INSERT_BATCH])
    now_ids = [i for i, status, held in ids if status == "queued" and held is None]
    enqueue_sends(now_ids)
    return [i for i, _, _ in ids]


def _row(kind, notice: Notice, route: Route, said: texts.Words) -> dict:
    row = {
        "kind": kind.value,
        "channel": route.channel.value,
        "status": route.status.value,
        "reason": route.reason,
        "recipient": route.recipient,
        "user_id": notice.holder.user_id,
        "push_subscription_id": route.push_subscription_id,
        "organization_id": notice.organization_id,
        "branch_id": notice.branch_id,
        "ticket_id": notice.ticket_id,
        "appointment_id": notice.appointment_id,
        "broadcast_id": notice.broadcast_id,
        "locale": notice.holder.locale,
        "subject": said.title,
        "body": said.text,
        "html": None,
        "link": notice.link,
        "dedupe_key": f"{notice.event}:{route.channel.value}:{route.recipient}"[:200],
        "hold_until": route.hold_until,
        "attempts": 0,
        "cost_fcfa": 0,
        "created_at": clock.now(),
    }
    if route.channel is DeliveryChannel.EMAIL:
        email = texts.email(
            notice.holder.locale,
            said,
            template=notice.email_template,
            link=notice.link,
            unsubscribe=links.unsubscribe(DeliveryChannel.EMAIL, route.recipient),
            **notice.email_context,
        )
        row.update(subject=email.subject, body=email.body, html=email.html)
    return row


def _insert(rows: list[dict]) -> list[tuple[int, str, datetime | None]]:
    """Insert rows, skipping those whose dedupe key exists (written before)."""
    session = db.session()
    dialect = session.get_bind().dialect.name
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(Notification)
    statement = (
        insert.on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(Notification.id, Notification.status, Notification.hold_until)
        .execution_options(render_nulls=True)
    )
    # Many rows as one statement compiled once ("insertmanyvalues"), not a VALUES
    # clause of 500 rows compiled for each batch.
    return [
        (row_id, getattr(status, "value", status), held)
        for row_id, status, held in session.execute(statement, rows).all()
    ]


def enqueue_sends(ids: list[int]) -> None:
    """One send job per SEND_BATCH messages (in the caller's unit of work)."""
    ids = sorted(ids)
    for start in range(0, len(ids), SEND_BATCH):
        batch = ids[start : start + SEND_BATCH]
        enqueue(sending.send_notifications, batch, key=f"send:{batch[0]}")


def release_held() -> int:
    """Give the messages whose quiet hours are over to send jobs; how many."""
    now = clock.now()
    ids = list(
        db.session.scalars(
            select(Notification.id)
            .where(
                Notification.hold_until.is_not(None),
                Notification.hold_until <= now,
                Notification.status == NotificationStatus.QUEUED,
            )
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        db.session.commit()
        return 0
    db.session.execute(
        update(Notification).where(Notification.id.in_(ids)).values(hold_until=None)
    )
    enqueue_sends(ids)
    db.session.commit()
    return len(ids)
