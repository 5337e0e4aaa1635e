"""verification layer: sandbox authorizer state, callback response codes, one-time logins

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 02:54:14.306521

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('sandbox_authorizations',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('credentials', sa.JSON(), nullable=True),
    sa.Column('policy_response', sa.JSON(), nullable=True),
    sa.Column('response_code_hash', sa.String(length=64), nullable=True),
    sa.Column('response_code_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_code_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sandbox_authorizations')),
    sa.UniqueConstraint('response_code_hash', name=op.f('uq_sandbox_authorizations_response_code_hash'))
    )
    with op.batch_alter_table('pending_auth_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('response_code_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('login_issued_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_pending_auth_requests_response_code_hash'), ['response_code_hash'])



def downgrade():
    with op.batch_alter_table('pending_auth_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_pending_auth_requests_response_code_hash'), type_='unique')
        batch_op.drop_column('login_issued_at')
        batch_op.drop_column('response_code_hash')

    op.drop_table('sandbox_authorizations')
