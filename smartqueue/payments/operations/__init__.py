"""Payments' writes (module docstrings say each part):
- paying.py: create a payment for a purpose, start it with its provider, record cash;
- settling.py: apply what the provider says (callback or status check) exactly once and
  never backwards, expire, refund;
- common.py: the row lock, a status change with its history, a completion.

Two transactions around every provider call: the payment is written (pending) and
committed before the provider is asked, so that a crash in between leaves a payment to
check, never money taken for nothing known; the provider's answer is written after.
A completed payment's purpose (fulfilment.py) is carried out in the same transaction as
the completion, under the payment's row lock, so it happens once however many callbacks
arrive at once.
"""

from .common import FIRST_CHECK, LONGEST_CHECK, STATUS_OF_STATE, lock_payment
from .paying import (
    create_payment,
    pay_deposit,
    pay_invoice,
    pay_ticket_fee,
    record_cash,
    start_payment,
)
from .settling import (
    apply_state,
    check_with_provider,
    completed_for_appointment,
    due_checks,
    find_payment,
    receive_callback,
    refund,
)

__all__ = [
    "FIRST_CHECK",
    "LONGEST_CHECK",
    "STATUS_OF_STATE",
    "apply_state",
    "check_with_provider",
    "completed_for_appointment",
    "create_payment",
    "due_checks",
    "find_payment",
    "lock_payment",
    "pay_deposit",
    "pay_invoice",
    "pay_ticket_fee",
    "receive_callback",
    "record_cash",
    "refund",
    "start_payment",
]
