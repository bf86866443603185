"""What the live benchmarks share: PostgreSQL + Redis + gunicorn, a seeded branch, clients.

The stack is production's: a private PostgreSQL cluster and Redis server (started like the
test suite's, tests/services.py), migrated with `flask db upgrade` and `flask seed-reference`
(the Procfile's release line), and the app served by gunicorn as the Procfile's web line
does (`-k gevent --worker-connections 1000`, plus `--no-control-socket`). The benchmark
process itself holds an app on the same database and Redis, to seed it and to drive the
engine (operations.*), exactly as a web process or a worker would.
"""

import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta
from datetime import time as daytime
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import harness  # noqa: F401  (sets up the path and the environment first)
from harness import ROOT, machine, make_desk, percentile
from sqlalchemy import create_engine, insert, text

from smartqueue import clock, create_app
from smartqueue.extensions import db

VENV_BIN = ROOT / ".venv" / "bin"
SECRET_KEY = os.environ["SECRET_KEY"]  # harness set it: gunicorn gets the same one
PASSWORD = "banc-d-essai-2026"
ALL_DAY = (daytime(0, 0), daytime(23, 59, 59))  # open whatever the hour

__all__ = [
    "ALL_DAY",
    "Gunicorn",
    "HttpClient",
    "PASSWORD",
    "ROOT",
    "Stack",
    "StatementLog",
    "cpu_seconds",
    "csrf_token",
    "gzip6",
    "machine_facts",
    "percentile",
    "redis_clients_by_process",
    "rss_kib",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Stack:
    """PostgreSQL + Redis, a migrated database, and an app on them in this process."""

    def __init__(self, redis_in_app: bool = True):
        self.redis_in_app = redis_in_app
        self.instance = tempfile.mkdtemp(prefix="sq-bench-live-")
        self.pg = self.redis = self.app = None

    def __enter__(self) -> "Stack":
        from tests.services import PostgresServer, RedisServer

        self.pg = PostgresServer()
        admin_url = self.pg.start()
        self.redis = RedisServer()
        self.redis_url = self.redis.start()
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE smartqueue"))
        admin.dispose()
        # What DATABASE_URL looks like in production (config.py adds +psycopg itself).
        self.database_url = (
            admin_url.rsplit("/", 1)[0].replace(
                "postgresql+psycopg://", "postgresql://", 1
            )
            + "/smartqueue"
        )
        self.sqlalchemy_url = self.database_url.replace(
            "postgresql://", "postgresql+psycopg://", 1
        )
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": os.environ.get("HOME", "/root"),
            "LANG": "C.UTF-8",
            "FLASK_APP": "wsgi.py",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "SECRET_KEY": SECRET_KEY,
            "COOKIE_SECURE": "0",
            "RATELIMIT_ENABLED": "0",
            "SMARTQUEUE_INSTANCE": self.instance,
            "PYTHONDONTWRITEBYTECODE": "1",
        }
        for command in (["db", "upgrade"], ["seed-reference"]):  # Procfile: release
            done = subprocess.run(
                [str(VENV_BIN / "flask"), *command],
                cwd=ROOT,
                env=self.env,
                capture_output=True,
                text=True,
            )
            if done.returncode:
                raise RuntimeError(f"flask {' '.join(command)} failed:\n{done.stderr}")
        self.app = create_app(
            {
                "SQLALCHEMY_DATABASE_URI": self.sqlalchemy_url,
                "REDIS_URL": self.redis_url if self.redis_in_app else None,
                "MAIL_SERVER": None,
                "EMBEDDED_SCHEDULER": False,
                "RATELIMIT_ENABLED": False,
                "PASSWORD_HASH_PROFILE": "CHEAPEST",  # seeding: argon2 at its cheapest
            }
        )
        self.context = self.app.app_context()
        self.context.push()
        return self

    def __exit__(self, *exc) -> None:
        try:
            if self.app is not None:
                db.session.remove()
                db.engine.dispose()
                self.context.pop()
        finally:
            if self.redis is not None:
                self.redis.stop()
            if self.pg is not None:
                self.pg.stop()
            shutil.rmtree(self.instance, ignore_errors=True)

    def versions(self) -> dict:
        info = machine(self.sqlalchemy_url)
        info["redis"] = (
            subprocess.run(
                ["redis-cli", "-u", self.redis_url, "INFO", "server"],
                capture_output=True,
                text=True,
            )
            .stdout.split("redis_version:", 1)[-1]
            .split()[0]
        )
        info["redis"] = "Redis " + info["redis"]
        return info

    def gunicorn(
        self, target: str = "wsgi:app", workers: int = 2, env: dict | None = None, **kw
    ) -> "Gunicorn":
        return Gunicorn(target, {**self.env, **(env or {})}, workers=workers, **kw)

    # --- seeding ---------------------------------------------------------------------

    def seed_branch(self, services, counters, name="Plateau"):
        """A branch (ENTERPRISE, open 00:00-23:59:59 every day) with its services and open
        counters; one verified agent per counter (password PASSWORD), member of the branch."""
        from smartqueue.accounts.secrets import hash_password
        from smartqueue.models import Membership, Role

        desk = make_desk(services, counters, opens=ALL_DAY[0], closes=ALL_DAY[1])
        desk.branch.name = f"Agence {name} (banc d'essai)"
        desk.branch.organization.name = f"Banque du banc d'essai, {name}"
        hashed = hash_password(PASSWORD)
        for agent in desk.agents:
            agent.email = f"{name.lower()}-{agent.email}"
            agent.password_hash = hashed
            agent.email_verified_at = clock.now()
            db.session.add(
                Membership(
                    user=agent,
                    organization_id=desk.branch.organization_id,
                    branch_id=desk.branch.id,
                    role=Role.AGENT,
                )
            )
        db.session.commit()
        return desk

    def device(self, branch, kind) -> str:
        """A kiosk or board link of `branch`: its secret token."""
        from smartqueue.queueing.devices import create_device

        _device, token = create_device(branch, kind, f"{kind.value} banc", by=None)
        return token

    def fill(self, service, count: int) -> None:
        """`count` waiting tickets of today for `service`, as issue_ticket leaves them
        (bulk-inserted; the daily number counter is moved past them)."""
        from smartqueue.models import (
            Channel,
            DailyCounter,
            Priority,
            Ticket,
            TicketStatus,
        )

        now = clock.now()
        day = clock.today()
        start = now - timedelta(hours=1)
        rows = []
        for i in range(count):
            arrived = start + timedelta(seconds=3600 * i / max(count, 1))
            rows.append(
                {
                    "token": f"bench{service.id}x{i + 1}x{os.urandom(6).hex()}",
                    "branch_id": service.branch_id,
                    "service_id": service.id,
                    "day": day,
                    "number": i + 1,
                    "code": f"{service.prefix}{i + 1:03d}",
                    "status": TicketStatus.WAITING,
                    "priority": Priority.NORMAL,
                    "channel": Channel.KIOSK,
                    "locale": "fr",
                    "rank_key": arrived.timestamp(),
                    "arrived_at": arrived,
                    "created_at": arrived,
                    "recall_count": 0,
                    "pass_count": 0,
                }
            )
        for chunk in range(0, len(rows), 5000):
            db.session.execute(insert(Ticket), rows[chunk : chunk + 5000])
        db.session.execute(
            insert(DailyCounter).values(
                scope="service", scope_id=service.id, day=day, value=count
            )
        )
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()


