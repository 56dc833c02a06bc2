"""attendance: absences, call templates, voice clip cache, daily runs

Revision ID: 0005_attendance
Revises: 0004_delivery
"""
from alembic import op
import sqlalchemy as sa


revision = '0005_attendance'
down_revision = '0004_delivery'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'absence',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('student_id', sa.Integer(), nullable=False),
        sa.Column('building_id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=20), nullable=False),
        sa.Column('held', sa.Boolean(), nullable=False),
        sa.Column('held_by_id', sa.Integer(), nullable=True),
        sa.Column('held_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('import_run_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_absence_building_id_building')),
        sa.ForeignKeyConstraint(['held_by_id'], ['portal_user.id'], name=op.f('fk_absence_held_by_id_portal_user')),
        sa.ForeignKeyConstraint(['import_run_id'], ['import_run.id'], name=op.f('fk_absence_import_run_id_import_run')),
        sa.ForeignKeyConstraint(['student_id'], ['student.id'], name=op.f('fk_absence_student_id_student')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_absence')),
        sa.UniqueConstraint('student_id', 'date', name=op.f('uq_absence_student_id_date')),
    )
    op.create_index(op.f('ix_absence_building_id'), 'absence', ['building_id'], unique=False)
    op.create_index(op.f('ix_absence_date'), 'absence', ['date'], unique=False)
    op.create_index(op.f('ix_absence_student_id'), 'absence', ['student_id'], unique=False)

    op.create_table(
        'attendance_template',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('subject', sa.String(length=200), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('and_word', sa.String(length=20), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_by', sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_template')),
        sa.UniqueConstraint('language', name=op.f('uq_attendance_template_language')),
    )

    op.create_table(
        'tts_clip',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('engine', sa.String(length=20), nullable=False),
        sa.Column('language', sa.String(length=10), nullable=False),
        sa.Column('text_hash', sa.String(length=64), nullable=False),
        sa.Column('path', sa.String(length=300), nullable=False),
        sa.Column('mime_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_tts_clip')),
        sa.UniqueConstraint('engine', 'language', 'text_hash', name=op.f('uq_tts_clip_engine_language_text_hash')),
    )

    op.create_table(
        'attendance_run',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('building_id', sa.Integer(), nullable=False),
        sa.Column('date', sa.Date(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('message_id', sa.Integer(), nullable=True),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('dispatched_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('synthesis_attempts', sa.Integer(), nullable=False),
        sa.Column('counts', sa.JSON(), nullable=False),
        sa.Column('error', sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(['building_id'], ['building.id'], name=op.f('fk_attendance_run_building_id_building')),
        sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_attendance_run_message_id_message')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attendance_run')),
        sa.UniqueConstraint('building_id', 'date', name=op.f('uq_attendance_run_building_id_date')),
    )
    op.create_index(op.f('ix_attendance_run_building_id'), 'attendance_run', ['building_id'], unique=False)
    op.create_index(op.f('ix_attendance_run_date'), 'attendance_run', ['date'], unique=False)


def downgrade():
    op.drop_index(op.f('ix_attendance_run_date'), table_name='attendance_run')
    op.drop_index(op.f('ix_attendance_run_building_id'), table_name='attendance_run')
    op.drop_table('attendance_run')
    op.drop_table('tts_clip')
    op.drop_table('attendance_template')
    op.drop_index(op.f('ix_absence_student_id'), table_name='absence')
    op.drop_index(op.f('ix_absence_date'), table_name='absence')
    op.drop_index(op.f('ix_absence_building_id'), table_name='absence')
    op.drop_table('absence')
