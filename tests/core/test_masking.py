"""Masking keeps a NIK/KK's region head and serial tail only, never a longer fragment."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from padan.core.masking import mask_digits, mask_number


def test_mask_number_keeps_head_and_tail() -> None:
    assert mask_number("3673011708750001") == "3673********0001"


def test_short_values_are_masked_whole() -> None:
    assert mask_number("367301170875") == "************"


def test_mask_digits_keeps_the_shape_of_damaged_cells() -> None:
    assert mask_digits("3.67301E+15") == "3.673**E+**"
    assert mask_digits("3673 0117 0875 0001") == "3673 **** **** 0001"


@given(st.text(alphabet="0123456789 .E+-", max_size=30))
def test_never_more_than_eight_digits_in_clear(text: str) -> None:
    for masked in (mask_digits(text), mask_number(text)):
        assert len(masked) == len(text)
        assert sum(c.isdigit() for c in masked) <= 8
