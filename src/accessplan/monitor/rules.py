"""Early-warning rules: versioned configuration per province, year and household group, and
their evaluation into deduplicated warnings.

A rule set is a TOML file (docs/monitor.md has a full one)::

    province = "53"            # 2-digit province code: the households it applies to
    year = 2025
    version = 1
    reference_income = 16000   # the previous year's rural disposable income per person
    monitoring_line = 7300     # income per person per year below which a household is watched

    [[rules]]
    id = "oop-formerly-poor"
    kind = "oop_share"         # rolling out-of-pocket above share x reference_income
    groups = ["formerly_poor_unstable"]
    share = 0.5

    [[rules]]
    id = "oop-others"
    kind = "oop_share"
    groups = ["marginal_at_risk", "sudden_difficulty", "ordinary"]
    share = 1.0

    [[rules]]
    id = "oop-amount"
    kind = "oop_amount"        # rolling out-of-pocket above an amount
    groups = ["*"]
    amount = 50000

    [[rules]]
    id = "income-below-line"
    kind = "income_below"      # income per person below monitoring_line
    groups = ["*"]

``oop_*`` rules sum out-of-pocket spending over the ``window_months`` (12 by default) ending
on the evaluation date, per person (``basis = "member"``, the default: the policy speaks of a
person's own payments) or per household (``basis = "household"``); "above" is strict.
A stored rule set is never changed: a different content needs a new ``version``, and the
newest version of a province and year is the one evaluated.

Warnings are deduplicated: one per household, rule and year of the rule set, however often
the rules are evaluated. Each warning says which rule fired on which figures (the sum, the
window, the limit and how it was derived).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import tomllib
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from accessplan._errors import InputError
from accessplan.monitor.db import Database, audit_event
from accessplan.monitor.models import Area, Category, Claim, EarlyWarning, Household, Role
from accessplan.monitor.models import RuleSet as StoredRuleSet
from accessplan.monitor.scope import Actor, require

logger = logging.getLogger(__name__)

KINDS = ("oop_share", "oop_amount", "income_below")
ALL_GROUPS = "*"
WARNING_COLUMNS = [
    "warning_id",
    "household_id",
    "household_ref",
    "area_code",
    "category",
    "rule_id",
    "kind",
    "figures",
    "raised_on",
    "status",
]


@dataclass(frozen=True)
class Rule:
    """One early-warning rule (see the module docstring)."""

    id: str
    kind: Literal["oop_share", "oop_amount", "income_below"]
    groups: tuple[str, ...] = (ALL_GROUPS,)
    share: float | None = None
    amount: float | None = None
    basis: Literal["member", "household"] = "member"
    window_months: int = 12

    def applies_to(self, category: str) -> bool:
        return ALL_GROUPS in self.groups or category in self.groups


@dataclass(frozen=True)
class RuleSet:
    """The rules of a province and year, in one version."""

    province: str
    year: int
    version: int
    reference_income: float
    monitoring_line: float
    rules: tuple[Rule, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, data: dict[str, Any], *, where: str = "rules") -> RuleSet:
        """Check and build a rule set from a parsed TOML or JSON document."""

        def fail(detail: str) -> InputError:
            return InputError(f"{where}: {detail}")

        for key in ("province", "year", "version", "reference_income", "monitoring_line"):
            if key not in data:
                raise fail(f"missing {key!r}.")
        province = str(data["province"])
        if not (province.isdigit() and len(province) == 2):
            raise fail(f"province must be a 2-digit code such as '53', got {province!r}.")
        for key in ("reference_income", "monitoring_line"):
            if not isinstance(data[key], int | float) or data[key] < 0:
                raise fail(f"{key} must be an amount >= 0, got {data[key]!r}.")
        groups_known = {c.value for c in Category} | {ALL_GROUPS}
        rules = []
        for i, raw in enumerate(data.get("rules", []), start=1):
            here = f"[[rules]] {i}"
            if raw.get("kind") not in KINDS:
                raise fail(f"{here} kind must be one of {list(KINDS)}, got {raw.get('kind')!r}.")
            groups = tuple(raw.get("groups", [ALL_GROUPS]))
            unknown = sorted(set(groups) - groups_known)
            if unknown:
                raise fail(f"{here} unknown groups {unknown}; choose from {sorted(groups_known)}.")
            needs = {"oop_share": "share", "oop_amount": "amount"}.get(raw["kind"])
            if needs and not (isinstance(raw.get(needs), int | float) and raw[needs] > 0):
                raise fail(f"{here} ({raw['kind']}) needs a positive {needs}.")
            if raw.get("basis", "member") not in ("member", "household"):
                raise fail(f"{here} basis must be 'member' or 'household'.")
            months = raw.get("window_months", 12)
            if not (isinstance(months, int) and 1 <= months <= 36):
                raise fail(f"{here} window_months must be a whole number of months 1-36.")
            rules.append(
                Rule(
                    id=str(raw.get("id") or f"rule-{i}"),
                    kind=raw["kind"],
                    groups=groups,
                    share=raw.get("share"),
                    amount=raw.get("amount"),
                    basis=raw.get("basis", "member"),
                    window_months=months,
                )
            )
        ids = [r.id for r in rules]
        if len(set(ids)) != len(ids):
            raise fail(f"rule ids must be unique, got {ids}.")
        return cls(
            province=province,
            year=int(data["year"]),
            version=int(data["version"]),
            reference_income=float(data["reference_income"]),
            monitoring_line=float(data["monitoring_line"]),
            rules=tuple(rules),
        )

    @classmethod
    def from_toml(cls, path: str | Path) -> RuleSet:
        """Read a rule set file."""
        file = Path(path)
        try:
            data = tomllib.loads(file.read_text("utf-8"))
        except (OSError, tomllib.TOMLDecodeError) as exc:
            raise InputError(f"{file.name}: cannot read the rules ({exc}).") from None
        return cls.from_dict(data, where=file.name)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rules"] = [{**asdict(r), "groups": list(r.groups)} for r in self.rules]
        return data

    @property
    def sha256(self) -> str:
        return hashlib.sha256(json.dumps(self.as_dict(), sort_keys=True).encode()).hexdigest()


def store_rules(session: Session, rules: RuleSet, by: Actor) -> StoredRuleSet:
    """Store a rule set version (county admins); storing the same content again returns the
    stored one, a different content under an existing version is refused."""
    require(by, write=True, roles=(Role.COUNTY_ADMIN,))
    existing = session.scalar(
        select(StoredRuleSet).where(
            StoredRuleSet.province == rules.province,
            StoredRuleSet.year == rules.year,
            StoredRuleSet.version == rules.version,
        )
    )
    if existing is not None:
        if existing.sha256 != rules.sha256:
            msg = (
                f"rules {rules.province}/{rules.year} version {rules.version} are stored with "
                "other content; rule versions never change: give the new rules version "
                f"{rules.version + 1}."
            )
            raise InputError(msg)
        return existing
    stored = StoredRuleSet(
        province=rules.province,
        year=rules.year,
        version=rules.version,
        content=rules.as_dict(),
        sha256=rules.sha256,
    )
    session.add(stored)
    session.flush()
    return stored


def current_rules(session: Session, province: str, year: int) -> tuple[int, RuleSet]:
    """The newest stored version for ``province`` and ``year``: its id and the rules."""
    stored = session.scalar(
        select(StoredRuleSet)
        .where(StoredRuleSet.province == province, StoredRuleSet.year == year)
        .order_by(StoredRuleSet.version.desc())
        .limit(1)
    )
    if stored is None:
        msg = f"no rules stored for province {province} and year {year}; store a rule set first."
        raise InputError(msg)
    return stored.id, RuleSet.from_dict(dict(stored.content))


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole calendar months, clipped to the month's last day."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    for last in (31, 30, 29, 28):
        try:
            return dt.date(year, month + 1, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable")


@dataclass(frozen=True)
class Evaluation:
    """What an evaluation found: new warnings and every warning raised for the year."""

    as_of: dt.date
    rule_set_id: int
    households: int
    new_warnings: int
    warnings: pd.DataFrame

    def summary(self) -> dict[str, Any]:
        return {
            "as_of": self.as_of.isoformat(),
            "rule_set_id": self.rule_set_id,
            "households": self.households,
            "new_warnings": self.new_warnings,
            "warnings": len(self.warnings),
        }


def evaluate(
    database: Database,
    by: Actor,
    *,
    as_of: dt.date,
    province: str | None = None,
    year: int | None = None,
) -> Evaluation:
    """Evaluate the newest rules of ``province`` (the actor's, by default) and ``year`` (that of
    ``as_of``) on the households of the actor's area; store new warnings (county admins)."""
    require(by, write=True, roles=(Role.COUNTY_ADMIN,))
    province = province or by.area_code[:2]
    year = year or as_of.year
    with database.session(by.username) as session:
        rule_set_id, rules = current_rules(session, province, year)
        households = _households(session, by, province)
        sums: dict[tuple[str, int], pd.DataFrame] = {}
        found = [_fire(session, by, rule, rules, households, as_of, sums) for rule in rules.rules]
        parts = [f for f in found if len(f)]
        fired = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
        before = _count(session, year)
        if len(fired):
            rows = [
                {
                    "household_id": int(r["household_id"]),
                    "member_id": None if pd.isna(r["member_id"]) else int(r["member_id"]),
                    "rule_set_id": rule_set_id,
                    "rule_id": r["rule_id"],
                    "period": year,
                    "figures": r["figures"],
                    "raised_on": as_of,
                    "status": "open",
                }
                for r in fired.to_dict("records")
            ]
            insert = pg_insert if database.dialect == "postgresql" else sqlite_insert
            statement = insert(EarlyWarning).on_conflict_do_nothing(
                index_elements=["household_id", "rule_id", "period"]
            )
            for start in range(0, len(rows), 20_000):
                session.execute(statement, rows[start : start + 20_000])
        new = _count(session, year) - before
        audit_event(
            session,
            "evaluate",
            "warnings",
            row_id=str(rule_set_id),
            after={
                "rule_set_id": rule_set_id,
                "as_of": as_of,
                "households": len(households),
                "new_warnings": new,
            },
        )
        table = warnings(session, by, year=year)
    logger.info("evaluated %s households: %s new warnings", len(households), new)
    return Evaluation(as_of, rule_set_id, len(households), new, table)


