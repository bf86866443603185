"""services' English names (name_en, beside name_fr and name_wo)

Revision ID: 1a2b3c4d5e60
Revises: f6e5d4c3b2a1
Create Date: 2026-12-07 02:30:00.000000

"""
from alembic import op
import sqlalchemy as sa

import smartqueue.models.base


# revision identifiers, used by Alembic.
revision = '1a2b3c4d5e60'
down_revision = 'f6e5d4c3b2a1'
branch_labels = None
depends_on = None


def upgrade():
    # Nullable: a service without an English name shows its French one (name_for).
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_en', sa.String(length=120), nullable=True))


def downgrade():
    with op.batch_alter_table('service', schema=None) as batch_op:
        batch_op.drop_column('name_en')
