"""directory: schema changes of the directory area

Revision ID: 0002_directory
Revises: 0001_foundation
"""
from alembic import op
import sqlalchemy as sa


revision = '0002_directory'
down_revision = '0001_foundation'
branch_labels = None
depends_on = None


def upgrade():
    # Hash of the imported values, so an unchanged building is not rewritten.
    with op.batch_alter_table('building') as batch:
        batch.add_column(sa.Column('row_hash', sa.String(length=64), nullable=True))
    # Warnings of an import run (ignored columns, unknown languages...).
    with op.batch_alter_table('import_run') as batch:
        batch.add_column(
            sa.Column('warnings', sa.JSON(), nullable=False,
                      server_default=sa.text("'[]'"))
        )


def downgrade():
    with op.batch_alter_table('building') as batch:
        batch.drop_column('row_hash')
    with op.batch_alter_table('import_run') as batch:
        batch.drop_column('warnings')
