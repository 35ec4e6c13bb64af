"""deals without the indexes no query uses (owner, stage, outcome)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-08 01:30:00
"""

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

_UNUSED = ("ix_deals_outcome", "ix_deals_owner", "ix_deals_stage")


def upgrade() -> None:
    # Deals are filtered by owner and stage case-blind (lower(owner) = ?), which no
    # index on the column serves, and by outcome only in `walkaway deals --outcome`,
    # whose listing counts every deal's activities anyway (a scan of the deals beside
    # it is nothing); each of the three was kept up on every deal an import wrote
    # (0.1 s of 20,000 deals, a third of their INSERTs).
    for name in _UNUSED:
        op.drop_index(name, table_name="deals")


def downgrade() -> None:
    for name in _UNUSED:
        op.create_index(name, "deals", [name.removeprefix("ix_deals_")], unique=False)