class Gunicorn:
    """One gunicorn, as the Procfile's web line starts it, on a private port."""

    def __init__(
        self,
        target: str,
        env: dict,
        workers: int = 2,
        port: int | None = None,
        pythonpath: str | None = None,
        worker_connections: int = 1000,
    ):
        self.port = port or free_port()
        self.env = env
        self.args = [
            "-k",
            "gevent",
            "--worker-connections",
            str(worker_connections),
            "-w",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--no-control-socket",
        ]
        if pythonpath:
            self.args += ["--pythonpath", pythonpath]
        self.args.append(target)
        self.workers_wanted = workers
        self.log = tempfile.NamedTemporaryFile(
            prefix="sq-gunicorn-", suffix=".log", delete=False
        )
        self.proc = None

    @property
    def command(self) -> str:
        return "gunicorn " + " ".join(self.args)

    def __enter__(self) -> "Gunicorn":
        self.proc = subprocess.Popen(
            [str(VENV_BIN / "gunicorn"), *self.args],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.log_tail()}")
            if len(self.worker_pids()) == self.workers_wanted:
                try:
                    conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
                    conn.request("GET", "/__bench_ready__")
                    conn.getresponse().read()
                    conn.close()
                    return self
                except OSError:
                    pass
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_tail()}")

    def __exit__(self, *exc) -> None:
        try:
            self._stop()
        finally:
            self.log.close()
            Path(self.log.name).unlink(missing_ok=True)

    def _stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # graceful: the master stops its workers
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            for pid in self.worker_pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass

    def worker_pids(self) -> list[int]:
        try:
            children = Path(
                f"/proc/{self.proc.pid}/task/{self.proc.pid}/children"
            ).read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def log_tail(self, lines: int = 40) -> str:
        self.log.flush()
        return "\n".join(
            Path(self.log.name).read_text(errors="replace").splitlines()[-lines:]
        )


