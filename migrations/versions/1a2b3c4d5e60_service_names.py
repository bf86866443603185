"""services' English names (placeholder, filled by the Wolof work)

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
    pass


def downgrade():
    pass
