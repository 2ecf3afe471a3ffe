"""Command line: ``accessplan ...``. Wraps the library; holds no logic of its own."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from typer.core import TyperCommand

from accessplan._errors import AccessPlanError, InputError, OutputError
from accessplan._files import check_writable, new_file

app = typer.Typer(
    help="Plan rural basic public services on real roads and terrain.", no_args_is_help=True
)
region_app = typer.Typer(help="Build and inspect regions.", no_args_is_help=True)
travel_app = typer.Typer(help="Travel times over the road network.", no_args_is_help=True)
app.add_typer(region_app, name="region")
app.add_typer(travel_app, name="travel")

err = Console(stderr=True)
out = Console()
T = TypeVar("T")

#: Exit code for bad input (files, options, values).
EXIT_INPUT = 2
#: Exit code for a failure that is accessplan's fault (a bug), and for Ctrl-C.
EXIT_BUG = 1
EXIT_INTERRUPTED = 130


@app.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Show info logs.")] = False,
) -> None:
    """Configure logging for the command line (the library itself never does)."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="%(message)s",
        handlers=[RichHandler(console=err, show_path=False)],
    )
    if not verbose:
        logging.getLogger("pyogrio").setLevel(logging.WARNING)


def run_safely(func: Callable[[], T]) -> T:
    """Run ``func``; report accessplan errors in one line and exit with code 2.

    Anything else is a bug, never the answer to bad input: it is reported as one line too
    (exit code 1), with its traceback under ``--verbose``."""
    try:
        return func()
    except AccessPlanError as exc:
        _error(str(exc))
        raise typer.Exit(EXIT_INPUT) from exc
    except KeyboardInterrupt as exc:
        _error("interrupted; no output was written.")
        raise typer.Exit(EXIT_INTERRUPTED) from exc
    except Exception as exc:
        if logging.getLogger().isEnabledFor(logging.INFO):  # --verbose: show the traceback
            raise
        _error(
            f"internal error (a bug): {type(exc).__name__}: {exc}; rerun with --verbose for "
            "the traceback and report it."
        )
        raise typer.Exit(EXIT_BUG) from exc


def _error(message: str) -> None:
    text = " ".join(message.split())  # one line, whatever the message held
    err.print(f"[bold red]error:[/] {escape(text)}", highlight=False, soft_wrap=True)


def _check_inputs(files: dict[str, Path | None]) -> None:
    """Each input file given (by the flag that named it) exists, is a file and is not empty."""
    from accessplan.analyses import _options as o

    for flag, path in files.items():
        if path is not None:
            o.file(path, o.Where(flag))


def _check_output_file(
    out: Path, inputs: dict[str, Path | None], *, suffix: str, strict: bool = False
) -> None:
    """Refuse, before any work, an output file that would replace an input, is a folder or
    cannot be written; with ``strict``, one that does not end in ``suffix``."""
    check_writable(out)
    if out.is_dir():
        msg = f"--out {str(out)!r} is a folder; give a file name, e.g. --out {out / 'out'}{suffix}."
        raise OutputError(msg)
    if out.exists():
        for flag, path in inputs.items():
            if path is not None and path.exists() and os.path.samefile(path, out):
                msg = (
                    f"--out {str(out)!r} is also an input ({flag}); writing it would replace "
                    "that file. Choose another --out."
                )
                raise OutputError(msg)
    if strict and out.suffix.lower() != suffix:
        msg = f"--out {str(out)!r} must end in {suffix}; e.g. --out {out.with_suffix(suffix)}."
        raise OutputError(msg)


@contextmanager
def stages(title: str) -> Iterator[Callable[[str], None]]:
    """A progress display; yields a callback that names the current stage."""
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as progress:
        task = progress.add_task(title, total=None)

        def update(stage: str) -> None:
            progress.update(task, description=f"{title}: {stage}")

        yield update


ProfilesFile = Annotated[
    Path | None, typer.Option("--profiles", help="TOML file overriding travel profiles.")
]


@region_app.command("build")
def region_build(
    osm: Annotated[Path, typer.Option(help="OpenStreetMap extract (.osm.pbf).")],
    out_path: Annotated[Path, typer.Option("--out", help="Region GeoPackage to write.")],
    dem: Annotated[Path | None, typer.Option(help="Elevation: SRTM .hgt(.zip) or GeoTIFF.")] = None,
    population: Annotated[
        Path | None, typer.Option(help="Village table (CSV/XLSX) or population raster.")
    ] = None,
    settlements: Annotated[Path | None, typer.Option(help="Settlement points file.")] = None,
    facilities: Annotated[Path | None, typer.Option(help="Facility points file.")] = None,
    boundary: Annotated[Path | None, typer.Option(help="Administrative polygons.")] = None,
    tiers: Annotated[
        Path | None, typer.Option(help="Table id,tier overriding guessed tiers.")
    ] = None,
    smooth_m: Annotated[
        float | None,
        typer.Option(
            help="Smooth road profiles over this many metres (default: one DEM cell; 0: off)."
        ),
    ] = None,
    services: Annotated[
        Path | None,
        typer.Option(
            help="Services catalogue (TOML): services, tiers, OSM tags, standards; 'default' "
            "for the bundled one of every rural public service. Without it: health and school."
        ),
    ] = None,
) -> None:
    """Build a region from OSM (+ terrain, population, tables) into one GeoPackage."""
    from accessplan.analyses import _options as o
    from accessplan.io.osm import region_from_osm
    from accessplan.services import default_catalogue

    bundled = services is not None and str(services) == "default"

    def build() -> Any:
        inputs = {
            "--osm": osm,
            "--dem": dem,
            "--population": population,
            "--settlements": settlements,
            "--facilities": facilities,
            "--boundary": boundary,
            "--tiers": tiers,
            "--services": None if bundled else services,
        }
        _check_inputs(inputs)
        _check_output_file(out_path, inputs, suffix=".gpkg", strict=True)
        smooth = None if smooth_m is None else o.metres_or_zero(smooth_m, o.Where("--smooth-m"))
        with stages("building region") as update:
            region = region_from_osm(
                osm,
                dem=dem,
                population=population,
                settlements=settlements,
                facilities=facilities,
                boundary=boundary,
                tiers=tiers,
                services=default_catalogue() if bundled else services,
                smooth_m=smooth,
                progress=update,
            )
            update("writing")
            region.write(out_path)
        return region

    region = run_safely(build)
    _print_summary(region.summary())
    out.print(f"wrote {out_path}")


