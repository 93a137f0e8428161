"""Alembic's environment for the ledger: the connection (already in the store's transaction, under its lock) is
handed over by `store.migrations` in the config's attributes; nothing is read from disk but the revisions."""

from alembic import context

context.configure(connection=context.config.attributes["connection"], render_as_batch=False)
with context.begin_transaction():
    context.run_migrations()
