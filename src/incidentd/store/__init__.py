"""Persistence: tables, engine set-up, units of work and migrations (SQLite by default, PostgreSQL to scale out)."""
