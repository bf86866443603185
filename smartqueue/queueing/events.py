"""What the queue engine announces after each commit; the realtime interface listens.

The core never imports an interface: it sends these blinker signals, and whoever cares
(live screens, notifications) connects a receiver at app start.
"""

from blinker import Namespace

_signals = Namespace()

# sender: the app; kwargs: branch_id, ticket_ids (list), action (str), counter_id (or None)
tickets_changed = _signals.signal("tickets-changed")
# sender: the app; kwargs: branch_id, counter_id
counter_changed = _signals.signal("counter-changed")
