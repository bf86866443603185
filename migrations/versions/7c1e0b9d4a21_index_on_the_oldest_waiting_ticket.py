"""index on the oldest waiting ticket of a service

The counter screen shows each line's longest wait after every move: with this partial
index it is one index lookup, whatever the length of the line.

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


def downgrade():
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.drop_index('ix_ticket_waiting_arrival')
