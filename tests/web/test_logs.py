"""Request logs: one line per request with an id the caller can quote; JSON for shippers."""

import io
import json
import logging

import pytest

from smartqueue import logs


@pytest.fixture
def request_lines(caplog):
    """The request lines logged during the test."""
    caplog.set_level(logging.INFO, logger="smartqueue.requests")
    return lambda: [r for r in caplog.records if r.name == "smartqueue.requests"]


def test_request_line_names_the_route_not_the_secret_path(client, request_lines):
    response = client.get("/board/a-secret-device-token")
    (line,) = request_lines()
    assert line.route == "/board/<token>"
    assert "a-secret-device-token" not in line.getMessage()
    assert line.status == 404
    assert line.duration_ms >= 0
    assert line.request_id == response.headers["X-Request-ID"]
    assert len(line.request_id) == 16


def test_incoming_request_id_is_kept_and_returned(client, request_lines):
    response = client.get("/", headers={"X-Request-ID": "lb-7f3a9c21-0001"})
    assert response.headers["X-Request-ID"] == "lb-7f3a9c21-0001"
    assert request_lines()[-1].request_id == "lb-7f3a9c21-0001"


@pytest.mark.parametrize("incoming", ["short", "x" * 65, "has space in it", "é" * 10])
def test_unlikely_request_ids_are_replaced(client, incoming):
    response = client.get("/", headers={"X-Request-ID": incoming})
    assert response.headers["X-Request-ID"] != incoming
    assert len(response.headers["X-Request-ID"]) == 16


def test_request_line_carries_the_signed_in_user(
    client, auth, make_user, request_lines
):
    user = make_user()
    auth.login(user)
    client.get("/account/")
    assert request_lines()[-1].user_id == user.id


def test_error_page_shows_the_request_id(client):
    response = client.get("/no-such-page", headers={"X-Request-ID": "quote-me-123"})
    assert response.status_code == 404
    assert "quote-me-123" in response.get_data(as_text=True)


def test_json_format_writes_one_object_a_line_with_the_request_fields(app, client):
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs._formatter("json"))
    handler.addFilter(logs.ContextFilter())
    logger = logging.getLogger("smartqueue.requests")
    logger.addHandler(handler)
    try:
        client.get("/", headers={"X-Request-ID": "json-line-0001"})
    finally:
        logger.removeHandler(handler)
    record = json.loads(stream.getvalue().splitlines()[-1])
    assert record["request_id"] == "json-line-0001"
    assert record["route"] == "/"
    assert record["status"] == 200
    assert record["level"] == "INFO"
    assert record["logger"] == "smartqueue.requests"
    assert "context" not in record


def test_a_line_logged_outside_a_request_says_so():
    record = logging.LogRecord("smartqueue.x", logging.INFO, "", 0, "m", None, None)
    logs.ContextFilter().filter(record)
    assert (record.request_id, record.job_id, record.context) == (None, None, "-")
