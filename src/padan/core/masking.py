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


def mask_digits(text: str, keep_head: int = 4, keep_tail: int = 4) -> str:
    """Mask the digits of a damaged NIK/KK cell but keep its shape visible.

    Like :func:`mask_number`, counted over digits only, so a clerk still sees what went
    wrong: ``3.67301E+15`` becomes ``3.673**E+**`` and ``3673 0117 0875 0001`` becomes
    ``3673 **** **** 0001``; letters and separators stay as they are.
    """
    total = sum(c.isdigit() for c in text)
    head = keep_head if total >= 2 * keep_head else 0  # a short fragment shows nothing
    tail_from = total - keep_tail if total > keep_head + keep_tail + 4 else total
    out: list[str] = []
    seen = 0
    for char in text:
        if char.isdigit():
            out.append(char if seen < head or seen >= tail_from else "*")
            seen += 1
        else:
            out.append(char)
    return "".join(out)
