"""Indonesian names: pools, sampling by sex and generation, spelling variants and typos.

Pools mix Faker's ``id_ID`` names (drawn once from a seeded Faker) with hand-made lists
of common Javanese, Sundanese, Bantenese, Arabic-origin and modern given names. Faker is
slow per call, so sampling uses only the pre-drawn tuples and a ``random.Random``.
Names are stored as SIAK writes them: upper case, words separated by one space.
"""

from __future__ import annotations

import random
from collections.abc import Iterable
from dataclasses import dataclass

from faker import Faker

from padan.synth.rng import Rng

# --- hand-made pools (given names; no pool holds a full real person's name) -----------


def _words(text: str) -> tuple[str, ...]:
    """Split a pool on spaces; ``_`` joins a two-word name (``ABDUL_ROHMAN``)."""
    return tuple(word.replace("_", " ") for word in text.split())


_MALE_TRADITIONAL = _words(
    # Javanese
    "SUTRISNO SUPARMAN SUKARDI WARSITO SLAMET SUYANTO MULYADI SARMADI JUMADI SUGIONO PARJO "
    "TUKIMAN SUPRIYADI BAMBANG JOKO AGUS BUDI HERU EKO WAHYU HARYONO SUDARSONO SUMARNO "
    "KASMAN DARSONO PONIMAN SUNARTO GIYANTO SUROTO KARDI RUSDI DARMAJI SUKIMAN MARJUKI "
    # Sundanese
    "ASEP UJANG DEDE CECEP JAJANG ENCEP ENGKOS AEP OMAN DEDEN DADANG WAWAN IWAN YAYAN USEP "
    "ENDANG NANANG UDIN OTONG DADAN KOMAR ATENG AJAT ENJANG MAMAN UCUP DODI HENDRA ACENG "
    # Bantenese
    "JAHRUDIN SARIPUDIN MASRUDIN SAMSUDIN JAENUDIN KHOERUDIN SANWANI MARSUKI SAKRANI JUHRI "
    "SARPANI ASMAWI MUHDI RUSMIN SUPENDI JAMHARI MURSIDI ARSAD SAMLANI MASKUR"
)
_MALE_ARABIC = _words(
    "AHMAD ABDULLAH HASAN HUSEIN IBRAHIM ISMAIL YUSUF UMAR USMAN ALI FAUZI HIDAYAT SYARIF "
    "RAHMAT SAIFUL NURDIN HASANUDIN JAMALUDIN ZAINAL ARIF SOLEH MAULANA SYAMSUL KHOIRUL "
    "MUKHLIS NASRULLAH SYAIFUL IMRON AMIR ZAKARIA MUSTOFA FATHURROHMAN IHSAN HAMDAN HILMI "
    "FAHMI RIDWAN SYAHRUL ARIFIN SODIKIN ROHIM ANWAR KHOLIL SOPIAN JAELANI ZAENAL "
    "ABDUL_ROHMAN ABDUL_AZIS ABDUL_HAKIM ABDUL_MALIK ABDUL_GOFUR"
)
_MALE_MODERN = _words(
    "RIZKY FAJAR DIMAS RAKA ADITYA BAYU DAFFA RAFI ALIF FARHAN ZAKI NAUFAL ARKAN REVAN GILANG "
    "ANDIKA RIFKY ILHAM FIKRI RAFFA KEVIN DIRGA YOGA ALDI FERDI RANGGA AZKA ATHAR DZAKY HAIKAL "
    "RAIHAN FADLAN GHIFARI"
)
_MALE_SECOND = _words(
    "SAPUTRA PRATAMA HIDAYAT SETIAWAN KURNIAWAN RAMADHAN NUGROHO WIJAYA SANTOSO FIRMANSYAH "
    "MAULANA HAKIM FAUZI RAHMAN SAPUTRO PRASETYO PURNAMA GUNAWAN HIDAYATULLAH ALFARIZI AKBAR "
    "FIRDAUS SUBAGJA SUPRIATNA SOPIAN MULYANA SUHERMAN KUSNADI HERMAWAN SUNANDAR JAELANI "
    "SOBARI ROSADI SAEPULLOH NURJAMAN"
)
_FEMALE_TRADITIONAL = _words(
    # Javanese
    "SUMINAH SUMARNI WARTINI SULASTRI SUKARSIH KARSIH TARSIH RASMINAH JURIAH KASMINI SUNARTI "
    "SUHARTINI PARMI WAGINEM PAINEM SUKINAH SUPARTI SUMIATI RUSMINI WATINI SUNARSIH TUMINAH "
    "MUJIATI "
    # Sundanese
    "EUIS NENENG IIS IMAS ENOK ENTIN CUCU ENENG NINING AI YETI CICIH ENUNG POPON TITIN ENDAH "
    "EDAH OOM ICIH ELIS YAYAH NANI IYAH UCU "
    # Bantenese
    "MULYANAH JUMANAH SARWIYAH ROHANAH MASANAH NASIAH SAMINAH MARFUAH JAMILAH ROSIDAH SALMIAH "
    "MARSIAH ASIAH JUHRIAH SANIAH MURNIAH ROHIMAH TARIAH KURNIAH"
)
_FEMALE_ARABIC = _words(
    "AMINAH FATIMAH KHADIJAH AISYAH MARYAM ZAINAB HALIMAH ROHMAH MASITOH NURHAYATI RUKAYAH "
    "JUBAEDAH HASANAH MAESAROH SAODAH UMAYAH HABIBAH NAFISAH SOPIAH SYARIFAH KHOIRUNNISA ULFAH "
    "LATIFAH MUNAWAROH NURJANAH FAUZIAH RAHMAWATI AZIZAH SA'ADAH NURLAELA"
)
_FEMALE_MODERN = _words(
    "PUTRI NABILA AULIA ZAHRA SALSABILA NAYLA AZZAHRA KEISHA ALYA NADIA DINDA CITRA ANISA "
    "AMELIA FITRI INDAH RINA WULAN DEWI AYU NOVITA RATNA DIAN INTAN MELATI SYIFA HANA KHANZA "
    "NAURA"
)
_FEMALE_SECOND = _words(
    "RAHAYU LESTARI WULANDARI PERMATASARI PUSPITASARI NURHALIZA SAFITRI ANGGRAINI HANDAYANI "
    "KURNIASIH MARLINA KOMALASARI SUSANTI YULIANTI RAMADHANI FEBRIANTI OKTAVIANI MAHARANI "
    "ASTUTI UTAMI NINGSIH SUSILAWATI"
)
_FEMALE_PREFIXES = ("SITI", "SITI", "SRI", "NUR", "DEWI", "NENG")

