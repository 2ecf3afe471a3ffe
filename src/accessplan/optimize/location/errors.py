"""Errors of the location solvers, beside the package-wide ones in :mod:`accessplan._errors`.

A problem that has no feasible plan at all is the input's fault (:class:`InfeasibleError`, an
:class:`~accessplan._errors.InputError`); a time limit that ran out before any plan was found
is not (:class:`SolverTimeout`); a plan that breaks the problem's rules would be a bug in
accessplan and is never returned (:class:`InvalidPlanError`).
"""

from __future__ import annotations

from accessplan._errors import AccessPlanError, InputError


class InfeasibleError(InputError):
    """No plan satisfies the problem; the message gives the reason (total capacity below the
    demand, a client no site can take, too few sites to cover everyone) and what to change."""


class SolverTimeout(AccessPlanError, RuntimeError):
    """The time limit ran out before any feasible plan was found (the problem may still have
    one): raise ``time_limit``."""


class InvalidPlanError(AccessPlanError, RuntimeError):
    """A solver produced a plan that breaks the problem's rules; it is withheld (a bug)."""