def rss_kib(pid: int) -> int:
    """Resident memory of a process (VmRSS, KiB)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_seconds(pid: int) -> float:
    """user + system CPU time of a process so far (/proc/<pid>/stat)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _socket_inodes(pid: int) -> set[str]:
    inodes = set()
    folder = Path(f"/proc/{pid}/fd")
    try:
        entries = list(folder.iterdir())
    except OSError:
        return inodes
    for entry in entries:
        try:
            target = os.readlink(entry)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return inodes


def _local_port_inodes() -> dict[int, str]:
    """Local TCP port -> socket inode, for the machine's IPv4 and IPv6 sockets."""
    found = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            found[int(fields[1].rsplit(":", 1)[1], 16)] = fields[9]
    return found


def redis_clients_by_process(redis_client, pids) -> dict:
    """Redis's CLIENT LIST attributed to the processes that hold each connection:
    {pid: [client name or "-", ...]} for `pids`, and None: the other connections (this
    process's own, ...). A connection is matched by its local port's socket inode."""
    inode_owner = {inode: pid for pid in pids for inode in _socket_inodes(pid)}
    port_inode = _local_port_inodes()
    found: dict = {pid: [] for pid in pids}
    found[None] = []
    for client in redis_client.client_list():
        port = int(client["addr"].rsplit(":", 1)[1])
        owner = inode_owner.get(port_inode.get(port))
        found[owner].append(client.get("name") or "-")
    return found


