"""``padan demo``: the whole flow with three roles in three folders, on synthetic data.

Disdukcapil (registry owner), Dinkes (list owner) and a neutral coordinator each get a
folder and see only their own files: keys, card exchange, sealed secret, encode ×2,
link, reconcile ×2, then an evaluation against the synthetic ground truth, which
exists only because the data are synthetic. Each organisation's runs are audit-logged
in its own folder (``padan-audit.jsonl``), as they would be on its own machine.
"""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from padan.api import (
    EncodeSummary,
    Evaluation,
    LinkSummary,
    ReconcileSummary,
    create_identity,
    create_secret,
    encode_files,
    evaluate,
    generate,
    link_run,
    reconcile_run,
)
from padan.audit import logging_to
from padan.core.errors import InputError
from padan.core.files import ensure_directory, write_bytes_atomic
from padan.synth import SynthOptions
from padan.trust.cards import load_trusted_cards
from padan.trust.identity import Identity, load_identity
from padan.trust.secret import load_secret

REGISTRY, HEALTH, COORDINATOR = "disdukcapil-serang", "dinkes-serang", "koordinator"
DEMO_PASSPHRASE = "demo-only-passphrase"
# Cheap key stretching: demo keys guard synthetic data only; real keys use the default.
DEMO_SCRYPT_N = 2**12
MARKER = "padan-demo"
"""File that marks a folder as made by the demo (and safe to replace)."""


@dataclass(slots=True)
class DemoResult:
    """Everything the demo produced, for printing and tests."""

    workdir: Path
    folders: dict[str, Path]
    encoded: dict[str, EncodeSummary]
    link: LinkSummary
    worklists: dict[str, ReconcileSummary]
    evaluation: Evaluation


def demo_secret(seed: int) -> bytes:
    """The linkage secret of ``padan demo --seed``: the same for the same seed, so that
    two runs encode, match and score alike. Public, hence for synthetic data only."""
    return hashlib.sha256(f"padan demo secret, seed {seed}".encode()).digest()


def run_demo(
    workdir: Path,
    *,
    people: int = 2000,
    seed: int | None = None,
    say: Callable[[str], None] = lambda _msg: None,
    service: bool = False,
) -> DemoResult:
    """Run the full flow in ``workdir`` (created; an earlier demo there is replaced).

    With ``seed`` the whole run is reproducible: the synthetic data, the linkage secret
    (:func:`demo_secret`) and the match ids, so the accuracy is the same every time.
    Without it the data come from the synthetic generator's default seed and the secret
    and match ids are fresh, as in real use. A folder that holds anything but an earlier
    demo is refused rather than mixed with. With ``service`` the coordinator runs
    ``padan serve`` on 127.0.0.1 instead of ``padan link``: the owners send their packages
    and fetch their results over HTTP.
    """
    if workdir.exists() and any(workdir.iterdir()):
        if not (workdir / MARKER).exists():
            raise InputError(
                f"{workdir} is not empty and not a padan demo folder: choose another "
                "--workdir (folder tidak kosong dan bukan folder demo padan)"
            )
        shutil.rmtree(workdir)
    folders = {org: workdir / org for org in (REGISTRY, HEALTH, COORDINATOR)}
    for folder in folders.values():
        ensure_directory(folder / "trust")
    write_bytes_atomic(workdir / MARKER, b"folder made by padan demo\n")

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
            fixed_secret=None if seed is None else demo_secret(seed),
        )
    shutil.move(
        folders[REGISTRY] / "secret" / f"{HEALTH}.secret", folders[HEALTH] / f"{HEALTH}.secret"
    )

    say("4. Data sintetis: registri untuk Disdukcapil, daftar CKG untuk Dinkes")
    data = workdir / "synthetic"
    with logging_to(workdir):
        options = SynthOptions(people=people)
        generate(data, options if seed is None else replace(options, seed=seed))
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
                seed=seed,
            )
        if not service:  # carried by hand; with the service they go over HTTP
            shutil.copy(encoded[org].package, folders[COORDINATOR] / encoded[org].package.name)

    coordinator = load_identity(folders[COORDINATOR] / f"{COORDINATOR}.key", DEMO_PASSPHRASE)
    if service:
        say("6. Lewat layanan koordinator: kirim paket, tautkan, ambil hasil (through the service)")
        link = _link_through_service(folders, encoded, coordinator, seed)
    else:
        say("6. Koordinator memadankan paket (the coordinator links the packages)")
        link = _link_files(folders, coordinator, seed)

    say("7. Setiap pemilik membuka hasilnya sendiri (each owner reconciles its own result)")
    worklists = {}
    for org, source in ((REGISTRY, "siak.csv"), (HEALTH, "ckg.csv")):
        result = folders[org] / f"{org}.result"
        if not service:
            shutil.copy(link.results[0].parent / f"{org}.result", result)
        with logging_to(folders[org]):
            worklists[org] = reconcile_run(
                result,
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


def _link_files(folders: dict[str, Path], coordinator: Identity, seed: int | None) -> LinkSummary:
    """``padan link`` on the packages carried to the coordinator's folder."""
    with logging_to(folders[COORDINATOR]):
        link = link_run(
            [folders[COORDINATOR] / "siak.padan", folders[COORDINATOR] / "ckg.padan"],
            coordinator=coordinator,
            trusted=load_trusted_cards(folders[COORDINATOR] / "trust"),
            out_dir=folders[COORDINATOR] / "run",
            seed=seed,
        )
    return link


def _link_through_service(
    folders: dict[str, Path],
    encoded: dict[str, EncodeSummary],
    coordinator: Identity,
    seed: int | None,
) -> LinkSummary:
    """Open a round on a local service, send both packages, fetch both sealed results."""
    from padan.service.app import ServiceConfig
    from padan.service.client import Client, fetch_result, open_round, send_package
    from padan.service.db import database_url
    from padan.service.server import running_server

    data = folders[COORDINATOR] / "service"
    config = ServiceConfig(
        data_dir=data,
        coordinator=coordinator,
        trusted=load_trusted_cards(folders[COORDINATOR] / "trust"),
        db_url=database_url(None, data),
    )
    owners = {org: load_identity(folders[org] / f"{org}.key", DEMO_PASSPHRASE) for org in encoded}
    with running_server(config) as url:
        with Client(url, coordinator) as client:
            made = open_round(
                client,
                "demo",
                registry=owners[REGISTRY].card,
                lists=[owners[HEALTH].card],
                pks="DEMO",
                seed=seed,
            )
        for org, summary in encoded.items():
            with Client(url, owners[org]) as client:
                send_package(client, summary.package, made["id"])
        results = []
        for org in encoded:
            with Client(url, owners[org]) as client:
                results.append(fetch_result(client, made["id"], folders[org], wait=True, poll=0.2))
        with Client(url, coordinator) as client:
            report = client.json("GET", f"/api/rounds/{made['id']}/report")
    published = data / "rounds" / made["id"] / "results"
    return LinkSummary(
        report["run_id"],
        results,
        published / "report.json",
        published / "report.html",
        report,
        report["timings_seconds"]["total"],
    )
