"""Output written whole or not at all: build beside the target, then rename onto it.

Temporaries are named ``.<target name>.<pid>.<random>.tmp<suffix>``: a process killed
while writing (SIGKILL, power loss) cannot clean up, so the next write to the same target
removes the temporaries whose process is gone. A folder being replaced is first renamed to
such a name, so a failure never leaves a half-deleted folder. A path that cannot be written
(a parent that is a file, a read-only folder, a name too long, a folder where a file should
go) raises :class:`~accessplan._errors.OutputError` naming the path and the reason, and
:func:`check_writable` says so before any work is done.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from accessplan._errors import OutputError
from accessplan._types import PathArg

logger = logging.getLogger(__name__)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


@contextmanager
def new_file(path: PathArg) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` when the block succeeds
    and is removed when it fails. The file gets the usual permissions (not mkstemp's 0600)."""
    target = Path(path)
    with _writing(target):
        if target.is_dir():
            raise _refused(target, _REASONS[errno.EISDIR])
    check_writable(target)
    with _writing(target):
        _prepare(target)
        prefix, suffix = _names(target)
        fd, name = tempfile.mkstemp(suffix, prefix, target.parent)
        os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # writers such as GDAL want to create the file themselves
    try:
        yield tmp
        tmp.chmod(0o666 & ~_umask())
        with _writing(target):
            os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


@contextmanager
def new_folder(path: PathArg) -> Iterator[Path]:
    """Yield a temporary folder beside ``path``; it replaces ``path`` (and whatever was
    there: callers check first that it is theirs to replace) when the block succeeds and is
    removed when it fails."""
    target = Path(path)
    check_writable(target)
    with _writing(target):
        _prepare(target)
        prefix, suffix = _names(target)
        tmp = Path(tempfile.mkdtemp(suffix, prefix, target.parent))
    try:
        yield tmp
        tmp.chmod(0o777 & ~_umask())  # mkdtemp makes a private folder
        with _writing(target):
            _replace_folder(tmp, target, old=target.parent / f"{prefix}old{suffix}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _replace_folder(new: Path, target: Path, *, old: Path) -> None:
    """Put ``new`` in the place of ``target``: the old folder is moved aside first (to a
    temporary name) and removed only once ``new`` is in place."""
    if not target.exists():
        os.replace(new, target)
        return
    os.replace(target, old)
    try:
        os.replace(new, target)
    except OSError:
        os.replace(old, target)
        raise
    shutil.rmtree(old, ignore_errors=True)


def check_writable(path: PathArg) -> None:
    """Raise :class:`OutputError` now if ``path`` could not be written later: a folder on its
    way is a file, a name (or its temporary's) is too long, the folder it goes in (or the
    folder it would replace) cannot be written."""
    target = Path(path)
    with _writing(target):
        here = target.parent
        while not here.exists():
            here = here.parent
        if not here.is_dir():
            raise _refused(target, f"{str(here)!r} is a file, not a folder")
        prefix, suffix = _names(target)
        longest = f"{prefix}old{'x' * 8}{suffix}"  # the longest temporary's name
        names = [*target.relative_to(here).parts[:-1], longest]
        if max(len(name.encode()) for name in names) > os.pathconf(here, "PC_NAME_MAX"):
            raise _refused(target, _REASONS[errno.ENAMETOOLONG])
        for folder in (here, target):  # where the temporaries go; a folder to replace
            if folder.is_dir() and not os.access(folder, os.W_OK | os.X_OK):
                raise _refused(target, _REASONS[errno.EACCES])


def _names(target: Path) -> tuple[str, str]:
    """Prefix and suffix of a temporary for ``target`` (see the module docstring)."""
    return f".{target.name}.{os.getpid()}.", f".tmp{target.suffix}"


def _prepare(target: Path) -> None:
    """Make the parent folder and remove temporaries of ``target`` left by dead processes."""
    target.parent.mkdir(parents=True, exist_ok=True)
    pattern = re.compile(
        rf"\.{re.escape(target.name)}\.(\d+)\.[^.]+\.tmp{re.escape(target.suffix)}"
    )
    for item in target.parent.iterdir():
        match = pattern.fullmatch(item.name)
        if match and not _alive(int(match.group(1))):
            logger.info("removing %s, left by an interrupted run", item)
            if item.is_dir() and not item.is_symlink():
                shutil.rmtree(item, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    item.unlink()


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


@contextmanager
def _writing(target: Path) -> Iterator[None]:
    """Turn the operating system's refusals into an :class:`OutputError` naming ``target``."""
    try:
        yield
    except OSError as exc:
        reason = _REASONS.get(exc.errno or 0, exc.strerror or str(exc))
        raise _refused(target, reason) from exc


def _refused(target: Path, reason: str) -> OutputError:
    return OutputError(f"cannot write {str(target)!r}: {reason}; choose another output path.")


_REASONS = {
    errno.ENOTDIR: "a folder on its way is a file",
    errno.EEXIST: "a folder on its way is a file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the name is too long",
    errno.EISDIR: "it is a folder; give a file name",
    errno.ENOSPC: "the disk is full",
}