class StatementLog:
    """Counts the statements PostgreSQL runs, from its server log (log_statement = 'all'),
    between marks: the benchmark's own connection (application_name MARKER) writes a
    `SELECT 'sq-mark <label>'`, and every statement logged by another application after
    it, until the next mark, belongs to that label. Multi-line statements count once
    (only lines starting with the log_line_prefix are read)."""

    MARKER = "sq-bench-marker"
    PREFIX = "@@%a@@ "
    _LINE = re.compile(r"^@@(.*?)@@ LOG:  (?:statement|execute [^:]*): (.*)$")

    def __init__(self, stack: "Stack"):
        self.path = Path(stack.pg.dir) / "log"
        self.url = stack.sqlalchemy_url.replace(
            "postgresql+psycopg://", "postgresql://"
        )
        self.conn = None

    def start(self) -> None:
        import psycopg

        self.conn = psycopg.connect(
            self.url, autocommit=True, application_name=self.MARKER
        )
        self._configure("'all'", f"'{self.PREFIX}'")
        self.offset = self.path.stat().st_size
        self.mark("start")

    def stop(self) -> None:
        self.mark("stop")
        self._configure("DEFAULT", "DEFAULT")
        self.conn.close()

    def _configure(self, log_statement: str, prefix: str) -> None:
        self.conn.execute(f"ALTER SYSTEM SET log_statement = {log_statement}")
        self.conn.execute(f"ALTER SYSTEM SET log_line_prefix = {prefix}")
        self.conn.execute("SELECT pg_reload_conf()")
        time.sleep(0.2)  # each backend reads the new settings before its next command

    def mark(self, label: str) -> None:
        self.conn.execute(f"SELECT 'sq-mark {label}'")

    def counts(self, keep=()) -> tuple[dict[str, int], dict[str, list[str]]]:
        """({label: statements logged after that mark}, {label in `keep`: their text})
        (a run with thousands of pages logs millions: only the kept ones are held)."""
        counted: dict[str, int] = {}
        kept: dict[str, list[str]] = {label: [] for label in keep}
        current = None
        with open(self.path, errors="replace") as log:
            log.seek(self.offset)
            for line in log:
                match = self._LINE.match(line)
                if match is None:
                    continue
                app, statement = match.groups()
                if app == self.MARKER:
                    if statement.startswith("SELECT 'sq-mark "):
                        current = statement[len("SELECT 'sq-mark ") : -1]
                        counted[current] = 0
                    continue
                if current is not None:
                    counted[current] += 1
                    if current in kept:
                        kept[current].append(statement)
        return counted, kept


class HttpClient:
    """One keep-alive connection with its own cookies (a phone, a kiosk, an agent)."""

    def __init__(self, port: int, host: str = "127.0.0.1"):
        self.host, self.port = host, port
        self.cookies: dict[str, str] = {}
        self.conn = http.client.HTTPConnection(host, port, timeout=30)

    def request(self, method: str, path: str, form: dict | None = None, headers=None):
        """(status, headers, body bytes); redirects are not followed."""
        sent = {"Host": f"{self.host}:{self.port}", "Connection": "keep-alive"}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            sent["Content-Type"] = "application/x-www-form-urlencoded"
        sent.update(headers or {})
        try:
            self.conn.request(method, path, body=body, headers=sent)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()  # a fresh connection for the next request
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
            raise
        for value in response.msg.get_all("Set-Cookie") or ():
            jar = SimpleCookie()
            jar.load(value)
            for name, morsel in jar.items():
                if morsel.value:
                    self.cookies[name] = morsel.value
                else:
                    self.cookies.pop(name, None)
        if response.will_close:
            self.conn.close()
            self.conn = http.client.HTTPConnection(self.host, self.port, timeout=30)
        return response.status, response.msg, data

    def close(self) -> None:
        self.conn.close()


_CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"|"X-CSRFToken": "([^"]+)"')


def csrf_token(html: bytes) -> str:
    match = _CSRF.search(html)
    if match is None:
        raise RuntimeError("no CSRF token in the page")
    return (match.group(1) or match.group(2)).decode()


def gzip6(data: bytes) -> int:
    """Size of `data` gzipped at level 6 (nginx's gzip_comp_level is 1 by default; 6 is
    what most CDNs and `gzip` use)."""
    return len(gzip.compress(data, compresslevel=6, mtime=0))


def machine_facts(stack: Stack) -> str:
    info = stack.versions()
    return ", ".join(f"{k}={v}" for k, v in info.items())


def command_line() -> str:
    return ".venv/bin/python " + " ".join(
        [os.path.relpath(sys.argv[0], ROOT), *sys.argv[1:]]
    )


def now_text() -> str:
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
