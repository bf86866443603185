"""What keeps the kiosk's start screen current without being told: the branch opening or
closing by its hours publishes nothing, so the screen re-fetches itself at the next
moment its state may change (and hears everything else on its socket)."""

import math
from datetime import datetime

from ..queueing.rules import BranchState, next_change

# A screen left alone re-fetches at least this often: whatever it did not hear (a message
# missed while its socket was down) shows within the hour.
LONGEST_WAIT = 3600
# After the change rather than on it: a clock a little behind would fetch the old state.
MARGIN = 1


def seconds_until_change(branch_id: int, state: BranchState) -> int:
    """Seconds until the branch's open/closed state may next change (capped: see
    LONGEST_WAIT). Early is harmless: the screen then finds no change."""
    return _seconds(state.local, next_change(branch_id, state.local))


def _seconds(local: datetime, moment: datetime) -> int:
    wait = math.ceil((moment - local).total_seconds()) + MARGIN
    return max(MARGIN, min(wait, LONGEST_WAIT))
