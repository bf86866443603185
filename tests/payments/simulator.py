"""The payment simulator as a process of its own, for the adapters' tests."""

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.services import free_port

ROOT = Path(__file__).resolve().parents[2]


class Simulator:
    """`python -m smartqueue.paysim` on a free port, with `settings`; stopped on exit."""

    def __init__(self, **settings):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.settings = settings
        self.process = None

    def __enter__(self):
        command = [sys.executable, "-m", "smartqueue.paysim", "--port", str(self.port)]
        for name, value in self.settings.items():
            command += ["--setting", f"{name}={value}"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1).read()
                return self
            except OSError:
                time.sleep(0.05)
        self.process.kill()
        raise RuntimeError("the payment simulator did not start")

    def __exit__(self, *exc):
        self.process.terminate()
        self.process.wait(10)