@region_app.command("info")
def region_info(region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")]) -> None:
    """Print what a region holds."""
    from accessplan.region import Region

    def read() -> Region:
        _check_inputs({"the region file": region_path})
        return Region.read(region_path)

    region = run_safely(read)
    _print_summary(region.summary())


@travel_app.command("nearest")
def travel_nearest(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_path: Annotated[Path, typer.Option("--out", help="CSV to write.")],
    profile: Annotated[str, typer.Option(help="walk, motorcycle, car or mobile_clinic.")] = "car",
    by: Annotated[str, typer.Option(help="tier or service.")] = "tier",
    profiles_file: ProfilesFile = None,
) -> None:
    """Minutes from every settlement to the nearest facility of each tier."""
    from accessplan.analyses import _options as o
    from accessplan.travel import nearest

    def work() -> None:
        chosen = _travel_profile(profile, profiles_file)
        by_ = o.choice("tier", "service")(by, o.Where("--by"))
        region = _travel_region(region_path, out_path, profiles_file)
        with stages("nearest facilities"):
            table = nearest(region, chosen, by=by_)
        _write_csv(table, out_path)

    run_safely(work)
    out.print(f"wrote {out_path}")


@travel_app.command("times")
def travel_times_cmd(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_path: Annotated[Path, typer.Option("--out", help="CSV to write (from_id,to_id,minutes).")],
    profile: Annotated[str, typer.Option(help="walk, motorcycle, car or mobile_clinic.")] = "car",
    cutoff: Annotated[
        float | None, typer.Option(help="Leave out pairs beyond these minutes.")
    ] = None,
    profiles_file: ProfilesFile = None,
) -> None:
    """Settlement x facility travel times as a long table."""
    from rich.progress import BarColumn, MofNCompleteColumn

    from accessplan.analyses import _options as o
    from accessplan.travel import travel_times

    def work() -> None:
        chosen = _travel_profile(profile, profiles_file)
        limit = None if cutoff is None else o.minutes(cutoff, o.Where("--cutoff"))
        region = _travel_region(region_path, out_path, profiles_file)
        with Progress(
            TextColumn("facilities"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
        ) as bar:
            task = bar.add_task("facilities", total=len(region.facilities))
            table = travel_times(
                region,
                chosen,
                cutoff=limit,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _write_csv(table, out_path)

    run_safely(work)
    out.print(f"wrote {out_path}")


def _travel_profile(profile: str, profiles_file: Path | None) -> Any:
    """The travel profile named by --profile (from --profiles when given)."""
    from accessplan.analyses import _options as o
    from accessplan.travel import get_profile, load_profiles

    _check_inputs({"--profiles": profiles_file})
    name = o.text(profile, o.Where("--profile"))
    o.known([name], load_profiles(profiles_file), o.Where("--profile"))
    return get_profile(name, profiles_file=profiles_file)


def _travel_region(region_path: Path, out_path: Path, profiles_file: Path | None) -> Any:
    """The region of a travel command, once --out is known to be writable; it must have
    settlements and facilities."""
    from accessplan._validate import require_places
    from accessplan.region import Region

    _check_inputs({"the region file": region_path})
    inputs = {"the region file": region_path, "--profiles": profiles_file}
    _check_output_file(out_path, inputs, suffix=".csv")
    region = Region.read(region_path)
    require_places(region)
    return region


Lang = Annotated[str | None, typer.Option("--lang", help="Report language: en or zh.")]
OutDir = Annotated[
    Path, typer.Option("--out", help="Run folder to write (new, or an earlier run).")
]


def _run(make: Callable[[], Any], out_dir: Path | None, lang: str | None, title: str) -> Path:
    """Validate a scenario built by ``make``, run it with progress, return the run folder."""
    from accessplan.run import run_scenario

    def work() -> Path:
        _check_lang(lang)
        scenario = make()
        with stages(title) as update:
            return run_scenario(scenario, out=out_dir, lang=lang, progress=update)

    return run_safely(work)


def _step(
    kind: str,
    options: dict[str, Any],
    out_dir: Path,
    lang: str | None,
    *,
    region: Path | None = None,
    seed: int = 0,
    title: str,
) -> Path:
    """Run one analysis step from command-line options into a run folder; print where."""
    from accessplan.settings import Scenario

    def make() -> Scenario:
        return Scenario.one_step(kind, options, region=region, seed=seed, lang=lang or "en")

    folder = _run(make, out_dir, lang, title)
    _print_summary(_summary(folder))
    out.print(f"wrote {folder}")
    out.print(str(folder / "report.html"))
    return folder


@app.command("run")
def run_cmd(
    scenario_path: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Run folder (default: [output] dir).")
    ] = None,
    lang: Lang = None,
    distributed: Annotated[
        bool,
        typer.Option(
            "--distributed",
            help="Partition the region by county and run on Dask (a local cluster unless "
            "--scheduler); the same run folder.",
        ),
    ] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(help="Dask scheduler address, e.g. tcp://10.0.0.5:8786 (--distributed)."),
    ] = None,
    store: Annotated[
        Path | None,
        typer.Option(help="Shared folder every worker reads and writes (needed with --scheduler)."),
    ] = None,
    workers: Annotated[int, typer.Option(help="Worker processes of the local cluster.")] = 2,
    level: Annotated[
        str, typer.Option(help="Administrative level partitions follow (--distributed).")
    ] = "county",
) -> None:
    """Run a scenario file's steps into one run folder (tables, results.gpkg, report.html)."""
    from accessplan.settings import Scenario

    if distributed:
        folder = run_safely(
            lambda: _run_distributed(
                scenario_path, out_dir, lang, scheduler=scheduler, store=store,
                workers=workers, level=level,
            )
        )  # fmt: skip
    else:
        if scheduler is not None or store is not None:
            run_safely(lambda: _refuse("--scheduler and --store go with --distributed."))
        folder = _run(lambda: Scenario.from_toml(scenario_path), out_dir, lang, "running")
    out.print(f"wrote {folder}")
    out.print(str(folder / "report.html"))


def _refuse(msg: str) -> None:
    raise InputError(msg)


def _run_distributed(
    scenario_path: Path,
    out_dir: Path | None,
    lang: str | None,
    *,
    scheduler: str | None,
    store: Path | None,
    workers: int,
    level: str,
) -> Path:
    """``accessplan run --distributed``: the scenario on Dask, a bar per round of tasks."""
    from rich.progress import BarColumn, MofNCompleteColumn

    from accessplan.scale import run_distributed
    from accessplan.settings import Scenario

    _check_lang(lang)
    if workers < 1:
        _refuse(f"--workers must be at least 1, got {workers}.")
    scenario = Scenario.from_toml(scenario_path)
    with Progress(
        SpinnerColumn(),
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("distributed run", total=None)
        return run_distributed(
            scenario,
            out=out_dir,
            lang=lang,
            scheduler=scheduler,
            store=store,
            workers=workers,
            level=level,
            progress=lambda stage: bar.update(
                task, description=f"distributed run: {stage}", completed=0, total=None
            ),
            round_progress=lambda label, done, total: bar.update(
                task, description=label, completed=done, total=total
            ),
        )


@app.command("access")
def access_cmd(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_dir: OutDir,
    profile: Annotated[
        str, typer.Option(help="Profiles, comma-separated (first = main).")
    ] = "walk,motorcycle,car",
    thresholds: Annotated[str, typer.Option(help="Minutes, comma-separated.")] = "15,30,60",
    referral_limit: Annotated[
        float, typer.Option(help="Limit (min) of the referral chain.")
    ] = 120.0,
    clinic_within: Annotated[
        float | None, typer.Option(help="A village passes with a clinic this close (min).")
    ] = None,
    max_snap_m: Annotated[
        float | None, typer.Option(help="Flag places farther than this from a road (m).")
    ] = None,
    profiles_file: ProfilesFile = None,
    lang: Lang = None,
) -> None:
    """Coverage, gaps, completeness and referral of a region: the service circle."""
    options = {
        "profiles": profile,
        "thresholds": thresholds,
        "referral_limit_min": referral_limit,
        "clinic_within_min": clinic_within,
        "max_snap_m": max_snap_m,
        "profiles_file": profiles_file,
    }
    _step("access", options, out_dir, lang, region=region_path, title="measuring access")


@app.command("demo")
def demo_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Run folder to write.")] = Path(
        "demo-output"
    ),
    seed: Annotated[int, typer.Option(help="Seed of the synthetic county.")] = 1,
    lang: Lang = "zh",
) -> None:
    """Synthetic mountain county -> region -> service circle -> report; prints the report path."""
    from accessplan.analyses import _options as o
    from accessplan.settings import Scenario

    def make() -> Scenario:
        return Scenario.from_dict(
            {
                "name": "accessplan demo",
                "seed": o.seed(seed, o.Where("--seed")),
                "region": {"synthetic": "mountain_county"},
                "steps": [{"kind": "access", "profiles": ["walk", "motorcycle", "car"]}],
            }
        )

    folder = _run(make, out_dir, lang, "demo")
    out.print(str((folder / "report.html").resolve()))