def _count(session: Session, year: int) -> int:
    query = select(func.count()).select_from(EarlyWarning).where(EarlyWarning.period == year)
    return int(session.scalar(query) or 0)


def _households(session: Session, by: Actor, province: str) -> pd.DataFrame:
    query = (
        select(Household.id, Household.category, Household.size, Household.income_per_person)
        .join(Area, Area.code == Household.area_code)
        .where(Area.path.startswith(by.area_path), Household.area_code.startswith(province))
    )
    return pd.DataFrame(session.execute(query).all(), columns=["id", "category", "size", "income"])


def _fire(
    session: Session,
    by: Actor,
    rule: Rule,
    rules: RuleSet,
    households: pd.DataFrame,
    as_of: dt.date,
    sums: dict[tuple[str, int], pd.DataFrame],
) -> pd.DataFrame:
    """The households (and members) ``rule`` fires on, with the figures, deduplicated to one
    per household: the member with the largest sum. Sums are shared by the rules of the same
    basis and window (``sums``), so that the claims are scanned once for them."""
    eligible = households[households["category"].map(rule.applies_to)]
    if rule.kind == "income_below":
        known = eligible[eligible["income"].notna()]
        hit = known[known["income"].astype(float) < rules.monitoring_line]
        return pd.DataFrame(
            {
                "household_id": hit["id"].to_numpy(),
                "member_id": np.full(len(hit), np.nan),
                "rule_id": rule.id,
                "figures": [
                    {
                        "rule": rule.kind,
                        "income_per_person": round(float(v), 2),
                        "monitoring_line": rules.monitoring_line,
                    }
                    for v in hit["income"]
                ],
            }
        )
    start = add_months(as_of, -rule.window_months) + dt.timedelta(days=1)
    if (rule.basis, rule.window_months) not in sums:
        sums[rule.basis, rule.window_months] = _sums(session, by, rule.basis, start, as_of)
    totals = sums[rule.basis, rule.window_months]
    totals = totals[totals["household_id"].isin(eligible["id"])]
    if rule.kind == "oop_share":
        assert rule.share is not None
        limit = rule.share * rules.reference_income
        derived: dict[str, Any] = {"share": rule.share, "reference_income": rules.reference_income}
    else:
        assert rule.amount is not None
        limit, derived = rule.amount, {}
    hit = totals[totals["oop"].astype(float) > limit].sort_values(
        ["household_id", "oop", "key"], ascending=[True, False, True]
    )
    hit = hit.drop_duplicates("household_id", keep="first")
    window = [start.isoformat(), as_of.isoformat()]
    return pd.DataFrame(
        {
            "household_id": hit["household_id"].to_numpy(),
            "member_id": hit["key"].to_numpy() if rule.basis == "member" else np.nan,
            "rule_id": rule.id,
            "figures": [
                {
                    "rule": rule.kind,
                    "basis": rule.basis,
                    "out_of_pocket": round(float(v), 2),
                    "window": window,
                    "limit": round(limit, 2),
                    **derived,
                }
                for v in hit["oop"]
            ],
        }
    )


