"""Alembic environment: migrations run on the connection followup hands over.

followup applies migrations itself (``followup init``, or on opening an older database), in
a transaction it already holds; this file only wires that connection in.
"""

from alembic import context

from events.model import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with 'followup init'; they need followup's connection")

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    # SQLite cannot ALTER most things in place; batch mode rebuilds the table instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