MUHAMMAD_FORMS = ("MUHAMMAD", "MUHAMAD", "MOHAMAD", "MOHAMMAD", "MOCHAMAD", "MOCHAMMAD")
"""How the registry spells Muhammad (full forms only)."""
_MUHAMMAD_WEIGHTS = (45, 20, 10, 10, 8, 7)
_MUHAMMAD_DRAW = tuple(
    f for f, w in zip(MUHAMMAD_FORMS, _MUHAMMAD_WEIGHTS, strict=True) for _ in range(w)
)
_MUHAMMAD_SHORT = ("M.", "MOCH.", "MOH.", "MUH.", "MUHAMMAD", "MUHAMAD", "MOCHAMAD")
"""How a clerk may write it on a health list."""

# Generations: (born before 1970, 1970-1994, 1995 and later).
_SINGLE_WORD = (0.45, 0.25, 0.08)
_MUHAMMAD_SHARE = (0.06, 0.10, 0.16)
_FEMALE_PREFIX_SHARE = (0.30, 0.20, 0.10)
_BANTEN_NOBLE_SHARE = 0.015  # Tubagus (TB.) for men, RATU for women
_THREE_WORDS = (0.10, 0.20, 0.35)
# First given name: weights of the (traditional, Arabic-origin, modern) pools.
_FIRST_NAME_WEIGHTS = {
    1: ((0.55, 0.40, 0.05), (0.35, 0.40, 0.25), (0.08, 0.32, 0.60)),
    2: ((0.60, 0.35, 0.05), (0.35, 0.35, 0.30), (0.08, 0.27, 0.65)),
}


