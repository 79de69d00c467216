"""binding.helper_name: what a family helper asked to be called, so the retiree reads "家属 小红"

Revision ID: 0015
Revises: 0003
Create Date: 2026-12-02 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('helper_name', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.drop_column('helper_name')
