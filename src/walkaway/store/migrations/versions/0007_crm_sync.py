"""live CRM sync: cursors per object and the calls written back

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 14:10:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "crm_sync_cursors",
        sa.Column("crm", sa.String(length=32), nullable=False),
        sa.Column("object", sa.String(length=64), nullable=False),
        sa.Column("modified_since", sa.DateTime(), nullable=False),
        sa.Column("synced_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("crm", "object", name=op.f("pk_crm_sync_cursors")),
    )
    op.create_table(
        "crm_pushed_calls",
        sa.Column("crm", sa.String(length=32), nullable=False),
        sa.Column("deal_id", sa.String(length=200), nullable=False),
        sa.Column("recommendation", sa.String(length=16), nullable=False),
        sa.Column("win_probability", sa.Float(), nullable=False),
        sa.Column("top_reason", sa.Text(), nullable=True),
        sa.Column("requalify_by", sa.Date(), nullable=True),
        sa.Column("pushed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("crm", "deal_id", name=op.f("pk_crm_pushed_calls")),
    )


def downgrade() -> None:
    op.drop_table("crm_pushed_calls")
    op.drop_table("crm_sync_cursors")
