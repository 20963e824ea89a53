"""SQLite store: one database file per data home, schema changes as named migrations."""
from .db import open_db, DB_SCHEMA_SET

__all__ = ["open_db", "DB_SCHEMA_SET"]
