"""Migrations form one straight, numbered line, so the store can tell it is current
without loading Alembic."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from walkaway.store import Store
from walkaway.store.database import _alembic_config, head_revision, stored_revision


def test_the_newest_file_is_alembics_only_head(store: Store) -> None:
    script = ScriptDirectory.from_config(_alembic_config(store.engine))
    assert script.get_heads() == [head_revision()]
    revisions = [r.revision for r in script.walk_revisions()]
    assert revisions == sorted(revisions, reverse=True)  # 0006 -> ... -> 0001, no branch


def test_a_store_at_the_head_is_not_migrated_again(store: Store) -> None:
    assert stored_revision(store.engine) == head_revision()
    assert store.is_current()


def test_a_new_database_has_no_revision(tmp_path: object) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path}/empty.db")
    assert stored_revision(engine) is None
    engine.dispose()
