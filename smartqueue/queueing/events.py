"""What the core announces after each commit; the realtime interface listens.

The core never imports an interface: it sends these blinker signals, and whoever cares
(live screens, notifications) connects a receiver at app start.
"""

from blinker import Namespace
from flask import current_app

_signals = Namespace()

# sender: the app; kwargs: branch_id, ticket_ids (list), action (str), counter_id (or None)
tickets_changed = _signals.signal("tickets-changed")
# sender: the app; kwargs: branch_id, counter_id
counter_changed = _signals.signal("counter-changed")
# sender: the app; kwargs: branch_id, service_id (its name, letter, queue or order changed)
service_changed = _signals.signal("service-changed")
# sender: the app; kwargs: branch_id (its hours or closures changed: open or closed may
# read differently now, and screens that wait for the next opening must look again)
hours_changed = _signals.signal("hours-changed")


def announce(signal, **kwargs) -> None:
    """Send a signal after a commit: a listener's failure is logged, never undoes the write."""
    try:
        signal.send(current_app._get_current_object(), **kwargs)
    except Exception:
        current_app.logger.exception("announcing %s %s failed", signal.name, kwargs)
