"""load: indexes the busy pages read by at district scale

The message history page reads audit rows by target, the delivery progress
page counts the attempts of the last seconds, the message page reads its
notice records, and "My contact problems" reads by assignee; without these
each was a scan of a table that only grows.

Revision ID: 0009_load_indexes
Revises: 0006_accounts
"""
from alembic import op


revision = '0009_load_indexes'
down_revision = '0006_accounts'
branch_labels = None
depends_on = None

INDEXES = [
    ('audit_event', 'target'),
    ('attempt', 'started_at'),
    ('notice_record', 'message_id'),
    ('contact_problem', 'assigned_to_id'),
]


def upgrade():
    for table, column in INDEXES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(
                batch_op.f(f'ix_{table}_{column}'), [column], unique=False
            )


def downgrade():
    for table, column in reversed(INDEXES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f'ix_{table}_{column}'))
