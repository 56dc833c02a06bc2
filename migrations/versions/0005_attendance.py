"""attendance: schema changes of the attendance area

Revision ID: 0005_attendance
Revises: 0004_delivery
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0005_attendance'
down_revision = '0004_delivery'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
