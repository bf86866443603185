"""Agents at the counter: who holds it, taking it over, transfers that keep the customer's
code, calls out of turn (issue 17, "Agents"); on SQLite and PostgreSQL."""

import threading

import pytest
from sqlalchemy import select

from smartqueue import events
from smartqueue.models import (
    Channel,
    Counter,
    CounterEvent,
    CounterStatus,
    Ticket,
    TicketEvent,
    TicketStatus,
    User,
)
from smartqueue.queueing import operations as ops
from smartqueue.queueing import queries
from smartqueue.queueing.errors import CounterUnavailable, IllegalMove


def _issue(service):
    return ops.issue_ticket(service, channel=Channel.KIOSK)


def _log(db, counter):
    rows = db.session.execute(
        select(CounterEvent.action, CounterEvent.by_user_id, CounterEvent.from_user_id)
        .where(CounterEvent.counter_id == counter.id)
        .order_by(CounterEvent.id)
    )
    return [tuple(row) for row in rows]


def test_agent_moves_take_over_is_explicit_recorded_and_locks_the_first_agent_out(
    db, backend, desk, frozen
):
    first, second = desk.agent, desk.agent2
    ops.set_counter_status(desk.counter, CounterStatus.OPEN, by=first)
    _issue(desk.a)
    _issue(desk.a)
    called = ops.call_next(desk.counter, by=first)

    # The second agent can neither call, serve, transfer, pause nor close there.
    with pytest.raises(CounterUnavailable, match="tient ce guichet depuis 10:00"):
        ops.call_next(desk.counter, by=second)
    for move in (ops.finish, ops.recall, ops.start_serving):
        with pytest.raises(CounterUnavailable):
            move(called, by=second)
    with pytest.raises(CounterUnavailable):
        ops.transfer(called, desk.b, by=second)
    for status in (CounterStatus.PAUSED, CounterStatus.CLOSED):
        with pytest.raises(CounterUnavailable):
            ops.set_counter_status(desk.counter, status, by=second)
    db.session.expire_all()
    assert db.session.get(Ticket, called.id).status is TicketStatus.CALLED

    frozen.tick(minutes=5)
    ops.take_over_counter(desk.counter, by=second)
    counter = db.session.get(Counter, desk.counter.id)
    assert (counter.agent_id, counter.agent_since) == (second.id, frozen.now)
    assert _log(db, counter) == [
        ("open", first.id, None),
        ("take_over", second.id, first.id),
    ]
    # Now the first agent's buttons are refused, with who took it and since when.
    with pytest.raises(CounterUnavailable, match="tient ce guichet depuis 10:05"):
        ops.finish(called, by=first)
    with pytest.raises(CounterUnavailable):
        ops.set_counter_status(desk.counter, CounterStatus.PAUSED, by=first)
    ops.finish(called, by=second)  # the customer stays served at the same counter
    assert ops.call_next(desk.counter, by=second) is not None

    # Pausing frees the counter: anyone may open it again, without a takeover.
    ops.finish(queries.get_current_ticket(desk.counter), by=second)
    ops.set_counter_status(desk.counter, CounterStatus.PAUSED, by=second)
    counter = db.session.get(Counter, desk.counter.id)
    assert counter.agent_id is None and counter.agent_since is None
    ops.set_counter_status(desk.counter, CounterStatus.OPEN, by=first)
    assert _log(db, counter)[-2:] == [
        ("paused", second.id, second.id),
        ("open", first.id, None),
    ]


def test_agent_moves_an_open_counter_nobody_holds_goes_to_the_first_caller(
    db, backend, desk, frozen
):
    """Counters opened before holders were recorded (or by a fixture) stay usable."""
    _issue(desk.a)
    assert desk.counter.agent_id is None
    ops.call_next(desk.counter, by=desk.agent)
    db.session.expire_all()
    assert db.session.get(Counter, desk.counter.id).agent_id == desk.agent.id
    with pytest.raises(CounterUnavailable):
        ops.call_next(desk.counter, by=desk.agent2)


def test_agent_moves_transfer_keeps_the_code_and_takes_no_number_of_the_target(
    db, backend, desk, frozen
):
    a1 = _issue(desk.a)
    frozen.tick(minutes=1)
    assert _issue(desk.b).code == "B001"
    called = ops.call_next(desk.counter2, by=desk.agent2)  # counter 2 serves only A
    assert called.id == a1.id
    moved = ops.transfer(called, desk.b, by=desk.agent2)
    db.session.expire_all()
    stored = db.session.get(Ticket, moved.id)
    assert (stored.code, stored.number, stored.service_id) == ("A001", None, desk.b.id)
    # B's own numbering goes on as if nothing came in; A's too.
    assert _issue(desk.b).code == "B002"
    assert _issue(desk.a).code == "A002"
    # Called from B's line under its own code (it arrived first), and sent back to A:
    # still A001, beside the first A001 of the day (no number, so no clash).
    again = ops.call_next(desk.counter, by=desk.agent)
    assert (again.id, again.code) == (moved.id, "A001")
    back = ops.transfer(again, desk.a, by=desk.agent)
    db.session.expire_all()
    codes = db.session.execute(
        select(Ticket.code, Ticket.number, Ticket.status)
        .where(Ticket.service_id == desk.a.id, Ticket.code == "A001")
        .order_by(Ticket.id)
    ).all()
    assert [tuple(row) for row in codes] == [
        ("A001", 1, TicketStatus.TRANSFERRED),
        ("A001", None, TicketStatus.WAITING),
    ]
    assert back.code == "A001"
    history = db.session.scalars(
        select(TicketEvent.note).where(
            TicketEvent.ticket_id == back.id, TicketEvent.action == "transfer_in"
        )
    ).all()
    assert history == ["A001"]


