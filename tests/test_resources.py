"""How a training run is fitted to the machine: checkpointing by memory, threads, the worker's environment."""

from __future__ import annotations

from ownvoice.adapters.config import TrainConfig
from ownvoice.adapters.resources import (
    activation_bytes,
    choose_precision,
    needs_checkpointing,
    training_threads,
    worker_env,
)

GB = 2**30


def test_checkpointing_is_on_only_when_memory_needs_it_unless_asked():
    small = activation_bytes(4, 768, 30, 576)  # SmolLM2-135M
    big = activation_bytes(4, 768, 28, 3072)  # a 3B model
    assert not needs_checkpointing(None, int(0.5 * GB), small, 20 * GB)
    assert needs_checkpointing(None, 12 * GB, big, 20 * GB)
    assert needs_checkpointing(True, int(0.5 * GB), small, 20 * GB)
    assert not needs_checkpointing(False, 12 * GB, big, 20 * GB)


def test_a_background_run_leaves_a_core_and_its_threads_sleep_when_waiting():
    assert training_threads(False, cores=2) == 2 and training_threads(True, cores=2) == 1
    assert training_threads(True, cores=1) == 1
    cfg = TrainConfig(base_gguf="", out_dir="", cache_dir="", train_file="", background=True)
    assert cfg.thread_count() == training_threads(True)
    assert TrainConfig(base_gguf="", out_dir="", cache_dir="", train_file="", threads=3).thread_count() == 3
    env = worker_env(1)
    assert env["OMP_WAIT_POLICY"] == "PASSIVE" and env["OMP_NUM_THREADS"] == "1"
    assert choose_precision("fp32", "cuda") == "fp32" and choose_precision("auto", "cuda") == "bf16"


def test_bf16_is_chosen_from_the_cpus_own_flags(monkeypatch):
    from ownvoice.adapters import resources

    monkeypatch.setattr(resources, "_cpu_flags", lambda: {"avx2", "avx512f", "avx512_bf16"})
    assert resources.cpu_bf16_supported() and choose_precision("auto", "cpu") == "bf16"
    monkeypatch.setattr(resources, "_cpu_flags", lambda: {"avx2", "amx_bf16", "amx_tile"})
    assert resources.cpu_bf16_supported()
    monkeypatch.setattr(resources, "_cpu_flags", lambda: {"avx2", "avx512f", "avx512bw"})  # AVX-512, no bf16
    assert not resources.cpu_bf16_supported() and choose_precision("auto", "cpu") == "fp32"
    assert choose_precision("bf16", "cpu") == "bf16"  # asked for: taken as asked


def test_the_trainer_runs_on_the_cores_other_processes_leave_free():
    from ownvoice.adapters.resources import CpuSample, ThreadGovernor

    readings = iter(
        [
            CpuSample(0.0, 0.0, 0.0),
            CpuSample(10.0, 20.0, 19.0),  # idle machine: the trainer took (nearly) all 20 CPU-seconds
            CpuSample(20.0, 40.0, 27.0),  # others took 12 of the 20: 1.2 cores busy
            CpuSample(30.0, 60.0, 37.0),  # still busy (others 10 of 20)
            CpuSample(40.0, 75.0, 52.0),  # the others stopped
        ]
    )
    calls: list[int] = []
    gov = ThreadGovernor(2, calls.append, cores=2, sample=lambda: next(readings))
    assert [gov.check() for _ in range(4)] == [2, 1, 1, 2]
    assert calls == [1, 2] and gov.used == {1, 2}  # torch told only when the count changes