@dataclass(frozen=True, slots=True)
class NamePools:
    """Pre-drawn name pools, upper case; build once with ``build_name_pools``."""

    male_traditional: tuple[str, ...]
    male_arabic: tuple[str, ...]
    male_modern: tuple[str, ...]
    male_second: tuple[str, ...]
    female_traditional: tuple[str, ...]
    female_arabic: tuple[str, ...]
    female_modern: tuple[str, ...]
    female_second: tuple[str, ...]
    streets: tuple[str, ...]


def _unique(*groups: Iterable[str]) -> tuple[str, ...]:
    """The names of all groups, upper case, first occurrence only (order kept)."""
    return tuple(dict.fromkeys(name.upper() for group in groups for name in group))


def build_name_pools(seed: int) -> NamePools:
    """Draw Faker ``id_ID`` names and streets once (seeded) and merge them with own lists."""
    fake = Faker("id_ID")
    fake.seed_instance(seed)
    faker_male = [fake.first_name_male() for _ in range(400)]
    faker_female = [fake.first_name_female() for _ in range(200)]
    faker_last_male = [fake.last_name_male() for _ in range(200)]
    faker_last_female = [fake.last_name_female() for _ in range(150)]
    streets = [fake.street_name() for _ in range(300)]
    return NamePools(
        male_traditional=_unique(_MALE_TRADITIONAL, faker_male[:200]),
        male_arabic=_unique(_MALE_ARABIC),
        male_modern=_unique(_MALE_MODERN, faker_male[200:]),
        male_second=_unique(_MALE_SECOND, faker_last_male),
        female_traditional=_unique(_FEMALE_TRADITIONAL),
        female_arabic=_unique(_FEMALE_ARABIC),
        female_modern=_unique(_FEMALE_MODERN, faker_female),  # Faker's are mostly modern
        female_second=_unique(_FEMALE_SECOND, faker_last_female),
        streets=_unique(streets),
    )


def _mixture(weighted: tuple[tuple[tuple[str, ...], float], ...]) -> tuple[str, ...]:
    """One flat tuple whose uniform draw follows the pools' weights (uniform within a pool).

    Drawing from it costs one index instead of a weighted choice and a second draw.
    """
    size = 4096
    table: list[str] = []
    for pool, weight in weighted:
        count = round(weight * size)
        table.extend(pool[i % len(pool)] for i in range(max(count, len(pool) if weight else 0)))
    return tuple(table)


