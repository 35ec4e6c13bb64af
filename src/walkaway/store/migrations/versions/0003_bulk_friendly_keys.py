"""bulk-friendly keys: activities.import_run_id without a foreign key

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 11:00:00
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_KEY = "fk_activities_import_run_id_import_runs"


def upgrade() -> None:
    # PostgreSQL checks a foreign key with a trigger per row, which made COPY of a
    # million activities markedly slower; the run id is an audit note the importer
    # writes itself. activities.deal_id keeps its key. deals.import_run_id keeps its key
    # too: deals are few, and rebuilding deals on SQLite would cascade its deletes.
    # On SQLite this rebuilds activities (nothing references it, so nothing cascades).
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_constraint(_KEY, type_="foreignkey")


def downgrade() -> None:
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.create_foreign_key(_KEY, "import_runs", ["import_run_id"], ["id"])
