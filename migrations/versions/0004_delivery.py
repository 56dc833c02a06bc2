"""delivery: schema changes of the delivery area

Revision ID: 0004_delivery
Revises: 0003_messaging
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0004_delivery'
down_revision = '0003_messaging'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
