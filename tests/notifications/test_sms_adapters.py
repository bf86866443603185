"""The SMS adapters over real HTTP, against the stand-ins of sms_servers.py, and the
embedded file gateway and the configuration that picks one."""

import socket
import threading

import pytest

from smartqueue.notifications.adapters import Refused, Sent
from smartqueue.notifications.sms import (
    FileSmsGateway,
    GatewayUnavailable,
    HttpSmsGateway,
    OrangeSmsGateway,
    gateway_from_config,
    parse_orange_delivery,
)

from .sms_servers import FakeOrange, FakeSmsGateway

CUSTOMER = "+221771234567"
CALLED = "Votre ticket A-042 est appelé au guichet 3. Présentez-vous, s’il vous plaît."
# As it leaves: ’ and î folded, é kept (GSM-7 has it): one SMS, not two in UCS-2.
CALLED_GSM7 = (
    "Votre ticket A-042 est appelé au guichet 3. Présentez-vous, s'il vous plait."
)


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def orange():
    """Orange's SMS API stand-in, on a free port, stopped after the test."""
    with FakeOrange() as server:
        yield server


@pytest.fixture
def sms_gateway():
    """A generic HTTP SMS gateway stand-in, on a free port, stopped after the test."""
    with FakeSmsGateway() as server:
        yield server


def orange_gateway(orange, **options) -> OrangeSmsGateway:
    return OrangeSmsGateway(
        orange.client_id,
        orange.client_secret,
        orange.sender,
        base_url=orange.url,
        **options,
    )


