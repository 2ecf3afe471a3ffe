"""The service catalogue: every basic public service a region plans for, its tiers, how
OpenStreetMap tags it and the standard of reach each tier must meet.

A catalogue is a TOML file (docs/service-circle.md has the format; the bundled default,
``services.toml``, holds China's rural basic public services in English and Chinese):

.. code-block:: toml

    format = "accessplan-services/1"

    [groups.people_over_60]              # a settlements column, with its names
    en = "People aged 60 and over"
    zh = "60岁及以上老年人"

    [[services]]
    name = "elderly_care"
    en = "Elderly care"
    zh = "养老服务"

    [[services.tiers]]                   # lowest first
    name = "elderly_day_care"
    en = "Village day care for the elderly"
    zh = "村级互助养老服务点"
    level = "village"                    # each administrative village must hold one
    osm = [{ social_facility = "day_care", "social_facility:for" = "senior" }]

    [[services.standards]]               # reach this tier (or a higher one) ...
    tier = "elderly_day_care"
    profile = "walk"                     # ... by this travel profile ...
    minutes = 15                         # ... within these minutes ...
    group = "people_over_60"             # ... counting these people ("all": everyone)

An OSM rule matches an object when every key it names has one of the listed values (a value
``a;b`` counts as each of its parts; ``"*"`` accepts any value; ``{ regex = "..." }`` a value
the pattern is found in). An object is given the first service, in catalogue order, with a
matching rule, and within it the highest matching tier.

A standard is met by a settlement whose travel time to the nearest facility of the tier *or a
higher tier of the service* is at most its minutes: a township health centre also gives the
care of a village clinic.
"""

from __future__ import annotations

import functools
import json
import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from accessplan._errors import InputError, InputFileNotFoundError

#: The group of every person: a settlement's ``population``.
ALL = "all"
#: Languages every name is given in (the report's ``zh_CN`` reads ``zh``).
LANGUAGES = ("en", "zh")
FORMAT = "accessplan-services/1"
#: Administrative levels a tier may be required at (one facility per unit).
LEVELS = ("province", "city", "county", "township", "village")
#: Services a region carries when it is given no catalogue: those of the tier table
#: :data:`accessplan.region.TIERS`.
REGION_DEFAULT = ("health", "school")
#: Most minutes a standard may allow (a week).
MAX_MINUTES = 10_080.0
_NAME = re.compile(r"[a-z][a-z0-9_]*")


@dataclass(frozen=True)
class TagRule:
    """Tags an OSM object must carry: every key with one of its values.

    ``values`` pairs each key with the values it accepts (``"*"``: any); ``patterns`` pairs
    keys with regular expressions searched in their value.
    """

    values: tuple[tuple[str, tuple[str, ...]], ...] = ()
    patterns: tuple[tuple[str, str], ...] = ()

    def __post_init__(self) -> None:
        if not self.values and not self.patterns:
            raise InputError('an OSM rule needs at least one key, e.g. { amenity = "school" }.')

    def matches(self, tags: Mapping[str, str]) -> bool:
        """Whether an object with ``tags`` carries this rule's tags."""
        for key, accepted in self.values:
            value = tags.get(key)
            if not value:
                return False
            if "*" not in accepted and not any(p.strip() in accepted for p in value.split(";")):
                return False
        return all(re.search(p, tags.get(k) or "\0") for k, p in self.patterns)

    @property
    def keys(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.values) + tuple(k for k, _ in self.patterns)

    def text(self) -> str:
        """The rule as OSM tags: ``amenity=social_facility + social_facility=a|b``."""
        parts = [f"{k}={'|'.join(v)}" for k, v in self.values]
        parts += [f"{k}~/{p}/" for k, p in self.patterns]
        return " + ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v[0] if len(v) == 1 else list(v) for k, v in self.values}
        out.update({k: {"regex": p} for k, p in self.patterns})
        return out


@dataclass(frozen=True)
class Tier:
    """One tier of a service: its names, the OSM rules that find it and the administrative
    level each of whose units must hold one (empty: no such rule)."""

    name: str
    en: str
    zh: str
    osm: tuple[TagRule, ...] = ()
    level: str = ""


