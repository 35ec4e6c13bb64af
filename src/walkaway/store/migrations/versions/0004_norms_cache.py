"""norms cache: the team norms of a review as of a day, per import run and policy

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "norms_cache",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("import_run_id", sa.Integer(), nullable=False),
        sa.Column("policy_hash", sa.String(length=64), nullable=False),
        sa.Column("computed_at", sa.DateTime(), nullable=False),
        sa.Column("norms", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_norms_cache")),
        sa.UniqueConstraint(
            "as_of", "import_run_id", "policy_hash", name=op.f("uq_norms_cache_as_of")
        ),
    )


def downgrade() -> None:
    op.drop_table("norms_cache")
