"""Uploads: size-limited, named safely, checked, and kept only when they pass.

An upload is streamed into a private folder under ``<data>/tmp`` with a counter that stops at
the size limit (413, nothing kept), under its own name reduced to a safe one (no folders, no
leading dot, known endings only). It is checked there — a region file by
:meth:`accessplan.region.Region.read`, every file by :func:`accessplan.analyses._options.file`
(exists, not empty) and by its first bytes against its ending — and moved into place only
then. Messages name the file as the user named it, as the CLI does for a file in the current
folder, never the server's path.
"""

from __future__ import annotations

import re
import shutil
import tempfile
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from accessplan._errors import InputError
from accessplan.analyses import _options as o

#: Endings accepted, by what a file is.
RASTERS = (".tif", ".tiff", ".geotiff", ".hgt", ".hgt.zip", ".img", ".asc", ".vrt")
TABLES = (".csv", ".xlsx", ".xls")
VECTORS = (".gpkg", ".shp", ".shx", ".dbf", ".prj", ".cpg", ".geojson", ".json", ".zip")
OTHERS = (".osm.pbf", ".pbf", ".osm", ".toml", ".db", ".sqlite")
SUFFIXES = (*RASTERS, *TABLES, *VECTORS, *OTHERS)
#: The first bytes a file of each ending starts with (others are not checked).
MAGIC: dict[str, tuple[bytes, ...]] = {
    ".gpkg": (b"SQLite format 3\x00",),
    ".db": (b"SQLite format 3\x00",),
    ".sqlite": (b"SQLite format 3\x00",),
    ".tif": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ".tiff": (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"),
    ".xlsx": (b"PK\x03\x04",),
    ".zip": (b"PK\x03\x04",),
    ".hgt.zip": (b"PK\x03\x04",),
    ".xls": (b"\xd0\xcf\x11\xe0",),
}
_UNSAFE = re.compile(r"[^\w.\- ()]+")
MAX_NAME = 120
CHUNK = 1 << 20


class TooLargeError(InputError):
    """An upload is larger than the limit."""


def suffix(name: str) -> str:
    """The ending of ``name`` among :data:`SUFFIXES` (longest first), or ''."""
    lower = name.lower()
    return max((s for s in SUFFIXES if lower.endswith(s)), key=len, default="")


def safe_name(filename: str | None, *, allowed: tuple[str, ...] = SUFFIXES) -> str:
    """The upload's file name without folders and odd characters; refused when empty or its
    ending is not one of ``allowed``."""
    raw = unicodedata.normalize("NFC", (filename or "").replace("\\", "/").rsplit("/", 1)[-1])
    name = _UNSAFE.sub("_", raw).strip(" .")[-MAX_NAME:]
    ending = suffix(name)
    if not name or not ending or ending not in allowed or name == ending:
        endings = ", ".join(allowed)
        msg = f"file {filename!r}: expected a file ending in one of {endings}; rename it."
        raise InputError(msg)
    return name


@contextmanager
def receiving(tmp_root: Path) -> Iterator[Path]:
    """A private folder for uploads being checked; removed with whatever is left in it."""
    tmp_root.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="upload-", dir=tmp_root))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def save(upload: Any, folder: Path, name: str, limit: int) -> Path:
    """Copy ``upload`` (a file object with ``read``) to ``folder/name``, at most ``limit``
    bytes; :class:`TooLargeError` beyond it (the partial file is removed)."""
    path = folder / name
    size = 0
    with path.open("wb") as out:
        while block := upload.read(CHUNK):
            size += len(block)
            if size > limit:
                out.close()
                path.unlink(missing_ok=True)
                msg = f"file {name!r} is larger than the upload limit of {limit:,} bytes."
                raise TooLargeError(msg)
            out.write(block)
    return path


def check_file(path: Path, label: str) -> None:
    """The checks every upload passes: not empty (the CLI's message), first bytes as its
    ending promises."""
    o.file(path.name, o.Where(label, path.parent))
    expected = MAGIC.get(suffix(path.name))
    if expected:
        with path.open("rb") as handle:
            head = handle.read(16)
        if not any(head.startswith(m) for m in expected):
            msg = (
                f"{label}: {path.name!r} does not hold what its ending {suffix(path.name)!r} "
                "promises (its first bytes say otherwise); give the file itself."
            )
            raise InputError(msg)


def check_region(path: Path) -> Any:
    """The region in an uploaded GeoPackage, checked as ``accessplan region info`` checks it
    (same messages, the file named as uploaded)."""
    from accessplan.region import Region

    o.file(path.name, o.Where("the region file", path.parent))
    try:
        return Region.read(path)
    except InputError as exc:
        text = str(exc).replace(str(path.parent) + "/", "")
        raise type(exc)(text) from None