def closed_port_url() -> str:
    """A URL on this machine where nothing listens."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


# Orange


def test_orange_sends_the_published_request_and_keeps_orange_id(orange):
    gateway = gateway_from_config(orange.config(ORANGE_SMS_SENDER_NAME="SmartQueue"))
    sent = gateway.send(CUSTOMER, CALLED, reference="msg-1")

    [message] = orange.sent
    assert message.to == CUSTOMER
    assert message.sender == orange.sender
    assert message.sender_name == "SmartQueue"
    assert message.text == CALLED_GSM7
    assert message.token == orange.tokens_issued[0]
    assert sent == Sent(provider_ref=message.id, segments=1)
    assert gateway.name == "orange"


def test_orange_leaves_sender_name_out_unless_set(orange):
    orange_gateway(orange).send(CUSTOMER, "Bonjour", reference="msg-1")
    [message] = orange.sent
    assert message.sender_name is None


def test_orange_counts_the_parts_of_a_long_message(orange):
    sent = orange_gateway(orange).send(CUSTOMER, "é" * 200, reference="msg-1")
    assert sent.segments == 2


def test_orange_reuses_its_token_across_sends_and_gateways(orange):
    for number in range(3):
        gateway_from_config(orange.config()).send(
            CUSTOMER, "Bonjour", reference=f"msg-{number}"
        )
    assert len(orange.tokens_issued) == 1
    assert {m.token for m in orange.sent} == {orange.tokens_issued[0]}


def test_orange_takes_a_new_token_shortly_before_it_expires(orange):
    clock = Clock()
    gateway = orange_gateway(orange, clock=clock)
    gateway.send(CUSTOMER, "un", reference="msg-1")
    # Orange gave 60 s; the adapter renews 6 s (a tenth) before the end.
    clock.now += 53.9
    gateway.send(CUSTOMER, "deux", reference="msg-2")
    assert len(orange.tokens_issued) == 1
    clock.now += 0.1
    gateway.send(CUSTOMER, "trois", reference="msg-3")
    assert len(orange.tokens_issued) == 2
    assert [m.token for m in orange.sent] == [
        orange.tokens_issued[0],
        orange.tokens_issued[0],
        orange.tokens_issued[1],
    ]


def test_orange_refused_token_is_renewed_once_and_the_message_sent(orange):
    gateway = orange_gateway(orange)
    gateway.send(CUSTOMER, "un", reference="msg-1")
    orange.behaviour = "expire_token"  # revoked before the time Orange gave

    sent = gateway.send(CUSTOMER, "deux", reference="msg-2")

    assert [r.status for r in orange.received] == [201, 401, 201]
    first, second = orange.tokens_issued
    assert [r.token for r in orange.received] == [first, first, second]
    assert sent.provider_ref == orange.received[-1].id


def test_orange_token_refused_twice_is_a_failure_to_retry(orange):
    orange.behaviour = "refuse_tokens"  # e.g. the app's subscription suspended
    with pytest.raises(GatewayUnavailable, match="HTTP 401 42 Expired credentials"):
        orange_gateway(orange).send(CUSTOMER, "Bonjour", reference="msg-1")
    # One new token and one more try, not a loop.
    assert [r.status for r in orange.received] == [401, 401]
    assert len(orange.tokens_issued) == 2


def test_orange_no_new_token_after_a_401_is_a_failure_to_retry(orange):
    gateway = orange_gateway(orange)
    gateway.send(CUSTOMER, "un", reference="msg-1")
    orange.behaviour = "expire_token"
    orange.client_secret = "rotated"  # the app's secret changed at Orange meanwhile
    with pytest.raises(
        GatewayUnavailable, match="Orange token: HTTP 401 invalid_client"
    ):
        gateway.send(CUSTOMER, "deux", reference="msg-2")
    assert [r.status for r in orange.received] == [201, 401]


def test_orange_bad_number_is_refused_for_good(orange):
    orange.behaviour = "bad_number"
    with pytest.raises(Refused, match="SVC0004 No valid addresses"):
        orange_gateway(orange).send(CUSTOMER, "Bonjour", reference="msg-1")
    assert [r.status for r in orange.received] == [400]


def test_orange_number_not_in_e164_is_refused_without_asking(orange):
    with pytest.raises(Refused, match="E.164"):
        orange_gateway(orange).send("771234567", "Bonjour", reference="msg-1")
    assert orange.received == [] and orange.tokens_issued == []


def test_orange_server_error_is_a_failure_to_retry(orange):
    orange.behaviour = "error"
    with pytest.raises(GatewayUnavailable, match="HTTP 500") as caught:
        orange_gateway(orange).send(CUSTOMER, "Bonjour", reference="msg-1")
    assert not isinstance(caught.value, Refused)
    assert [r.status for r in orange.received] == [500]


def test_orange_slow_answer_times_out_as_a_failure_to_retry(orange):
    orange.behaviour = "slow"
    gateway = orange_gateway(orange, read_timeout=0.2)
    with pytest.raises(GatewayUnavailable, match="timed out"):
        gateway.send(CUSTOMER, "Bonjour", reference="msg-1")
    # Orange took it all the same: its request has no key to recognise a second send.
    assert len(orange.sent) == 1


def test_orange_unreachable_is_a_failure_to_retry():
    gateway = OrangeSmsGateway(
        "id", "secret", "+221338000000", base_url=closed_port_url()
    )
    with pytest.raises(GatewayUnavailable, match="ConnectionRefusedError"):
        gateway.send(CUSTOMER, "Bonjour", reference="msg-1")


def test_orange_wrong_credentials_send_nothing(orange):
    gateway = OrangeSmsGateway(
        orange.client_id, "wrong", orange.sender, base_url=orange.url
    )
    with pytest.raises(GatewayUnavailable, match="invalid_client"):
        gateway.send(CUSTOMER, "Bonjour", reference="msg-1")
    assert orange.received == [] and orange.tokens_issued == []


def test_orange_threads_sending_together_fetch_one_token(orange):
    gateway = orange_gateway(orange)
    start = threading.Barrier(8)
    results, errors = [], []

    def send(number):
        start.wait()
        try:
            results.append(gateway.send(CUSTOMER, "Bonjour", reference=f"msg-{number}"))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=send, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(results) == 8 and len(orange.sent) == 8
    assert len(orange.tokens_issued) == 1


def test_parse_orange_delivery_reads_final_statuses():
    def receipt(status, **extra):
        return {
            "deliveryInfoNotification": {
                "deliveryInfo": {
                    "address": f"tel:{CUSTOMER}",
                    "deliveryStatus": status,
                },
                **extra,
            }
        }

    assert parse_orange_delivery(
        receipt("DeliveredToTerminal", callbackData="orange-msg-7")
    ) == ("orange-msg-7", True)
    assert parse_orange_delivery(
        receipt("DeliveryImpossible", callbackData="orange-msg-7")
    ) == ("orange-msg-7", False)
    # No callbackData: the id at the end of the message's resourceURL.
    url = "https://api.orange.com/smsmessaging/v1/outbound/tel%3A%2B221338000000/requests/abc-123"
    assert parse_orange_delivery(receipt("DeliveredToTerminal", resourceURL=url)) == (
        "abc-123",
        True,
    )
    # Not final yet, or nothing to match it with, or not a receipt at all.
    assert (
        parse_orange_delivery(receipt("DeliveredToNetwork", callbackData="x")) is None
    )
    assert parse_orange_delivery(receipt("MessageWaiting", callbackData="x")) is None
    assert (
        parse_orange_delivery(receipt("DeliveredToTerminal", callbackData="")) is None
    )
    assert parse_orange_delivery({"inboundSMSMessageNotification": {}}) is None
    assert parse_orange_delivery({}) is None


def test_parse_orange_delivery_takes_a_list_of_deliveries():
    payload = {
        "deliveryInfoNotification": {
            "callbackData": "orange-msg-9",
            "deliveryInfo": [
                {
                    "address": "tel:+221770000000",
                    "deliveryStatus": "DeliveredToTerminal",
                }
            ],
        }
    }
    assert parse_orange_delivery(payload) == ("orange-msg-9", True)


def test_a_sent_message_matches_its_receipt(orange):
    sent = orange_gateway(orange).send(CUSTOMER, "Bonjour", reference="msg-1")
    [message] = orange.sent
    receipt = {
        "deliveryInfoNotification": {
            "callbackData": message.id,
            "deliveryInfo": {
                "address": f"tel:{CUSTOMER}",
                "deliveryStatus": "DeliveredToTerminal",
            },
        }
    }
    assert parse_orange_delivery(receipt) == (sent.provider_ref, True)


# The generic HTTP gateway


def test_http_gateway_sends_json_with_our_reference(sms_gateway):
    gateway = gateway_from_config(sms_gateway.config())
    sent = gateway.send(
        CUSTOMER, "Ça avance, ça y est : à vous dans 5 min", reference="msg-1"
    )

    [message] = sms_gateway.received
    assert (message.to, message.sender, message.reference) == (
        CUSTOMER,
        "SmartQueue",
        "msg-1",
    )
    assert message.text == "Ça avance, ca y est : à vous dans 5 min"  # Ç is GSM-7
    assert message.token == sms_gateway.token
    assert sent == Sent(provider_ref=message.id, segments=1)
    assert gateway.name == "http"


def test_http_gateway_resend_with_one_reference_is_one_sms(sms_gateway):
    gateway = gateway_from_config(sms_gateway.config())
    first = gateway.send(CUSTOMER, "Bonjour", reference="msg-1")
    again = gateway.send(CUSTOMER, "Bonjour", reference="msg-1")
    gateway.send(CUSTOMER, "Bonjour", reference="msg-2")

    assert first.provider_ref == again.provider_ref
    assert [r.status for r in sms_gateway.received] == [201, 200, 201]
    assert sorted(sms_gateway.delivered) == ["msg-1", "msg-2"]


def test_http_gateway_answer_lost_then_retried_sends_one_sms(sms_gateway):
    gateway = HttpSmsGateway(
        sms_gateway.endpoint, sms_gateway.token, "SmartQueue", read_timeout=0.2
    )
    sms_gateway.behaviour = "slow"  # it takes the message, we stop waiting
    with pytest.raises(GatewayUnavailable, match="timed out"):
        gateway.send(CUSTOMER, "Bonjour", reference="msg-1")
    sms_gateway.behaviour = "ok"

    sent = gateway.send(CUSTOMER, "Bonjour", reference="msg-1")

    assert len(sms_gateway.received) == 2
    assert list(sms_gateway.delivered) == ["msg-1"]
    assert sent.provider_ref == sms_gateway.delivered["msg-1"].id


def test_http_gateway_4xx_is_refused_for_good(sms_gateway):
    gateway = HttpSmsGateway(sms_gateway.endpoint, "wrong-token", "SmartQueue")
    with pytest.raises(Refused, match="HTTP 401"):
        gateway.send(CUSTOMER, "Bonjour", reference="msg-1")
    assert sms_gateway.delivered == {}


def test_http_gateway_server_error_is_a_failure_to_retry(sms_gateway):
    sms_gateway.behaviour = "error"
    with pytest.raises(GatewayUnavailable, match="HTTP 500") as caught:
        gateway_from_config(sms_gateway.config()).send(CUSTOMER, "Bonjour", "msg-1")
    assert not isinstance(caught.value, Refused)
    assert sms_gateway.delivered == {}


def test_http_gateway_unreachable_is_a_failure_to_retry():
    gateway = HttpSmsGateway(closed_port_url() + "/messages", "token", "SmartQueue")
    with pytest.raises(GatewayUnavailable, match="ConnectionRefusedError"):
        gateway.send(CUSTOMER, "Bonjour", reference="msg-1")


# The embedded file gateway


def test_file_gateway_prints_and_saves_the_folded_message(tmp_path, capsys):
    gateway = gateway_from_config(
        {"SMS_PROVIDER": "file", "SMS_DIR": str(tmp_path / "sms")}
    )
    sent = gateway.send(CUSTOMER, "Votre tour approche… guichet 3", reference="msg-1")

    [path] = (tmp_path / "sms").iterdir()
    assert sent == Sent(provider_ref=f"file:{path.name}", segments=1)
    assert path.name.endswith("_221771234567_msg_1.txt")
    content = path.read_text(encoding="utf-8")
    assert f"To: {CUSTOMER}\nReference: msg-1\nEncoding: gsm7, 1 SMS\n" in content
    assert content.endswith("\nVotre tour approche... guichet 3\n")
    assert "Votre tour approche... guichet 3" in capsys.readouterr().out
    assert gateway.name == "file"


def test_file_gateway_keeps_two_messages_apart(tmp_path):
    gateway = FileSmsGateway(tmp_path)
    first = gateway.send(CUSTOMER, "un", reference="msg-1")
    second = gateway.send(CUSTOMER, "deux", reference="msg-2")
    assert first.provider_ref != second.provider_ref
    assert len(list(tmp_path.iterdir())) == 2


# Configuration


def test_no_provider_means_no_sms():
    assert gateway_from_config({}) is None
    assert gateway_from_config({"SMS_PROVIDER": None}) is None
    assert gateway_from_config({"SMS_PROVIDER": " "}) is None


def test_each_provider_builds_its_gateway(tmp_path):
    orange = gateway_from_config(
        {
            "SMS_PROVIDER": "orange",
            "ORANGE_SMS_CLIENT_ID": "id",
            "ORANGE_SMS_CLIENT_SECRET": "secret",
            "ORANGE_SMS_SENDER": "+221338000000",
        }
    )
    assert isinstance(orange, OrangeSmsGateway)
    assert orange.base_url == "https://api.orange.com"
    assert orange.sender_name is None
    http = gateway_from_config(
        {
            "SMS_PROVIDER": "HTTP",
            "SMS_HTTP_URL": "https://sms.example.sn/messages",
            "SMS_HTTP_TOKEN": "t",
            "SMS_HTTP_SENDER": "SmartQueue",
        }
    )
    assert isinstance(http, HttpSmsGateway)
    file = gateway_from_config({"SMS_PROVIDER": "file", "SMS_DIR": str(tmp_path)})
    assert isinstance(file, FileSmsGateway) and file.folder == tmp_path


ORANGE = {
    "SMS_PROVIDER": "orange",
    "ORANGE_SMS_CLIENT_ID": "id",
    "ORANGE_SMS_CLIENT_SECRET": "secret",
    "ORANGE_SMS_SENDER": "+221338000000",
}
HTTP = {
    "SMS_PROVIDER": "http",
    "SMS_HTTP_URL": "https://sms.example.sn/messages",
    "SMS_HTTP_TOKEN": "t",
    "SMS_HTTP_SENDER": "SmartQueue",
}


@pytest.mark.parametrize(
    ("config", "missing"),
    [
        (ORANGE, "ORANGE_SMS_CLIENT_ID"),
        (ORANGE, "ORANGE_SMS_CLIENT_SECRET"),
        (ORANGE, "ORANGE_SMS_SENDER"),
        (HTTP, "SMS_HTTP_URL"),
        (HTTP, "SMS_HTTP_TOKEN"),
        (HTTP, "SMS_HTTP_SENDER"),
        ({"SMS_PROVIDER": "file"}, "SMS_DIR"),
    ],
)
def test_a_provider_named_with_a_setting_missing_says_which(config, missing):
    incomplete = {k: v for k, v in config.items() if k != missing}
    with pytest.raises(RuntimeError, match=f"{missing} is not set"):
        gateway_from_config(incomplete)
    with pytest.raises(RuntimeError, match=missing):
        gateway_from_config({**config, missing: ""})


def test_an_orange_sender_not_in_e164_is_a_configuration_error():
    with pytest.raises(RuntimeError, match="ORANGE_SMS_SENDER must be"):
        gateway_from_config({**ORANGE, "ORANGE_SMS_SENDER": "338000000"})


def test_an_unknown_provider_is_a_configuration_error():
    with pytest.raises(RuntimeError, match="'twilio' is not one of"):
        gateway_from_config({"SMS_PROVIDER": "twilio"})
