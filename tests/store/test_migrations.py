"""Migrations form one straight, numbered line, so the store can tell it is current
without loading Alembic."""

from __future__ import annotations

import subprocess
import sys

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory

from walkaway.errors import StoreError
from walkaway.store import Store, open_store
from walkaway.store.database import (
    _alembic_config,
    head_revision,
    normalise_url,
    stored_revision,
)


def test_the_newest_file_is_alembics_only_head(store: Store) -> None:
    script = ScriptDirectory.from_config(_alembic_config(store.engine))
    assert script.get_heads() == [head_revision()]
    revisions = [r.revision for r in script.walk_revisions()]
    assert revisions == sorted(revisions, reverse=True)  # 0006 -> ... -> 0001, no branch


def test_a_store_at_the_head_is_not_migrated_again(store: Store) -> None:
    assert stored_revision(store) == head_revision()
    assert store.is_current()


def test_a_new_database_has_no_revision(tmp_path: object) -> None:
    empty = open_store(f"sqlite:///{tmp_path}/empty.db", migrate=False)
    assert stored_revision(empty) is None
    empty.close()


def test_creating_the_schema_is_all_or_nothing(store_url: str) -> None:
    """A migration that fails halfway (here: a table of migration 0005 is in the way)
    leaves no table of the earlier ones behind, so the next open starts over cleanly;
    a kill in the middle of the first command is the same case (tests/store/test_kill.py)."""
    engine = sa.create_engine(normalise_url(store_url))
    with engine.begin() as conn:
        conn.execute(sa.text("CREATE TABLE loss_reviews (in_the_way INTEGER)"))
    with pytest.raises(StoreError):
        open_store(store_url)
    assert sa.inspect(engine).get_table_names() == ["loss_reviews"]
    with engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE loss_reviews"))
    engine.dispose()
    opened = open_store(store_url)
    assert opened.is_current()
    opened.close()


def test_two_commands_opening_a_new_store_at_once_both_work(store_url: str) -> None:
    """Four first commands at the same moment: one creates the schema, the others wait and
    find it made (no 'table already exists')."""

    def first_command(name: str) -> list[str]:  # a command that creates its store
        add = ["user", "add", name, "--role", "rep", "--password-stdin", "--db", store_url]
        return [sys.executable, "-m", "walkaway", *add]

    pipes = {"stdin": subprocess.PIPE, "stdout": subprocess.PIPE, "stderr": subprocess.PIPE}
    started = [subprocess.Popen(first_command(f"rep{i}"), **pipes) for i in range(4)]
    finished = [process.communicate(b"a long enough secret\n", timeout=60) for process in started]
    for process, (_out, err) in zip(started, finished, strict=True):
        assert process.returncode == 0, err.decode()


def test_users_and_tokens_made_before_identities_keep_working_after_the_upgrade(
    store: Store,
) -> None:
    """0009 gives every user an identity and every token its user's; a token whose user
    was deleted by hand (foreign keys off) is dropped, not handed to the next user."""
    from alembic import command

    from walkaway.service.users import _digest, user_for_token

    command.downgrade(_alembic_config(store.engine), "0008")
    with store.begin() as conn:
        for user_id, name in ((1, "mia"), (2, "gone")):
            conn.execute(sa.text("INSERT INTO users (id, name, role, password_hash, created_at, "
                                 "active) VALUES (:i, :n, 'manager', 'x', '2026-01-01', :yes)"),
                         {"i": user_id, "n": name, "yes": True})  # fmt: skip
        for user_id, token in ((1, "wa_kept"), (2, "wa_orphan")):
            conn.execute(sa.text("INSERT INTO api_tokens (user_id, token_hash, created_at) "
                                 "VALUES (:u, :h, '2026-01-01')"),
                         {"u": user_id, "h": _digest(token)})  # fmt: skip
    by_hand = sa.create_engine(store.engine.url)  # SQLite: foreign keys off, as in sqlite3
    with by_hand.begin() as conn:
        conn.execute(sa.text("DELETE FROM users WHERE id = 2"))
    by_hand.dispose()
    store.upgrade()
    kept = user_for_token(store, "wa_kept")
    assert kept is not None and kept.name == "mia" and len(kept.uid) == 32
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM api_tokens")).scalar_one() == 1


def test_the_migrated_schema_is_the_one_the_code_declares(store: Store) -> None:
    """Every table, column, key and index of walkaway.store.schema, and nothing else: a
    migration left out (or an index dropped in one and still declared) shows here."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from walkaway.store.schema import metadata

    with store.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        differences = compare_metadata(context, metadata)
    assert differences == []


def test_0013_drops_the_deal_indexes_no_query_uses_and_keeps_the_deals(store: Store) -> None:
    from alembic import command

    command.downgrade(_alembic_config(store.engine), "0012")
    with store.begin() as conn:
        conn.execute(sa.text("INSERT INTO deals (deal_id, owner, stage, amount, created_at, "
                             "outcome, updated_at) VALUES ('D-1', 'Mia', 'Demo', 10, "
                             "'2026-01-01', 'open', '2026-01-01')"))  # fmt: skip
    assert {"ix_deals_owner", "ix_deals_stage", "ix_deals_outcome"} <= _deal_indexes(store)
    store.upgrade()
    assert _deal_indexes(store) == set()
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT owner FROM deals")).scalars().all() == ["Mia"]


def _deal_indexes(store: Store) -> set[str]:
    found = sa.inspect(store.engine).get_indexes("deals")
    return {str(index["name"]) for index in found}
