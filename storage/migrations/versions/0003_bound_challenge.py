"""bound challenge (issue 15): challenge timeline, reveal and chunk logs; attempt fingerprint

Revision ID: 0003
Revises: 0011
Create Date: 2026-12-01 23:20:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.add_column(sa.Column('timeline', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('recording_started_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('reveals', sa.JSON(), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('chunks', sa.JSON(), nullable=False, server_default='[]'))
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('fingerprint', sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('attempt', schema=None) as batch_op:
        batch_op.drop_column('fingerprint')
    with op.batch_alter_table('challenge', schema=None) as batch_op:
        batch_op.drop_column('chunks')
        batch_op.drop_column('reveals')
        batch_op.drop_column('recording_started_at')
        batch_op.drop_column('timeline')
