"""Input profiles: which source columns hold which canonical field.

A profile is data (``schemas/profiles/NAME.json``, with a ``version``): for every canonical
field (:data:`padan.core.types.CANONICAL_FIELDS`) a list of column names to look for, first
found wins, or ``{"join": [...]}`` for a field made of several columns (FEBRL's address).
Headers are compared ignoring case, spaces and punctuation, so ``NO. KK``, ``No KK`` and
``NO_KK`` are one name. :func:`resolve_profile` binds a profile to a file's real headers.
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType

from padan.core.errors import InputError
from padan.core.resources import schemas_dir
from padan.core.types import CANONICAL_FIELDS


@dataclass(frozen=True, slots=True)
class FieldRule:
    """Where a canonical field comes from: candidate column names, in order of preference,
    or (``join``) all of the named columns present, joined with a space."""

    columns: tuple[str, ...]
    join: bool = False


@dataclass(frozen=True, slots=True)
class Profile:
    """A named input profile as loaded from ``schemas/profiles``."""

    name: str
    version: int
    description: str
    fields: Mapping[str, FieldRule]
    required: tuple[str, ...]
    required_any: tuple[tuple[str, ...], ...] = ()
    """Groups of fields of which at least one must be present (ckg: nik or birth_date)."""


@dataclass(frozen=True, slots=True)
class ResolvedProfile:
    """A profile bound to one file's headers: canonical field → the actual column(s)."""

    profile: Profile
    headers: tuple[str, ...]
    columns: Mapping[str, tuple[str, ...]]
    """Fields found, each with its column (or the columns joined, in order)."""

    @property
    def unmapped(self) -> tuple[str, ...]:
        """Headers no field uses (kept in worklists, ignored for matching)."""
        used = {column for columns in self.columns.values() for column in columns}
        return tuple(h for h in self.headers if h not in used)


_NOT_ALNUM = re.compile(r"[^0-9a-z]+")


def header_key(name: str) -> str:
    """The form headers are compared in: lower case, letters and digits only."""
    return _NOT_ALNUM.sub("", name.lower())