class _SeveralValues(TyperCommand):
    """A command whose list options take several values after one flag
    (``--barriers river.shp restricted.shp``) as well as the flag repeated: each value that
    follows such a flag's value, up to the next option, gets the flag again."""

    several: tuple[str, ...] = ("--barriers",)

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        spread: list[str] = []
        flag = None
        for i, arg in enumerate(args):
            if arg.startswith("-"):
                flag = arg if arg in self.several else None
            elif flag is not None and spread[-1] != flag and i > 0:
                spread.append(flag)
            spread.append(arg)
        return super().parse_args(ctx, spread)


@app.command("surface", cls=_SeveralValues)
def surface_cmd(
    dem: Annotated[
        Path, typer.Option(help="Elevation raster; its grid (projected, metres) is the grid.")
    ],
    landcover: Annotated[Path, typer.Option(help="Land-cover classes on the DEM grid.")],
    facilities: Annotated[Path, typer.Option(help="Facility points (GeoPackage, Shapefile, CSV).")],
    scenario: Annotated[
        Path, typer.Option(help="AccessMod scenario table (CSV/XLSX): class, label, speed, mode.")
    ],
    out_dir: OutDir,
    roads: Annotated[Path | None, typer.Option(help="Road lines with a `class` field.")] = None,
    barriers: Annotated[
        list[Path] | None,
        typer.Option(help="Barrier lines or polygons: --barriers river.shp restricted.shp"),
    ] = None,
    stack: Annotated[
        str | None,
        typer.Option(
            help="Merge order, top first (the first item wins a cell; a barrier masks the items "
            'after it), e.g. "barrier:restricted,roads,barrier:river,landcover". Default: '
            "polygon barriers > roads (ascending class) > line barriers > land cover."
        ),
    ] = None,
    clean_artefacts: Annotated[
        bool | None,
        typer.Option(
            "--clean-artefacts/--keep-artefacts",
            help="AccessMod's cleaning of one-cell road diagonals through barriers (default on).",
        ),
    ] = None,
    rules: Annotated[
        str | None,
        typer.Option(help="current (AccessMod 5.8+, default) or accessmod-2015."),
    ] = None,
    population: Annotated[
        Path | None, typer.Option(help="People per cell on the DEM grid.")
    ] = None,
    zones: Annotated[Path | None, typer.Option(help="Zone polygons for the zonal table.")] = None,
    zone_field: Annotated[str | None, typer.Option(help="Field naming the zones.")] = None,
    direction: Annotated[str, typer.Option(help="towards or from the facilities.")] = "towards",
    anisotropic: Annotated[
        bool | None,
        typer.Option(
            "--anisotropic/--isotropic", help="Slope-dependent speeds (default: anisotropic)."
        ),
    ] = None,
    knight: Annotated[
        bool, typer.Option("--knight", help="16 neighbours (knight's move).")
    ] = False,
    max_minutes: Annotated[float, typer.Option(help="Maximum travel time.")] = 120.0,
    thresholds: Annotated[
        str | None, typer.Option(help="Minutes of the 'people within' columns, comma-separated.")
    ] = None,
    capacity_field: Annotated[str | None, typer.Option(help="Facility capacity field.")] = None,
    order: Annotated[str, typer.Option(help="population, capacity or field.")] = "population",
    order_field: Annotated[str | None, typer.Option(help="Field for --order field.")] = None,
    id_field: Annotated[str, typer.Option(help="Facility id field.")] = "id",
    lang: Lang = None,
) -> None:
    """Raster accessibility like AccessMod: travel time, capacity coverage, zonal tables."""
    options = {
        "dem": dem,
        "landcover": landcover,
        "facilities": facilities,
        "scenario_table": scenario,
        "roads": roads,
        "barriers": barriers or None,
        "stack": stack,
        "clean_artefacts": clean_artefacts,
        "rules": rules,
        "population": population,
        "zones": zones,
        "zone_field": zone_field,
        "direction": direction,
        "anisotropic": anisotropic,
        "knight": knight,
        "max_minutes": max_minutes,
        "thresholds": thresholds,
        "capacity_field": capacity_field,
        "order": order,
        "order_field": order_field,
        "id_field": id_field,
    }
    _step("surface", options, out_dir, lang, title="raster accessibility")


