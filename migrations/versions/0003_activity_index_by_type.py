"""activity index by type: the filtered dashboard reads one page without scanning history

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 03:12:02.866393

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.create_index('ix_activities_user_id_type_created_at', ['user_id', 'type', 'created_at'], unique=False)



def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_index('ix_activities_user_id_type_created_at')

