"""The options form of every analysis, read from :data:`accessplan.analyses.ANALYSES`.

Each :class:`~accessplan.analyses.Option` gives its scenario key, its command-line flag,
whether it is required, and its parser; the kind of input the page shows is read off the
parser (a number, a list, a yes/no, a choice, an uploaded file). A parser this module does not
know (a new analysis's own) gets a text box: the value is checked by the same parser on the
server, so the page needs nothing new for a new analysis. The form never decides what is
valid; :func:`accessplan.web.scenarios.check` does, with the CLI's messages.
"""

from __future__ import annotations

from typing import Any

from accessplan.analyses import ANALYSES, Option
from accessplan.analyses import _options as o
from accessplan.web.scenarios import STEP_KEYS

#: Input kinds by parser.
INPUTS: dict[Any, str] = {
    o.minutes: "number",
    o.metres: "number",
    o.metres_or_zero: "number",
    o.seconds: "number",
    o.count: "integer",
    o.seed: "integer",
    o.flag: "flag",
    o.text: "text",
    o.names: "list",
    o.minutes_list: "list",
    o.file: "file",
    o.raster: "file",
    o.files: "files",
}


def choices(option: Option) -> list[str] | None:
    """The values an option made by :func:`accessplan.analyses._options.choice` allows."""
    parse = option.parse
    if getattr(parse, "__qualname__", "") != "choice.<locals>.parse" or not parse.__closure__:
        return None
    for cell in parse.__closure__:
        value = cell.cell_contents
        if isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            return list(value)
    return None


def option_spec(option: Option) -> dict[str, Any]:
    """What the page needs to show one option."""
    allowed = choices(option)
    return {
        "key": option.key,
        "flag": option.flag,
        "required": option.required,
        "input": "choice" if allowed else INPUTS.get(option.parse, "text"),
        "choices": allowed,
    }


def analyses() -> list[dict[str, Any]]:
    """Every analysis with its options, in the order of :data:`ANALYSES`. Options whose key
    names the step itself (``kind``, ``name``) are left out: a scenario step cannot hold
    them."""
    return [
        {
            "kind": a.kind,
            "needs_region": a.needs_region,
            "options": [option_spec(opt) for opt in a.options if opt.key not in STEP_KEYS],
        }
        for a in ANALYSES.values()
    ]
