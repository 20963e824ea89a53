"""SQLite store: one database file per data home, schema changes as named migrations."""

from .db import DB_SCHEMA_SET, open_db

__all__ = ["open_db", "DB_SCHEMA_SET"]
