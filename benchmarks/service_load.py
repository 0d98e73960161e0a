"""Load on the coordinator service: many owners uploading at once while the page is polled.

Run: ``uv run python benchmarks/service_load.py [--owners 16] [--rows 50000]
[--big-rows 700000] [--quick]``. Not a test: it measures, it asserts nothing.

1. A synthetic registry of ``--rows`` people is encoded once as a list package (cached in
   ``benchmarks/.cache/service_load``); each of ``--owners`` fresh owner identities signs
   its own copy (same records, its own signature), as each puskesmas would send its own.
2. ``padan serve`` runs in its own process (SQLite, loopback). All owners send their
   package to one round at the same time, each from its own thread, while a signed-in
   browser session polls the round's status fragment every 0.25 s (what htmx does).
3. One ``--big-rows`` package (the real rows plus random ones up to a city registry's
   size; random, not copied, so that it compresses no better than real CLKs) is sent
   alone.

A warm-up upload first loads the linker's modules in the server (a one-off cost of the
first package after a start, reported separately).

Reported: wall time, throughput (MB/s and rows/s, verification included), each upload's
time, and the page's latency (median, p95, max) under load; printed as a table and
written to ``benchmarks/results/service_load.json``. No round is complete, so no link
runs: the numbers are the service's own (upload, verification, page).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np
from rich.console import Console
from rich.table import Table

from padan.core.files import atomic_open
from padan.core.schema import field_layouts, load_linkage_schema, schema_fingerprint
from padan.formats.package import read_package, write_package
from padan.formats.records import from_parquet, to_parquet
from padan.owner.encode import encode_files
from padan.service.client import Client, open_round, send_package, sign_in_link
from padan.service.server import free_port
from padan.synth import SynthOptions, generate
from padan.trust.identity import Identity, new_identity, save_identity
from padan.trust.secret import load_secret, new_secret

ROOT = Path(__file__).resolve().parent
CACHE = ROOT / ".cache" / "service_load"
RESULTS = ROOT / "results" / "service_load.json"
PASSPHRASE = "benchmark-only-passphrase"
SCRYPT_N = 2**12  # synthetic keys only


def _template(rows: int) -> Path:
    """A list package of ``rows`` synthetic people (encoded once, then cached)."""
    path = CACHE / f"list-{rows}.padan"
    if path.is_file():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        maker = new_identity("template-owner", "owner")
        new_secret(maker, [maker.card], schema_fingerprint(), work)
        secret = load_secret(work / f"{maker.card.org}.secret", maker)
        generate(work / "synth", SynthOptions(people=rows, seed=7))
        encode_files(
            [work / "synth" / "siak.csv"],
            identity=maker,
            secret=secret,
            out=work / "list.padan",
            role="list",
        )
        (work / "list.padan").replace(path)
    return path


def _resign(template: Path, owner: Identity, out: Path, *, tile: int = 1, role: str = "list"):
    """The template's records signed by ``owner``; ``tile`` > 1 repeats them (fresh ids)."""
    # Our own cached file: integrity is checked, its (throw-away) signer is not trusted.
    manifest, members, _signer = read_package(template, None)  # type: ignore[arg-type]
    members = dict(members)
    count = manifest.record_count
    if tile > 1:
        width = sum(f.n_bytes for f in field_layouts(load_linkage_schema(manifest.extra["schema"])))
        table = from_parquet(members["records.parquet"], width)
        rng = np.random.default_rng(tile)

        def grown(arr: np.ndarray) -> np.ndarray:
            # The real rows, then random ones: copies would compress to nothing.
            extra = rng.integers(
                0,
                np.iinfo(arr.dtype).max,
                (len(arr) * (tile - 1), *arr.shape[1:]),
                dtype=arr.dtype,
                endpoint=True,
            )
            return np.concatenate([arr, extra])

        tiled = replace(
            table,
            record_id=rng.integers(0, 256, (len(table) * tile, 16), dtype=np.uint8),
            clk=grown(table.clk),
            tokens={k: grown(v) for k, v in table.tokens.items()},
            blocks={k: grown(v) for k, v in table.blocks.items()},
            salts={k: grown(v) for k, v in table.salts.items()},
        )
        members["records.parquet"] = to_parquet(tiled)
        count = len(tiled)
    fields = {
        **manifest.extra,
        "role": role,
        "dataset": f"{owner.card.org}-bench",
        "record_count": count,
        "schema_fingerprint": manifest.schema_fingerprint,
        "key_check": manifest.key_check,
    }
    write_package(out, fields, members, owner)
    return out


def _serve(work: Path, coordinator: Identity, owners: list[Identity]) -> tuple[str, object]:
    """``padan serve`` in its own process; its URL and process."""
    keys, trust = work / "keys", work / "trust"
    trust.mkdir(parents=True)
    save_identity(coordinator, keys, PASSPHRASE, scrypt_n=SCRYPT_N)
    for owner in owners:
        (trust / f"{owner.card.org}.card.json").write_text(owner.card.to_json(), encoding="utf-8")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "padan", "serve", "--key", str(keys / f"{coordinator.card.org}.key"),
         "--trust", str(trust), "--data", str(work / "data"), "--port", str(port)],
        env={**os.environ, "PADAN_PASSPHRASE": PASSPHRASE},
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            httpx.get(url + "/api/health", timeout=1)
            return url, process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("padan serve did not start")


