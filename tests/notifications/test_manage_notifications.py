"""The manage side of notifications: a branch's SMS code, its urgent message (posted at
once, fanned out by a job, shown on the board until it ends or runs out), the messages
it could not send, and the organization's SMS this month."""

import html as htmllib
import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from smartqueue.jobs.outbox import join_apart
from smartqueue.models import (
    Branch,
    Broadcast,
    Channel,
    DeliveryChannel,
    DeviceKind,
    Notification,
    NotificationKind,
    NotificationStatus,
    OutboxJob,
)
from smartqueue.notifications import operations as notifications
from smartqueue.orgs import operations as orgs
from smartqueue.orgs.errors import NameTaken, OrgError
from smartqueue.queueing import operations as queueing
from smartqueue.realtime import channels
from smartqueue.realtime.broker import get_broker
from smartqueue.screens.board import render_board_snapshot
from tests.conftest import TUESDAY_10H
from tests.live import published_so_far

HTMX = {"HX-Request": "true"}
OUTAGE = "Panne du réseau : les retraits reprennent à 14 h. Merci de votre patience."


def _text(response) -> str:
    return htmllib.unescape(response.get_data(as_text=True))


def _branch_form(branch: Branch, **changes) -> dict:
    """The manage branch form as the page fills it, with `changes`."""
    return {
        "name": branch.name,
        "address": branch.address,
        "region_id": str(branch.region_id),
        "department_id": str(branch.department_id),
        "commune_id": str(branch.commune_id or ""),
        "latitude": "",
        "longitude": "",
        "phone": "",
        **changes,
    }


def _sms_code(db, branch_id: int) -> str | None:
    db.session.expire_all()
    return db.session.get(Branch, branch_id).sms_code


@pytest.fixture(autouse=True)
def _fan_out_finished(app):
    """Without Redis a message's fan-out runs in a thread: over before the tables are
    emptied for the next test."""
    yield
    join_apart()


@pytest.fixture
def manager(db, client, auth, make_hall):
    """A branch with a waiting line, its board and kiosk, its manager signed in."""
    hall = make_hall(
        staff=("branch_manager", "agent"),
        screens=[(DeviceKind.BOARD, "Salle"), (DeviceKind.KIOSK, "Entrée")],
        name="Agence Plateau",
    )
    auth.login(hall.manager)
    return hall


# --- the branch's SMS code ---------------------------------------------------------------


@pytest.mark.parametrize(
    "typed,stored",
    [
        ("plateau", "PLATEAU"),
        ("Médina", "MEDINA"),
        (" Grand-Yoff ", "GRANDYOFF"),
        ("Thiès 2", "THIES2"),
        ("", None),
    ],
)
def test_sms_code_is_stored_upper_case_without_accents_or_spaces(
    client, db, manager, typed, stored
):
    url = f"/manage/branches/{manager.branch.id}"
    response = client.post(url, data=_branch_form(manager.branch, sms_code=typed))
    assert response.status_code == 302, _text(response)
    assert _sms_code(db, manager.branch.id) == stored
    if stored:
        assert f'value="{stored}"' in _text(client.get(url))


@pytest.mark.parametrize(
    "typed", ["P", "PLATEAU+", "ÇA/VA", "ABCDEFGHIJKLM", "tiket😀", "ΠΛΑΤΩ"]
)
def test_sms_code_refuses_anything_but_2_to_12_letters_or_digits(
    client, db, manager, typed
):
    url = f"/manage/branches/{manager.branch.id}"
    response = client.post(url, data=_branch_form(manager.branch, sms_code=typed))
    assert response.status_code == 422
    assert "Le code SMS : 2 à 12 lettres ou chiffres, sans autre signe." in _text(
        response
    )
    assert _sms_code(db, manager.branch.id) is None