@app.command("site")
def site_cmd(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_dir: OutDir,
    tier: Annotated[str, typer.Option(help="Tier to place, e.g. township_health_center.")],
    model: Annotated[
        str, typer.Option(help="mclp, lscp, pmedian, pcenter, cpmp or cmaxcover.")
    ] = "mclp",
    add: Annotated[
        int | None, typer.Option("--p", help="New sites to add to the existing ones.")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Coverage standard (minutes) of covering models.")
    ] = None,
    max_minutes: Annotated[
        float | None, typer.Option(help="No assignment beyond these minutes.")
    ] = None,
    profile: Annotated[str, typer.Option(help="Travel profile.")] = "car",
    profiles_file: ProfilesFile = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for the solver.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the heuristics.")] = 0,
    lang: Lang = None,
) -> None:
    """Where to raise facilities to a tier: optimal sites among the lower-tier facilities.

    Writes a run folder: sites.csv, assignment.csv, settlements.csv (minutes to the nearest
    site before and after), summary.json, results.gpkg and report.html with the plan's map.
    """
    options = {
        "tier": tier,
        "model": model,
        "p": add,
        "threshold": threshold,
        "max_minutes": max_minutes,
        "profile": profile,
        "profiles_file": profiles_file,
        "time_limit": time_limit,
        "seed": seed,
    }
    _step("site", options, out_dir, lang, region=region_path, seed=seed, title="site planning")


