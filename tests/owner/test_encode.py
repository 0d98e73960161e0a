"""The encode stage: nothing raw leaves, nothing is lost, keys behave as keys."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from padan.core.schema import load_linkage_schema
from padan.formats.keymap import read_keymap, read_rejects
from padan.formats.records import from_parquet
from padan.owner.encode import encode_files

HEADER = [
    "No Registrasi",
    "NIK PASIEN",
    "NO KK",
    "NAMA PASIEN",
    "JK",
    "TGL LAHIR",
    "TEMPAT LAHIR",
    "ALAMAT",
    "RT",
    "RW",
    "NAMA IBU",
]
ROWS = [
    [
        "R-001",
        "3673015708900003",
        "3673012005150007",
        "Sulastri Wulandari",
        "P",
        "17-08-1990",
        "Serang",
        "Kampung Cibening",
        "3",
        "5",
        "Ratnasari Hidayah",
    ],
    [
        "R-002",
        "3673022103850002",
        "3673021101120004",
        "Bambang Purnomojati",
        "L",
        "1985-03-21",
        "Pandeglang",
        "Jalan Kenari Tujuh",
        "1",
        "2",
        "Kartinah Supraptini",
    ],
    [
        "R-003",
        "3.67303E+15",
        "",
        "Hj. Nurhalimah Syafitri",
        "P",
        "5 Januari 1972",
        "Cilegon",
        "Perumahan Griya Asri",
        "7",
        "9",
        "Maemunah Rosidah",
    ],
    ["R-004", "", "", "", "", "", "", "", "", "", ""],
]


def _write_input(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerows(ROWS)
    return path


def _encode(tmp_path: Path, identity, secret, name: str = "ckg"):
    source = _write_input(tmp_path / f"{name}.csv")
    return encode_files(
        [source], identity=identity, secret=secret, out=tmp_path / f"{name}.padan", workers=1
    )


def _sensitive_values() -> set[str]:
    values = set()
    for row in ROWS:
        for cell in row[1:]:
            for word in [cell, *cell.split()]:
                if len(word) >= 5:
                    values.update({word, word.lower(), word.upper()})
        nik = row[1]
        if len(nik) == 16:
            values.update({nik[:6], nik[6:12], nik[:15]})
    for day, month, year in (("17", "08", "1990"), ("21", "03", "1985"), ("05", "01", "1972")):
        values.update(
            {
                f"{day}{month}{year}",
                f"{year}-{month}-{day}",
                f"{day}-{month}-{year}",
                f"{year}{month}{day}",
                f"{day}/{month}/{year}",
            }
        )
    return values


def test_package_holds_no_input_value(tmp_path: Path, parties) -> None:
    summary = _encode(tmp_path, parties.health, parties.secret)
    blob = summary.package.read_bytes()
    haystacks = [blob]
    with zipfile.ZipFile(io.BytesIO(blob)) as zf:
        for name in zf.namelist():
            member = zf.read(name)
            haystacks.append(member)
            if name.endswith(".parquet"):
                table = pq.read_table(io.BytesIO(member))
                for column in table.columns:
                    haystacks.extend(str(v).encode() for v in column.to_pylist())
                    haystacks.extend(v for v in column.to_pylist() if isinstance(v, bytes))
    for value in _sensitive_values():
        needle = value.encode("utf-8")
        hits = [i for i, hay in enumerate(haystacks) if needle in hay]
        assert not hits, f"input value found in package member(s) {hits}"


def test_every_row_is_encoded_or_rejected(tmp_path: Path, parties) -> None:
    summary = _encode(tmp_path, parties.health, parties.secret)
    assert summary.rows_read == len(ROWS) == summary.encoded + summary.rejected
    assert summary.rejected == 1
    rejects = read_rejects(summary.rejects)
    assert [row for _, row, _ in rejects] == [5]  # header is row 1
    assert "tidak ada nama" in rejects[0][2].lower()
    keymap = read_keymap(summary.keymap)
    assert [r.row for r in keymap.rows] == [2, 3, 4, 5]  # every row, in input order
    encoded = [r for r in keymap.rows if r.record_id is not None]
    assert [r.local_id for r in encoded] == ["R-001", "R-002", "R-003"]
    assert len({r.fingerprint for r in keymap.rows}) == 4


def _table(summary):
    with zipfile.ZipFile(summary.package) as zf:
        data = zf.read("records.parquet")
    schema = load_linkage_schema()
    return from_parquet(
        data, schema.clk_bytes, len(schema.scoped_tokens) * schema.scoped_token_bytes
    )


def _sorted_rows(table) -> list[bytes]:
    return sorted(bytes(c) + bytes(t) for c, t in zip(table.clk, table.tokens["nik"], strict=True))


def test_same_secret_gives_identical_encodings_at_two_owners(tmp_path: Path, parties) -> None:
    a = _table(_encode(tmp_path / "a", parties.registry, parties.secret))
    b = _table(_encode(tmp_path / "b", parties.health, parties.secret))
    assert _sorted_rows(a) == _sorted_rows(b)
    # Record ids are fresh random values, never derived from the data.
    assert not set(map(bytes, a.record_id)) & set(map(bytes, b.record_id))


def test_different_secret_gives_unrelated_encodings(tmp_path: Path, parties, new_parties) -> None:
    other = new_parties(tmp_path / "other")
    a = _table(_encode(tmp_path / "a", parties.health, parties.secret))
    b = _table(_encode(tmp_path / "b", other.health, other.secret))
    a_bits, b_bits = np.unpackbits(a.clk, axis=1), np.unpackbits(b.clk, axis=1)
    inter = (a_bits[:, None, :] & b_bits[None, :, :]).sum(-1)
    dice = 2 * inter / (a_bits.sum(1)[:, None] + b_bits.sum(1)[None, :])
    assert dice.max() < 0.5
    assert not set(map(bytes, a.tokens["nik"])) - {bytes(16)} & set(map(bytes, b.tokens["nik"]))


def _secret_for(tmp_path: Path, owner, fingerprint: str):
    from padan.trust.secret import load_secret, new_secret

    new_secret(owner, [owner.card], fingerprint, tmp_path / "secret")
    return load_secret(tmp_path / "secret" / f"{owner.card.org}.secret", owner)


def test_encodes_with_the_schema_the_secret_was_made_for(tmp_path: Path, parties) -> None:
    from padan.core.schema import schema_fingerprint
    from padan.formats.package import read_package

    secret = _secret_for(tmp_path, parties.health, schema_fingerprint())
    summary = _encode(tmp_path, parties.health, secret)
    manifest, _, _ = read_package(summary.package, parties.trusted)
    assert manifest.extra["schema"] == "padan-v2"
    assert manifest.extra["schema_version"] == 2
    assert manifest.schema_fingerprint == schema_fingerprint()


def test_package_has_no_low_cardinality_column(tmp_path: Path, parties) -> None:
    """Schema v2: no salt, sex, year or region column; every column is per-record random
    (ids), a filter, a high-cardinality keyed token or key, or level tokens bound to one."""
    schema = load_linkage_schema()
    summary = _encode(tmp_path, parties.health, parties.secret)
    with zipfile.ZipFile(summary.package) as zf:
        columns = pq.read_table(io.BytesIO(zf.read("records.parquet"))).column_names
    expected = {"record_id", "clk"}
    expected |= {f"token_{k}" for k in schema.exact_tokens}
    expected |= {f"block_{k}" for k in schema.blocking.keys}
    expected |= {f"scoped_{k}" for k in schema.blocking.keys}
    expected |= {"u_bucket", "u_levels"}
    assert set(columns) == expected
    assert not any(c.startswith(("salt_", "sex", "birth_year")) for c in columns)
    table = _table(summary)
    # Present block keys are distinct per record here (three different people).
    for kind, keys in table.blocks.items():
        present = keys[keys != 0]
        assert len(set(present.tolist())) == len(present), kind
    buckets = table.u_sample.bucket
    assert ((buckets >= 1) & (buckets <= schema.decision.u_sample_buckets)).all()


def test_refuses_a_secret_made_for_an_unknown_schema(tmp_path: Path, parties) -> None:
    from padan.core.errors import InputError

    secret = _secret_for(tmp_path, parties.health, "0" * 64)
    with pytest.raises(InputError, match="does not have"):
        _encode(tmp_path, parties.health, secret)


def test_encode_cli_with_column_mapping(tmp_path: Path, monkeypatch) -> None:
    from typer.testing import CliRunner

    from padan.cli import app
    from padan.trust.identity import create_identity
    from padan.trust.secret import create_secret

    monkeypatch.setenv("PADAN_PASSPHRASE", "uji-passphrase-panjang")
    made = create_identity(
        "dinkes-uji", "owner", tmp_path, "uji-passphrase-panjang", scrypt_n=2**10
    )
    create_secret(made.key_path, "uji-passphrase-panjang", [made.card_path], tmp_path / "s")
    source = tmp_path / "odd.csv"
    renamed = ["NOMOR INDUK" if h == "NIK PASIEN" else h for h in HEADER]
    with source.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([renamed, *ROWS])
    args = [
        "encode",
        str(source),
        "--key",
        str(made.key_path),
        "--secret",
        str(tmp_path / "s" / "dinkes-uji.secret"),
        "--out",
        str(tmp_path / "o.padan"),
    ]
    result = CliRunner().invoke(app, [*args, "--map", "nik=NOMOR INDUK"])
    assert result.exit_code == 0, result.output
    assert "Dikodekan" in result.output
    bad = CliRunner().invoke(app, [*args, "--map", "nomor=NOMOR INDUK"])
    assert bad.exit_code == 1
    assert "unknown field" in bad.output
