"""Alembic environment: runs against the engine handed over by walkaway.store.

Every pending migration runs in one transaction, so a store is never left half made (a
kill or an error in the middle of the first command undoes all of it), and two commands
opening a new store at once take turns: the second waits, then finds nothing to do.
"""

from alembic import context

from walkaway.store.schema import metadata

config = context.config
engine = config.attributes["engine"]
# Any constant shared by every Walkaway process: the key of the migration lock.
MIGRATION_LOCK = 0x57A1_4A7

with engine.begin() as connection:
    if connection.dialect.name == "sqlite":
        # pysqlite opens a transaction only before INSERT/UPDATE/DELETE: without this
        # each CREATE TABLE commits on its own. IMMEDIATE takes the write lock now.
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    elif connection.dialect.name == "postgresql":
        connection.exec_driver_sql(f"SELECT pg_advisory_xact_lock({MIGRATION_LOCK})")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
