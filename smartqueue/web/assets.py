"""Static files under content-hashed names, cached for a year, and compressed answers.

Each process reads `static/` once when the app is built: a file's URL carries the first
characters of its bytes' SHA-256 (`css/app.css` -> `/static/css/app.3f2a9c1e4b.css`), so a
new deploy changes the URL of what changed and a phone may keep the rest for a year without
asking again. The bytes are kept in memory with the manifest, so a hashed URL always answers
the bytes it names. Our own ~60 lines instead of a library: Flask-Static-Digest (last release
2024) writes hashed copies and a manifest at build time, a step `make run`, the Procfile and
the tests would all have to remember; WhiteNoise hashes names only through Django.

Files are compressed once per process (brotli 11 or gzip 9, kept in memory) and served as
such to clients that accept them; HTML and the other dynamic answers are compressed on the
way out by Flask-Compress (brotli 4 or gzip 6, 500 bytes or more; empty answers such as the
websocket upgrade's and streamed answers are left alone).
"""

import gzip
import hashlib
import mimetypes
import re
from dataclasses import dataclass, field
from pathlib import Path

import brotli
from flask import Flask, Response, abort, request
from flask_compress import Compress

DIGEST_LENGTH = 10
IMMUTABLE = "public, max-age=31536000, immutable"
# An unhashed or outdated name (a page cached before a deploy): kept briefly, then checked.
SHORT = "public, max-age=300"
MIN_COMPRESSED = 500  # below this, the headers outweigh what compression saves
HASHED = re.compile(
    rf"^(?P<stem>.+)\.(?P<digest>[0-9a-f]{{{DIGEST_LENGTH}}})(?P<ext>\.[^./]+)$"
)
TEXT_TYPES = ("text/", "application/javascript", "image/svg+xml", "application/json")


@dataclass
class Asset:
    """One static file: its bytes, their digest, and compressed forms made on first use."""

    body: bytes
    digest: str
    mimetype: str
    encoded: dict = field(default_factory=dict)

    def body_for(self, encoding: str | None) -> bytes:
        if encoding is None:
            return self.body
        if encoding not in self.encoded:
            if encoding == "br":
                self.encoded[encoding] = brotli.compress(self.body, quality=11)
            else:
                self.encoded[encoding] = gzip.compress(self.body, 9, mtime=0)
        return self.encoded[encoding]

    @property
    def compressible(self) -> bool:
        return len(self.body) >= MIN_COMPRESSED and self.mimetype.startswith(TEXT_TYPES)


def hashed_name(filename: str, digest: str) -> str:
    stem, dot, ext = filename.rpartition(".")
    if not dot or "/" in ext:
        return f"{filename}.{digest}"
    return f"{stem}.{digest}.{ext}"


def build_manifest(folder: Path) -> dict[str, Asset]:
    """Every file under `folder` by its path relative to it ('css/app.css')."""
    manifest = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith("."):
            continue
        body = path.read_bytes()
        mimetype = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        manifest[path.relative_to(folder).as_posix()] = Asset(
            body=body,
            digest=hashlib.sha256(body).hexdigest()[:DIGEST_LENGTH],
            mimetype=mimetype,
        )
    return manifest


def _chosen_encoding(asset: Asset) -> str | None:
    if not asset.compressible:
        return None
    accepted = request.accept_encodings
    for encoding in ("br", "gzip"):
        if accepted[encoding]:  # quality > 0, named or through '*'
            return encoding
    return None


def _static_files_leave_the_session(interface):
    """A static answer neither sets the session cookie nor varies on it (the hooks that
    read the session on every request would add `Vary: Cookie`, and a browser keeps
    such an answer only until the cookie changes)."""

    class StaticFilesLeaveTheSession(type(interface)):
        def save_session(self, app, session, response):
            if request.endpoint != "static":
                super().save_session(app, session, response)

    return StaticFilesLeaveTheSession()


def register(app: Flask) -> None:
    """Hashed static URLs and their year-long cache, and compression of answers."""
    manifest = build_manifest(Path(app.static_folder))
    app.extensions["sq_assets"] = manifest

    @app.url_defaults
    def _hashed_static_url(endpoint, values):
        if endpoint == "static":
            asset = manifest.get(values.get("filename", ""))
            if asset is not None:
                values["filename"] = hashed_name(values["filename"], asset.digest)

    def static(filename: str):
        asset, cache = manifest.get(filename), SHORT
        if asset is None and (match := HASHED.match(filename)):
            asset = manifest.get(match["stem"] + match["ext"])
            if asset is not None and asset.digest == match["digest"]:
                cache = IMMUTABLE
        if asset is None:
            abort(404)
        encoding = _chosen_encoding(asset)
        response = Response(asset.body_for(encoding), mimetype=asset.mimetype)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if asset.compressible:
            response.vary.add("Accept-Encoding")
        response.headers["Cache-Control"] = cache
        response.set_etag(f"{asset.digest}-{encoding or 'identity'}")
        return response.make_conditional(request)

    app.view_functions["static"] = static
    app.session_interface = _static_files_leave_the_session(app.session_interface)

    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    app.config.setdefault("COMPRESS_LEVEL", 6)
    app.config.setdefault("COMPRESS_MIN_SIZE", MIN_COMPRESSED)
    # A streamed answer is sent as it is made: compressing it would hold it back.
    app.config.setdefault("COMPRESS_STREAMS", False)
    Compress(app)
