"""One HTTP POST to an SMS provider, over the standard library, with a short timeout to
connect and a longer one to read (a provider that accepted a message may take seconds
to answer; one that does not answer the phone should not hold a worker).

Whatever goes wrong on the way (no connection, a timeout, a broken answer) raises
`GatewayUnavailable`: a failure worth retrying. Reading the status is the adapter's job.
"""

import http.client
import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

CONNECT_TIMEOUT = 3.0
READ_TIMEOUT = 10.0

_E164 = re.compile(r"\+[1-9][0-9]{6,14}")


class GatewayUnavailable(Exception):
    """The provider gave no usable answer (network, timeout, 5xx, an unexpected reply):
    the message may be sent again later."""


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> dict | None:
        """The body as a JSON object, or None when it is not one."""
        try:
            value = json.loads(self.body or b"null")
        except ValueError:
            return None
        return value if isinstance(value, dict) else None

    def excerpt(self, limit: int = 200) -> str:
        return self.body[:limit].decode("utf-8", "replace")


def is_e164(number: str) -> bool:
    return bool(_E164.fullmatch(number or ""))


def post(
    url: str,
    body: bytes,
    headers: dict[str, str],
    *,
    connect_timeout: float = CONNECT_TIMEOUT,
    read_timeout: float = READ_TIMEOUT,
) -> Response:
    """POST `body` to `url`; the answer whatever its status, or GatewayUnavailable."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise GatewayUnavailable(f"not an http(s) URL: {url!r}")
    connection_class = (
        http.client.HTTPSConnection
        if parts.scheme == "https"
        else http.client.HTTPConnection
    )
    connection = connection_class(parts.hostname, parts.port, timeout=connect_timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.connect()  # TCP, and TLS for https, within connect_timeout
        connection.sock.settimeout(read_timeout)
        connection.request("POST", target, body=body, headers=headers)
        answer = connection.getresponse()
        return Response(answer.status, answer.read())
    except (OSError, http.client.HTTPException) as error:  # timeouts are OSErrors
        raise GatewayUnavailable(
            f"POST {parts.scheme}://{parts.netloc}{parts.path}: "
            f"{type(error).__name__}: {error}"
        ) from error
    finally:
        connection.close()
