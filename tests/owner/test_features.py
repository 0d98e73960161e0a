"""Feature and blocking-key values derived from a normalised record."""

import datetime as dt

from padan.core.schema import load_linkage_schema
from padan.core.types import Record, RowRef
from padan.owner.features import BLOCK_SOURCES, FIELD_SOURCES


def _record(**values) -> Record:
    return Record(ref=RowRef("x.csv", 1), **values)


def test_every_schema_key_and_field_has_a_source():
    schema = load_linkage_schema("padan-v1")
    assert set(schema["blocking"]["keys"]) <= set(BLOCK_SOURCES)
    assert set(schema["blocking"]["involves"]) == set(schema["blocking"]["keys"])
    assert {f["source"] for f in schema["fields"]} <= set(FIELD_SOURCES)


def test_address_numbers_field_and_keys():
    febrl = _record(name="zali shepherd", address="308 solly place fairway valla 2138 sa")
    typo = _record(name="zalk shepard", address="308 solly place fai rawy valoa 2138 sa")
    assert FIELD_SOURCES["address_numbers"](febrl) == "308 2138"
    for key in ("address_numbers", "address_house", "address_last_name"):
        assert BLOCK_SOURCES[key](febrl) == BLOCK_SOURCES[key](typo) is not None


def test_address_keys_of_indonesian_addresses():
    house = _record(name="siti aminah", address="gang peta nomor 19", rt="12", rw="8")
    other_rt = _record(name="siti aminah", address="gang peta nomor 19", rt="3", rw="8")
    kampung = _record(name="syarif", address="kampung mekarsari", rt="2", rw="8")
    # One number only: no household key from numbers, but the house on its street.
    assert BLOCK_SOURCES["address_numbers"](house) is None
    assert BLOCK_SOURCES["address_house"](house) == "19:pet:12:8"
    assert BLOCK_SOURCES["address_house"](house) != BLOCK_SOURCES["address_house"](other_rt)
    # A kampung without a house number is no household: no address key at all.
    for key in ("address_numbers", "address_house", "address_last_name"):
        assert BLOCK_SOURCES[key](kampung) is None
    assert FIELD_SOURCES["address_numbers"](kampung) == ""
    assert FIELD_SOURCES["address_numbers"](house) == ""


def test_last_name_key_survives_typos_not_other_names():
    a = _record(name="lachlan ricard", birth_date=dt.date(1947, 11, 23), address="40 bowral 4158")
    b = _record(name="lachlarn rikard", address="40 wallaroeroad bowral 4158")
    c = _record(name="lachlan dixon", address="40 bowral 4158")
    key = BLOCK_SOURCES["address_last_name"]
    assert key(a) == key(b)
    assert key(a) != key(c)


def test_street_key_survives_a_missing_house_number_and_transposed_postcode():
    # FEBRL duplicates: house number dropped, or two postcode digits swapped.
    org = _record(name="bianca cobbett", address="32 yerralee road wongon woodend 3083 vic")
    no_house = _record(name="biana cbobett", address="yerralee road wongkn woodend 3083 vic")
    swapped = _record(name="bianca cobbett", address="32 yerralee road wongon woodend 3038 vic")
    other_street = _record(name="bianca cobbett", address="32 currong street woodend 3083 vic")
    key = BLOCK_SOURCES["address_street"]
    assert key(org) == key(no_house) == key(swapped) == "0338:yer"
    assert key(org) != key(other_street)
    # address_house and address_numbers both miss the dropped house number.
    for other in ("address_house", "address_numbers"):
        assert BLOCK_SOURCES[other](org) != BLOCK_SOURCES[other](no_house)
    assert "address_street" in load_linkage_schema("padan-v1")["blocking"]["keys"]


def test_street_key_needs_a_postcode_not_a_house_number():
    # An Indonesian house number alone is address_house's business (with RT/RW).
    house = _record(name="siti aminah", address="gang peta nomor 19", rt="12", rw="8")
    assert BLOCK_SOURCES["address_street"](house) is None
    with_postcode = _record(name="siti aminah", address="gang peta nomor 19 42115")
    assert BLOCK_SOURCES["address_street"](with_postcode) == "11245:pet"