@pytest.mark.backends("sqlite", "postgresql")
def test_sms_code_is_unique_on_the_whole_platform(db, backend, make_branch, make_org):
    """Another organization's branch cannot take a code in use (the SMS number is the
    platform's); the refusal names the code, and a duplicate name still names the name."""
    first = make_branch(make_org(), name="Plateau")
    other_org = make_org()
    second = make_branch(other_org, name="Dakar Centre")
    place = {
        "region_id": first.region_id,
        "department_id": first.department_id,
        "commune_id": first.commune_id,
    }
    orgs.update_branch(
        first, name="Plateau", address="Rue 1", sms_code="plateau", **place
    )
    with pytest.raises(NameTaken) as taken:
        orgs.update_branch(
            second, name="Dakar Centre", address="Rue 2", sms_code="Plateau", **place
        )
    assert taken.value.field == "sms_code"
    assert "déjà pris" in str(taken.value.message)
    db.session.rollback()
    with pytest.raises(NameTaken) as taken:  # a new branch, the same code
        orgs.create_branch(
            other_org, name="Plateau bis", address="Rue 3", sms_code="PLATEAU", **place
        )
    assert taken.value.field == "sms_code"
    db.session.rollback()
    with pytest.raises(NameTaken) as taken:  # the name, not the code, is the clash
        orgs.create_branch(
            other_org, name="Dakar Centre", address="Rue 4", sms_code="DKR", **place
        )
    assert taken.value.field == "name"
    db.session.rollback()
    with pytest.raises(OrgError) as bad:
        orgs.update_branch(second, name="X2", address="Rue 2", sms_code="A", **place)
    assert bad.value.field == "sms_code"
    db.session.rollback()
    # keeping its own code is no clash; leaving the code out leaves it as it is
    orgs.update_branch(
        first, name="Plateau", address="Rue 9", sms_code="PLATEAU", **place
    )
    orgs.update_branch(first, name="Plateau", address="Rue 10", **place)
    assert _sms_code(db, first.id) == "PLATEAU"
    assert _sms_code(db, second.id) is None


def test_sms_code_taken_is_a_clear_form_error(client, db, manager, make_branch):
    elsewhere = make_branch(name="Médina")
    elsewhere.sms_code = "PLATEAU"
    db.session.commit()
    url = f"/manage/branches/{manager.branch.id}"
    response = client.post(url, data=_branch_form(manager.branch, sms_code="Plateau"))
    assert response.status_code == 422
    page = _text(response)
    assert re.search(
        r'id="sms_code-error">Ce code SMS est déjà pris par une autre agence\.<', page
    )
    assert _sms_code(db, manager.branch.id) is None


# --- the urgent message --------------------------------------------------------------------


def _wait_with_contacts(hall, count: int) -> None:
    for n in range(count):
        queueing.issue_ticket(
            hall.a, channel=Channel.WEB, contact_phone=f"+22177123{n:04d}"
        )


@pytest.mark.production  # PostgreSQL, and Redis: the fan-out job waits for a worker
def test_urgent_message_returns_at_once_leaving_the_fan_out_to_a_job(
    db, client, manager
):
    _wait_with_contacts(manager, 5)
    jobs_before = set(db.session.scalars(select(OutboxJob.id)))
    messages_before = db.session.scalar(select(func.count()).select_from(Notification))
    response = client.post(
        f"/manage/branches/{manager.branch.id}/messages", data={"text": OUTAGE}
    )
    assert response.status_code == 302
    assert response.location.endswith(f"/manage/branches/{manager.branch.id}/messages")
    db.session.expire_all()
    (broadcast,) = db.session.scalars(select(Broadcast)).all()
    assert broadcast.text == OUTAGE and broadcast.branch_id == manager.branch.id
    assert broadcast.author_id == manager.manager.id
    assert broadcast.tickets_reached is None  # no message was written by the request
    new_jobs = db.session.execute(
        select(OutboxJob.func, OutboxJob.args).where(OutboxJob.id.not_in(jobs_before))
    ).all()
    assert new_jobs == [("smartqueue.jobs.notices.notify_broadcast", [broadcast.id])]
    messages = db.session.scalar(select(func.count()).select_from(Notification))
    assert messages == messages_before
    page = _text(client.get(f"/manage/branches/{manager.branch.id}/messages"))
    assert "Message publié sur l’écran de la salle" in page
    assert OUTAGE in page and "envoi en cours…" in page
    assert "Retirer de l’écran" in page


