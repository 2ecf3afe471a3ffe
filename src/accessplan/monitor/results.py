"""The monitor as an analysis: financial-protection indicators by township and the warning
list of a year, as a frozen result for the run folder and the report.

:func:`monitor_report` reads the register (no key needed: it reads no identity), builds one
row per household with its year's consumption — or income, when no consumption was recorded
— its out-of-pocket total from the claims of the year, size, weight and township, and
computes :func:`~accessplan.monitor.indicators.financial_protection` by township and
:func:`~accessplan.monitor.indicators.within_county_share` by township and provider tier.
Households without a positive consumption or income for the year are left out and counted.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from accessplan._errors import InputError, require
from accessplan._result import Raster
from accessplan.monitor.indicators import (
    ALL,
    IndicatorConfig,
    financial_protection,
    within_county_share,
)

require("sqlalchemy", "monitor")

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from accessplan.monitor.db import Database  # noqa: E402
from accessplan.monitor.models import (  # noqa: E402
    Area,
    Claim,
    EarlyWarning,
    Household,
    IncomeRecord,
)


@dataclass(frozen=True, eq=False)
class MonitorResults:
    """Indicators and warnings of one year.

    Attributes
    ----------
    year, config, area
        The year, the indicator settings and the area (code; empty for the whole database).
    indicators
        :func:`financial_protection` by township (``group`` = township code, ``all`` first),
        with ``township_name``.
    within_county
        :func:`within_county_share` by township and tier.
    warnings
        The year's warnings: ``household_ref, village, township, category, rule_id, rule,
        amount, limit, raised_on, status`` — no member, no identity, no diagnosis.
    left_out
        Households without a positive consumption or income for the year.
    """

    year: int
    config: IndicatorConfig
    area: str
    indicators: pd.DataFrame
    within_county: pd.DataFrame
    warnings: pd.DataFrame
    left_out: int

    def tables(self) -> dict[str, pd.DataFrame]:
        """``indicators``, ``within_county``, ``warnings``."""
        return {
            "indicators": self.indicators,
            "within_county": self.within_county,
            "warnings": self.warnings,
        }

    def layers(self) -> dict[str, gpd.GeoDataFrame]:
        """None: the register has no geometry."""
        return {}

    def rasters(self) -> dict[str, Raster]:
        """None."""
        return {}

    def summary(self) -> dict[str, Any]:
        """Households, people and the headline indicators of the whole area."""
        out: dict[str, Any] = {"year": self.year, "households_left_out": self.left_out}
        if len(self.indicators):
            top = self.indicators[self.indicators["group"] == ALL].iloc[0]
            for key in ("households", "people", *[c for c in top.index if c.startswith("sdg382_")],
                        "discretionary_40", "capacity_to_pay_40", "pushed_below"):  # fmt: skip
                out[key] = _json(top[key])
        overall = self.within_county[
            (self.within_county["township"] == ALL) & (self.within_county["tier"] == ALL)
        ]
        out["within_county_share"] = _json(overall["share"].iloc[0]) if len(overall) else None
        out["warnings"] = len(self.warnings)
        return out

    def parameters(self) -> dict[str, Any]:
        """The year, the area and every indicator setting."""
        return {"year": self.year, "area": self.area, **self.config.as_dict()}


def _json(value: Any) -> Any:
    value = float(value)
    return None if value != value else value


def monitor_report(
    database: Database | str, *, year: int, config: IndicatorConfig, area: str = ""
) -> MonitorResults:
    """Indicators and warnings of ``year`` for the households of ``area`` (all when empty)."""
    db = Database(database) if isinstance(database, str) else database
    with db.reader() as session:
        prefix = ""
        if area:
            found = session.get(Area, area)
            if found is None:
                raise InputError(
                    f"area {area!r} is not in the monitor database; give an area code."
                )
            prefix = found.path
        village = select(Area.code, Area.parent, Area.path).subquery()
        township = select(Area.code, Area.name).subquery()
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        oop = (
            select(Claim.household_id, func.sum(Claim.out_of_pocket).label("oop"))
            .where(Claim.service_date >= start, Claim.service_date <= end)
            .group_by(Claim.household_id)
            .subquery()
        )
        income = (
            select(
                IncomeRecord.household_id,
                func.max(IncomeRecord.income).label("income"),
                func.max(IncomeRecord.consumption).label("consumption"),
                func.max(IncomeRecord.food).label("food"),
            )
            .where(IncomeRecord.year == year)
            .group_by(IncomeRecord.household_id)
            .subquery()
        )
        rows = session.execute(
            select(
                Household.id,
                Household.size,
                Household.weight,
                village.c.parent,
                township.c.name,
                func.coalesce(oop.c.oop, 0),
                income.c.income,
                income.c.consumption,
                income.c.food,
            )
            .join(village, village.c.code == Household.area_code)
            .outerjoin(township, township.c.code == village.c.parent)
            .outerjoin(oop, oop.c.household_id == Household.id)
            .outerjoin(income, income.c.household_id == Household.id)
            .where(village.c.path.startswith(prefix))
        ).all()
        households = pd.DataFrame(
            rows,
            columns=["id", "size", "weight", "township", "township_name", "oop", "income",
                     "consumption", "food"],
        )  # fmt: skip
        claims = pd.DataFrame(
            session.execute(
                select(
                    Household.area_code,
                    village.c.parent,
                    Claim.provider_county,
                    Claim.provider_tier,
                    Claim.total_cost,
                )
                .join(Household, Household.id == Claim.household_id)
                .join(village, village.c.code == Household.area_code)
                .where(
                    Claim.service_date >= start,
                    Claim.service_date <= end,
                    village.c.path.startswith(prefix),
                )
            ).all(),
            columns=["village", "township", "provider_county", "tier", "total_cost"],
        )
        warnings = _warnings(session, year, prefix)
    if isinstance(database, str):
        db.dispose()
    households["consumption"] = households["consumption"].fillna(households["income"])
    usable = households[households["consumption"].astype(float) > 0].copy()
    usable["township"] = usable["township"].fillna("")
    if usable["food"].isna().any():
        usable = usable.drop(columns="food")
    indicators = (
        financial_protection(usable, config, by="township")
        if len(usable)
        else (financial_protection(usable, config))
    )
    names = dict(zip(households["township"], households["township_name"], strict=False))
    indicators.insert(1, "township_name", indicators["group"].map(names).fillna(""))
    claims["home_county"] = claims["village"].str[:6]
    within = within_county_share(claims, target=config.within_county_target)
    return MonitorResults(
        year=year,
        config=config,
        area=area,
        indicators=indicators,
        within_county=within,
        warnings=warnings,
        left_out=len(households) - len(usable),
    )


def _warnings(session: Session, year: int, prefix: str) -> pd.DataFrame:
    query = (
        select(
            Household.ref,
            Household.area_code,
            Area.parent,
            Household.category,
            EarlyWarning.rule_id,
            EarlyWarning.figures,
            EarlyWarning.raised_on,
            EarlyWarning.status,
        )
        .join(Household, Household.id == EarlyWarning.household_id)
        .join(Area, Area.code == Household.area_code)
        .where(EarlyWarning.period == year, Area.path.startswith(prefix))
        .order_by(Area.parent, Household.area_code, Household.ref, EarlyWarning.rule_id)
    )
    rows = []
    for ref, village, township, category, rule_id, figures, raised, status in session.execute(
        query
    ):
        data = dict(figures)
        amount = data.get("out_of_pocket", data.get("income_per_person"))
        limit = data.get("limit", data.get("monitoring_line"))
        text = json.dumps(data, ensure_ascii=False, sort_keys=True)
        rule = data.get("rule", "")
        rows.append(
            (ref, village, township, category, rule_id, rule, amount, limit, raised, status, text)
        )
    columns = ["household_ref", "village", "township", "category", "rule_id", "rule", "amount",
               "limit", "raised_on", "status", "figures"]  # fmt: skip
    return pd.DataFrame(rows, columns=columns)
