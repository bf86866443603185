"""public holidays as closures (placeholder, filled by the holidays work)

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
    pass


def downgrade():
    pass
