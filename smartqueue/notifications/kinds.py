"""The kinds of notification: which preference group each belongs to, which are never
held back by quiet hours, and which may be answered by SMS."""

from ..models import DeliveryChannel, NotificationKind

K = NotificationKind

# A customer's preferences are rows of this table (kinds grouped as a person thinks of
# them) crossed with the channels: five rows, four columns.
GROUPS: dict[str, tuple[NotificationKind, ...]] = {
    "ticket": (
        K.TICKET_ISSUED,
        K.TICKET_NEAR,
        K.TICKET_CANCELLED,
        K.TICKET_FINISHED,
        K.QUEUE_PAUSED,
        K.QUEUE_CLOSED,
    ),
    "turn": (K.TICKET_CALLED, K.LEAVE_NOW),
    "appointment": (
        K.APPOINTMENT_CONFIRMED,
        K.APPOINTMENT_MOVED,
        K.APPOINTMENT_CANCELLED,
    ),
    "reminder": (K.APPOINTMENT_REMINDER,),
    "urgent": (K.URGENT,),
    "payment": (K.PAYMENT_RECEIVED, K.PAYMENT_REFUNDED),
}
GROUP_OF = {kind: group for group, kinds in GROUPS.items() for kind in kinds}

CHANNELS = (
    DeliveryChannel.IN_APP,
    DeliveryChannel.PUSH,
    DeliveryChannel.SMS,
    DeliveryChannel.EMAIL,
)

# "You are called" and "leave now" are worth waking someone for; an SMS reply was asked
# for a moment ago.
NEVER_HELD = frozenset({K.TICKET_CALLED, K.LEAVE_NOW, K.SMS_REPLY})


def muted_key(group: str, channel: DeliveryChannel) -> str:
    """How a muted (group, channel) pair is stored in a preference's `muted` list."""
    return f"{group}:{channel.value}"
