"""The order of a queue, as one number per ticket: `rank_key`, lower goes first.

Every strategy reduces to a key computed once, when the ticket is issued, so that "call
next" reads the head of an index instead of sorting the waiting line:

- fifo: the arrival time (seconds since the epoch);
- priority: arrival minus a huge offset per priority level, so a higher level always wins;
- mixed: arrival minus AGEING_SECONDS per level: a priority ticket counts as if it had
  arrived that much earlier, so a normal ticket that has waited longer than that beats any
  fresh priority ticket. Keys never change while waiting, and new tickets get keys of at
  least "now - 3 levels x AGEING", so every ticket's turn comes: nobody starves;
- appointment_first: like fifo; checked-in appointments whose time has come are taken
  before the line by a separate query (they depend on the clock, not only on the ticket).
"""

from datetime import datetime

from ..models import Priority, Strategy

AGEING_SECONDS = 600  # one priority level = ten minutes of waiting (mixed)
ABSOLUTE_SECONDS = 10**8  # about three years: priority outranks any wait (priority)


def rank_key(strategy: Strategy, priority: Priority, arrived_at: datetime) -> float:
    base = arrived_at.timestamp()
    if strategy is Strategy.PRIORITY:
        return base - priority.level * ABSOLUTE_SECONDS
    if strategy is Strategy.MIXED:
        return base - priority.level * AGEING_SECONDS
    return base


def key_between(ahead: float | None, behind: float | None) -> float:
    """A key that sorts after `ahead` and before `behind` (None: no neighbour that side)."""
    if ahead is None and behind is None:
        raise ValueError("need a neighbour")
    if behind is None:
        return ahead + 1.0
    if ahead is None:
        return behind - 1.0
    return (ahead + behind) / 2