@app.command("equity")
def equity_cmd(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_dir: OutDir,
    resource: Annotated[
        str, typer.Option(help="Facility column of the supply: beds, doctors, capacity...")
    ] = "beds",
    profile: Annotated[str, typer.Option(help="Travel profile.")] = "car",
    catchment: Annotated[float, typer.Option(help="Catchment (minutes).")] = 60.0,
    methods: Annotated[
        str | None,
        typer.Option(
            help="Comma-separated, first = main: 2sfca, e2sfca, g2sfca, 3sfca, fca, gravity, raam."
        ),
    ] = None,
    service: Annotated[str, typer.Option(help="Service of the facilities.")] = "health",
    tiers: Annotated[
        str | None, typer.Option(help="Tiers holding the resource, comma-separated (all).")
    ] = None,
    order: Annotated[
        str | None, typer.Option(help="Settlement column ranking people (e.g. income).")
    ] = None,
    reference: Annotated[
        float | None, typer.Option(help="Reference density per 1,000 people.")
    ] = None,
    tau: Annotated[
        float | None, typer.Option(help="RAAM: minutes weighing as a facility's mean load.")
    ] = None,
    max_snap_m: Annotated[
        float | None, typer.Option(help="Flag places farther than this from a road (m).")
    ] = None,
    profiles_file: ProfilesFile = None,
    lang: Lang = None,
) -> None:
    """Access to a resource (2SFCA family, gravity, RAAM) and its equity: Gini, Theil, density.

    Writes a run folder: settlements.csv (access per method, need), facilities.csv,
    units.csv (density per 1,000 people and km², HRAD/PAD, need by township), inequality.csv,
    theil.csv, theil_groups.csv, lorenz.csv, results.gpkg and report.html.
    """
    options = {
        "resource": resource,
        "profile": profile,
        "catchment": catchment,
        "methods": methods,
        "service": service,
        "tiers": tiers,
        "order": order,
        "reference": reference,
        "tau": tau,
        "max_snap_m": max_snap_m,
        "profiles_file": profiles_file,
    }
    _step("equity", options, out_dir, lang, region=region_path, title="measuring equity")


@app.command("mobile")
def mobile_cmd(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_dir: OutDir,
    fleet: Annotated[
        str | None, typer.Option(help="clinic (visits to chronic patients) or supply (vans).")
    ] = None,
    threshold: Annotated[
        float | None, typer.Option(help="Villages beyond these minutes of --tier (15).")
    ] = None,
    villages: Annotated[
        str | None, typer.Option(help="Or these settlement ids, comma-separated.")
    ] = None,
    tier: Annotated[
        str | None, typer.Option(help="Fixed tier the villages are measured from.")
    ] = None,
    access_profile: Annotated[
        str | None, typer.Option(help="Profile of the reach of fixed facilities (walk).")
    ] = None,
    days: Annotated[int | None, typer.Option(help="Working days in the horizon (22).")] = None,
    start: Annotated[
        str | None, typer.Option(help="First day, e.g. 2025-03-03: weekdays from it.")
    ] = None,
    holidays: Annotated[
        str | None, typer.Option(help="Days off, comma-separated dates (needs --start).")
    ] = None,
    workday: Annotated[str | None, typer.Option(help="Workday: 8h, 7h30m or 480.")] = None,
    overtime: Annotated[str | None, typer.Option(help="Overtime allowed per day.")] = None,
    vehicles: Annotated[
        str | None,
        typer.Option(help="Vehicles per depot and day: township_health_center:1 or H003:2,H007:1."),
    ] = None,
    profile: Annotated[
        str | None, typer.Option(help="Profile of the vehicles (mobile_clinic).")
    ] = None,
    follow_up_days: Annotated[
        float | None, typer.Option(help="Days between visits of a village (30).")
    ] = None,
    visits_column: Annotated[
        str | None, typer.Option(help="Settlement column of visits needed (else from the above).")
    ] = None,
    setup_min: Annotated[str | None, typer.Option(help="Set-up time per stop.")] = None,
    minutes_per_patient: Annotated[
        str | None, typer.Option(help="Clinic: time per chronic patient (5).")
    ] = None,
    demand: Annotated[
        str | None, typer.Option(help="Supply: amount per village and round, or a column.")
    ] = None,
    capacity: Annotated[float | None, typer.Option(help="Supply: what one van carries.")] = None,
    continuity: Annotated[
        bool | None, typer.Option("--continuity/--no-continuity", help="Same vehicle each visit.")
    ] = None,
    sweep: Annotated[
        bool | None,
        typer.Option("--sweep/--no-sweep", help="Find the fleet needed for full coverage."),
    ] = None,
    compare_fixed: Annotated[
        int | None, typer.Option(help="Compare with 0..N new fixed sites (2; 0: no).")
    ] = None,
    coverage_target: Annotated[
        str | None,
        typer.Option(
            help="Coverage the fixed-or-mobile comparison's cheapest mix must reach: the share "
            "of people within the threshold or in a village served (1.0)."
        ),
    ] = None,
    cost_per_km: Annotated[float | None, typer.Option(help="Cost per km.")] = None,
    cost_per_trip: Annotated[float | None, typer.Option(help="Cost per trip.")] = None,
    cost_per_vehicle_day: Annotated[
        float | None, typer.Option(help="Cost per vehicle and day.")
    ] = None,
    cost_per_overtime_min: Annotated[
        float | None, typer.Option(help="Cost per minute of overtime.")
    ] = None,
    cost_per_site_year: Annotated[
        float | None, typer.Option(help="Yearly cost of a fixed site (comparison).")
    ] = None,
    profiles_file: ProfilesFile = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for the main solve.")] = None,
    iterations: Annotated[int | None, typer.Option(help="Search iterations.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the search.")] = 0,
    lang: Lang = None,
) -> None:
    """Mobile clinic or supply van tours over weeks for villages fixed facilities do not reach.

    Writes a run folder: schedule.csv (day, vehicle, stops and times), villages.csv,
    routes.csv, coverage.csv, dropped.csv (with reasons), fleet.csv, tradeoff.csv,
    kpis.json (key figures, workload per vehicle, coverage per township, fleet sweep,
    fixed-or-mobile curve), summary.json, results.gpkg (tours) and report.html.
    """
    options = {
        "fleet": fleet,
        "threshold": threshold,
        "villages": villages,
        "tier": tier,
        "access_profile": access_profile,
        "days": days,
        "start": start,
        "holidays": holidays,
        "workday": workday,
        "overtime": overtime,
        "vehicles": vehicles,
        "profile": profile,
        "follow_up_days": follow_up_days,
        "visits_column": visits_column,
        "setup_min": setup_min,
        "minutes_per_patient": minutes_per_patient,
        "demand": demand,
        "capacity": capacity,
        "continuity": continuity,
        "sweep": sweep,
        "compare_fixed": compare_fixed,
        "coverage_target": coverage_target,
        "cost_per_km": cost_per_km,
        "cost_per_trip": cost_per_trip,
        "cost_per_vehicle_day": cost_per_vehicle_day,
        "cost_per_overtime_min": cost_per_overtime_min,
        "cost_per_site_year": cost_per_site_year,
        "profiles_file": profiles_file,
        "time_limit": time_limit,
        "iterations": iterations,
        "seed": seed,
    }
    _step("mobile", options, out_dir, lang, region=region_path, seed=seed, title="planning tours")


