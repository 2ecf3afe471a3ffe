"""What an analysis is to the run folder, the report, the CLI and the scenario file."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accessplan._result import AnalysisResult
from accessplan.analyses._options import Naming, Option
from accessplan.region import Region
from accessplan.report.blocks import Section
from accessplan.report.i18n import Translator

Progress = Callable[[str], None]


@dataclass(frozen=True)
class Context:
    """What a step needs besides its options: the run's region (loaded on first use, once
    for all steps), the run's seed and a progress callback naming the current stage."""

    region: Callable[[], Region]
    seed: int
    progress: Progress


@dataclass(frozen=True)
class Analysis:
    """One kind of analysis.

    Attributes
    ----------
    kind
        Its name in scenario files (``kind = "site"``).
    options
        Its options (:class:`~accessplan.analyses._options.Option`).
    run
        ``run(context, options) -> result``: calls the library function with the parsed
        options (by key).
    section
        ``section(result, tr) -> Section``: its part of the report.
    check
        ``check(options, naming)``: rules between options, raising an error that names them
        as the user did (optional).
    check_region
        ``check_region(region, options, naming)``: rules between the options and the region
        (a tier it has, at most as many sites as it can hold), checked before any step runs
        (optional).
    needs_region
        Whether it runs on the scenario's region.
    """

    kind: str
    options: tuple[Option, ...]
    run: Callable[[Context, dict[str, Any]], AnalysisResult]
    section: Callable[[Any, Translator], Section]
    check: Callable[[dict[str, Any], Naming], None] | None = None
    check_region: Callable[[Region, dict[str, Any], Naming], None] | None = None
    needs_region: bool = True

    def option(self, key: str) -> Option:
        """The option with ``key``."""
        return next(o for o in self.options if o.key == key)

    def keywords(self, options: dict[str, Any]) -> dict[str, Any]:
        """Checked options by the library's keywords (:attr:`Option.keyword`)."""
        return {self.option(k).keyword: v for k, v in options.items()}
