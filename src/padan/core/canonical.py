"""Canonical bytes and timestamps: what gets hashed or signed must be byte-identical."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any


def canonical_json(data: Mapping[str, Any]) -> bytes:
    """Canonical JSON bytes (sorted keys, no spaces, UTF-8): the bytes that get hashed/signed."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def utc_timestamp() -> str:
    """The current UTC time as ISO 8601 with a Z, to the second (used for `created`)."""
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
