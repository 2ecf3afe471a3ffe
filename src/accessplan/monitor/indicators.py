r"""Financial-protection indicators: catastrophic and impoverishing health spending, and the
share of care obtained within the county.

Every function takes a table of households, one row each, with

``consumption``
    the household's total consumption (or income) over the period, in money (yuan a year);
    it includes what the household paid out of pocket for health. It must be positive.
``oop``
    what the household paid out of pocket for health over the same period (>= 0).
``size``
    people in the household (>= 1).
``weight``
    its survey weight (> 0; 1 for a register, where every household counts once).
``food``
    its food spending (only for :func:`capacity_to_pay` when the subsistence line is
    estimated from the data).

Shares are of **people**: each household counts :math:`w_i s_i` times (weight times size),
as the SDG metadata asks. Thresholds and poverty lines are arguments (and fields of
:class:`IndicatorConfig`), never constants of the code. A comparison "above" is strict
(:math:`>`) where the source says *greater than* or *exceeding* and :math:`\ge` where the
source says *at least*; each docstring says which.

Sources
-------
* SDG 3.8.2 (WHO / World Bank metadata, UN SDG indicator 3.8.2; WHO "Monitoring SDG 3.8.2"):
  :math:`\sum_i w_i s_i\,1[\mathrm{oop}_i / c_i > \tau] / \sum_i w_i s_i`, for
  :math:`\tau = 10\%` and :math:`25\%`.
* Revised SDG 3.8.2 (WHO / World Bank, *Global monitoring report on financial protection*,
  2021 on; Wagstaff & Eozenou): positive out-of-pocket spending exceeding 40% of the
  household's *discretionary budget* :math:`c_i - s_i\,\mathrm{SPL}`, with the World Bank's
  societal poverty line :math:`\mathrm{SPL} = \max(\mathrm{IPL},\ a + b\cdot\mathrm{median}(c/s))`
  (2017 PPP: IPL $2.15, a = $1.15, b = 0.5 a day; Jolliffe & Prydz 2017). A household whose
  budget is at or below the line has no discretionary budget, so any positive payment counts.
* Capacity to pay (WHO; Xu et al., *Lancet* 2003, and Xu, *Distribution of health payments and
  catastrophic expenditures: methodology*, WHO 2005): equivalent size :math:`s^{0.56}`,
  subsistence spending :math:`\mathrm{se}_i = \mathrm{pl}\cdot s_i^{0.56}`, capacity to pay
  :math:`c_i - \mathrm{se}_i`, or :math:`c_i - \mathrm{food}_i` when food spending is below
  subsistence spending; catastrophic when :math:`\mathrm{oop}_i \ge 40\%` of capacity to pay.
  ``pl`` is the weighted mean food spending per equivalent person of the households whose
  food share lies between the 45th and 55th percentiles (:func:`xu_subsistence_line`), or a
  line given in the configuration.
* Impoverishment (Wagstaff & van Doorslaer, *Health Economics* 2003; Wagstaff et al.,
  *Lancet Global Health* 2018): with consumption per person :math:`x_i = c_i/s_i` before and
  :math:`x_i - \mathrm{oop}_i/s_i` after paying, and a poverty line :math:`z` per person:
  *pushed below* the line (:math:`x_i \ge z` and :math:`x_i - \mathrm{oop}_i/s_i < z`),
  *further below* (already :math:`x_i < z` and :math:`\mathrm{oop}_i > 0`), the headcounts
  before and after and the poverty gap :math:`G = \sum w s \max(z - x, 0) / \sum w s`
  before and after, and its change (also divided by :math:`z`).
* Overshoot and mean positive overshoot (Wagstaff & van Doorslaer 2003):
  :math:`O = \sum w s\, 1[r_i > \tau](r_i - \tau) / \sum w s` with :math:`r_i =
  \mathrm{oop}_i/c_i`; :math:`\mathrm{MPO} = O / H` where :math:`H` is the headcount above
  :math:`\tau` (NaN when :math:`H = 0`).
* Care within the county (county medical community, 县域医共体: target above 90% of care
  obtained within the county): claims whose provider is in the patient's home county over all
  claims, by count and by total cost (:func:`within_county_share`).
"""

from __future__ import annotations

import itertools
import tomllib
from collections.abc import Sequence
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from accessplan._errors import InputError

