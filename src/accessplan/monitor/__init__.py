"""Monitoring households at risk of falling (back) into poverty because of illness.

A register of households and their (pseudonymous) members, medical claims and income records
in a database (SQLite by default, PostgreSQL from a URL); financial-protection indicators
(:mod:`~accessplan.monitor.indicators`, numpy and pandas only); versioned early-warning rules
(:mod:`~accessplan.monitor.rules`); a case workflow (:mod:`~accessplan.monitor.workflow`);
roles scoped by area and an audit log of every change; redacted public notices; a FastAPI
router (:mod:`~accessplan.monitor.api`). docs/monitor.md tells the whole story.

The database parts need the ``monitor`` extra (SQLAlchemy, Alembic, argon2-cffi,
cryptography; FastAPI for the router): importing them without it raises an ImportError that
names the extra. The indicators work without it.
"""
