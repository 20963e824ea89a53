"""Desktop start-up: process start to a visible main window (offscreen Qt), and peak memory at idle."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

_CODE = (
    "import time, resource, os, sys; t=time.perf_counter(); os.environ['QT_QPA_PLATFORM']='offscreen'; "
    "from ownvoice.ui.app import OwnVoiceGui; g=OwnVoiceGui(os.environ['OWNVOICE_HOME']); "
    "g.qapp.processEvents(); "
    "assert g.window.isVisible(); "
    "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss/1024); "
    "g.server.close()"
)


def run(app, runs: int) -> dict:
    """Median seconds to a visible window and peak RSS (MB), each in a fresh process."""
    times, mems = [], []
    home = tempfile.mkdtemp()
    for _ in range(runs):
        t0 = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", _CODE],
            capture_output=True,
            text=True,
            env={**os.environ, "OWNVOICE_HOME": home},
        ).stdout.split()
        times.append(time.perf_counter() - t0)
        mems.append(float(out[1]) if len(out) > 1 else 0.0)
    return {"window_s": round(statistics.median(times), 3), "peak_rss_mb": round(statistics.median(mems))}


def markdown(r: dict) -> str:
    """Table of the two figures."""
    return (
        "| measure | median |\n|---|---|\n"
        f"| process start to visible window | {r['window_s']:.2f} s |\n"
        f"| peak RSS at idle | {r['peak_rss_mb']} MB |"
    )
