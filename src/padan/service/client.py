"""The owners' and the coordinator's client: every request signed with an identity key.

``send_package`` announces a package, then sends it in chunks at the offset the server
holds, retrying after network errors and resuming where the server stopped (also in a
later ``padan send`` of the same file: the server hands back the unfinished upload).
``fetch_result`` downloads the sealed ``ORG.result`` atomically, optionally waiting for
the run to finish.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import httpx

from padan.core.errors import InputError, PadanError, VerificationError
from padan.core.files import atomic_open
from padan.service.auth import login_link, sign_request
from padan.trust.cards import Card
from padan.trust.identity import Identity

CHUNK = 8 * 1024**2
RETRIES = 8
"""Attempts per request after a network error or a server error (with back-off)."""
TIMEOUT = httpx.Timeout(300.0, connect=10.0)
"""Generous: the last chunk's answer waits for the package's verification."""


class ServiceError(PadanError):
    """The server refused a request; carries its status and error code."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"server refused ({status} {code}): {message}")
        self.status = status
        self.code = code
        # Refused signatures, access and packages are verification problems (exit code 3).
        if status in (401, 403, 422):
            self.exit_code = VerificationError.exit_code


class Client:
    """Signed requests to a padan coordinator service."""

    def __init__(
        self,
        server: str,
        identity: Identity,
        *,
        retries: int = RETRIES,
        backoff: float = 0.5,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.server = server.rstrip("/")
        self.identity = identity
        self.retries = retries
        self.backoff = backoff
        self.sleep = sleep
        self.http = httpx.Client(timeout=TIMEOUT)

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes = b"",
        json_body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> httpx.Response:
        """Send a signed request, retrying network and server errors; raise on refusal.

        Every attempt is signed afresh (new nonce): the server refuses a replayed one.
        """
        if json_body is not None:
            body = json.dumps(json_body).encode()
        url = self.server + path
        for attempt in range(self.retries + 1):
            signed = sign_request(self.identity, method, url, body)
            try:
                response = self.http.request(
                    method, url, content=body, headers={**(headers or {}), **signed}
                )
            except httpx.TransportError as exc:
                if attempt == self.retries:
                    raise InputError(f"cannot reach {self.server}: {exc}") from None
            else:
                if response.status_code < 500 or attempt == self.retries:
                    break
            self.sleep(self.backoff * 2**attempt)
        if response.status_code >= 400:
            raise _refusal(response)
        return response

    def json(self, method: str, path: str, data: Any = None) -> Any:
        """A signed JSON request; the decoded JSON answer."""
        return self.request(method, path, json_body=data).json()


def _refusal(response: httpx.Response) -> ServiceError:
    try:
        data = response.json()
        return ServiceError(response.status_code, data["error"], data["message"])
    except (ValueError, KeyError, TypeError):
        return ServiceError(response.status_code, "http", response.text[:200])


def open_round(
    client: Client,
    name: str,
    *,
    registry: Card,
    lists: Sequence[Card],
    pks: str = "",
    schema: str | None = None,
    retention: str | None = None,
    seed: int | None = None,
) -> dict[str, Any]:
    """Open a round (coordinator's key); the round's status, with its ``id``."""
    data = {
        "name": name,
        "pks": pks,
        "registry": registry.fingerprint,
        "lists": [card.fingerprint for card in lists],
        "schema": schema,
        "retention": retention,
        "seed": seed,
    }
    return client.json("POST", "/api/rounds", data)


def _sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


@dataclasses.dataclass(frozen=True, slots=True)
class Sent:
    """What ``send_package`` achieved."""

    upload: str
    bytes: int
    records: int | None
    resumed_at: int
    seconds: float


def send_package(
    client: Client,
    package: Path,
    round_id: str,
    *,
    replace: bool = False,
    chunk: int = CHUNK,
    progress: Callable[[int, int], None] | None = None,
) -> Sent:
    """Upload a package to a round, resuming an unfinished upload of the same file.

    ``progress(done, total)`` is called after every chunk. After a network error the
    offset is asked again, so a chunk the server already stored is not sent twice.
    """
    if not package.is_file():
        raise InputError(f"package not found: {package}")
    started = time.perf_counter()
    size = package.stat().st_size
    state = client.json(
        "POST",
        f"/api/rounds/{round_id}/uploads",
        {"size": size, "sha256": _sha256(package), "replace": replace},
    )
    upload, resumed_at = state["upload"], state["offset"]
    offset = resumed_at
    with open(package, "rb") as handle:
        while True:
            if progress:
                progress(offset, size)
            handle.seek(offset)
            data = handle.read(min(chunk, size - offset))
            try:
                state = client.request(
                    "PATCH",
                    f"/api/uploads/{upload}",
                    body=data,
                    headers={"Upload-Offset": str(offset)},
                ).json()
            except ServiceError as exc:
                if exc.code != "offset_mismatch":
                    raise
                state = client.json("GET", f"/api/uploads/{upload}")  # resync, then go on
            offset = state["offset"]
            if state["state"] != "partial":
                break
    if progress:
        progress(size, size)
    return Sent(upload, size, state.get("records"), resumed_at, time.perf_counter() - started)


def fetch_result(
    client: Client,
    round_id: str,
    out_dir: Path,
    *,
    wait: bool = False,
    poll: float = 2.0,
    timeout: float | None = None,
    on_wait: Callable[[dict[str, Any]], None] | None = None,
) -> Path:
    """Download this party's sealed result into ``out_dir/ORG.result`` (atomically).

    With ``wait`` it polls the round until its run is done (or failed, which raises
    with the server's reason), at most ``timeout`` seconds when given.
    """
    org = client.identity.card.org
    deadline = None if timeout is None else time.monotonic() + timeout
    while True:
        try:
            response = client.request("GET", f"/api/rounds/{round_id}/results/{org}")
            break
        except ServiceError as exc:
            if exc.code != "not_ready" or not wait:
                raise
        status = client.json("GET", f"/api/rounds/{round_id}")
        if status["state"] == "failed":
            reason = (status.get("run") or {}).get("error") or "no reason recorded"
            raise InputError(f"the run of round {round_id} failed: {reason}")
        if on_wait:
            on_wait(status)
        if deadline is not None and time.monotonic() > deadline:
            raise InputError(f"round {round_id} not finished after {timeout:.0f} s")
        time.sleep(poll)
    target = out_dir / f"{org}.result"
    with atomic_open(target, "wb") as handle:
        handle.write(response.content)
    return target


def sign_in_link(server: str, identity: Identity) -> str:
    """A sign-in link for the status page (valid ten minutes, usable once)."""
    return login_link(server, identity)
