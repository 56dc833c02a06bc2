"""messaging: schema changes of the messaging area

Revision ID: 0003_messaging
Revises: 0002_directory
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0003_messaging'
down_revision = '0002_directory'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