@dataclass(frozen=True)
class Standard:
    """Who must reach a tier (or a higher one) of a service, how and how fast."""

    tier: str
    profile: str
    minutes: float
    group: str = ALL

    def to_dict(self) -> dict[str, Any]:
        return {"tier": self.tier, "profile": self.profile, "minutes": self.minutes,
                "group": self.group}  # fmt: skip


@dataclass(frozen=True)
class Group:
    """A group of people: the settlements column of the same name, and its names."""

    name: str
    en: str
    zh: str


@dataclass(frozen=True)
class Service:
    """A basic public service: names, tiers lowest first, standards."""

    name: str
    en: str
    zh: str
    tiers: tuple[Tier, ...]
    standards: tuple[Standard, ...] = ()

    @property
    def tier_names(self) -> tuple[str, ...]:
        return tuple(t.name for t in self.tiers)


@dataclass(frozen=True)
class Catalogue:
    """Services (in matching order), and the population groups their standards name.

    Checked when made: names are lower-case identifiers, unique (tiers across all services,
    since tables name them alone), every name in both languages, standards on tiers of their
    service with positive minutes and a declared group, one tier per administrative level.
    """

    services: tuple[Service, ...]
    groups: tuple[Group, ...] = field(default=())

    def __post_init__(self) -> None:
        _check(self)

    # ------------------------------------------------------------------ queries
    @property
    def tiers(self) -> dict[str, tuple[str, ...]]:
        """Tier table: service -> tier names, lowest first."""
        return {s.name: s.tier_names for s in self.services}

    def service(self, name: str) -> Service:
        """The service called ``name``."""
        for service in self.services:
            if service.name == name:
                return service
        msg = f"unknown service {name!r}; the catalogue has {[s.name for s in self.services]}."
        raise InputError(msg)

    def service_of(self, tier: str) -> str:
        """The service a tier belongs to."""
        for service in self.services:
            if tier in service.tier_names:
                return service.name
        known = [t for s in self.services for t in s.tier_names]
        msg = f"unknown tier {tier!r}; the catalogue has {known}."
        raise InputError(msg)

    def standards(self) -> list[tuple[str, Standard]]:
        """Every ``(service, standard)``, in catalogue order."""
        return [(s.name, std) for s in self.services for std in s.standards]

    def levels(self) -> list[tuple[str, str, str]]:
        """``(service, level, tier)`` for every tier required at an administrative level."""
        return [(s.name, t.level, t.name) for s in self.services for t in s.tiers if t.level]

    def label(self, kind: str, name: str, lang: str) -> str:
        """The ``lang`` name (``en``, ``zh`` or ``zh_CN``) of a ``service``, ``tier`` or
        ``group``; the name itself when the catalogue does not hold it."""
        code = "zh" if lang.lower().startswith("zh") else "en"
        items: Iterable[Service | Tier | Group] = (
            self.services
            if kind == "service"
            else [t for s in self.services for t in s.tiers]
            if kind == "tier"
            else self.groups
        )
        for item in items:
            if item.name == name:
                return str(getattr(item, code))
        return name

    def rule_keys(self) -> tuple[str, ...]:
        """Every OSM key some rule names, sorted."""
        return tuple(sorted({k for s in self.services for t in s.tiers for r in t.osm
                             for k in r.keys}))  # fmt: skip

    def match(self, tags: Mapping[str, str]) -> tuple[str, str, int] | None:
        """``(service, tier, rule)`` of the first service (in catalogue order) with a rule
        ``tags`` satisfy, at its highest such tier; ``rule`` is the rule's position among the
        tier's rules. None when no rule matches."""
        for service in self.services:
            for tier in reversed(service.tiers):
                for i, rule in enumerate(tier.osm):
                    if rule.matches(tags):
                        return service.name, tier.name, i
        return None

    def subset(self, names: Sequence[str]) -> Catalogue:
        """The catalogue of the services ``names`` (in catalogue order) and their groups."""
        for name in names:
            self.service(name)
        services = tuple(s for s in self.services if s.name in names)
        used = {std.group for s in services for std in s.standards}
        return Catalogue(services, tuple(g for g in self.groups if g.name in used))

    # ------------------------------------------------------------------ storage
    def to_dict(self) -> dict[str, Any]:
        """The catalogue as the plain data of its TOML file."""
        services = []
        for s in self.services:
            tiers = []
            for t in s.tiers:
                tier: dict[str, Any] = {"name": t.name, "en": t.en, "zh": t.zh}
                if t.level:
                    tier["level"] = t.level
                if t.osm:
                    tier["osm"] = [r.to_dict() for r in t.osm]
                tiers.append(tier)
            entry: dict[str, Any] = {"name": s.name, "en": s.en, "zh": s.zh, "tiers": tiers}
            if s.standards:
                entry["standards"] = [std.to_dict() for std in s.standards]
            services.append(entry)
        return {
            "format": FORMAT,
            "groups": {g.name: {"en": g.en, "zh": g.zh} for g in self.groups},
            "services": services,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], *, source: str = "the catalogue") -> Catalogue:
        """A catalogue from the plain data of its TOML file; errors name ``source`` and the
        entry."""
        try:
            return _parse(data)
        except InputError as exc:
            msg = f"{source}: {exc} See docs/service-circle.md for the catalogue's format."
            raise InputError(msg) from None

    @classmethod
    def from_tiers(cls, tiers: Mapping[str, Sequence[str]]) -> Catalogue:
        """The catalogue of a bare tier table: a service the default catalogue holds with the
        same tiers comes with its names, tags and standards; any other is named by itself."""
        default = default_catalogue()
        known = {s.name: s for s in default.services}
        services = []
        for name, names in tiers.items():
            same = known.get(name)
            if same is not None and same.tier_names == tuple(names):
                services.append(same)
            else:
                plain = tuple(Tier(t, t, t) for t in names)
                services.append(Service(name, name, name, plain))
        used = {std.group for s in services for std in s.standards}
        return cls(tuple(services), tuple(g for g in default.groups if g.name in used))

    def to_toml(self) -> str:
        """The catalogue as TOML text that :func:`read` gives back equal."""
        data = self.to_dict()
        lines = [f"format = {_toml(FORMAT)}", ""]
        for name, names in data["groups"].items():
            lines += [f"[groups.{_key(name)}]", *_pairs(names), ""]
        for service in data["services"]:
            head = {k: v for k, v in service.items() if k not in ("tiers", "standards")}
            lines += ["[[services]]", *_pairs(head), ""]
            for tier in service["tiers"]:
                lines += ["[[services.tiers]]", *_pairs(tier), ""]
            for std in service.get("standards", []):
                lines += ["[[services.standards]]", *_pairs(std), ""]
        return "\n".join(lines)


