"""SIGINT (Ctrl-C) and SIGTERM stop a whole comparison: no worker survives its main process,
and the run cache is left in a state the same command resumes from (NOTE [stopping workers])."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process groups from /proc"),
]


def _group(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) "
        if fields[0] != "Z" and int(fields[2]) == pgid:
            pids.append(int(entry.name))
    return pids


def _compare(out: Path) -> list[str]:
    return [
        sys.executable, "recipes/compare.py", "--strategies", "none", "random_over", "--seeds", "2",
        "--rows", "12000", "--max-epochs", "3", "--jobs", "2", "--out", str(out),
    ]


@pytest.mark.parametrize("how", ["SIGINT to the process group (Ctrl-C)", "SIGTERM to the main process"])
def test_signal_stops_every_worker_and_the_same_command_resumes(tmp_path, how):
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
    out = tmp_path / "out"
    log = (tmp_path / "log.txt").open("w+")
    process = subprocess.Popen(
        _compare(out), cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 240
        # both workers started (main + 2 workers + multiprocessing's resource tracker)
        while len(_group(process.pid)) < 4:
            assert process.poll() is None, open(log.name).read()[-3000:]
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.2)
        time.sleep(3)  # the workers are importing or training now
        if how.startswith("SIGINT"):
            os.killpg(process.pid, signal.SIGINT)
        else:
            process.send_signal(signal.SIGTERM)
        sent = time.monotonic()
        while _group(process.pid) and time.monotonic() - sent < 20:
            time.sleep(0.1)
        survivors = _group(process.pid)
        stopped_in = time.monotonic() - sent
    finally:
        for pid in _group(process.pid):
            os.kill(pid, signal.SIGKILL)
        process.wait(timeout=30)
    text = open(log.name).read()
    assert not survivors, f"{len(survivors)} process(es) of the comparison still ran 20 s after {how}"
    assert stopped_in < 10, stopped_in
    expected = signal.SIGINT if how.startswith("SIGINT") else signal.SIGTERM
    assert process.returncode == 128 + expected, text[-3000:]
    assert f"stopped by {expected.name}" in text and "the same command resumes" in text

    # Every cached result is whole; the same command redoes only the other runs.
    cached = sorted((out / "runs").glob("*.json")) if (out / "runs").exists() else []
    for path in cached:
        json.loads(path.read_text())
    again = subprocess.run(_compare(out), cwd=REPO, env=env, capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-3000:]
    assert "4 runs in" in again.stdout and f"({len(cached)} from {out / 'runs'})" in again.stdout, again.stdout[-2000:]
