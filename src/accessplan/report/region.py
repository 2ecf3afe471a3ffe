"""The region part of a report: what the region holds, whatever analyses ran on it."""

from __future__ import annotations

import numpy as np

from accessplan.measures.coverage import unknown_population
from accessplan.region import Region
from accessplan.report.blocks import Part, Table
from accessplan.report.i18n import Translator


def region_part(region: Region, tr: Translator) -> Part:
    """Settlements, people, administrative units, roads, and facilities by tier (names from the
    region's services catalogue)."""
    levels = region.admin_units["level"].value_counts(sort=False)
    units = tr("list.separator").join(
        tr("summary.level_count", level=tr.name("level", str(level)), n=tr.number(n))
        for level, n in levels.items()
    )
    road_km = float(region.roads.edges["length_m"].sum()) / 1000.0
    people = np.nansum(region.settlements["population"].to_numpy(dtype="float64"))
    facts = [
        (tr("summary.settlements"), tr.number(len(region.settlements))),
        (tr("summary.population"), tr.number(float(people))),
        (tr("summary.unknown_population"), tr.number(len(unknown_population(region)))),
        (tr("summary.admin_units"), units or tr("value.none")),
        (tr("summary.roads"), tr("unit.km", value=tr.number(road_km))),
    ]
    return Part(
        "summary",
        tr("section.summary"),
        [
            Table(
                headers=[tr("col.item"), tr("col.value")],
                rows=[[(label, ""), (value, "")] for label, value in facts],
                numeric=[False, True],
            ),
            _facilities_table(region, tr),
        ],
    )


def _facilities_table(region: Region, tr: Translator) -> Table:
    counts = region.facilities.groupby(["service", "tier"]).size()
    label = region.catalogue.label
    rows = [
        [
            (label("service", service, tr.lang), ""),
            (label("tier", tier, tr.lang), ""),
            (tr.number(float(counts.get((service, tier), 0))), ""),
        ]
        for service, tiers in region.tiers.items()
        for tier in tiers
    ]
    return Table(
        headers=[tr("col.service"), tr("col.tier"), tr("col.count")],
        rows=rows,
        numeric=[False, False, True],
        caption=tr("summary.facilities"),
    )
