"""The register: areas, users, households and their members, incomes.

Areas come from a Region's administrative units (``code, name, level, parent``) or any table
of the same columns. Households and members come from a register file, one row per member
(:func:`import_register`); incomes from an income file (:func:`import_incomes`). Identity
numbers are turned into keyed pseudonyms on the way in and never stored; phones and bank
accounts are encrypted. A file already imported (same SHA-256) changes nothing; rows naming a
household or member already registered are counted as duplicates and left as they are —
changes to a registered household go through :func:`update_household`, audited field by field.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from accessplan._errors import InputError
from accessplan.monitor import _table
from accessplan.monitor.db import Database
from accessplan.monitor.models import (
    Area,
    Category,
    Household,
    ImportBatch,
    IncomeRecord,
    Member,
    Role,
    User,
)
from accessplan.monitor.scope import ROLE_LEVEL, Actor, NotFound, require
from accessplan.monitor.security import Passwords

logger = logging.getLogger(__name__)

CATEGORIES: tuple[str, ...] = tuple(c.value for c in Category)
REGISTER_COLUMNS = ("household_ref", "village_code", "category", "id_number", "name", "relation")
REGISTER_OPTIONAL = ("phone", "bank_account", "weight")
INCOME_COLUMNS = ("household_ref", "year", "income")
INCOME_OPTIONAL = ("source", "consumption", "food")
#: The relation that marks the head of a household (户主).
HEAD = "head"
#: Household fields a user may change through :func:`update_household`.
EDITABLE = ("category", "weight", "head_name")


@dataclass(frozen=True)
class ImportReport:
    """What an import did: rows read, accepted, already present, refused (with lines)."""

    kind: str
    batch_id: int | None
    rows: int
    accepted: int
    duplicates: int
    rejected: int
    rejects: list[dict[str, object]] = field(default_factory=list)
    already_imported: bool = False

    def summary(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "batch_id": self.batch_id,
            "rows": self.rows,
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "rejected": self.rejected,
            "already_imported": self.already_imported,
        }


def load_areas(session: Session, areas: pd.DataFrame) -> int:
    """Add the administrative units of ``areas`` (``code, name, level, parent``; a Region's
    ``admin_units``) that are new, with their paths; returns how many were added."""
    for column in ("code", "name", "level", "parent"):
        if column not in areas.columns:
            msg = f"areas table needs columns code, name, level, parent; it lacks {column!r}."
            raise InputError(msg)
    table = areas.astype({"code": str, "parent": str}).fillna({"parent": ""})
    known = {a.code: a.path for a in session.scalars(select(Area))}
    parents = dict(zip(table["code"], table["parent"], strict=True))

    def path(code: str, seen: tuple[str, ...] = ()) -> str:
        if code in known:
            return known[code]
        if code in seen:
            raise InputError(f"areas: the parents of {code!r} go round in a circle.")
        parent = parents.get(code, "")
        if parent and parent not in parents and parent not in known:
            raise InputError(f"areas: parent {parent!r} of {code!r} is not among the areas.")
        return (path(parent, (*seen, code)) if parent else "/") + f"{code}/"

    added = 0
    for row in table.sort_values("code").to_dict("records"):
        if row["code"] in known:
            continue
        full = path(row["code"])
        session.add(
            Area(
                code=row["code"],
                name=str(row["name"]),
                level=str(row["level"]),
                parent=row["parent"] or None,
                path=full,
            )
        )
        known[row["code"]] = full
        added += 1
    session.flush()
    return added


def create_user(
    session: Session,
    username: str,
    password: str,
    role: Role | str,
    area_code: str,
    *,
    passwords: Passwords | None = None,
) -> User:
    """Add a user with an Argon2id password hash; the role must fit the area's level
    (a village worker a village, a township officer a township, a county admin a county)."""
    role = Role(role)
    area = session.get(Area, area_code)
    if area is None:
        raise InputError(f"area {area_code!r} is not in the register; load the areas first.")
    if area.level not in ROLE_LEVEL[role]:
        msg = f"a {role.value} is given a {' or '.join(ROLE_LEVEL[role])}, not a {area.level}."
        raise InputError(msg)
    user = User(
        username=username,
        password_hash=(passwords or Passwords()).hash(password),
        role=role.value,
        area_code=area_code,
        active=True,
    )
    session.add(user)
    session.flush()
    return user


def actor(session: Session, username: str) -> Actor:
    """The active user ``username`` as an :class:`Actor`."""
    user = session.scalar(select(User).where(User.username == username, User.active))
    if user is None:
        raise NotFound(f"no active user {username!r}.")
    area = session.get(Area, user.area_code)
    assert area is not None
    return Actor(user.username, Role(user.role), area.code, area.path)


def import_register(
    database: Database, path: str | Path, by: Actor, *, today: dt.date | None = None
) -> ImportReport:
    """Add the households and members of a register file (one row per member).

    Columns: ``household_ref, village_code, category, id_number, name, relation`` and
    optionally ``phone, bank_account, weight``. Refused rows (with their line): a malformed
    identity number, a village not in the register or outside the actor's area, an unknown
    category, an identity number repeated in the file, a weight that is not positive, a
    household whose rows disagree on its village, category or weight (all its rows).
    The other rows are imported; the household's size is its number of members.
    """
    require(by, write=True, roles=(Role.COUNTY_ADMIN, Role.TOWNSHIP_OFFICER))
    keyring = database.keyring()
    today = today or dt.date.today()
    digest, rows = _table.read(path, REGISTER_COLUMNS, REGISTER_OPTIONAL)
    with database.session(by.username) as session:
        if _seen(session, "register", digest):
            return ImportReport("register", None, len(rows.frame), 0, 0, 0, already_imported=True)
        ref = rows.text("household_ref")
        village = rows.digits("village_code", 12)
        category = rows.choice("category", CATEGORIES)
        ids = rows.id_number("id_number", today=today)
        name = rows.text("name")
        relation = rows.text("relation")
        phone = rows.text("phone", required=False)
        account = rows.text("bank_account", required=False)
        weight_raw = rows.frame["weight"].fillna("").str.strip()
        weight = pd.to_numeric(weight_raw.where(weight_raw != "", "1"), errors="coerce")
        rows.fail(~(weight > 0).to_numpy(), "weight", "not a positive number")
        rows.fail(
            (phone != "").to_numpy() & ~phone.str.fullmatch(r"\+?[\d\- ]{7,20}").to_numpy(bool),
            "phone",
            "not a phone number",
        )
        rows.fail(
            (account != "").to_numpy() & ~account.str.fullmatch(r"[\d ]{8,34}").to_numpy(bool),
            "bank_account",
            "not a bank account number",
        )
        villages = {
            a.code: a.path for a in session.scalars(select(Area).where(Area.level == "village"))
        }
        unknown = (village != "").to_numpy() & ~village.isin(list(villages)).to_numpy()
        rows.fail(unknown, "village_code", "not a village of the register")
        outside = ~village.map(lambda v: by.covers(villages.get(v, "/"))).to_numpy(bool)
        rows.fail(outside & ~unknown, "village_code", "outside your area")
        rows.first_of_repeats(ids, "id_number")
        for column, values in (
            ("village_code", village),
            ("category", category),
            ("weight", weight),
        ):
            disagree = values.groupby(ref).transform("nunique").to_numpy() > 1
            rows.fail(disagree, column, "differs between rows of the same household")
        good = ~rows.bad
        pseudonyms = pd.Series(keyring.pseudonyms(ids.where(good, "")))
        existing = {
            p
            for part in chunked(pseudonyms[good])
            for p in session.scalars(select(Member.pseudonym).where(Member.pseudonym.in_(part)))
        }
        known_households = _ids_by_ref(session, ref[good].unique())
        new_member = good & ~pseudonyms.isin(existing).to_numpy()
        batch = _batch(session, "register", digest, path, rows, by)
        frame = pd.DataFrame(
            {
                "ref": ref,
                "village": village,
                "category": category,
                "name": name,
                "relation": relation,
                "weight": weight,
            }
        )[new_member]
        new_refs = frame[~frame["ref"].isin(known_households)]
        if len(new_refs):
            first = new_refs.drop_duplicates("ref").set_index("ref").sort_index()
            heads = new_refs[new_refs["relation"] == HEAD].drop_duplicates("ref").set_index("ref")
            head = heads["name"].reindex(first.index).fillna(first["name"])
            now = dt.datetime.now(dt.UTC)
            households = [
                {"ref": r, "area_code": a, "category": c, "size": int(n), "weight": float(w),
                 "head_name": h, "updated_at": now}
                for r, a, c, n, w, h in zip(
                    first.index, first["village"], first["category"],
                    new_refs.groupby("ref").size().reindex(first.index), first["weight"], head,
                    strict=True,
                )
            ]  # fmt: skip
            session.connection().execute(
                insert(Household.metadata.tables["households"]), households
            )
        ids_by_ref = _ids_by_ref(session, frame["ref"].unique())
        chosen = np.flatnonzero(new_member)
        phones = phone.to_numpy(dtype=object)[chosen]
        accounts = account.to_numpy(dtype=object)[chosen]
        members = [
            {
                "household_id": ids_by_ref[r],
                "pseudonym": p,
                "name": n,
                "relation": rel,
                "birth_year": int(i[6:10]),
                "phone_enc": keyring.encrypt(ph, purpose="phone") if ph else None,
                "bank_account_enc": (
                    keyring.encrypt(ac.replace(" ", ""), purpose="bank_account") if ac else None
                ),
            }
            for r, p, n, rel, i, ph, ac in zip(
                frame["ref"], pseudonyms.to_numpy(dtype=object)[chosen],
                name.to_numpy(dtype=object)[chosen], relation.to_numpy(dtype=object)[chosen],
                ids.to_numpy(dtype=object)[chosen], phones, accounts, strict=True,
            )
        ]  # fmt: skip
        if members:
            session.connection().execute(insert(Member.metadata.tables["members"]), members)
            counted = (
                select(func.count())
                .where(Member.household_id == Household.id)
                .correlate(Household)
                .scalar_subquery()
            )
            grown = sorted({ids_by_ref[r] for r in frame["ref"] if r in known_households})
            for part in chunked(grown):
                session.execute(
                    update(Household).where(Household.id.in_(part)).values(size=counted)
                )
        return _finish(session, batch, rows, accepted=len(members))


def import_incomes(
    database: Database, path: str | Path, by: Actor, *, today: dt.date | None = None
) -> ImportReport:
    """Add income records: ``household_ref, year, income`` and optionally ``source`` (default
    ``survey``), ``consumption`` and ``food`` (household totals for the year). Refused: an
    unknown household (or one outside the actor's area), a year outside 2000 to this year, a
    negative or missing amount, a record repeated in the file. A record already present for the
    household, year and source is a duplicate. Each household's income per person is then set
    from its latest record."""
    require(by, write=True)
    today = today or dt.date.today()
    digest, rows = _table.read(path, INCOME_COLUMNS, INCOME_OPTIONAL)
    with database.session(by.username) as session:
        if _seen(session, "incomes", digest):
            return ImportReport("incomes", None, len(rows.frame), 0, 0, 0, already_imported=True)
        ref = rows.text("household_ref")
        year = pd.to_numeric(rows.text("year"), errors="coerce")
        rows.fail(
            ~year.between(2000, today.year).to_numpy(bool), "year", f"not a year 2000-{today.year}"
        )
        income = rows.amount("income")
        consumption = rows.amount("consumption", required=False)
        food = rows.amount("food", required=False)
        source = rows.text("source", required=False).where(lambda s: s != "", "survey")
        found = {
            h.ref: (h.id, h.size, a.path)
            for part in chunked(ref.unique())
            for h, a in session.execute(
                select(Household, Area)
                .join(Area, Area.code == Household.area_code)
                .where(Household.ref.in_(part))
            ).all()
        }
        missing = ~ref.map(lambda r: r in found and by.covers(found[r][2])).to_numpy(bool)
        rows.fail(
            missing & (ref != "").to_numpy(), "household_ref", "no such household in your area"
        )
        rows.first_of_repeats(ref + "|" + year.astype(str) + "|" + source, "household_ref")
        batch = _batch(session, "incomes", digest, path, rows, by)
        good = np.flatnonzero(~rows.bad)
        present = {
            tuple(row)
            for part in chunked(sorted({found[ref[i]][0] for i in good}))
            for row in session.execute(
                select(IncomeRecord.household_id, IncomeRecord.year, IncomeRecord.source).where(
                    IncomeRecord.household_id.in_(part)
                )
            ).all()
        }
        records = []
        for i in good:
            key = (found[ref[i]][0], int(year[i]), source[i])
            if key in present:
                continue
            records.append(
                {
                    "household_id": key[0],
                    "year": key[1],
                    "source": key[2],
                    "income": float(income[i]),
                    "consumption": None if np.isnan(consumption[i]) else float(consumption[i]),
                    "food": None if np.isnan(food[i]) else float(food[i]),
                }
            )
        if records:
            session.connection().execute(
                insert(IncomeRecord.metadata.tables["income_records"]), records
            )
            latest = pd.DataFrame(records).sort_values("year").groupby("household_id").last()
            sizes = {hid: size for hid, size, _path in found.values()}
            session.execute(
                update(Household),
                [
                    {"id": int(hid), "income_per_person": float(income) / sizes[int(hid)]}
                    for hid, income in zip(latest.index, latest["income"], strict=True)
                ],
            )
        return _finish(session, batch, rows, accepted=len(records))


def chunked(values: Iterable[Any], size: int = 10_000) -> Iterator[list[Any]]:
    """``values`` in lists of ``size``: SQL ``IN (...)`` lists stay below the drivers' limits
    on parameters (SQLite's is 32,766)."""
    part: list[Any] = []
    for value in values:
        part.append(value)
        if len(part) == size:
            yield part
            part = []
    if part:
        yield part


def _ids_by_ref(session: Session, refs: Iterable[str]) -> dict[str, int]:
    return {
        r: i
        for part in chunked(refs)
        for r, i in session.execute(
            select(Household.ref, Household.id).where(Household.ref.in_(part))
        ).all()
    }


def _seen(session: Session, kind: str, digest: str) -> bool:
    seen = session.scalar(
        select(ImportBatch.id).where(ImportBatch.kind == kind, ImportBatch.sha256 == digest)
    )
    if seen is not None:
        logger.info("%s file %s already imported as batch %s; nothing to do", kind, digest, seen)
    return seen is not None


def _batch(
    session: Session, kind: str, digest: str, path: str | Path, rows: _table.Checked, by: Actor
) -> ImportBatch:
    batch = ImportBatch(
        kind=kind,
        sha256=digest,
        filename=Path(path).name,
        rows=len(rows.frame),
        accepted=0,
        duplicates=0,
        rejected=int(rows.bad.sum()),
        rejects=rows.kept_rejects(),
        actor=by.username,
    )
    session.add(batch)
    session.flush()
    return batch


def _finish(
    session: Session, batch: ImportBatch, rows: _table.Checked, *, accepted: int
) -> ImportReport:
    batch.accepted = accepted
    batch.duplicates = int((~rows.bad).sum()) - accepted
    session.flush()
    logger.info(
        "%s batch %s: %s rows, %s accepted, %s duplicates, %s rejected",
        batch.kind, batch.id, batch.rows, accepted, batch.duplicates, batch.rejected,
    )  # fmt: skip
    return ImportReport(
        batch.kind,
        batch.id,
        batch.rows,
        accepted,
        batch.duplicates,
        batch.rejected,
        rows.kept_rejects(),
    )


def households(session: Session, by: Actor, *, village: str | None = None) -> pd.DataFrame:
    """The households the actor may see (optionally one village's): ``id, ref, area_code,
    category, size, weight, income_per_person, head_name``."""
    query = (
        select(
            Household.id,
            Household.ref,
            Household.area_code,
            Household.category,
            Household.size,
            Household.weight,
            Household.income_per_person,
            Household.head_name,
        )
        .join(Area, Area.code == Household.area_code)
        .where(Area.path.startswith(by.area_path))
        .order_by(Household.ref)
    )
    if village is not None:
        query = query.where(Household.area_code == village)
    return pd.DataFrame(
        session.execute(query).mappings().all(), columns=list(query.selected_columns.keys())
    )


def household(session: Session, by: Actor, household_id: int) -> Household:
    """The household ``household_id`` if it is within the actor's area (else :class:`NotFound`)."""
    found = session.get(Household, household_id)
    if found is None:
        raise NotFound("no such record in your area.")
    require(by, path=_path(session, found.area_code))
    return found


def update_household(
    session: Session, by: Actor, household_id: int, changes: dict[str, Any]
) -> Household:
    """Change fields of :data:`EDITABLE` of a household in the actor's area (audited)."""
    found = household(session, by, household_id)
    require(by, path=_path(session, found.area_code), write=True)
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InputError(f"cannot change {unknown}; editable fields are {list(EDITABLE)}.")
    if "category" in changes and changes["category"] not in CATEGORIES:
        raise InputError(
            f"category must be one of {list(CATEGORIES)}, got {changes['category']!r}."
        )
    if "weight" in changes and not float(changes["weight"]) > 0:
        raise InputError(f"weight must be positive, got {changes['weight']!r}.")
    for key, value in changes.items():
        setattr(found, key, value)
    found.updated_at = dt.datetime.now(dt.UTC)
    session.flush()
    return found


def _path(session: Session, area_code: str) -> str:
    path = session.scalar(select(Area.path).where(Area.code == area_code))
    return path or "/"