def test_urgent_message_page_counts_characters_and_sms(client, manager):
    url = f"/manage/branches/{manager.branch.id}/messages"
    short = _text(client.get(url, query_string={"text": "Retard"}, headers=HTMX))
    assert short.startswith('<p class="hint" id="message-count"')
    assert "6 caractères / 300 · 1 SMS par personne" in short
    # "Agence Plateau: " goes in front of 150 characters: past 160, two parts of 153
    two = _text(client.get(url, query_string={"text": "x" * 150}, headers=HTMX))
    assert "150 caractères / 300 · 2 SMS par personne" in two
    # French accents GSM-7 lacks are folded, not sent as UCS-2: still one SMS
    folded = _text(client.get(url, query_string={"text": "ç" * 140}, headers=HTMX))
    assert "1 SMS par personne" in folded and "emoji" not in folded
    emoji = _text(client.get(url, query_string={"text": "Merci 🙏"}, headers=HTMX))
    assert "70 caractères par SMS" in emoji
    too_long = _text(client.get(url, query_string={"text": "y" * 301}, headers=HTMX))
    assert "Trop long : 300 caractères au plus." in too_long


def test_urgent_message_refusals_are_form_errors(client, db, manager):
    url = f"/manage/branches/{manager.branch.id}/messages"
    empty = client.post(url, data={"text": "   \n  "})
    long = client.post(url, data={"text": "z" * 301})
    assert (empty.status_code, long.status_code) == (422, 422)
    assert "Le message dépasse 300 caractères." in _text(long)
    assert "301 caractères / 300" in _text(long)  # the count of what was typed
    assert db.session.scalar(select(func.count()).select_from(Broadcast)) == 0


@pytest.mark.parametrize("role", ["agent", "other_manager", "other_admin", "customer"])
def test_urgent_message_is_refused_to_anyone_but_the_branchs_managers(
    client, db, auth, manager, make_user, make_branch, role
):
    elsewhere = make_branch()
    user = {
        "agent": lambda: manager.agent,
        "other_manager": lambda: make_user(role="branch_manager", branch=elsewhere),
        "other_admin": lambda: make_user(role="org_admin", org=elsewhere.organization),
        "customer": lambda: make_user(),
    }[role]()
    auth.logout()
    auth.login(user)
    branch = manager.branch.id
    assert (
        client.post(
            f"/manage/branches/{branch}/messages", data={"text": OUTAGE}
        ).status_code
        == 403
    )
    assert client.get(f"/manage/branches/{branch}/notifications").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(Broadcast)) == 0


def test_the_organizations_admin_may_post_one(client, db, auth, manager, make_user):
    auth.logout()
    auth.login(make_user(role="org_admin", org=manager.org))
    response = client.post(
        f"/manage/branches/{manager.branch.id}/messages", data={"text": OUTAGE}
    )
    assert response.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(Broadcast)) == 1


def test_the_fan_out_reaches_the_waiting_and_the_page_says_how_many(
    client, db, manager
):
    """Embedded mode: the job runs after the commit, in a thread of this process."""
    _wait_with_contacts(manager, 3)
    client.post(f"/manage/branches/{manager.branch.id}/messages", data={"text": OUTAGE})
    join_apart()
    db.session.rollback()  # a fresh read: the thread wrote in its own session
    broadcast = db.session.scalar(select(Broadcast))
    assert broadcast.tickets_reached == 3
    page = _text(client.get(f"/manage/branches/{manager.branch.id}/messages"))
    row = re.search(r'<tr id="message-\d+">.*?</tr>', page, re.S).group(0)
    assert '<td class="tickets-reached">3</td>' in row