class NameSampler:
    """Draws plausible full names for a sex and birth year from ``NamePools``."""

    def __init__(self, pools: NamePools, rng: Rng) -> None:
        self._random = rng.random
        self._streets = pools.streets
        p = pools
        given = {
            1: (p.male_traditional, p.male_arabic, p.male_modern),
            2: (p.female_traditional, p.female_arabic, p.female_modern),
        }
        self._first = {
            (sex, era): _mixture(tuple(zip(given[sex], weights, strict=True)))
            for sex, by_era in _FIRST_NAME_WEIGHTS.items()
            for era, weights in enumerate(by_era)
        }
        second = {1: p.male_second, 2: p.female_second}
        self._second = {  # a surname-like word, or another given name
            sex: _mixture(((second[sex], 1 / 3), (given[sex][1], 1 / 3), (given[sex][2], 1 / 3)))
            for sex in (1, 2)
        }

    def name(self, sex: int, birth_year: int) -> str:
        """A full name (upper case) for sex 1 (male) / 2 (female) born in ``birth_year``."""
        random = self._random  # hot path: plain indexing instead of helper calls
        era = 0 if birth_year < 1970 else 1 if birth_year < 1995 else 2
        firsts = self._first[sex, era]
        first = firsts[int(random() * len(firsts))]
        if random() < _SINGLE_WORD[era] and " " not in first:
            words = [first]
        else:
            seconds = self._second[sex]
            words = [first, seconds[int(random() * len(seconds))]]
            if random() < _THREE_WORDS[era]:
                words.insert(1, firsts[int(random() * len(firsts))])
        if sex == 1:
            if random() < _MUHAMMAD_SHARE[era]:
                words.insert(0, _MUHAMMAD_DRAW[int(random() * len(_MUHAMMAD_DRAW))])
        elif random() < _FEMALE_PREFIX_SHARE[era]:
            prefix = _FEMALE_PREFIXES[int(random() * len(_FEMALE_PREFIXES))]
            if not first.startswith(prefix):  # no "NUR NURLAELA"
                words.insert(0, prefix)
        if random() < _BANTEN_NOBLE_SHARE:
            words.insert(0, "TB." if sex == 1 else "RATU")
        return " ".join(dict.fromkeys(words))  # never the same word twice

    def street(self) -> str:
        """A street name from Faker's ``id_ID`` pool, upper case (``JL. ASTANA ANYAR``)."""
        return self._streets[int(self._random() * len(self._streets))]


def last_word(name: str) -> str | None:
    """The last word of a multi-word name (children sometimes carry the father's)."""
    head, _, last = name.rpartition(" ")
    return last if head and not last.endswith(".") else None


# --- variants and typos (used for lists, and for NIK-ganda second records) --------------

_SPELLING = (
    ("OE", "U"), ("U", "OE"), ("DJ", "J"), ("J", "DJ"), ("TJ", "C"), ("C", "TJ"),
    ("CH", "KH"), ("KH", "CH"), ("SJ", "SY"), ("SY", "SJ"), ("Y", "J"), ("F", "P"),
    ("P", "F"), ("AE", "AI"), ("AI", "AE"), ("DH", "D"), ("Z", "J"),
)  # fmt: skip
_TITLES_PREFIX = {1: ("H.", "H.", "DRS.", "IR."), 2: ("HJ.", "HJ.", "NY.", "NY.", "DRA.")}
_TITLES_SUFFIX = {
    1: ("S.PD", "S.PD.I", "S.E.", "S.H.", "S.KOM", "S.SOS", "S.AG"),
    2: ("S.PD", "S.PD.I", "S.E.", "S.H.", "S.KOM", "A.MD.KEB", "AMD.KEP"),
}
_JOINABLE = ("NUR", "ABDUL", "SITI")
_CONSONANTS = frozenset("BCDFGHJKLMNPQRSTVWXYZ")

REGISTRY_VARIANTS = ("spelling", "muhammad", "join_split", "double")
"""Variant kinds a second registry record may show (no titles, no abbreviations)."""
LIST_VARIANTS = (*REGISTRY_VARIANTS, "title", "title", "initial", "drop_word")
"""Variant kinds a clerk may produce on a health list (titles are the most common)."""


