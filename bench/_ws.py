"""A minimal websocket client over asyncio streams (framing by wsproto, which simple-websocket
already brings): hundreds of connections in one event loop, each message timestamped with
time.monotonic() the moment its last byte was read."""

import asyncio
import time

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)


class WsClient:
    """One socket. `on_message(text, monotonic_time)` is called for every whole message."""

    def __init__(self, host: str, port: int, path: str, on_message=None, headers=None):
        self.host, self.port, self.path = host, port, path
        self.headers = list(headers or [])  # e.g. [("Origin", "http://...")]
        self.on_message = on_message or (lambda text, at: None)
        self.accepted = asyncio.Event()
        self.first = asyncio.Event()  # the first message (the socket's snapshot) came
        self.first_size = 0
        self.messages = 0
        self.closed = asyncio.Event()
        self.error: str | None = None
        self._writer = None
        self._ws = WSConnection(ConnectionType.CLIENT)

    async def run(self) -> None:
        try:
            reader, self._writer = await asyncio.open_connection(self.host, self.port)
            self._writer.write(
                self._ws.send(
                    Request(
                        host=f"{self.host}:{self.port}",
                        target=self.path,
                        extra_headers=self.headers,
                    )
                )
            )
            parts: list[str] = []
            while True:
                data = await reader.read(65536)
                at = time.monotonic()
                if not data:
                    break
                self._ws.receive_data(data)
                for event in self._ws.events():
                    if isinstance(event, AcceptConnection):
                        self.accepted.set()
                    elif isinstance(event, RejectConnection):
                        self.error = f"rejected: {event.status_code}"
                        return
                    elif isinstance(event, TextMessage | BytesMessage):
                        chunk = event.data
                        parts.append(
                            chunk if isinstance(chunk, str) else chunk.decode()
                        )
                        if event.message_finished:
                            text = "".join(parts)
                            parts = []
                            self.messages += 1
                            if not self.first.is_set():
                                self.first_size = len(text.encode())
                                self.first.set()
                            self.on_message(text, at)
                    elif isinstance(event, Ping):
                        self._writer.write(self._ws.send(event.response()))
                    elif isinstance(event, CloseConnection):
                        if not self.first.is_set():
                            self.error = f"closed before any message: {event.code}"
                        self._writer.write(self._ws.send(event.response()))
                        return
        except Exception as error:  # refused, reset: the caller counts it
            self.error = repr(error)
        finally:
            self.closed.set()
            self.first.set()  # nobody waits forever for a snapshot that will not come
            if self._writer is not None:
                self._writer.close()

    async def close(self) -> None:
        if self._writer is None or self.closed.is_set():
            return
        try:
            self._writer.write(self._ws.send(CloseConnection(code=1000)))
            await self._writer.drain()
        except Exception:
            pass
        try:
            await asyncio.wait_for(self.closed.wait(), 2)
        except TimeoutError:
            self._writer.close()


async def first_message(host: str, port: int, path: str, timeout: float = 10) -> str:
    """Connect, return the first message (a socket's snapshot), close."""
    received: list[str] = []
    client = WsClient(host, port, path, lambda text, at: received.append(text))
    task = asyncio.create_task(client.run())
    await asyncio.wait_for(client.first.wait(), timeout)
    await client.close()
    await task
    if client.error and not received:
        raise RuntimeError(client.error)
    return received[0]
