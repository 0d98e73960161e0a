"""Keyed fingerprints of source rows: find each encoded row again, wherever it moved.

Owners sort, filter and re-save their spreadsheets between ``encode`` and ``reconcile``.
Row numbers then point at other people, so the keymap identifies each row by a keyed
fingerprint of its content instead: HMAC-SHA256 under a key derived from the owner's
private key (``Identity.local_key``), so it means nothing outside the owner.

The fingerprint covers the row's *canonical* cells, so a re-save does not change it:
text is NFC-normalised with whitespace collapsed; numbers lose a float's ``.0``, leading
zeros and scientific notation (an XLSX number cell and its CSV text agree); dates become
ISO (``17/08/1975``, ``17-08-1975`` and an XLSX date cell agree; day first, as Indonesian
files write them). Empty cells and columns the file did not have at encode time are left
out, so adding an empty or a new column changes nothing, and column order does not count.
A cell whose *value* changed (Excel cutting a NIK to 15 digits included) changes it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import re
import unicodedata
from collections.abc import Collection, Mapping
from decimal import Decimal, InvalidOperation

FINGERPRINT_LABEL = "row-fingerprint"
FINGERPRINT_BYTES = 16
_KEY_CHECK_CONSTANT = b"padan row fingerprint key check/1"

_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_ISO_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")
_DAY_FIRST_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")


def _number(text: str) -> str | None:
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    if not value.is_finite() or abs(value.adjusted()) > 40:
        return None  # not a spreadsheet number (and no giant integers)
    if value == value.to_integral_value():
        return str(int(value))
    return format(value.normalize(), "f")


def _date(text: str) -> str | None:
    if found := _ISO_DATE.fullmatch(text):
        year, month, day = map(int, found.groups())
    elif found := _DAY_FIRST_DATE.fullmatch(text):
        day, month, year = map(int, found.groups())
    else:
        return None
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def canonical_cell(value: str) -> str:
    """A cell's text as the fingerprint sees it (robust to CSV ↔ XLSX re-saves)."""
    if not value.isascii():
        value = unicodedata.normalize("NFC", value)
    text = " ".join(value.split())
    if not text or not (text[0].isdigit() or text[0] in "+-."):
        return text  # most cells: names, places, codes
    if _NUMBER.fullmatch(text):
        return _number(text) or text
    return _date(text) or text


class RowFingerprinter:
    """Fingerprints rows under one owner key, over a fixed set of columns (or all)."""

    def __init__(self, key: bytes, columns: Collection[str] | None = None) -> None:
        self._key = key
        self._columns = frozenset(columns) if columns is not None else None

    def fingerprint(self, cells: Mapping[str, str], extra: tuple[str, ...] = ()) -> bytes:
        """The row's fingerprint: its non-empty canonical cells by column name, plus
        ``extra`` values (e.g. a worklist's verdict) when given."""
        columns = self._columns
        pairs = sorted(
            (name, text)
            for name, value in cells.items()
            if (columns is None or name in columns) and (text := canonical_cell(value))
        )
        data = json.dumps([pairs, list(extra)], ensure_ascii=False, separators=(",", ":"))
        return hmac.digest(self._key, data.encode("utf-8"), "sha256")[:FINGERPRINT_BYTES]


def fingerprint_key_check(key: bytes) -> str:
    """A check value of a fingerprint key (hex): tells whether a keymap was written with
    this owner's key, without revealing the key."""
    return hmac.new(key, _KEY_CHECK_CONSTANT, hashlib.sha256).hexdigest()[:32]
