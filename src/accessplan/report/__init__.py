"""The report: a self-contained HTML page (maps, charts, tables) in English or Chinese.

Each analysis has its section builder in :mod:`accessplan.report.sections`; the page
(:func:`render_page`) lays out any sections.

Needs the ``report`` extra (matplotlib and Jinja2).
"""

from accessplan._errors import require

require("matplotlib", "report")
require("jinja2", "report")

from accessplan.report.blocks import Section  # noqa: E402
from accessplan.report.html import render_page, write_page  # noqa: E402
from accessplan.report.i18n import translator  # noqa: E402

__all__ = ["Section", "render_page", "translator", "write_page"]