def read(path: str | os.PathLike[str]) -> Catalogue:
    """Read a catalogue file (TOML); errors name the file and the entry."""
    import tomllib

    path = Path(path)
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        msg = f"services catalogue {str(path)!r} {what}; give a TOML catalogue file."
        raise InputFileNotFoundError(msg)
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        msg = f"services catalogue {str(path)!r} is not valid TOML ({exc}); fix the file."
        raise InputError(msg) from None
    return Catalogue.from_dict(data, source=f"services catalogue {str(path)!r}")


def write(catalogue: Catalogue, path: str | os.PathLike[str]) -> Path:
    """Write ``catalogue`` as a TOML file (replaced atomically)."""
    from accessplan._files import new_file

    with new_file(path) as tmp:
        tmp.write_text(catalogue.to_toml(), encoding="utf-8")
    return Path(path)


@functools.cache
def default_catalogue() -> Catalogue:
    """The bundled catalogue of China's rural basic public services (``services.toml``)."""
    text = resources.files("accessplan").joinpath("services.toml").read_text("utf-8")
    import tomllib

    return Catalogue.from_dict(tomllib.loads(text), source="the bundled services.toml")


def default_region_catalogue() -> Catalogue:
    """The services a region carries when given none: health and school."""
    return default_catalogue().subset(REGION_DEFAULT)


# ---------------------------------------------------------------------------- reading
_SERVICE_KEYS = {"name", "en", "zh", "tiers", "standards"}
_TIER_KEYS = {"name", "en", "zh", "osm", "level"}
_STANDARD_KEYS = {"tier", "profile", "minutes", "group"}


