"""Private, throwaway PostgreSQL and Redis servers for the test run (or URLs from the environment)."""

import glob
import os
import shutil
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(cmd: list[str]) -> list[str]:
    # initdb refuses to run as root: run the server as the postgres system user then.
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


class PostgresServer:
    def __init__(self):
        candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
        if not candidates:
            raise RuntimeError(
                "PostgreSQL binaries not found: run `make test` (it installs them)"
            )
        self.bin = os.path.dirname(candidates[-1])
        self.dir = tempfile.mkdtemp(prefix="sq-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")

    def start(self) -> str:
        subprocess.run(
            _as_postgres(
                [
                    f"{self.bin}/initdb",
                    "-D",
                    self.data,
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "-E",
                    "UTF8",
                    "--no-sync",
                ]
            ),
            check=True,
            capture_output=True,
        )
        options = (
            f"-p {self.port} -c listen_addresses=127.0.0.1 -k {self.dir} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        subprocess.run(
            _as_postgres(
                [
                    f"{self.bin}/pg_ctl",
                    "-D",
                    self.data,
                    "-o",
                    options,
                    "-l",
                    os.path.join(self.dir, "log"),
                    "-w",
                    "start",
                ]
            ),
            check=True,
            capture_output=True,
        )
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                [f"{self.bin}/pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop"]
            ),
            capture_output=True,
        )
        shutil.rmtree(self.dir, ignore_errors=True)


class RedisServer:
    def __init__(self):
        if shutil.which("redis-server") is None:
            raise RuntimeError(
                "redis-server not found: run `make test` (it installs it)"
            )
        self.dir = tempfile.mkdtemp(prefix="sq-redis-")
        self.port = free_port()
        self.pidfile = os.path.join(self.dir, "redis.pid")

    def start(self) -> str:
        subprocess.run(
            [
                "redis-server",
                "--bind",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--daemonize",
                "yes",
                "--dir",
                self.dir,
                "--pidfile",
                self.pidfile,
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        return f"redis://127.0.0.1:{self.port}/0"

    def halt(self) -> None:
        """Stop the server but keep its port and folder: `start()` brings it back (an outage)."""
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                time.sleep(0.05)
            except OSError:
                return

    def stop(self) -> None:
        self.halt()
        shutil.rmtree(self.dir, ignore_errors=True)


def run_worker(app_config: dict, smtp_port: int, timeout: int = 120):
    """`flask worker --burst` as a separate process, on the test's database, Redis and SMTP sink."""
    import sys
    from pathlib import Path

    env = dict(
        os.environ,
        FLASK_APP="wsgi.py",
        DATABASE_URL=app_config["SQLALCHEMY_DATABASE_URI"],
        REDIS_URL=app_config["REDIS_URL"],
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=str(smtp_port),
        SECRET_KEY=app_config["SECRET_KEY"],
    )
    return subprocess.run(
        [sys.executable, "-m", "flask", "worker", "--burst"],
        cwd=Path(__file__).resolve().parents[1],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
