"""accounts: account requests, access history, training, append-only audit

Revision ID: 0006_accounts
Revises: 0005_attendance
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_accounts'
down_revision = '0005_attendance'
branch_labels = None
depends_on = None

# The same DDL as portal.accounts.audit (copied, so this file never changes
# when the code does): PostgreSQL refuses UPDATE and DELETE of audit rows.
APPEND_ONLY_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'audit_event rows are append-only (% refused)', TG_OP;
END;
$$ LANGUAGE plpgsql
"""
APPEND_ONLY_TRIGGER = """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()
"""


def upgrade():
    op.create_table('account_request',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('staff_member_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.Column('portal_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_account_request_building_id_building')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['portal_user.id'], name=op.f('fk_account_request_decided_by_id_portal_user')),
    sa.ForeignKeyConstraint(['portal_user_id'], ['portal_user.id'], name=op.f('fk_account_request_portal_user_id_portal_user')),
    sa.ForeignKeyConstraint(['requested_by_id'], ['portal_user.id'], name=op.f('fk_account_request_requested_by_id_portal_user')),
    sa.ForeignKeyConstraint(['staff_member_id'], ['staff_member.id'], name=op.f('fk_account_request_staff_member_id_staff_member')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_account_request'))
    )
    with op.batch_alter_table('account_request', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_account_request_status'), ['status'], unique=False)

    op.create_table('training_session',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('held_on', sa.Date(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=False),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['portal_user.id'], name=op.f('fk_training_session_recorded_by_id_portal_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_session'))
    )
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_session_held_on'), ['held_on'], unique=False)

    op.create_table('access_change',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('change', sa.String(length=30), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=True),
    sa.Column('building_id', sa.Integer(), nullable=True),
    sa.Column('starts_on', sa.Date(), nullable=True),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('account_request_id', sa.Integer(), nullable=True),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['account_request_id'], ['account_request.id'], name=op.f('fk_access_change_account_request_id_account_request')),
    sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_access_change_building_id_building')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['portal_user.id'], name=op.f('fk_access_change_changed_by_id_portal_user')),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], name=op.f('fk_access_change_user_id_portal_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_change'))
    )
    with op.batch_alter_table('access_change', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_access_change_user_id'), ['user_id'], unique=False)

    op.create_table('training_attendance',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['session_id'], ['training_session.id'], name=op.f('fk_training_attendance_session_id_training_session')),
    sa.ForeignKeyConstraint(['user_id'], ['portal_user.id'], name=op.f('fk_training_attendance_user_id_portal_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_training_attendance')),
    sa.UniqueConstraint('session_id', 'user_id', name=op.f('uq_training_attendance_session_id_user_id'))
    )
    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_training_attendance_session_id'), ['session_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_training_attendance_user_id'), ['user_id'], unique=False)

    if op.get_bind().dialect.name == 'postgresql':
        op.execute(APPEND_ONLY_FUNCTION)
        op.execute(APPEND_ONLY_TRIGGER)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event')
        op.execute('DROP FUNCTION IF EXISTS audit_event_append_only()')

    with op.batch_alter_table('training_attendance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_attendance_user_id'))
        batch_op.drop_index(batch_op.f('ix_training_attendance_session_id'))

    op.drop_table('training_attendance')
    with op.batch_alter_table('access_change', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_access_change_user_id'))

    op.drop_table('access_change')
    with op.batch_alter_table('training_session', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_training_session_held_on'))

    op.drop_table('training_session')
    with op.batch_alter_table('account_request', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_account_request_status'))

    op.drop_table('account_request')