# --- the board -----------------------------------------------------------------------------


def _next_check(fragment: str) -> int:
    return int(re.search(r'id="board-closed"[^>]*data-next-check="(\d+)"', fragment)[1])


def test_board_shows_the_message_until_it_is_ended(client, db, manager, frozen):
    board = channels.board(manager.branch.id)
    with get_broker().subscribe([board]) as messages:
        notifications.broadcast_message(manager.branch, OUTAGE, by=manager.manager)
        published = published_so_far(messages)
    assert len(published) == 1
    update = htmllib.unescape(published[0])
    assert 'id="board-broadcast"' in update and 'hx-swap-oob="true"' in update
    assert OUTAGE in update and "Message de l’agence" in update
    # the badge's next check: no later than when the message leaves the screen
    broadcast = db.session.scalar(select(Broadcast))
    leaves = int(broadcast.shown_until.timestamp() * 1000)
    assert _next_check(update) <= leaves
    # a board that connects, and the board's page, show it too
    assert OUTAGE in htmllib.unescape(render_board_snapshot(manager.branch.id))
    assert OUTAGE in _text(client.get(manager.url))
    # in its last hour, the board's next check is the moment it leaves
    frozen.set(TUESDAY_10H + timedelta(hours=1, minutes=30))
    assert _next_check(render_board_snapshot(manager.branch.id)) == leaves
    assert _next_check(_text(client.get(manager.url))) == leaves

    with get_broker().subscribe([board]) as messages:
        client.post(
            f"/manage/branches/{manager.branch.id}/messages/end",
            data={"broadcast_id": broadcast.id},
        )
        published = published_so_far(messages)
    (ended,) = published
    assert OUTAGE not in htmllib.unescape(ended)
    assert re.search(r'<section id="board-broadcast"[^>]* hidden>', ended)
    assert OUTAGE not in htmllib.unescape(render_board_snapshot(manager.branch.id))


def test_board_drops_the_message_when_its_time_is_up(db, manager, frozen):
    notifications.broadcast_message(manager.branch, OUTAGE, by=manager.manager)
    frozen.set(TUESDAY_10H + timedelta(hours=1, minutes=59))
    assert OUTAGE in htmllib.unescape(render_board_snapshot(manager.branch.id))
    frozen.set(TUESDAY_10H + timedelta(hours=2))
    assert OUTAGE not in htmllib.unescape(render_board_snapshot(manager.branch.id))


def test_ending_a_message_that_is_no_longer_shown_changes_nothing(
    client, db, manager, frozen
):
    first = notifications.broadcast_message(
        manager.branch, "Premier", by=manager.manager
    )
    first_id = first.id
    frozen.tick(minutes=1)
    notifications.broadcast_message(manager.branch, "Second", by=manager.manager)
    response = client.post(
        f"/manage/branches/{manager.branch.id}/messages/end",
        data={"broadcast_id": first_id},
        follow_redirects=True,
    )
    assert "Ce message n’est plus à l’écran" in _text(response)
    assert "Second" in htmllib.unescape(render_board_snapshot(manager.branch.id))


# --- how to queue by SMS, on the board and the kiosk ---------------------------------------


