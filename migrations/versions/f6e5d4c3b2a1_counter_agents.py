"""who is at each counter, and taking a counter over

- counter.agent_id, counter.agent_since: the agent holding the counter, since when.
- counter_event: who opened, took over, paused or closed a counter, and from whom.
- ticket.number may be NULL: a transferred ticket keeps the code of its first line and
  takes no number of its new one ((service_id, day, number) stays unique).

Revision ID: f6e5d4c3b2a1
Revises: e1a2b3c4d5f6
Create Date: 2026-12-07 00:35:00.000000

"""
from alembic import op
import sqlalchemy as sa

import smartqueue.models.base


# revision identifiers, used by Alembic.
revision = 'f6e5d4c3b2a1'
down_revision = 'e1a2b3c4d5f6'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('counter', schema=None) as batch_op:
        batch_op.add_column(sa.Column('agent_id', sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                'agent_since',
                smartqueue.models.base.UTCDateTime(timezone=True),
                nullable=True,
            )
        )
        batch_op.create_foreign_key(
            batch_op.f('fk_counter_agent_id_user'),
            'user',
            ['agent_id'],
            ['id'],
            ondelete='SET NULL',
        )

    op.create_table(
        'counter_event',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=20), nullable=False),
        sa.Column(
            'at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=False
        ),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('from_user_id', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(['by_user_id'], ['user.id'], name=op.f('fk_counter_event_by_user_id_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['counter_id'], ['counter.id'], name=op.f('fk_counter_event_counter_id_counter'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['from_user_id'], ['user.id'], name=op.f('fk_counter_event_from_user_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_counter_event')),
    )
    with op.batch_alter_table('counter_event', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_counter_event_counter_id'), ['counter_id'], unique=False
        )

    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=True)


def downgrade():
    # Transferred tickets need a number again: minus their id, which no other has.
    op.execute("UPDATE ticket SET number = -id WHERE number IS NULL")
    with op.batch_alter_table('ticket', schema=None) as batch_op:
        batch_op.alter_column('number', existing_type=sa.Integer(), nullable=False)

    with op.batch_alter_table('counter_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_counter_event_counter_id'))
    op.drop_table('counter_event')

    with op.batch_alter_table('counter', schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f('fk_counter_agent_id_user'), type_='foreignkey'
        )
        batch_op.drop_column('agent_since')
        batch_op.drop_column('agent_id')
