"""padan's public API (re-exported by ``padan``): one function per command, each
keeping the audit log.

Every function here is the stage function of the same name, plus the audit policy:
when it finishes, one line goes to ``padan-audit.jsonl`` (in the current folder, or
the one set with :func:`padan.audit.logging_to`) naming the organisation, the files
read and written (by hash) and counts — never a raw value. The CLI, the demo and
Python callers all go through here, so all of them keep the same log.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

from padan import audit
from padan.formats.package import inspect_package as _inspect_package
from padan.link.run import LinkSummary as LinkSummary
from padan.link.run import link_run as _link_run
from padan.owner.check import check_files as check_files
from padan.owner.disclosure import apply_disclosure as _apply_disclosure
from padan.owner.disclosure import disclose as _disclose
from padan.owner.encode import EncodeSummary as EncodeSummary
from padan.owner.encode import encode_files as _encode_files
from padan.owner.reconcile import ReconcileSummary as ReconcileSummary
from padan.owner.reconcile import reconcile_run as _reconcile_run
from padan.owner.worklist import WorklistSummary as WorklistSummary
from padan.synth import SynthSummary
from padan.synth import generate as _generate
from padan.synth.evaluate import Evaluation as Evaluation
from padan.synth.evaluate import evaluate as _evaluate
from padan.trust.identity import NewIdentity as NewIdentity
from padan.trust.identity import create_identity as _create_identity
from padan.trust.secret import create_secret as _create_secret
from padan.trust.secret import describe_secret

P = ParamSpec("P")
R = TypeVar("R")
Describe = Callable[[Any, Mapping[str, Any]], audit.Entry]
"""What to log about a run, from its result and its bound arguments."""


def _audited(command: str, describe: Describe) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Wrap a stage function so that a finished run appends one audit line."""

    def wrap(func: Callable[P, R]) -> Callable[P, R]:
        parameters = inspect.signature(func)

        @functools.wraps(func)
        def run(*args: P.args, **kwargs: P.kwargs) -> R:
            result = func(*args, **kwargs)
            bound = parameters.bind(*args, **kwargs)
            bound.apply_defaults()
            entry = describe(result, bound.arguments)
            audit.log_run(
                command,
                org=entry.org,
                inputs=list(entry.inputs),
                outputs=list(entry.outputs),
                counts=entry.counts,
            )
            return result

        return run

    return wrap


def _link_counts(report: Mapping[str, Any]) -> dict[str, int]:
    """Records and per-status counts over all packages of a link report."""
    counts = {"records": sum(d["records"] for d in report["datasets"])}
    for d in report["datasets"]:
        for status, n in d["status_counts"].items():
            counts[status] = counts.get(status, 0) + n
    return counts


def _synth_entry(summary: SynthSummary, _args: Mapping[str, Any]) -> audit.Entry:
    written = [summary.out_dir / name for name, _ in summary.files]
    return audit.Entry(
        None,
        outputs=[*written, summary.out_dir / "truth.csv"],
        counts={
            "people": summary.people,
            "registry_rows": summary.registry_rows,
            "list_rows": summary.list_rows,
        },
    )


def _encode_entry(summary: EncodeSummary, args: Mapping[str, Any]) -> audit.Entry:
    secret_file = args["secret"].source
    return audit.Entry(
        args["identity"].card.org,
        inputs=[*args["paths"], *([secret_file] if secret_file else [])],
        outputs=[summary.package, summary.keymap, summary.rejects],
        counts={
            "rows_read": summary.rows_read,
            "encoded": summary.encoded,
            "rejected": summary.rejected,
        },
    )


def _reconcile_entry(summary: ReconcileSummary, args: Mapping[str, Any]) -> audit.Entry:
    return audit.Entry(
        args["identity"].card.org,
        inputs=[args["result"], args["keymap"], *args["inputs"]],
        outputs=[summary.path],
        counts={
            "rows": summary.rows,
            **{s.value: n for s, n in summary.counts.items()},
            "changed": summary.changed,
            "vanished": summary.vanished,
            "damaged": summary.damaged,
        },
    )


generate = _audited("synth", _synth_entry)(_generate)
create_identity = _audited(
    "keys new",
    lambda made, _args: audit.Entry(made.card.org, outputs=[made.key_path, made.card_path]),
)(_create_identity)
create_secret = _audited(
    "secret new",
    # The maker's org, read back from the signed header (no second key unlock).
    lambda sealed, args: audit.Entry(
        describe_secret(sealed[0])["maker"],
        inputs=list(args["recipient_cards"]),
        outputs=sealed,
        counts={"recipients": len(sealed)},
    ),
)(_create_secret)
encode_files = _audited("encode", _encode_entry)(_encode_files)
inspect_package = _audited(
    "inspect",
    lambda report, args: audit.Entry(
        None, inputs=[Path(args["path"])], counts={"records": report["record_count"]}
    ),
)(_inspect_package)
link_run = _audited(
    "link",
    lambda summary, args: audit.Entry(
        args["coordinator"].card.org,
        inputs=list(args["paths"]),
        outputs=[*summary.results, summary.report_json, summary.report_html],
        counts=_link_counts(summary.report),
    ),
)(_link_run)
reconcile_run = _audited("reconcile", _reconcile_entry)(_reconcile_run)
evaluate = _audited(
    "evaluate",
    lambda result, args: audit.Entry(
        None,
        inputs=[args["truth"], *args["worklists"]],
        outputs=[args["json_path"]] if args["json_path"] else [],
        counts=result.counts(),
    ),
)(_evaluate)
disclose = _audited(
    "disclose",
    lambda summary, args: audit.Entry(
        args["identity"].card.org,
        inputs=[args["worklist"]],
        outputs=[args["out"]],
        counts=summary.counts(),
    ),
)(_disclose)
apply_disclosure = _audited(
    "apply",
    lambda summary, args: audit.Entry(
        args["identity"].card.org,
        inputs=[args["disclosure"], args["worklist"]],
        outputs=[summary.corrected, summary.log],
        counts=summary.counts(),
    ),
)(_apply_disclosure)
