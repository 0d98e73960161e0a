"""A phonetic code for name tokens, so that typing errors still land in one block.

A Soundex variant: the first letter kept, the rest mapped to consonant classes, vowels
and ``h``/``w``/``y`` dropped, repeats collapsed, cut to four characters. Names arrive
already normalised (lower-case ASCII, old Indonesian spellings such as ``dj``/``oe``
modernised by :mod:`padan.owner.normalise`), so no language-specific rules are needed here.
Used only for keyed blocking keys: the code never leaves its owner in plain form.
"""

from __future__ import annotations

from functools import lru_cache

_CLASSES = {
    **dict.fromkeys("bfpv", "1"),
    **dict.fromkeys("cgjkqsxz", "2"),
    **dict.fromkeys("dt", "3"),
    "l": "4",
    **dict.fromkeys("mn", "5"),
    "r": "6",
}
_SEPARATORS = set("hwy")  # letters that do not break a run of one class
CODE_LENGTH = 4


@lru_cache(maxsize=65_536)
def soundex(token: str) -> str:
    """Soundex code of one lower-case name token (``""`` when it has no letter).

    >>> soundex("robert"), soundex("rupert"), soundex("ashcraft")
    ('r163', 'r163', 'a261')
    """
    letters = [c for c in token if "a" <= c <= "z"]
    if not letters:
        return ""
    code, last = [letters[0]], _CLASSES.get(letters[0], "")
    for c in letters[1:]:
        digit = _CLASSES.get(c, "")
        if digit and digit != last:
            code.append(digit)
            if len(code) == CODE_LENGTH:
                break
        if c not in _SEPARATORS:
            last = digit
    return "".join(code).ljust(CODE_LENGTH, "0")
