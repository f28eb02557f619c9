"""Alembic migrations of the store, for SQLite and PostgreSQL alike (``bridge db upgrade``)."""
