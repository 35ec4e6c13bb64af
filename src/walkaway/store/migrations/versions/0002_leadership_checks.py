"""leadership checks

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "leadership_checks",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("taken_at", sa.DateTime(), nullable=False),
        sa.Column("taken_by", sa.String(length=200), nullable=False),
        sa.Column("answers", sa.Text(), nullable=False),
        sa.Column("report", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_leadership_checks")),
    )
    with op.batch_alter_table("leadership_checks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_leadership_checks_taken_by_taken_at", ["taken_by", "taken_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("leadership_checks", schema=None) as batch_op:
        batch_op.drop_index("ix_leadership_checks_taken_by_taken_at")
    op.drop_table("leadership_checks")