#: SDG 3.8.2 thresholds: shares of consumption or income.
SDG_THRESHOLDS: tuple[float, ...] = (0.10, 0.25)
#: Share of the discretionary budget (revised SDG 3.8.2) and of capacity to pay (WHO).
DISCRETIONARY_SHARE = 0.40
CTP_SHARE = 0.40
#: Xu (2005): equivalence scale exponent, and the food-share band of the subsistence line.
EQUIVALENCE_EXPONENT = 0.56
XU_BAND: tuple[float, float] = (0.45, 0.55)
#: World Bank societal poverty line gradient on median consumption per person.
SPL_GRADIENT = 0.5
#: County medical community target: share of care obtained within the county.
WITHIN_COUNTY_TARGET = 0.90
#: Label of the row that covers every household in grouped tables.
ALL = "all"


@dataclass(frozen=True)
class IndicatorConfig:
    """Every threshold and line the indicators use; amounts in money per person per year.

    Parameters
    ----------
    poverty_line
        Poverty (or monitoring) line per person per year, for impoverishment.
    spl
        Societal poverty line per person per year; ``None`` computes it from the data with
        ``spl_floor``, ``spl_base`` and ``spl_gradient`` (:func:`societal_poverty_line`).
    spl_floor, spl_base
        The international poverty line and the fixed part of the SPL, converted to money per
        person per year (:func:`spl_amounts` converts the World Bank's dollars a day).
    subsistence_line
        Subsistence spending per equivalent person per year for capacity to pay; ``None``
        estimates it from food spending (:func:`xu_subsistence_line`).
    """

    poverty_line: float
    spl: float | None = None
    spl_floor: float = 0.0
    spl_base: float = 0.0
    spl_gradient: float = SPL_GRADIENT
    sdg_thresholds: tuple[float, ...] = SDG_THRESHOLDS
    discretionary_share: float = DISCRETIONARY_SHARE
    ctp_share: float = CTP_SHARE
    equivalence_exponent: float = EQUIVALENCE_EXPONENT
    subsistence_line: float | None = None
    overshoot_threshold: float = 0.10
    within_county_target: float = WITHIN_COUNTY_TARGET

    def __post_init__(self) -> None:
        object.__setattr__(self, "sdg_thresholds", tuple(float(t) for t in self.sdg_thresholds))
        shares = {
            "discretionary_share": self.discretionary_share,
            "ctp_share": self.ctp_share,
            "overshoot_threshold": self.overshoot_threshold,
            "within_county_target": self.within_county_target,
            **{f"sdg_thresholds[{i}]": t for i, t in enumerate(self.sdg_thresholds)},
        }
        for name, value in shares.items():
            if not 0 < value <= 1:
                msg = f"indicator setting {name} must be a share in (0, 1], got {value!r}."
                raise InputError(msg)
        amounts = {
            "poverty_line": self.poverty_line,
            "spl": self.spl,
            "spl_floor": self.spl_floor,
            "spl_base": self.spl_base,
            "subsistence_line": self.subsistence_line,
        }
        for name, amount in amounts.items():
            if amount is not None and not (np.isfinite(amount) and amount >= 0):
                msg = f"indicator setting {name} must be an amount >= 0, got {amount!r}."
                raise InputError(msg)

    @classmethod
    def from_mapping(cls, data: dict[str, Any], *, where: str = "indicators") -> IndicatorConfig:
        """Settings from a parsed TOML table; unknown keys are refused by name."""
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise InputError(f"{where}: unknown setting(s) {unknown}; known are {sorted(known)}.")
        if "poverty_line" not in data:
            raise InputError(f"{where}: poverty_line (money per person per year) is required.")
        return cls(**data)

    @classmethod
    def from_toml(cls, path: str | Path) -> IndicatorConfig:
        """Settings from a TOML file (top-level keys or an ``[indicators]`` table)."""
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{file.name}: cannot read the indicator settings ({exc}).") from None
        return cls.from_mapping(dict(data.get("indicators", data)), where=file.name)

    def as_dict(self) -> dict[str, Any]:
        """The settings, JSON-ready."""
        out = asdict(self)
        out["sdg_thresholds"] = list(self.sdg_thresholds)
        return out


def spl_amounts(
    ppp: float, *, floor_a_day: float = 2.15, base_a_day: float = 1.15, days: float = 365.0
) -> tuple[float, float]:
    """The World Bank's SPL constants (2017 PPP dollars a day by default) as money per person
    per year, with ``ppp`` local currency units per PPP dollar: ``(spl_floor, spl_base)``."""
    if not ppp > 0:
        raise InputError(f"ppp must be local currency per PPP dollar (> 0), got {ppp!r}.")
    return floor_a_day * ppp * days, base_a_day * ppp * days


