"""Run the web app for the browser and load tests: ``python -m tests.web._server DATA PORT``.

The first admin ``admin`` / ``PASSWORD`` (and a planner and a viewer) are made with cheap
Argon2 settings so that logins take milliseconds; everything else is the app as served.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from accessplan.monitor.security import Passwords
from accessplan.web.app import add_user, serve, user_count
from accessplan.web.config import WebSettings

FAST = Passwords(time_cost=1, memory_cost=8, parallelism=1)
PASSWORD = "correct horse battery"
USERS = {"admin": "admin", "planner": "planner", "viewer": "viewer"}


def main() -> None:
    data, port = Path(sys.argv[1]), int(sys.argv[2])
    database = sys.argv[3] if len(sys.argv) > 3 else ""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s: %(message)s")
    settings = WebSettings(data_dir=data, database_url=database)
    if user_count(settings) == 0:
        for name, role in USERS.items():
            add_user(settings, name, PASSWORD, role, passwords=FAST)
    serve(settings, port=port, passwords=FAST, log_level="warning")


if __name__ == "__main__":
    main()
