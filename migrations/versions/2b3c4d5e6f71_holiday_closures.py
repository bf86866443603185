"""public holidays as closures: branch_closure.source, and branch_holiday (one row per
branch, year and holiday: closed, proposed, dismissed or passed)

Revision ID: 2b3c4d5e6f71
Revises: 1a2b3c4d5e60
Create Date: 2026-12-07 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import smartqueue.models.base


# revision identifiers, used by Alembic.
revision = '2b3c4d5e6f71'
down_revision = '1a2b3c4d5e60'
branch_labels = None
depends_on = None


def upgrade():
    # Existing closures were entered by managers: manual (and so confirmed).
    with op.batch_alter_table('branch_closure', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                'source',
                sa.Enum('manual', 'holiday', name='closuresource', native_enum=False, length=20),
                nullable=False,
                server_default='manual',
            )
        )

    op.create_table(
        'branch_holiday',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('branch_id', sa.Integer(), nullable=False),
        sa.Column('year', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=60), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('listed_date', sa.Date(), nullable=False),
        sa.Column('is_estimated', sa.Boolean(), nullable=False),
        sa.Column(
            'status',
            sa.Enum('closed', 'proposed', 'dismissed', 'passed', name='holidaystatus', native_enum=False, length=20),
            nullable=False,
        ),
        sa.Column('closure_id', sa.Integer(), nullable=True),
        sa.Column('decided_by_id', sa.Integer(), nullable=True),
        sa.Column(
            'decided_at', smartqueue.models.base.UTCDateTime(timezone=True), nullable=True
        ),
        sa.ForeignKeyConstraint(['branch_id'], ['branch.id'], name=op.f('fk_branch_holiday_branch_id_branch'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['closure_id'], ['branch_closure.id'], name=op.f('fk_branch_holiday_closure_id_branch_closure'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['decided_by_id'], ['user.id'], name=op.f('fk_branch_holiday_decided_by_id_user'), ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_branch_holiday')),
        sa.UniqueConstraint('branch_id', 'year', 'key', name=op.f('uq_branch_holiday_branch_id')),
    )
    with op.batch_alter_table('branch_holiday', schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f('ix_branch_holiday_closure_id'), ['closure_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('branch_holiday', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_branch_holiday_closure_id'))
    op.drop_table('branch_holiday')

    with op.batch_alter_table('branch_closure', schema=None) as batch_op:
        batch_op.drop_column('source')
