"""job outbox: follow-up jobs written in the same transaction

Revision ID: 8d4a2c6e1f73
Revises: 3b8e5f1a9c20
Create Date: 2026-12-06 23:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import smartqueue.models.base


# revision identifiers, used by Alembic.
revision = '8d4a2c6e1f73'
down_revision = '3b8e5f1a9c20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('func', sa.String(length=200), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('key', sa.String(length=200), nullable=True),
    sa.Column('created_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('checked_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('locked_until', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('failed_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_job_outbox_key'))
    )
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.create_index('ix_job_outbox_pending', ['created_at'], unique=False, postgresql_where=sa.text('failed_at IS NULL'), sqlite_where=sa.text('failed_at IS NULL'))


def downgrade():
    with op.batch_alter_table('job_outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_job_outbox_pending', postgresql_where=sa.text('failed_at IS NULL'), sqlite_where=sa.text('failed_at IS NULL'))

    op.drop_table('job_outbox')
