"""Every analysis, the same way: options in, a result out, a report section, a step kind.

An analysis is a library function (Region or its inputs + options -> a frozen result that
lists its tables, layers, rasters, summary and parameters, :mod:`accessplan._result`). This
package makes it a *step*: :class:`Analysis` names its options (scenario key and CLI flag),
how to call the library and which report section shows the result. The run folder
(:mod:`accessplan.run`), the scenario file (:mod:`accessplan.settings`) and the CLI use
:data:`ANALYSES` and nothing else; docs/analysis-pattern.md says how to add one.
"""

from __future__ import annotations

import importlib
import pkgutil

from accessplan._errors import InputError
from accessplan.analyses._base import Analysis, Context
from accessplan.analyses._options import Naming, Option, OptionError, parse_options


def _discover() -> dict[str, Analysis]:
    """Every public module of this package that defines ``ANALYSIS``, by kind: adding an
    analysis adds a module here and edits nothing else of the package."""
    found = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("_"):
            found.append(importlib.import_module(f"{__name__}.{info.name}").ANALYSIS)
    return {a.kind: a for a in sorted(found, key=lambda a: a.kind)}


#: The analyses by kind.
ANALYSES: dict[str, Analysis] = _discover()


def analysis(kind: str, *, where: str = "") -> Analysis:
    """The analysis of ``kind``; an unknown kind is refused with the list of kinds."""
    if kind not in ANALYSES:
        msg = f"{where}unknown analysis kind {kind!r}; choose one of {list(ANALYSES)}."
        raise InputError(msg)
    return ANALYSES[kind]


__all__ = [
    "ANALYSES",
    "Analysis",
    "Context",
    "Naming",
    "Option",
    "OptionError",
    "analysis",
    "parse_options",
]
