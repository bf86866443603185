"""A real SMTP server (aiosmtpd) inside the test process that keeps what it receives."""

import email
import email.policy
import re
import threading
import time

from aiosmtpd.controller import Controller


class Mailbox:
    def __init__(self):
        self._messages: list[email.message.EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd handler hook
        message = email.message_from_bytes(
            envelope.content, policy=email.policy.default
        )
        with self._lock:
            self._messages.append(message)
        return "250 OK"

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def messages(self, to: str | None = None) -> list:
        with self._lock:
            found = list(self._messages)
        return [m for m in found if to is None or to.lower() in str(m["To"]).lower()]

    def wait_for(self, to: str, count: int = 1, timeout: float = 15.0) -> list:
        """Messages to an address, waiting for a worker or a browser-driven server to send them."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            found = self.messages(to)
            if len(found) >= count:
                return found
            time.sleep(0.05)
        raise AssertionError(
            f"expected {count} mail(s) to {to}, got {len(self.messages(to))}"
        )

    def last_code(self, to: str) -> str:
        message = self.wait_for(to)[-1]
        body = message.get_body(preferencelist=("plain",)).get_content()
        return re.search(r"\b(\d{6})\b", body).group(1)


def start_mailbox(port: int) -> tuple[Mailbox, Controller]:
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    return box, controller
