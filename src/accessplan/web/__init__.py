"""The planner's web page and API: ``accessplan serve``.

A FastAPI app (:func:`~accessplan.web.app.create_app`) over a scenario store (SQLAlchemy 2,
migrated by Alembic; SQLite by default, PostgreSQL from a URL) and a data folder holding
regions, uploaded inputs and run folders exactly as the CLI writes them. Analyses run as jobs
in a worker process (:mod:`~accessplan.web.jobs`) through :data:`accessplan.analyses.ANALYSES`
and :func:`accessplan.run.run_scenario`, so every analysis the package has appears on the page
with no web code of its own. The page is a small MapLibre GL JS application built with npm
from ``web/frontend`` into ``static/`` and served by the app. docs/web.md tells the whole story.

Needs the ``web`` extra (FastAPI, uvicorn, SQLAlchemy, Alembic, argon2-cffi, itsdangerous,
python-multipart): importing the app without it raises an ImportError naming the extra.
"""
