"""Work done once per change per process, whatever the number of sockets that need it.

When a change is published, every socket of this process that listens to its channel
wakes up. What they all need (a branch's waiting lists, for its counter screens) is
computed by the first one that asks, while the others wait for it, and then handed to
each: forty screens cost one read, not forty. Ticket pages go further: their line's watch
(lines.py) works out each page's frame and wakes only the pages that need one.

A key names a change (the message carries a change id: channels.stamp)
and what is computed for it; the last KEEP keys are kept, more than the changes a busy
process sees in the time its sockets take to read one.
"""

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

from flask import current_app

T = TypeVar("T")
KEEP = 512


class _Entry:
    def __init__(self):
        self.done = threading.Event()
        self.value = None
        self.error: Exception | None = None


class OncePerChange:
    def __init__(self, keep: int = KEEP):
        self._keep = keep
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()

    def get(self, key: Hashable, compute: Callable[[], T]) -> T:
        """compute()'s value for `key`: computed here if nobody did, else theirs."""
        with self._lock:
            entry = self._entries.get(key)
            mine = entry is None
            if mine:
                entry = self._entries[key] = _Entry()
                while len(self._entries) > self._keep:
                    self._entries.popitem(last=False)
        if mine:
            try:
                entry.value = compute()
            except Exception as error:
                entry.error = error
                with self._lock:  # the next socket tries again
                    if self._entries.get(key) is entry:
                        del self._entries[key]
                raise
            finally:
                entry.done.set()
        else:
            entry.done.wait()
            if entry.error is not None:
                raise entry.error
        return entry.value


def once_per_change(key: Hashable, compute: Callable[[], T]) -> T:
    """The app's OncePerChange (one per process)."""
    shared = current_app.extensions.get("sq_once_per_change")
    if shared is None:
        shared = current_app.extensions.setdefault(
            "sq_once_per_change", OncePerChange()
        )
    return shared.get(key, compute)
