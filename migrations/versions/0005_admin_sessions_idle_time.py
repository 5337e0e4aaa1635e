"""admin sessions, session idle time, maintenance runs

- admin_sessions: the admin page's sign-in lives on the server (hashed token, 30-minute
  expiry, deleted at sign-out) instead of a flag in the signed cookie.
- sessions.last_seen_at: for the idle timeout (SESSION_IDLE_MINUTES); existing sessions
  start with NULL, read as "seen at sign-in".
- maintenance_runs: when pruning last ran, so one worker prunes once an hour.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30 23:49:58.037610

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('admin_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_sessions')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_admin_sessions_token_hash'))
    )
    op.create_table('maintenance_runs',
    sa.Column('name', sa.String(length=32), nullable=False),
    sa.Column('last_run_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_maintenance_runs'))
    )
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('sessions', schema=None) as batch_op:
        batch_op.drop_column('last_seen_at')

    op.drop_table('maintenance_runs')
    op.drop_table('admin_sessions')
