"""Pairing a screen by the code it shows, and what each device reports of itself."""

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import event, func, select, text

from smartqueue.accounts.secrets import keyed_hash
from smartqueue.errors import DomainError
from smartqueue.models import Branch, Device, DeviceKind, DevicePairing, User
from smartqueue.queueing import pairing
from smartqueue.queueing.devices import (
    create_device,
    device_branch_id,
    record_contact,
    revoke_device,
)

# The rules are plain Python over one row: one backend is enough, except where the two
# differ (the claim's race, the timestamps each stores).
SQLITE = pytest.mark.backends("sqlite")


@pytest.fixture
def app_config(app_config, backend):
    """On PostgreSQL a lock wait becomes an error after a while instead of a hang."""
    if backend == "postgresql":
        options = {"connect_args": {"options": "-c lock_timeout=5s"}}
        return {**app_config, "SQLALCHEMY_ENGINE_OPTIONS": options}
    return app_config


@pytest.fixture
def place(db, frozen, make_branch, make_user):
    """A branch and its manager, on the frozen Tuesday."""
    branch = make_branch(name="Agence Plateau")
    return branch, make_user(role="branch_manager", branch=branch)


def _count(db, model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def _spaced_lower(code: str) -> str:
    """How a person may type it: 'k7m 4qx'."""
    return pairing.format_code(code).lower()


def test_pairing_claim_makes_the_screen_secret_the_device_token(db, place):
    branch, manager = place
    request, secret = pairing.start_pairing()
    assert len(request.code) == 6 and set(request.code) <= set(pairing.CODE_ALPHABET)
    assert len(secret) == 43 and request.secret_hash == keyed_hash(secret)
    assert pairing.get_waiting_pairing(secret).id == request.id
    assert pairing.get_paired_device(secret) is None

    device = pairing.claim_pairing(
        branch, _spaced_lower(request.code), DeviceKind.BOARD, " Télé ", by=manager
    )

    assert (device.name, device.kind, device.branch_id) == (
        "Télé",
        DeviceKind.BOARD,
        branch.id,
    )
    assert device.token_hash == keyed_hash(secret)  # never the secret itself
    assert pairing.get_paired_device(secret).id == device.id
    assert device_branch_id(secret, DeviceKind.BOARD) == branch.id
    assert device_branch_id(secret, DeviceKind.KIOSK) is None
    assert pairing.get_waiting_pairing(secret) is None
    claimed = db.session.get(DevicePairing, request.id)
    assert claimed.claimed_at is not None and claimed.device_id == device.id


@SQLITE
def test_pairing_code_reads_in_two_groups_and_is_typed_any_way():
    assert pairing.format_code("K7M4QX") == "K7M 4QX"
    for typed in ("k7m 4qx", "K7M-4QX", " k7m4qx ", "K7M\u00a04QX"):
        assert pairing.normalize_code(typed) == "K7M4QX"


@SQLITE
def test_pairing_expired_code_is_refused_and_the_screen_asks_again(db, place, frozen):
    branch, manager = place
    request, secret = pairing.start_pairing()
    frozen.tick(minutes=pairing.PAIRING_MINUTES, seconds=1)

    with pytest.raises(pairing.PairingRefused, match="expiré"):
        pairing.claim_pairing(
            branch, request.code, DeviceKind.BOARD, "Télé", by=manager
        )

    db.session.rollback()
    assert _count(db, Device) == 0
    assert pairing.get_waiting_pairing(secret) is None  # the screen draws a new code


@SQLITE
def test_pairing_used_code_is_refused_the_second_time(db, place):
    branch, manager = place
    request, _secret = pairing.start_pairing()
    pairing.claim_pairing(branch, request.code, DeviceKind.KIOSK, "Borne", by=manager)

    with pytest.raises(pairing.PairingRefused, match="déjà servi"):
        pairing.claim_pairing(
            branch, request.code, DeviceKind.BOARD, "Télé", by=manager
        )

    db.session.rollback()
    assert _count(db, Device) == 1


WRONG_CODES = [
    ("222222", "Aucun appareil"),  # well formed, nobody shows it
    ("K7M 4Q", "pas valide"),
    ("K0M 4QX", "pas valide"),  # 0 and O are never drawn
    ("x" * 300, "pas valide"),
    ("", "pas valide"),
]


@SQLITE
def test_pairing_wrong_code_is_refused_with_a_clear_message(db, place):
    branch, manager = place
    pairing.start_pairing()
    for typed, message in WRONG_CODES:
        with pytest.raises(pairing.PairingRefused, match=message) as refused:
            pairing.claim_pairing(branch, typed, DeviceKind.BOARD, "Télé", by=manager)
        assert refused.value.field == "code"
        db.session.rollback()
    assert _count(db, Device) == 0


@SQLITE
def test_pairing_without_a_name_claims_nothing(db, place):
    branch, manager = place
    request, secret = pairing.start_pairing()
    with pytest.raises(DomainError) as refused:
        pairing.claim_pairing(branch, request.code, DeviceKind.BOARD, "  ", by=manager)
    assert refused.value.field == "name"
    db.session.rollback()
    assert pairing.get_waiting_pairing(secret) is not None  # still claimable
    assert _count(db, Device) == 0


@SQLITE
def test_pairing_requests_past_their_time_are_dropped_by_the_next_one(db, frozen):
    old = [pairing.start_pairing()[0].code for _ in range(2)]
    frozen.tick(minutes=10)
    pairing.start_pairing()
    frozen.tick(minutes=6)  # the first two are 16 minutes old, the third 6
    pairing.start_pairing()
    codes = set(db.session.scalars(select(DevicePairing.code)))
    assert len(codes) == 2 and not codes & set(old)


@SQLITE
def test_pairing_of_a_revoked_device_no_longer_opens_it(db, place):
    branch, manager = place
    request, secret = pairing.start_pairing()
    device = pairing.claim_pairing(
        branch, request.code, DeviceKind.BOARD, "Télé", by=manager
    )
    revoke_device(device, by=manager)
    assert pairing.get_paired_device(secret) is None
    assert device_branch_id(secret, DeviceKind.BOARD) is None


@pytest.mark.backends("postgresql")
def test_pairing_two_managers_claiming_one_code_at_once_make_one_device(
    app, db, backend, place
):
    """A claims and is held before writing its device (holding the pairing's row); B
    reads the code as free and waits on A's lock; A commits: B is refused."""
    branch, manager = place
    request, secret = pairing.start_pairing()
    ids = (branch.id, manager.id)
    first = threading.Event()
    held, release = threading.Event(), threading.Event()
    outcome = {}

    def hold(conn, cursor, statement, parameters, context, executemany):
        if statement.startswith("INSERT INTO device ") and not first.is_set():
            first.set()
            held.set()
            release.wait(30)

    def claim(who: str, name: str):
        with app.app_context():
            try:
                device = pairing.claim_pairing(
                    db.session.get(Branch, ids[0]),
                    request.code,
                    DeviceKind.BOARD,
                    name,
                    by=db.session.get(User, ids[1]),
                )
                outcome[who] = device.id
            except Exception as error:  # reported in the test's thread
                outcome[who] = error
            finally:
                held.set()
                db.session.remove()

    event.listen(db.engine, "before_cursor_execute", hold)
    a = threading.Thread(target=claim, args=("a", "Télé A"))
    b = threading.Thread(target=claim, args=("b", "Télé B"))
    try:
        a.start()
        assert held.wait(30) and "a" not in outcome
        b.start()
        deadline = time.monotonic() + 10
        with db.engine.connect() as probe:
            while time.monotonic() < deadline:  # until B waits on A's row lock
                waiting = probe.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE wait_event_type = 'Lock' AND datname = current_database()"
                    )
                )
                probe.rollback()
                if waiting:
                    break
                time.sleep(0.01)
        assert waiting == 1
    finally:
        release.set()
        a.join()
        b.join()
        event.remove(db.engine, "before_cursor_execute", hold)
    assert isinstance(outcome["a"], int)
    assert isinstance(outcome["b"], pairing.PairingRefused)
    assert "vient d'être utilisé" in str(outcome["b"].message)
    db.session.expire_all()
    assert db.session.scalars(select(Device.name)).all() == ["Télé A"]
    assert pairing.get_paired_device(secret).id == outcome["a"]