def _column(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame.columns:
        msg = f"households table needs a column {name!r}; it has {list(frame.columns)}."
        raise InputError(msg)
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(values)
    if bad.any():
        rows = list(frame.index[bad][:5])
        msg = f"households column {name!r} must hold finite numbers; rows {rows} do not."
        raise InputError(msg)
    return values


def _households(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(consumption, oop, size, weight)`` checked: consumption > 0, oop >= 0, size >= 1,
    weight > 0 (1 when there is no ``weight`` column)."""
    c = _column(frame, "consumption")
    oop = _column(frame, "oop")
    size = _column(frame, "size")
    weight = _column(frame, "weight") if "weight" in frame.columns else np.ones(len(frame))
    for name, bad, expected in (
        ("consumption", c <= 0, "> 0 (drop households without a welfare measure first)"),
        ("oop", oop < 0, ">= 0"),
        ("size", size < 1, ">= 1"),
        ("weight", weight <= 0, "> 0"),
    ):
        if bad.any():
            rows = list(frame.index[bad][:5])
            raise InputError(f"households column {name!r} must be {expected}; rows {rows} are not.")
    return c, oop, size, weight


def _share(people: np.ndarray, flag: np.ndarray) -> float:
    """People-weighted share of ``flag``; NaN for no people."""
    total = people.sum()
    return float(people[flag].sum() / total) if total > 0 else float("nan")


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The smallest value whose cumulative weight reaches ``q`` of the total (inverted CDF)."""
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    at = int(np.searchsorted(cumulative, q * cumulative[-1] * (1 - 1e-12), side="left"))
    return float(values[order][min(at, len(values) - 1)])


def sdg_382(
    households: pd.DataFrame, thresholds: Sequence[float] = SDG_THRESHOLDS
) -> dict[float, float]:
    r"""SDG 3.8.2: share of people whose household's out-of-pocket spending is *greater than*
    each threshold of its consumption or income.

    :math:`\sum_i w_i s_i\,1[\mathrm{oop}_i/c_i > \tau] / \sum_i w_i s_i`
    (WHO / World Bank SDG 3.8.2 metadata).
    """
    c, oop, size, weight = _households(households)
    people, ratio = weight * size, oop / c
    return {float(t): _share(people, ratio > t) for t in thresholds}


def societal_poverty_line(
    households: pd.DataFrame, *, floor: float, base: float, gradient: float = SPL_GRADIENT
) -> float:
    r""":math:`\max(\mathrm{floor},\ \mathrm{base} + \mathrm{gradient}\cdot m)`, with :math:`m`
    the people-weighted median of consumption per person (:func:`weighted_quantile` at 0.5)."""
    c, _oop, size, weight = _households(households)
    median = weighted_quantile(c / size, weight * size, 0.5)
    return max(floor, base + gradient * median)


def discretionary_budget_share(
    households: pd.DataFrame, *, spl: float, share: float = DISCRETIONARY_SHARE
) -> float:
    r"""Revised SDG 3.8.2: share of people with positive out-of-pocket spending *exceeding*
    ``share`` of the discretionary budget :math:`c_i - s_i\,\mathrm{SPL}`.

    :math:`\sum w s\,1[\mathrm{oop} > 0 \wedge \mathrm{oop} > 0.4\,(c - s\,\mathrm{SPL})] /
    \sum w s`; a budget at or below zero makes any positive payment count.
    """
    c, oop, size, weight = _households(households)
    budget = c - size * spl
    flag = (oop > 0) & (oop > share * budget)
    return _share(weight * size, flag)


def xu_subsistence_line(
    households: pd.DataFrame,
    *,
    exponent: float = EQUIVALENCE_EXPONENT,
    band: tuple[float, float] = XU_BAND,
) -> float:
    r"""Xu (2005)'s subsistence line ``pl``: the weighted mean of food spending per equivalent
    person, :math:`\mathrm{food}_i / s_i^{0.56}`, over the households whose food share
    :math:`\mathrm{food}_i / c_i` lies between the 45th and 55th percentiles of food shares
    (both ends included; percentiles by :func:`weighted_quantile` with household weights)."""
    c, _oop, size, weight = _households(households)
    food = _column(households, "food")
    food_share = food / c
    low, high = (weighted_quantile(food_share, weight, q) for q in band)
    inside = (food_share >= low) & (food_share <= high)
    eqfood = food / size**exponent
    return float(np.average(eqfood[inside], weights=weight[inside]))


def capacity_to_pay(
    households: pd.DataFrame,
    *,
    subsistence_line: float | None = None,
    share: float = CTP_SHARE,
    exponent: float = EQUIVALENCE_EXPONENT,
) -> float:
    r"""WHO's catastrophic spending (Xu 2003, 2005): share of people whose out-of-pocket
    spending is *at least* ``share`` of capacity to pay.

    Subsistence spending :math:`\mathrm{se}_i = \mathrm{pl}\,s_i^{0.56}`; capacity to pay
    :math:`c_i - \mathrm{se}_i`, or :math:`c_i - \mathrm{food}_i` when the household's food
    spending is below :math:`\mathrm{se}_i` (needs a ``food`` column; without it capacity to pay
    is always :math:`c_i - \mathrm{se}_i`). ``pl`` is ``subsistence_line`` or, when ``None``,
    :func:`xu_subsistence_line`. A household with capacity to pay at or below zero and a
    positive payment counts.
    """
    c, oop, size, weight = _households(households)
    pl = (
        xu_subsistence_line(households, exponent=exponent)
        if subsistence_line is None
        else (subsistence_line)
    )
    se = pl * size**exponent
    ctp = c - se
    if "food" in households.columns:
        food = _column(households, "food")
        ctp = np.where(food < se, c - food, ctp)
    flag = np.where(ctp > 0, oop >= share * np.maximum(ctp, 0), oop > 0)
    return _share(weight * size, flag)


def impoverishment(households: pd.DataFrame, *, poverty_line: float) -> dict[str, float]:
    """Impoverishing spending against ``poverty_line`` per person (Wagstaff & van Doorslaer
    2003; Wagstaff et al. 2018); see the module docstring.

    Returns ``headcount_before``, ``headcount_after``, ``pushed_below`` (shares of people),
    ``further_below``, ``gap_before``, ``gap_after``, ``gap_change`` (money per person) and
    ``gap_change_normalised`` (divided by the line).
    """
    c, oop, size, weight = _households(households)
    people = weight * size
    before = c / size
    after = (c - oop) / size
    z = poverty_line

    def gap(x: np.ndarray) -> float:
        return float((people * np.maximum(z - x, 0.0)).sum() / people.sum())

    g0, g1 = gap(before), gap(after)
    return {
        "headcount_before": _share(people, before < z),
        "headcount_after": _share(people, after < z),
        "pushed_below": _share(people, (before >= z) & (after < z)),
        "further_below": _share(people, (before < z) & (oop > 0)),
        "gap_before": g0,
        "gap_after": g1,
        "gap_change": g1 - g0,
        "gap_change_normalised": (g1 - g0) / z if z > 0 else float("nan"),
    }


def overshoot(households: pd.DataFrame, *, threshold: float = 0.10) -> dict[str, float]:
    r"""Catastrophic headcount, overshoot and mean positive overshoot at ``threshold`` of
    consumption (Wagstaff & van Doorslaer 2003): :math:`H` (share of people with
    :math:`r > \tau`), :math:`O = \sum ws\,1[r>\tau](r-\tau)/\sum ws` and
    :math:`\mathrm{MPO} = O/H` (NaN when nobody is above)."""
    c, oop, size, weight = _households(households)
    people, ratio = weight * size, oop / c
    above = ratio > threshold
    headcount = _share(people, above)
    gap = float((people * np.where(above, ratio - threshold, 0.0)).sum() / people.sum())
    mpo = gap / headcount if headcount > 0 else float("nan")
    return {"headcount": headcount, "overshoot": gap, "mean_positive_overshoot": mpo}


def financial_protection(
    households: pd.DataFrame, config: IndicatorConfig, *, by: str | None = None
) -> pd.DataFrame:
    """Every household indicator, for all households and (with ``by``) each group.

    Lines computed from the data (the SPL, Xu's subsistence line) are computed once on all
    households and applied to every group, so that groups compare against the same line.
    Columns: ``group, households, people`` and the indicators (shares of people, gaps in money
    per person); ``spl`` and ``subsistence_line`` as used.
    """
    if len(households) == 0:
        return pd.DataFrame(columns=["group", *_indicator_columns(config)])
    spl = config.spl
    if spl is None:
        spl = societal_poverty_line(
            households, floor=config.spl_floor, base=config.spl_base, gradient=config.spl_gradient
        )
    pl = config.subsistence_line
    if pl is None and "food" in households.columns:
        pl = xu_subsistence_line(households, exponent=config.equivalence_exponent)
    groups: list[tuple[str, pd.DataFrame]] = [(ALL, households)]
    if by is not None:
        groups += [(str(k), g) for k, g in households.groupby(by, sort=True)]
    rows = []
    for name, frame in groups:
        _c, _oop, size, weight = _households(frame)
        row: dict[str, Any] = {
            "group": name,
            "households": len(frame),
            "people": float((weight * size).sum()),
        }
        for t, value in sdg_382(frame, config.sdg_thresholds).items():
            row[f"sdg382_{round(t * 100):d}"] = value
        row["discretionary_40"] = discretionary_budget_share(
            frame, spl=spl, share=config.discretionary_share
        )
        row["capacity_to_pay_40"] = (
            capacity_to_pay(
                frame,
                subsistence_line=pl,
                share=config.ctp_share,
                exponent=config.equivalence_exponent,
            )
            if pl is not None
            else float("nan")
        )
        row.update(impoverishment(frame, poverty_line=config.poverty_line))
        row.update(overshoot(frame, threshold=config.overshoot_threshold))
        row["spl"] = spl
        row["subsistence_line"] = float("nan") if pl is None else pl
        rows.append(row)
    return pd.DataFrame(rows)


def _indicator_columns(config: IndicatorConfig) -> list[str]:
    return [
        "households",
        "people",
        *[f"sdg382_{round(t * 100):d}" for t in config.sdg_thresholds],
        "discretionary_40",
        "capacity_to_pay_40",
        "headcount_before",
        "headcount_after",
        "pushed_below",
        "further_below",
        "gap_before",
        "gap_after",
        "gap_change",
        "gap_change_normalised",
        "headcount",
        "overshoot",
        "mean_positive_overshoot",
        "spl",
        "subsistence_line",
    ]


def within_county_share(
    claims: pd.DataFrame,
    *,
    by: Sequence[str] = ("township", "tier"),
    target: float = WITHIN_COUNTY_TARGET,
) -> pd.DataFrame:
    """Share of care obtained within the patient's county, by ``by`` and overall.

    ``claims`` has ``home_county`` (the patient's county code), ``provider_county`` and
    ``total_cost`` and the ``by`` columns. A claim is *within* when the two counties are equal.
    Returns ``<by>..., claims, within, share, cost, cost_within, cost_share, meets_target``
    (``share >= target``; the county medical community target is "above 90%"), with rows for
    every subset of ``by`` (the others set to :data:`ALL`): by township and tier, by township,
    by tier, and overall.
    """
    for name in ("home_county", "provider_county", "total_cost", *by):
        if name not in claims.columns:
            msg = f"claims table needs a column {name!r}; it has {list(claims.columns)}."
            raise InputError(msg)
    frame = pd.DataFrame({k: claims[k].astype(str) for k in by})
    within = claims["home_county"].astype(str) == claims["provider_county"].astype(str)
    cost = pd.to_numeric(claims["total_cost"], errors="coerce").fillna(0.0)
    frame["claims"] = 1
    frame["within"] = within.astype("int64").to_numpy()
    frame["cost"] = cost.to_numpy(dtype="float64")
    frame["cost_within"] = np.where(within, frame["cost"], 0.0)
    keys = list(by)
    sums = ["claims", "within", "cost", "cost_within"]
    parts = []
    for n in range(len(keys), -1, -1):
        for fixed in itertools.combinations(keys, n):
            if fixed:
                part = frame.groupby(list(fixed), sort=True, as_index=False)[sums].sum()
            else:
                part = frame[sums].sum().to_frame().T
            for k in keys:
                if k not in fixed:
                    part[k] = ALL
            parts.append(part)
    out = pd.concat(parts, ignore_index=True)[[*keys, "claims", "within", "cost", "cost_within"]]
    out["claims"] = out["claims"].astype("int64")
    out["within"] = out["within"].astype("int64")
    out["share"] = out["within"] / out["claims"].where(out["claims"] > 0)
    out["cost_share"] = out["cost_within"] / out["cost"].where(out["cost"] > 0)
    out["meets_target"] = out["share"] >= target
    return out.sort_values(keys, kind="stable").reset_index(drop=True)
