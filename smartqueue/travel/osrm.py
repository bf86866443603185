"""The OSRM adapter: free-flow durations from an OSRM server's `route` and `table`
services (HTTP API v1, project-osrm.org/docs), over the standard library.

Coordinates go as {longitude},{latitude}. Any failure (no answer within the timeout, a
refused connection, an HTTP error, a `code` other than "Ok", a body that is not the
documented shape) raises OsrmUnavailable; the engine then estimates instead.
"""

import json
import urllib.error
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

TIMEOUT_SECONDS = 1.0


class OsrmUnavailable(Exception):
    """OSRM gave no usable answer; `code` is OSRM's own when it named one."""

    def __init__(self, reason: str, code: str | None = None):
        super().__init__(reason)
        self.code = code


@dataclass(frozen=True)
class Leg:
    """OSRM's answer for one origin: seconds and metres, or None when it found no route."""

    seconds: float | None
    metres: float | None


def base_url(osrm_url: str, profile: str) -> str:
    """A stock osrm-routed serves the one dataset it was started with whatever the
    profile in the path; a deployment with one server per profile gives a URL with
    `{profile}` in it (http://osrm-{profile}:5000)."""
    return osrm_url.replace("{profile}", profile).rstrip("/")


def _coordinates(points: Sequence) -> str:
    return ";".join(f"{p.lon:.6f},{p.lat:.6f}" for p in points)


def _get(url: str, timeout: float) -> dict:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = json.load(response)
    except urllib.error.HTTPError as error:
        # OSRM answers its own errors with 400 and a JSON `code`: name it in the log.
        try:
            code = json.load(error).get("code")
        except (ValueError, AttributeError, OSError):
            code = None
        reason = f"HTTP {error.code} {code or ''}".strip()
        raise OsrmUnavailable(reason, code) from error
    except (OSError, ValueError) as error:  # timeouts and refusals are OSErrors
        raise OsrmUnavailable(f"{type(error).__name__}: {error}") from error
    if not isinstance(body, dict) or body.get("code") != "Ok":
        code = body.get("code") if isinstance(body, dict) else None
        raise OsrmUnavailable(f"code {code!r}", code)
    return body


def route(
    osrm_url: str, profile: str, origin, destination, timeout: float = TIMEOUT_SECONDS
) -> Leg:
    """GET /route/v1/{profile}/{lon},{lat};{lon},{lat}?overview=false: the first route."""
    url = (
        f"{base_url(osrm_url, profile)}/route/v1/{profile}/"
        f"{_coordinates([origin, destination])}?overview=false"
    )
    body = _get(url, timeout)
    try:
        best = body["routes"][0]
        return Leg(float(best["duration"]), float(best["distance"]))
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise OsrmUnavailable(f"unexpected route answer: {error!r}") from error


def table(
    osrm_url: str,
    profile: str,
    origins: Sequence,
    destination,
    timeout: float = TIMEOUT_SECONDS,
) -> list[Leg]:
    """GET /table/v1/{profile}/{origins};{destination}: every origin to the destination
    in one request, in the origins' order.

    Distances come only from a server prepared with CH: an MLD server answers
    `NotImplemented` to `annotations=duration,distance`, so durations alone are asked
    again, once (the engine then takes distances from the great circle).
    """
    last = len(origins)
    query = {
        "sources": ";".join(str(i) for i in range(last)),
        "destinations": str(last),
    }
    path = (
        f"{base_url(osrm_url, profile)}/table/v1/{profile}/"
        f"{_coordinates([*origins, destination])}?"
    )
    try:
        body = _get(
            path + urlencode({**query, "annotations": "duration,distance"}, safe=";,"),
            timeout,
        )
    except OsrmUnavailable as error:
        if error.code != "NotImplemented":
            raise
        body = _get(
            path + urlencode({**query, "annotations": "duration"}, safe=";,"), timeout
        )
    try:
        durations = body["durations"]
        distances = body.get("distances") or [[None]] * last
        if len(durations) != last or len(distances) != last:
            raise ValueError(f"{len(durations)} rows for {last} origins")
        return [
            Leg(_number(row_s[0]), _number(row_m[0]))
            for row_s, row_m in zip(durations, distances, strict=True)
        ]
    except (KeyError, IndexError, TypeError, ValueError) as error:
        raise OsrmUnavailable(f"unexpected table answer: {error!r}") from error


def _number(value) -> float | None:
    return None if value is None else float(value)
