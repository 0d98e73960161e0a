"""Alembic environment: migrations run on the connection padan hands over (see db.migrate)."""

from alembic import context

from padan.service.models import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata)
with context.begin_transaction():
    context.run_migrations()