@app.command("schools")
def schools_cmd(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_dir: OutDir,
    min_size: Annotated[
        float | None, typer.Option(help="Schools below this many pupils may close (0: none).")
    ] = None,
    max_minutes: Annotated[
        str | None, typer.Option(help="One-way limits per band, e.g. primary=30,middle=60.")
    ] = None,
    bands: Annotated[str | None, typer.Option(help="Grade bands (primary,middle).")] = None,
    band_profiles: Annotated[
        str | None, typer.Option(help="Travel profile per band (primary=walk,middle=motorcycle).")
    ] = None,
    boarding: Annotated[
        str | None, typer.Option(help="Bands old enough to board (middle), or none.")
    ] = None,
    boarder_cost: Annotated[
        float | None, typer.Option(help="Cost of a boarder in pupil-minutes (60).")
    ] = None,
    move_cost: Annotated[
        float | None, typer.Option(help="Cost of a pupil moved in pupil-minutes (10).")
    ] = None,
    teaching_points: Annotated[
        bool | None,
        typer.Option("--teaching-points/--no-teaching-points", help="Allow teaching points."),
    ] = None,
    teaching_point_cost: Annotated[
        float | None, typer.Option(help="Cost of a teaching point in pupil-minutes (600).")
    ] = None,
    protect_township: Annotated[
        bool | None,
        typer.Option(
            "--protect-township/--no-protect-township",
            help="Keep the only school of a band in its township (on).",
        ),
    ] = None,
    protected: Annotated[
        str | None, typer.Option(help="School ids that stay open, comma-separated.")
    ] = None,
    closest: Annotated[
        bool | None,
        typer.Option("--closest/--no-closest", help="Pupils go to the nearest open school."),
    ] = None,
    max_closures: Annotated[int | None, typer.Option(help="Most schools that may close.")] = None,
    curve_points: Annotated[
        int | None, typer.Option(help="Points of the schools-travel trade-off (5; 0: none).")
    ] = None,
    profiles_file: ProfilesFile = None,
    time_limit: Annotated[float | None, typer.Option(help="Seconds for the solver (60).")] = None,
    seed: Annotated[int, typer.Option(help="Seed of the solvers.")] = 0,
    lang: Lang = None,
) -> None:
    """Consolidate small schools: which close, where their pupils go, boarding and teaching
    points, within capacities and one-way limits per grade band.

    Writes a run folder: schools.csv, pupil_assignment.csv, townships.csv, tradeoff.csv,
    summary.json, results.gpkg (schools, pupil flows) and report.html.
    """
    options = {
        "bands": bands,
        "max_minutes": max_minutes,
        "band_profiles": band_profiles,
        "profiles_file": profiles_file,
        "min_size": min_size,
        "boarding": boarding,
        "boarder_cost": boarder_cost,
        "move_cost": move_cost,
        "teaching_points": teaching_points,
        "teaching_point_cost": teaching_point_cost,
        "protect_township": protect_township,
        "protected": protected,
        "closest": closest,
        "max_closures": max_closures,
        "curve_points": curve_points,
        "time_limit": time_limit,
        "seed": seed,
    }
    _step(
        "schools", options, out_dir, lang, region=region_path, seed=seed, title="planning schools"
    )


# ------------------------------------------------------------------------------- monitoring
monitor_app = typer.Typer(
    help="Monitor households at risk of poverty relapse due to illness.", no_args_is_help=True
)
app.add_typer(monitor_app, name="monitor")

MonitorDb = Annotated[
    str, typer.Option("--db", help="Database URL, or a SQLite file (default monitor.db).")
]
KeyFile = Annotated[
    Path | None,
    typer.Option("--key-file", help="Key file (default: $ACCESSPLAN_MONITOR_KEY_FILE)."),
]
ActingUser = Annotated[str, typer.Option("--user", help="The acting user (must exist).")]


def _monitor_url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).resolve()}"


def _monitor(db: str, key_file: Path | None) -> Any:
    from accessplan.monitor.db import Database
    from accessplan.monitor.security import Keyring

    return Database(_monitor_url(db), keyring=Keyring.from_file(key_file) if key_file else None)


def _acting(database: Any, user: str) -> Any:
    from accessplan.monitor.register import actor

    with database.reader() as session:
        return actor(session, user)


