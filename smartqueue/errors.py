"""Base class of domain errors: a refused move, with a message meant for the user."""


class DomainError(Exception):
    """Raised by operations; views turn it into a form error or a 4xx, never a 500."""

    field: str | None = None

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        if field is not None:
            self.field = field
