"""A payment's receipt and its refund are told to the payer (an account, or only the
number that paid), once, and only while true."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from smartqueue import clock
from smartqueue.models import (
    DeliveryChannel,
    Notification,
    NotificationKind,
    Payment,
    PaymentMethod,
    PaymentPurpose,
    PaymentStatus,
)
from smartqueue.notifications import notices

pytestmark = pytest.mark.backends("sqlite", "postgresql")

K = NotificationKind
PHONE = "+221771234567"


@pytest.fixture
def sms_dir(app, tmp_path):
    app.config["SMS_DIR"] = str(tmp_path / "sms")


def a_payment(db, status, payer=None, phone=None) -> Payment:
    now = clock.now()
    payment = Payment(
        reference="PAY-00AA11BB22CC",
        idempotency_key=f"test:{now.timestamp()}",
        purpose=PaymentPurpose.APPOINTMENT_FEE,
        method=PaymentMethod.WAVE,
        status=status,
        amount_fcfa=2000,
        description="Ouverture de compte RDV202612020001",
        payer_id=payer.id if payer else None,
        payer_phone=phone,
        expires_at=now + timedelta(hours=24),
    )
    db.session.add(payment)
    db.session.commit()
    return payment


def told(db, payment, kind) -> dict:
    db.session.expire_all()
    rows = db.session.scalars(
        select(Notification).where(Notification.kind == kind)
    ).all()
    return {row.channel: row for row in rows if row.link.endswith(payment.reference)}


def test_a_receipt_reaches_the_payers_account_once(
    app, db, make_user, mailbox, sms_dir
):
    payer = make_user(email="awa@example.sn")
    payer.phone = PHONE
    payment = a_payment(db, PaymentStatus.COMPLETED, payer=payer)

    assert notices.tell_payment(payment.id, K.PAYMENT_RECEIVED) == 3
    assert notices.tell_payment(payment.id, K.PAYMENT_RECEIVED) == 0  # once

    rows = told(db, payment, K.PAYMENT_RECEIVED)
    assert set(rows) == {
        DeliveryChannel.IN_APP,
        DeliveryChannel.SMS,
        DeliveryChannel.EMAIL,
    }
    assert rows[DeliveryChannel.SMS].body == (
        "SmartQueue: paiement de 2 000 FCFA reçu (Wave), réf. PAY-00AA11BB22CC."
    )
    assert rows[DeliveryChannel.IN_APP].subject == "Paiement reçu : 2 000 FCFA"
    [mail] = mailbox.wait_for("awa@example.sn")
    assert "Paiement reçu" in str(mail["Subject"])


def test_a_refund_reaches_a_payer_known_only_by_the_number(app, db, sms_dir):
    payment = a_payment(db, PaymentStatus.REFUNDED, phone=PHONE)

    assert notices.tell_payment(payment.id, K.PAYMENT_REFUNDED) == 1

    [sms] = told(db, payment, K.PAYMENT_REFUNDED).values()
    assert sms.recipient == PHONE
    assert sms.body.startswith("SmartQueue: 2 000 FCFA remboursés sur votre compte")


def test_a_notice_no_longer_true_is_not_written(app, db, make_user, sms_dir):
    payment = a_payment(db, PaymentStatus.COMPLETED, payer=make_user())
    # Refunded before the receipt's job ran: no receipt; no refund notice for a
    # payment that is not refunded.
    assert notices.tell_payment(payment.id, K.PAYMENT_REFUNDED) == 0
    payment.status = PaymentStatus.REFUNDED
    db.session.commit()
    assert notices.tell_payment(payment.id, K.PAYMENT_RECEIVED) == 0
