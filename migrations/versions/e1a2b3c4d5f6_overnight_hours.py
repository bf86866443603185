"""opening hours across midnight and around the clock

A day's hours may close after midnight (closes_at < opens_at) or last 24 h
(00:00-00:00): the CHECK opens_at < closes_at becomes "not an empty span".

Revision ID: e1a2b3c4d5f6
Revises: c5f7e9a1b3d4
Create Date: 2026-12-07 00:35:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e1a2b3c4d5f6'
down_revision = 'c5f7e9a1b3d4'
branch_labels = None
depends_on = None

def upgrade():
    # SQLite: batch mode copies the table, finding the named CHECK constraints by
    # reflection (they were created named, see extensions.NAMING).
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_opening_hours_opens_before_closes'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_opening_hours_span_not_empty'), "opens_at <> closes_at OR opens_at < '00:00:01'"
        )


def downgrade():
    # Hours that cross midnight cannot be written under the old rule: they end at
    # 23:59 (24 h days open at 00:00), the nearest the old schema can say.
    op.execute(
        "UPDATE opening_hours SET closes_at = '23:59:00' WHERE closes_at <= opens_at"
    )
    # SQLite: batch mode copies the table, finding the named CHECK constraints by
    # reflection (they were created named, see extensions.NAMING).
    with op.batch_alter_table('opening_hours', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_opening_hours_span_not_empty'), type_='check')
        batch_op.create_check_constraint(
            op.f('ck_opening_hours_opens_before_closes'), 'opens_at < closes_at'
        )
