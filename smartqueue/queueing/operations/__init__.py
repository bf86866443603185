"""The queue engine's write layer, one module per topic; this package re-exports the
public operations so that callers write `operations.call_next(...)`.

- issuing.py: issue a ticket (the rules and limits it passes), also inside another unit
  of work (an appointment's check-in, a transfer)
- customer.py: the customer's moves: cancel, let others pass
- calling.py: the agent calls: next in line, out of turn, recall (and the notices a call
  sends)
- serving.py: the agent serves the called ticket: start, finish, no-show, transfer
- counters.py: open, pause, close or take over a counter; open or close a queue
- history.py: how a ticket moves: lock its row, check the move, write it in its history

Expiring tickets at closing time is queueing/expiry.py. Each operation is one unit of
work: lock, check, move, write the notices it wants in the job outbox, commit, then
announce (smartqueue/events.py). Every move is recorded with who and when.
"""

from .calling import OUT_OF_TURN_REASON_MAX, call_next, call_out_of_turn, recall
from .counters import (
    check_holder,
    set_counter_status,
    set_queue_status,
    take_over_counter,
)
from .customer import cancel_ticket, let_others_pass
from .issuing import Issued, get_queue, issue_in_unit_of_work, issue_ticket
from .serving import finish, mark_no_show, start_serving, transfer

__all__ = [
    "OUT_OF_TURN_REASON_MAX",
    "Issued",
    "call_next",
    "call_out_of_turn",
    "cancel_ticket",
    "check_holder",
    "finish",
    "get_queue",
    "issue_in_unit_of_work",
    "issue_ticket",
    "let_others_pass",
    "mark_no_show",
    "recall",
    "set_counter_status",
    "set_queue_status",
    "start_serving",
    "take_over_counter",
    "transfer",
]
