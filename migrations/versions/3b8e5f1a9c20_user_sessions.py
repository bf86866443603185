"""user sessions: one row per sign-in, checked on each request, revocable server-side

Revision ID: 3b8e5f1a9c20
Revises: 7c1e0b9d4a21
Create Date: 2026-12-06 23:45:00.000000

"""
from alembic import op
import sqlalchemy as sa

import smartqueue.models.base


# revision identifiers, used by Alembic.
revision = '3b8e5f1a9c20'
down_revision = '7c1e0b9d4a21'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('user_session',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('device', sa.String(length=80), nullable=True),
    sa.Column('address', sa.String(length=64), nullable=True),
    sa.Column('revoked_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_user_session_user_id_user'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_session'))
    )
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_session_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('user_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_session_user_id'))

    op.drop_table('user_session')
