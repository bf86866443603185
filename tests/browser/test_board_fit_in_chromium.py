"""A crowded branch's board on a TV, in Chromium, at 1920x1080 and 1280x720: eight
services (one with a 60-character name), long waiting lines and a morning of calls.
Nothing is cut: each service is whole on a page the board turns to by itself, each call
row shown is whole, and nothing scrolls."""

from types import SimpleNamespace

import pytest
from playwright.sync_api import Page, expect

from smartqueue.models import Channel, CounterStatus, DeviceKind
from smartqueue.queueing import operations
from smartqueue.queueing.devices import create_device

SIZES = [
    ("1920", {"width": 1920, "height": 1080}),
    ("1280", {"width": 1280, "height": 720}),
]
LONG_NAME = "Réclamations, oppositions sur carte et litiges de prélèvement"
SERVICES = [  # letter, French name, Wolof name, tickets taken
    ("A", "Ouverture de compte", "Ubbi kont", 12),
    ("B", "Dépôt et retrait", "Dugal ak génne xaalis", 31),
    ("C", "Transfert d'argent", "Yónnee xaalis", 9),
    ("D", "Crédit et prêts", None, 4),
    ("E", LONG_NAME, "Jàmbat, tëj kaart ak xeex ci xaalis bu ñu jël", 6),
    ("F", "Change de devises", None, 0),
    ("G", "Conseil patrimonial et placements", "Digal ci denc xaalis", 2),
    ("H", "Entreprises et commerçants", "Liggéeyukaay yi ak jaaykat yi", 17),
]
PAGE_MS = 8000  # board.js turns the services' page this often


@pytest.fixture
def crowded(db, frozen, make_org, make_branch, make_service, make_counter, make_user):
    """Eight services, seven open counters, 81 tickets taken and seven of them called."""
    branch = make_branch(make_org(name="Banque Teranga"), name="Agence Plateau")
    services = []
    for letter, name, wolof, _ in SERVICES:
        service = make_service(branch, letter, name, minutes=8)
        service.name_wo = wolof
        services.append(service)
    counters = [make_counter(branch, n, services) for n in range(1, 8)]
    for counter in counters:
        counter.status = CounterStatus.OPEN
    db.session.commit()
    for service, (*_, taken) in zip(services, SERVICES, strict=True):
        for _ in range(taken):
            operations.issue_ticket(service, channel=Channel.KIOSK)
    agent = make_user(role="agent", branch=branch)
    for counter in counters:
        frozen.tick(minutes=1)
        operations.call_next(counter, by=agent)
    _, token = create_device(branch, DeviceKind.BOARD, "Salle d'attente", by=None)
    return SimpleNamespace(services=services, token=token)


def boxes(page: Page, selector: str) -> list[dict]:
    """The viewport box of each element matched (hidden ones have none)."""
    return page.eval_on_selector_all(
        selector,
        """els => els.map(el => { const r = el.getBoundingClientRect();
            return {top: r.top, bottom: r.bottom, left: r.left, right: r.right,
                    id: el.querySelector('[data-service]')?.dataset.service,
                    shown: !el.hidden && r.height > 0}; })""",
    )


def frame_of(page: Page, selector: str) -> dict:
    box = page.locator(selector).bounding_box()
    return {
        "top": box["y"],
        "bottom": box["y"] + box["height"],
        "left": box["x"],
        "right": box["x"] + box["width"],
    }


def inside(box: dict, frame: dict) -> bool:
    return (
        box["top"] >= frame["top"] - 0.5
        and box["bottom"] <= frame["bottom"] + 0.5
        and box["left"] >= frame["left"] - 0.5
        and box["right"] <= frame["right"] + 0.5
    )


def test_board_fits_eight_services_and_long_names_on_a_tv(
    page: Page, live_server, crowded, screenshots_dir
):
    every_service = {str(s.id) for s in crowded.services}
    page.clock.install()  # the pages turn when the test moves the page's clock on
    page.set_viewport_size(SIZES[0][1])
    page.goto(f"{live_server.url}/board/{crowded.token}")
    expect(page.locator("#board-calls .board-call")).to_have_count(7)
    marker = page.locator("#board-pages")

    for name, size in SIZES:
        page.set_viewport_size(size)
        expect(marker).to_be_visible()  # more services than one page holds
        count = int(marker.inner_text().split("/")[1])
        assert count == 2
        screen = {"top": 0, "left": 0, "bottom": size["height"], "right": size["width"]}
        seen = set()
        for _ in range(count):
            number = marker.locator(".board-page-number").inner_text()
            current = int(number.split("/")[0])
            page.screenshot(
                path=screenshots_dir / f"tv-board-{name}-page{current}.png",
                animations="disabled",
            )
            frame = frame_of(page, "#board-waiting")
            shown = [
                b for b in boxes(page, "#board-waiting .board-service") if b["shown"]
            ]
            assert shown, f"page {current} at {name} is empty"
            for row in shown:  # whole, in its panel and on the screen
                assert inside(row, frame) and inside(row, screen), (name, row)
            seen |= {row["id"] for row in shown}
            page.clock.run_for(PAGE_MS)
            expect(marker.locator(".board-page-number")).not_to_have_text(number)
        assert seen == every_service, name  # each service on a page the board reached

        # the long name: two lines at most, ended by an ellipsis, its Wolof name beneath
        long_row = page.locator(".board-service", has_text=LONG_NAME[:20])
        if long_row.is_hidden():
            page.clock.run_for(PAGE_MS)
        name_box = long_row.locator(".service-fr")
        lines = name_box.evaluate(
            "el => el.getBoundingClientRect().height"
            " / parseFloat(getComputedStyle(el).lineHeight)"
        )
        assert lines <= 2.05
        assert name_box.evaluate("el => el.scrollHeight > el.clientHeight")  # clamped
        expect(long_row.locator(".service-wo")).to_have_text(SERVICES[4][2])

        # the calls: the latest and at least five more, each row shown whole
        column = frame_of(page, "#board-calls")
        rows = boxes(page, "#board-calls .board-call")
        whole = [r for r in rows if inside(r, column)]
        elsewhere = [r for r in rows if r["left"] >= column["right"] - 0.5]
        assert len(whole) + len(elsewhere) == len(rows)  # none cut in half
        assert len(whole) >= 6, name
        assert page.evaluate(
            "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
        ) == [size["width"], size["height"]]