def test_board_and_kiosk_say_how_to_queue_by_sms_once_it_is_set_up(
    app, client, db, manager
):
    kiosk_url = f"/kiosk/{manager.screens[1][1]}"
    app.config["SMS_NUMBER"] = "21 21"
    assert "Par SMS" not in _text(client.get(manager.url))  # no code yet
    manager.branch.sms_code = "PLATEAU"
    db.session.commit()
    board = _text(client.get(manager.url))
    french = re.search(
        r'<span class="board-sms-line" lang="fr">(.*?)</span>\s*<span', board, re.S
    )
    assert french, board
    assert re.sub(r"<[^>]+>", "", french.group(1)).split() == (
        "Par SMS : envoyez TICKET PLATEAU lettre au 21 21".split()
    )
    assert 'lang="wo"' in board and "JEL PLATEAU" in board
    kiosk = _text(client.get(kiosk_url))
    hint = re.search(r'<p class="kiosk-sms" id="kiosk-sms">(.*?)</p>', kiosk, re.S)
    assert re.sub(r"<[^>]+>", "", hint.group(1)).split() == (
        "Par SMS : envoyez TICKET PLATEAU lettre au 21 21".split()
    )
    client.post(f"{kiosk_url}/language", data={"lang": "wo"})
    assert "JEL PLATEAU" in _text(client.get(kiosk_url))
    # no SMS gateway: nothing to promise
    app.config["SMS_ENABLED"] = False
    assert "kiosk-sms" not in _text(client.get(kiosk_url))
    assert "board-sms-line" not in _text(client.get(manager.url))


# --- what could not be sent, and what SMS cost ---------------------------------------------


def _message(db, hall, status, *, when, channel=DeliveryChannel.SMS, **fields):
    row = Notification(
        kind=NotificationKind.TICKET_CALLED,
        channel=channel,
        status=status,
        recipient="+221771234567",
        branch_id=hall.branch.id,
        organization_id=hall.org.id,
        body="SmartQueue: ticket A001, c'est votre tour !",
        created_at=when,
        **fields,
    )
    db.session.add(row)
    db.session.commit()
    return row


def test_failures_page_lists_a_failed_message_with_its_reason(
    client, db, manager, frozen
):
    now = frozen.now
    failed = _message(
        db, manager, NotificationStatus.FAILED, when=now, reason="400 numéro invalide"
    )
    _message(db, manager, NotificationStatus.SENT, when=now)
    _message(db, manager, NotificationStatus.DELIVERED, when=now)
    old = _message(db, manager, NotificationStatus.FAILED, when=now - timedelta(days=8))
    page = _text(client.get(f"/manage/branches/{manager.branch.id}/notifications"))
    row = re.search(rf'<tr id="notification-{failed.id}">.*?</tr>', page, re.S)
    assert row, page
    assert "400 numéro invalide" in row.group(0) and "Échec" in row.group(0)
    assert "+221 … 67" in row.group(0) and "771234567" not in page
    assert f'id="notification-{old.id}"' not in page  # older than 7 days
    assert re.search(r'data-status="failed">Échec : 1<', page)
    assert re.search(r'data-status="sent">Envoyé : 1<', page)
    assert re.search(r'data-status="delivered">Remis : 1<', page)
    branch_page = _text(client.get(f"/manage/branches/{manager.branch.id}"))
    assert f'href="/manage/branches/{manager.branch.id}/notifications"' in branch_page
    assert f'href="/manage/branches/{manager.branch.id}/messages"' in branch_page


def test_organization_page_shows_this_months_sms_and_their_cost(
    client, db, auth, manager, make_user, frozen
):
    now = frozen.now
    for parts in (1, 2):
        _message(
            db, manager, NotificationStatus.SENT, when=now, segments=parts,
            cost_fcfa=20 * parts,
        )  # fmt: skip
    _message(db, manager, NotificationStatus.FAILED, when=now, segments=1)
    _message(  # last month's: on last month's invoice
        db, manager, NotificationStatus.SENT, when=now - timedelta(days=2),
        segments=1, cost_fcfa=20,
    )  # fmt: skip
    auth.logout()
    auth.login(make_user(role="org_admin", org=manager.org))
    page = _text(client.get(f"/manage/organizations/{manager.org.id}"))
    usage = re.search(r'<p class="muted" id="sms-usage">(.*?)</p>', page, re.S).group(1)
    assert (
        usage.split()
        == "2 SMS envoyés ce mois-ci · 3 parties facturées · 60 FCFA".split()
    )