def _sums(session: Session, by: Actor, basis: str, start: dt.date, end: dt.date) -> pd.DataFrame:
    """Out-of-pocket sums per member (or household) of the actor's area from ``start`` to
    ``end``: ``key, household_id, oop``."""
    key = Claim.member_id if basis == "member" else Claim.household_id
    query = (
        select(key, Claim.household_id, func.sum(Claim.out_of_pocket))
        .join(Household, Household.id == Claim.household_id)
        .join(Area, Area.code == Household.area_code)
        .where(
            Claim.service_date >= start,
            Claim.service_date <= end,
            Area.path.startswith(by.area_path),
        )
        .group_by(key, Claim.household_id)
    )
    return pd.DataFrame(session.execute(query).all(), columns=["key", "household_id", "oop"])


def warnings(session: Session, by: Actor, *, year: int | None = None) -> pd.DataFrame:
    """The warnings the actor may see (of ``year``): :data:`WARNING_COLUMNS`."""
    query = (
        select(
            EarlyWarning.id,
            EarlyWarning.household_id,
            Household.ref,
            Household.area_code,
            Household.category,
            EarlyWarning.rule_id,
            EarlyWarning.figures,
            EarlyWarning.raised_on,
            EarlyWarning.status,
        )
        .join(Household, Household.id == EarlyWarning.household_id)
        .join(Area, Area.code == Household.area_code)
        .where(Area.path.startswith(by.area_path))
        .order_by(Household.ref, EarlyWarning.rule_id)
    )
    if year is not None:
        query = query.where(EarlyWarning.period == year)
    rows = [
        (i, h, ref, area, cat, rule, dict(figures).get("rule", ""), figures, raised, status)
        for i, h, ref, area, cat, rule, figures, raised, status in session.execute(query).all()
    ]
    return pd.DataFrame(rows, columns=WARNING_COLUMNS)
