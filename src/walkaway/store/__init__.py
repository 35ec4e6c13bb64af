"""The store: SQLAlchemy Core tables, SQLite by default, PostgreSQL by URL, Alembic."""

from walkaway.store.database import DEFAULT_URL, Store, open_store, opened_to_fill

__all__ = ["DEFAULT_URL", "Store", "open_store", "opened_to_fill"]
