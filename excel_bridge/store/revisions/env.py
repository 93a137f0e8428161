"""Alembic's environment for the ledger: the connection (already in the store's transaction, under its lock) is
handed over by `store.migrations` in the config's attributes; nothing is read from disk but the revisions."""

from alembic import context


def run() -> None:
    context.configure(connection=context.config.attributes["connection"])
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # run by Alembic (imported on its own, as the import test does: nothing to do)
    run()