def test_agent_moves_call_out_of_turn_needs_a_reason_and_is_in_the_history(
    db, backend, desk, frozen
):
    first, second, third = _issue(desk.a), _issue(desk.a), _issue(desk.b)
    for reason in ("", "   "):
        with pytest.raises(IllegalMove, match="Dites pourquoi"):
            ops.call_out_of_turn(desk.counter, third.id, reason=reason, by=desk.agent)
    with pytest.raises(IllegalMove, match="trop longue"):
        ops.call_out_of_turn(desk.counter, third.id, reason="x" * 121, by=desk.agent)
    # Counter 2 handles A only: B's ticket is not its to call.
    with pytest.raises(IllegalMove, match="pas dans les files"):
        ops.call_out_of_turn(desk.counter2, third.id, reason="urgent", by=desk.agent2)
    db.session.expire_all()
    assert db.session.get(Ticket, third.id).status is TicketStatus.WAITING

    called = ops.call_out_of_turn(
        desk.counter, third.id, reason="  Client revenu  de la caisse ", by=desk.agent
    )
    assert (called.id, called.status, called.counter_id) == (
        third.id,
        TicketStatus.CALLED,
        desk.counter.id,
    )
    db.session.expire_all()
    last = db.session.get(Ticket, third.id).events[-1]
    assert (last.action, last.note, last.by_user_id, last.counter_id) == (
        "call_out_of_turn",
        "Client revenu de la caisse",
        desk.agent.id,
        desk.counter.id,
    )
    # The others keep their order; a ticket no longer waiting is refused.
    with pytest.raises(IllegalMove, match="Terminez d'abord"):
        ops.call_out_of_turn(desk.counter, second.id, reason="x", by=desk.agent)
    ops.cancel_ticket(second)
    with pytest.raises(IllegalMove, match="n'attend plus"):
        ops.call_out_of_turn(desk.counter2, second.id, reason="x", by=desk.agent2)
    ops.finish(called, by=desk.agent)
    assert ops.call_next(desk.counter, by=desk.agent).id == first.id
    # And only the agent holding the counter calls out of turn there.
    with pytest.raises(CounterUnavailable):
        ops.call_out_of_turn(desk.counter, first.id, reason="x", by=desk.agent2)


def _race(app, db, ids: dict, ticket_id: int) -> dict:
    """Counter 1 calls `ticket_id` out of turn while counter 2 calls next, each from its
    own app context (its own session and connection), released together."""
    barrier = threading.Barrier(2)
    got = {}

    def act(who: str, counter_id: int, agent_id: int):
        with app.app_context():
            counter = db.session.get(Counter, counter_id)
            agent = db.session.get(User, agent_id)
            barrier.wait(timeout=30)
            try:
                if who == "out_of_turn":
                    called = ops.call_out_of_turn(
                        counter, ticket_id, reason="revenu", by=agent
                    )
                else:
                    called = ops.call_next(counter, by=agent)
                got[who] = called.id if called else None
            except IllegalMove:
                got[who] = None
            finally:
                db.session.remove()

    threads = [
        threading.Thread(target=act, args=("out_of_turn", *ids["first"])),
        threading.Thread(target=act, args=("next", *ids["second"])),
    ]
    with events.tickets_changed.muted():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    return got


@pytest.mark.backends("postgresql")
def test_agent_moves_out_of_turn_and_call_next_hand_a_ticket_out_once(
    app, db, backend, desk, frozen
):
    """One waiting ticket, one agent calling it out of turn while another calls next, at
    the same instant from two connections, twenty times: it is called exactly once."""
    ids = {
        "first": (desk.counter.id, desk.agent.id),
        "second": (desk.counter2.id, desk.agent2.id),
    }
    holders = {"out_of_turn": desk.agent, "next": desk.agent2}
    for _ in range(20):
        ticket_id = _issue(desk.a).id
        got = _race(app, db, ids, ticket_id)
        assert set(got) == {"out_of_turn", "next"}, got
        winners = [who for who, called in got.items() if called == ticket_id]
        assert len(winners) == 1, got
        db.session.expire_all()
        calls = db.session.scalars(
            select(TicketEvent.action).where(
                TicketEvent.ticket_id == ticket_id,
                TicketEvent.to_status == TicketStatus.CALLED.value,
            )
        ).all()
        assert len(calls) == 1
        ops.finish(db.session.get(Ticket, ticket_id), by=holders[winners[0]])
