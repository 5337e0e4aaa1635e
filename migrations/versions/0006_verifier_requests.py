"""the bank's own OpenID4VP verifier replaces the sandbox's shortcut

- verifier_requests: one row per authorization request of the local verifier (AUTHORIZER
  local or sandbox): the signed request object and its claims, nonce, state, the ephemeral
  response-encryption key (found by its kid, erased once answered), the wallet's vp_token,
  the decision, and the single-use response code.
- sandbox_authorizations is dropped: the demo wallet now answers over OpenID4VP, like any
  wallet. Its rows were requests of at most ten minutes; one open during the upgrade
  expires for the person, who starts again.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 03:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('verifier_requests',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response_mode', sa.String(length=16), nullable=False),
    sa.Column('request', sa.JSON(), nullable=False),
    sa.Column('request_object', sa.Text(), nullable=False),
    sa.Column('client_id', sa.String(length=255), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('state', sa.String(length=64), nullable=True),
    sa.Column('origin', sa.String(length=255), nullable=True),
    sa.Column('encryption_kid', sa.String(length=64), nullable=False),
    sa.Column('encryption_key', sa.JSON(), nullable=True),
    sa.Column('vp_token', sa.JSON(), nullable=True),
    sa.Column('credentials', sa.JSON(), nullable=True),
    sa.Column('policy_response', sa.JSON(), nullable=True),
    sa.Column('response_code_hash', sa.String(length=64), nullable=True),
    sa.Column('response_code_expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_code_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('responded_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_verifier_requests')),
    sa.UniqueConstraint('encryption_kid', name=op.f('uq_verifier_requests_encryption_kid')),
    sa.UniqueConstraint('response_code_hash', name=op.f('uq_verifier_requests_response_code_hash')),
    sa.UniqueConstraint('state', name=op.f('uq_verifier_requests_state'))
    )
    op.drop_table('sandbox_authorizations')


def downgrade():
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
    op.drop_table('verifier_requests')
