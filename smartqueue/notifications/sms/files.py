"""The embedded SMS "gateway": no provider, each message printed and kept as a small
text file under instance/sms/ (SMS_DIR), as embedded mail is under instance/mail/."""

import re
from datetime import datetime, timezone
from pathlib import Path

from ..adapters import Sent
from ..gsm import segments, to_gsm7


class FileSmsGateway:
    name = "file"

    def __init__(self, folder: str | Path):
        self.folder = Path(folder)

    def send(self, to: str, text: str, reference: str) -> Sent:
        """Print the SMS as it would leave and save it; Sent("file:<file name>")."""
        folded = to_gsm7(text)
        encoding, parts = segments(folded)
        self.folder.mkdir(parents=True, exist_ok=True)
        # The machine's clock, not the app's (a frozen one would give every file one
        # name); the reference keeps two messages of one microsecond apart.
        stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S%f")
        name = re.sub(r"[^a-zA-Z0-9]+", "_", f"{stamp}-{to}-{reference}").strip("_")
        name = f"{name}.txt"
        (self.folder / name).write_text(
            f"To: {to}\nReference: {reference}\nEncoding: {encoding}, {parts} SMS\n\n"
            f"{folded}\n",
            encoding="utf-8",
        )
        print(f"--- sms to {to} ({parts} SMS, {encoding})\n{folded}\n---", flush=True)
        return Sent(f"file:{name}", parts)