def _profile_from_json(data: dict, origin: str) -> Profile:
    try:
        fields: dict[str, FieldRule] = {}
        for field, spec in data["fields"].items():
            if field not in CANONICAL_FIELDS:
                raise InputError(f"profile {origin}: unknown field '{field}'")
            if isinstance(spec, dict):
                fields[field] = FieldRule(tuple(spec["join"]), join=True)
            else:
                fields[field] = FieldRule(tuple(spec))
        required = tuple(data["required"])
        required_any = tuple(tuple(group) for group in data.get("required_any", ()))
        profile = Profile(
            name=str(data["name"]),
            version=int(data["version"]),
            description=str(data.get("description", "")),
            fields=MappingProxyType(fields),
            required=required,
            required_any=required_any,
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise InputError(f"profile {origin} is malformed: {exc!r}") from None
    needed = set(required).union(*required_any)
    if not needed <= fields.keys():
        raise InputError(f"profile {origin} requires fields it does not define")
    return profile


def list_profiles() -> list[str]:
    """Names of the built-in profiles."""
    return sorted(path.stem for path in (schemas_dir() / "profiles").glob("*.json"))


@cache
def _load_builtin(name: str) -> Profile:
    path = schemas_dir() / "profiles" / f"{name}.json"
    return _profile_from_json(json.loads(path.read_text(encoding="utf-8")), name)


def load_profile(name: str) -> Profile:
    """A built-in profile by name (``siak``, ``ckg``, ``febrl``) or a profile JSON file."""
    if name in list_profiles():
        return _load_builtin(name)
    path = Path(name)
    if path.suffix == ".json" and path.is_file():
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read profile {name}: {exc}") from None
        return _profile_from_json(data, name)
    raise InputError(f"unknown profile '{name}'; available: {', '.join(list_profiles())}")


def parse_mapping(items: Sequence[str]) -> dict[str, str]:
    """Parse ``--map field=COLUMN`` options into {field: column}."""
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, column = item.partition("=")
        field, column = field.strip(), column.strip()
        if not sep or not column:
            raise InputError(f"--map expects field=COLUMN, not '{item}'")
        if field not in CANONICAL_FIELDS:
            raise InputError(
                f"--map: unknown field '{field}'; fields: {', '.join(CANONICAL_FIELDS)}"
            )
        mapping[field] = column
    return mapping


def _closest(wanted: Sequence[str], headers: Sequence[str]) -> list[str]:
    keys = {header_key(h): h for h in headers}
    found: list[str] = []
    for name in wanted:
        for key in difflib.get_close_matches(header_key(name), list(keys), n=3, cutoff=0.6):
            if keys[key] not in found:
                found.append(keys[key])
    return found[:3]


def _override_columns(
    spec: str, headers: Sequence[str], keys: Mapping[str, str]
) -> tuple[str, ...]:
    if spec in headers:
        return (spec,)
    if header_key(spec) in keys:
        return (keys[header_key(spec)],)
    if "+" in spec:  # --map address=ALAMAT+KELURAHAN joins columns
        return tuple(
            c for part in spec.split("+") for c in _override_columns(part.strip(), headers, keys)
        )
    hint = _closest([spec], headers)
    raise InputError(
        f"--map: no column '{spec}'"
        + (f"; closest: {', '.join(hint)}" if hint else f"; columns found: {', '.join(headers)}")
    )


def _bind(
    profile: Profile, headers: Sequence[str], overrides: Mapping[str, str]
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Map the profile onto ``headers``; return (columns per field, missing requirements)."""
    keys: dict[str, str] = {}
    for header in headers:
        keys.setdefault(header_key(header), header)
    columns: dict[str, tuple[str, ...]] = {}
    for field, rule in profile.fields.items():
        present = [keys[k] for k in map(header_key, rule.columns) if k in keys]
        if present:
            columns[field] = tuple(present) if rule.join else (present[0],)
    for field, spec in overrides.items():
        columns[field] = _override_columns(spec, headers, keys)
    missing = [f for f in profile.required if f not in columns]
    missing += [
        "/".join(group) for group in profile.required_any if not set(group) & columns.keys()
    ]
    return columns, missing


def _missing_error(profile: Profile, headers: Sequence[str], missing: Sequence[str]) -> InputError:
    wanted = [
        column
        for requirement in missing
        for field in requirement.split("/")
        for column in profile.fields[field].columns
    ]
    expected = ", ".join(
        f"{requirement} ({' / '.join(profile.fields[requirement.split('/')[0]].columns[:3])})"
        for requirement in missing
    )
    hint = _closest(wanted, headers)
    return InputError(
        f"profile '{profile.name}' needs a column for {expected}; "
        f"columns found: {', '.join(headers) or '(none)'}"
        + (f"; closest: {', '.join(hint)}" if hint else "")
        + " — use --map field=COLUMN or another --profile"
    )


def resolve_profile(
    headers: Sequence[str],
    name: str | None = None,
    overrides: Mapping[str, str] | None = None,
) -> ResolvedProfile:
    """Bind a profile (named, or auto-detected from the headers) to actual columns.

    Auto-detection keeps the profiles whose required fields are all found and picks the
    one that maps the most fields; a tie is an error asking for ``--profile``.
    ``overrides`` ({field: column}, from ``--map``) win over the profile's own names.
    """
    overrides = overrides or {}
    headers = tuple(headers)
    if name is not None:
        profile = load_profile(name)
        columns, missing = _bind(profile, headers, overrides)
        if missing:
            raise _missing_error(profile, headers, missing)
        return ResolvedProfile(profile, headers, MappingProxyType(columns))

    bound = [
        (load_profile(p), *_bind(load_profile(p), headers, overrides)) for p in list_profiles()
    ]
    fitting = sorted(
        ((p, columns) for p, columns, missing in bound if not missing),
        key=lambda item: len(item[1]),
        reverse=True,
    )
    if not fitting:
        # Explain against the profile that came closest.
        profile, _, missing = min(bound, key=lambda item: (len(item[2]), -len(item[1])))
        error = _missing_error(profile, headers, missing)
        raise InputError(f"no input profile fits these columns; the closest, {error}")
    if len(fitting) > 1 and len(fitting[0][1]) == len(fitting[1][1]):
        tied = " and ".join(p.name for p, c in fitting if len(c) == len(fitting[0][1]))
        raise InputError(f"the columns fit profiles {tied} equally well; choose one with --profile")
    profile, columns = fitting[0]
    return ResolvedProfile(profile, headers, MappingProxyType(columns))
