"""The public API: ``padan.__all__`` resolves, and library callers keep the audit log."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import padan
from padan import api
from padan.audit import AUDIT_LOG_NAME, logging_to, verify_audit_log
from padan.core.errors import PadanError


def test_public_names_resolve_to_the_api() -> None:
    for name in padan.__all__:
        assert getattr(padan, name) is getattr(api, name)


def test_library_call_writes_the_audit_log_where_asked(tmp_path: Path) -> None:
    with logging_to(tmp_path / "log"):
        (tmp_path / "log").mkdir()
        made = padan.create_identity("dinas-uji", "owner", tmp_path / "keys", "frasa-sandi-uji")
    log = tmp_path / "log" / AUDIT_LOG_NAME
    assert verify_audit_log(log) == 1
    entry = json.loads(log.read_text())
    assert entry["command"] == "keys new"
    assert entry["org"] == "dinas-uji"
    assert [Path(o["name"]).name for o in entry["outputs"]] == [
        made.key_path.name,
        made.card_path.name,
    ]


def test_failed_run_writes_no_audit_line(tmp_path: Path) -> None:
    with logging_to(tmp_path), pytest.raises(PadanError):
        padan.create_identity("Bukan Nama Sah!", "owner", tmp_path / "k", "frasa-sandi-uji")
    assert not (tmp_path / AUDIT_LOG_NAME).exists()
