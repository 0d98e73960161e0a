"""Masking of identifiers for anything a person or a log may see."""

from __future__ import annotations


def mask_number(value: str, keep_head: int = 4, keep_tail: int = 4) -> str:
    """Mask a NIK/KK-like string, keeping only its region head and serial tail.

    ``3673011708750001`` becomes ``3673********0001``. Short values are masked
    entirely so that a fragment of a NIK never appears in clear.
    """
    text = str(value)
    if len(text) <= keep_head + keep_tail + 4:
        return "*" * len(text)
    return text[:keep_head] + "*" * (len(text) - keep_head - keep_tail) + text[-keep_tail:]
