"""The fixed buckets of the wait and service-time histograms, and the percentiles read
from them (a bucket's upper edge: "9 in 10 waited at most X min")."""

import functools
import math
from bisect import bisect_right
from collections.abc import Sequence
from fractions import Fraction

from ..models.analytics import BUCKET_EDGES_MINUTES, BUCKETS

EDGES_SECONDS = tuple(edge * 60 for edge in BUCKET_EDGES_MINUTES)
# What the open last bucket ("240 minutes or more") reports as its edge.
OPEN_BUCKET_MINUTES = BUCKET_EDGES_MINUTES[-1]


def bucket_of(seconds: float) -> int:
    """The histogram bucket holding a time: i with EDGES[i-1] <= t < EDGES[i]; the last
    bucket (len(EDGES)) is open."""
    return bisect_right(EDGES_SECONDS, max(seconds, 0))


def upper_edge_minutes(bucket: int) -> int:
    return (
        BUCKET_EDGES_MINUTES[bucket]
        if bucket < len(BUCKET_EDGES_MINUTES)
        else OPEN_BUCKET_MINUTES
    )


def percentile(counts: Sequence[int], q: float) -> int | None:
    """The upper edge (minutes) of the bucket holding the ceil(q n)-th smallest time;
    None when the histogram is empty."""
    if len(counts) != BUCKETS:
        raise ValueError(f"a histogram has {BUCKETS} buckets, not {len(counts)}")
    total = sum(counts)
    if total == 0:
        return None
    rank = _rank(q, total)
    seen = 0
    for bucket, count in enumerate(counts):
        seen += count
        if seen >= rank:
            return upper_edge_minutes(bucket)
    raise AssertionError("unreachable: rank <= total")


@functools.lru_cache(maxsize=4096)
def _rank(q: float, total: int) -> int:
    """ceil(q n), exactly: 0.9 * 70 is 63.00000000000001 in floats, whose ceiling is
    64, not 63."""
    return max(1, math.ceil(Fraction(q).limit_denominator(10_000) * total))


def p90_minutes(counts: Sequence[int]) -> int | None:
    """9 in 10 of the times counted were at most this many minutes (bounded by the
    bucket's edge); None when nothing was counted."""
    return percentile(counts, 0.9)
