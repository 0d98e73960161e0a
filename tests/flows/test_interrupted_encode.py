"""An interrupted ``encode`` leaves nothing: Ctrl-C (SIGINT to the process group, as a
terminal sends it) exits 130 with no output and no process left; ``kill -9`` of the main
process leaves no worker running (they watch their parent)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from padan.demo import DEMO_PASSPHRASE, REGISTRY
from tests.processes import descendants, running

pytestmark = pytest.mark.skipif(not Path("/proc").is_dir(), reason="reads /proc")


@pytest.mark.parametrize("how", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_an_interrupted_encode_leaves_no_file_and_no_process(
    demo_flow, tmp_path: Path, how: signal.Signals
) -> None:
    folder = demo_flow.folders[REGISTRY]
    lines = (folder / "siak.csv").read_text(encoding="utf-8-sig").splitlines()
    big = tmp_path / "siak.csv"
    big.write_text("\n".join([lines[0], *lines[1:] * 10]) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    command = [
        sys.executable, "-m", "padan", "encode", str(big),
        "--key", str(folder / f"{REGISTRY}.key"),
        "--secret", str(folder / "secret" / f"{REGISTRY}.secret"),
        "--role", "registry", "--out", str(out / "siak.padan"), "--workers", "2",
    ]  # fmt: skip
    env = {**os.environ, "PADAN_PASSPHRASE": DEMO_PASSPHRASE}
    encode = subprocess.Popen(
        command,
        env=env,
        cwd=tmp_path,
        start_new_session=True,  # its own process group, as in a terminal
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "stderr.txt").open("w"),
    )
    below: list[int] = []
    try:
        deadline = time.monotonic() + 120
        while len(below := descendants(encode.pid)) < 4 and time.monotonic() < deadline:
            time.sleep(0.1)  # until the forkserver, its 2 workers and the tracker run
        assert encode.poll() is None, "encode ended before it could be interrupted"
        if how == signal.SIGINT:
            os.killpg(encode.pid, how)
        else:
            encode.send_signal(how)
        code = encode.wait(timeout=60)
        deadline = time.monotonic() + 10
        while any(map(running, below)) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [p for p in below if running(p)]
        if how == signal.SIGINT:
            assert code == 130, (tmp_path / "stderr.txt").read_text()
            assert "Traceback" not in (tmp_path / "stderr.txt").read_text()
        assert not out.exists() or not list(out.iterdir())
    finally:
        for pid in [encode.pid, *below]:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
