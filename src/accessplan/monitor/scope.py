"""Who may read and change what: roles scoped by area.

An :class:`Actor` is a user with a role and an area. Areas carry their path of codes from the
top (``/53/5301/530102/530102101/530102101201/``), so an area is *within* the actor's scope
when its path starts with the actor's:

=================  ============  ===============================================================
role               area          may
=================  ============  ===============================================================
village_worker     a village     read and change its own village's households and cases
township_officer   a township    the same for every village of the township; township review
county_admin       a county      everything in the county: imports, rules, evaluation, approval
auditor            any           read everything in its area and the audit log; change nothing
=================  ============  ===============================================================

Every library operation takes the actor and calls :func:`require` before touching data; the
API only authenticates and hands over the actor.
"""

from __future__ import annotations

from dataclasses import dataclass

from accessplan._errors import AccessPlanError
from accessplan.monitor.models import Role

#: The level of area each role is given.
ROLE_LEVEL: dict[Role, tuple[str, ...]] = {
    Role.VILLAGE_WORKER: ("village",),
    Role.TOWNSHIP_OFFICER: ("township",),
    Role.COUNTY_ADMIN: ("county",),
    Role.AUDITOR: ("province", "city", "county", "township", "village"),
}


class Forbidden(PermissionError, AccessPlanError):
    """The acting user may not do this here."""


class NotFound(LookupError, AccessPlanError):
    """No such record (or none the acting user may see: the two are not told apart)."""


@dataclass(frozen=True)
class Actor:
    """A user acting: username, role and the path of their area."""

    username: str
    role: Role
    area_code: str
    area_path: str

    def covers(self, path: str) -> bool:
        """Whether an area with ``path`` is within the actor's area."""
        return path.startswith(self.area_path)

    @property
    def writes(self) -> bool:
        """Whether the role may change anything (auditors may not)."""
        return self.role is not Role.AUDITOR


def require(
    actor: Actor, *, path: str | None = None, write: bool = False, roles: tuple[Role, ...] = ()
) -> None:
    """Refuse unless ``actor`` may act: within ``path`` (when given), writing only when the
    role writes, and with one of ``roles`` (when given).

    Reading outside the area raises :class:`NotFound`, so that a worker cannot learn which
    households exist elsewhere; everything else raises :class:`Forbidden`.
    """
    if path is not None and not actor.covers(path):
        raise NotFound("no such record in your area.")
    if write and not actor.writes:
        raise Forbidden(f"{actor.username} is an auditor: auditors read, they do not change.")
    if roles and actor.role not in roles:
        names = ", ".join(r.value for r in roles)
        raise Forbidden(f"{actor.username} is a {actor.role.value}; this needs a {names}.")
