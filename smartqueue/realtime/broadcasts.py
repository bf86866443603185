"""An urgent message posted or ended reaches the branch's boards at once.

Like publishers.py: runs after the commit, in the process that made the change; the
banner is rendered once (screens/board.py) and every process relays it to its boards.
A message that simply runs out (shown_until) publishes nothing: the board asks again at
that moment, as the banner's update told it (its data-next-check).
"""

from .. import events
from ..screens.board import render_broadcast_update
from . import channels
from .broker import publish_many


@events.broadcast_changed.connect
def _on_broadcast_changed(sender, branch_id: int, **_):
    publish_many([(channels.board(branch_id), render_broadcast_update(branch_id))])
