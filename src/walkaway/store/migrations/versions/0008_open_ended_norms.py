"""open-ended norms: norms learned at import hold for every later day

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 19:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("norms_cache") as batch:
        batch.add_column(
            sa.Column("open_ended", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("norms_cache") as batch:
        batch.drop_column("open_ended")
