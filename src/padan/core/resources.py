"""Locate the data files shipped with padan (profiles and linkage schemas)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent.parent  # src/padan (core/ is one level down)


@cache
def schemas_dir() -> Path:
    """Return the ``schemas/`` directory: bundled in a wheel, or the repository's own."""
    for candidate in (_PACKAGE_DIR / "_schemas", _PACKAGE_DIR.parent.parent / "schemas"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("padan's schemas/ directory is missing from this installation")
