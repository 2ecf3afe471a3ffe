"""Command line: ``accessplan ...``. Wraps the library; holds no logic of its own."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console
from rich.logging import RichHandler
from rich.markup import escape
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from accessplan._errors import AccessPlanError

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
    """Run ``func``; report accessplan errors in one line and exit with code 2."""
    try:
        return func()
    except AccessPlanError as exc:
        err.print(f"[bold red]error:[/] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(EXIT_INPUT) from exc


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


FileArg = Annotated[Path, typer.Option(dir_okay=False)]


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
) -> None:
    """Build a region from OSM (+ terrain, population, tables) into one GeoPackage."""
    from accessplan.io.osm import region_from_osm

    def build() -> Any:
        with stages("building region") as update:
            region = region_from_osm(
                osm,
                dem=dem,
                population=population,
                settlements=settlements,
                facilities=facilities,
                boundary=boundary,
                tiers=tiers,
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

    region = run_safely(lambda: Region.read(region_path))
    _print_summary(region.summary())


@travel_app.command("nearest")
def travel_nearest(
    region_path: Annotated[Path, typer.Argument(help="Region GeoPackage.")],
    out_path: Annotated[Path, typer.Option("--out", help="CSV to write.")],
    profile: Annotated[str, typer.Option(help="walk, motorcycle, car or mobile_clinic.")] = "car",
    by: Annotated[str, typer.Option(help="tier or service.")] = "tier",
) -> None:
    """Minutes from every settlement to the nearest facility of each tier."""
    from accessplan.region import Region
    from accessplan.travel import nearest

    def work() -> None:
        region = Region.read(region_path)
        with stages("nearest facilities"):
            table = nearest(region, profile, by=by)
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
) -> None:
    """Settlement x facility travel times as a long table."""
    from rich.progress import BarColumn, MofNCompleteColumn

    from accessplan.region import Region
    from accessplan.travel import travel_times

    def work() -> None:
        region = Region.read(region_path)
        with Progress(
            TextColumn("facilities"), BarColumn(), MofNCompleteColumn(), console=err, transient=True
        ) as bar:
            task = bar.add_task("facilities", total=len(region.facilities))
            table = travel_times(
                region,
                profile,
                cutoff=cutoff,
                progress=lambda done, total: bar.update(task, completed=done, total=total),
            )
        _write_csv(table, out_path)

    run_safely(work)
    out.print(f"wrote {out_path}")


def _write_csv(table: Any, path: Path) -> None:
    """Write a CSV through a temporary file so a failure leaves nothing half-written."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        table.to_csv(tmp, index=False)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def _print_summary(summary: dict[str, Any]) -> None:
    for key, value in summary.items():
        out.print(f"{key:>18}: {value}", highlight=False)
