"""The analytics' periodic job: roll up the closed days not rolled up yet."""

from .. import clock
from ..analytics import rollups


def roll_up_closed_days() -> int:
    """Write the rollups of closed branch-days still due (idempotent); how many."""
    return len(rollups.build_closed_days(clock.today()))
