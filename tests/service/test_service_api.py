"""The service over HTTP on loopback: a two-owner round end to end, and every refusal.

Runs on SQLite and, when ``PADAN_TEST_POSTGRES_URL`` is set, on PostgreSQL as well.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import httpx
import pytest

from padan.demo import HEALTH, REGISTRY
from padan.formats.result import read_result
from padan.link.verify import verify_package
from padan.service.auth import sign_request
from padan.service.client import ServiceError, fetch_result, open_round, send_package
from tests.service.servicekit import MAX_UPLOAD, Flow, Server


def _round(server: Server, flow: Flow, **options) -> str:
    with server.client(flow.coordinator) as client:
        made = open_round(
            client, "CKG uji", registry=flow.registry.card, lists=[flow.health.card], **options
        )
    assert made["state"] == "waiting"
    assert [p["role"] for p in made["parties"]] == ["registry", "list"]
    return made["id"]


def _statuses(path: Path, owner, trusted) -> dict[bytes, str]:
    result, _ = read_result(path, owner=owner, trusted=trusted)
    return {row.record_id: str(row.status) for row in result.rows}


def test_two_owner_round_gives_the_file_flow_statuses(
    server: Server, flow: Flow, tmp_path: Path
) -> None:
    round_id = _round(server, flow, seed=1, pks="PKS-UJI/001")
    for org in (HEALTH, REGISTRY):
        with server.client(flow.ids[org]) as client:
            sent = send_package(client, flow.packages[org], round_id, chunk=64 * 1024)
        assert sent.records and sent.resumed_at == 0
    for org in (REGISTRY, HEALTH):
        with server.client(flow.ids[org]) as client:
            path = fetch_result(client, round_id, tmp_path / org, wait=True, poll=0.2, timeout=60)
        reference = next(p for p in flow.reference.results if p.name == path.name)
        owner = flow.ids[org]
        assert _statuses(path, owner, flow.trusted) == _statuses(reference, owner, flow.trusted)
    with server.client(flow.coordinator) as client:
        report = client.json("GET", f"/api/rounds/{round_id}/report")
        status = client.json("GET", f"/api/rounds/{round_id}")
    counts = [d["status_counts"] for d in report["datasets"]]
    assert counts == [d["status_counts"] for d in flow.reference.report["datasets"]]
    assert status["state"] == "done" and status["run"]["state"] == "done"
    assert status["pks"] == "PKS-UJI/001"
    results = Path(server.config.data_dir) / "rounds" / round_id / "results"
    assert sorted(p.name for p in results.iterdir()) == sorted(
        [f"{REGISTRY}.result", f"{HEALTH}.result", "report.html", "report.json"]
    )


def _raw(server: Server, method: str, path: str, headers=None, body: bytes = b""):
    return httpx.request(method, server.url + path, headers=headers or {}, content=body)


def _refused(response: httpx.Response, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"] == code
    return response.json()["message"]


def test_refusals_each_with_their_status_and_message(server: Server, flow: Flow) -> None:
    round_id = _round(server, flow)
    url = server.url + "/api/rounds"

    assert "not signed" in _refused(_raw(server, "GET", "/api/rounds"), 401, "unsigned")

    forged = sign_request(flow.outsider, "GET", url, b"")  # signed by one, claiming another
    forged["Signature-Input"] = forged["Signature-Input"].replace(
        flow.outsider.card.fingerprint, flow.health.card.fingerprint
    )
    assert "wrong key" in _refused(_raw(server, "GET", "/api/rounds", forged), 401, "bad_signature")

    from padan.trust.identity import new_identity

    stranger = sign_request(new_identity("tak-dikenal", "owner"), "GET", url, b"")
    _refused(_raw(server, "GET", "/api/rounds", stranger), 403, "unknown_signer")

    once = sign_request(flow.health, "GET", url, b"")
    assert _raw(server, "GET", "/api/rounds", once).status_code == 200
    assert "replayed" in _refused(_raw(server, "GET", "/api/rounds", once), 401, "replayed")

    old = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)
    stale = sign_request(flow.health, "GET", url, b"", now=old)
    assert "expired" in _refused(_raw(server, "GET", "/api/rounds", stale), 401, "expired")

    altered = sign_request(flow.coordinator, "POST", url, b'{"name": "a"}')
    _refused(_raw(server, "POST", "/api/rounds", altered, b'{"name": "b"}'), 400, "digest_mismatch")

    with server.client(flow.outsider) as client, pytest.raises(ServiceError) as outside:
        send_package(client, flow.packages[HEALTH], round_id)
    assert (outside.value.status, outside.value.code) == (403, "not_a_party")

    with server.client(flow.health) as client, pytest.raises(ServiceError) as other:
        client.request("GET", f"/api/rounds/{round_id}/results/{REGISTRY}")
    assert (other.value.status, other.value.code) == (403, "not_your_result")
    assert "only its own result" in str(other.value)

    with server.client(flow.health) as client, pytest.raises(ServiceError) as admin:
        open_round(client, "x", registry=flow.registry.card, lists=[flow.health.card])
    assert (admin.value.status, admin.value.code) == (403, "not_coordinator")

    with server.client(flow.health) as client, pytest.raises(ServiceError) as big:
        client.json(
            "POST", f"/api/rounds/{round_id}/uploads", {"size": MAX_UPLOAD + 1, "sha256": "0" * 64}
        )
    assert (big.value.status, big.value.code) == (413, "too_large")

    with server.client(flow.health) as client, pytest.raises(ServiceError) as early:
        fetch_result(client, round_id, Path("unused"))
    assert (early.value.status, early.value.code) == (409, "not_ready")


def test_tampered_upload_is_refused_with_the_link_message(
    server: Server, flow: Flow, tmp_path: Path
) -> None:
    round_id = _round(server, flow)
    tampered = tmp_path / "ckg.padan"
    data = bytearray(flow.packages[HEALTH].read_bytes())
    data[len(data) // 2] ^= 0x01
    tampered.write_bytes(bytes(data))
    try:
        verify_package(tampered, flow.trusted)
    except Exception as exc:  # what padan link says about the same file
        expected = str(exc).replace(str(tampered), "").replace(tampered.name, "")
    with server.client(flow.health) as client, pytest.raises(ServiceError) as refused:
        send_package(client, tampered, round_id)
    assert (refused.value.status, refused.value.code) == (422, "package_refused")
    assert expected.strip(": ") in str(refused.value)
    assert f"{HEALTH}.padan" in str(refused.value)  # no server path in the message
    with server.client(flow.health) as client:
        state = client.json("GET", f"/api/rounds/{round_id}")
    upload = state["parties"][1]["upload"]
    assert upload["state"] == "rejected" and expected.strip(": ") in upload["error"]
    assert not list((Path(server.config.data_dir) / "rounds" / round_id).rglob("*.part"))


def test_oversize_chunk_and_wrong_role_package(server: Server, flow: Flow) -> None:
    round_id = _round(server, flow)
    package = flow.packages[HEALTH]
    with server.client(flow.health) as client:
        size = package.stat().st_size
        digest = hashlib.sha256(package.read_bytes()).hexdigest()
        upload = client.json(
            "POST", f"/api/rounds/{round_id}/uploads", {"size": size, "sha256": digest}
        )["upload"]
        with pytest.raises(ServiceError) as big:
            client.request(
                "PATCH",
                f"/api/uploads/{upload}",
                body=package.read_bytes() + b"x",
                headers={"Upload-Offset": "0"},
            )
        assert (big.value.status, big.value.code) == (413, "too_large")
        with pytest.raises(ServiceError) as gap:
            client.request(
                "PATCH", f"/api/uploads/{upload}", body=b"x", headers={"Upload-Offset": "5"}
            )
        assert (gap.value.status, gap.value.code) == (409, "offset_mismatch")
    # The registry's package sent by... the registry, into the list's place: refused.
    with server.client(flow.registry) as client, pytest.raises(ServiceError) as role:
        send_package(client, flow.packages[HEALTH], round_id)
    assert role.value.code == "package_refused" and "not by the sender" in str(role.value)


def test_second_upload_needs_replace_and_purge_removes_files(server: Server, flow: Flow) -> None:
    round_id = _round(server, flow)
    with server.client(flow.health) as client:
        send_package(client, flow.packages[HEALTH], round_id)
        with pytest.raises(ServiceError) as again:
            send_package(client, flow.packages[HEALTH], round_id)
        assert (again.value.status, again.value.code) == (409, "already_uploaded")
        assert "--replace" in str(again.value)
        replaced = send_package(client, flow.packages[HEALTH], round_id, replace=True)
        assert replaced.records
    folder = Path(server.config.data_dir) / "rounds" / round_id
    assert (folder / "packages" / f"{HEALTH}.padan").is_file()
    with server.client(flow.coordinator) as client:
        done = client.json("POST", f"/api/rounds/{round_id}/purge")
        status = client.json("GET", f"/api/rounds/{round_id}")
    assert done["bytes_removed"] > 0 and status["state"] == "purged"
    assert not folder.exists()
    with server.client(flow.health) as client, pytest.raises(ServiceError) as gone:
        send_package(client, flow.packages[HEALTH], round_id, replace=True)
    assert (gone.value.status, gone.value.code) == (410, "purged")


def test_each_party_lists_only_its_rounds(server: Server, flow: Flow) -> None:
    round_id = _round(server, flow)
    with server.client(flow.health) as client:
        assert [r["id"] for r in client.json("GET", "/api/rounds")] == [round_id]
    with server.client(flow.outsider) as client:
        assert client.json("GET", "/api/rounds") == []
        with pytest.raises(ServiceError) as hidden:
            client.json("GET", f"/api/rounds/{round_id}")
        assert hidden.value.code == "not_a_party"
    with server.client(flow.coordinator) as client:
        assert [r["id"] for r in client.json("GET", "/api/rounds")] == [round_id]
    assert httpx.get(server.url + "/api/health").json()["status"] == "ok"  # unsigned


def test_package_of_another_secret_is_refused_as_link_refuses_it(
    server: Server, flow: Flow, tmp_path: Path
) -> None:
    from padan.formats.package import read_package, write_package

    round_id = _round(server, flow)
    manifest, members, _ = read_package(flow.packages[HEALTH], flow.trusted)
    other = tmp_path / "ckg-other.padan"
    fields = {
        **manifest.extra,
        "role": manifest.role,
        "dataset": manifest.dataset,
        "record_count": manifest.record_count,
        "schema_fingerprint": manifest.schema_fingerprint,
        "key_check": "0" * 32,  # as if encoded with another linkage secret
    }
    write_package(other, fields, members, flow.health)
    with server.client(flow.registry) as client:
        send_package(client, flow.packages[REGISTRY], round_id)
    with server.client(flow.health) as client, pytest.raises(ServiceError) as refused:
        send_package(client, other, round_id)
    assert (refused.value.status, refused.value.code) == (422, "package_refused")
    assert "different linkage secret" in str(refused.value)