@monitor_app.command("init")
def monitor_init(
    areas: Annotated[
        Path, typer.Option(help="Areas: a region GeoPackage, or CSV code,name,level,parent.")
    ],
    admin: Annotated[str, typer.Option(help="Username of the first county admin.")],
    county: Annotated[str, typer.Option(help="The county admin's county code.")],
    db: MonitorDb = "monitor.db",
    key_file: KeyFile = None,
    new_key: Annotated[
        Path | None, typer.Option(help="Write a new key file here (never overwrites).")
    ] = None,
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True)
    ] = "",
) -> None:
    """Create or upgrade a monitor database, load the areas, add the first county admin."""
    import getpass

    import pandas as pd

    from accessplan.monitor.db import init
    from accessplan.monitor.register import create_user, load_areas
    from accessplan.monitor.security import Keyring

    def work() -> int:
        _check_inputs({"--areas": areas, "--key-file": key_file})
        if new_key:
            key = Keyring.generate(new_key)
        else:
            key = Keyring.from_file(key_file) if key_file else Keyring.from_env()
        database = init(_monitor_url(db), keyring=key)
        if areas.suffix.lower() == ".gpkg":
            from accessplan.region import Region

            table = Region.read(areas).admin_units
        else:
            table = pd.read_csv(areas, dtype=str, keep_default_na=False)
        with database.session(f"cli:{getpass.getuser()}") as session:
            added = load_areas(session, table)
            create_user(session, admin, password, "county_admin", county)
        return int(added)

    added = run_safely(work)
    out.print(f"monitor database ready: {added} areas added, county admin {admin!r}")


@monitor_app.command("import-register")
def monitor_import_register(
    register_path: Annotated[Path, typer.Argument(help="Register CSV, one row per member.")],
    user: ActingUser,
    db: MonitorDb = "monitor.db",
    key_file: KeyFile = None,
) -> None:
    """Add households and members (identity numbers become keyed pseudonyms)."""
    from accessplan.monitor.register import import_register

    def work() -> Any:
        _check_inputs({"the register file": register_path})
        database = _monitor(db, key_file)
        return import_register(database, register_path, _acting(database, user))

    _print_summary(run_safely(work).summary())


@monitor_app.command("import-claims")
def monitor_import_claims(
    claims_path: Annotated[Path, typer.Argument(help="Claims CSV (UTF-8).")],
    user: ActingUser,
    db: MonitorDb = "monitor.db",
    key_file: KeyFile = None,
    abort: Annotated[
        bool, typer.Option("--abort-on-error", help="Import nothing if any row is bad.")
    ] = False,
    rejects: Annotated[
        Path | None, typer.Option(help="Write the refused rows' lines and reasons here (CSV).")
    ] = None,
) -> None:
    """Import medical insurance claims: once per file, bad rows listed by line."""
    import pandas as pd

    from accessplan.monitor.claims import import_claims

    def work() -> Any:
        _check_inputs({"the claims file": claims_path})
        database = _monitor(db, key_file)
        return import_claims(
            database,
            claims_path,
            _acting(database, user),
            on_error="abort" if abort else "skip",
            progress=lambda done, total: logging.getLogger(__name__).info(
                "%s of %s claims written", done, total
            ),
        )

    report = run_safely(work)
    _print_summary(report.summary())
    if rejects is not None:
        table = pd.DataFrame(report.rejects, columns=["line", "column", "reason"])
        run_safely(lambda: _write_csv(table, rejects))
        out.print(f"wrote {rejects}")


@monitor_app.command("evaluate")
def monitor_evaluate(
    user: ActingUser,
    db: MonitorDb = "monitor.db",
    rules: Annotated[
        Path | None, typer.Option(help="Rule set TOML to store first (a new version).")
    ] = None,
    as_of: Annotated[
        str | None, typer.Option(help="Evaluation date YYYY-MM-DD (default today).")
    ] = None,
) -> None:
    """Evaluate the newest early-warning rules; print the new warnings."""
    import datetime as dt

    from accessplan.monitor.rules import RuleSet, evaluate, store_rules

    def work() -> Any:
        try:
            day = dt.date.fromisoformat(as_of) if as_of else dt.date.today()
        except ValueError:
            raise InputError(f"--as-of must be YYYY-MM-DD, got {as_of!r}.") from None
        _check_inputs({"--rules": rules})
        database = _monitor(db, None)
        acting = _acting(database, user)
        if rules is not None:
            with database.session(acting.username) as session:
                store_rules(session, RuleSet.from_toml(rules), acting)
        return evaluate(database, acting, as_of=day)

    _print_summary(run_safely(work).summary())


@monitor_app.command("export-notice")
def monitor_export_notice(
    village: Annotated[str, typer.Option(help="Village code (12 digits).")],
    out_path: Annotated[Path, typer.Option("--out", help="Notice list CSV to write.")],
    user: ActingUser,
    db: MonitorDb = "monitor.db",
) -> None:
    """Write a village's public notice list (no identity numbers, phones, accounts or
    diagnoses)."""
    from accessplan.monitor.notice import export_notice

    def work() -> Any:
        _check_output_file(out_path, {}, suffix=".csv")
        database = _monitor(db, None)
        acting = _acting(database, user)
        with database.session(acting.username) as session:
            return export_notice(session, acting, village, out_path)

    table = run_safely(work)
    out.print(f"wrote {out_path} ({len(table)} households)")


