"""Running the service: in the foreground (``padan serve``) or in a thread (demo, tests)."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn

from padan.core.errors import InputError
from padan.service.app import ServiceConfig, create_app


def _config(service: ServiceConfig, host: str, port: int) -> uvicorn.Config:
    # One process: the worker, the upload locks and SQLite's writer live in it.
    return uvicorn.Config(
        create_app(service),
        host=host,
        port=port,
        workers=1,
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=5,
    )


def serve(service: ServiceConfig, host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until interrupted."""
    try:
        with socket.create_server((host, port)):
            pass
    except OSError as exc:
        raise InputError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    uvicorn.Server(_config(service, host, port)).run()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now."""
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def running_server(
    service: ServiceConfig, host: str = "127.0.0.1", port: int | None = None
) -> Iterator[str]:
    """Run the service in a background thread; yield its URL; stop it on exit."""
    port = port or free_port(host)
    server = uvicorn.Server(_config(service, host, port))
    thread = threading.Thread(target=server.run, daemon=True, name="padan-serve")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise InputError(f"the service did not start on {host}:{port}")
        time.sleep(0.02)
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
