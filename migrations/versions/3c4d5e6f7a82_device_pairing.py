"""device pairing and last contact: device.last_seen_at, device.sound_blocked_at, device_pairing

Revision ID: 3c4d5e6f7a82
Revises: 2b3c4d5e6f71
Create Date: 2026-12-07 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import smartqueue.models.base


# revision identifiers, used by Alembic.
revision = '3c4d5e6f7a82'
down_revision = '2b3c4d5e6f71'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('sound_blocked_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True))

    op.create_table('device_pairing',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('secret_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('expires_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('claimed_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('device_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['device_id'], ['device.id'], name=op.f('fk_device_pairing_device_id_device'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_device_pairing')),
    sa.UniqueConstraint('code', name=op.f('uq_device_pairing_code')),
    sa.UniqueConstraint('secret_hash', name=op.f('uq_device_pairing_secret_hash'))
    )
    with op.batch_alter_table('device_pairing', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_device_pairing_expires_at'), ['expires_at'], unique=False)


def downgrade():
    with op.batch_alter_table('device_pairing', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_device_pairing_expires_at'))

    op.drop_table('device_pairing')
    with op.batch_alter_table('device', schema=None) as batch_op:
        batch_op.drop_column('sound_blocked_at')
        batch_op.drop_column('last_seen_at')
