"""How a training run uses the machine: precision, gradient checkpointing, threads and priority.

- Precision: bf16 autocast where the CPU multiplies bf16 natively (AMX or AVX-512-BF16; elsewhere torch
  emulates it, measured >10x slower than fp32 on an AVX2-only EPYC), bf16 weights on CUDA, fp32 otherwise.
- Gradient checkpointing trades ~40% of the speed for less activation memory, so it is on only when the
  activations of the longest batch would not fit comfortably in the memory that is free.
- Threads: torch's OpenMP threads spin while they wait for work; beside other busy processes they burn
  CPU-seconds spinning against each other. The worker runs with ``OMP_WAIT_POLICY=PASSIVE`` (a waiting
  thread sleeps after a short spin), and a background run (the desktop app's) leaves one core to the UI
  and runs at a lower priority. Between steps ``ThreadGovernor`` looks at how much CPU other processes
  took during the last step and runs on only the cores they left free (at least one thread): two threads
  on a machine whose cores are taken wait for each other at every barrier while the scheduler runs
  someone else (measured: 2.28x the idle CPU-seconds per token with 3 busy processes on 2 cores).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Optional

# bytes of saved activations per (token, layer, hidden unit) in fp32 training: SmolLM2-135M at batch 4 x 768
# peaked at 4.9 GB without checkpointing, 0.5 GB of it weights
ACTIVATION_FACTOR = 24
MEMORY_SHARE = 0.5  # checkpointing goes on when weights + activations would take more than this of free RAM
BACKGROUND_NICE = 10
SPIN_COUNT = 100_000
BF16_FLAGS = {"avx512_bf16", "amx_bf16"}  # torch 2.13 has no CPU-feature probe of its own for these


def cpu_bf16_supported() -> bool:
    """True when this CPU has native bf16 matrix instructions (AMX or AVX-512-BF16)."""
    flags = _cpu_flags()
    if flags:
        return bool(flags & BF16_FLAGS)
    import torch  # no /proc/cpuinfo: torch's own probes where this build has them

    cpu = getattr(torch._C, "_cpu", None)
    probes = ("_is_amx_tile_supported", "_is_avx512_bf16_supported")
    return any(bool(getattr(cpu, name, lambda: False)()) for name in probes)


def _cpu_flags() -> set[str]:
    """The CPU's feature flags as Linux reports them (empty elsewhere)."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(("flags", "Features")):
                    return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def choose_precision(pref: str, device: str) -> str:
    """'bf16' or 'fp32' from a preference ('auto' takes bf16 where the hardware runs it natively)."""
    if pref in ("bf16", "fp32"):
        return pref
    if device == "cuda":
        return "bf16"
    return "bf16" if cpu_bf16_supported() else "fp32"


def activation_bytes(batch: int, tokens: int, layers: int, hidden: int) -> int:
    """Estimated activation memory of one training batch without checkpointing."""
    return batch * tokens * layers * hidden * ACTIVATION_FACTOR


def free_memory_bytes(device: str) -> int:
    """Memory free for training on ``device`` (RAM for the CPU)."""
    if device == "cuda":  # pragma: no cover - CUDA only
        import torch

        return int(torch.cuda.mem_get_info()[0])
    import psutil

    return int(psutil.virtual_memory().available)


def needs_checkpointing(pref: Optional[bool], weights: int, activations: int, free: int) -> bool:
    """Gradient checkpointing on or off: as asked, else only when memory needs it."""
    if pref is not None:
        return pref
    return weights + activations > MEMORY_SHARE * free


def training_threads(background: bool, cores: Optional[int] = None) -> int:
    """Threads for a training run: every core in the foreground, all but one for a background run."""
    n = cores or os.cpu_count() or 1
    return max(1, n - 1) if background else n


def worker_env(threads: int) -> dict[str, str]:
    """Environment for the training process: this many OpenMP threads, which sleep while they wait."""
    n = str(threads)
    # libgomp: a waiting thread spins GOMP_SPINCOUNT times (well under a millisecond), then sleeps. Measured
    # on 2 cores (SmolLM2 step, batch 4): default spinning 7.0 s, pure PASSIVE 8.8-11 s, this 6.2-6.5 s
    return {
        "OMP_WAIT_POLICY": "PASSIVE",
        "GOMP_SPINCOUNT": str(SPIN_COUNT),
        "OMP_NUM_THREADS": n,
        "MKL_NUM_THREADS": n,
    }


def lower_priority() -> None:
    """Run this process at a lower priority (Unix nice; elsewhere left as is)."""
    if hasattr(os, "nice"):
        try:
            os.nice(BACKGROUND_NICE)
        except OSError:
            pass


@dataclass(frozen=True)
class CpuSample:
    """A reading of the clocks the governor compares: wall time, all CPUs' busy time, this process's time."""

    wall: float
    system_busy: float
    own: float


def cpu_sample() -> CpuSample:
    """Now, the machine's busy CPU-seconds (all cores) and this process's CPU-seconds."""
    import psutil

    t = psutil.cpu_times()
    busy = sum(getattr(t, f) for f in ("user", "nice", "system", "irq", "softirq", "steal") if hasattr(t, f))
    own = psutil.Process().cpu_times()
    return CpuSample(time.monotonic(), busy, own.user + own.system)


class ThreadGovernor:
    """Keeps the trainer's thread count to the cores other processes leave free (training process, between
    steps)."""

    def __init__(
        self,
        most: int,
        set_threads: Callable[[int], None],
        cores: Optional[int] = None,
        sample: Callable[[], CpuSample] = cpu_sample,
    ) -> None:
        self.most, self.set_threads, self.sample = most, set_threads, sample
        self.cores = cores or os.cpu_count() or 1
        self.threads = most
        self.used = {most}
        self._last = sample()

    def check(self) -> int:
        """Threads for the next step, from what others used since the last check."""
        now = self.sample()
        wall = now.wall - self._last.wall
        if wall > 0.05:
            others = max(0.0, (now.system_busy - self._last.system_busy) - (now.own - self._last.own)) / wall
            wanted = max(1, min(self.most, math.floor(self.cores - others + 0.5)))
            if wanted != self.threads:
                self.set_threads(wanted)
                self.threads = wanted
                self.used.add(wanted)
        self._last = now
        return self.threads
