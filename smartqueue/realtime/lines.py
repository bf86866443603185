"""One watch per service line per process: the ticket pages of a line are told of its
moves by the watch, not each by its own subscription.

When a line moves (another ticket called, a new one ahead, the queue paused), the watch
(a thread: a greenlet under gunicorn's gevent worker) reads the line once, works out for
each of its pages what that page must show, and wakes only the pages that must be sent
something, handing each its ready frame. A call still wakes every waiting page (each
place moved); a finish that moves no estimate wakes none. Before, every page woke for
every move, waited for the first one to read the line (shared.py), and drew its own
parts: about three times the floor of waking a socket and writing it a frame.

A watch is started by the first page of its line in this process and ends with the last
one (or with Redis: each page's own subscription then fails too, and the pages come back
later, starting a new watch).
"""

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from flask import Flask, current_app
from redis.exceptions import RedisError

from ..extensions import db
from ..screens.ticket import LineSnapshot, read_line
from . import channels
from .broker import Subscription, get_broker

# Pages worked out between two yields to the other greenlets (threads) of the process:
# the pages already handed their frame send it meanwhile, and an agent's answer waiting
# behind a long line is not held up for the whole of it.
YIELD_EVERY = 64


@dataclass(frozen=True)
class Reading:
    """The line as one reading found it (None: the service is gone), and when that
    reading began (time.monotonic): a page drawn whole after that knows better."""

    line: LineSnapshot | None
    started: float


class Page(Protocol):
    def line_moved(self, reading: Reading) -> object | None:
        """What to hand this page's socket for this reading, or None for nothing.
        Called in the watch's thread: computes without the database or the request."""


def fan_out(service_id: int, pages: dict[Page, Callable]) -> None:
    """Read the line once and hand each page (to its socket's deliver()) what it must be
    sent, if anything."""
    started = time.monotonic()
    try:
        line = read_line(service_id)
    finally:
        db.session.remove()
    reading = Reading(line, started)
    for n, (page, deliver) in enumerate(pages.items(), 1):
        item = page.line_moved(reading)
        if item is not None:
            deliver(item)
        if n % YIELD_EVERY == 0:
            time.sleep(0)


class LineWatch:
    """A service's channel, heard once for the pages of this process that show it."""

    def __init__(self, app: Flask, service_id: int, subscription: Subscription):
        self.app = app
        self.service_id = service_id
        self.subscription = subscription
        # page -> its socket's deliver(); a copy is taken for each move
        self.pages: dict[Page, Callable] = {}
        self.closed = False
        self.thread = threading.Thread(
            target=self._run, name=f"sq-line-{service_id}", daemon=True
        )

    def _run(self) -> None:
        with self.app.app_context():
            try:
                for message in self.subscription:
                    if self.closed:
                        return
                    if message is None:  # woken, or a quiet while
                        continue
                    self.subscription.drain()  # a burst: one reading shows it all
                    try:
                        fan_out(self.service_id, dict(self.pages))
                    except Exception:
                        # The pages keep what they show; the next move tries again.
                        current_app.logger.exception(
                            "line %s: could not tell its pages", self.service_id
                        )
            except RedisError:
                pass  # each page's own subscription fails too: the pages come back later
            finally:
                self.subscription.close()


class LineWatches:
    """This process's watches, by service; one per app (app.extensions)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._watches: dict[int, LineWatch] = {}

    def join(self, page: Page, service_id: int, deliver: Callable) -> None:
        """Have `page` told of its line's moves from now on (its watch started, and
        subscribed, if it is the first). Raises RedisError when Redis is away."""
        # Under the lock, subscription included: a page that joins a watch being
        # started must not miss what is published before that watch listens.
        with self._lock:
            watch = self._watches.get(service_id)
            if watch is None or watch.closed or not watch.thread.is_alive():
                subscription = get_broker().subscribe([channels.service(service_id)])
                watch = LineWatch(
                    current_app._get_current_object(), service_id, subscription
                )
                self._watches[service_id] = watch
                watch.thread.start()
            watch.pages[page] = deliver

    def leave(self, page: Page, service_id: int) -> None:
        with self._lock:
            watch = self._watches.get(service_id)
            if watch is None:
                return
            watch.pages.pop(page, None)
            if watch.pages:
                return
            del self._watches[service_id]
            watch.closed = True
        watch.subscription.close()
        watch.subscription.wake()  # its thread ends


def line_watches() -> LineWatches:
    watches = current_app.extensions.get("sq_line_watches")
    if watches is None:
        watches = current_app.extensions.setdefault("sq_line_watches", LineWatches())
    return watches
