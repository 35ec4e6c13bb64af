"""column mappings a team set once, kept per source (the headers they read)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 12:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "column_maps",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=32), nullable=False),
        sa.Column("mapping", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_column_maps")),
    )


def downgrade() -> None:
    op.drop_table("column_maps")
