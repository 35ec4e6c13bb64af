"""users get a never-reused identity (uid) that sessions and API tokens name

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:00:00
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("uid", sa.String(length=32), nullable=True))
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("user_uid", sa.String(length=32), nullable=True))
    conn = op.get_bind()
    users = sa.table("users", sa.column("id", sa.Integer), sa.column("uid", sa.String))
    tokens = sa.table(
        "api_tokens", sa.column("user_id", sa.Integer), sa.column("user_uid", sa.String)
    )
    for (user_id,) in conn.execute(sa.select(users.c.id)).all():
        uid = secrets.token_hex(16)
        conn.execute(users.update().where(users.c.id == user_id).values(uid=uid))
        conn.execute(tokens.update().where(tokens.c.user_id == user_id).values(user_uid=uid))
    # a token whose user was deleted (with foreign keys off) acts for nobody
    conn.execute(tokens.delete().where(tokens.c.user_uid.is_(None)))
    # An index, not a rebuilt table: on SQLite rebuilding users would drop it, and the
    # foreign key's ON DELETE CASCADE would take every API token with it.
    with op.batch_alter_table("users") as batch:
        batch.create_index(batch.f("ix_users_uid"), ["uid"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("user_uid")
    with op.batch_alter_table("users") as batch:
        batch.drop_index(batch.f("ix_users_uid"))
        batch.drop_column("uid")
