"""journeys-agency: home-visit contact and times, death-report details, a retiree's own changes, token purpose

* service_request: the contact phone and preferred times of a home visit; the date of death,
  the reporter's relationship and an optional certificate photo of a death report.
* retiree: ``died_on`` (set when a death report is confirmed) and ``self_changed`` (field →
  when the retiree or family last changed it), which a roster re-import must not silently undo.
* binding_token: ``purpose`` — ``family`` (a proxy) or ``share`` (a second person on the same
  phone, with that person's own consent).

Revision ID: 0013
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa


revision = '0013'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.add_column(sa.Column('contact_phone_enc', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('contact_phone_masked', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('preferred_times', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('died_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('reporter_relation', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('certificate_key', sa.String(length=255), nullable=True))
    with op.batch_alter_table('retiree', schema=None) as batch_op:
        batch_op.add_column(sa.Column('died_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('self_changed', sa.JSON(), nullable=True))
    with op.batch_alter_table('binding_token', schema=None) as batch_op:
        batch_op.add_column(sa.Column('purpose', sa.String(length=16), server_default='family', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('binding_token', schema=None) as batch_op:
        batch_op.drop_column('purpose')
    with op.batch_alter_table('retiree', schema=None) as batch_op:
        batch_op.drop_column('self_changed')
        batch_op.drop_column('died_on')
    with op.batch_alter_table('service_request', schema=None) as batch_op:
        batch_op.drop_column('certificate_key')
        batch_op.drop_column('reporter_relation')
        batch_op.drop_column('died_on')
        batch_op.drop_column('preferred_times')
        batch_op.drop_column('contact_phone_masked')
        batch_op.drop_column('contact_phone_enc')
