"""The email channel: through the configured SMTP server, or (embedded mode) printed and
saved under instance/mail/ for a developer to open."""

import re
from pathlib import Path

from flask import current_app
from flask_mail import Message

from ..extensions import mail
from ..models.outbox import real_now
from .adapters import Sent


def send_email(to: str, subject: str, body: str, html: str | None, name: str) -> Sent:
    """Send one email; `name` tells the embedded copy apart (its file name)."""
    message = Message(subject=subject, recipients=[to], body=body, html=html)
    if current_app.config.get("MAIL_SERVER"):
        mail.send(message)
        return Sent()
    folder = Path(current_app.config["MAIL_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    # The machine's clock, not the app's: under a frozen one, mails would share a name.
    stamp = real_now().strftime("%Y%m%dT%H%M%S%f")
    safe = re.sub(r"[^a-zA-Z0-9]+", "_", f"{to}-{name}")
    (folder / f"{stamp}-{safe}.eml").write_bytes(message.as_bytes())
    print(f"--- mail to {to}: {subject}\n{body}\n---", flush=True)
    return Sent(provider_ref=f"file:{stamp}-{safe}.eml")
