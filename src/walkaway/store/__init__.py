"""The store: SQLAlchemy Core tables, SQLite by default, PostgreSQL by URL, Alembic."""

from walkaway.store.database import DEFAULT_URL, Store, open_store

__all__ = ["DEFAULT_URL", "Store", "open_store"]
