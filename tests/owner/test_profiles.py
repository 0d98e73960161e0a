"""Input profiles: built-in data, header matching, auto-detection, --map overrides."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from padan.core.errors import InputError
from padan.core.resources import schemas_dir
from padan.core.types import CANONICAL_FIELDS
from padan.owner.profiles import (
    header_key,
    list_profiles,
    load_profile,
    parse_mapping,
    resolve_profile,
)
from padan.synth.corruption import LIST_COLUMNS

SIAK = [
    "NIK",
    "NO_KK",
    "NAMA_LGKP",
    "JENIS_KLMIN",
    "TMPT_LHR",
    "TGL_LHR",
    "NAMA_LGKP_IBU",
    "ALAMAT",
    "NO_RT",
    "NO_RW",
    "NO_PROP",
    "NO_KAB",
    "NO_KEC",
    "NO_KEL",
]
CKG = list(LIST_COLUMNS)  # the columns padan synth writes: the profile must know them
FEBRL = [
    "rec_id",
    "given_name",
    "surname",
    "street_number",
    "address_1",
    "address_2",
    "suburb",
    "postcode",
    "state",
    "date_of_birth",
    "soc_sec_id",
]


def test_builtin_profiles_are_versioned_data() -> None:
    assert list_profiles() == ["ckg", "febrl", "siak"]
    for name in list_profiles():
        data = json.loads((schemas_dir() / "profiles" / f"{name}.json").read_text())
        assert isinstance(data["version"], int)
        assert set(data["fields"]) <= set(CANONICAL_FIELDS)
        profile = load_profile(name)
        assert profile.name == name and profile.required


def test_siak_export_is_detected_and_fully_mapped() -> None:
    resolved = resolve_profile(SIAK)
    assert resolved.profile.name == "siak"
    assert dict(resolved.columns) == {
        "nik": ("NIK",),
        "kk": ("NO_KK",),
        "name": ("NAMA_LGKP",),
        "sex": ("JENIS_KLMIN",),
        "birth_date": ("TGL_LHR",),
        "birth_place": ("TMPT_LHR",),
        "address": ("ALAMAT",),
        "rt": ("NO_RT",),
        "rw": ("NO_RW",),
        "mother_name": ("NAMA_LGKP_IBU",),
    }
    assert resolved.unmapped == ("NO_PROP", "NO_KAB", "NO_KEC", "NO_KEL")


def test_synthetic_ckg_headers_are_detected() -> None:
    resolved = resolve_profile(CKG)
    assert resolved.profile.name == "ckg"
    assert set(resolved.columns) == set(CANONICAL_FIELDS)
    assert resolved.columns["local_id"] == ("No Registrasi",)
    assert resolved.unmapped == ("PUSKESMAS", "TGL PERIKSA")


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("NO. REG", "local_id"),
        ("No RM", "local_id"),
        ("nik", "nik"),
        ("No KTP", "nik"),
        ("No. KTP", "nik"),
        ("NOMOR KK", "kk"),
        ("KK", "kk"),
        ("Nama Lengkap", "name"),
        ("Jenis Kelamin", "sex"),
        ("L/P", "sex"),
        ("Tanggal Lahir", "birth_date"),
        ("tgl_lahir", "birth_date"),
        ("Tempat  Lahir", "birth_place"),
        ("Nama Ibu Kandung", "mother_name"),
    ],
)
def test_ckg_synonyms_ignore_case_space_and_punctuation(header: str, field: str) -> None:
    others = {"name": ["NIK"], "nik": ["Nama"]}.get(field, ["Nama", "NIK"])
    resolved = resolve_profile([*others, header], "ckg")
    assert resolved.columns[field] == (header,)


def test_header_key() -> None:
    assert header_key(" No. KK ") == header_key("NO_KK") == header_key("nokk") == "nokk"


def test_febrl_joins_columns_and_leaves_out_the_ssn() -> None:
    resolved = resolve_profile(FEBRL)
    assert resolved.profile.name == "febrl"
    assert resolved.columns["name"] == ("given_name", "surname")
    assert resolved.columns["address"] == (
        "street_number", "address_1", "address_2", "suburb", "postcode", "state",
    )  # fmt: skip
    assert resolved.columns["birth_date"] == ("date_of_birth",)
    assert "soc_sec_id" in resolved.unmapped
    assert "nik" not in resolved.columns


def test_missing_required_column_lists_columns_and_closest_names() -> None:
    with pytest.raises(InputError) as caught:
        resolve_profile(["NIK", "NAMA_LENGKAP", "TGL_LHR"], "siak")
    message = str(caught.value)
    assert "needs a column for name (NAMA_LGKP)" in message
    assert "columns found: NIK, NAMA_LENGKAP, TGL_LHR" in message
    assert "closest: NAMA_LENGKAP" in message


def test_ckg_needs_a_name_and_a_nik_or_birth_date() -> None:
    assert resolve_profile(["NAMA", "TGL LAHIR"], "ckg").profile.name == "ckg"
    with pytest.raises(InputError, match="nik/birth_date"):
        resolve_profile(["NAMA", "ALAMAT"], "ckg")


def test_nothing_fits() -> None:
    with pytest.raises(InputError, match="no input profile fits"):
        resolve_profile(["A", "B"])


def test_equal_fit_asks_for_profile() -> None:
    # Both siak (NIK, NAMA_LGKP, TGL_LHR) and ckg (NIK, NAMA, TGL LAHIR) map three fields.
    with pytest.raises(InputError, match=r"fit profiles .* equally well.*--profile"):
        resolve_profile(["NIK", "NAMA_LGKP", "TGL_LHR", "NAMA", "TGL LAHIR"])


def test_map_overrides_and_satisfies_requirements() -> None:
    resolved = resolve_profile(["KTP", "NAMA", "LAHIR"], overrides={"birth_date": "lahir"})
    assert resolved.profile.name == "ckg"
    assert resolved.columns["birth_date"] == ("LAHIR",)
    resolved = resolve_profile(CKG, overrides={"name": "NAMA IBU", "local_id": "PUSKESMAS"})
    assert resolved.columns["name"] == ("NAMA IBU",)
    assert resolved.columns["local_id"] == ("PUSKESMAS",)


def test_map_can_join_columns() -> None:
    resolved = resolve_profile(CKG, overrides={"address": "ALAMAT+RT+RW"})
    assert resolved.columns["address"] == ("ALAMAT", "RT", "RW")


def test_map_to_an_unknown_column_suggests_the_closest() -> None:
    with pytest.raises(InputError, match="no column 'NAMA PASEIN'; closest: NAMA PASIEN"):
        resolve_profile(CKG, overrides={"name": "NAMA PASEIN"})


@pytest.mark.parametrize(
    ("items", "error"),
    [(["name"], "field=COLUMN"), (["name="], "field=COLUMN"), (["nama=NAMA"], "unknown field")],
)
def test_parse_mapping_errors(items: list[str], error: str) -> None:
    with pytest.raises(InputError, match=error):
        parse_mapping(items)


def test_parse_mapping() -> None:
    assert parse_mapping(["name = NAMA WARGA", "nik=NIK"]) == {"name": "NAMA WARGA", "nik": "NIK"}


def test_unknown_profile_lists_the_available_ones() -> None:
    with pytest.raises(InputError, match=re.escape("available: ckg, febrl, siak")):
        load_profile("dukcapil")


def test_custom_profile_file(tmp_path: Path) -> None:
    path = tmp_path / "puskesmas.json"
    path.write_text(
        json.dumps(
            {
                "name": "puskesmas",
                "version": 2,
                "required": ["name"],
                "fields": {"name": ["NAMA WARGA"], "nik": ["NOMOR INDUK"]},
            }
        )
    )
    resolved = resolve_profile(["NOMOR INDUK", "NAMA WARGA"], str(path))
    assert resolved.profile.version == 2
    assert resolved.columns == {"name": ("NAMA WARGA",), "nik": ("NOMOR INDUK",)}


@pytest.mark.parametrize(
    "data",
    [
        {"name": "x", "version": 1, "required": ["name"], "fields": {"nama": ["A"]}},
        {"name": "x", "version": 1, "required": ["nik"], "fields": {"name": ["A"]}},
        {"name": "x", "required": ["name"], "fields": {"name": ["A"]}},
    ],
)
def test_malformed_profile_files(tmp_path: Path, data: dict) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(InputError, match="profile"):
        load_profile(str(path))


def test_ckg_knows_the_sex_header_with_its_codes() -> None:
    # "JK (L/P)" is how many puskesmas exports head the sex column.
    resolved = resolve_profile(["NIK PASIEN", "NAMA PASIEN", "JK (L/P)", "TGL LAHIR"], "ckg")
    assert resolved.columns["sex"] == ("JK (L/P)",)
