"""Where a model runs, how it runs for inference, how long a call takes, and on what machine.

Shared by training, decoding, the exercises' checkers, the benchmark (``bahdanau.cli.bench``) and the
records of training and measurement runs (:func:`machine`).
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

__all__ = ["model_device", "inference_mode", "time_pair", "time_one", "machine"]


def model_device(model: nn.Module) -> torch.device:
    """Where the model's parameters live (the CPU for a model without any)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else torch.device("cpu")


@contextmanager
def inference_mode(model: nn.Module) -> Iterator[None]:
    """Eval mode (no dropout) and no autograd inside; the model's previous mode afterwards.

    Used by evaluation and decoding: ``with inference_mode(model): ...``.
    """
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        model.train(was_training)


def time_pair(first, second, *, repeats: int, warmup: int = 3) -> tuple[float, float]:
    """Median seconds per call of two callables, measured interleaved."""
    for _ in range(warmup):
        first()
        second()
    first_times, second_times = [], []
    for _ in range(repeats):
        for fn, times in ((first, first_times), (second, second_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(first_times), statistics.median(second_times)


def time_one(fn, *, repeats: int, warmup: int = 2) -> float:
    """Median seconds per call of one callable."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def machine() -> dict[str, object]:
    """The machine a run is recorded on (no paths, no host names): platform, CPU count, threads, torch."""
    return {
        "platform": platform.platform(terse=True),
        "processor": platform.machine(),
        "cpu_count": os.cpu_count(),
        "torch_threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "device": "cuda" if torch.cuda.is_available() else "cpu",
    }
