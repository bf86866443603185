"""Channel names (Redis keys and channels start with `sq:`)."""


def board(branch_id: int) -> str:
    """Pre-rendered fragments for the branch's display boards."""
    return f"sq:branch:{branch_id}:board"


def branch(branch_id: int) -> str:
    """'Something changed in this branch': counter screens re-render for themselves."""
    return f"sq:branch:{branch_id}:changed"


def ticket(token: str) -> str:
    """A ticket's own page."""
    return f"sq:ticket:{token}"


def service(service_id: int) -> str:
    """The line of a service moved: its tickets' pages re-render their position."""
    return f"sq:service:{service_id}:line"