def _parse(data: Mapping[str, Any]) -> Catalogue:
    unknown = sorted(set(data) - {"format", "groups", "services"})
    if unknown:
        raise InputError(f"unknown key(s) {unknown} at the top; expected format, groups, services.")
    if data.get("format", FORMAT) != FORMAT:
        raise InputError(f"format {data['format']!r} is not {FORMAT!r}.")
    groups = _table(data.get("groups", {}), "[groups]")
    group_list = tuple(
        Group(name, **_names(_table(names, f"[groups.{name}]"), f"[groups.{name}]", {"en", "zh"}))
        for name, names in groups.items()
    )
    services = data.get("services")
    if not isinstance(services, list) or not services:
        raise InputError("no [[services]]; declare at least one service with its tiers.")
    return Catalogue(tuple(_service(s, i) for i, s in enumerate(services, 1)), group_list)


def _service(raw: Any, number: int) -> Service:
    entry = _table(raw, f"[[services]] {number}")
    where = f"[[services]] {number} ({entry.get('name', '?')})"
    names = _names(entry, where, _SERVICE_KEYS)
    tiers = entry.get("tiers")
    if not isinstance(tiers, list) or not tiers:
        raise InputError(f"{where} has no [[services.tiers]]; list its tiers, lowest first.")
    tier_list = tuple(_tier(t, f"{where} tiers {i}") for i, t in enumerate(tiers, 1))
    raw_standards = entry.get("standards", [])
    if not isinstance(raw_standards, list):
        raise InputError(f"{where} standards must be [[services.standards]] tables.")
    standards = tuple(
        _standard(s, f"{where} standards {i}") for i, s in enumerate(raw_standards, 1)
    )
    return Service(tiers=tier_list, standards=standards, **names)


def _tier(raw: Any, where: str) -> Tier:
    entry = _table(raw, where)
    where = f"{where} ({entry.get('name', '?')})"
    names = _names(entry, where, _TIER_KEYS)
    level = entry.get("level", "")
    if not isinstance(level, str):
        raise InputError(f"{where} level must be one of {list(LEVELS)}, got {level!r}.")
    rules = entry.get("osm", [])
    if isinstance(rules, dict):
        rules = [rules]
    if not isinstance(rules, list):
        raise InputError(f"{where} osm must be a list of tables of tags, got {rules!r}.")
    return Tier(osm=tuple(_rule(r, f"{where} osm {i}") for i, r in enumerate(rules, 1)),
                level=level, **names)  # fmt: skip


def _rule(raw: Any, where: str) -> TagRule:
    entry = _table(raw, where)
    values: list[tuple[str, tuple[str, ...]]] = []
    patterns: list[tuple[str, str]] = []
    for key, value in entry.items():
        if isinstance(value, dict) and set(value) == {"regex"} and isinstance(value["regex"], str):
            try:
                re.compile(value["regex"])
            except re.error as exc:
                raise InputError(f"{where} {key}: bad regex {value['regex']!r} ({exc}).") from None
            patterns.append((key, value["regex"]))
        elif isinstance(value, str) and value:
            values.append((key, (value,)))
        elif isinstance(value, list) and value and all(isinstance(v, str) and v for v in value):
            values.append((key, tuple(value)))
        else:
            msg = (
                f'{where} {key}: expected a tag value, a list of them or {{ regex = "..." }}, '
                f"got {value!r}."
            )
            raise InputError(msg)
    try:
        return TagRule(tuple(values), tuple(patterns))
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def _standard(raw: Any, where: str) -> Standard:
    entry = _table(raw, where)
    unknown = sorted(set(entry) - _STANDARD_KEYS)
    missing = sorted({"tier", "profile", "minutes"} - set(entry))
    if unknown or missing:
        msg = (
            f"{where}: "
            + (f"unknown key(s) {unknown}" if unknown else f"lacks {missing}")
            + "; a standard has tier, profile, minutes and optionally group."
        )
        raise InputError(msg)
    minutes = entry["minutes"]
    if isinstance(minutes, bool) or not isinstance(minutes, int | float):
        raise InputError(f"{where} minutes must be a number, got {minutes!r}.")
    for key in ("tier", "profile", "group"):
        if key in entry and not isinstance(entry[key], str):
            raise InputError(f"{where} {key} must be a string, got {entry[key]!r}.")
    return Standard(entry["tier"], entry["profile"], float(minutes), entry.get("group", ALL))