# --- last contact ------------------------------------------------------------------------


@pytest.fixture
def board(db, place):
    """A board of the branch and its link token."""
    branch, manager = place
    return create_device(branch, DeviceKind.BOARD, "Télé", by=manager)


def _device(db, device) -> Device:
    db.session.expire_all()
    return db.session.get(Device, device.id)


def test_contact_is_written_at_most_every_thirty_seconds(db, board, frozen):
    device, token = board
    assert not device.is_online_at(frozen.now)
    start = frozen.now
    assert record_contact(token) is True
    assert _device(db, device).last_seen_at == start
    frozen.tick(seconds=20)
    assert record_contact(token) is True
    assert _device(db, device).last_seen_at == start  # spared the write
    frozen.tick(seconds=10)
    record_contact(token)
    assert _device(db, device).last_seen_at == frozen.now
    assert _device(db, device).is_online_at(frozen.now + timedelta(minutes=2))
    assert not _device(db, device).is_online_at(frozen.now + timedelta(minutes=3))


@SQLITE
def test_contact_records_when_the_sound_was_blocked_and_when_it_came_back(
    db, board, frozen
):
    device, token = board
    record_contact(token, "blocked")
    blocked_at = frozen.now
    frozen.tick(seconds=5)
    record_contact(token, "blocked")  # still blocked: since the first report
    assert _device(db, device).sound_blocked_at == blocked_at
    frozen.tick(seconds=5)
    record_contact(token, "on")  # a change is written at once, with the time
    seen = _device(db, device)
    assert seen.sound_blocked_at is None and seen.last_seen_at == frozen.now
    frozen.tick(seconds=5)
    record_contact(token)  # a kiosk's report says nothing of sound
    assert _device(db, device).sound_blocked_at is None


@SQLITE
def test_contact_of_a_revoked_or_unknown_link_is_refused(db, board, place):
    device, token = board
    revoke_device(device, by=place[1])
    assert record_contact(token) is False
    assert record_contact("nope") is False
    assert record_contact("x" * 500) is False
    assert _device(db, device).last_seen_at is None
