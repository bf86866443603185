"""ticket expiry: what is due, found by an index

- ix_ticket_live_day: tickets still waiting or called, by day. The expiry job's "left
  from a past day" first reads the oldest live day from it (one index probe) and reads
  no ticket when that is today; its other rules read ix_ticket_branch_day_status,
  ix_ticket_waiting_arrival and ix_ticket_counter_current.

Revision ID: c5f7e9a1b3d4
Revises: 8d4a2c6e1f73
Create Date: 2026-12-06 23:45:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c5f7e9a1b3d4'
down_revision = '8d4a2c6e1f73'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_live_day',
            ['day'],
            unique=False,
            postgresql_where=sa.text("status IN ('waiting', 'called')"),
            sqlite_where=sa.text("status IN ('waiting', 'called')"),
        )


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_live_day')
