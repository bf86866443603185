"""Bytes a phone downloads for the live ticket page /t/<token>, with every asset it references.

Served as in production (PostgreSQL + Redis, gunicorn started like the Procfile's web line).
A kiosk ticket is issued with --ahead tickets waiting before it (the page shows the live
version: the websocket extension and ticket.js are loaded only while the ticket is active).
The page is fetched as a phone would (Accept-Encoding: gzip), then every stylesheet, script
and icon its HTML names (<link href>, <script src>, <img src>, and any url()/@import inside
the stylesheets). The app itself does not compress: each body is gzipped here at level 6,
what nginx (gzip_comp_level) or a CDN in front of it would send. Reported per resource: raw
and gzipped bytes, and the response headers' size (HTTP/1.1, uncompressed; HTTP/2 would
compress them). Target: the page and its assets gzipped, bodies, under 50 KB (50 000 bytes).
Also shown, outside the target: the first message of the ticket's socket (/ws/ticket/...),
which the page receives as soon as its scripts run (no permessage-deflate: sent as is).

    .venv/bin/python bench/page_weight.py
"""

import argparse
import asyncio
import re
import sys
from urllib.parse import urljoin, urlsplit

from _live import (
    HttpClient,
    Stack,
    command_line,
    gzip6,
    machine_facts,
    now_text,
)
from _ws import first_message

from smartqueue.extensions import db
from smartqueue.models import Channel, DeviceKind, Service, Strategy
from smartqueue.queueing import operations as ops

TARGET = 50_000
PHONE = {
    "User-Agent": "Mozilla/5.0 (Linux; Android 13; SM-A145F) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/131.0 Mobile Safari/537.36",
    "Accept": "text/html,application/xhtml+xml,*/*;q=0.8",
    "Accept-Language": "fr-SN,fr;q=0.9",
    "Accept-Encoding": "gzip, deflate, br",
}
ASSETS = re.compile(
    r"""<(?:link|script|img)\b[^>]*?\b(?:href|src)=["']([^"']+)["']""", re.I
)
CSS_URLS = re.compile(
    r"""url\(\s*['"]?([^'")]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]"""
)


def header_bytes(status: int, headers) -> int:
    lines = [f"HTTP/1.1 {status} X"] + [f"{k}: {v}" for k, v in headers.items()]
    return sum(len(line) + 2 for line in lines) + 2


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--ahead", type=int, default=12, help="tickets waiting before")
    args = parser.parse_args(argv)

    print(f"command: {command_line()}")
    with Stack() as stack:
        print(f"date: {now_text()}")
        print(f"machine: {machine_facts(stack)}")
        desk = stack.seed_branch([("A", "Dépôts", 10, Strategy.FIFO)], [[0]])
        stack.device(desk.branch, DeviceKind.KIOSK)
        stack.fill(desk.services[0], args.ahead)
        ticket = ops.issue_ticket(
            db.session.get(Service, desk.services[0].id), channel=Channel.KIOSK
        )
        token = ticket.token
        db.session.remove()
        with stack.gunicorn("wsgi:app", workers=2) as web:
            print(f"server: {web.command}")
            http = HttpClient(web.port)
            page = f"/t/{token}"
            rows = []
            queue = [(page, "page")]
            page_text = ""
            seen = set()
            while queue:
                path, kind = queue.pop(0)
                if path in seen:
                    continue
                seen.add(path)
                status, headers, body = http.request("GET", path, headers=PHONE)
                if status != 200:
                    raise RuntimeError(f"GET {path}: {status}")
                rows.append(
                    {
                        "path": path,
                        "type": (headers.get("Content-Type") or "").split(";")[0],
                        "encoding": headers.get("Content-Encoding") or "identity",
                        "raw": len(body),
                        "gzip": gzip6(body),
                        "headers": header_bytes(status, headers),
                        "cache": headers.get("Cache-Control") or "-",
                    }
                )
                text = body.decode("utf-8", "replace")
                found = []
                if kind == "page":
                    page_text = text
                    found = ASSETS.findall(text)
                elif rows[-1]["type"] == "text/css":
                    found = [a or b for a, b in CSS_URLS.findall(text)]
                for ref in found:
                    if ref.startswith("data:"):
                        continue
                    url = urlsplit(urljoin(path, ref))
                    if url.netloc:  # the CSP allows nothing from elsewhere anyway
                        raise RuntimeError(f"an asset from elsewhere: {ref}")
                    queue.append(
                        (url.path + (f"?{url.query}" if url.query else ""), "asset")
                    )
            http.close()
            socket_path = re.search(r'ws-connect="([^"]+)"', page_text)
            snapshot = (
                asyncio.run(first_message("127.0.0.1", web.port, socket_path.group(1)))
                if socket_path
                else ""
            )

    print("\nresources (the page first; bytes)")
    print(
        f"  {'path':<44} {'type':<24} {'raw':>8} {'gzip -6':>8} {'headers':>8}  cache"
    )
    for r in rows:
        shown = (
            r["path"]
            if len(r["path"]) <= 44
            else r["path"][:20] + "…" + r["path"][-23:]
        )
        print(
            f"  {shown:<44} {r['type']:<24} {r['raw']:>8} {r['gzip']:>8} {r['headers']:>8}"
            f"  {r['cache']}"
        )
    raw = sum(r["raw"] for r in rows)
    zipped = sum(r["gzip"] for r in rows)
    heads = sum(r["headers"] for r in rows)
    print(
        f"  {'total (' + str(len(rows)) + ' responses)':<69} {raw:>8} {zipped:>8} {heads:>8}"
    )
    encodings = sorted({r["encoding"] for r in rows})
    print(
        f"  server's own Content-Encoding with Accept-Encoding gzip: {', '.join(encodings)}"
        " (the app does not compress; gzip sizes computed here)"
    )
    if snapshot:
        size = len(snapshot.encode())
        print(
            f"  + the ticket socket's first message: {size} bytes as sent "
            f"({gzip6(snapshot.encode())} if it were compressed), not in the total"
        )
    ok = zipped < TARGET
    print(
        f"\nlive ticket page, all assets, gzip -6: {zipped} bytes = {zipped / 1000:.1f} KB "
        f"({zipped / 1024:.1f} KiB); with response headers {(zipped + heads) / 1000:.1f} KB; "
        f"uncompressed {raw / 1000:.1f} KB. Target < 50 KB: {'met' if ok else 'NOT met'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
