"""Performance benchmarks, each against the raw library in the same run (median of several runs).

``ownvoice bench [generation retrieval import startup training contention serve] [--json]``. Every
benchmark returns typed figures (a dict of numbers, ratios included) and renders them as markdown; the
CLI prints one or the other.
"""

from __future__ import annotations

import json
import os
import platform
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from . import contention, generation, ingest, retrieval, serve, startup, training


@dataclass(frozen=True)
class Bench:
    """A benchmark: what it measures, how to run it, how to show its figures."""

    run: Callable[[Any, int], dict]
    markdown: Callable[[dict], str]


BENCHES: dict[str, Bench] = {
    "generation": Bench(generation.run, generation.markdown),
    "retrieval": Bench(retrieval.run, retrieval.markdown),
    "import": Bench(ingest.run, ingest.markdown),
    "startup": Bench(startup.run, startup.markdown),
    "training": Bench(training.run, training.markdown),
    "contention": Bench(contention.run, contention.markdown),
    "serve": Bench(serve.run, serve.markdown),
}
DEFAULT = ["generation", "retrieval", "import", "startup", "training"]


def machine() -> dict:
    """What this machine is: CPU, cores, RAM, Python."""
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), cpu)
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gib": round(mem, 1),
        "python": platform.python_version(),
    }


def run_benchmarks(which: Optional[list[str]] = None, runs: int = 3, home: Optional[str] = None) -> dict:
    """Run the chosen benchmarks in a throw-away data home; return {name: figures} plus the machine."""
    from ..app import OwnVoice

    app = OwnVoice(home or tempfile.mkdtemp(prefix="ownvoice-bench-"))
    results: dict[str, Any] = {"machine": machine()}
    for name in which or DEFAULT:
        t0 = time.perf_counter()
        results[name] = BENCHES[name].run(app, runs)
        results[name]["took_s"] = round(time.perf_counter() - t0, 1)
    app.close()
    return results


def markdown(results: dict) -> str:
    """The figures as markdown tables, one section per benchmark."""
    m = results["machine"]
    parts = [f"Machine: {m['cpu']}, {m['cores']} cores, {m['ram_gib']:.0f} GiB RAM, Python {m['python']}\n"]
    for name, figures in results.items():
        if name in BENCHES:
            parts.append(
                f"### {name}\n\n{BENCHES[name].markdown(figures)}\n\n(took {figures['took_s']:.0f} s)\n"
            )
    return "\n".join(parts)


def save(results: dict, out: str) -> None:
    """Write the markdown to ``out`` and the figures beside it as JSON (same name, .json)."""
    Path(out).write_text(markdown(results), encoding="utf-8")
    Path(out).with_suffix(".json").write_text(json.dumps(results, indent=2), encoding="utf-8")
