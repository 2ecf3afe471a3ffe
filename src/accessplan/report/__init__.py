"""The report: a self-contained HTML page (maps, charts, tables) in English or Chinese.

Needs the ``report`` extra (matplotlib and Jinja2).
"""

from accessplan._errors import require

require("matplotlib", "report")
require("jinja2", "report")

from accessplan.report.html import render_report, write_report  # noqa: E402
from accessplan.report.i18n import translator  # noqa: E402

__all__ = ["render_report", "translator", "write_report"]
