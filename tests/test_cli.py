"""The command line: region build on real data, and bad input failing cleanly (exit 2, no "
"output)."""

from __future__ import annotations

import re
from pathlib import Path

import osmium
import pytest
from typer.testing import CliRunner

from accessplan.cli import app
from accessplan.region import Region

runner = CliRunner()


def build(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["region", "build", *args])
    return result.exit_code, result.output


def test_region_build_writes_a_readable_region(
    andorra_pbf: Path, andorra_dem: Path, tmp_path: Path
) -> None:
    """`accessplan region build` on Andorra writes a region that reads back."""
    out = tmp_path / "andorra.gpkg"
    code, text = build("--osm", str(andorra_pbf), "--dem", str(andorra_dem), "--out", str(out))
    assert code == 0, text
    region = Region.read(out)
    assert len(region.settlements) >= 60 and region.terrain is not None
    info = runner.invoke(app, ["region", "info", str(out)])
    assert info.exit_code == 0 and "road_nodes" in info.output


def write_csv(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def roadless_pbf(path: Path) -> Path:
    writer = osmium.SimpleWriter(str(path))
    writer.add_node(
        osmium.osm.mutable.Node(id=1, location=(1.5, 42.5), tags={"place": "village", "name": "X"})
    )
    writer.close()
    return path


@pytest.fixture
def bad_inputs(tmp_path: Path, andorra_pbf: Path) -> dict[str, tuple[list[str], list[str]]]:
    """Each case: extra CLI arguments and words the error must contain."""
    fake = tmp_path / "fake.osm.pbf"
    fake.write_text("this is not a PBF file\n")
    pbf = str(andorra_pbf)
    return {
        "missing file": (
            ["--osm", str(tmp_path / "nowhere.osm.pbf")],
            ["nowhere.osm.pbf", "does not exist"],
        ),
        "not a PBF": (["--osm", str(fake)], ["fake.osm.pbf", "not a readable OpenStreetMap PBF"]),
        "no roads": (
            ["--osm", str(roadless_pbf(tmp_path / "empty.osm.pbf"))],
            ["empty.osm.pbf", "no routable roads"],
        ),
        "facilities without coordinates": (
            [
                "--osm",
                pbf,
                "--facilities",
                str(write_csv(tmp_path / "fac.csv", "id,service,tier\nF1,health,village_clinic\n")),
            ],
            ["fac.csv", "no coordinates", "'lon' and 'lat'"],
        ),
        "swapped lon/lat": (
            [
                "--osm",
                pbf,
                "--facilities",
                str(
                    write_csv(
                        tmp_path / "swap.csv",
                        "id,service,tier,lon,lat\nF1,health,village_clinic,42.51,1.53\n",
                    )
                ),
            ],
            ["swap.csv", "swapped", "F1"],
        ),
        "duplicate ids": (
            [
                "--osm",
                pbf,
                "--settlements",
                str(
                    write_csv(
                        tmp_path / "dup.csv", "id,name,lon,lat\nV1,a,1.52,42.51\nV1,b,1.53,42.52\n"
                    )
                ),
            ],
            ["dup.csv", "duplicate 'id'", "V1"],
        ),
        "negative population": (
            [
                "--osm",
                pbf,
                "--population",
                str(write_csv(tmp_path / "pop.csv", "name,population\nOrdino,-40\n")),
            ],
            ["pop.csv", "line(s) [2]", "0 or more"],
        ),
        "unreadable DEM": (
            ["--osm", pbf, "--dem", str(write_csv(tmp_path / "dem.tif", "not a raster"))],
            ["dem.tif", "not a raster"],
        ),
    }


@pytest.mark.parametrize(
    "case",
    [
        "missing file",
        "not a PBF",
        "no roads",
        "facilities without coordinates",
        "swapped lon/lat",
        "duplicate ids",
        "negative population",
        "unreadable DEM",
    ],
)
def test_bad_input_gives_one_clear_error_and_no_output(
    case: str, bad_inputs: dict[str, tuple[list[str], list[str]]], tmp_path: Path
) -> None:
    """Exit code 2, a message naming the file and the problem, and no region file written."""
    args, words = bad_inputs[case]
    out = tmp_path / "out" / "region.gpkg"
    code, text = build(*args, "--out", str(out))
    assert code == 2, text
    assert len(re.findall(r"^error:", text, flags=re.MULTILINE)) == 1
    flat = " ".join(text.split())
    for word in words:
        assert word in flat, f"{word!r} not in {flat!r}"
    assert not out.exists()
    assert not any(out.parent.glob("*")) if out.parent.exists() else True
