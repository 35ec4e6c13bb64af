"""saved reviews: the moments of reviews someone saved, to compare the next one with

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "saved_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("as_of", sa.DateTime(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=False),
        sa.Column("saved_by", sa.String(length=200), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_reviews")),
    )
    op.create_index(op.f("ix_saved_reviews_as_of"), "saved_reviews", ["as_of"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_saved_reviews_as_of"), table_name="saved_reviews")
    op.drop_table("saved_reviews")
