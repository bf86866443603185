"""What the core announces after each commit; the interfaces listen.

The core never imports an interface: it sends these blinker signals, and whoever cares
(live screens, the appointments that follow their tickets) connects a receiver when it
is imported. Sent by queueing, orgs and appointments.
"""

from blinker import Namespace
from flask import current_app

_signals = Namespace()

# sender: the app; kwargs: branch_id, ticket_ids (list), action (str), counter_id (or
# None), line_moved (whether other waiting tickets may have changed places)
tickets_changed = _signals.signal("tickets-changed")
# sender: the app; kwargs: branch_id, counter_id
counter_changed = _signals.signal("counter-changed")
# sender: the app; kwargs: branch_id, service_id (its name, letter, queue or order changed)
service_changed = _signals.signal("service-changed")
# sender: the app; kwargs: branch_id (its hours or closures changed: open or closed may
# read differently now, and screens that wait for the next opening must look again)
hours_changed = _signals.signal("hours-changed")
# sender: the app; kwargs: ticket_tokens (list): what their pages show of the trip
# changed (a first travel time, another one, or "leave now" told); sent by the travel jobs
trip_changed = _signals.signal("trip-changed")
# sender: the app; kwargs: user_ids (list): these signed-in customers have new in-app
# notifications (or read some): their bells' counts changed
user_notified = _signals.signal("user-notified")
# sender: the app; kwargs: branch_id: an urgent message was posted (or ended) for the
# branch's board
broadcast_changed = _signals.signal("broadcast-changed")


def announce(signal, **kwargs) -> None:
    """Send a signal after a commit: a listener's failure is logged, never undoes the write."""
    try:
        signal.send(current_app._get_current_object(), **kwargs)
    except Exception:
        current_app.logger.exception("announcing %s %s failed", signal.name, kwargs)


def announce_tickets(
    ticket_ids: list[int],
    branch_id: int,
    action: str,
    counter_id: int | None = None,
    line_moved: bool = True,
) -> None:
    """Tell listeners (live screens) that tickets moved, after commit; their failure must
    not undo the move. `line_moved`: whether other waiting tickets' positions may have
    changed."""
    announce(
        tickets_changed,
        branch_id=branch_id,
        ticket_ids=ticket_ids,
        action=action,
        counter_id=counter_id,
        line_moved=line_moved,
    )
