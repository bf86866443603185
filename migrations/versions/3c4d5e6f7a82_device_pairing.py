"""device pairing and last contact (placeholder, filled by the devices work)

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
    pass


def downgrade():
    pass