def _variant_muhammad(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    if words[0] not in MUHAMMAD_FORMS and words[0] not in _MUHAMMAD_SHORT:
        return False
    words[0] = rng.choice([f for f in _MUHAMMAD_SHORT if f != words[0]])
    return True


def _variant_spelling(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    text = " ".join(words)
    pairs = [pair for pair in _SPELLING if pair[0] in text]
    if not pairs:
        return False
    old, new = rng.choice(pairs)
    starts = [i for i in range(len(text)) if text.startswith(old, i)]
    at = rng.choice(starts)
    words[:] = (text[:at] + new + text[at + len(old) :]).split(" ")
    return True


def _variant_title(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    if not adult:
        return False
    if rng.random() < 0.5:
        words.insert(0, rng.choice(_TITLES_PREFIX[sex]))
    else:
        words[-1] += ","
        words.append(rng.choice(_TITLES_SUFFIX[sex]))
    return True


def _variant_initial(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    spots = [i for i in range(1, len(words)) if len(words[i]) > 2 and words[i][0].isalpha()]
    if not spots:
        return False
    i = rng.choice(spots)
    words[i] = words[i][0] + "."
    return True


def _variant_join_split(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    for i, word in enumerate(words):
        if word in _JOINABLE and i + 1 < len(words):
            words[i : i + 2] = [word + words[i + 1]]
            return True
        for prefix in _JOINABLE:
            if word.startswith(prefix) and len(word) > len(prefix) + 2:
                words[i : i + 1] = [prefix, word[len(prefix) :]]
                return True
    return False


def _variant_double(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    text = " ".join(words)
    doubled = [i for i in range(1, len(text)) if text[i] == text[i - 1] and text[i] in _CONSONANTS]
    if doubled:
        i = rng.choice(doubled)
        text = text[:i] + text[i + 1 :]
    else:
        inner = [
            i
            for i in range(1, len(text) - 1)
            if text[i] in "LMNRS" and text[i - 1] in "AIUEO" and text[i + 1] in "AIUEO"
        ]
        if not inner:
            return False
        i = rng.choice(inner)
        text = text[:i] + text[i] + text[i:]
    words[:] = text.split(" ")
    return True


def _variant_drop_word(words: list[str], rng: random.Random, sex: int, adult: bool) -> bool:
    if len(words) < 3:
        return False
    del words[rng.randrange(len(words))]
    return True


_VARIANTS = {
    "muhammad": _variant_muhammad,
    "spelling": _variant_spelling,
    "title": _variant_title,
    "initial": _variant_initial,
    "join_split": _variant_join_split,
    "double": _variant_double,
    "drop_word": _variant_drop_word,
}


def name_variant(
    name: str, rng: random.Random, sex: int, adult: bool, kinds: tuple[str, ...] = LIST_VARIANTS
) -> str:
    """A differently written form of ``name``; one variant of an applicable kind.

    Kinds are tried in random order until one applies; ``spelling`` applies to almost
    every name, so the result differs from ``name`` except for pathological inputs.
    """
    order = list(kinds)
    rng.shuffle(order)
    for kind in order:
        words = name.split(" ")
        if _VARIANTS[kind](words, rng, sex, adult):
            result = " ".join(words)
            if result != name:
                return result
    return name_typo(name, rng)


_KEYBOARD = {
    row[i]: row[max(i - 1, 0) : i] + row[i + 1 : i + 2]
    for row in ("QWERTYUIOP", "ASDFGHJKL", "ZXCVBNM")
    for i in range(len(row))
}


def _one_edit(name: str, rng: random.Random) -> str:
    letters = [i for i, ch in enumerate(name) if ch.isalpha()]
    i = rng.choice(letters)
    op = rng.random()
    if op < 0.40:  # substitute with a neighbouring key
        return name[:i] + rng.choice(_KEYBOARD.get(name[i], "A")) + name[i + 1 :]
    if op < 0.65 and len(letters) > 1:  # delete
        return name[:i] + name[i + 1 :]
    if op < 0.80:  # insert: a doubled letter
        return name[:i] + name[i] + name[i:]
    j = i + 1  # transpose with the next character (if it is a letter)
    if j < len(name) and name[j].isalpha():
        return name[:i] + name[j] + name[i] + name[j + 1 :]
    return name[:i] + name[i] + name[i:]


def name_typo(name: str, rng: random.Random) -> str:
    """``name`` with one (80%) or two character edits; never returns ``name`` itself."""
    result = name
    for _ in range(1 if rng.random() < 0.8 else 2):
        edited = _one_edit(result, rng)
        while edited == result:  # e.g. transposing two equal letters
            edited = _one_edit(result, rng)
        result = edited
    return result if result != name else name_typo(name, rng)
