"""Encoding throughput: padan vs bare clkhash on the same records, schema and cores.

Both sides get the same normalised field values of a synthetic Serang registry and the
same field-level clkhash schemas and keys. The ratio is measured on the default schema's
filter fields, which bare clkhash produces with one ``clkhash.clk.generate_clks`` call
per field on all cores; "padan kernel" is padan's cached encoder on the same schema
(bit-identical, asserted here). "padan pipeline" is the whole ``encode_files`` (read CSV,
validate, normalise, filters, exact tokens, blocking keys, scoped level tokens, signed
package, keymap): what an agency actually runs.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import numpy as np
from clkhash.clk import generate_clks
from clkhash.schema import from_json_dict
from rich.table import Table

from padan.core.schema import LinkageSchema, load_linkage_schema, schema_fingerprint
from padan.owner.bloom import field_encoder_pool
from padan.owner.encode import encode_files, field_keys, field_rows
from padan.owner.records import read_records
from padan.synth import SynthOptions, generate
from padan.trust.identity import new_identity
from padan.trust.secret import load_secret, new_secret

PEOPLE, QUICK_PEOPLE = 60_000, 3_000


def _clkhash(rows: list[list[str]], schema: LinkageSchema, keys: dict[str, bytes]) -> np.ndarray:
    """The same field filters by clkhash itself: one call per field, all cores."""
    columns = []
    for col, spec in enumerate(schema.filters):
        clks = generate_clks(
            [[row[col]] for row in rows],
            from_json_dict(spec.clkhash()),
            keys[spec.name],
            validate=False,
            max_workers=os.cpu_count(),
        )
        n_bytes = spec.bits // 8
        columns.append(
            np.frombuffer(b"".join(c.tobytes() for c in clks), np.uint8).reshape(-1, n_bytes)
        )
    return np.concatenate(columns, axis=1)


def run(quick: bool) -> tuple[dict, list[Table]]:
    """Time the three encoders; return JSON and a table."""
    people = QUICK_PEOPLE if quick else PEOPLE
    with tempfile.TemporaryDirectory(prefix="padan-encode-bench-") as tmp:
        work = Path(tmp)
        generate(work, SynthOptions(people=people, seed=1))
        owner = new_identity("bench-owner", "owner")
        new_secret(owner, [owner.card], schema_fingerprint(), work)
        secret = load_secret(work / "bench-owner.secret", owner)
        schema = load_linkage_schema()
        keys = field_keys(secret, schema)
        rows = field_rows(list(read_records([work / "siak.csv"])), schema)
        timings = {}
        start = time.perf_counter()
        reference = _clkhash(rows, schema, keys)
        timings["clkhash"] = time.perf_counter() - start
        start = time.perf_counter()
        with field_encoder_pool(schema, keys) as encode:
            fast = encode(rows)
        timings["padan_kernel"] = time.perf_counter() - start
        assert np.array_equal(fast, reference), "padan's encoder must be bit-identical"
        start = time.perf_counter()
        summary = encode_files(
            [work / "siak.csv"],
            identity=owner,
            secret=secret,
            out=work / "siak.padan",
            role="registry",
        )
        timings["padan_pipeline"] = time.perf_counter() - start
    n = len(rows)
    rates = {name: n / seconds for name, seconds in timings.items()}
    table = Table(title=f"Encoding {n:,} registry records, {os.cpu_count()} cores")
    for column in ("encoder", "seconds", "records/s", "ratio vs clkhash"):
        table.add_column(column, justify="right" if column != "encoder" else "left")
    for name, seconds in timings.items():
        table.add_row(
            name, f"{seconds:.2f}", f"{rates[name]:,.0f}", f"{rates[name] / rates['clkhash']:.2f}"
        )
    summary_json = {
        "encode": {
            "records": n,
            "seconds": timings,
            "records_per_second": rates,
            "rows_read": summary.rows_read,
        },
        "encode_ratio_vs_clkhash": round(rates["padan_kernel"] / rates["clkhash"], 3),
        "encode_pipeline_ratio_vs_clkhash": round(rates["padan_pipeline"] / rates["clkhash"], 3),
    }
    return summary_json, [table]
