"""Training beside other busy processes: CPU-seconds per token with three CPU-bound processes running vs
on an idle machine (threads that spin while they wait would burn CPU against each other)."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from .training import run_ours

BUSY = 3
_SPIN = "import time\nend = time.time() + 1800\nwhile time.time() < end:\n    pass\n"


def run(app, runs: int) -> dict:
    """Our trainer idle, then with BUSY spinning processes; the ratio of CPU-seconds per token."""
    tmp = Path(tempfile.mkdtemp())
    idle = run_ours(app, tmp)
    hogs = [subprocess.Popen([sys.executable, "-c", _SPIN]) for _ in range(BUSY)]
    try:
        busy = run_ours(app, tmp)
    finally:
        for h in hogs:
            h.kill()
            h.wait()
    return {
        "busy_processes": BUSY,
        "idle": {"tokens_per_s": idle["tokens_per_s"], "cpu_s_per_token": idle["cpu_s_per_token"]},
        "busy": {
            "tokens_per_s": busy["tokens_per_s"],
            "cpu_s_per_token": busy["cpu_s_per_token"],
            "threads_used": busy.get("threads_used", []),
        },
        "cpu_ratio": round(busy["cpu_s_per_token"] / idle["cpu_s_per_token"], 2),
    }


def markdown(r: dict) -> str:
    """Table: idle vs busy."""
    return (
        "| machine | tokens/s | CPU-s per 1k tokens |\n|---|---|---|\n"
        f"| idle | {r['idle']['tokens_per_s']:.0f} | {r['idle']['cpu_s_per_token'] * 1000:.1f} |\n"
        f"| {r['busy_processes']} other CPU-bound processes | {r['busy']['tokens_per_s']:.0f} | "
        f"{r['busy']['cpu_s_per_token'] * 1000:.1f} |\n\n"
        f"ratio busy/idle CPU-seconds per token: {r['cpu_ratio']:.2f}"
    )
