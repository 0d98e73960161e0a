"""padan — pemadanan data tanpa bertukar NIK: privacy-preserving record matching.

The public API (each function keeps the audit log, as the CLI does)::

    import padan
    padan.encode_files([Path("ckg.csv")], identity=..., secret=..., out=Path("ckg.padan"))

Names load on first use (PEP 562), so ``import padan`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from padan.core.version import __version__ as __version__

__all__ = [
    "EncodeSummary",
    "Evaluation",
    "LinkSummary",
    "NewIdentity",
    "ReconcileSummary",
    "WorklistSummary",
    "apply_disclosure",
    "check_files",
    "create_identity",
    "create_secret",
    "disclose",
    "encode_files",
    "evaluate",
    "generate",
    "inspect_package",
    "link_run",
    "reconcile_run",
]

if TYPE_CHECKING:
    from padan.api import (
        EncodeSummary,
        Evaluation,
        LinkSummary,
        NewIdentity,
        ReconcileSummary,
        WorklistSummary,
        apply_disclosure,
        check_files,
        create_identity,
        create_secret,
        disclose,
        encode_files,
        evaluate,
        generate,
        inspect_package,
        link_run,
        reconcile_run,
    )


def __getattr__(name: str) -> Any:
    if name in __all__:  # the public API loads on first use
        from padan import api

        return getattr(api, name)
    raise AttributeError(f"module 'padan' has no attribute {name!r}")
