"""A paying queue's ticket (VIP 1 000, express 500 FCFA) is made by its payment where a
customer takes it alone (web, phone, SMS, kiosk); at a counter the agent takes the fee."""

import pytest
from sqlalchemy import func, select

from smartqueue.models import Channel, QueueType, Ticket
from smartqueue.queueing import operations as ops
from smartqueue.queueing.errors import PaymentRequired

pytestmark = pytest.mark.backends("sqlite", "postgresql")


@pytest.fixture
def express(make_branch, make_service):
    return make_service(make_branch(), "E", "Retrait express", type=QueueType.EXPRESS)


@pytest.mark.parametrize(
    "channel", [Channel.WEB, Channel.MOBILE, Channel.SMS, Channel.KIOSK]
)
def test_a_paying_queue_refuses_an_unpaid_ticket_taken_alone(db, express, channel):
    with pytest.raises(PaymentRequired) as refused:
        ops.issue_ticket(express, channel=channel)
    assert str(refused.value.message) == (
        "Un ticket de ce service coûte 500 FCFA, à payer avant de le recevoir."
    )
    assert db.session.scalar(select(func.count()).select_from(Ticket)) == 0


@pytest.mark.parametrize("channel", [Channel.COUNTER, Channel.PHONE])
def test_staff_issue_a_paying_queues_ticket_and_take_the_fee(
    db, frozen, express, make_user, channel
):
    ticket = ops.issue_ticket(
        express, channel=channel, by=make_user(role="agent", branch=express.branch)
    )
    assert ticket.code == "E001"


def test_a_free_queue_issues_as_before(db, frozen, make_branch, make_service):
    free = make_service(make_branch(), "A", type=QueueType.PRIORITY)
    assert ops.issue_ticket(free, channel=Channel.WEB).code == "A001"
