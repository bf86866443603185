"""branch position index: "near me" searches a box of latitudes and longitudes first

Revision ID: 4d5e6f7a8b93
Revises: 3c4d5e6f7a82
Create Date: 2026-12-07 07:25:00

"""

from alembic import op

# revision identifiers, used by Alembic.
revision = "4d5e6f7a8b93"
down_revision = "3c4d5e6f7a82"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.create_index(
            "ix_branch_position", ["latitude", "longitude"], unique=False
        )


def downgrade():
    with op.batch_alter_table("branch", schema=None) as batch_op:
        batch_op.drop_index("ix_branch_position")
