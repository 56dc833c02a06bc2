"""delivery: schema changes of the delivery area

Revision ID: 0004_delivery
Revises: 0002_directory
"""

import sqlalchemy as sa  # noqa: F401
from alembic import op

revision = "0004_delivery"
down_revision = "0002_directory"
branch_labels = None
depends_on = None


def upgrade():
    # The sweeper scans by state and lease expiry on every pass.
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.create_index(
            "ix_delivery_state_lease", ["state", "lease_until"], unique=False
        )


def downgrade():
    with op.batch_alter_table("delivery", schema=None) as batch_op:
        batch_op.drop_index("ix_delivery_state_lease")
