"""security (issue 11): confirmed self bindings, revocable sessions, consent per retiree, hash-chained audit log

Revision ID: 0011
Revises: 0014
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0014'  # re-chained after journeys-agency when merging main
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('binding', schema=None) as batch_op:
        # A self binding made by name + ID number waits here until a live face match (or the agency) confirms it.
        batch_op.add_column(sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('confirmed_via', sa.String(length=16), nullable=True))
    # Bindings made before this revision keep working as they did.
    op.execute("UPDATE binding SET confirmed_at = created_at, confirmed_via = 'legacy'")
    with op.batch_alter_table('wechat_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.add_column(sa.Column('retiree_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_consent_retiree_id'), ['retiree_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_consent_retiree_id_retiree'), 'retiree', ['retiree_id'], ['id'])
    with op.batch_alter_table('retiree', schema=None) as batch_op:
        # The retiree withdrew consent to face processing: no face check for anyone until given again.
        batch_op.add_column(sa.Column('face_consent_withdrawn_at', sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('prev_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('entry_hash', sa.String(length=64), nullable=True))
    if op.get_bind().dialect.name == "postgresql":
        # TRUNCATE fires no row trigger: refuse it with a statement trigger (0001's function raises).
        op.execute("CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
                   "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_column('entry_hash')
        batch_op.drop_column('prev_hash')
    with op.batch_alter_table('retiree', schema=None) as batch_op:
        batch_op.drop_column('face_consent_withdrawn_at')
    with op.batch_alter_table('consent', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_consent_retiree_id_retiree'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_consent_retiree_id'))
        batch_op.drop_column('retiree_id')
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('wechat_user', schema=None) as batch_op:
        batch_op.drop_column('session_version')
    with op.batch_alter_table('binding', schema=None) as batch_op:
        batch_op.drop_column('confirmed_via')
        batch_op.drop_column('confirmed_at')
