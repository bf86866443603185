"""indexes that keep the screens' reads independent of the waiting line's length

- ix_ticket_waiting_arrival: each line's longest wait (counter screen), one index lookup.
- ix_ticket_recent_calls: the board's latest calls, read from the end of an index that
  holds only called tickets.
- ix_ticket_counter_current becomes partial (counter_id IS NOT NULL): waiting tickets
  have no counter, and counting their NULLs made SQLite's planner (after ANALYZE) think
  the index useless and scan the table on every call.

Revision ID: 7c1e0b9d4a21
Revises: 25f66e92e131
Create Date: 2026-11-28 01:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7c1e0b9d4a21'
down_revision = '25f66e92e131'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.create_index(
            'ix_ticket_waiting_arrival',
            ['service_id', 'arrived_at'],
            unique=False,
            postgresql_where=sa.text("status = 'waiting'"),
            sqlite_where=sa.text("status = 'waiting'"),
        )
        batch_op.create_index(
            'ix_ticket_recent_calls',
            ['branch_id', 'called_at'],
            unique=False,
            postgresql_where=sa.text('called_at IS NOT NULL'),
            sqlite_where=sa.text('called_at IS NOT NULL'),
        )
        batch_op.drop_index('ix_ticket_counter_current')
        batch_op.create_index(
            'ix_ticket_counter_current',
            ['counter_id', 'status'],
            unique=False,
            postgresql_where=sa.text('counter_id IS NOT NULL'),
            sqlite_where=sa.text('counter_id IS NOT NULL'),
        )


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_counter_current')
        batch_op.create_index(
            'ix_ticket_counter_current', ['counter_id', 'status'], unique=False
        )
        batch_op.drop_index('ix_ticket_recent_calls')
        batch_op.drop_index('ix_ticket_waiting_arrival')
