"""accounts: schema changes of the accounts area

Revision ID: 0006_accounts
Revises: 0005_attendance
"""
from alembic import op  # noqa: F401
import sqlalchemy as sa  # noqa: F401


revision = '0006_accounts'
down_revision = '0005_attendance'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
