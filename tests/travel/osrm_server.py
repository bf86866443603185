"""A small OSRM stand-in over real HTTP: it answers `/route/v1/...` and `/table/v1/...`
in the shape OSRM's HTTP API documents (project-osrm.org/docs, v5), from its own table of
fixed legs, and counts the requests it receives.

Coordinates are read as {longitude},{latitude}, as OSRM does: a client that swaps them
asks for points the table does not know, and gets no route (`NoRoute`, or `null` cells).
`behaviour` makes it misbehave: "slow" (answers after 1.5 s), "error" (HTTP 500),
"no_route" (every request: 400 NoRoute / NoTable), "mld" (refuses distance tables with
400 NotImplemented, as a server prepared with MLD does).
"""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

SLOW_SECONDS = 1.5


def _key(lon: float, lat: float) -> tuple[float, float]:
    return (round(lon, 4), round(lat, 4))


class FakeOsrm:
    def __init__(self, legs: dict):
        """legs: {(profile, (lon, lat), (lon, lat)): (seconds, metres)}."""
        self.legs = {
            (profile, _key(*a), _key(*b)): value
            for (profile, a, b), value in legs.items()
        }
        self.behaviour = "ok"
        self.requests: list[str] = []  # paths with their query, in arrival order
        self.coordinates_seen: list[list[tuple[float, float]]] = []  # as (lon, lat)
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )  # polls every 0.05 s: shutdown() waits for one poll

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._release.set()  # a "slow" answer still waiting gives up at once
        self._server.shutdown()
        self._server.server_close()

    def leg(self, profile, origin, destination):
        return self.legs.get((profile, origin, destination))

    def _handler(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                fake.requests.append(self.path)
                if fake.behaviour == "slow" and fake._release.wait(SLOW_SECONDS):
                    return
                if fake.behaviour == "error":
                    return self._send(500, b"Internal Server Error", "text/plain")
                status, body = fake.answer(self.path)
                self._send(status, json.dumps(body).encode(), "application/json")

            def _send(self, status, payload, content_type):
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (its timeout): nothing to tell it

            def log_message(self, *args):
                pass

        return Handler

    def answer(self, path: str) -> tuple[int, dict]:
        parts = urlsplit(path)
        segments = parts.path.strip("/").split("/")
        if len(segments) != 4 or segments[1] != "v1":
            return 400, {"code": "InvalidUrl", "message": "URL string malformed"}
        service, _, profile, coordinates = segments
        try:
            points = [
                _key(*map(float, pair.split(","))) for pair in coordinates.split(";")
            ]
        except ValueError:
            return 400, {"code": "InvalidQuery", "message": "bad coordinates"}
        if any(not (-180 <= lon <= 180 and -90 <= lat <= 90) for lon, lat in points):
            return 400, {"code": "InvalidValue", "message": "coordinates out of range"}
        self.coordinates_seen.append(points)
        options = {k: v[0] for k, v in parse_qs(parts.query).items()}
        if service == "route":
            return self._route(profile, points)
        if service == "table":
            return self._table(profile, points, options)
        return 400, {"code": "InvalidService", "message": f"no service {service}"}

    def _route(self, profile, points):
        leg = self.leg(profile, points[0], points[-1]) if len(points) == 2 else None
        if self.behaviour == "no_route" or leg is None:
            return 400, {
                "code": "NoRoute",
                "message": "Impossible route between points",
            }
        seconds, metres = leg
        return 200, {
            "code": "Ok",
            "routes": [
                {
                    "duration": seconds,
                    "distance": metres,
                    "weight": seconds,
                    "weight_name": "routability",
                    "legs": [{"duration": seconds, "distance": metres, "summary": ""}],
                }
            ],
            "waypoints": [self._waypoint(p) for p in points],
        }

    def _table(self, profile, points, options):
        if self.behaviour == "no_route":
            return 400, {"code": "NoTable", "message": "No table found"}
        annotations = options.get("annotations", "duration").split(",")
        if self.behaviour == "mld" and "distance" in annotations:
            return 400, {
                "code": "NotImplemented",
                "message": "Distance Table is only implemented for CH",
            }
        sources = self._indices(options.get("sources", "all"), len(points))
        destinations = self._indices(options.get("destinations", "all"), len(points))
        cells = [
            [self.leg(profile, points[i], points[j]) for j in destinations]
            for i in sources
        ]
        body = {
            "code": "Ok",
            "sources": [self._waypoint(points[i]) for i in sources],
            "destinations": [self._waypoint(points[j]) for j in destinations],
        }
        if "duration" in annotations:
            body["durations"] = [[c and c[0] for c in row] for row in cells]
        if "distance" in annotations:
            body["distances"] = [[c and c[1] for c in row] for row in cells]
        return 200, body

    @staticmethod
    def _indices(value, count):
        return (
            list(range(count)) if value == "all" else [int(i) for i in value.split(";")]
        )

    @staticmethod
    def _waypoint(point):
        return {"hint": "", "distance": 0.0, "name": "", "location": list(point)}
