import pytest

from smartqueue.accounts.errors import InvalidPhone
from smartqueue.accounts.phones import format_phone, normalize_phone


@pytest.mark.parametrize(
    "typed",
    [
        "77 123 45 67",
        "771234567",
        "+221 77 123 45 67",
        "00221771234567",
        "+221771234567",
        "77-123-45-67",
    ],
)
def test_normalize_phone_accepts_the_ways_people_type_a_mobile(typed):
    assert normalize_phone(typed) == "+221771234567"


@pytest.mark.parametrize(
    "typed",
    ["70 123 45 67", "75 123 45 67", "76 123 45 67", "78 123 45 67", "33 823 45 67"],
)
def test_normalize_phone_accepts_every_operator_and_landlines(typed):
    assert normalize_phone(typed).startswith("+2217") or normalize_phone(
        typed
    ).startswith("+22133")


@pytest.mark.parametrize(
    "typed",
    [
        "12345",
        "+33 6 12 34 56 78",
        "79 123 45 67",
        "77 123 45",
        "hello",
        "77 123 45 678",
    ],
)
def test_normalize_phone_refuses_what_is_not_a_senegal_number(typed):
    with pytest.raises(InvalidPhone):
        normalize_phone(typed)


def test_normalize_phone_empty_is_none():
    assert normalize_phone("  ") is None
    assert normalize_phone(None) is None


def test_format_phone_groups_digits():
    assert format_phone("+221771234567") == "77 123 45 67"
