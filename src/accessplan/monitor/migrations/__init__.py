"""Alembic migrations of the monitor database (run by :func:`accessplan.monitor.db.init`)."""
