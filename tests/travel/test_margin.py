"""The safety margin: 5-30 minutes, growing with the trip and the mode's uncertainty."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from smartqueue.travel import TravelMode, safety_margin

modes = st.sampled_from(list(TravelMode))
minutes = st.floats(min_value=0, max_value=600)


@given(modes, st.floats(min_value=-10, max_value=10_000))
def test_margin_always_within_5_and_30(mode, travel):
    assert 5 <= safety_margin(mode, travel) <= 30


@given(modes, minutes, minutes)
def test_a_longer_trip_never_gets_a_smaller_margin(mode, a, b):
    shorter, longer = sorted((a, b))
    assert safety_margin(mode, shorter) <= safety_margin(mode, longer)


@given(minutes)
def test_public_transport_gets_the_largest_margin(travel):
    margins = {mode: safety_margin(mode, travel) for mode in TravelMode}
    assert margins[TravelMode.PUBLIC_TRANSPORT] == max(margins.values())


@pytest.mark.parametrize(
    "mode, travel, margin",
    [
        (TravelMode.WALKING, 10, 7),  # 5 + 2
        (TravelMode.CAR, 20, 12),  # 8 + 4
        (TravelMode.TAXI, 24, 15),  # 10 + 4.8, rounded up
        (TravelMode.PUBLIC_TRANSPORT, 40, 23),  # 15 + 8
        (TravelMode.PUBLIC_TRANSPORT, 90, 30),  # 15 + 18, capped
        (TravelMode.MOTORBIKE, 0, 5),
    ],
)
def test_margin_rule(mode, travel, margin):
    assert safety_margin(mode, travel) == margin
