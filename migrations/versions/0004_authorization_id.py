"""rename pending_auth_requests.vidos_authorization_id to authorization_id

The column also holds the sandbox's and the local verifier's ids, so it is named for what
it is. Data is kept: PostgreSQL renames in place; SQLite's batch mode copies the table.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 23:40:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


# Two batches each way: SQLite's batch mode drops a unique constraint that names a column
# renamed in the same batch.
def upgrade():
    with op.batch_alter_table('pending_auth_requests', schema=None) as batch_op:
        batch_op.drop_constraint('uq_pending_auth_requests_vidos_authorization_id', type_='unique')
        batch_op.alter_column('vidos_authorization_id', new_column_name='authorization_id')
    with op.batch_alter_table('pending_auth_requests', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_pending_auth_requests_authorization_id', ['authorization_id'])


def downgrade():
    with op.batch_alter_table('pending_auth_requests', schema=None) as batch_op:
        batch_op.drop_constraint('uq_pending_auth_requests_authorization_id', type_='unique')
        batch_op.alter_column('authorization_id', new_column_name='vidos_authorization_id')
    with op.batch_alter_table('pending_auth_requests', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_pending_auth_requests_vidos_authorization_id', ['vidos_authorization_id'])
