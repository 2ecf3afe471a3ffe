"""Type aliases shared across modules."""

from __future__ import annotations

import os
from typing import TypeAlias

#: A file path given as text or a path object.
PathArg: TypeAlias = str | os.PathLike[str]
