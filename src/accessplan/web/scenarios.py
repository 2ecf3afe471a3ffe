"""Scenarios from the web, checked the way the CLI checks a scenario file.

A scenario arrives as JSON: a name, a seed, a language, the id of a stored region and steps,
each ``{"kind", "name", "options"}`` with the options by their scenario keys. It becomes the
dict a scenario file holds and goes through :meth:`accessplan.settings.Scenario.from_dict`
and so through each analysis's own option parsers and checks: a message from the page is the
message ``accessplan run`` gives for the same scenario file. Option values name uploaded files
by their bare name, read from the scenario's input folder; a value naming a path (``/``,
``\\``, ``..``) is refused before anything is looked up, so no option reaches outside it.
"""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path
from typing import Any

from accessplan._errors import InputError
from accessplan.analyses import analysis
from accessplan.region import Region
from accessplan.run import check_steps
from accessplan.settings import Scenario
from accessplan.web.store import Store

#: Keys of a scenario step that are not options (an option with such a key cannot be given
#: in a scenario file, nor here).
STEP_KEYS = ("kind", "name")


def scenario_dict(store: Store, definition: dict[str, Any]) -> dict[str, Any]:
    """The scenario-file dict of a stored definition (``name, seed, lang, region_id,
    steps``): the region is the stored region's file."""
    steps = []
    for step in definition.get("steps", []):
        table: dict[str, Any] = {"kind": step.get("kind")}
        if step.get("name"):
            table["name"] = step["name"]
        table.update(step.get("options") or {})
        steps.append(table)
    data: dict[str, Any] = {
        "name": definition.get("name") or "scenario",
        "seed": definition.get("seed", 0),
        "lang": definition.get("lang", "en"),
        "steps": steps,
    }
    region_id = definition.get("region_id")
    if region_id is not None:
        data["region"] = {"path": str(store.region_file(int(region_id)))}
    return data


def check(store: Store, definition: dict[str, Any], base: Path) -> Scenario:
    """The validated scenario of ``definition`` whose files are read from ``base``; an
    :class:`InputError` (its message free of server paths) when it is not valid."""
    steps = definition.get("steps")
    if not isinstance(steps, list) or not steps:
        raise InputError("scenario: give at least one step (an analysis to run).")
    for i, step in enumerate(steps, start=1):
        if not isinstance(step, dict) or not isinstance(step.get("options", {}), dict):
            msg = f'scenario: step {i} must be {{"kind": ..., "options": {{...}}}}, got {step!r}.'
            raise InputError(msg)
        kind = step.get("kind")
        for key, value in (step.get("options") or {}).items():
            where = f"scenario: [[steps]] {i} ({kind}) {key}"
            if key in STEP_KEYS:
                msg = (
                    f"{where}: {key!r} names the step itself in a scenario file, so it cannot "
                    "be given as an option."
                )
                raise InputError(msg)
            _no_path(value, where)
    try:
        scenario = Scenario.from_dict(scenario_dict(store, definition), base=base)
        check_region(scenario)
    except InputError as exc:
        raise type(exc)(store.scrub(str(exc))) from None
    inside = base.resolve()
    for key, path in scenario.files().items():  # the region is the store's own file
        if key != "region.path" and inside not in path.resolve().parents:
            raise InputError(f"scenario: {key} is not a file uploaded to this scenario.")
    return scenario


def check_region(scenario: Scenario) -> None:
    """Each step's options against the scenario's region (a tier it has, no more sites than
    it can hold), as :func:`accessplan.run.run_scenario` checks them before any work: so the
    page hears at once what the run would refuse, in the same words."""
    if scenario.region is None or scenario.region.path is None:
        return
    if not any(analysis(s.kind).check_region for s in scenario.steps):
        return
    path = scenario.region.path
    check_steps(scenario, _region(path, path.stat().st_mtime_ns))


@functools.lru_cache(maxsize=4)
def _region(path: Path, _mtime: int) -> Region:
    return Region.read(path)


def _no_path(value: Any, where: str) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _no_path(item, where)
    elif isinstance(value, list | tuple):
        for item in value:
            _no_path(item, where)
    elif isinstance(value, str) and (
        "/" in value or "\\" in value or "\x00" in value or ".." in value
    ):
        msg = (
            f"{where}: {value!r} names a path; give the name of a file uploaded to this "
            "scenario (e.g. 'dem.tif')."
        )
        raise InputError(msg)


def snapshot(source: Path, target: Path) -> None:
    """The scenario's input files as a run uses them: hard links into ``target`` (copies
    where links cannot be made), so replacing an upload later does not change the run."""
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return
    for path in source.iterdir():
        if path.is_file():
            try:
                os.link(path, target / path.name)
            except OSError:
                shutil.copy2(path, target / path.name)
