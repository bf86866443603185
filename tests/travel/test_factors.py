"""Dakar's factors: DOMAIN.md's tables, read in Dakar time, and how they combine."""

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from smartqueue.travel import TravelMode
from smartqueue.travel.factors import (
    DAILY,
    HOURLY,
    is_rush_hour,
    local_factor,
    slowdown,
    traffic_factor,
)

MONDAY = datetime(2026, 11, 30, tzinfo=timezone.utc)


def test_factors_are_domain_tables():
    assert HOURLY == (
        0.7, 0.6, 0.6, 0.6, 0.7, 0.8, 1.1, 1.8, 2.2, 1.7, 1.0, 1.0,
        1.3, 1.4, 1.2, 1.1, 1.1, 2.0, 2.5, 1.9, 1.4, 1.0, 0.9, 0.8,
    )  # fmt: skip
    assert DAILY == (1.0, 1.1, 1.1, 1.2, 1.3, 0.8, 0.7)


@pytest.mark.parametrize(
    "day, hour, factor",
    [(0, 8, 2.2), (1, 8, 2.2 * 1.1), (4, 18, 2.5 * 1.3), (6, 3, 0.6 * 0.7)],
)
def test_traffic_factor_is_hourly_times_daily(day, hour, factor):
    at = MONDAY + timedelta(days=day, hours=hour)
    assert traffic_factor(at) == pytest.approx(factor)


def test_traffic_factor_reads_dakar_time_whatever_the_zone_given():
    # 09:00 in Paris on a winter Friday is 08:00 in Dakar (UTC+0 all year).
    paris = datetime(2026, 12, 4, 9, 0, tzinfo=ZoneInfo("Europe/Paris"))
    assert traffic_factor(paris) == pytest.approx(2.2 * 1.3)
    # 23:30 on Sunday in Dakar is already Monday in Paris: Dakar's Sunday counts.
    sunday_night = datetime(2026, 12, 7, 0, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert traffic_factor(sunday_night) == pytest.approx(0.8 * 0.7)


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError):
        traffic_factor(datetime(2026, 12, 1, 8, 0))


@pytest.mark.parametrize("hour", range(24))
def test_rush_hours_are_7_to_9_and_17_to_19(hour):
    assert is_rush_hour(MONDAY + timedelta(hours=hour)) == (
        hour in {7, 8, 9, 17, 18, 19}
    )


def test_local_factor_is_the_mean_of_both_communes():
    assert local_factor(2.5, 2.2) == pytest.approx(2.35)  # Plateau -> Médina, not 5.5
    assert local_factor(2.1, None) == pytest.approx(1.55)  # unknown counts as 1.0
    assert local_factor(None, None) == 1.0


def test_walking_ignores_traffic_but_not_rain():
    rush = MONDAY + timedelta(hours=18)
    assert slowdown(TravelMode.WALKING, rush, 2.5, 2.5) == 1.0
    assert slowdown(TravelMode.WALKING, rush, 2.5, 2.5, weather=1.3) == 1.3


def test_a_jakarta_suffers_half_of_a_cars_slowdown():
    rush = MONDAY + timedelta(hours=8)  # 2.2 x 1.0, local 1.0
    assert slowdown(TravelMode.CAR, rush) == pytest.approx(2.2)
    assert slowdown(TravelMode.MOTORBIKE, rush) == pytest.approx(1.6)


def test_weather_below_one_is_refused():
    with pytest.raises(ValueError):
        slowdown(TravelMode.CAR, MONDAY, weather=0.9)
