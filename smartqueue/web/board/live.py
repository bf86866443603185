"""The board's live fragment, rendered once per change and published to every board.

(Placeholder until the board screen lands: an empty update.)
"""


def render_board_update(branch_id: int, action: str, ticket_ids: list[int]) -> str:
    return ""
