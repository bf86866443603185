"""The production set-up as separate processes, for tests that cross them: gunicorn web
processes, `flask worker` and `flask cron`, and a cookie-keeping HTTP client."""

import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def wait_for(condition, what: str, timeout: float = 60.0, every: float = 0.05):
    """condition()'s first truthy value, polled every `every` seconds; fails the test
    after `timeout` (what other processes do takes its own time)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"gave up waiting for {what}")


def production_env(app_config: dict, **extra: str) -> dict:
    """The environment a production process reads (config.py), on the test's services."""
    env = dict(
        os.environ,
        FLASK_APP="wsgi.py",
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app_config["REDIS_URL"],
        SECRET_KEY=app_config["SECRET_KEY"],
        COOKIE_SECURE="0",
        RATELIMIT_ENABLED="0",
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(app_config.get("MAIL_PORT", 25)),
    )
    env.update(extra)
    return env


def _wait_for_port(process: subprocess.Popen, port: int, what: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(process.stderr.read().decode()[-2000:]) from None
            time.sleep(0.1)
    raise RuntimeError(f"{what} did not start")


def serve_web(env: dict, port: int) -> subprocess.Popen:
    """One production web process: gunicorn with the gevent worker, as in the Procfile."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "-k",
            "gevent",
            "--worker-connections",
            "100",
            "-w",
            "1",
            "--bind",
            f"127.0.0.1:{port}",
            "--no-control-socket",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    _wait_for_port(process, port, "gunicorn")
    return process


def run_flask(env: dict, *command: str, log: Path | None = None) -> subprocess.Popen:
    """`flask <command>` (worker, cron) in the background, its output kept in `log`."""
    out = open(log, "ab") if log else subprocess.DEVNULL
    return subprocess.Popen(
        [sys.executable, "-m", "flask", *command],
        cwd=ROOT,
        env=env,
        stdout=out,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Stop a process group started here (SIGKILL kills it mid-whatever it was doing)."""
    if process.poll() is None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
    try:
        process.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)


class Browser:
    """A cookie-keeping HTTP client that posts forms with their CSRF token and reports
    every answer's status (4xx and 5xx included) instead of raising."""

    def __init__(self, base: str):
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def request(self, path: str, body: bytes | None = None) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, data=body, timeout=20) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode(errors="replace")

    def get(self, path: str) -> str:
        return self.request(path)[1]

    def post(self, path: str, data: dict, token_from: str) -> int:
        return self.submit(path, data, token_from)[0]

    def submit(self, path: str, data: dict, token_from: str) -> tuple[int, str]:
        """POST a form after reading its CSRF token from `token_from` (status, body)."""
        status, page = self.request(token_from)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
        if token is None:
            return status, page
        body = urllib.parse.urlencode(dict(data, csrf_token=token.group(1))).encode()
        return self.request(path, body)
