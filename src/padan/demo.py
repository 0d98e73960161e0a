"""``padan demo``: the whole flow with three roles in three folders, on synthetic data.

Disdukcapil (registry owner), Dinkes (list owner) and a neutral coordinator each get a
folder and see only their own files: keys, card exchange, sealed secret, encode ×2,
link, reconcile ×2, then an evaluation against the synthetic ground truth, which
exists only because the data are synthetic. Each organisation's runs are audit-logged
in its own folder (``padan-audit.jsonl``), as they would be on its own machine.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from padan.api import (
    EncodeSummary,
    Evaluation,
    LinkSummary,
    WorklistSummary,
    create_identity,
    create_secret,
    encode_files,
    evaluate,
    generate,
    link_run,
    reconcile_run,
)
from padan.audit import logging_to
from padan.synth import SynthOptions
from padan.trust.cards import load_trusted_cards
from padan.trust.identity import load_identity
from padan.trust.secret import load_secret

REGISTRY, HEALTH, COORDINATOR = "disdukcapil-serang", "dinkes-serang", "koordinator"
DEMO_PASSPHRASE = "demo-only-passphrase"
# Cheap key stretching: demo keys guard synthetic data only; real keys use the default.
DEMO_SCRYPT_N = 2**12


@dataclass(slots=True)
class DemoResult:
    """Everything the demo produced, for printing and tests."""

    workdir: Path
    folders: dict[str, Path]
    encoded: dict[str, EncodeSummary]
    link: LinkSummary
    worklists: dict[str, WorklistSummary]
    evaluation: Evaluation


def run_demo(
    workdir: Path,
    *,
    people: int = 2000,
    seed: int = 1,
    say: Callable[[str], None] = lambda _msg: None,
) -> DemoResult:
    """Run the full flow in ``workdir`` (created; an existing demo there is replaced)."""
    if workdir.exists() and (workdir / "padan-demo").exists():
        shutil.rmtree(workdir)
    folders = {org: workdir / org for org in (REGISTRY, HEALTH, COORDINATOR)}
    for folder in folders.values():
        (folder / "trust").mkdir(parents=True, exist_ok=True)
    (workdir / "padan-demo").write_text("folder made by padan demo\n", encoding="utf-8")

    say("1. Setiap instansi membuat kunci (each organisation makes its keys)")
    roles = {REGISTRY: "owner", HEALTH: "owner", COORDINATOR: "coordinator"}
    cards = {}
    for org, role in roles.items():
        with logging_to(folders[org]):
            made = create_identity(org, role, folders[org], DEMO_PASSPHRASE, scrypt_n=DEMO_SCRYPT_N)
        cards[org] = made.card_path
    say("2. Tukar kartu identitas publik (exchange public identity cards)")
    for folder in folders.values():
        for card in cards.values():
            shutil.copy(card, folder / "trust" / card.name)

    say("3. Disdukcapil membuat rahasia bersama, disegel untuk kedua pemilik data")
    with logging_to(folders[REGISTRY]):
        create_secret(
            folders[REGISTRY] / f"{REGISTRY}.key",
            DEMO_PASSPHRASE,
            [cards[REGISTRY], cards[HEALTH]],
            folders[REGISTRY] / "secret",
        )
    shutil.move(
        folders[REGISTRY] / "secret" / f"{HEALTH}.secret", folders[HEALTH] / f"{HEALTH}.secret"
    )

    say("4. Data sintetis: registri untuk Disdukcapil, daftar CKG untuk Dinkes")
    data = workdir / "synthetic"
    with logging_to(workdir):
        generate(data, SynthOptions(people=people, seed=seed))
    shutil.copy(data / "siak.csv", folders[REGISTRY] / "siak.csv")
    shutil.copy(data / "ckg.csv", folders[HEALTH] / "ckg.csv")

    say("5. Masing-masing mengodekan datanya sendiri (each owner encodes locally)")
    encoded = {}
    for org, source, role, secret_path in (
        (REGISTRY, "siak.csv", "registry", folders[REGISTRY] / "secret" / f"{REGISTRY}.secret"),
        (HEALTH, "ckg.csv", "list", folders[HEALTH] / f"{HEALTH}.secret"),
    ):
        identity = load_identity(folders[org] / f"{org}.key", DEMO_PASSPHRASE)
        with logging_to(folders[org]):
            encoded[org] = encode_files(
                [folders[org] / source],
                identity=identity,
                secret=load_secret(secret_path, identity),
                out=folders[org] / "out" / f"{Path(source).stem}.padan",
                role=role,  # type: ignore[arg-type]
            )
        shutil.copy(encoded[org].package, folders[COORDINATOR] / encoded[org].package.name)

    say("6. Koordinator memadankan paket (the coordinator links the packages)")
    coordinator = load_identity(folders[COORDINATOR] / f"{COORDINATOR}.key", DEMO_PASSPHRASE)
    with logging_to(folders[COORDINATOR]):
        link = link_run(
            [folders[COORDINATOR] / "siak.padan", folders[COORDINATOR] / "ckg.padan"],
            coordinator=coordinator,
            trusted=load_trusted_cards(folders[COORDINATOR] / "trust"),
            out_dir=folders[COORDINATOR] / "run",
            seed=seed,
        )

    say("7. Setiap pemilik membuka hasilnya sendiri (each owner reconciles its own result)")
    worklists = {}
    for org, source in ((REGISTRY, "siak.csv"), (HEALTH, "ckg.csv")):
        result = shutil.copy(
            link.results[0].parent / f"{org}.result", folders[org] / f"{org}.result"
        )
        with logging_to(folders[org]):
            worklists[org] = reconcile_run(
                Path(result),
                identity=load_identity(folders[org] / f"{org}.key", DEMO_PASSPHRASE),
                keymap=encoded[org].keymap,
                trusted=load_trusted_cards(folders[org] / "trust"),
                inputs=[folders[org] / source],
                out=folders[org] / f"worklist-{Path(source).stem}.xlsx",
            )

    say("8. Evaluasi terhadap kebenaran sintetis (evaluation against synthetic truth)")
    with logging_to(workdir):
        evaluation = evaluate(
            data / "truth.csv",
            [w.path for w in worklists.values()],
            json_path=workdir / "evaluation.json",
        )
    return DemoResult(workdir, folders, encoded, link, worklists, evaluation)