def _table(raw: Any, where: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InputError(f"{where} must be a table, got {raw!r}.")
    return raw


def _names(entry: Mapping[str, Any], where: str, allowed: set[str]) -> dict[str, str]:
    """``name`` (when allowed) and the names in every language; unknown keys refused."""
    unknown = sorted(set(entry) - allowed)
    if unknown:
        raise InputError(f"{where}: unknown key(s) {unknown}; expected {sorted(allowed)}.")
    wanted = [k for k in ("name", *LANGUAGES) if k in allowed]
    out = {}
    for key in wanted:
        value = entry.get(key)
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"{where} needs {key!r}, a non-empty string; got {value!r}.")
        out[key] = value
    return out


# ---------------------------------------------------------------------------- checking
def _check(catalogue: Catalogue) -> None:
    """Raise :class:`InputError` naming the first thing wrong with ``catalogue``."""
    groups = {g.name for g in catalogue.groups}
    for group in catalogue.groups:
        _identifier(group.name, "group")
        _both_names(group, f"group {group.name!r}")
    if ALL in groups:
        raise InputError(f"group {ALL!r} is built in (every person); do not declare it.")
    _unique([s.name for s in catalogue.services], "service")
    _unique([t.name for s in catalogue.services for t in s.tiers], "tier")
    for service in catalogue.services:
        where = f"service {service.name!r}"
        _identifier(service.name, "service")
        _both_names(service, where)
        if not service.tiers:
            raise InputError(f"{where} has no tiers; list them, lowest first.")
        for tier in service.tiers:
            _identifier(tier.name, "tier")
            _both_names(tier, f"{where} tier {tier.name!r}")
            if tier.level and tier.level not in LEVELS:
                msg = (
                    f"{where} tier {tier.name!r}: level {tier.level!r} is not one of "
                    f"{list(LEVELS)}."
                )
                raise InputError(msg)
        levels = [t.level for t in service.tiers if t.level]
        if len(levels) != len(set(levels)):
            msg = f"{where} requires two tiers at one administrative level ({levels}); keep one."
            raise InputError(msg)
        seen = set()
        for std in service.standards:
            _check_standard(std, service, groups, where)
            key = (std.tier, std.profile, std.minutes, std.group)
            if key in seen:
                raise InputError(f"{where} states the standard {key} twice; keep one.")
            seen.add(key)


def _check_standard(std: Standard, service: Service, groups: set[str], where: str) -> None:
    if std.tier not in service.tier_names:
        msg = (
            f"{where} has a standard on tier {std.tier!r}, which it does not have; its tiers "
            f"are {list(service.tier_names)}."
        )
        raise InputError(msg)
    if not (0 < std.minutes <= MAX_MINUTES):  # NaN fails too
        msg = (
            f"{where} standard on {std.tier!r}: minutes must be a positive number of minutes "
            f"up to {MAX_MINUTES:g}, got {std.minutes!r}."
        )
        raise InputError(msg)
    if not std.profile.strip():
        raise InputError(f"{where} standard on {std.tier!r} needs a travel profile (e.g. walk).")
    if std.group != ALL and std.group not in groups:
        msg = (
            f"{where} standard on {std.tier!r} counts group {std.group!r}, which is not "
            f"declared; add [groups.{std.group}] with en and zh names (its people are the "
            f'settlements column {std.group!r}), or use group = "{ALL}".'
        )
        raise InputError(msg)


def _identifier(name: str, what: str) -> None:
    if not _NAME.fullmatch(name):
        msg = (
            f"{what} name {name!r} must be a lower-case identifier (letters, digits, _; "
            "e.g. elderly_care): it names table columns."
        )
        raise InputError(msg)


def _both_names(item: Service | Tier | Group, where: str) -> None:
    for lang in LANGUAGES:
        if not str(getattr(item, lang)).strip():
            raise InputError(f"{where} needs a name in {lang!r}.")


def _unique(names: list[str], what: str) -> None:
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        msg = f"{what} name(s) {twice} are declared more than once; each must be unique."
        raise InputError(msg)


# ---------------------------------------------------------------------------- writing
def _toml(value: Any) -> str:
    """One TOML value: string, number, list or inline table."""
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def _key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else json.dumps(key, ensure_ascii=False)


def _pairs(table: Mapping[str, Any]) -> list[str]:
    return [f"{_key(k)} = {_toml(v)}" for k, v in table.items()]
