"""loss reviews: the buyer's answer and the lessons of a lost deal

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 11:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loss_reviews",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("deal_id", sa.String(length=200), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=200), nullable=True),
        sa.Column("buyer_answer", sa.Text(), nullable=True),
        sa.Column("lesson", sa.Text(), nullable=True),
        sa.Column("move_on_by", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["deal_id"],
            ["deals.deal_id"],
            name=op.f("fk_loss_reviews_deal_id_deals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loss_reviews")),
    )
    with op.batch_alter_table("loss_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_loss_reviews_deal_id"), ["deal_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("loss_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_loss_reviews_deal_id"))
    op.drop_table("loss_reviews")