def _poll_page(url: str, coordinator: Identity, round_id: str, stop: threading.Event) -> list:
    """Poll the round's status fragment as the page does; latencies in seconds."""
    latencies = []
    with httpx.Client(base_url=url, follow_redirects=True, timeout=60) as browser:
        browser.get(sign_in_link(url, coordinator).removeprefix(url))
        while not stop.is_set():
            started = time.perf_counter()
            browser.get(f"/rounds/{round_id}/status").raise_for_status()
            latencies.append(time.perf_counter() - started)
            stop.wait(0.25)
    return latencies


def _send(url: str, owner: Identity, package: Path, round_id: str) -> float:
    started = time.perf_counter()
    with Client(url, owner) as client:
        send_package(client, package, round_id)
    return time.perf_counter() - started


def _percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def run(owners: int, rows: int, big_rows: int) -> dict:
    """Run both phases; the JSON-ready results."""
    template = _template(rows)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        coordinator = new_identity("koordinator-bench", "coordinator")
        registry = new_identity("disdukcapil-bench", "owner")
        lists = [new_identity(f"puskesmas-{k:02d}", "owner") for k in range(owners)]
        warm = new_identity("puskesmas-pemanasan", "owner")
        warm_package = _resign(template, warm, work / "warm.padan")
        packages = [_resign(template, o, work / f"{o.card.org}.padan") for o in lists]
        tile = max(1, round(big_rows / rows))
        big = _resign(template, registry, work / "registry.padan", tile=tile, role="registry")
        url, process = _serve(work, coordinator, [registry, warm, *lists])
        cards = [o.card for o in lists]
        try:
            with Client(url, coordinator) as client:
                many = open_round(client, "beban", registry=registry.card, lists=cards)["id"]
                alone = open_round(client, "besar", registry=registry.card, lists=cards[:1])["id"]
                warming = open_round(client, "panas", registry=registry.card, lists=[warm.card])
            first_seconds = _send(url, warm, warm_package, warming["id"])
            stop = threading.Event()
            with ThreadPoolExecutor(owners + 1) as pool:
                poller = pool.submit(_poll_page, url, coordinator, many, stop)
                time.sleep(0.5)
                started = time.perf_counter()
                times = list(
                    pool.map(lambda k: _send(url, lists[k], packages[k], many), range(owners))
                )
                wall = time.perf_counter() - started
                stop.set()
                latencies = poller.result()
            big_seconds = _send(url, registry, big, alone)
        finally:
            process.terminate()
            process.wait(timeout=30)
        size = packages[0].stat().st_size
        return {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "load_average_1min_at_end": os.getloadavg()[0],  # other work on the machine
            },
            "first_upload_after_start_seconds": first_seconds,
            "concurrent": {
                "owners": owners,
                "rows_per_package": rows,
                "bytes_per_package": size,
                "wall_seconds": wall,
                "throughput_mb_s": owners * size / wall / 1e6,
                "throughput_rows_s": owners * rows / wall,
                "upload_seconds": {
                    "median": statistics.median(times),
                    "p95": _percentile(times, 95),
                    "max": max(times),
                },
                "page_polls": len(latencies),
                "page_latency_seconds": {
                    "median": statistics.median(latencies) if latencies else None,
                    "p95": _percentile(latencies, 95),
                    "max": max(latencies) if latencies else None,
                },
            },
            "single_large": {
                "rows": rows * tile,
                "bytes": big.stat().st_size,
                "seconds": big_seconds,
                "throughput_mb_s": big.stat().st_size / big_seconds / 1e6,
                "throughput_rows_s": rows * tile / big_seconds,
            },
        }


def print_tables(result: dict) -> None:
    """The results as rich tables."""
    c, s = result["concurrent"], result["single_large"]
    table = Table(title="padan serve under load (upload includes verification)")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("first upload after start (s)", f"{result['first_upload_after_start_seconds']:.1f}"),
        ("owners uploading at once", f"{c['owners']}"),
        ("rows per package", f"{c['rows_per_package']:,}"),
        ("MB per package", f"{c['bytes_per_package'] / 1e6:.1f}"),
        ("wall time, all uploads (s)", f"{c['wall_seconds']:.1f}"),
        ("throughput (MB/s)", f"{c['throughput_mb_s']:.1f}"),
        ("throughput (rows/s)", f"{c['throughput_rows_s']:,.0f}"),
        ("one upload: median / p95 (s)", "{median:.1f} / {p95:.1f}".format(**c["upload_seconds"])),
        ("page polls during the load", f"{c['page_polls']}"),
        (
            "page latency: median / p95 / max (ms)",
            "{:.0f} / {:.0f} / {:.0f}".format(
                *(1000 * c["page_latency_seconds"][k] for k in ("median", "p95", "max"))
            ),
        ),
        ("single large upload: rows", f"{s['rows']:,}"),
        ("single large upload: MB", f"{s['bytes'] / 1e6:.1f}"),
        ("single large upload: seconds", f"{s['seconds']:.1f}"),
        ("single large upload: MB/s", f"{s['throughput_mb_s']:.1f}"),
    ]
    for row in rows:
        table.add_row(*row)
    Console().print(table)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--owners", type=int, default=16)
    parser.add_argument("--rows", type=int, default=50_000)
    parser.add_argument("--big-rows", type=int, default=700_000)
    parser.add_argument("--quick", action="store_true", help="4 owners × 2 000 rows, 20 000")
    parser.add_argument("--output", type=Path, default=RESULTS)
    args = parser.parse_args()
    if args.quick:
        args.owners, args.rows, args.big_rows = 4, 2_000, 20_000
    result = run(args.owners, args.rows, args.big_rows)
    print_tables(result)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(args.output) as handle:
        json.dump(result, handle, indent=2)
    print(f"JSON: {args.output}")


if __name__ == "__main__":
    main()
