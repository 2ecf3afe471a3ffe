"""`accessplan site`: which clinics to raise to township health centres, checked independently."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from accessplan import synth
from accessplan.cli import app
from accessplan.travel import nearest


def test_site_plan_adds_clinics_and_reports_coverage(tmp_path: Path) -> None:
    """Three clinics join the 20 centres; the covered share after equals a fresh nearest-time
    count with exactly the chosen sites, and never falls below the share before."""
    region = synth.mountain_county(1)
    path = region.write(tmp_path / "county.gpkg")
    out = tmp_path / "site"
    result = CliRunner().invoke(
        app,
        ["site", str(path), "--tier", "township_health_center", "--model", "mclp", "--p", "3",
         "--threshold", "15", "--profile", "car", "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    sites = pd.read_csv(out / "sites.csv")
    summary = json.loads((out / "summary.json").read_text())
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["steps"][0]["summary"] == summary
    assert manifest["steps"][0]["parameters"]["profile"]["speeds"]["primary"] == 60
    assert (sites["status"] == "new").sum() == 3 and summary["is_optimal"]
    new = sites.loc[sites["status"] == "new", "site_id"]
    fac = region.facilities.set_index("id")
    assert (fac.loc[new, "tier"] == "village_clinic").all()
    chosen = region.facilities[region.facilities["id"].isin(sites["site_id"])].assign(
        tier="township_health_center"
    )
    after = dataclasses.replace(region, facilities=chosen)
    minutes = nearest(after, "car")["minutes_to_township_health_center"].to_numpy()
    pop = region.settlements["population"].to_numpy()
    share = pop[minutes <= 15].sum() / pop.sum()
    assert summary["covered_share_after"] == pytest.approx(share)
    assert summary["objective"] == pytest.approx(pop[minutes <= 15].sum())
    assert summary["covered_share_after"] >= summary["covered_share_before"]
    assert (pd.read_csv(out / "assignment.csv")["minutes"].dropna() <= 15).all()
    # beyond the cutoff is an empty cell in the table
    within = pd.read_csv(out / "settlements.csv")["minutes_after"].fillna(np.inf).to_numpy()
    np.testing.assert_allclose(within, np.where(minutes <= 15, minutes, np.inf), atol=1e-9)
    html = (out / "report.html").read_text()
    plan_map = html[html.index('id="plan-map"') : html.index('id="plan-tables"')]
    assert '<svg class="figure"' in plan_map
    names = fac.loc[new, "name"]
    assert all(f">{name}<" in plan_map for name in names)  # the new sites are named on the map


def test_sites_map_marks_the_new_sites_and_the_newly_reached(tmp_path: Path) -> None:
    """New sites sit at their facilities' coordinates; settlements turn green exactly when
    they reach a site within the threshold only after the plan."""
    from matplotlib.colors import to_rgb, to_rgba

    from accessplan.optimize.location.plan import upgrade_plan
    from accessplan.report import maps

    region = synth.mountain_county(2)
    plan = upgrade_plan(
        region, "car", model="mclp", tier="township_health_center", add=2, threshold=15
    )
    ax = maps.sites_map(region, plan.sites, plan.settlements, threshold=15)
    new_ids = plan.sites.loc[plan.sites["status"] == "new", "site_id"]
    where = region.facilities.set_index("id").loc[new_ids].geometry
    drawn = [
        c.get_offsets()
        for c in ax.collections
        if len(c.get_facecolors())
        and np.allclose(c.get_facecolors()[0], to_rgba(maps.NEW_SITE_COLOUR))
    ]
    assert len(drawn) == 1
    np.testing.assert_allclose(np.sort(drawn[0], axis=0), np.sort(np.c_[where.x, where.y], axis=0))
    before = plan.settlements["minutes_before"].to_numpy()
    after = plan.settlements["minutes_after"].to_numpy()
    expected = int(((before > 15) & (after <= 15)).sum())
    dots = max(ax.collections, key=lambda c: len(c.get_offsets()))
    green = np.all(
        np.isclose(dots.get_facecolors()[:, :3], to_rgb(maps.NEWLY_REACHED_COLOUR)), axis=1
    )
    assert expected > 0 and int(green.sum()) == expected


def test_site_rejects_an_unknown_tier(tmp_path: Path) -> None:
    """A tier outside the tier table: exit 2 and no output folder."""
    path = synth.mountain_county(1).write(tmp_path / "county.gpkg")
    result = CliRunner().invoke(
        app,
        ["site", str(path), "--tier", "mega_hospital", "--p", "1", "--threshold", "15",
         "--out", str(tmp_path / "x")],
    )  # fmt: skip
    assert result.exit_code == 2 and "unknown tier" in result.output
    assert not (tmp_path / "x").exists()
