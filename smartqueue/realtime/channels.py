"""Channel names (Redis keys and channels start with `sq:`), and what a line's messages say."""

import secrets


def board(branch_id: int) -> str:
    """Pre-rendered fragments for the branch's display boards."""
    return f"sq:branch:{branch_id}:board"


def branch(branch_id: int) -> str:
    """'Something changed in this branch': counter screens re-render for themselves."""
    return f"sq:branch:{branch_id}:changed"


def ticket(token: str) -> str:
    """A ticket's own page."""
    return f"sq:ticket:{token}"


def user(user_id: int) -> str:
    """A signed-in person's own news (their bell's count moved): their /ws/me sockets."""
    return f"sq:user:{user_id}"


def service(service_id: int) -> str:
    """The line of a service moved: its tickets' pages re-render their position."""
    return f"sq:service:{service_id}:line"


# A change that many sockets of a process read (a service's line, a branch's waiting
# lists) carries an id, so that they share one reading per change (shared.py):
# "<action> <change id>". A ticket's own channel says the bare action.
def stamp(action: str) -> str:
    return f"{action} {secrets.token_hex(6)}"


def is_stamped(message: str) -> bool:
    return " " in message


def action(message: str) -> str:
    """What a stamped message (or a bare one) says happened: "call", "issue"..."""
    return message.split(" ", 1)[0]
