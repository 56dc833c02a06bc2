"""directory: leaner indexes for the daily import

`guardian_link.guardian_id` had an index of its own beside the unique
(guardian_id, student_id) index that already serves every lookup by
guardian. A contact point has one owner, a guardian or a staff member, so
each owner index now holds only the rows of its own kind. Each import
writes these tables by the hundred thousand; fewer index entries make its
writes cheaper, and no query loses its index.

Revision ID: 0010_directory_lean_indexes
Revises: 0009_load_indexes
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_directory_lean_indexes"
down_revision = "0009_load_indexes"
branch_labels = None
depends_on = None

OWNERS = ("guardian_id", "staff_member_id")


def upgrade():
    op.drop_index("ix_guardian_link_guardian_id", table_name="guardian_link")
    for column in OWNERS:
        op.drop_index(f"ix_contact_point_{column}", table_name="contact_point")
        where = sa.text(f"{column} IS NOT NULL")
        op.create_index(
            f"ix_contact_point_{column}",
            "contact_point",
            [column],
            postgresql_where=where,
            sqlite_where=where,
        )


def downgrade():
    for column in OWNERS:
        op.drop_index(f"ix_contact_point_{column}", table_name="contact_point")
        op.create_index(f"ix_contact_point_{column}", "contact_point", [column])
    op.create_index("ix_guardian_link_guardian_id", "guardian_link", ["guardian_id"])