@app.command("serve")
def serve_cmd(
    data: Annotated[
        Path, typer.Option(help="Data folder: the store, regions, uploads and run folders.")
    ] = Path("accessplan-data"),
    database: Annotated[
        str,
        typer.Option(
            help="Store URL, e.g. postgresql+psycopg://user@host/planning "
            "(default: SQLite in the data folder)."
        ),
    ] = "",
    host: Annotated[
        str, typer.Option(help="Address to listen on (0.0.0.0: the office network).")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(help="Worker processes running analyses.")] = 1,
    admin: Annotated[
        str | None, typer.Option(help="Add this admin first (asks for the password).")
    ] = None,
    max_upload_mb: Annotated[float, typer.Option(help="Largest upload accepted (MB).")] = 200.0,
    basemap: Annotated[
        Path | None, typer.Option(help="Folder with a local MapLibre style.json and its tiles.")
    ] = None,
    monitor_db: Annotated[
        str | None,
        typer.Option("--monitor-db", help="Monitor database (file or URL) served under /monitor."),
    ] = None,
    secure_cookies: Annotated[
        bool, typer.Option(help="Send the session cookie over HTTPS only (behind TLS).")
    ] = False,
) -> None:
    """Serve the planner's page and API (uvicorn) until Ctrl-C."""
    from accessplan.web.app import add_user, serve, user_count
    from accessplan.web.config import WebSettings

    def settings() -> WebSettings:
        if basemap is not None:
            _check_inputs({"--basemap style": basemap / "style.json"})
        return WebSettings(
            data_dir=data,
            database_url=database,
            workers=workers,
            max_upload_bytes=int(max_upload_mb * 1024 * 1024),
            basemap_dir=basemap,
            secure_cookies=secure_cookies,
            monitor_database=_monitor_url(monitor_db) if monitor_db else "",
        )

    config = run_safely(settings)
    if admin:
        password = typer.prompt(f"password for {admin}", hide_input=True, confirmation_prompt=True)
        run_safely(lambda: add_user(config, admin, password, "admin"))
    elif run_safely(lambda: user_count(config)) == 0:
        _error("the store has no users yet; start once with --admin NAME to add the first admin.")
        raise typer.Exit(EXIT_INPUT)
    out.print(f"accessplan on http://{host}:{port} (data {config.data_dir}); Ctrl-C stops it")
    run_safely(lambda: serve(config, host=host, port=port))


# ------------------------------------------------------------------------- synthetic inputs
synth_app = typer.Typer(help="Synthetic regions at scale.", no_args_is_help=True)
app.add_typer(synth_app, name="synth")

SynthOut = Annotated[Path, typer.Option("--out", help="Region GeoPackage to write.")]
Spacing = Annotated[float, typer.Option(help="Road node spacing (m).")]
Counts = Annotated[int | None, typer.Option(help="Per county (default: drawn per county).")]


@synth_app.command("province")
def synth_province(
    counties: Annotated[int, typer.Option(help="Number of counties.")],
    out_path: SynthOut,
    seed: Annotated[int, typer.Option(help="Seed of the province.")] = 0,
    code: Annotated[str, typer.Option(help="Two-digit province code.")] = "53",
    spacing: Spacing = 100.0,
    townships: Counts = None,
    villages: Counts = None,
    border_roads: Annotated[
        bool,
        typer.Option(help="Tracks over the ridges between neighbouring counties."),
    ] = True,
    counties_per_city: Annotated[int, typer.Option(help="Counties per city.")] = 99,
) -> None:
    """A synthetic province of mountain counties, as one region GeoPackage."""
    from accessplan import synth

    def work() -> Any:
        _check_output_file(out_path, {}, suffix=".gpkg", strict=True)
        with stages("synthetic province") as update:
            update(f"{counties} counties")
            region = synth.province(
                counties, seed, province_code=code, road_node_spacing_m=spacing,
                n_townships=townships, n_villages=villages, border_roads=border_roads,
                counties_per_city=counties_per_city,
            )  # fmt: skip
            update("writing")
            region.write(out_path)
        return region

    region = run_safely(work)
    out.print(f"wrote {out_path}: {_synth_counts(region)}")


@synth_app.command("country")
def synth_country(
    provinces: Annotated[int, typer.Option(help="Number of provinces (codes 11, 12, ...).")],
    counties: Annotated[int, typer.Option(help="Counties per province.")],
    out_path: SynthOut,
    seed: Annotated[int, typer.Option(help="Seed of the country.")] = 0,
    spacing: Spacing = 100.0,
    townships: Counts = None,
    villages: Counts = None,
    counties_per_city: Annotated[int, typer.Option(help="Counties per city.")] = 10,
) -> None:
    """A synthetic country: provinces of mountain counties on one grid, joined across
    every county and province border."""
    from accessplan import synth

    def work() -> Any:
        _check_output_file(out_path, {}, suffix=".gpkg", strict=True)
        with stages("synthetic country") as update:
            update(f"{provinces} x {counties} counties")
            region = synth.country(
                provinces, counties, seed, road_node_spacing_m=spacing,
                counties_per_city=counties_per_city, n_townships=townships, n_villages=villages,
            )  # fmt: skip
            update("writing")
            region.write(out_path)
        return region

    region = run_safely(work)
    out.print(f"wrote {out_path}: {_synth_counts(region)}")


def _synth_counts(region: Any) -> str:
    counties = int((region.admin_units["level"] == "county").sum())
    return (
        f"{counties:,} counties, {len(region.settlements):,} settlements, "
        f"{len(region.facilities):,} facilities, {len(region.roads.nodes):,} road nodes"
    )


def _check_lang(lang: str | None) -> None:
    if lang is not None and lang not in ("en", "zh"):
        msg = f"--lang must be en or zh, got {lang!r}."
        raise InputError(msg)


def _write_csv(table: Any, path: Path) -> None:
    """Write a CSV whole or not at all."""
    with new_file(path) as tmp:
        table.to_csv(tmp, index=False)


def _print_summary(summary: dict[str, Any]) -> None:
    for key, value in summary.items():
        out.print(f"{key:>18}: {value}", highlight=False)


def _summary(folder: Path) -> dict[str, Any]:
    """The summary a one-step run folder holds."""
    import json

    return dict(json.loads((folder / "summary.json").read_text("utf-8")))
