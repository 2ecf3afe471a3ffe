"""One exception tree for accessplan.

Every error raised on purpose derives from :class:`AccessPlanError`; subclasses also inherit
the matching builtin so that ``except ValueError`` keeps working for callers who do not know
accessplan. Messages say what was expected, what came, and how to fix it.
"""

from __future__ import annotations


class AccessPlanError(Exception):
    """Base class of every error accessplan raises on purpose."""


class InputError(ValueError, AccessPlanError):
    """An input file, table or argument is not what accessplan needs."""


class OutputError(InputError):
    """An output path cannot be written (a file's parent is a file, no permission, ...)."""


class CrsError(InputError):
    """A coordinate reference system is missing, unknown or inconsistent."""


class InputFileNotFoundError(FileNotFoundError, AccessPlanError):
    """A named input file does not exist."""


class MissingExtraError(ImportError, AccessPlanError):
    """An optional dependency is missing; the message names the extra to install."""


def require(module: str, extra: str) -> object:
    """Import an optional module or raise :class:`MissingExtraError` naming the extra."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        msg = (
            f"{module!r} is needed for this feature but is not installed; "
            f"install it with `pip install 'accessplan[{extra}]'`."
        )
        raise MissingExtraError(msg) from exc
